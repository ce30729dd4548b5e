"""Device API (enrolment, signed feed, event stream): placeholder until the screens issue lands."""
from flask import Blueprint

bp = Blueprint("devices", __name__, url_prefix="/api/v1/devices")
