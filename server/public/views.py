"""The public pages: thin views over server/hearing/feedback.py and server/hearing/requests.py.

Nothing of an item reaches these pages unless the public may see it now
(server/disclosure/exposure.py over content/visibility.py): not its title, not its commitment form."""
from __future__ import annotations

import re
from datetime import date

from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server import db

from server.boards.scan import paper_state
from server.commitments import pledges

from server.hearing import feedback as fbs

from server.hearing import requests as rqs
from server.hearing import tracking
from server.screens.models import Device
from server.hearing.models import Feedback, FeedbackPoint, InfoRequest
from server.disclosure.exposure import public_revision
from server.models import Item, Unit
from server.errors import field_messages
from server.guard.bounds import as_id
from server.i18n import lang_args, t
from server.public import allowed, bp, is_bot, lookup_allowed, new_key, sent_key
from server.disclosure.uploads import store_image
from server.validation import ServiceError
from server.workdays import calendar_for

MAX_PHOTO = 5 * 1024 * 1024
SCREEN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def _where(code: str) -> tuple[Unit, str, str | None]:
    """The unit, place name and device of a screen code or location code (404 when unknown)."""
    if not SCREEN.match(code):
        abort(404)
    s = db.session()
    point = s.scalar(select(FeedbackPoint).options(joinedload(FeedbackPoint.unit))
                     .where(FeedbackPoint.code == code.upper()))
    if point is not None:
        return point.unit, point.name, None
    device = s.scalar(select(Device).options(joinedload(Device.unit))
                      .where(Device.screen_code == code.upper(), Device.status == "active"))
    if device is not None and device.unit is not None:
        return device.unit, device.location or device.name, device.id
    abort(404)


def _item(unit: Unit) -> tuple[Item | None, str]:
    """The item the QR was shown beside (?item=), if it is this unit's and the public may see it now,
    and its title; otherwise nothing, as if no item had been named."""
    item_id = as_id(request.args.get("item", ""))
    item = db.session().get(Item, item_id) if item_id else None
    rev = public_revision(item) if item is not None and item.unit_id == unit.id else None
    return (item, rev.title) if rev is not None else (None, "")


# Service field errors the phone pages word their own way; any other code reads "the input is invalid".
FIELD_ERRORS = {"required": "pub.err.required", "too_long": "pub.err.too_long", "bad_phone": "pub.err.bad_phone",
                "not_found": "pub.err.not_found", "invalid": "pub.err.invalid", "bad_id_card": "bad_id_card"}


def field_message(code: str, params: dict) -> str:
    """A service field error (code, params) as a public page sentence."""
    if code in FIELD_ERRORS:
        return t(FIELD_ERRORS[code], **params)
    return t("pub.err.invalid")


def keep_months() -> int:
    """How long personal data is kept after a case is closed (0: with the case file)."""
    return int(current_app.config.get("FEEDBACK_PERSONAL_DATA_MONTHS", 0) or 0)


def provisional(due) -> bool:
    """The due date lies in a year whose 调休 is not published yet, so it may still move."""
    return calendar_for(db.session()).is_provisional(due)


@bp.errorhandler(404)
def not_found(exc):
    """A friendly page under the public header, with the lookup form, for anything unknown here."""
    qr = request.endpoint in ("public.feedback_form", "public.submit_feedback", "public.rate_commitment")
    return page_not_found("qr" if qr else "code")


def page_not_found(kind: str, code: str = ""):
    """无法识别的二维码 (kind "qr") or 查询码 (kind "code"), with the lookup form and a hint."""
    if kind == "code" and not code:
        code = (request.view_args or {}).get("code", "")
    code = code[:40]
    return render_template("public/not_found.html", kind=kind, code=code,
                           entered=code if kind == "code" else ""), 404


def _errors(exc: ServiceError) -> dict:
    if exc.code == "idem_conflict":   # the same form sent again with other content: plain words for the public
        return {"_form": t("pub.err.idem_conflict")}
    if not exc.fields:
        return {"_form": t("pub.err.invalid")}
    return {name: field_message(code, params) for name, (code, params) in exc.fields.items()}


def _form(code, unit, place, title, values=None, errors=None, status=200):
    pledge = pledges.for_item(db.session(), _item(unit)[0])  # 评诺 is offered beside a published commitment
    return render_template("public/feedback.html", screen=code, unit=unit, place=place, title=title,
                           values=values or {}, errors=errors or {}, key=new_key(), keep_months=keep_months(),
                           writing=request.args.get("write") == "1" or (values or {}).get("text"),
                           kinds=fbs.KINDS, days=fbs.days_for("suggestion"),
                           pledge=pledge, pledge_key=new_key(), pledge_ratings=pledges.RATINGS, rated=request.args.get("rated") == "1",
                           paper=paper_state(db.session(), unit, request.args.get("item"), request.args.get("v")),
                           form_args={k: v for k, v in request.args.items() if k in ("item", "lang")}), status


