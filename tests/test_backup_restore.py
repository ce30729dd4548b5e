"""Backup and restore as an operator runs them (real processes): a seeded instance is backed up, restored
into a fresh folder (and a fresh PostgreSQL database), and compared table by table, file by file; the
restored instance passes verify-audit and serves logins; an instance with data is not overwritten
without --force; damaged or hostile backups are refused or skipped without following their links."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, inspect, text

from test_archive import seed_content

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, env=None):
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "server", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=180, env=environ)


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f'select count(*) from "{t}"')).scalar()
                    for t in sorted(inspect(conn).get_table_names())}
    finally:
        engine.dispose()


def media_of(folder) -> dict[str, bytes]:
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


def only_backup(dest) -> str:
    [folder] = os.listdir(dest)
    return os.path.join(dest, folder)


def run(capsys, *args, env=None) -> tuple[int, str, str]:
    """The CLI's main() in this process: same parser, messages and exit codes, no new interpreter."""
    from server.__main__ import main
    saved = os.environ.pop("DATABASE_URL", None)
    os.environ.update(env or {})
    try:
        code = main([str(a) for a in args])
    finally:
        os.environ.pop("DATABASE_URL", None)
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def backed_up(template_instance, tmp_path_factory):
    """A seeded instance and one backup of it written by `python -m server backup` in a subprocess."""
    from conftest import Api
    from server import create_app
    base = tmp_path_factory.mktemp("backed-up")
    shutil.copytree(template_instance, base / "instance")
    app = create_app({"SECRET_KEY": "test", "TESTING": True}, instance_path=str(base / "instance"))
    seed_content(app, Api(app.test_client()))
    made = cli("backup", base / "bk", "--instance", app.instance_path)
    assert made.returncode == 0, made.stderr
    return app, only_backup(base / "bk")


@pytest.fixture
def backup(backed_up, tmp_path):
    """A private copy of the module's backup, to damage."""
    copy = tmp_path / "backup"
    shutil.copytree(backed_up[1], copy, symlinks=True)
    return str(copy)


def test_sqlite_round_trip_into_a_fresh_instance(backed_up, tmp_path):
    app, backup = backed_up
    manifest = json.load(open(os.path.join(backup, "backup.json"), encoding="utf-8"))
    assert manifest["database"]["kind"] == "sqlite" and set(manifest["keys"]) == {"secret_key", "feed_key.pem",
                                                                                  "feed_key.pub"}
    assert oct(os.stat(os.path.join(backup, "feed_key.pem")).st_mode)[-3:] == "600"
    fresh = tmp_path / "fresh"
    done = cli("restore", backup, "--instance", fresh)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "audit chain intact" in done.stdout
    before = table_counts(app.config["DATABASE_URL"])
    after = table_counts(f"sqlite:///{fresh}/gongkai.db")
    assert after == before and before["audit_entry"] > 10 and before["feedback"] == 2
    assert media_of(fresh / "media") == media_of(app.config["MEDIA_DIR"]) and len(media_of(fresh / "media")) == 2
    for key in ("feed_key.pem", "feed_key.pub", "secret_key"):
        assert (fresh / key).read_bytes() == open(os.path.join(app.instance_path, key), "rb").read()
    from server import create_app
    restored = create_app({"TESTING": True}, instance_path=str(fresh))
    login = restored.test_client().post("/api/v1/tokens", json={"username": "alice", "password": "secret-pass-1"})
    assert login.status_code == 201
    restored.extensions["gongkai.engine"].dispose()


def test_restore_refuses_an_instance_with_data_unless_forced(backed_up, backup, tmp_path, capsys):
    app = backed_up[0]
    other = tmp_path / "other"
    assert run(capsys, "init", "--unit-name", "别的医院", "--unit-code", "X9", "--instance", other)[0] == 0
    code, _, err = run(capsys, "restore", backup, "--instance", other)
    assert code == 2 and "already holds data" in err and "--force" in err
    assert table_counts(f"sqlite:///{other}/gongkai.db")["unit"] == 1             # untouched
    code, out, err = run(capsys, "restore", backup, "--instance", other, "--force")
    assert code == 0, err
    assert table_counts(f"sqlite:///{other}/gongkai.db") == table_counts(app.config["DATABASE_URL"])


