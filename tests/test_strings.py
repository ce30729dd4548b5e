"""One catalogue (server/strings) and one lookup (server/i18n.py): every key the templates and the code
use exists in Chinese and English with the same {placeholders}, every vocabulary value has its entry,
no code branches on the language, and no service imports a blueprint for its strings."""
from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest
from flask import Flask

from server import i18n
from server.i18n import StringError, placeholders, t, term, text_in
from server.strings import AREAS, CATALOGUE, VOCABULARIES

SERVER = Path(__file__).resolve().parent.parent / "server"
BLUEPRINTS = ("admin", "public", "api", "devices")
PY = sorted(p for p in SERVER.rglob("*.py") if not {"strings", "migrations"} & set(p.relative_to(SERVER).parts))
HTML = sorted((SERVER / "templates").rglob("*.html"))
KEY_ARG = {"t": 0, "msg": 0, "text_in": 1, "ServiceError": 1, "MonthError": 0}
# Lookups whose key is a code already checked where it was raised (a ServiceError, field error, MonthError).
DYNAMIC = {("errors.py", "field_messages"), ("errors.py", "error_response"), ("admin/forms.py", "field_errors"),
           ("public/views.py", "field_message"), ("public/views.py", "_errors"), ("admin/views_commitments.py", "_save_progress"),
           ("admin/views_compliance.py", "_report"), ("cli/commands.py", "monthly_report"),
           ("ingest/drafts.py", "service_reason"), ("i18n.py", "text_in"), ("i18n.py", "t"),
           ("i18n.py", "term"), ("i18n.py", "msg"),
           ("disclosure/items.py", "take_action")}  # content.lifecycle's WorkflowError codes: checked below


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _functions(tree):
    """Each node with the name of the function it is in."""
    def walk(node, where):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
            yield child, inner
            yield from walk(child, inner)
    return walk(tree, "")


def python_uses():
    """(key, parameter names or None when unknown, where) for every literal key in the code; and the
    lookups with a computed key, as (file, function)."""
    uses, dynamic, kinds = [], set(), []
    for path in PY:
        rel = path.relative_to(SERVER).as_posix()
        for node, func in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{rel}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and _name(node.func) in KEY_ARG:
                index = KEY_ARG[_name(node.func)]
                if len(node.args) <= index:
                    continue
                arg = node.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
                    uses.append((arg.value, names, where))
                else:
                    dynamic.add((rel, func))
            elif isinstance(node, ast.Call) and _name(node.func) == "term":
                kind = node.args[0] if node.args else None
                kinds.append((kind.value if isinstance(kind, ast.Constant) else None, where))
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Dict) \
                    and isinstance(node.elts[0], ast.Constant) and isinstance(node.elts[0].value, str):
                keys = node.elts[1].keys
                names = {k.value for k in keys} if all(isinstance(k, ast.Constant) for k in keys) else None
                uses.append((node.elts[0].value, names, where))  # a field error (code, params)
    return uses, dynamic, kinds


def _call_args(text: str, start: int) -> list[str]:
    """The top-level arguments of the call whose "(" ends at `start`."""
    args, depth, quote, current = [], 0, None, ""
    for ch in text[start:]:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return [a.strip() for a in args + [current] if a.strip()]
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(current)
            current = ""
            continue
        current += ch
    raise AssertionError(f"unclosed call: {text[start - 20:start + 60]}")


LITERAL = re.compile(r"""^(['"])([^'"]*)\1$""")
KEYWORD = re.compile(r"^(\w+)\s*=(?!=)")


