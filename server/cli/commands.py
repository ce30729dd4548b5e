"""The CLI commands' bodies; each takes the parsed args and returns an exit code."""
from __future__ import annotations

import getpass
import os
import signal
import sys

from server import create_app, db
from server.audit import verify
from server.instance import (PASSWORD_PROBLEMS, SetupError, create_user as make_user, find_unit, init_instance,
                             parse_roles)


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


def set_password(args) -> int:
    """An operator sets a password (e.g. a forgotten one); the strength rules apply as in the UI."""
    from sqlalchemy import select
    from server.auth import change_password
    from server.models import User
    from server.validation import ServiceError
    app = _app(args)
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    with app.app_context():
        s = db.session()
        user = s.scalar(select(User).where(User.username == args.name))
        if user is None:
            raise CommandError(f"no user {args.name}")
        try:
            change_password(s, user, "", password, actor="cli")
        except ServiceError as exc:
            code = next(iter(exc.fields.values()))[0] if exc.fields else exc.code
            raise CommandError(PASSWORD_PROBLEMS.get(code, "the password is not accepted")) from None
    print(f"password of {args.name} set; its sessions and tokens have ended")
    return 0


def _require_initialised(app) -> None:
    from sqlalchemy import inspect
    if not inspect(app.extensions["gongkai.engine"]).has_table("unit"):
        raise CommandError("the instance has no database yet: run `python -m server init` first")


def _hold(app) -> None:
    """Mark the instance as in use by this process (restore refuses it meanwhile)."""
    from server.records.instance_lock import InstanceBusy, hold_shared
    try:
        hold_shared(app.instance_path)
    except InstanceBusy as exc:
        raise CommandError(str(exc)) from None


def serve(app, host: str, port: int) -> None:
    """Run the embedded server with the time-boundary job beside it."""
    from server.background import start_services
    _hold(app)
    start_services(app)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def run(args) -> int:
    """Production: gunicorn + gevent workers (see server/cli/production.py)."""
    # psycopg picks its wait function when first imported, here in the master before gevent
    # patches the workers; poll() is looked up at call time, so it becomes gevent's there.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_poll")
    app = _app(args)
    _require_initialised(app)
    app.extensions["gongkai.engine"].dispose()
    _hold(app)   # the master too: between worker restarts the instance is still in use
    from server.cli.production import GongkaiServer
    from server.screens.public_address import settle
    for line in settle(app.config, args.host, args.port):
        print(line, flush=True)
    GongkaiServer(os.path.abspath(args.instance), args.host, args.port, args.workers,
                  public_url=app.config["PUBLIC_BASE_URL"]).run()
    return 0


def demo(args) -> int:
    from server.demo.content import seed_demo
    from server.screens.public_address import local_url, settle
    app = _app(args)
    init_instance(app, "县卫生健康局", "BUREAU")
    accounts = seed_demo(app)
    here = local_url(args.host, args.port)
    print(f"\nGongkai demo — {here}/admin/  (instance {args.instance})")
    for line in settle(app.config, args.host, args.port):
        print(line)
    if args.host in ("0.0.0.0", "::"):
        print("listening on every interface: phones on this network can open the QR codes, and the staff "
              "login (demo passwords below); --host 127.0.0.1 keeps the demo on this machine")
    print("demo staff accounts (user / password / roles):")
    for name, password, roles, unit in accounts:
        print(f"  {name:<10} {password:<14} {roles}  @{unit}")
    procs = []
    from server.demo import screens as demo_screens
    _exit_on(signal.SIGTERM, signal.SIGHUP)  # so the screens are stopped below, not orphaned
    try:
        if not args.no_screens:
            procs = demo_screens.start(app, here, os.path.abspath(args.instance))
            print("demo screens: " + ", ".join(kind for kind, _, _ in demo_screens.SCREENS)
                  + " (offscreen without a display; see 屏幕管理 for their screenshots; logs in the instance folder)")
        sys.stdout.flush()
        serve(app, args.host, args.port)
    finally:
        demo_screens.stop(procs)
    return 0


