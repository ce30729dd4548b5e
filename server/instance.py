"""Setting up an instance: schema upgrade, the first unit, its catalog, staff accounts."""
from __future__ import annotations

import os
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.catalog import load_catalog
from content.model import Role
from server import audit, db
from server.auth import hash_password, password_problem, set_roles
from server.screens.keys import ensure_keys
from server.models import Category, Department, Unit, User

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
PASSWORD_PROBLEMS = {"password_short": "the password needs at least 8 characters",
                     "password_weak": "the password is too easy to guess (common word, name, date or "
                                      "pattern): use a longer phrase",
                     "too_long": "the password is longer than 200 characters"}


class SetupError(ValueError):
    """A setup step that cannot be done as asked; the message says why."""


def init_instance(app, unit_name: str | None = None, unit_code: str | None = None) -> Unit | None:
    """Create or upgrade the schema; create the first unit (with the default catalog) if none."""
    os.makedirs(app.instance_path, exist_ok=True)
    ensure_keys(app.instance_path)
    db.upgrade(app.extensions["gongkai.engine"])
    with app.app_context():
        s = db.session()
        first = s.scalar(select(Unit).order_by(Unit.id).limit(1))
        if first is not None:
            return first
        unit = add_unit(s, unit_code or "H001", unit_name or "示范医院")
        s.commit()
        return unit


def add_unit(s: Session, code: str, name: str, kind: str = "hospital",
             parent: Unit | None = None, **extra) -> Unit:
    """A unit with its own copy of the default catalog."""
    if s.scalar(select(Unit).where(Unit.code == code)) is not None:
        raise SetupError(f"unit code {code} exists already")
    unit = Unit(code=code, name=name, kind=kind, parent=parent, **extra)
    s.add(unit)
    s.flush()
    seed_catalog(s, unit)
    seed_departments(s, unit)
    audit.record(s, "system", "unit.create", f"unit:{code}", None, {"name": name, "kind": kind})
    return unit


def seed_catalog(s: Session, unit: Unit) -> None:
    """Copy the shipped default catalog into the unit."""
    for position, entry in enumerate(load_catalog().to_list()):
        s.add(Category(unit_id=unit.id, key=entry["key"], name=entry["name"],
                       name_en=entry.get("name_en", ""), parent_key=entry.get("parent"),
                       owner=entry.get("owner", ""), audiences=list(entry["audiences"]),
                       time_rule=dict(entry.get("time_rule") or {}),
                       description=entry.get("description", ""),
                       sensitive=bool(entry.get("sensitive", False)),
                       disclosure_days=int(entry.get("disclosure_days", 20)), position=position))


def seed_departments(s: Session, unit: Unit) -> None:
    """The departments the default catalog names as owners start the unit's department list."""
    owners = sorted({entry.get("owner", "").strip() for entry in load_catalog().to_list()} - {""})
    s.add_all(Department(unit_id=unit.id, name=name) for name in owners)


def parse_roles(text: str) -> list[Role]:
    roles = []
    for name in [r.strip() for r in text.split(",") if r.strip()]:
        try:
            roles.append(Role(name))
        except ValueError:
            raise SetupError(f"unknown role: {name} (known: "
                             + ", ".join(r.value for r in Role) + ")") from None
    if not roles:
        raise SetupError("at least one role is needed")
    return roles


def create_user(s: Session, username: str, password: str, roles, unit: Unit,
                display_name: str = "", actor: str = "system", check_strength: bool = True) -> User:
    """A staff account with roles in one unit; refuses bad names, short passwords, duplicates."""
    if not USERNAME.match(username or ""):
        raise SetupError("user name: 2–64 letters, digits, _ . -")
    problem = password_problem(password, (username, display_name)) if check_strength else None
    if problem:
        raise SetupError(PASSWORD_PROBLEMS.get(problem[0], "the password is not accepted"))
    if s.scalar(select(User).where(User.username == username)) is not None:
        raise SetupError(f"user {username} exists already")
    user = User(username=username, display_name=display_name or username,
                password_hash=hash_password(password))
    s.add(user)
    s.flush()
    set_roles(s, user, unit, roles)
    audit.record(s, actor, "user.create", f"user:{username}", None,
                 {"unit": unit.code, "roles": sorted(Role(r).value for r in roles)})
    return user


def find_unit(s: Session, code: str | None) -> Unit:
    unit = s.scalar(select(Unit).where(Unit.code == code)) if code else \
        s.scalar(select(Unit).order_by(Unit.id).limit(1))
    if unit is None:
        raise SetupError(f"no unit {code}" if code else "no unit yet: run init first")
    return unit
