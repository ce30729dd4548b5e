"""Settings declared once as (name, default, help); defaults, the README's table and the check that
refuses unknown names all derive from this list."""
from __future__ import annotations

import os
import re

SETTINGS: list[tuple[str, object, str]] = [
    ("SECRET_KEY", None, "Signs session cookies; generated into the instance folder on first start."),
    ("DATABASE_URL", None, "SQLAlchemy URL; default SQLite (WAL) file gongkai.db in the instance folder."),
    ("MEDIA_DIR", None, "Where uploaded media is stored by SHA-256; default <instance>/media."),
    ("PUBLIC_BASE_URL", "", "Address phones use to reach this server (the QR codes hold it), e.g. https://gongkai.hospital.cn; empty: run and demo use http://<this host's first non-loopback address>:<port> and print it."),
    ("DEFAULT_LANGUAGE", "zh", "Language of pages and errors when the client does not ask (zh or en)."),
    ("LOGIN_MAX_FAILURES", 5, "Failed logins per user name and client within the window before that client is locked out for the name; from all clients together, before the name's back-off starts."),
    ("LOGIN_WINDOW_SECONDS", 900, "Length of the login rate-limit window."),
    ("LOGIN_CLIENT_MAX_FAILURES", 20, "Failed logins from one client across all user names within the window before it is locked out."),
    ("LOGIN_BACKOFF_MAX_SECONDS", 60, "Longest wait the per-name back-off imposes between login attempts (it doubles with each failure past LOGIN_MAX_FAILURES)."),
    ("TRUSTED_PROXIES", 0, "Reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto are believed (deploy/install-server.sh sets 1 for its nginx); 0 believes none."),
    ("TOKEN_DAYS", 30, "How long a staff API bearer token stays valid."),
    ("MAX_BODY_BYTES", 100 * 1024, "Largest item body (Markdown) accepted, in bytes."),
    ("MAX_TABLE_ROWS", 50000, "Largest number of rows in an uploaded CSV table."),
    ("MAX_UPLOAD_BYTES", 20 * 1024 * 1024, "Largest upload (CSV or image) accepted, in bytes."),
    ("MAX_IMAGE_PIXELS", 40_000_000, "Images with more pixels are refused as decompression bombs."),
    ("FEEDBACK_DAYS", 5, "Working days to handle a feedback (限时办结)."),
    ("FEEDBACK_DAYS_BY_KIND", {}, "Per feedback type, working days to handle it, overriding FEEDBACK_DAYS."),
    ("FEEDBACK_ESCALATE_AFTER", 3, "Working days overdue after which a feedback goes to the supervisor."),
    ("PUBLIC_RATE_LIMIT", 10, "Public form submissions allowed per client within the window."),
    ("PUBLIC_RATE_WINDOW", 60, "Length of the public forms' rate-limit window, in seconds."),
    ("ENROL_RATE_LIMIT", 10, "Screen enrolments allowed per client within ENROL_RATE_WINDOW seconds."),
    ("ENROL_RATE_WINDOW", 60, "Length of the enrolment rate-limit window, in seconds."),
    ("LOOKUP_RATE_LIMIT", 5, "Lookups of a tracking code by phone number and date allowed per client, and per phone number, within the window."),
    ("LOOKUP_RATE_WINDOW", 3600, "Length of the phone-number lookup's rate-limit window, in seconds."),
    ("REQUEST_DAYS", 20, "Working days to answer a 依申请公开 request."),
    ("REQUEST_EXTENSION_DAYS", 20, "Working days one extension of a request adds (with a notice)."),
    ("REQUEST_CORRECTION_DAYS", 7, "Working days within which a correction (补正) may be asked."),
    ("REQUEST_LONG_OVERDUE_DAYS", 20, "Working days past the due date after which a request is long overdue."),
    ("FEEDBACK_PERSONAL_DATA_MONTHS", 0, "Months after a feedback or request is closed before its name, phone, ID number and photo are erased (0: kept forever)."),
    ("DIGEST_TIME", "08:30", "Local time (HH:MM) on each working day when the overdue digest is written and e-mailed."),
    ("DIGEST_KEEP", 30, "How many daily overdue digests per unit the admin UI keeps."),
    ("DIGEST_RETRY_MINUTES", 10, "Minutes between attempts to e-mail a digest whose sending failed."),
    ("DIGEST_RECIPIENTS", "", "Comma-separated addresses that get the whole overdue digest (empty: none)."),
    ("DIGEST_DEPARTMENT_RECIPIENTS", {}, "Department name → comma-separated addresses that get that department's part."),
    ("SMTP_HOST", "", "Mail server for the overdue digest; empty means no e-mail (the digest is still written)."),
    ("SMTP_PORT", 25, "Mail server port (587 with SMTP_STARTTLS, 25 inside the hospital network)."),
    ("SMTP_USER", "", "Mail server login name; empty means no login."),
    ("SMTP_PASSWORD", "", "Mail server password for SMTP_USER."),
    ("SMTP_FROM", "", "Sender address of the digest e-mail (default: SMTP_USER, else gongkai@localhost)."),
    ("SMTP_STARTTLS", False, "Upgrade the mail connection with STARTTLS before logging in."),
    ("SMTP_CA_FILE", "", "PEM file of the CA that signed the mail server's certificate (e.g. the hospital's own); empty: the system's CAs."),
    ("SMTP_TIMEOUT", 10, "Seconds to wait for the mail server before the attempt counts as failed."),
    ("MEDIA_X_ACCEL", "", "Behind nginx: URL prefix of its internal media location (e.g. /_media/), so nginx sends files from disk after the app's access check."),
    ("TIMEZONE_OFFSET_HOURS", 8, "Local time offset used for working days and display (China: +8)."),
    ("COMPLIANCE_STUCK_DAYS", 3, "Working days a revision may wait in one review step before 公开监督 lists it as stuck."),
    ("COMPLIANCE_SOON_DAYS", 5, "Working days before a due date from which 公开监督 shows it as due soon."),
    ("INGEST_DIR", "", "Drop folder for ingest (inbox/[<unit-code>/]<category-slug>/); default <instance>/inbox."),
    ("INGEST_SETTLE_SECONDS", 2.0, "A dropped file is read only after its size and mtime have not changed for this long, and taken only if it is still the same this long after reading."),
    ("INGEST_ABANDON_SECONDS", 600, "A file left this long under a temporary name, empty, or still ending in empty bytes (a pre-allocated write) is moved to rejected/ with a reason."),
    ("INGEST_RESCAN_SECONDS", 30, "How often the inbox is rescanned in case a file-system event was missed."),
    ("INGEST_MAX_BYTES", 50 * 1024 * 1024, "Dropped files this large or larger are rejected unread, with a reason file."),
    ("TABLE_DIFF_KEYS", ["项目编码", "编码", "药品编码", "收费编码", "医保编码", "代码", "工号"], "Column names tried in order as the row key when diffing a draft's table against the published one (else the first column)."),
    ("BOARD_TASK_DAYS", 2, "Working days after a correction, withdrawal or end of display by which an outdated 公开栏 print must be replaced or taken down."),
    ("RECTIFICATION_DAYS", 10, "Working days a member hospital has, from a 督查通报's publication, to answer each finding with a 整改 note."),
    ("REPORT_DUE_WORKDAYS", 5, "信息报送: a hospital's monthly report is due at its bureau by this working day of the next month."),
    ("REPORT_FIRST_MONTH", "", "信息报送: the first month (YYYY-MM) hospitals owe a monthly report; months before it that were not sent show as 未启用, not 逾期未报. Empty: every month counts."),
]


