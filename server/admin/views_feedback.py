"""反馈与依申请公开 (reviewer, handler, supervisor): inbox with due-soon/overdue badges, staff-entered
channels, assign / answer / publish / close / escalate, requests, 评议 statistics, QR location codes.
Thin views over server/hearing/feedback.py and server/hearing/requests.py."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from server.guard.bounds import as_id
from server.auth import require_roles
from server import db, staff
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.hearing import satisfaction as sat
from server.hearing.tracking import rating_url
from server.admin import bp, set_unit
from server.admin.forms import field_errors
from server.i18n import t, term
from server.hearing.models import Feedback, FeedbackPoint, InfoRequest
from server.models import RoleGrant, User
from server.validation import ServiceError
from server.workdays import calendar_for



def _handlers(unit) -> list[User]:
    return list(db.session().scalars(select(User).join(RoleGrant).where(
        RoleGrant.unit_id == unit.id, RoleGrant.role == "handler", User.active.is_(True))
        .order_by(User.username)))


def _feedback(fb_id: int) -> Feedback:
    fb = db.session().get(Feedback, fb_id)
    if fb is None or fb.unit_id not in {u.id for u in g.units}:
        abort(404)
    if fb.unit_id != g.unit.id:
        set_unit(fb.unit)
    if not fbs.can_view(g.user, fb):
        raise ServiceError(403, "forbidden")
    return fb


@bp.get("/feedback")
def feedback_inbox():
    """Inbox: open feedback first, soonest due first; overdue ones past the limit go to the supervisor."""
    s = db.session()
    status = request.args.get("status", "open")
    fbs.escalate_overdue(s, g.unit)
    rows = fbs.inbox(s, g.user, g.unit, status if status != "all" else None)
    cal = calendar_for(s)
    badges = {fb.id: fbs.badge(s, fb, cal=cal) for fb in rows}
    return render_template("admin/feedback_inbox.html", rows=rows, badges=badges, status=status,
                           digest=fbs.overdue_digest(s, g.unit), mask=fbs.mask_phone)


@bp.get("/feedback/digests")
def feedback_digests():
    """每日超期汇总: the digests the daily job wrote (and whether the e-mail went out), newest first."""
    from server.hearing import sla_jobs
    require_roles(g.user, g.unit, *sla_jobs.READERS)
    return render_template("admin/feedback_digests.html", runs=sla_jobs.recent(db.session(), g.unit))


@bp.route("/feedback/new", methods=["GET", "POST"])
def new_feedback():
    """登记: a hotline call, a note from the suggestion box or a visit, entered by staff."""
    require_roles(g.user, g.unit, *fbs.STAFF)
    values, errors = dict(request.form.items()), {}
    if request.method == "POST":
        channel = values.get("channel")
        try:
            if channel not in fbs.STAFF_CHANNELS:
                raise ServiceError(422, "invalid", {"channel": ("required", {})})
            fb, _ = fbs.create(db.session(), g.unit, values, channel=channel, actor=g.user.username)
        except ServiceError as exc:
            db.session().rollback()
            errors = field_errors(exc)
        else:
            flash(t("fb.created_link", code=fb.code, url=rating_url(fb.code)))
            return redirect(url_for("admin.feedback_detail", fb_id=fb.id))
    return render_template("admin/feedback_new.html", values=values, errors=errors,
                           kinds=fbs.KINDS, channels=fbs.STAFF_CHANNELS), 422 if errors else 200


def source_name(s, fb: Feedback) -> str:
    """来源 as staff know it: the screen's name and place, or the poster's location, not its code."""
    from server.screens.models import Device
    if not fb.screen_code:
        return ""
    point = s.scalar(select(FeedbackPoint).where(FeedbackPoint.code == fb.screen_code))
    if point is not None:
        return point.name
    device = s.get(Device, fb.device_id) if fb.device_id else \
        s.scalar(select(Device).where(Device.screen_code == fb.screen_code))
    if device is not None:
        return " · ".join(x for x in (device.name, device.location) if x) or fb.screen_code
    return fb.screen_code


def _detail(fb: Feedback, errors: dict | None = None, status: int = 200):
    s = db.session()
    return render_template("admin/feedback.html", fb=fb, errors=errors or {}, kinds=fbs.KINDS,
                           source=source_name(s, fb), departments=staff.department_names(s, fb.unit, fb.department),
                           handlers=_handlers(fb.unit), badge=fbs.badge(s, fb),
                           phone=fb.phone if fbs.sees_phone(g.user, fb) else fbs.mask_phone(fb.phone)
                           if fb.phone else ""), status


@bp.get("/feedback/<int:fb_id>")
def feedback_detail(fb_id: int):
    """One feedback: its text, timeline of steps, and the actions the user may take."""
    return _detail(_feedback(fb_id))


@bp.post("/feedback/<int:fb_id>/<action>")
def feedback_action(fb_id: int, action: str):
    """分办 / 答复 / 发布 / 办结 / 上报: one step, timed and audited."""
    fb = _feedback(fb_id)
    if action not in fbs.ACTIONS:
        abort(404)
    s, form = db.session(), request.form
    data = {**form.to_dict(), "conduct": form.get("conduct") == "1",
            "handler": as_id(form.get("handler", ""))}
    try:
        fbs.act(s, g.user, fb, action, data)
    except ServiceError as exc:
        s.rollback()
        return _detail(s.get(Feedback, fb_id), {action: field_errors(exc)}, exc.status)
    flash(term("fb.done", action))
    return redirect(url_for("admin.feedback_detail", fb_id=fb.id))


def _request(req_id: int) -> InfoRequest:
    req = db.session().get(InfoRequest, req_id)
    if req is None or req.unit_id not in {u.id for u in g.units}:
        abort(404)
    if req.unit_id != g.unit.id:
        set_unit(req.unit)
    require_roles(g.user, g.unit, *fbs.STAFF)
    return req


@bp.get("/requests")
def requests_list():
    """依申请公开: requests with their statutory due dates and delayed / long-overdue alerts."""
    s = db.session()
    status = request.args.get("status", "open")
    rows = rqs.listing(s, g.user, g.unit, status if status != "all" else None)
    cal = calendar_for(s)
    return render_template("admin/requests.html", rows=rows, status=status,
                           alerts={r.id: rqs.alert(s, r, cal=cal) for r in rows})


@bp.route("/requests/new", methods=["GET", "POST"])
def request_new():
    """登记依申请公开: a request that came by letter, in person or by phone, entered by staff."""
    require_roles(g.user, g.unit, *fbs.STAFF)
    values, errors = dict(request.form.items()), {}
    if request.method == "POST":
        try:
            req, _ = rqs.create_by_staff(db.session(), g.user, g.unit, values)
        except ServiceError as exc:
            db.session().rollback()
            errors = field_errors(exc)
        else:
            flash(t("fb.created", code=req.code))
            return redirect(url_for("admin.request_detail", req_id=req.id))
    return render_template("admin/request_new.html", values=values, errors=errors, rqs=rqs), \
        422 if errors else 200


def _request_page(req: InfoRequest, errors: dict | None = None, status: int = 200):
    s = db.session()
    return render_template("admin/request.html", req=req, errors=errors or {}, alert=rqs.alert(s, req),
                           answer_types=rqs.ANSWER_TYPES,
                           id_number=rqs.shown_id_number(g.user, req),
                           extension_days=rqs.setting("REQUEST_EXTENSION_DAYS")), status


@bp.get("/requests/<int:req_id>")
def request_detail(req_id: int):
    """One request: applicant, clock, timeline and the next steps."""
    return _request_page(_request(req_id))


@bp.post("/requests/<int:req_id>/<action>")
def request_action(req_id: int, action: str):
    """补正 / 补正后重新计时 / 延期 / 答复 / 办结."""
    req = _request(req_id)
    if action not in rqs.ACTIONS:
        abort(404)
    s, form = db.session(), request.form
    days = form.get("days", "").strip()
    data = {**form.to_dict(), "days": int(days) if days.isdigit() else None if not days else -1,
            "item": as_id(form.get("item", ""))}
    try:
        rqs.act(s, g.user, req, action, data)
    except ServiceError as exc:
        s.rollback()
        return _request_page(s.get(InfoRequest, req_id), {action: field_errors(exc)}, exc.status)
    flash(term("rq.done", action))
    return redirect(url_for("admin.request_detail", req_id=req.id))


@bp.get("/satisfaction")
def satisfaction():
    """评议: satisfaction per screen, category, department and month; under 80 % is 需整改."""
    require_roles(g.user, g.unit, *fbs.STATS_READERS)
    s = db.session()
    month = request.args.get("month") or fbs.today().strftime("%Y-%m")
    try:
        stats = sat.satisfaction(s, g.unit, month)
    except ValueError:
        abort(404)
    return render_template("admin/feedback_stats.html", stats=stats,
                           figures=sat.month_figures(s, g.unit, month))


def slide_body(unit, month: str, figures: dict) -> str:
    """The statistics slide's Markdown: this month's received / answered on time / satisfaction."""
    def show(value) -> str:
        return "—" if value is None else f"{value} %"
    return (f"# {unit.name} {month} 意见反馈情况\n\n"
            "| 项目 | 数据 |\n|---|---|\n"
            f"| 本月收到 | {figures['received']} 件 |\n"
            f"| 已答复 | {figures['answered']} 件 |\n"
            f"| 按时答复率 | {show(figures['on_time_pct'])} |\n"
            f"| 满意率 | {show(figures['satisfaction_pct'])} |\n\n"
            "扫描屏幕上的二维码即可留言，我们将在 5 个工作日内答复。")


@bp.post("/satisfaction/slide")
def statistics_slide():
    """统计幻灯片: a draft item with this month's figures, to go through the normal approval flow."""
    from server.disclosure import items
    s = db.session()
    month = request.form.get("month") or fbs.today().strftime("%Y-%m")
    try:
        figures = sat.month_figures(s, g.unit, month)
    except ValueError:
        abort(404)
    data = {"category": "complaints", "title": f"{month} 意见反馈统计",
            "body": slide_body(g.unit, month, figures),
            "signage": {"enabled": True, "slide": "stats", "duration": 20, "order": 0,
                        "stats": {"month": month, **{k: figures[k] for k in (
                            "received", "answered", "on_time_pct", "satisfaction_pct")}}}}
    try:
        item = items.create_draft(s, g.user, g.unit, data)
    except ServiceError as exc:
        s.rollback()
        flash(" ".join(field_errors(exc).values()))
        return redirect(url_for("admin.satisfaction", month=month))
    return redirect(url_for("admin.item", item_id=item.id))


