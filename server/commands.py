"""The CLI commands' bodies; each takes the parsed args and returns an exit code."""
from __future__ import annotations

import getpass
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime

from server import create_app, db
from server.audit import verify
from server.instance import SetupError, create_user as make_user, find_unit, init_instance, parse_roles


class CommandError(Exception):
    """A command that cannot do what was asked; printed as `error: ...`, exit 2."""


def _app(args):
    return create_app(instance_path=args.instance)


def init(args) -> int:
    app = _app(args)
    unit = init_instance(app, args.unit_name, args.unit_code)
    print(f"instance {os.path.abspath(args.instance)} ready; first unit {unit.code} {unit.name}")
    return 0


def create_user(args) -> int:
    app = _app(args)
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    with app.app_context():
        s = db.session()
        try:
            unit = find_unit(s, args.unit)
            make_user(s, args.name, password, parse_roles(args.roles), unit, args.display_name)
        except SetupError as exc:
            raise CommandError(str(exc)) from None
        s.commit()
    print(f"user {args.name} created in {unit.code} with roles {args.roles}")
    return 0


def _require_initialised(app) -> None:
    from sqlalchemy import inspect
    if not inspect(app.extensions["gongkai.engine"]).has_table("unit"):
        raise CommandError("the instance has no database yet: run `python -m server init` first")


def serve(app, host: str, port: int) -> None:
    """Run the embedded server with the time-boundary job beside it."""
    from server.services import start_services
    start_services(app)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def run(args) -> int:
    """Production: gunicorn + gevent workers (see server/production.py)."""
    # psycopg picks its wait function when first imported, here in the master before gevent
    # patches the workers; poll() is looked up at call time, so it becomes gevent's there.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_poll")
    app = _app(args)
    _require_initialised(app)
    app.extensions["gongkai.engine"].dispose()
    from server.production import GongkaiServer
    GongkaiServer(os.path.abspath(args.instance), args.host, args.port, args.workers).run()
    return 0


def demo(args) -> int:
    from server.demo import seed_demo
    app = _app(args)
    init_instance(app, "县卫生健康局", "BUREAU")
    accounts = seed_demo(app)
    print(f"\nGongkai demo — http://{args.host}:{args.port}/admin/  (instance {args.instance})")
    print("demo staff accounts (user / password / roles):")
    for name, password, roles, unit in accounts:
        print(f"  {name:<10} {password:<14} {roles}  @{unit}")
    procs = []
    if not args.no_screens:
        from server import demo_screens
        procs = demo_screens.start(app, f"http://{args.host}:{args.port}", os.path.abspath(args.instance))
        print("demo screens: " + ", ".join(kind for kind, _, _ in demo_screens.SCREENS)
              + " (offscreen without a display; see 屏幕管理 for their screenshots; logs in the instance folder)")
    sys.stdout.flush()
    try:
        serve(app, args.host, args.port)
    finally:
        for proc in procs:
            proc.terminate()
    return 0


def verify_audit(args) -> int:
    app = _app(args)
    _require_initialised(app)
    with app.app_context():
        problems = verify(db.session())
    for line in problems:
        print(line)
    print("audit chain intact" if not problems else f"audit chain BROKEN: {len(problems)} problem(s)")
    return 1 if problems else 0


def backup(args) -> int:
    """A consistent online copy: SQLite's backup API (or pg_dump), plus the media folder."""
    app = _app(args)
    _require_initialised(app)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dest = os.path.join(args.dest, f"gongkai-{stamp}")
    os.makedirs(args.dest, exist_ok=True)
    os.makedirs(dest, exist_ok=False)
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):]) as src, \
                sqlite3.connect(os.path.join(dest, "gongkai.db")) as out:
            src.backup(out)
    else:
        with open(os.path.join(dest, "gongkai.sql"), "wb") as fh:
            subprocess.run(["pg_dump", url.replace("+psycopg", "")], stdout=fh, check=True)
    if os.path.isdir(app.config["MEDIA_DIR"]):
        shutil.copytree(app.config["MEDIA_DIR"], os.path.join(dest, "media"))
    print(f"backup written to {dest}")
    if args.keep > 0:
        old = sorted(d for d in os.listdir(args.dest) if d.startswith("gongkai-"))[:-args.keep]
        for name in old:
            shutil.rmtree(os.path.join(args.dest, name))
        if old:
            print(f"removed {len(old)} older backup(s)")
    return 0