def template_uses():
    """(key, parameter names, where) of every t('…') and (kind, where) of every term('…', …) in templates;
    any other first argument is reported as the text it is."""
    uses, kinds = [], []
    for path in HTML:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(?<![\w.])(t|term)\(", text):
            args = _call_args(text, match.end())
            where = f"{path.relative_to(SERVER).as_posix()}:{text.count(chr(10), 0, match.start()) + 1}"
            literal = LITERAL.match(args[0]) if args else None
            if match.group(1) == "term":
                kinds.append((literal.group(2) if literal else args, where))
            else:
                names = {KEYWORD.match(a).group(1) for a in args[1:] if KEYWORD.match(a)}
                uses.append((literal.group(2) if literal else args, names, where))
    return uses, kinds


def vocabularies() -> dict[str, tuple]:
    """Each vocabulary's values, from the one place in code that declares them."""
    from content.duedates import STATES
    from content.idcard import PROBLEMS
    from content.lifecycle import Action
    from content.model import Audience, Period, Role, Status, TimeRuleKind
    from server.bureau import findings as bureau_findings
    from server.commitments.pledges import COMMITTER_KINDS, STATUSES
    from server.hearing import feedback as fbs
    from server.hearing import requests as rqs
    from server.hearing.models import FEEDBACK_STATUSES, MAIL_STATUSES, REQUEST_STATUSES
    from server.hearing.satisfaction import SCOPES
    from server.oversight.submissions import STATES as SUBMISSION_STATES
    from server.screens.models import DEVICE_KINDS, DEVICE_STATUSES
    from server.screens.registry import COMMANDS, ORIENTATIONS
    from server.screens.signage import SLIDES
    from server.boards.postings import ENDED
    from server.boards.print_pdf import ORIENTATIONS as PAPER_ORIENTATIONS, PAPER_SIZES
    channels = fbs.CHANNELS + rqs.STAFF_CHANNELS + ("web",)  # "web": InfoRequest.channel of the phone form
    return {
        "status": tuple(Status), "action": tuple(Action), "audience": tuple(Audience), "role": tuple(Role),
        "time_rule": tuple(TimeRuleKind), "period": tuple(Period), "weekday": tuple(range(1, 8)),
        "screen": DEVICE_KINDS + DEVICE_STATUSES + ORIENTATIONS + COMMANDS,
        # handling steps: what hearing/feedback.py and hearing/requests.py record (notes pass through)
        "step": channels + fbs.RATINGS + ("received", "assigned", "answered", "published", "closed",
                                          "escalated", "rated", "correction", "corrected", "extended",
                                          "overdue", "system", "public"),
        "committer_kind": COMMITTER_KINDS, "pledge_status": STATUSES, "kind": fbs.KINDS, "ch": channels,
        "fbst": FEEDBACK_STATUSES + REQUEST_STATUSES, "pub.st": FEEDBACK_STATUSES + REQUEST_STATUSES,
        "rating": fbs.RATINGS, "ans": rqs.ANSWER_TYPES, "idt": rqs.ID_TYPES, "pub.id": rqs.ID_TYPES,
        "dl": rqs.DELIVERY, "mail": MAIL_STATUSES, "fb.done": fbs.ACTIONS, "rq.done": rqs.ACTIONS,
        "badge": ("due_soon", "overdue", "delayed", "long_overdue"),  # fbs.badge() and rqs.alert()
        "filter": ("open", "escalated", "closed", "all"),             # the inbox filters
        "sg.slide": SLIDES, "cmp.st": STATES, "cmp.scope": SCOPES, "idcard": PROBLEMS,
        "cmp.out": ("on_time", "late", "overdue", "missed", "open"),  # content.duedates.period_outcome()
        "brd.size": tuple(p.lower() for p in PAPER_SIZES), "brd.orientation": PAPER_ORIENTATIONS,
        "brd.reason": tuple(ENDED.values()),
        "cir.kind": bureau_findings.KINDS, "cir.st": bureau_findings.STATES,
        "sub.st": SUBMISSION_STATES,
    }


# --- the catalogue itself ---------------------------------------------------------------------------

def test_every_entry_has_chinese_and_english_with_the_same_placeholders():
    for key, pair in CATALOGUE.items():
        assert isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair), key
        assert placeholders(pair[0]) == placeholders(pair[1]), key
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*", key), key


def test_no_key_is_defined_twice():
    """Within one area (a repeated dict key would silently win) and across areas (the merge refuses)."""
    for area in AREAS:
        tree = ast.parse(Path(area.__file__).read_text(encoding="utf-8"))
        keys = [k.value for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys]
        assert len(keys) == len(set(keys)), [k for k in set(keys) if keys.count(k) > 1]
    assert len(CATALOGUE) == sum(len(area.STRINGS) for area in AREAS)


def test_areas_stay_short():
    for area in AREAS:
        assert len(Path(area.__file__).read_text(encoding="utf-8").splitlines()) <= 300, area.__name__


# --- keys used --------------------------------------------------------------------------------------

def _check(uses) -> list[str]:
    problems = []
    for key, names, where in uses:
        if not isinstance(key, str):
            problems.append(f"{where}: computed key {key}")
        elif key not in CATALOGUE:
            problems.append(f"{where}: {key!r} is not in the catalogue")
        elif names is not None and names != placeholders(CATALOGUE[key][0]):
            problems.append(f"{where}: {key!r} takes {sorted(placeholders(CATALOGUE[key][0]))}, "
                            f"given {sorted(names)}")
    return problems


def test_every_template_key_exists_with_its_parameters():
    uses, kinds = template_uses()
    assert len(uses) > 600
    assert _check(uses) == []
    assert [(k, w) for k, w in kinds if k not in VOCABULARIES] == []


def test_every_key_in_the_code_exists_with_its_parameters():
    uses, dynamic, kinds = python_uses()
    assert len(uses) > 150
    assert _check(uses) == []
    assert dynamic <= DYNAMIC, sorted(dynamic - DYNAMIC)
    assert [(k, w) for k, w in kinds if k not in VOCABULARIES] == []


def workflow_codes() -> set[str]:
    """The codes content.lifecycle refuses with (WorkflowError(kind, code, …)); the server shows them."""
    from content import lifecycle
    tree = ast.parse(Path(lifecycle.__file__).read_text(encoding="utf-8"))
    return {node.args[1].value for node in ast.walk(tree) if isinstance(node, ast.Call)
            and _name(node.func) == "WorkflowError" and isinstance(node.args[1], ast.Constant)}


