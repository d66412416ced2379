"""Import and export of the unit tree (DESIGN.md section 5)."""

from sqlalchemy import select

from .. import access
from ..audit.services import record_change
from ..extensions import db
from ..spreadsheets import Problem
from .models import Unit, UnitKind, may_place_unit
from .services import CODE_PATTERN, create_unit, get_unit_by_code

COLUMNS = {"单位编码": True, "单位名称": True, "类型": True, "上级单位编码": False}
KIND_BY_LABEL = {
    "区": UnitKind.DISTRICT,
    "县": UnitKind.DISTRICT,
    "县(市)、区": UnitKind.DISTRICT,
    "街道": UnitKind.STREET,
    "乡镇": UnitKind.TOWNSHIP,
    "乡": UnitKind.TOWNSHIP,
    "镇": UnitKind.TOWNSHIP,
    "社区": UnitKind.COMMUNITY,
}
EXPORT_LABEL = {UnitKind.DISTRICT: "区", UnitKind.STREET: "街道", UnitKind.TOWNSHIP: "乡镇", UnitKind.COMMUNITY: "社区"}
ORDER = {UnitKind.DISTRICT: 0, UnitKind.STREET: 1, UnitKind.TOWNSHIP: 1, UnitKind.COMMUNITY: 2}


def _city():
    return db.session.scalar(select(Unit).where(Unit.kind == UnitKind.CITY, Unit.parent_id.is_(None)))


def check_rows(actor, rows):
    """Validate every row; return (plan, problems). The plan is applied only when problems is empty."""
    problems = []
    by_code = {}
    plan = []
    for raw in rows:
        r = raw["_row"]
        code, name = raw.get("单位编码", ""), raw.get("单位名称", "")
        kind_label, parent_code = raw.get("类型", ""), raw.get("上级单位编码", "")
        ok = True
        if not code:
            problems.append(Problem("单位编码不能为空", r, "单位编码"))
            ok = False
        elif not CODE_PATTERN.match(code):
            problems.append(Problem("单位编码只能由 2 到 32 位字母、数字、下划线或连字符组成", r, "单位编码"))
            ok = False
        elif code in by_code:
            problems.append(Problem(f"单位编码“{code}”与第 {by_code[code]['row']} 行重复", r, "单位编码"))
            ok = False
        if not name:
            problems.append(Problem("单位名称不能为空", r, "单位名称"))
            ok = False
        elif len(name) > 100:
            problems.append(Problem("单位名称不能超过 100 个字", r, "单位名称"))
            ok = False
        kind = KIND_BY_LABEL.get(kind_label)
        if kind is None:
            problems.append(Problem(f"类型“{kind_label}”无效，应为 区、街道、乡镇 或 社区", r, "类型"))
            ok = False
        item = {"row": r, "code": code, "name": name, "kind": kind, "parent_code": parent_code, "ok": ok}
        if code and code not in by_code:
            by_code[code] = item
        plan.append(item)

    city = _city()
    for item in plan:
        if not item["ok"]:
            continue
        r, kind = item["row"], item["kind"]
        if not item["parent_code"] and kind == UnitKind.DISTRICT and city is not None:
            item["parent_code"] = city.code
        parent_code = item["parent_code"]
        if not parent_code:
            problems.append(Problem("上级单位编码不能为空", r, "上级单位编码"))
            continue
        if parent_code == item["code"]:
            problems.append(Problem("上级单位不能是自己", r, "上级单位编码"))
            continue
        parent_db = get_unit_by_code(parent_code)
        parent_file = by_code.get(parent_code) if parent_code in by_code and by_code[parent_code] is not item else None
        if parent_db is None and parent_file is None:
            problems.append(Problem(f"上级单位编码“{parent_code}”不存在", r, "上级单位编码"))
            continue
        existing = get_unit_by_code(item["code"])
        if existing is not None:
            # An unchanged row (a re-imported export) only needs to be visible to the actor.
            same = (
                existing.name == item["name"]
                and existing.kind == kind
                and existing.parent is not None
                and existing.parent.code == parent_code
            )
            if not access.can(actor, "units.view", existing):
                problems.append(Problem(f"单位编码“{item['code']}”已被其他单位使用", r, "单位编码"))
            elif same:
                item["action"] = "unchanged"
            else:
                problems.append(Problem(f"单位编码“{item['code']}”已存在且内容不同，请在单位页面修改", r, "单位编码"))
            continue
        parent_kind = parent_db.kind if parent_db is not None else parent_file["kind"]
        if parent_kind not in UnitKind.PARENT_KINDS[kind]:
            allowed = "或".join(UnitKind.LABELS[k] for k in UnitKind.PARENT_KINDS[kind])
            problems.append(Problem(f"{UnitKind.LABELS[kind]}的上级单位必须是{allowed}", r, "上级单位编码"))
            continue
        if parent_db is not None and not parent_db.is_active:
            problems.append(Problem(f"上级单位“{parent_db.name}”已停用", r, "上级单位编码"))
            continue
        anchor = parent_db if parent_db is not None else _anchor_in_db(parent_file, by_code)
        if anchor is None or not may_place_unit(actor, kind, anchor):
            problems.append(Problem("您无权在该上级单位下导入单位", r, "上级单位编码"))
            continue
        if parent_db is not None and db.session.scalar(
            select(Unit.id).where(Unit.parent_id == parent_db.id, Unit.name == item["name"])
        ):
            problems.append(Problem(f"上级单位下已有名为“{item['name']}”的单位", r, "单位名称"))
            continue
        item["action"] = "create"

    siblings = {}
    for item in plan:
        if item.get("action") == "create":
            key = (item["parent_code"], item["name"])
            if key in siblings:
                problems.append(Problem(f"与第 {siblings[key]} 行同属一个上级单位且名称相同", item["row"], "单位名称"))
            siblings[key] = item["row"]
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return plan, problems


def _anchor_in_db(item, by_code, depth=0):
    """The existing unit an in-file parent chain hangs from (for the scope check)."""
    parent_code = item["parent_code"]
    existing = get_unit_by_code(parent_code) if parent_code else None
    if existing is not None or depth > 4:
        return existing
    parent = by_code.get(parent_code)
    return _anchor_in_db(parent, by_code, depth + 1) if parent else None


def apply_plan(actor, plan, filename):
    """Create the planned units, parents before children. Returns the count created."""
    created = 0
    for item in sorted((i for i in plan if i.get("action") == "create"), key=lambda i: ORDER[i["kind"]]):
        parent = get_unit_by_code(item["parent_code"])
        create_unit(actor, code=item["code"], name=item["name"], kind=item["kind"], parent=parent)
        created += 1
    record_change(
        actor,
        "unit.import",
        "import",
        None,
        label=filename,
        after={"created": created, "unchanged": sum(1 for i in plan if i.get("action") == "unchanged")},
        district_id=actor.unit_id if actor.role == "district_admin" else None,
    )
    return created


def export_rows(actor):
    stmt = access.scope_units(select(Unit).where(Unit.kind != UnitKind.CITY), actor, Unit).order_by(Unit.path)
    units = db.session.scalars(stmt).all()
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).all())
    units.sort(key=lambda u: (ORDER[u.kind], u.code))
    return [
        {
            "单位编码": u.code,
            "单位名称": u.name,
            "类型": EXPORT_LABEL[u.kind],
            "上级单位编码": codes.get(u.parent_id, ""),
        }
        for u in units
    ]
