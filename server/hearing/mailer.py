"""Outgoing e-mail through the hospital's SMTP server (SMTP_* settings), plain text plus simple HTML.
One place that knows smtplib, so the digest job only says who gets which words."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def configured(config) -> bool:
    """E-mail is on when SMTP_HOST is set."""
    return bool(str(config.get("SMTP_HOST") or "").strip())


def addresses(value) -> list[str]:
    """"a@x, b@y" (or a list) → ["a@x", "b@y"], blanks dropped."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return [a.strip() for a in str(value or "").replace(";", ",").split(",") if a.strip()]


def sender(config) -> str:
    return str(config.get("SMTP_FROM") or config.get("SMTP_USER") or "gongkai@localhost")


def build(config, to: list[str], subject: str, text: str, html: str) -> EmailMessage:
    """A UTF-8 multipart/alternative message (the subject is encoded for Chinese)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender(config)
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="gongkai")
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def send(config, to: list[str], subject: str, text: str, html: str) -> None:
    """Send one message; raises OSError / smtplib.SMTPException when the server is down or refuses."""
    msg = build(config, to, subject, text, html)
    timeout = float(config.get("SMTP_TIMEOUT") or 10)
    with smtplib.SMTP(str(config["SMTP_HOST"]), int(config.get("SMTP_PORT") or 25), timeout=timeout) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None))
        if config.get("SMTP_USER"):
            smtp.login(str(config["SMTP_USER"]), str(config.get("SMTP_PASSWORD") or ""))
        smtp.send_message(msg)
