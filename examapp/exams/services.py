"""Setting up exams: settings, papers, rosters, publishing. Services flush; the caller commits."""

import ipaddress
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, select

from .. import access
from ..audit.services import record_change, register_actions
from ..auth.models import Role, User
from ..bank.content import Difficulty, QType
from ..bank.grading import MultipleMode
from ..bank.models import QuestionCategory, QuestionVersion
from ..clock import utcnow
from ..cycles.services import cycle_for_year
from ..errors import DomainError
from ..extensions import db
from ..org.models import Unit, UnitKind
from .models import BlueprintRow, Exam, ExamStatus, FixedPaperItem, PaperMode, ReleaseMode, RosterEntry, parse_allowlist
from .paper import paper_problems
from .signals import exam_closed, exam_published, roster_added, sittings_still_open

EXAM_ACTION_LABELS = {
    "exam.create": "新建考试",
    "exam.update": "修改考试",
    "exam.paper": "修改试卷",
    "exam.publish": "发布考试",
    "exam.close": "结束考试",
    "exam.roster_add": "加入考试名单",
    "exam.roster_remove": "移出考试名单",
    "exam.extra_time": "延长考试时间",
    "exam.ticket_issued": "打印准考证并发放初始密码",
}
register_actions(EXAM_ACTION_LABELS)


@dataclass
class ExamSettings:
    """What an admin sets on an exam, as plain values (aware UTC datetimes)."""

    title: str
    instructions: str
    opens_at: datetime
    closes_at: datetime
    duration_minutes: int
    grace_seconds: int = 60
    shuffle_questions: bool = True
    shuffle_options: bool = True
    multiple_mode: str = MultipleMode.ALL_OR_NOTHING
    release_mode: str = ReleaseMode.AFTER_CLOSE
    access_code: str | None = None
    ip_allowlist: str | None = None
    departure_limit: int = 0
    cycle_year: int | None = None
    paper_mode: str = PaperMode.BLUEPRINT


#: the settings a published exam may still change (they treat nobody differently)
EDITABLE_WHEN_PUBLISHED = ("title", "instructions")


def exam_snapshot(exam):
    return {
        "title": exam.title,
        "instructions": exam.instructions,
        "opens_at": exam.opens_at.isoformat() if exam.opens_at else None,
        "closes_at": exam.closes_at.isoformat() if exam.closes_at else None,
        "duration_minutes": exam.duration_minutes,
        "grace_seconds": exam.grace_seconds,
        "shuffle_questions": exam.shuffle_questions,
        "shuffle_options": exam.shuffle_options,
        "multiple_mode": exam.multiple_mode,
        "release_mode": exam.release_mode,
        "access_code": exam.access_code,
        "ip_allowlist": exam.ip_allowlist,
        "departure_limit": exam.departure_limit,
        "cycle": exam.cycle.year if exam.cycle else None,
        "paper_mode": exam.paper_mode,
        "status": exam.status,
    }


