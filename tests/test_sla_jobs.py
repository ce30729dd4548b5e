"""The daily 限时办结 job: working-day deadlines across Spring Festival, National Day and 调休, the
digest written once per unit and working day (even with two server processes on one database),
e-mailed through a real SMTP server (aiosmtpd in this process), and SMTP down → logged, retried."""
import email
import email.policy
import logging
import socket
import threading
import time as clock
from datetime import date, datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from hypothesis import given, settings, strategies as st
from sqlalchemy import func, select

from content.calendar import WorkingDayCalendar
from server import create_app, db
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.hearing import sla_jobs
from server.hearing.models import DigestRun, Feedback
from server.instance import find_unit
from server.models import CalendarOverride
from test_admin import Staff

CST = timezone(timedelta(hours=8))
CAL = WorkingDayCalendar()


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A local (UTC+8) time on `day`, as the aware datetime the job gets."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST).astimezone(timezone.utc)


# --- working days from content/calendar.py ------------------------------------------------------

@pytest.mark.parametrize("received, days, due", [
    (date(2026, 2, 13), 5, date(2026, 2, 27)),   # Fri before 春节: Sat 2-14 is a 调休 working day
    (date(2026, 2, 16), 1, date(2026, 2, 24)),   # received during the holiday: counts from after it
    (date(2026, 9, 30), 5, date(2026, 10, 13)),  # 国庆 1–7 off, Sat 10-10 is 调休
    (date(2026, 10, 3), 20, date(2026, 11, 3)),  # 依申请公开: 20 working days from a holiday
])
def test_due_dates_across_holidays_and_adjusted_weekends(app, received, days, due):
    with app.app_context():
        assert fbs.due_after(db.session(), received, days) == due


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 20)), st.integers(1, 25))
def test_a_due_date_is_never_a_day_off(received, days):
    due = CAL.add_working_days(received, days)
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(received, due) == days


def test_job_runs_on_working_days_after_the_set_time(app):
    app.config["DIGEST_TIME"] = "08:30"
    with app.app_context():
        s = db.session()
        assert sla_jobs.is_due(s, at(date(2026, 10, 10), 9), app.config)          # 调休 Saturday
        assert not sla_jobs.is_due(s, at(date(2026, 10, 3), 9), app.config)       # 国庆
        assert not sla_jobs.is_due(s, at(date(2026, 2, 17), 12), app.config)      # 春节
        assert not sla_jobs.is_due(s, at(date(2026, 10, 11), 9), app.config)      # Sunday
        assert not sla_jobs.is_due(s, at(date(2026, 10, 12), 8, 29), app.config)  # too early
        assert sla_jobs.is_due(s, at(date(2026, 10, 12), 8, 30), app.config)
        app.config["DIGEST_TIME"] = "half past eight"                             # logged, 08:30 used
        assert sla_jobs.is_due(s, at(date(2026, 10, 12), 8, 31), app.config)
        assert sla_jobs.run_daily(at(date(2026, 10, 3), 9)) == []
        assert s.scalar(select(func.count()).select_from(DigestRun)) == 0


# --- helpers ------------------------------------------------------------------------------------

def overdue_feedback(app, due: date, department: str = "门诊部", text: str = "候诊 <太久>") -> str:
    with app.test_request_context():
        s = db.session()
        fb, _ = fbs.create(s, find_unit(s, "H001"), {"kind": "complaint", "text": text,
                                                     "phone": "13800138000"})
        fb.due_date, fb.department, fb.status = due, department, "assigned"
        s.commit()
        return fb.code


def overdue_request(app, due: date) -> str:
    with app.test_request_context():
        s = db.session()
        req, _ = rqs.create(s, find_unit(s, "H001"), {
            "name": "张三", "id_type": "id_card", "id_number": "330102199001011234", "contact": "a@b.cn",
            "description": "2025 年药品采购目录", "delivery": "email"})
        req.due_date = due
        s.commit()
        return req.code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"mail-pass")