def test_every_workflow_refusal_has_its_entry():
    codes = workflow_codes()
    assert len(codes) >= 7 and codes <= CATALOGUE.keys(), codes - CATALOGUE.keys()


def test_the_public_pages_word_service_field_errors_from_the_catalogue():
    from server.public.views import FIELD_ERRORS
    from server.errors import HTTP_CODES
    assert set(FIELD_ERRORS.values()) <= CATALOGUE.keys()
    assert set(HTTP_CODES.values()) <= CATALOGUE.keys()


def test_every_vocabulary_value_has_its_entry():
    declared = vocabularies()
    assert set(declared) == set(VOCABULARIES)
    missing = [f"{kind}.{getattr(v, 'value', v)}" for kind, values in declared.items() for v in values
               if f"{kind}.{getattr(v, 'value', v)}" not in CATALOGUE]
    assert missing == []
    stale = [key for key in CATALOGUE for kind, values in declared.items() if kind != "step"
             and key.startswith(kind + ".") and key[len(kind) + 1:] not in {str(getattr(v, "value", v)) for v in values}
             and not any(key.startswith(other + ".") for other in declared if len(other) > len(kind))]
    assert stale == []


def test_every_entry_is_used():
    """Nothing dead: each key is looked up somewhere, or belongs to a vocabulary."""
    used = {k for k, _, _ in python_uses()[0] + template_uses()[0] if isinstance(k, str)}
    from server.errors import HTTP_CODES
    from server.public.views import FIELD_ERRORS
    used |= set(HTTP_CODES.values()) | set(FIELD_ERRORS.values()) | workflow_codes()
    unused = [k for k in CATALOGUE if k not in used and k.rsplit(".", 1)[0] not in VOCABULARIES]
    assert unused == []


# --- the lookup ---------------------------------------------------------------------------------------

def test_a_missing_key_or_wrong_parameters_raise_in_tests():
    app = Flask(__name__)
    app.testing = True
    with app.test_request_context("/?lang=en"):
        assert t("items.count", n=3) == "3 items" and term("status", "draft") == "Draft"
        for call in (lambda: t("no.such.key"), lambda: t("items.count"), lambda: t("items.count", n=1, x=2),
                     lambda: term("no_such_vocabulary", "x"), lambda: term("status", "no_such_status")):
            with pytest.raises(StringError):
                call()
        assert term("step", "a free-text note", "a free-text note") == "a free-text note"


def test_in_production_a_missing_key_shows_the_key_and_logs_once(caplog):
    app = Flask(__name__)
    i18n._reported.discard("missing key 'gone.key'")
    with app.test_request_context("/"), caplog.at_level(logging.ERROR, logger="server.i18n"):
        assert t("gone.key") == "gone.key" and t("gone.key") == "gone.key"
        assert t("items.count") == "共 {n} 项"
    assert [r.getMessage() for r in caplog.records].count("string catalogue: missing key 'gone.key'") == 1


def test_a_detail_inside_a_field_error_reads_in_either_language():
    detail = i18n.msg("csv.ragged", row=3, cells=3, columns=2)
    assert text_in("zh", "bad_csv", detail=detail) == "表格文件有误：第 3 行有 3 列，表头有 2 列"
    assert text_in("en", "bad_csv", detail=detail) == "The table file is invalid: row 3 has 3 columns, the header 2"
    assert text_in("zh", "bad_window", detail=i18n.msg("window.not_object")) == "公开时间无效：需要 {start, end} 对象"


def test_api_errors_follow_accept_language(api):
    item = api.create()
    for language, words in (("zh", "公开时间无效：时间需带时区，例如 +08:00"),
                            ("en", "Invalid display window: the time needs a time zone, e.g. +08:00")):
        resp = api.call("PATCH", f"/items/{item['id']}", "alice",
                        json={"version": item["version"], "window": {"start": "2026-01-01T08:00"}},
                        headers={"Accept-Language": language})
        assert resp.status_code == 422
        assert resp.get_json()["fields"] == {"window": words} and resp.get_json()["code"] == "invalid"


# --- layout -----------------------------------------------------------------------------------------

BRANCH = re.compile(r"""lang\(\)\s*[!=]=|[!=]=\s*lang\(\)|[!=]=\s*['"](en|zh)['"]|['"](en|zh)['"]\s*[!=]="""
                    r"""|\bexc\.(en|zh)\b""")


def test_only_the_lookup_looks_at_the_language():
    found = [f"{p.relative_to(SERVER)}:{n}" for p in PY + HTML if p.name != "i18n.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if BRANCH.search(line)]
    assert found == []


def test_no_service_imports_a_blueprint():
    """Blueprints (admin, public, api, devices) use services and strings; never the other way round."""
    found = []
    for path in PY:
        parts = path.relative_to(SERVER).parts
        if parts[0] in BLUEPRINTS or parts == ("__init__.py",):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{'/'.join(parts)}: {n}" for n in names
                      if any(n == f"server.{b}" or n.startswith(f"server.{b}.") for b in BLUEPRINTS)]
    assert found == []