def settings_problems(s):
    """[(field, message)] for settings that cannot be saved."""
    problems = []
    if not (s.title or "").strip():
        problems.append(("title", "请填写考试名称"))
    if s.opens_at is None or s.closes_at is None:
        problems.append(("opens_at", "请填写考试开放和关闭时间"))
    elif s.closes_at <= s.opens_at:
        problems.append(("closes_at", "关闭时间必须晚于开放时间"))
    elif s.duration_minutes and timedelta(minutes=s.duration_minutes) > s.closes_at - s.opens_at:
        window = int((s.closes_at - s.opens_at).total_seconds() // 60)
        problems.append(("duration_minutes", f"考试时长 {s.duration_minutes} 分钟超过了开放时段（{window} 分钟）"))
    if not s.duration_minutes or s.duration_minutes < 1 or s.duration_minutes > 600:
        problems.append(("duration_minutes", "考试时长应在 1 到 600 分钟之间"))
    if s.grace_seconds is None or not 0 <= s.grace_seconds <= 600:
        problems.append(("grace_seconds", "宽限时间应在 0 到 600 秒之间"))
    if s.departure_limit is None or not 0 <= s.departure_limit <= 100:
        problems.append(("departure_limit", "离开页面次数上限应在 0 到 100 之间"))
    if s.multiple_mode not in MultipleMode.ALL:
        problems.append(("multiple_mode", "多选题计分方式无效"))
    if s.release_mode not in ReleaseMode.ALL:
        problems.append(("release_mode", "成绩公布方式无效"))
    if s.paper_mode not in PaperMode.ALL:
        problems.append(("paper_mode", "组卷方式无效"))
    if s.access_code and (len(s.access_code) > 32 or not s.access_code.isprintable()):
        problems.append(("access_code", "考试口令不能超过 32 个字符"))
    for entry in parse_allowlist(s.ip_allowlist):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            problems.append(("ip_allowlist", f"“{entry}”不是有效的 IP 地址或网段（如 10.1.0.0/16）"))
    if s.cycle_year is not None and not 2005 <= s.cycle_year <= 2100:
        problems.append(("cycle_year", "验收年度无效"))
    return problems


def _apply_settings(exam, s):
    exam.title = s.title.strip()
    exam.instructions = (s.instructions or "").strip()
    exam.opens_at, exam.closes_at = s.opens_at, s.closes_at
    exam.duration_minutes = s.duration_minutes
    exam.grace_seconds = s.grace_seconds
    exam.shuffle_questions, exam.shuffle_options = s.shuffle_questions, s.shuffle_options
    exam.multiple_mode, exam.release_mode = s.multiple_mode, s.release_mode
    exam.access_code = (s.access_code or "").strip() or None
    exam.ip_allowlist = "\n".join(parse_allowlist(s.ip_allowlist)) or None
    exam.departure_limit = s.departure_limit
    exam.cycle = cycle_for_year(s.cycle_year) if s.cycle_year else None
    exam.paper_mode = s.paper_mode


def _raise(problems):
    field, message = problems[0]
    error = DomainError(message, field=field)
    error.problems = problems
    raise error


def create_exam(actor, settings):
    problems = settings_problems(settings)
    if problems:
        _raise(problems)
    exam = Exam(created_by_id=actor.id if actor else None)
    _apply_settings(exam, settings)
    db.session.add(exam)
    db.session.flush()
    record_change(actor, "exam.create", "exam", exam.id, label=exam.title, after=exam_snapshot(exam))
    return exam


def update_exam(actor, exam, settings, reason=None):
    if exam.status in (ExamStatus.CLOSED, ExamStatus.SEALED):
        raise DomainError("考试已结束，不能再修改")
    problems = settings_problems(settings)
    if problems:
        _raise(problems)
    before = exam_snapshot(exam)
    if exam.status == ExamStatus.PUBLISHED:
        changed = {k for k, v in asdict(settings).items() if k not in EDITABLE_WHEN_PUBLISHED and _differs(exam, k, v)}
        if changed:
            raise DomainError("考试已发布，只能修改名称和考试须知；其他设置会让考生受到不同对待")
        exam.title, exam.instructions = settings.title.strip(), (settings.instructions or "").strip()
    else:
        _apply_settings(exam, settings)
    db.session.flush()
    after = exam_snapshot(exam)
    if after != before:
        record_change(
            actor, "exam.update", "exam", exam.id, label=exam.title, before=before, after=after, reason=reason
        )
    return exam


def _differs(exam, key, value):
    if key == "cycle_year":
        return (exam.cycle.year if exam.cycle else None) != value
    if key == "access_code":
        return (exam.access_code or None) != ((value or "").strip() or None)
    if key == "ip_allowlist":
        return (exam.ip_allowlist or None) != ("\n".join(parse_allowlist(value)) or None)
    return getattr(exam, key) != value


# --- the paper --------------------------------------------------------------


def _require_draft(exam):
    if exam.status != ExamStatus.DRAFT:
        raise DomainError("考试已发布，试卷不能再修改")


def _as_points(value):
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if points <= 0 or points > 100 or points != points.quantize(Decimal("0.01")):
        return None
    return points


def set_blueprint(actor, exam, rows):
    """Replace the blueprint with ``rows`` (dicts: category_id, qtype, difficulty, count, points).

    Nothing is saved unless the whole blueprint totals 100 points and the bank can fill every row.
    """
    _require_draft(exam)
    problems = []
    cleaned = []
    for position, raw in enumerate(rows, start=1):
        category = db.session.get(QuestionCategory, raw.get("category_id") or 0)
        qtype, difficulty = raw.get("qtype"), raw.get("difficulty") or None
        count, points = raw.get("count"), _as_points(raw.get("points"))
        where = f"第 {position} 行："
        if category is None:
            problems.append(where + "请选择题库中存在的知识点分类")
        if qtype not in QType.ALL:
            problems.append(where + "题型无效")
        if difficulty is not None and difficulty not in Difficulty.ALL:
            problems.append(where + "难度无效")
        if not isinstance(count, int) or not 1 <= count <= 200:
            problems.append(where + "题数应为 1 到 200 的整数")
        if points is None:
            problems.append(where + "每题分值应为大于 0、最多两位小数的数")
        cleaned.append((category, qtype, difficulty, count, points))
    if not rows:
        problems.append("组卷规则至少需要一行")
    if problems:
        raise _paper_error(problems)
    before = _paper_snapshot(exam)
    exam.blueprint_rows.clear()
    db.session.flush()
    for position, (category, qtype, difficulty, count, points) in enumerate(cleaned, start=1):
        exam.blueprint_rows.append(
            BlueprintRow(
                position=position, category=category, qtype=qtype, difficulty=difficulty, count=count, points=points
            )
        )
    exam.paper_mode = PaperMode.BLUEPRINT
    db.session.flush()
    problems = paper_problems(exam)
    if problems:
        raise _paper_error(problems)
    record_change(actor, "exam.paper", "exam", exam.id, label=exam.title, before=before, after=_paper_snapshot(exam))
    return exam


def set_fixed_paper(actor, exam, items):
    """Replace the fixed paper with ``items`` [(question_version_id, points)], all or nothing."""
    _require_draft(exam)
    problems = []
    seen = set()
    cleaned = []
    for position, (version_id, raw_points) in enumerate(items, start=1):
        version = db.session.get(QuestionVersion, version_id or 0)
        points = _as_points(raw_points)
        where = f"第 {position} 题："
        if version is None:
            problems.append(where + "试题版本不存在")
        elif version.question_id in seen:
            problems.append(where + "同一道题不能出现两次")
        else:
            seen.add(version.question_id)
            if not version.question.is_drawable:
                problems.append(where + f"试题 {version.question_id} 未发布或已停用")
        if points is None:
            problems.append(where + "分值应为大于 0、最多两位小数的数")
        cleaned.append((version_id, points))
    if problems:
        raise _paper_error(problems)
    before = _paper_snapshot(exam)
    exam.fixed_items.clear()
    db.session.flush()
    for position, (version_id, points) in enumerate(cleaned, start=1):
        exam.fixed_items.append(FixedPaperItem(position=position, question_version_id=version_id, points=points))
    exam.paper_mode = PaperMode.FIXED
    db.session.flush()
    problems = paper_problems(exam)
    if problems:
        raise _paper_error(problems)
    record_change(actor, "exam.paper", "exam", exam.id, label=exam.title, before=before, after=_paper_snapshot(exam))
    return exam


def _paper_error(problems):
    error = DomainError(problems[0], field="paper")
    error.problems = problems
    return error


def _paper_snapshot(exam):
    if exam.paper_mode == PaperMode.FIXED:
        return {"fixed": [[i.question_version_id, str(i.points)] for i in exam.fixed_items]}
    return {
        "blueprint": [
            [r.category.name if r.category else r.category_id, r.qtype, r.difficulty, r.count, str(r.points)]
            for r in exam.blueprint_rows
        ]
    }


# --- the roster ---------------------------------------------------------------


def _require_roster_editable(exam):
    if exam.status not in (ExamStatus.DRAFT, ExamStatus.PUBLISHED) or (
        exam.status == ExamStatus.PUBLISHED and utcnow() >= exam.closes_at
    ):
        raise DomainError("考试已结束，名单不能再修改")


def add_to_roster(actor, exam, *, units=(), users=()):
    """Put every enabled examinee under ``units``, and ``users``, on the roster. Returns the number added.

    Each row records the person's unit now, so a later transfer never moves the score.
    """
    _require_roster_editable(exam)
    people = {}
    for unit in units:
        if actor is not None and not access.can(actor, "units.view", unit):
            raise DomainError(f"单位“{unit.name}”不在您的管辖范围内")
        stmt = (
            select(User)
            .join(User.unit)
            .where(
                Unit.path.startswith(unit.path, autoescape=True),
                User.role == Role.EXAMINEE,
                User.is_enabled.is_(True),
            )
        )
        for user in db.session.scalars(stmt):
            people[user.id] = user
    for user in users:
        if user.role != Role.EXAMINEE:
            raise DomainError(f"{user.name}（{user.username}）不是考生，不能加入考试名单")
        if not user.is_enabled:
            raise DomainError(f"{user.name}（{user.username}）的账号已停用")
        if actor is not None and not access.can(actor, "staff.view", user):
            raise DomainError(f"{user.name}不在您的管辖范围内")
        people[user.id] = user
    if not people:
        raise DomainError("所选范围内没有可加入名单的考生")
    present = set(
        db.session.scalars(
            select(RosterEntry.user_id).where(RosterEntry.exam_id == exam.id, RosterEntry.user_id.in_(list(people)))
        )
    )
    districts = _district_ids({u.unit_id for u in people.values()})
    entries = [
        RosterEntry(
            exam_id=exam.id,
            user_id=user.id,
            unit_id=user.unit_id,
            district_id=districts.get(user.unit_id),
            added_by_id=actor.id if actor else None,
        )
        for user in people.values()
        if user.id not in present
    ]
    added = len(entries)
    db.session.add_all(entries)
    db.session.flush()
    if entries and exam.status == ExamStatus.PUBLISHED:
        roster_added.send(exam, entry_ids=[entry.id for entry in entries])
    scope = access.unit_scope(actor) if actor is not None else None
    record_change(
        actor,
        "exam.roster_add",
        "exam",
        exam.id,
        label=exam.title,
        after={"added": added, "units": [u.code for u in units], "users": [u.username for u in users]},
        district_id=scope.id if scope is not None else None,
    )
    return added


def _district_ids(unit_ids):
    """unit id -> id of its district, from the materialised paths."""
    rows = db.session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(unit_ids))).all()
    ancestor_ids = {int(p.strip("/").split("/")[1]) for _, p in rows if p.count("/") > 2}
    kinds = dict(db.session.execute(select(Unit.id, Unit.kind).where(Unit.id.in_(ancestor_ids | set(unit_ids)))).all())
    result = {}
    for unit_id, path in rows:
        parts = [int(x) for x in path.strip("/").split("/")]
        district = next((p for p in parts if kinds.get(p) == UnitKind.DISTRICT), None)
        result[unit_id] = district
    return result