@pytest.fixture
def smtp():
    """A real SMTP server on a free local port (with AUTH LOGIN/PLAIN over the plain connection)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    inbox.port, inbox.controller = port, controller
    yield inbox
    controller.stop()


def mail_settings(app, port: int, **extra) -> None:
    app.config.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_USER": "gongkai",
                       "SMTP_PASSWORD": "mail-pass", "SMTP_FROM": "gongkai@hospital.cn",
                       "SMTP_TIMEOUT": 5, "DIGEST_RECIPIENTS": "office@hospital.cn, boss@hospital.cn",
                       "DIGEST_DEPARTMENT_RECIPIENTS": {"门诊部": "mz@hospital.cn"},
                       "DIGEST_RETRY_MINUTES": 10, **extra})


def body(msg, subtype: str) -> str:
    return msg.get_body(preferencelist=(subtype,)).get_content()


# --- the digest and its e-mail ------------------------------------------------------------------

def test_digest_written_escalates_and_is_emailed(app, smtp):
    mail_settings(app, smtp.port)
    today = date(2026, 10, 12)                                        # Monday after 国庆
    late = overdue_feedback(app, date(2026, 9, 28))                   # 6 working days late
    fresh = overdue_feedback(app, date(2026, 10, 9), "药剂科", "取药 & 排队")  # 2 days late
    request_code = overdue_request(app, date(2026, 9, 30))
    overdue_feedback(app, date(2026, 10, 20))                         # not overdue
    with app.app_context():
        made = sla_jobs.run_daily(at(today, 9))
        assert len(made) == 2                                         # one per unit (H001, H002)
        s = db.session()
        run = s.scalar(select(DigestRun).where(DigestRun.unit.has(code="H001")))
        assert run.day == today and run.overdue == 2 and run.escalated == 1
        assert run.mail_status == "sent" and run.mail_pending == [] and run.mail_attempts == 1
        assert set(run.data["departments"]) == {"门诊部", "药剂科"}
        assert run.data["departments"]["门诊部"][0]["late"] == CAL.working_days_between(date(2026, 9, 28), today)
        assert run.data["requests"][0]["code"] == request_code
        escalated = s.scalar(select(Feedback).where(Feedback.code == late))
        assert escalated.escalated and escalated.escalation_reason == "overdue"
        assert not s.scalar(select(Feedback).where(Feedback.code == fresh)).escalated
        other = s.scalar(select(DigestRun).where(DigestRun.unit.has(code="H002")))
        assert other.overdue == 0 and other.mail_status == "off"     # nothing overdue: no e-mail
    assert smtp.logins == [(b"gongkai", b"mail-pass")] * 2
    assert len(smtp.messages) == 2
    whole = next(m for to, m in smtp.messages if "office@hospital.cn" in to)
    to_whole = next(to for to, m in smtp.messages if "office@hospital.cn" in to)
    assert sorted(to_whole) == ["boss@hospital.cn", "office@hospital.cn"]
    assert whole["Subject"] == "【限时办结】第一人民医院 2026-10-12 超期汇总：反馈 2 件，依申请公开 1 件"
    assert whole["From"] == "gongkai@hospital.cn"
    text, html = body(whole, "plain"), body(whole, "html")
    assert late in text and fresh in text and request_code in text and "已上报纪委/工会" in text
    assert "候诊 <太久>" in text and "候诊 &lt;太久&gt;" in html and "<太久>" not in html
    assert "取药 &amp; 排队" in html and "<table" in html
    dept = next(m for to, m in smtp.messages if to == ["mz@hospital.cn"])
    assert "门诊部" in dept["Subject"] and late in body(dept, "plain") and fresh not in body(dept, "plain")


def test_smtp_down_is_logged_and_retried_without_resending(app, caplog):
    port = free_port()                                                # nothing listens here yet
    mail_settings(app, port)
    overdue_feedback(app, date(2026, 9, 28))
    now = at(date(2026, 10, 12), 9)
    with app.app_context(), caplog.at_level(logging.WARNING, logger="server.hearing.sla_jobs"):
        made = sla_jobs.run_daily(now)                                # no exception
        assert [r.mail_status for r in made] == ["failed", "off"]
        run_id = made[0].id
        assert "ConnectionRefusedError" in made[0].mail_error
    assert "overdue digest e-mail for H001" in caplog.text
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        with app.app_context():
            assert sla_jobs.run_daily(now + timedelta(minutes=5)) == []   # written already; too soon
            assert inbox.messages == []
            assert sla_jobs.run_daily(now + timedelta(minutes=11)) == []  # retried after the wait
            run = db.session().get(DigestRun, run_id)
            assert run.mail_status == "sent" and run.mail_attempts == 2 and run.mail_error == ""
            assert len(inbox.messages) == 2                           # whole digest + 门诊部
            sla_jobs.run_daily(now + timedelta(hours=3))
            assert len(inbox.messages) == 2                           # never twice
    finally:
        controller.stop()


def test_wrong_smtp_password_is_a_failed_attempt_not_a_crash(app, smtp):
    mail_settings(app, smtp.port, SMTP_PASSWORD="wrong", SMTP_TIMEOUT=2)
    overdue_feedback(app, date(2026, 9, 28))
    with app.app_context():
        run = sla_jobs.run_daily(at(date(2026, 10, 12), 9))[0]
        assert run.mail_status == "failed" and run.mail_error.startswith("SMTP")
        assert run.mail_pending == ["*", "dept:门诊部"]                # both kept for the retry
    assert smtp.messages == [] and smtp.logins[0] == (b"gongkai", b"wrong")


def test_without_smtp_the_digest_is_still_written_and_old_ones_pruned(app):
    app.config["DIGEST_KEEP"] = 2
    overdue_feedback(app, date(2026, 9, 28))
    with app.app_context():
        for day in (date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12)):
            [run, _] = sla_jobs.run_daily(at(day, 10))
            assert run.mail_status == "off" and run.overdue == 1
        s = db.session()
        days = s.scalars(select(DigestRun.day).where(DigestRun.unit.has(code="H001"))
                         .order_by(DigestRun.day)).all()
        assert days == [date(2026, 10, 10), date(2026, 10, 12)]


def twin(app):
    """A second server process's app on the same database (the same instance folder)."""
    return create_app({"SECRET_KEY": "test", "TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"]},
                      instance_path=app.instance_path)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_once_per_day_across_two_app_instances(app, smtp):
    other = twin(app)
    for a in (app, other):
        mail_settings(a, smtp.port, DIGEST_DEPARTMENT_RECIPIENTS={})
    overdue_feedback(app, date(2026, 9, 28))
    now = at(date(2026, 10, 12), 9)
    start, results, errors = threading.Barrier(2), {}, []

    def tick(name, a):
        try:
            with a.app_context():
                start.wait()
                results[name] = [(r.unit_id, r.day) for r in sla_jobs.run_daily(now)]
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(n, a)) for n, a in (("one", app), ("two", other))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    try:
        assert errors == []
        made = results["one"] + results["two"]
        assert len(made) == len(set(made)) == 2                        # each unit's day claimed once
        with app.app_context():
            s = db.session()
            assert s.scalar(select(func.count()).select_from(DigestRun)) == 2
            assert s.scalar(select(func.count()).select_from(Feedback).where(Feedback.escalated)) == 1
        assert len(smtp.messages) == 1                                 # one e-mail, not two
        with other.app_context():
            assert sla_jobs.run_daily(now + timedelta(hours=1)) == []
    finally:
        other.extensions["gongkai.engine"].dispose()


