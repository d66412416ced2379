"""Unit tree operations. Services flush; the caller commits."""

import re

from sqlalchemy import func, select

from ..audit.services import record_change
from ..errors import DomainError
from ..extensions import db
from .models import Unit, UnitKind, may_place_unit

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
IMPORT_COLUMNS = {"单位编码": True, "单位名称": True, "类型": True, "上级单位编码": False}
IMPORT_KINDS = {"区": UnitKind.DISTRICT, "街道": UnitKind.STREET, "乡镇": UnitKind.TOWNSHIP, "社区": UnitKind.COMMUNITY}


def unit_snapshot(unit):
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent.code if unit.parent else None,
        "is_active": unit.is_active,
    }


def district_id_of(unit):
    district = unit.district
    return district.id if district else None


def get_unit_by_code(code):
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _check_name_free(name, parent, exclude_id=None):
    same_parent = Unit.parent_id == parent.id if parent else Unit.parent_id.is_(None)
    stmt = select(Unit.id).where(Unit.name == name, same_parent)
    if exclude_id is not None:
        stmt = stmt.where(Unit.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise DomainError(f"上级单位下已有名为“{name}”的单位", field="name")


def validate_placement(kind, parent):
    allowed = UnitKind.PARENT_KINDS[kind]
    if not allowed:
        if parent is not None:
            raise DomainError("市级单位不能有上级单位", field="parent")
        return
    if parent is None:
        raise DomainError(f"{UnitKind.LABELS[kind]}必须有上级单位", field="parent")
    if parent.kind not in allowed:
        names = "或".join(UnitKind.LABELS[k] for k in allowed)
        raise DomainError(
            f"{UnitKind.LABELS[kind]}的上级单位必须是{names}，而“{parent.name}”是{parent.kind_label}",
            field="parent",
        )
    if not parent.is_active:
        raise DomainError(f"上级单位“{parent.name}”已停用", field="parent")


def _clean_code_and_name(code, name):
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE_PATTERN.match(code):
        raise DomainError("单位编码只能由 2 到 32 位字母、数字、下划线或连字符组成", field="code")
    if not name:
        raise DomainError("请填写单位名称", field="name")
    if len(name) > 100:
        raise DomainError("单位名称不能超过 100 个字", field="name")
    return code, name


def create_unit(actor, *, code, name, kind, parent):
    code, name = _clean_code_and_name(code, name)
    if kind not in UnitKind.ALL:
        raise DomainError("单位类型无效", field="kind")
    if actor is not None and not may_place_unit(actor, kind, parent):
        raise DomainError("您无权在该上级单位下新建此类单位", field="parent")
    if get_unit_by_code(code) is not None:
        raise DomainError(f"单位编码“{code}”已存在", field="code")
    validate_placement(kind, parent)
    _check_name_free(name, parent)
    unit = Unit(code=code, name=name, kind=kind, parent=parent, path="/pending/")
    db.session.add(unit)
    db.session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    db.session.flush()
    record_change(
        actor,
        "unit.create",
        "unit",
        unit.id,
        label=f"{unit.code} {unit.name}",
        after=unit_snapshot(unit),
        district_id=district_id_of(unit),
    )
    return unit


def update_unit(actor, unit, *, code, name, parent, reason=None):
    """Rename, recode or move a unit (its kind never changes)."""
    before = unit_snapshot(unit)
    code, name = _clean_code_and_name(code, name)
    if code != unit.code and get_unit_by_code(code) is not None:
        raise DomainError(f"单位编码“{code}”已存在", field="code")
    if parent is not None and parent.is_within(unit):
        raise DomainError("不能把单位移到它自己或它的下级单位之下", field="parent")
    if (parent.id if parent else None) != unit.parent_id:
        if actor is not None and not may_place_unit(actor, unit.kind, parent):
            raise DomainError("您无权把单位移到该上级单位之下", field="parent")
        validate_placement(unit.kind, parent)
    _check_name_free(name, parent, exclude_id=unit.id)
    old_path = unit.path
    unit.code, unit.name, unit.parent = code, name, parent
    new_path = (parent.path if parent else "/") + f"{unit.id}/"
    if new_path != old_path:
        for descendant in db.session.scalars(select(Unit).where(Unit.path.startswith(old_path, autoescape=True))):
            descendant.path = new_path + descendant.path[len(old_path) :]
    db.session.flush()
    after = unit_snapshot(unit)
    if after != before:
        record_change(
            actor,
            "unit.update",
            "unit",
            unit.id,
            label=f"{unit.code} {unit.name}",
            before=before,
            after=after,
            reason=reason,
            district_id=district_id_of(unit),
        )
    return unit


def set_unit_active(actor, unit, active, reason=None):
    from ..auth.models import User

    if unit.is_active == active:
        return unit
    if not active:
        if db.session.scalar(
            select(func.count()).select_from(Unit).where(Unit.parent_id == unit.id, Unit.is_active.is_(True))
        ):
            raise DomainError("该单位还有启用中的下级单位，请先停用下级单位")
        if db.session.scalar(
            select(func.count()).select_from(User).where(User.unit_id == unit.id, User.is_enabled.is_(True))
        ):
            raise DomainError("该单位还有启用中的人员账号，请先调整或停用这些账号")
    elif unit.parent is not None and not unit.parent.is_active:
        raise DomainError("上级单位已停用，请先启用上级单位")
    before = unit_snapshot(unit)
    unit.is_active = active
    db.session.flush()
    record_change(
        actor,
        "unit.activate" if active else "unit.deactivate",
        "unit",
        unit.id,
        label=f"{unit.code} {unit.name}",
        before=before,
        after=unit_snapshot(unit),
        reason=reason,
        district_id=district_id_of(unit),
    )
    return unit
