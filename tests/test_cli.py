"""python -m server as an operator runs it: real processes, a real instance folder."""
import os
import sqlite3
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, stdin: str = "", instance=None):
    cmd = [sys.executable, "-m", "server", *args]
    if instance is not None:
        cmd += ["--instance", str(instance)]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture
def instance(tmp_path):
    path = tmp_path / "inst"
    result = cli("init", "--unit-name", "测试医院", instance=path)
    assert result.returncode == 0, result.stderr
    return path


def test_help_lists_the_commands():
    out = cli("--help").stdout
    for name in ["run", "demo", "init", "create-user", "verify-audit", "backup"]:
        assert name in out
    for name in ["run", "demo", "init", "create-user", "verify-audit", "backup"]:
        assert "--instance" in cli(name, "--help").stdout


@pytest.mark.parametrize("program", ["kiosk", "signage"])
def test_screen_apps_have_help(program):
    result = subprocess.run([sys.executable, "-m", program, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "--server" in result.stdout


def test_init_is_idempotent_and_keeps_data(instance):
    assert cli("create-user", "alice", "--roles", "contributor", stdin="long-password-9\n",
               instance=instance).returncode == 0
    again = cli("init", instance=instance)
    assert again.returncode == 0 and "测试医院" in again.stdout
    with sqlite3.connect(instance / "gongkai.db") as conn:
        assert conn.execute("select count(*) from user_account").fetchone()[0] == 1
        assert conn.execute("select count(*) from category").fetchone()[0] > 30
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("args,stdin,message", [
    (["bob", "--roles", "wizard"], "long-password-9\n", "unknown role"),
    (["bob", "--roles", "reviewer"], "short\n", "8 characters"),
    (["b o b", "--roles", "reviewer"], "long-password-9\n", "user name"),
    (["bob", "--roles", "reviewer", "--unit", "NOPE"], "long-password-9\n", "no unit"),
])
def test_create_user_bad_input(instance, args, stdin, message):
    result = cli("create-user", *args, stdin=stdin, instance=instance)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_duplicate_user_is_refused(instance):
    assert cli("create-user", "bob", "--roles", "reviewer", stdin="long-password-9\n",
               instance=instance).returncode == 0
    dup = cli("create-user", "bob", "--roles", "approver", stdin="other-password\n", instance=instance)
    assert dup.returncode == 2 and "exists" in dup.stderr


def test_verify_audit_detects_a_tampered_row(instance):
    cli("create-user", "bob", "--roles", "reviewer", stdin="long-password-9\n", instance=instance)
    ok = cli("verify-audit", instance=instance)
    assert ok.returncode == 0 and "intact" in ok.stdout
    with sqlite3.connect(instance / "gongkai.db") as conn:
        conn.execute("update audit_entry set after = replace(after, 'reviewer', 'approver')")
    broken = cli("verify-audit", instance=instance)
    assert broken.returncode == 1 and "BROKEN" in broken.stdout


def test_verify_audit_detects_a_deleted_row(instance):
    cli("create-user", "bob", "--roles", "reviewer", stdin="long-password-9\n", instance=instance)
    with sqlite3.connect(instance / "gongkai.db") as conn:
        conn.execute("delete from audit_entry where id = (select min(id) from audit_entry)")
    assert cli("verify-audit", instance=instance).returncode == 1


def test_commands_on_an_empty_folder_say_run_init(tmp_path):
    result = cli("verify-audit", instance=tmp_path / "empty")
    assert result.returncode == 2 and "init" in result.stderr


def test_backup_is_a_working_copy(instance, tmp_path):
    cli("create-user", "bob", "--roles", "reviewer", stdin="long-password-9\n", instance=instance)
    result = cli("backup", str(tmp_path / "bk"), instance=instance)
    assert result.returncode == 0, result.stderr
    [folder] = os.listdir(tmp_path / "bk")
    with sqlite3.connect(tmp_path / "bk" / folder / "gongkai.db") as conn:
        assert conn.execute("select username from user_account").fetchall() == [("bob",)]
