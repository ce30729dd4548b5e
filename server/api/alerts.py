"""紧急通知 in the staff API: raise, clear and list the alerts that cover screens at once."""
from __future__ import annotations

from flask import g, jsonify, request

from server import db

from server.screens import signage_rules
from server.api import bp, caller_unit, json_body
from server.auth import units_of
from server.screens.models import SignageAlert
from server.validation import ServiceError


@bp.post("/alerts")
def raise_alert():
    """Raise an alert on the unit's screens (or the named groups): approvers and admins only."""
    data = json_body()
    unit = caller_unit(data.get("unit") if isinstance(data.get("unit"), str) else None)
    alert = signage_rules.raise_alert(db.session(), g.user, unit, data)
    return jsonify(signage_rules.alert_dict(alert)), 201


@bp.post("/alerts/<int:alert_id>/clear")
def clear_alert(alert_id: int):
    """Clear an alert: it leaves every screen; 409 if cleared already."""
    s = db.session()
    alert = s.get(SignageAlert, alert_id)
    if alert is None or alert.unit_id not in {u.id for u in units_of(s, g.user)}:
        raise ServiceError(404, "not_found")
    return jsonify(signage_rules.alert_dict(signage_rules.clear_alert(s, g.user, alert)))


@bp.get("/alerts")
def list_alerts():
    """Alerts of the caller's units, active first; ?active=1 keeps only those on screens now."""
    rows = signage_rules.unit_alerts(db.session(), [u.id for u in units_of(db.session(), g.user)])
    if request.args.get("active"):
        rows = [a for a in rows if a.cleared_at is None]
    return jsonify([signage_rules.alert_dict(a) for a in rows])
