"""用户管理: the people of one unit — staff accounts (list, create, change roles, (de)activate) and
the department list (科室/部门) that feedback assignment and catalog owners choose from. Changes are
for the unit's admins only and every one goes to the audit log.

A unit's admin manages that unit's own role grants only: roles carried down from the bureau are shown
but stay the bureau's, and an account that holds roles in another unit can be removed from this one
(its roles here taken away) but not switched off or on — that would reach into the other unit. Such a
refusal is a 403 naming the field, and it is audited."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.model import Role
from server import audit
from server.auth import end_everything, password_problem, require_roles, roles_in, set_roles
from server.instance import USERNAME, create_user
from server.models import Category, Department, Unit, User
from server.validation import ServiceError


def unit_staff(db: Session, unit: Unit) -> list[tuple[User, list[str], list[str]]]:
    """Users with a role in the unit (or with no role anywhere): their roles here, and the codes of
    the other units where they hold roles of their own."""
    out = []
    for user in db.scalars(select(User).order_by(User.username)):
        roles = sorted(r.value for r in roles_in(user, unit))
        if roles or not user.grants:
            out.append((user, roles, other_units(user, unit)))
    return out


def own_roles(user: User, unit: Unit) -> list[str]:
    """The roles granted in this unit itself (not carried down from its bureau)."""
    return sorted({g.role for g in user.grants if g.unit_id == unit.id})


def other_units(user: User, unit: Unit) -> list[str]:
    """Codes of the other units where the user holds a role grant."""
    return sorted({g.unit.code for g in user.grants if g.unit_id != unit.id})


def managed_user(db: Session, admin: User, unit: Unit, user_id: int) -> User:
    """A user this unit's admin may manage; 404 for anyone else."""
    require_roles(admin, unit, Role.ADMIN)
    user = db.get(User, user_id)
    if user is None or not (roles_in(user, unit) or not user.grants):
        raise ServiceError(404, "not_found")
    return user


def _roles(values) -> list[Role]:
    try:
        return [Role(v) for v in values]
    except ValueError as exc:
        raise ServiceError(422, "invalid", {"roles": ("unknown_role", {"detail": str(exc)})}) from None


def create_staff(db: Session, admin: User, unit: Unit, data: dict) -> User:
    """A new account with roles in this unit: user name, display name, password (≥ 8), roles."""
    require_roles(admin, unit, Role.ADMIN)
    username = (data.get("username") or "").strip()
    password = data.get("password") or ""
    errors = {}
    if not USERNAME.match(username):
        errors["username"] = ("bad_username", {})
    elif db.scalar(select(User).where(User.username == username)) is not None:
        errors["username"] = ("username_taken", {})
    problem = password_problem(password, (username, data.get("display_name") or ""))
    if problem:
        errors["password"] = problem
    if not data.get("roles"):
        errors["roles"] = ("required", {})
    if len((data.get("display_name") or "").strip()) > 100:
        errors["display_name"] = ("too_long", {"max": 100})
    if errors:
        raise ServiceError(422, "invalid", errors)
    user = create_user(db, username, password, _roles(data["roles"]), unit,
                       (data.get("display_name") or "").strip(), actor=admin.username)
    db.commit()
    return user


def change_roles(db: Session, admin: User, unit: Unit, user: User, values) -> None:
    """Replace the user's roles in this unit; an admin keeps their own admin role."""
    require_roles(admin, unit, Role.ADMIN)
    roles = _roles(values)
    if user.id == admin.id and Role.ADMIN not in roles:
        raise ServiceError(422, "invalid", {"roles": ("self_lockout", {})})
    before = own_roles(user, unit)
    set_roles(db, user, unit, roles)
    db.flush()
    db.refresh(user)
    audit.record(db, admin.username, "user.roles", f"user:{user.username}@{unit.code}", before,
                 own_roles(user, unit))
    db.commit()


