"""The README's settings table and command list, generated from server.config (SETTINGS, ENVIRONMENT)
and the three programs' argparse parsers, so the README cannot drift from the code: tests/test_docs.py
compares, and `python tests/readme_blocks.py` rewrites the generated blocks of README.md in place."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys


BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n).*?(<!-- end generated -->)", re.S)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
MIB = 1024 * 1024


def _config():
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from server import config
    return config


def shown_default(value) -> str:
    """A default as a reader wants it: sizes in MiB, structures as JSON, nothing for "not set"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{value}`"
    if isinstance(value, int) and value >= MIB and value % MIB == 0:
        return f"{value // MIB} MiB"
    if isinstance(value, (int, float)):
        return f"{value:_}".replace("_", " ")
    if isinstance(value, (dict, list)):
        return "`" + json.dumps(value, ensure_ascii=False) + "`"
    return f"`{value}`" if value else "empty"


def _cell(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def settings_table() -> str:
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    rows += [f"| `{name}` | {shown_default(default)} | {_cell(help_text)} |" for name, default, help_text in _config().SETTINGS]
    return "\n".join(rows) + "\n"


def environment_table() -> str:
    rows = ["| variable | read by | meaning |", "|---|---|---|"]
    rows += [f"| `{name}` | {who} | {_cell(help_text)} |" for name, who, help_text in _config().ENVIRONMENT]
    return "\n".join(rows) + "\n"


def _usage(prog: str, parser: argparse.ArgumentParser) -> str:
    """One line: the command, its positionals and options (help and --instance left out)."""
    parts = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or "--instance" in action.option_strings:
            continue
        if not action.option_strings:
            parts.append(action.metavar or action.dest)
            continue
        flag = max(action.option_strings, key=len)
        word = flag if action.nargs == 0 else f"{flag} {action.metavar or action.dest.upper()}"
        parts.append(word if action.required else f"[{word}]")
    if any("--instance" in a.option_strings for a in parser._actions):
        parts.append("--instance DIR")
    return " ".join([prog] + parts)


def command_list() -> str:
    _config()
    from kiosk.__main__ import build_parser as kiosk_parser
    from server.cli.parser import build_parser
    from signage.__main__ import build_parser as signage_parser
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in sub._choices_actions}
    lines = [(_usage(f"python -m server {name}", p), helps.get(name, "")) for name, p in sub.choices.items()]
    for prog, parser in (("python -m kiosk", kiosk_parser()), ("python -m signage", signage_parser())):
        lines.append((_usage(prog, parser), parser.description or ""))
    return "```\n" + "\n".join(f"{usage}\n    {text}" for usage, text in lines) + "\n```\n"


BLOCKS = {"settings": settings_table, "environment": environment_table, "commands": command_list}


def render(text: str) -> str:
    """`text` with every generated block replaced by its current content."""
    return BLOCK.sub(lambda m: m.group(1) + BLOCKS[m.group(2)]() + m.group(3), text)


def main() -> int:
    with open(README, encoding="utf-8") as fh:
        old = fh.read()
    new = render(old)
    if new != old:
        with open(README, "w", encoding="utf-8") as fh:
            fh.write(new)
    print("README.md " + ("updated" if new != old else "already up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
