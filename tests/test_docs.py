"""The README stays true: two set-up commands, every setting and every CLI command documented."""
import os

from server.__main__ import build_parser
from server.config import SETTINGS

README = open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md"),
              encoding="utf-8").read()


def test_every_setting_is_documented():
    missing = [name for name, _, _ in SETTINGS if f"`{name}`" not in README]
    assert missing == []


def test_every_cli_command_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [name for name in sub.choices if f"python -m server {name}" not in README]
    assert missing == []


def test_the_two_commands():
    assert "./gongkai demo" in README and "./gongkai test" in README