@bp.get("/f/<code>")
def feedback_form(code: str):
    """扫码留言: the phone form a QR code opens."""
    unit, place, _ = _where(code)
    _, title = _item(unit)
    return _form(code, unit, place, title, {"kind": request.args.get("kind", "")})


@bp.post("/f/<code>/pledge")
def rate_commitment(code: str):
    """评诺: one rating of how a published commitment (?item=) is being kept."""
    unit, place, device_id = _where(code)
    item, title = _item(unit)
    pledge = pledges.for_item(db.session(), item)
    if pledge is None:
        abort(404)
    if not allowed("c"):
        return _form(code, unit, place, title, {}, {"_form": t("pub.err.rate")}, 429)
    key = sent_key(request.form)
    if key is None and not is_bot(request.form):
        return _form(code, unit, place, title, {}, {"_form": t("pub.err.expired")}, 400)
    if not is_bot(request.form):
        try:
            pledges.rate(db.session(), pledge, request.form.get("rating", ""), idem_key=key,
                     screen_code=code.upper(), device_id=device_id)
        except ServiceError as exc:
            db.session().rollback()
            errors = field_messages(exc.fields) if exc.fields else _errors(exc)
            return _form(code, unit, place, title, {}, errors, exc.status)
    return redirect(url_for("public.feedback_form", code=code, item=item.id, rated=1, **lang_args()), 303)


def _photo(errors: dict) -> str | None:
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    data = upload.read(MAX_PHOTO + 1)
    if len(data) > MAX_PHOTO:
        errors["photo"] = t("pub.err.photo_big")
        return None
    try:
        return store_image(data, current_app.config["MEDIA_DIR"], current_app.config["MAX_IMAGE_PIXELS"])["sha256"]
    except ServiceError:
        errors["photo"] = t("pub.err.photo")
        return None


@bp.post("/f/<code>")
def submit_feedback(code: str):
    """Store the feedback once per idempotency key, then show its tracking code."""
    unit, place, device_id = _where(code)
    item, title = _item(unit)
    form = request.form
    values = {k: form.get(k, "") for k in ("kind", "text", "name", "phone")}
    if not allowed("f"):
        return _form(code, unit, place, title, values, {"_form": t("pub.err.rate")}, 429)
    if is_bot(form):
        return render_template("public/received.html", fb=None, unit=unit)
    key = sent_key(form)
    if key is None:
        return _form(code, unit, place, title, values, {"_form": t("pub.err.expired")}, 400)
    clean, errs = fbs.clean(values)
    errors = {name: field_message(c, p) for name, (c, p) in errs.items()}
    photo = _photo(errors) if not errors else None
    if errors:
        return _form(code, unit, place, title, values, errors, 422)
    try:
        fb, created = fbs.create(db.session(), unit, values, idem_key=key, photo_sha=photo,
                                 screen_code=code.upper(), device_id=device_id, item=item)
    except ServiceError as exc:
        db.session().rollback()
        return _form(code, unit, place, title, values, _errors(exc), exc.status)
    return render_template("public/received.html", fb=fb, unit=unit, rate_url=tracking.rating_url(fb.code),
                           rate_key=tracking.rating_key(fb.code), provisional=provisional(fb.due_date))


def _find(code: str):
    s = db.session()
    code = tracking.normalise(code)
    model = Feedback if code.startswith("FK") else InfoRequest
    row = s.scalar(select(model).where(model.code == code)) if tracking.CODE.match(code) else None
    if row is None:
        abort(404)
    return row


def _lookup_page(error=None, errors=None, matches=(), status=200):
    return render_template("public/lookup.html", error=error, errors=errors or {}, matches=matches), status


@bp.get("/t")
def lookup():
    """查询: by the full code, or by the phone number and the day it was sent (rate-limited per
    client and per number)."""
    code = tracking.normalise(request.args.get("code", ""))
    if code:
        if tracking.CODE.match(code):
            return redirect(url_for("public.track", code=code, **lang_args()))
        return page_not_found("code", request.args.get("code", "").strip())
    phone, day = request.args.get("phone", "").strip(), request.args.get("date", "").strip()
    if not (phone or day):
        return _lookup_page()
    errors = {}
    digits = tracking.phone_digits(phone)
    if len(digits) < tracking.MIN_PHONE_DIGITS or len(digits) > 20:
        errors["phone"] = t("pub.err.bad_phone")
    try:
        sent = date.fromisoformat(day)
    except ValueError:
        errors["date"] = t("pub.err.bad_date")
    if errors:
        return _lookup_page(t("pub.err.title"), errors, status=422)
    if not lookup_allowed(digits):
        return _lookup_page(t("pub.err.lookup_rate"), status=429)
    matches = tracking.by_phone_and_day(db.session(), digits, sent)
    if len(matches) == 1:
        return redirect(url_for("public.track", code=matches[0].code, **lang_args()))
    if matches:
        return _lookup_page(matches=[fb.code for fb in matches])
    return _lookup_page(t("pub.err.not_found"), status=404)