def remove_from_roster(actor, exam, entries, reason):
    """Take people off the roster; someone who has started cannot be removed."""
    _require_roster_editable(exam)
    if not (reason or "").strip():
        raise DomainError("请填写移出名单的原因")
    ids = [e.id for e in entries]
    started = db.session.scalar(
        select(func.count()).select_from(RosterEntry).join(RosterEntry.attempt).where(RosterEntry.id.in_(ids))
    )
    if started:
        raise DomainError("所选人员中有人已经开始答题，不能移出名单")
    for entry in entries:
        if actor is not None and not access.can(actor, "staff.view", entry.user):
            raise DomainError(f"{entry.user.name}不在您的管辖范围内")
    names = [e.user.username for e in entries]
    db.session.execute(delete(RosterEntry).where(RosterEntry.id.in_(ids)))
    db.session.flush()
    record_change(
        actor,
        "exam.roster_remove",
        "exam",
        exam.id,
        label=exam.title,
        before={"users": names},
        reason=reason,
    )
    return len(ids)


def roster_size(exam):
    return db.session.scalar(select(func.count()).select_from(RosterEntry).where(RosterEntry.exam_id == exam.id))


# --- publishing ------------------------------------------------------------------


def publish_problems(exam):
    problems = [message for _field, message in settings_problems(_settings_of(exam))]
    problems += paper_problems(exam)
    if roster_size(exam) == 0:
        problems.append("考试名单中还没有任何人")
    if exam.closes_at <= utcnow():
        problems.append("考试关闭时间已过，不能发布")
    return problems