def set_active(db: Session, admin: User, unit: Unit, user: User, active: bool) -> None:
    """停用/启用 an account (it keeps its roles and history): only one whose roles are all in this unit."""
    require_roles(admin, unit, Role.ADMIN)
    if user.id == admin.id and not active:
        raise ServiceError(422, "invalid", {"active": ("self_lockout", {})})
    if user.username.startswith("_") and active:  # system accounts (e.g. _ingest) never log in
        raise ServiceError(422, "invalid", {"active": ("system_account", {})})
    elsewhere = other_units(user, unit)
    if elsewhere:
        audit.refusal(db, admin.username, "user.activate" if active else "user.deactivate",
                      f"user:{user.username}", {"code": "user_elsewhere", "unit": unit.code, "elsewhere": elsewhere})
        raise ServiceError(403, "forbidden", {"active": ("user_elsewhere", {"units": "、".join(elsewhere)})})
    before = user.active
    user.active = bool(active)
    if not user.active:
        end_everything(db, user)
    audit.record(db, admin.username, "user.activate" if active else "user.deactivate",
                 f"user:{user.username}", {"active": before}, {"active": user.active})
    db.commit()


# --- departments ----------------------------------------------------------------------------------

def departments(db: Session, unit: Unit) -> list[Department]:
    """The unit's departments, in use first, then by name."""
    return list(db.scalars(select(Department).where(Department.unit_id == unit.id)
                           .order_by(Department.active.desc(), Department.position, Department.name)))


def department_names(db: Session, unit: Unit, keep: str = "") -> list[str]:
    """Names to choose from: the departments in use, plus `keep` (a value already stored) if it is not."""
    names = [d.name for d in departments(db, unit) if d.active]
    return names + [keep] if keep and keep not in names else names


def check_department(db: Session, unit: Unit, name: str, field: str = "department") -> str:
    """`name` if it is a department in use in the unit; else a 422 naming the field."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(422, "invalid", {field: ("required", {})})
    if name not in department_names(db, unit):
        raise ServiceError(422, "invalid", {field: ("unknown_department", {"name": name})})
    return name


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(422, "invalid", {"name": ("required", {})})
    if len(name) > 100:
        raise ServiceError(422, "invalid", {"name": ("too_long", {"max": 100})})
    return name


def _department(db: Session, unit: Unit, dept_id: int) -> Department:
    dept = db.get(Department, dept_id)
    if dept is None or dept.unit_id != unit.id:
        raise ServiceError(404, "not_found")
    return dept


def add_department(db: Session, admin: User, unit: Unit, name: str) -> Department:
    """A new department (or an old one taken back into use)."""
    require_roles(admin, unit, Role.ADMIN)
    name = _clean_name(name)
    dept = db.scalar(select(Department).where(Department.unit_id == unit.id, Department.name == name))
    if dept is not None and dept.active:
        raise ServiceError(422, "invalid", {"name": ("department_exists", {})})
    if dept is None:
        dept = Department(unit_id=unit.id, name=name)
        db.add(dept)
    dept.active = True
    audit.record(db, admin.username, "department.add", f"unit:{unit.code}", None, {"name": name})
    db.commit()
    return dept


def rename_department(db: Session, admin: User, unit: Unit, dept_id: int, name: str) -> Department:
    """Rename, carrying the new name into the categories it owns and the feedback assigned to it; a
    name that exists already merges the two (how a typo that split the statistics is mended)."""
    from server.hearing.models import Feedback
    require_roles(admin, unit, Role.ADMIN)
    dept = _department(db, unit, dept_id)
    old, name = dept.name, _clean_name(name)
    if name == old:
        return dept
    other = db.scalar(select(Department).where(Department.unit_id == unit.id, Department.name == name))
    for cat in db.scalars(select(Category).where(Category.unit_id == unit.id, Category.owner == old)):
        cat.owner = name
    for fb in db.scalars(select(Feedback).where(Feedback.unit_id == unit.id, Feedback.department == old)):
        fb.department = name
    if other is not None:
        other.active = other.active or dept.active
        db.delete(dept)
        dept = other
    else:
        dept.name = name
    audit.record(db, admin.username, "department.rename", f"unit:{unit.code}", {"name": old},
                 {"name": name, "merged": other is not None})
    db.commit()
    return dept


def set_department_active(db: Session, admin: User, unit: Unit, dept_id: int, active: bool) -> Department:
    """停用 a department (no longer offered; what it owns keeps the name) or 启用 it again."""
    require_roles(admin, unit, Role.ADMIN)
    dept = _department(db, unit, dept_id)
    dept.active = bool(active)
    audit.record(db, admin.username, "department.activate" if active else "department.deactivate",
                 f"unit:{unit.code}", None, {"name": dept.name})
    db.commit()
    return dept