def _exit_on(*signals) -> None:
    """Turn these signals into SystemExit in the main thread, so `finally` blocks run."""
    def leave(signum, _frame):
        raise SystemExit(128 + signum)
    for signum in signals:
        signal.signal(signum, leave)


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
    """A consistent online copy: SQLite's backup API (or pg_dump), plus media and keys (server/records/backup.py)."""
    from sqlalchemy.exc import SQLAlchemyError
    from server.records.backup import BackupError, write_backup
    app = _app(args)
    _require_initialised(app)
    try:
        dest, removed = write_backup(app, args.dest, args.keep)
    except (BackupError, OSError, SQLAlchemyError) as exc:
        raise CommandError(f"backup failed: {exc}") from None
    print(f"backup written to {dest}")
    if removed:
        print(f"removed {len(removed)} older backup(s)")
    return 0


def restore(args) -> int:
    """Restore a backup folder into the instance, upgrade its schema, then check the audit chain."""
    from sqlalchemy.exc import SQLAlchemyError
    from server.records.instance_lock import InstanceBusy, exclusive
    from server.records.backup import BackupError, restore_backup
    app = _app(args)
    try:
        with exclusive(app.instance_path):
            done = restore_backup(args.backup, app.instance_path, app.config["DATABASE_URL"],
                                  app.config["MEDIA_DIR"], force=args.force)
    except (BackupError, InstanceBusy, OSError, SQLAlchemyError) as exc:
        raise CommandError(str(exc)) from None
    app.extensions["gongkai.engine"].dispose()
    app = _app(args)
    try:
        db.upgrade(app.extensions["gongkai.engine"])
    except Exception as exc:  # e.g. a backup made by a newer version: say so instead of a traceback
        raise CommandError(f"restored, but upgrading its schema failed: {exc}") from None
    for line in done["skipped"]:
        print(f"skipped {line}")
    print(f"restored {done['kind']} database, {done['media']} media file(s), keys: {', '.join(done['keys']) or 'none'}")
    return verify_audit(args)


def _date(value: str):
    from datetime import date
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def archive(args) -> int:
    """归档: the period's revisions, decisions, feedback, requests and audit chain as one zip."""
    from server.records.archive import ArchiveError, write_archive
    app = _app(args)
    _require_initialised(app)
    start, end = _date(args.date_from), _date(args.date_to)
    with app.app_context():
        try:
            manifest = write_archive(db.session(), args.out, app.config["MEDIA_DIR"], start, end,
                                     app.config["TIMEZONE_OFFSET_HOURS"], args.unit, args.include_drafts)
        except (ArchiveError, OSError) as exc:
            raise CommandError(str(exc)) from None
    counts = ", ".join(f"{n} {k}" for k, n in manifest["counts"].items())
    print(f"archive written to {args.out}: {counts}")
    print(f"manifest SHA-256 {manifest['manifest_sha256']} (record it: verify-archive prints it again)")
    for sha in manifest["missing_media"]:
        print(f"warning: media {sha} is missing from {app.config['MEDIA_DIR']}", file=sys.stderr)
    return 0


def verify_archive(args) -> int:
    """Check an archive against its manifest and its audit chain; exit 1 listing the problems."""
    from server.records.verify import NotAnArchive, verify_archive as check
    try:
        problems, manifest = check(args.file, args.extract)
    except NotAnArchive as exc:
        raise CommandError(str(exc)) from None
    for line in problems:
        print(line)
    for sha in manifest.get("missing_media") or []:
        print(f"note: media {sha} was already missing when the archive was written")
    if problems:
        print(f"archive DAMAGED: {len(problems)} problem(s)")
        return 1
    print(f"archive intact: {len(manifest['files'])} files, {(manifest.get('audit') or {}).get('count', 0)} audit entries; "
          f"manifest SHA-256 {manifest['manifest_sha256']}")
    return 0


