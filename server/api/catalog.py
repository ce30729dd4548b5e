"""GET /api/v1/catalog: the caller's unit's 公开目录."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from server import db
from server.api import bp, caller_unit
from server.models import Category


def category_json(cat: Category) -> dict:
    return {"id": cat.key, "name": cat.name, "name_en": cat.name_en, "parent": cat.parent_key,
            "audiences": cat.audiences, "time_rule": cat.time_rule, "owner": cat.owner,
            "description": cat.description, "sensitive": cat.sensitive}


@bp.get("/catalog")
def catalog():
    """Every category of the unit, parents before children."""
    unit = caller_unit()
    cats = db.session().scalars(select(Category).where(Category.unit_id == unit.id)
                                .order_by(Category.position, Category.id))
    return jsonify([category_json(c) for c in cats])