def _settings_of(exam):
    return ExamSettings(
        title=exam.title,
        instructions=exam.instructions,
        opens_at=exam.opens_at,
        closes_at=exam.closes_at,
        duration_minutes=exam.duration_minutes,
        grace_seconds=exam.grace_seconds,
        shuffle_questions=exam.shuffle_questions,
        shuffle_options=exam.shuffle_options,
        multiple_mode=exam.multiple_mode,
        release_mode=exam.release_mode,
        access_code=exam.access_code,
        ip_allowlist=exam.ip_allowlist,
        departure_limit=exam.departure_limit,
        cycle_year=exam.cycle.year if exam.cycle else None,
        paper_mode=exam.paper_mode,
    )


def publish_exam(actor, exam):
    problems = publish_problems(exam)
    if problems:
        error = DomainError("考试还不能发布：" + "；".join(problems))
        error.problems = problems
        raise error
    exam.mark_published()
    db.session.flush()
    exam_published.send(exam)
    record_change(actor, "exam.publish", "exam", exam.id, label=exam.title, after={"status": exam.status})
    return exam


def close_exam(actor, exam):
    """End a published exam: after its window (overdue attempts are submitted first, by the
    receivers of ``signals.exam_closing``), or earlier once nobody is sitting it (the window then
    closes now, so nobody can start any more)."""
    if exam.status != ExamStatus.PUBLISHED:
        raise DomainError("只有已发布的考试可以结束")
    now = utcnow()
    early = now < exam.closes_at
    still_open = sittings_still_open(exam)
    if still_open and early:
        raise DomainError(f"还有 {still_open} 人正在作答，考试开放时段结束前不能结束考试")
    if still_open:
        raise DomainError(f"还有 {still_open} 份答卷在交卷宽限时间内，请稍后再结束考试")
    before = {"status": exam.status, "closes_at": exam.closes_at.isoformat()}
    if early:
        exam.closes_at = now
    exam.mark_closed()
    db.session.flush()
    exam_closed.send(exam)
    record_change(
        actor,
        "exam.close",
        "exam",
        exam.id,
        label=exam.title,
        before=before,
        after={"status": exam.status, "closes_at": exam.closes_at.isoformat()},
        reason="开放时段结束前提前结束（无人正在作答）" if early else None,
    )
    return exam