def test_keep_leaves_the_newest_copies_and_no_partial_folders(backed_up, tmp_path, capsys):
    for _ in range(3):
        assert run(capsys, "backup", tmp_path / "bk", "--keep", "2", "--instance", backed_up[0].instance_path)[0] == 0
    names = sorted(os.listdir(tmp_path / "bk"))
    assert len(names) == 2 and all(n.startswith("gongkai-") for n in names)


@pytest.mark.parametrize("damage, message", [
    ("not_a_backup", "holds no gongkai.db"),
    ("changed_db", "does not match the SHA-256"),
    ("bad_manifest", "not valid JSON"),
    ("garbage_db_old_format", "fails its integrity check"),
])
def test_damaged_backups_are_refused(backup, tmp_path, capsys, damage, message):
    if damage == "not_a_backup":
        os.remove(os.path.join(backup, "gongkai.db"))
    elif damage == "changed_db":
        with open(os.path.join(backup, "gongkai.db"), "ab") as fh:
            fh.write(b"\0" * 10)
    elif damage == "bad_manifest":
        with open(os.path.join(backup, "backup.json"), "w", encoding="utf-8") as fh:
            fh.write("{")
    else:                                   # a backup from before backup.json, with a broken file
        os.remove(os.path.join(backup, "backup.json"))
        with open(os.path.join(backup, "gongkai.db"), "wb") as fh:
            fh.write(b"SQLite format 3\0" + b"\x13" * 5000)
    code, _, err = run(capsys, "restore", backup, "--instance", tmp_path / "fresh")
    assert code == 2 and message in err
    assert not (tmp_path / "fresh" / "gongkai.db").exists()


def test_hostile_files_in_a_backup_are_not_followed(backup, tmp_path, capsys):
    """Links and odd names in the backup's media or key files are skipped, never followed or copied."""
    secret = tmp_path / "outside.txt"
    secret.write_text("not yours", encoding="utf-8")
    media = os.path.join(backup, "media")
    for name in os.listdir(media):
        os.remove(os.path.join(media, name))
    os.symlink(secret, os.path.join(media, "a" * 64))                    # a link named like media
    with open(os.path.join(media, "b" * 64), "wb") as fh:                 # content not matching its name
        fh.write(b"junk")
    with open(os.path.join(media, "..evil"), "wb") as fh:
        fh.write(b"junk")
    os.remove(os.path.join(backup, "secret_key"))
    os.symlink(secret, os.path.join(backup, "secret_key"))
    fresh = tmp_path / "fresh"
    code, out, err = run(capsys, "restore", backup, "--instance", fresh)
    assert code == 0, err
    assert f"skipped {'a' * 64}: not a media file" in out
    assert f"skipped {'b' * 64}: content does not match its name" in out
    assert "skipped ..evil: not a media file" in out
    assert os.listdir(fresh / "media") == []
    assert (fresh / "secret_key").read_text() != "not yours"            # made fresh, not copied through the link
    assert not os.path.islink(fresh / "secret_key")


def test_restore_of_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(capsys, "restore", tmp_path / "nothing", "--instance", tmp_path / "fresh")
    assert code == 2 and "is not a backup folder" in err


def test_postgresql_round_trip(postgres, pg_app, tmp_path, capsys):
    from conftest import Api
    seed_content(pg_app, Api(pg_app.test_client()))
    source = pg_app.config["DATABASE_URL"]
    made = cli("backup", tmp_path / "bk", "--instance", pg_app.instance_path, env={"DATABASE_URL": source})
    assert made.returncode == 0, made.stderr
    backup = only_backup(tmp_path / "bk")
    assert json.load(open(os.path.join(backup, "backup.json")))["database"]["kind"] == "postgresql"
    postgres.sql("CREATE DATABASE restored_pg")
    target = postgres.url("restored_pg")
    try:
        fresh = tmp_path / "fresh"
        code, out, err = run(capsys, "restore", backup, "--instance", fresh, env={"DATABASE_URL": target})
        assert code == 0, out + err
        assert "audit chain intact" in out
        assert table_counts(target) == table_counts(source)
        assert media_of(fresh / "media") == media_of(pg_app.config["MEDIA_DIR"])
        code, _, err = run(capsys, "restore", backup, "--instance", fresh, env={"DATABASE_URL": target})
        assert code == 2 and "already holds data" in err
        code, _, err = run(capsys, "restore", backup, "--instance", fresh, "--force", env={"DATABASE_URL": target})
        assert code == 0, err
        assert table_counts(target) == table_counts(source)
        code, _, err = run(capsys, "restore", backup, "--instance", tmp_path / "sqlite-one")
        assert code == 2 and "configured for SQLite" in err
    finally:
        postgres.sql("DROP DATABASE IF EXISTS restored_pg WITH (FORCE)")