@bp.route("/feedback/points", methods=["GET", "POST"])
def feedback_points():
    """二维码位置: location codes (公开栏, 意见箱, wards) that printed posters open like a screen code."""
    require_roles(g.user, g.unit, *fbs.POINT_MANAGERS)
    s, errors, values = db.session(), {}, dict(request.form.items())
    if request.method == "POST":
        try:
            fbs.add_point(s, g.user, g.unit, values.get("code", ""), values.get("name", ""))
            flash(t("flash.saved"))
            return redirect(url_for("admin.feedback_points"))
        except ServiceError as exc:
            s.rollback()
            errors = field_errors(exc)
    points = s.scalars(select(FeedbackPoint).where(FeedbackPoint.unit_id == g.unit.id)
                       .order_by(FeedbackPoint.code)).all()
    return render_template("admin/feedback_points.html", points=points, errors=errors,
                           values=values), 422 if errors else 200


FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
A4 = (1240, 1754)  # 150 dpi


def poster(unit, code: str, place: str, base_url: str):
    """An A4 poster: hospital name, the QR code of /f/<code>, "扫码留言 · 意见建议 · 投诉", the hotline."""
    import qrcode
    from PIL import Image, ImageDraw, ImageFont
    page = Image.new("RGB", A4, "white")
    draw = ImageDraw.Draw(page)

    def text(y: int, words: str, size: int, fill="#1f2328") -> None:
        try:
            font = ImageFont.truetype(FONT, size)
        except OSError:
            font = ImageFont.load_default(size)
        width = draw.textlength(words, font=font)
        draw.text(((A4[0] - width) / 2, y), words, font=font, fill=fill)

    draw.rectangle([0, 0, A4[0], 190], fill="#a5141c")
    text(55, unit.name, 72, "white")
    qr = qrcode.QRCode(border=2, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(f"{base_url.rstrip('/')}/f/{code}")
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    image = image.resize((820, 820), Image.NEAREST)
    page.paste(image, ((A4[0] - 820) // 2, 300))
    text(1170, "扫码留言 · 意见建议 · 投诉", 76, "#a5141c")
    text(1290, place, 52)
    if unit.hotline:
        text(1400, f"服务热线：{unit.hotline}", 52)
    text(1560, f"{base_url.rstrip('/')}/f/{code}", 34, "#555c64")
    return page


@bp.get("/feedback/points/<code>/poster.<ext>")
def feedback_poster(code: str, ext: str):
    """二维码海报 as an A4 PNG or PDF, for a location code or a screen code of this unit."""
    import io
    from flask import current_app, send_file
    from server.screens.models import Device
    if ext not in ("png", "pdf"):
        abort(404)
    s = db.session()
    point = s.scalar(select(FeedbackPoint).where(FeedbackPoint.code == code, FeedbackPoint.unit_id == g.unit.id))
    device = s.scalar(select(Device).where(Device.screen_code == code, Device.unit_id == g.unit.id))
    if point is None and device is None:
        abort(404)
    place = point.name if point is not None else (device.location or device.name)
    page = poster(g.unit, code, place, current_app.config["PUBLIC_BASE_URL"])
    out = io.BytesIO()
    page.save(out, "PDF" if ext == "pdf" else "PNG", resolution=150)
    out.seek(0)
    return send_file(out, mimetype="application/pdf" if ext == "pdf" else "image/png",
                     download_name=f"poster-{code}.{ext}")
