"""The README stays true: two set-up commands, and the settings table, environment variables and
command list generated from the code (rewrite them with `python tests/readme_blocks.py`)."""
import os

import pytest

import readme_blocks
from server.cli.parser import build_parser
from server.config import ENVIRONMENT, SETTINGS

README = open(readme_blocks.README, encoding="utf-8").read()


@pytest.mark.parametrize("block", sorted(readme_blocks.BLOCKS))
def test_generated_blocks_match_the_code(block):
    assert f"<!-- generated: {block} -->" in README
    assert readme_blocks.render(README) == README, "README drifted: run python tests/readme_blocks.py"


def test_every_setting_every_variable_and_every_cli_command_is_in_the_readme():
    assert [name for name, _, _ in SETTINGS if f"`{name}`" not in README] == []
    assert [name for name, _, _ in ENVIRONMENT if f"`{name}`" not in README] == []
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert [name for name in sub.choices if f"python -m server {name}" not in README] == []


def test_a_drifted_readme_is_noticed():
    changed = README.replace("| `FEEDBACK_DAYS` | 5 |", "| `FEEDBACK_DAYS` | 7 |")
    assert changed != README and readme_blocks.render(changed) == README


def test_the_two_commands():
    assert "./gongkai demo" in README and "./gongkai test" in README
    assert os.path.exists(os.path.join(readme_blocks.ROOT, "gongkai"))