def test_backups_are_private_whatever_the_umask(backed_up, tmp_path):
    """Folders 0700 and files 0600 even under umask 000 (a hand-run backup left the database copy
    world-readable): the copy holds personal data and the keys."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    dest = tmp_path / "new" / "bk"
    done = subprocess.run([sys.executable, "-m", "server", "backup", str(dest), "--instance",
                           backed_up[0].instance_path], capture_output=True, text=True, cwd=ROOT, timeout=180,
                          env=environ, preexec_fn=lambda: os.umask(0))
    assert done.returncode == 0, done.stderr
    modes = {}
    for folder, dirs, files in os.walk(dest):
        modes[os.path.relpath(folder, dest)] = oct(os.stat(folder).st_mode & 0o777)
        for name in files:
            modes[os.path.relpath(os.path.join(folder, name), dest)] = oct(os.stat(os.path.join(folder, name)).st_mode & 0o777)
    folder = os.path.basename(only_backup(dest))
    assert modes["."] == "0o700" and modes[folder] == "0o700" and modes[f"{folder}/media"] == "0o700"
    files = {p: m for p, m in modes.items() if p.count("/") >= 1 and p not in (f"{folder}/media",)}
    assert f"{folder}/gongkai.db" in files and f"{folder}/backup.json" in files and len(files) >= 7
    assert set(files.values()) == {"0o600"}, files


def _serve(instance, port):
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.Popen([sys.executable, "-m", "server", "run", "--instance", str(instance), "--port", str(port),
                             "--workers", "1"], cwd=ROOT, env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_restore_refuses_an_instance_a_running_server_uses(backed_up, backup, tmp_path, capsys):
    """`restore --force` under a live server would replace its database beneath it (approvals made
    afterwards looked published, then were gone after a stop): refused while the server runs, done
    once it stops; and a server does not start while a restore holds the instance."""
    import httpx
    from benchmarks.harness import free_port
    from server.records.instance_lock import exclusive
    instance = tmp_path / "live"
    shutil.copytree(backed_up[0].instance_path, instance)
    port = free_port()
    server = _serve(instance, port)
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(150):
            try:
                httpx.get(url + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stdout.read()
                import time
                time.sleep(0.2)
        before = table_counts(f"sqlite:///{instance}/gongkai.db")
        code, _, err = run(capsys, "restore", backup, "--force", "--instance", instance)
        assert code == 2 and "server.lock" in err and "stop it before restoring" in err
        token = httpx.post(url + "/tokens", json={"username": "alice", "password": "secret-pass-1"}).json()["token"]
        made = httpx.post(url + "/items", json={"category": "notices", "title": "恢复期间的新草稿", "body": "x"},
                          headers={"Authorization": f"Bearer {token}"})
        assert made.status_code == 201
        after = table_counts(f"sqlite:///{instance}/gongkai.db")
        assert after["item"] == before["item"] + 1          # the database was not swapped beneath it
    finally:
        server.terminate()
        server.wait(timeout=30)
    code, out, err = run(capsys, "restore", backup, "--force", "--instance", instance)
    assert code == 0, err
    with exclusive(str(instance)):                          # a restore in progress: a server refuses
        refused = _serve(instance, free_port())
        output, _ = refused.communicate(timeout=60)
    assert refused.returncode == 2 and "a restore is running" in output