def defaults() -> dict:
    """The default value of every setting."""
    return {name: default for name, default, _ in SETTINGS}


def documented() -> dict[str, str]:
    """Setting name → help text, for the README and --help."""
    return {name: help_text for name, _, help_text in SETTINGS}

# GONGKAI_* variables that belong to the screen apps, the deployment or the tests, not to the server's
# settings: (name, who reads it, what it does). The server accepts them in its environment.
ENVIRONMENT: list[tuple[str, str, str]] = [
    ("GONGKAI_SERVER", "deploy", "The server URL the screen units pass to python -m kiosk / signage (/etc/gongkai/screen.env)."),
    ("GONGKAI_CJK_FONT", "screens", "Path of the CJK font file the screens use for regular text (default: found in Debian's fonts)."),
    ("GONGKAI_CJK_FONT_BOLD", "screens", "Path of the bold CJK font file (default: found in Debian's fonts)."),
    ("GONGKAI_FONT_CACHE", "screens", "Folder for the font faces copied out of Noto Sans CJK (default ~/.cache/gongkai/fonts)."),
    ("GONGKAI_DISPLAY_OFF", "signage", "Shell command that switches the display off for the night screen (optional)."),
    ("GONGKAI_DISPLAY_ON", "signage", "Shell command that switches the display on again in the morning (optional)."),
    ("GONGKAI_INSTANCE", "./gongkai", "Instance folder ./gongkai demo uses (default ./instance)."),
    ("GONGKAI_TEST_BACKENDS", "tests", "postgres: run every app test on PostgreSQL as well."),
    ("GONGKAI_AXE_JS", "tests", "Path of axe.min.js for the accessibility tests (default: the one ./gongkai installs)."),
    ("GONGKAI_KIOSK_UI", "tests", "Internal: marks the kiosk UI test's child process."),
    ("GONGKAI_KIOSK_SIZE", "tests", "Internal: window size of the kiosk UI test's child process."),
    ("GONGKAI_KIOSK_FIGURES", "tests", "Internal: where the kiosk UI test's child writes its figures."),
    ("GONGKAI_SIGNAGE_UI", "tests", "Internal: marks the signage UI test's child process."),
    ("GONGKAI_SIGNAGE_SIZE", "tests", "Internal: window size of the signage UI test's child process."),
]


