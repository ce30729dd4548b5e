"""Public phone pages (feedback form, tracking, requests): placeholder until the feedback issue."""
from flask import Blueprint

bp = Blueprint("public", __name__)