def test_background_thread_writes_todays_digest(app, monkeypatch):
    """The service thread itself: today made a working day by an override, DIGEST_TIME midnight."""
    overdue_feedback(app, date(2026, 1, 5))
    with app.app_context():
        s = db.session()
        s.merge(CalendarOverride(day=fbs.today(), working=True))
        s.commit()
    app.config["DIGEST_TIME"] = "00:00"
    monkeypatch.setattr(sla_jobs, "TICK_SECONDS", 0.05)
    thread = sla_jobs.start_digest_job(app)
    try:
        deadline = clock.monotonic() + 20
        count = 0
        while clock.monotonic() < deadline and count < 2:
            clock.sleep(0.1)
            with app.app_context():
                count = db.session().scalar(select(func.count()).select_from(DigestRun))
                db.close_session()
        assert count == 2
    finally:
        thread.stop.set()
        thread.join(5)


def test_digest_page_and_api(app, api):
    overdue_feedback(app, date(2026, 9, 28), "门诊部", "候诊 <太久>")
    with app.app_context():
        sla_jobs.run_daily(at(date(2026, 10, 12), 9))
    bob = Staff(app, "bob")
    page = bob.get("/admin/feedback/digests")
    assert page.status_code == 200 and "每日超期汇总" in page.text and "2026-10-12" in page.text
    assert "门诊部" in page.text and "候诊 &lt;太久&gt;" in page.text and "未发邮件" in page.text
    assert Staff(app, "alice").get("/admin/feedback/digests").status_code == 403
    assert "Daily overdue digests" in bob.get("/admin/feedback/digests?lang=en").text
    resp = api.call("GET", "/feedback/digests", "sue")
    assert resp.status_code == 200 and resp.get_json()[0]["overdue"] == 1
    assert resp.get_json()[0]["departments"]["门诊部"][0]["text"] == "候诊 <太久>"
    denied = api.call("GET", "/feedback/digests", "alice")
    assert denied.status_code == 403 and denied.get_json()["error"] == "您没有执行此操作的角色权限"


