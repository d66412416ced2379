"""Import and export of staff rosters (DESIGN.md section 5)."""

from sqlalchemy import select

from .. import access
from ..audit.services import record_change
from ..auth.models import Role, User
from ..auth.services import USERNAME_PATTERN, normalise_username
from ..extensions import db
from ..org.models import Unit
from ..spreadsheets import Problem
from .phones import InvalidPhone, normalise_phone
from .services import create_user, role_unit_problem

COLUMNS = {"姓名": True, "用户名": True, "所属单位编码": True, "角色": False, "手机号": False}


def check_rows(actor, rows):
    """Validate every row; return (plan, problems)."""
    problems = []
    seen = {}
    plan = []
    usernames = [normalise_username(r.get("用户名", "")) for r in rows]
    taken = set(db.session.scalars(select(User.username).where(User.username.in_([u for u in usernames if u]))))
    codes = {r.get("所属单位编码", "") for r in rows}
    units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    assignable = access.roles_assignable_by(actor)
    for raw, username in zip(rows, usernames, strict=True):
        r = raw["_row"]
        before = len(problems)
        name = raw.get("姓名", "")
        if not name:
            problems.append(Problem("姓名不能为空", r, "姓名"))
        elif len(name) > 64:
            problems.append(Problem("姓名不能超过 64 个字", r, "姓名"))
        if not username:
            problems.append(Problem("用户名不能为空", r, "用户名"))
        elif not USERNAME_PATTERN.match(username):
            problems.append(Problem("用户名须为 3 到 64 位小写字母、数字或 _ . @ -，并以字母或数字开头", r, "用户名"))
        elif username in seen:
            problems.append(Problem(f"用户名“{username}”与第 {seen[username]} 行重复", r, "用户名"))
        elif username in taken:
            problems.append(Problem(f"用户名“{username}”已被使用", r, "用户名"))
        if username and username not in seen:
            seen[username] = r
        role_label = raw.get("角色", "") or Role.LABELS[Role.EXAMINEE]
        role = Role.from_label(role_label)
        if role is None:
            labels = "、".join(Role.LABELS.values())
            problems.append(Problem(f"角色“{role_label}”无效，应为 {labels} 之一", r, "角色"))
        elif role not in assignable:
            problems.append(Problem(f"您无权导入角色为“{role_label}”的人员", r, "角色"))
        code = raw.get("所属单位编码", "")
        unit = units.get(code)
        if not code:
            problems.append(Problem("所属单位编码不能为空", r, "所属单位编码"))
        elif unit is None:
            problems.append(Problem(f"单位编码“{code}”不存在", r, "所属单位编码"))
        elif not access.can(actor, "units.view", unit):
            problems.append(Problem(f"单位“{unit.name}”不在您的管辖范围内", r, "所属单位编码"))
        elif role is not None:
            problem = role_unit_problem(role, unit)
            if problem:
                problems.append(Problem(problem, r, "所属单位编码"))
        phone = raw.get("手机号", "")
        try:
            phone = normalise_phone(phone) or ""
        except InvalidPhone as exc:
            problems.append(Problem(f"{exc}（表中为“{phone}”）", r, "手机号"))
        plan.append(
            {
                "row": r,
                "name": name,
                "username": username,
                "role": role,
                "unit_code": code,
                "unit_name": unit.name if unit else "",
                "phone": phone,
                "ok": len(problems) == before,
            }
        )
    return plan, problems


def apply_plan(actor, plan, filename):
    """Create every planned account; returns [(user, initial_password)]."""
    codes = {item["unit_code"] for item in plan}
    units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    created = []
    for item in plan:
        user, password = create_user(
            actor,
            username=item["username"],
            name=item["name"],
            role=item["role"],
            unit=units[item["unit_code"]],
            phone=item["phone"],
        )
        created.append((user, password))
    record_change(
        actor,
        "user.import",
        "import",
        None,
        label=filename,
        after={"created": len(created)},
        district_id=actor.unit_id if actor.role == Role.DISTRICT_ADMIN else None,
    )
    return created


def export_rows(actor, stmt):
    users = db.session.scalars(stmt).all()
    return [
        {
            "姓名": u.name,
            "用户名": u.username,
            "所属单位编码": u.unit.code,
            "角色": Role.LABELS[u.role],
            "手机号": u.phone or "",
        }
        for u in users
    ]