def _track_page(fb: Feedback, key, error=None, status=200):
    """The feedback's page; the rating form only with the submitter's rating key."""
    key = key if tracking.rating_key_ok(fb.code, key) else None
    return render_template("public/track.html", fb=fb, ratings=fbs.RATINGS, error=error, key=key,
                           provisional=provisional(fb.due_date)), status


@bp.get("/t/<code>")
def track(code: str):
    """办理进度: status, due date, the published reply and, with the rating link, the one-tap rating."""
    row = _find(code)
    if isinstance(row, InfoRequest):
        item = db.session().get(Item, row.answer_item_id) if row.answer_item_id else None
        rev = public_revision(item)
        return render_template("public/request_status.html", req=row, item_title=rev.title if rev else "",
                               provisional=provisional(row.due_date))
    return _track_page(row, request.args.get("key"))


@bp.post("/t/<code>/rate")
def rate(code: str):
    """One tap: 满意 / 基本满意 / 不满意, once per feedback, only through the submitter's rating link."""
    row = _find(code)
    if not isinstance(row, Feedback):
        abort(404)
    key = request.form.get("key", "")
    if not allowed("t"):
        return _track_page(row, key, t("pub.err.rate"), 429)
    try:
        fbs.rate(db.session(), row, request.form.get("rating", ""), key)
    except ServiceError as exc:
        db.session().rollback()
        error = t("pub.err.rated") if exc.status == 409 else t("rating_key") if exc.status == 403 \
            else t("pub.err.invalid")
        return _track_page(row, key, error, exc.status)
    return redirect(url_for("public.track", code=row.code, key=key, **lang_args()), 303)


def _units() -> list[Unit]:
    return list(db.session().scalars(select(Unit).order_by(Unit.id)))


def _scanned_unit() -> tuple[str, str]:
    """(code, unit code) of the screen or poster the person came from (?at=), else ("", "")."""
    code = request.args.get("at", "")
    if not SCREEN.match(code):
        return "", ""
    s = db.session()
    point = s.scalar(select(FeedbackPoint).where(FeedbackPoint.code == code.upper()))
    device = s.scalar(select(Device).where(Device.screen_code == code.upper(), Device.status == "active")) \
        if point is None else None
    unit = s.get(Unit, point.unit_id if point is not None else device.unit_id) \
        if point is not None or (device is not None and device.unit_id) else None
    return (code, unit.code) if unit is not None else ("", "")


def _request_form(values=None, errors=None, status=200):
    return render_template("public/request.html", units=_units(), values=values or {},
                           errors=errors or {}, key=new_key(), id_types=rqs.ID_TYPES,
                           delivery=rqs.DELIVERY, at=_scanned_unit()[0], keep_months=keep_months()), status


@bp.get("/r")
def request_form():
    """依申请公开: the request form, kept apart from complaints; the unit preset from the screen or
    poster it was opened from (?at=<code>), or chosen with ?unit=."""
    return _request_form({"unit": request.args.get("unit", "") or _scanned_unit()[1]})


@bp.post("/r")
def submit_request():
    """Record the request once per idempotency key; acknowledge it with its tracking code."""
    form = request.form
    values = {k: form.get(k, "") for k in ("unit", "name", "id_type", "id_number", "contact",
                                           "description", "delivery")}
    if not allowed("r"):
        return _request_form(values, {"_form": t("pub.err.rate")}, 429)
    if is_bot(form):
        return render_template("public/request_received.html", req=None)
    key = sent_key(form)
    if key is None:
        return _request_form(values, {"_form": t("pub.err.expired")}, 400)
    units = _units()
    unit = next((u for u in units if u.code == values["unit"]), units[0] if len(units) == 1 else None)
    if unit is None:
        return _request_form(values, {"unit": t("pub.err.required")}, 422)
    try:
        req, _ = rqs.create(db.session(), unit, values, idem_key=key)
    except ServiceError as exc:
        db.session().rollback()
        return _request_form(values, _errors(exc), exc.status)
    return render_template("public/request_received.html", req=req, provisional=provisional(req.due_date))
