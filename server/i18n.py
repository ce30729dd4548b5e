"""Chinese first, English second: the one lookup into server/strings, and each request's language."""
from __future__ import annotations

import logging
from string import Formatter

from flask import current_app, g, has_app_context, has_request_context, request, session

from server.strings import CATALOGUE, VOCABULARIES

LANGUAGES = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}
log = logging.getLogger(__name__)
_reported: set[str] = set()
_NO_DEFAULT = object()


class StringError(LookupError):
    """A key missing from the catalogue, or parameters that do not match its {placeholders}."""


def lang() -> str:
    """The language of this request: ?lang=, then the session, then Accept-Language, then default."""
    if not has_request_context():
        return "zh"
    if "lang" in g:
        return g.lang
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        if request.blueprint == "admin":
            session["lang"] = chosen
    elif session.get("lang") in LANGUAGES:
        chosen = session["lang"]
    else:
        default = current_app.config.get("DEFAULT_LANGUAGE", "zh")
        chosen = request.accept_languages.best_match(LANGUAGES, default=default) or default
        if request.accept_languages and request.accept_languages.best_match(["zh", "en"]) is None:
            chosen = default
    g.lang = chosen
    return chosen


def placeholders(text: str) -> set[str]:
    """The names of the {parameters} a catalogue text takes."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(text) if name is not None}


def _problem(what: str) -> None:
    """Loud in tests (raises); in production an error logged once, and the page still renders."""
    if has_app_context() and current_app.testing:
        raise StringError(what)
    if what not in _reported:
        _reported.add(what)
        log.error("string catalogue: %s", what)


def _is_msg(value) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], dict)


def msg(key: str, **params) -> tuple[str, dict]:
    """A string to look up later, as (key, params): a field error, or a detail inside one."""
    return key, params


def text_in(language: str, key: str, **params) -> str:
    """The text of `key` in `language` with {params} filled in; a (key, params) param is looked up too."""
    pair = CATALOGUE.get(key)
    if pair is None:
        _problem(f"missing key {key!r}")
        return key
    text = pair[LANGUAGES.index(language)]
    wanted = placeholders(text)
    if wanted != params.keys():
        _problem(f"{key!r} takes {sorted(wanted)}, was given {sorted(params)}")
        if not wanted <= params.keys():
            return text
    return text.format(**{name: text_in(language, value[0], **value[1]) if _is_msg(value) else value
                          for name, value in params.items() if name in wanted})


def t(key: str, **params) -> str:
    """The string `key` in the request's language."""
    return text_in(lang(), key, **params)


def term(kind: str, value, default=_NO_DEFAULT, language: str | None = None) -> str:
    """A vocabulary word (status, role, channel …): the key `kind.value`; `default` when it is not one."""
    if kind not in VOCABULARIES:
        _problem(f"unknown vocabulary {kind!r}")
    key = f"{kind}.{getattr(value, 'value', value)}"
    if default is not _NO_DEFAULT and key not in CATALOGUE:
        return default
    return text_in(language or lang(), key)


def other_lang() -> str:
    """The language the switch on every page leads to."""
    return LANGUAGES[1 - LANGUAGES.index(lang())]


def html_lang(language: str | None = None) -> str:
    """The `lang` attribute for a language (the request's by default)."""
    return HTML_LANG[language or lang()]


def lang_args() -> dict:
    """Query arguments that keep a chosen second language on links and form actions."""
    return {} if lang() == LANGUAGES[0] else {"lang": lang()}


def local_name(obj) -> str:
    """A unit's or category's English name on English pages, when it has one."""
    return (getattr(obj, "name_en", "") if lang() == "en" else "") or obj.name


def init_app(app) -> None:
    """The lookup and the language helpers for every template, admin and public alike."""
    for fn in (t, term, other_lang, html_lang, lang_args):
        app.add_template_global(fn)
    app.add_template_filter(local_name)