MONTH_SETTINGS = ("REPORT_FIRST_MONTH",)   # "" or "YYYY-MM"


class UnknownSetting(Exception):
    """A name in the instance's config.py or a GONGKAI_* variable that is not a setting: a typo
    there would otherwise be ignored silently and the default used."""


def check_names(file_names, environ=None, framework_names=()) -> None:
    """Raise UnknownSetting naming every unknown setting in config.py (`file_names`) and the
    environment; Flask's own setting names (`framework_names`) are accepted in config.py."""
    known = set(defaults())
    environ = os.environ if environ is None else environ
    problems = [f"{name} (config.py)" for name in sorted(set(file_names) - known - set(framework_names))]
    other = {name for name, _, _ in ENVIRONMENT}
    problems += [f"{name} (environment)" for name in sorted(environ)
                 if name.startswith("GONGKAI_") and name[8:] not in known and name not in other]
    if problems:
        raise UnknownSetting("unknown setting: " + ", ".join(problems)
                             + " — see the settings table in README.md")


class BadSetting(UnknownSetting):
    """A setting whose value cannot work (e.g. a month that is not YYYY-MM): refused at start-up,
    not discovered by the page that reads it."""


def check_values(settings) -> None:
    """Raise BadSetting naming each setting whose value has the wrong shape."""
    bad = [f"{name}={settings.get(name)!r} (YYYY-MM or empty)" for name in MONTH_SETTINGS
           if not re.fullmatch(r"(\d{4}-(0[1-9]|1[0-2]))?", str(settings.get(name) or ""))]
    if bad:
        raise BadSetting("bad setting: " + ", ".join(bad))