def purge_personal_data(args) -> int:
    """Erase personal data of cases closed longer ago than FEEDBACK_PERSONAL_DATA_MONTHS."""
    from server.hearing.retention import SETTING, purge_personal_data as purge
    app = _app(args)
    _require_initialised(app)
    months = args.months if args.months is not None else int(app.config.get(SETTING) or 0)
    if months <= 0:
        print(f"{SETTING} is 0: personal data is kept; nothing erased")
        return 0
    with app.app_context():
        report = purge(db.session(), months, app.config["MEDIA_DIR"], dry_run=args.dry_run)
    verb = "would erase" if args.dry_run else "erased"
    print(f"closed before {report['cutoff']}: {verb} personal data of {len(report['feedback'])} feedback "
          f"and {len(report['requests'])} request(s); {report['photos_removed']} photo(s) removed")
    for code in report["feedback"] + report["requests"]:
        print(f"  {code}")
    return 0


def ingest(args) -> int:
    """收件箱: process the drop folder once (exit 1 if a file was rejected), or keep watching."""
    from server.records.instance_lock import InstanceBusy, shared
    app = _app(args)
    _require_initialised(app)
    try:
        with shared(app.instance_path):
            return _ingest(app, args)
    except InstanceBusy as exc:
        raise CommandError(str(exc)) from None


def _ingest(app, args) -> int:
    """The body of `ingest`, run while the instance is held."""
    import signal
    import threading
    from server.ingest.process import IngestDirError, IngestService
    service = IngestService(app)
    try:
        service.check_root()
    except IngestDirError as exc:
        raise CommandError(str(exc)) from None
    if not args.once:
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        service.start()
        print(f"watching {service.root} (Ctrl-C or SIGTERM to stop)", flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass
        service.stop()
        return 0
    rows, waiting = service.run_once()
    for row in rows:
        first, *rest = row.reason.splitlines() or [""]
        print(f"{row.outcome:<9} {row.moved_to or '(left where it is)'}  {first}")
        for line in rest:
            print(f"{'':<10}{line}")
    print(f"{len(rows)} file(s) taken from {service.root}"
          + (f"; {waiting} still being written, left for the next run" if waiting else ""))
    return 1 if any(row.outcome == "rejected" for row in rows) else 0


def monthly_report(args) -> int:
    """公开监督月报 as a PDF for one unit and month (the same report as the admin page)."""
    from server.i18n import text_in
    from server.oversight import monthly_report as report_mod
    from server.hearing.feedback import today
    app = _app(args)
    _require_initialised(app)
    with app.app_context():
        s = db.session()
        try:
            unit = find_unit(s, args.unit)
            report = report_mod.build(s, unit, args.month, today())
        except SetupError as exc:
            raise CommandError(str(exc)) from None
        except report_mod.MonthError as exc:
            raise CommandError(text_in("zh", exc.key, **exc.params)) from None
        data = report_mod.render_pdf(report)
    try:
        with open(args.out, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise CommandError(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"{unit.code} {report['month']}: {report['disclosed_total']} disclosed, "
          f"{len(report['periodic_late']) + len(report['late_changes'])} late; written to {args.out}")
    return 0


def digest(args) -> int:
    """每日超期汇总 now: write today's overdue digest of every unit (once per unit and day, whatever
    DIGEST_TIME says), e-mail it if SMTP is set, retry failed e-mail; exit 1 if an e-mail failed."""
    from server.hearing import sla_jobs
    from server.hearing.models import DigestRun
    from sqlalchemy import select
    app = _app(args)
    _require_initialised(app)
    with app.app_context():
        s = db.session()
        made = {run.unit_id for run in sla_jobs.run_daily(force=True)}
        today = sla_jobs.local(sla_jobs.utcnow()).date()
        runs = s.scalars(select(DigestRun).where(DigestRun.day == today).order_by(DigestRun.unit_id)).all()
        for run in runs:
            state = "written" if run.unit_id in made else "already written"
            print(f"{run.unit.code} {run.day}: {state}; {run.overdue} overdue, {run.escalated} escalated; "
                  f"e-mail {run.mail_status}" + (f" ({run.mail_error})" if run.mail_error else ""))
        return 1 if any(run.mail_status == "failed" for run in runs) else 0
