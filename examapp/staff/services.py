"""Managing staff accounts. Services flush; the caller commits."""

from sqlalchemy import select

from .. import access
from ..audit.services import record_change
from ..auth.models import Role, User
from ..auth.passwords import hash_generated_password, hash_password
from ..auth.services import USERNAME_PATTERN, generate_password, normalise_username
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..org.models import UnitKind
from .phones import InvalidPhone, normalise_phone

#: the kinds of unit an account of each role belongs to
ROLE_UNIT_KINDS = {
    Role.EXAMINEE: UnitKind.ASSESSED,
    Role.DISTRICT_ADMIN: (UnitKind.DISTRICT,),
    Role.EXAM_ADMIN: (UnitKind.CITY,),
    Role.OFFICE: (UnitKind.CITY,),
}


def user_snapshot(user):
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "unit": user.unit.code if user.unit else None,
        "phone": user.phone,
        "is_enabled": user.is_enabled,
    }


def district_id_of_user(user):
    district = user.unit.district if user.unit else None
    return district.id if district else None


def role_unit_problem(role, unit):
    """Why an account of ``role`` cannot belong to ``unit``, or None."""
    kinds = ROLE_UNIT_KINDS[role]
    if unit.kind not in kinds:
        names = "、".join(UnitKind.LABELS[k] for k in kinds)
        return f"{Role.LABELS[role]}必须属于{names}级单位，而“{unit.name}”是{unit.kind_label}"
    if not unit.is_active:
        return f"单位“{unit.name}”已停用"
    return None


def username_problem(username):
    if not USERNAME_PATTERN.match(username):
        return "用户名须为 3 到 64 位小写字母、数字或 _ . @ -，并以字母或数字开头"
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        return f"用户名“{username}”已被使用"
    return None


def _check_assignment(actor, role, unit):
    if role not in Role.ALL:
        raise DomainError("角色无效", field="role")
    if actor is not None:
        if role not in access.roles_assignable_by(actor):
            raise DomainError("您无权设置该角色", field="role")
        if not access.can(actor, "units.view", unit):
            raise DomainError("您无权把人员放入该单位", field="unit")
    problem = role_unit_problem(role, unit)
    if problem:
        raise DomainError(problem, field="unit")


def _clean_phone(phone):
    try:
        return normalise_phone(phone)
    except InvalidPhone as exc:
        raise DomainError(str(exc), field="phone") from exc


def create_user(actor, *, username, name, role, unit, phone=None, password=None):
    """Create an account; returns (user, initial_password)."""
    username = normalise_username(username)
    problem = username_problem(username)
    if problem:
        raise DomainError(problem, field="username")
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise DomainError("请填写姓名（不超过 64 个字）", field="name")
    _check_assignment(actor, role, unit)
    initial = password or generate_password()
    user = User(
        username=username,
        name=name,
        role=role,
        unit=unit,
        phone=_clean_phone(phone),
        must_change_password=password is None,
    )
    user.password_hash = hash_generated_password(initial) if password is None else hash_password(initial)
    db.session.add(user)
    db.session.flush()
    record_change(
        actor,
        "user.create",
        "user",
        user.id,
        label=f"{user.username} {user.name}",
        after=user_snapshot(user),
        district_id=district_id_of_user(user),
    )
    return user, initial


def update_user(actor, user, *, name, role, unit, phone, reason=None):
    before = user_snapshot(user)
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise DomainError("请填写姓名（不超过 64 个字）", field="name")
    if actor is not None and actor.id == user.id and role != user.role:
        raise DomainError("不能修改自己的角色", field="role")
    if role != user.role or unit.id != user.unit_id:
        _check_assignment(actor, role, unit)
    old_district = district_id_of_user(user)
    user.name, user.role, user.unit, user.phone = name, role, unit, _clean_phone(phone)
    db.session.flush()
    after = user_snapshot(user)
    if after != before:
        if before["role"] != after["role"]:
            user.end_other_sessions()  # a changed role must not linger in open sessions
        record_change(
            actor,
            "user.update",
            "user",
            user.id,
            label=f"{user.username} {user.name}",
            before=before,
            after=after,
            reason=reason,
            district_id=district_id_of_user(user) or old_district,
        )
    return user


def set_user_enabled(actor, user, enabled, reason=None):
    if actor is not None and actor.id == user.id and not enabled:
        raise DomainError("不能停用自己的账号")
    if user.is_enabled == enabled:
        return user
    if enabled and not user.unit.is_active:
        raise DomainError(f"单位“{user.unit.name}”已停用，请先启用单位或调整人员所属单位")
    before = user_snapshot(user)
    user.is_enabled = enabled
    if not enabled:
        user.end_other_sessions()
    db.session.flush()
    record_change(
        actor,
        "user.enable" if enabled else "user.disable",
        "user",
        user.id,
        label=f"{user.username} {user.name}",
        before=before,
        after=user_snapshot(user),
        reason=reason,
        district_id=district_id_of_user(user),
    )
    return user


def reset_password(actor, user, reason=None):
    """Give ``user`` a new temporary password; returns it (shown once)."""
    temporary = generate_password()
    user.password_hash = hash_generated_password(temporary)
    user.must_change_password = True
    user.password_changed_at = utcnow()
    user.end_other_sessions()
    db.session.flush()
    record_change(
        actor,
        "user.password_reset",
        "user",
        user.id,
        label=f"{user.username} {user.name}",
        reason=reason,
        district_id=district_id_of_user(user),
    )
    return temporary