# --- for the pages (added; the functions above are unchanged) -----------------------


def current_settings(exam):
    """The exam's settings as ExamSettings (what the edit form starts from)."""
    return _settings_of(exam)


# --- copying an exam ------------------------------------------------------------------

register_actions({"exam.copy": "复制考试"})

#: what a copy's title ends with
COPY_SUFFIX = "（副本）"


def copy_title(title):
    """The copy's title: the original's with 副本, cut to fit the column."""
    limit = Exam.title.type.length - len(COPY_SUFFIX)
    return title.strip()[:limit] + COPY_SUFFIX


def shifted_window(exam, now=None):
    """The exam's window moved by whole days so it opens after ``now`` (the same times of day,
    at least a day ahead), for the copy's dates; a window already ahead stays as it is."""
    now = now or utcnow()
    if exam.opens_at > now + timedelta(days=1):
        return exam.opens_at, exam.closes_at
    days = (now - exam.opens_at).days + 2
    shift = timedelta(days=days)
    return exam.opens_at + shift, exam.closes_at + shift


def copy_exam(actor, exam, *, with_roster=False):
    """A new draft with ``exam``'s settings and paper (blueprint rows or fixed questions), and with
    ``with_roster`` its roster's enabled examinees at their current units. Its window is moved
    into the future (see ``shifted_window``) for the admin to check before publishing; extra
    time, excused absences and attempts are not copied."""
    opens_at, closes_at = shifted_window(exam)
    copy = Exam(created_by_id=actor.id if actor else None)
    _apply_settings(
        copy, replace(_settings_of(exam), title=copy_title(exam.title), opens_at=opens_at, closes_at=closes_at)
    )
    copy.is_demo = exam.is_demo
    # only the paper in use: a fixed paper may keep the blueprint it replaced, and the reverse
    for row in exam.blueprint_rows if exam.paper_mode == PaperMode.BLUEPRINT else ():
        copy.blueprint_rows.append(
            BlueprintRow(
                position=row.position,
                category_id=row.category_id,
                qtype=row.qtype,
                difficulty=row.difficulty,
                count=row.count,
                points=row.points,
            )
        )
    for item in exam.fixed_items if exam.paper_mode == PaperMode.FIXED else ():
        copy.fixed_items.append(
            FixedPaperItem(position=item.position, question_version_id=item.question_version_id, points=item.points)
        )
    db.session.add(copy)
    db.session.flush()
    added = _copy_roster(actor, exam, copy) if with_roster else 0
    after = {**exam_snapshot(copy), **_paper_snapshot(copy), "added": added}
    reason = f"复制自考试“{exam.title}”（编号 {exam.id}）" + ("，含考试名单" if with_roster else "，不含考试名单")
    record_change(actor, "exam.copy", "exam", copy.id, label=copy.title, after=after, reason=reason)
    return copy


def _copy_roster(actor, exam, copy):
    """Put the enabled examinees of ``exam``'s roster on ``copy``'s, each at their unit now."""
    people = db.session.scalars(
        select(User)
        .join(RosterEntry, RosterEntry.user_id == User.id)
        .where(
            RosterEntry.exam_id == exam.id,
            User.role == Role.EXAMINEE,
            User.is_enabled.is_(True),
            User.unit_id.is_not(None),
        )
        .order_by(RosterEntry.id)
    ).all()
    districts = _district_ids({u.unit_id for u in people})
    for user in people:
        db.session.add(
            RosterEntry(
                exam_id=copy.id,
                user_id=user.id,
                unit_id=user.unit_id,
                district_id=districts.get(user.unit_id),
                added_by_id=actor.id if actor else None,
            )
        )
    db.session.flush()
    return len(people)