def test_smtp_settings_are_documented():
    from pathlib import Path
    from server.config import SETTINGS
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    names = [n for n, _, _ in SETTINGS if n.startswith(("SMTP_", "DIGEST_"))]
    assert len(names) == 13 and all(f"`{n}`" in readme for n in names)


def test_digest_command_runs_once_and_reports_mail_failure(template_instance, tmp_path):
    """python -m server digest in a real process: written; then already written, SMTP down → exit 1."""
    import os
    import shutil
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    inst = tmp_path / "inst"
    shutil.copytree(template_instance, inst)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "server", *args, "--instance", str(inst)],
                              capture_output=True, text=True, cwd=root, timeout=120, env=dict(os.environ))

    first = cli("digest")
    assert first.returncode == 0, first.stderr
    assert "H001" in first.stdout and "H002" in first.stdout
    assert ": written; 0 overdue" in first.stdout and "e-mail off" in first.stdout
    (inst / "config.py").write_text(
        f'SMTP_HOST = "127.0.0.1"\nSMTP_PORT = {free_port()}\nDIGEST_RECIPIENTS = "a@b.cn"\n'
        'DIGEST_RETRY_MINUTES = 0\n', encoding="utf-8")
    with sqlite3.connect(inst / "gongkai.db") as con:                 # make today's digest owe an e-mail
        con.execute("UPDATE sla_digest_run SET mail_status='failed', mail_pending='[\"*\"]' "
                    "WHERE unit_id = (SELECT id FROM unit WHERE code = 'H001')")
    down = cli("digest")
    assert down.returncode == 1 and "already written" in down.stdout
    assert "e-mail failed (ConnectionRefusedError" in down.stdout and "Traceback" not in down.stderr


def test_a_failing_digest_gives_the_day_back(app, monkeypatch):
    """An error while writing the digest is raised to the loop (which logs it) and the day's row is
    released, so the next tick writes it; a malformed per-department setting is ignored, not fatal."""
    overdue_feedback(app, date(2026, 9, 28))
    app.config.update({"SMTP_HOST": "127.0.0.1", "DIGEST_DEPARTMENT_RECIPIENTS": "mz@hospital.cn"})
    now = at(date(2026, 10, 12), 9)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sla_jobs, "digest_data", broken)
    with app.app_context():
        with pytest.raises(RuntimeError):
            sla_jobs.run_daily(now)
        assert db.session().scalar(select(func.count()).select_from(DigestRun)) == 0
    monkeypatch.undo()
    with app.app_context():
        made = sla_jobs.run_daily(now)
        assert len(made) == 2 and made[0].overdue == 1 and made[0].mail_status == "off"


def self_signed(tmp_path):
    """A certificate for 127.0.0.1 signed by itself, as a hospital's internal mail server might have."""
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.hospital.test")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "mail.pem", tmp_path / "mail.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_starttls_verifies_the_mail_servers_certificate(app, tmp_path):
    """STARTTLS against a server that demands it: refused (logged) until SMTP_CA_FILE names its CA."""
    import ssl
    cert_file, key_file = self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            tls_context=tls, require_starttls=True)
    controller.start()
    try:
        mail_settings(app, port, SMTP_STARTTLS=True, DIGEST_RETRY_MINUTES=0,
                      DIGEST_DEPARTMENT_RECIPIENTS={})
        overdue_feedback(app, date(2026, 9, 28))
        now = at(date(2026, 10, 12), 9)
        with app.app_context():
            run = sla_jobs.run_daily(now)[0]
            assert run.mail_status == "failed" and "SSLCertVerificationError" in run.mail_error
            assert inbox.messages == []
            app.config["SMTP_CA_FILE"] = str(cert_file)
            sla_jobs.run_daily(now + timedelta(minutes=1))
            assert db.session().get(DigestRun, run.id).mail_status == "sent"
        assert inbox.logins == [(b"gongkai", b"mail-pass")] and len(inbox.messages) == 1
    finally:
        controller.stop()
