"""三查 (on-site check): the year's re-employment target, the reported list, a reproducible sample
of it, the team's verification and the completion rate.

The sample
----------
size = ceil(cycle.sample_share × target), exactly (Decimal), capped at the list's length (a list
shorter than that is drawn whole). The draw is repeatable by anyone from what is recorded: the
seed (32 hexadecimal characters from ``secrets.token_hex(16)``) and the list, ordered by its
spreadsheet row number. With Python 3::

    rng = random.Random(seed)            # the seed string as recorded (version-2 string seeding)
    pool = list(range(n))                # positions 0 .. n-1 in the list ordered by row number
    for i in range(k):                   # a partial Fisher-Yates shuffle
        j = i + int(rng.random() * (n - i))
        pool[i], pool[j] = pool[j], pool[i]
    drawn = pool[:k]                     # drawn[m] is the person with sample order m + 1

Only ``random()`` is used, whose sequence for a given seed Python guarantees across versions.
``redraw_check`` repeats the draw and ``draw_is_reproduced`` compares it with what was recorded.

The completion rate
-------------------
The sample checks the list's truthfulness; the people not sampled stand as reported. So
confirmed = (people on the list) − (sampled people found 未能核实 or 虚假), and
completion rate = confirmed ÷ target, exactly (fractions), stored floored to six places and shown
floored to two decimals of a percent (a shown figure never rounds up across the line). The check
passes iff the rate ≥ cycle.completion_required (100 %) and no one was found 虚假; it is judged
only when every sampled person is recorded.
"""

import hashlib
import math
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from flask import has_request_context, url_for
from sqlalchemy import delete, func, select, update

from ...audit.services import record_change, register_actions
from ...clock import utcnow
from ...cycles.services import add_entry
from ...errors import DomainError
from ...extensions import db
from ...numbers import percent as share_percent
from ...reasons import MAX_REASON_LENGTH, too_long
from ...spreadsheets import SpreadsheetError
from ..outcomes import CheckOutcome, percent_shown
from ..outcomes import floor_rate as shared_floor_rate
from .models import OnsiteCheck, ReemployedPerson, Verification
from .people_sheet import check_rows, mask_id_number

NAME = "三查"
MAX_TARGET = 1_000_000
ALREADY_DRAWN = "已抽样，不能重复抽样"
MAX_STORED_RATE = Decimal("999.999999")

register_actions(
    {
        "accreditation.onsite_target": "设置三查目标任务数",
        "accreditation.onsite_import": "导入三查再就业名单",
        "accreditation.onsite_draw": "三查抽样",
        "accreditation.onsite_verify": "记录三查核实结果",
    }
)


def check_of(record):
    return db.session.scalar(select(OnsiteCheck).where(OnsiteCheck.record_id == record.id))


def _ensure_open(record):
    if record.decision is not None:
        raise DomainError("该单位的验收决定已确认，不能再修改三查记录")


def _locked(check):
    """The check re-read under a row lock (PostgreSQL), so two requests cannot both draw / import."""
    return db.session.execute(
        select(OnsiteCheck)
        .where(OnsiteCheck.id == check.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _label(record):
    return f"{record.unit.name} · {record.cycle.year} 年三查"


# --- target and list ---------------------------------------------------------------


def set_target(actor, record, target):
    """Set the unit's re-employment target for the year (a positive whole number), before the draw."""
    _ensure_open(record)
    if isinstance(target, bool) or not isinstance(target, int) or not 1 <= target <= MAX_TARGET:
        raise DomainError(f"目标任务数应为 1 到 {MAX_TARGET} 之间的整数", field="target")
    check = check_of(record)
    before = None
    if check is None:
        check = OnsiteCheck(record_id=record.id, record=record, target=target)
        db.session.add(check)
    else:
        check = _locked(check)
        if check.sample_seed is not None:
            raise DomainError("已抽样，不能再修改目标任务数", field="target")
        before = {"target": check.target}
        check.target = target
    db.session.flush()
    record_change(
        actor,
        "accreditation.onsite_target",
        "onsite_check",
        check.id,
        label=_label(record),
        before=before,
        after={"target": target},
        district_id=record.district_id,
    )
    return check


def list_digest(people):
    """sha256 over the list as drawn from (row number, ID number, in row order): recorded with the draw."""
    digest = hashlib.sha256()
    for person in sorted(people, key=lambda p: (p.row_no, p.id)):
        digest.update(f"{person.row_no}\t{person.id_number}\n".encode())
    return digest.hexdigest()


def import_people(actor, check, filename, rows):
    """Replace the check's list with the rows of an upload (all or nothing), before the draw.

    Raises SpreadsheetError listing every problem by row and column (nothing changed), or
    DomainError after the draw / the decision.
    """
    record = check.record
    _ensure_open(record)
    check = _locked(check)
    if check.sample_seed is not None:
        raise DomainError("已抽样，名单不能再重新导入")
    people, problems = check_rows(rows, record.cycle.year)
    if problems:
        raise SpreadsheetError(problems)
    replaced = db.session.scalar(select(func.count()).where(ReemployedPerson.check_id == check.id))
    db.session.execute(delete(ReemployedPerson).where(ReemployedPerson.check_id == check.id))
    db.session.flush()
    db.session.add_all(ReemployedPerson(check_id=check.id, **person) for person in people)
    check.updated_at = utcnow()
    db.session.flush()
    db.session.expire(check, ["people"])
    record_change(
        actor,
        "accreditation.onsite_import",
        "onsite_check",
        check.id,
        label=_label(record),
        before={"people": replaced} if replaced else None,
        after={"people": len(people), "filename": (filename or "")[:200]},
        district_id=record.district_id,
    )
    return len(people)


# --- the draw ---------------------------------------------------------------------------


def sample_size_for(target, share):
    """ceil(share × target), exactly: 80 % of 10 -> 8, of 11 -> 9 (8.8 rounded up)."""
    return math.ceil(Decimal(share) * Decimal(target))


def planned_sample(check):
    """(size to draw, size the rule asks for, list length)."""
    wanted = sample_size_for(check.target, check.record.cycle.sample_share)
    listed = len(check.people)
    return min(wanted, listed), wanted, listed


def draw_positions(seed, n, k):
    """The positions (0-based, in row order) of the ``k`` people drawn from ``n``: see the module's docstring."""
    if not 0 <= k <= n:
        raise ValueError("sample larger than the list")
    rng = random.Random(seed)
    pool = list(range(n))
    for i in range(k):
        j = i + int(rng.random() * (n - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


def _ordered(check):
    return db.session.scalars(
        select(ReemployedPerson)
        .where(ReemployedPerson.check_id == check.id)
        .order_by(ReemployedPerson.row_no, ReemployedPerson.id)
    ).all()


def draw_sample(actor, check, *, seed=None):
    """Draw the check's sample once; refuses a second draw (已抽样，不能重复抽样). ``seed`` is for tests."""
    record = check.record
    _ensure_open(record)
    check = _locked(check)
    if check.sample_seed is not None:
        raise DomainError(ALREADY_DRAWN)
    people = _ordered(check)
    if not people:
        raise DomainError("还没有导入再就业人员名单，不能抽样")
    wanted = sample_size_for(check.target, record.cycle.sample_share)
    size = min(wanted, len(people))
    seed = seed or secrets.token_hex(16)
    now = utcnow()
    # one conditional update: of two simultaneous draws only one finds the seed still empty
    claimed = db.session.execute(
        update(OnsiteCheck)
        .where(OnsiteCheck.id == check.id, OnsiteCheck.sample_seed.is_(None))
        .values(
            sample_seed=seed, sample_size=size, drawn_at=now, drawn_by_id=actor.id if actor else None, updated_at=now
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise DomainError(ALREADY_DRAWN)
    db.session.refresh(check)
    for order, position in enumerate(draw_positions(seed, len(people), size), start=1):
        people[position].sample_order = order
    db.session.flush()
    digest = list_digest(people)
    share = share_percent(record.cycle.sample_share)
    rule = f"目标 {check.target} × {share} 向上取整 = {wanted}"
    whole = f"；名单仅 {len(people)} 人，少于应抽人数，全部抽取" if size < wanted else ""
    add_entry(
        record,
        actor,
        "sample_drawn",
        text=f"从上报的 {len(people)} 人中抽取 {size} 人（{rule}{whole}）；随机种子 {seed}；名单摘要 sha256 {digest}",
    )
    record_change(
        actor,
        "accreditation.onsite_draw",
        "onsite_check",
        check.id,
        label=_label(record),
        after={"seed": seed, "sample_size": size, "wanted": wanted, "listed": len(people), "list_sha256": digest},
        district_id=record.district_id,
    )
    return [p for p in sorted(people, key=lambda p: p.sample_order or 0) if p.sample_order]


def redraw_check(check):
    """The sample drawn again from the recorded seed and the list: [person id] in sample order."""
    if check.sample_seed is None:
        return []
    people = _ordered(check)
    return [people[i].id for i in draw_positions(check.sample_seed, len(people), check.sample_size)]


def draw_is_reproduced(check):
    """Does the recorded sample equal a fresh draw from the recorded seed and list?"""
    recorded = db.session.scalars(
        select(ReemployedPerson.id)
        .where(ReemployedPerson.check_id == check.id, ReemployedPerson.sample_order.is_not(None))
        .order_by(ReemployedPerson.sample_order)
    ).all()
    return check.sample_seed is not None and list(recorded) == redraw_check(check)


# --- verification and the completion rate -----------------------------------------------


@dataclass(frozen=True)
class Completion:
    listed: int
    sampled: int
    recorded: int
    verified: int
    not_verified: int
    false: int
    target: int
    #: None until every sampled person is recorded
    rate: Fraction | None
    passed: bool | None

    @property
    def is_complete(self):
        return self.rate is not None

    @property
    def confirmed(self):
        return self.listed - self.not_verified - self.false

    @property
    def stored(self):
        return None if self.rate is None else floor_rate(self.rate)

    @property
    def shown(self):
        return None if self.rate is None else percent(self.rate)


def floor_rate(rate):
    """The rate floored to six places, as stored (capped at what the column holds: a target far
    below the list's length is a typing error the page shows in full anyway)."""
    return min(shared_floor_rate(rate), MAX_STORED_RATE)


#: a rate as a percent floored to two decimals: 0.99996 -> "99.99%"
percent = percent_shown


def judge_completion(*, listed, not_verified, false, target, required):
    """(rate, passed) of a fully verified sample: the rule in the module's docstring."""
    rate = Fraction(listed - not_verified - false, target)
    return rate, rate >= Fraction(Decimal(required)) and false == 0


def completion(check):
    """The check's tally and, when every sampled person is recorded, its rate and verdict."""
    counts = dict(
        db.session.execute(
            select(ReemployedPerson.verification, func.count())
            .where(ReemployedPerson.check_id == check.id, ReemployedPerson.sample_order.is_not(None))
            .group_by(ReemployedPerson.verification)
        ).all()
    )
    listed = db.session.scalar(select(func.count()).where(ReemployedPerson.check_id == check.id))
    sampled = sum(counts.values())
    recorded = sampled - counts.get(None, 0)
    verified, not_verified, false = (
        counts.get(Verification.VERIFIED, 0),
        counts.get(Verification.NOT_VERIFIED, 0),
        counts.get(Verification.FALSE, 0),
    )
    rate = passed = None
    if check.sample_seed is not None and sampled and recorded == sampled:
        rate, passed = judge_completion(
            listed=listed,
            not_verified=not_verified,
            false=false,
            target=check.target,
            required=check.record.cycle.completion_required,
        )
    return Completion(listed, sampled, recorded, verified, not_verified, false, check.target, rate, passed)


def required_text(record):
    return share_percent(record.cycle.completion_required)


def completion_text(result, record):
    """ "完成率 100.00%（核实 10000／目标 10000），无虚假"."""
    text = f"完成率 {result.shown}（核实 {result.confirmed}／目标 {result.target}）"
    if result.rate < Fraction(Decimal(record.cycle.completion_required)):
        text += f"，未达到 {required_text(record)}"
    text += f"，发现虚假 {result.false} 人" if result.false else "，无虚假"
    return text


def record_verifications(actor, check, results):
    """Record the team's findings: ``results`` {person id: (Verification.* or None, note)} for sampled
    people of this check. When every sampled person is recorded, the completion rate is judged and
    written to the record. Returns the number of people whose finding changed."""
    record = check.record
    _ensure_open(record)
    if check.sample_seed is None:
        raise DomainError("尚未抽样，不能记录核实结果")
    ids = list(results)
    people = {
        p.id: p
        for p in db.session.scalars(
            select(ReemployedPerson).where(ReemployedPerson.check_id == check.id, ReemployedPerson.id.in_(ids))
        )
    }
    before = completion(check)
    now = utcnow()
    changes = []
    for person_id, (verification, note) in results.items():
        person = people.get(person_id)
        if person is None or person.sample_order is None:
            raise DomainError("只能记录抽中人员的核实结果")
        if verification is not None and verification not in Verification.LABELS:
            raise DomainError("核实结果无效")
        note = (note or "").strip()
        if len(note) > MAX_REASON_LENGTH:
            raise DomainError(f"第 {person.sample_order} 号：{too_long('备注')}")
        if verification == person.verification and note == person.note:
            continue
        changes.append(
            {
                "sample_order": person.sample_order,
                "name": person.name,
                "id": mask_id_number(person.id_number),
                "from": Verification.LABELS.get(person.verification, "未记录"),
                "to": Verification.LABELS.get(verification, "未记录"),
                "note": note,
            }
        )
        person.verification, person.note = verification, note
        person.verified_by_id, person.verified_at = (actor.id if actor else None), now
    if not changes:
        return 0
    db.session.flush()
    after = completion(check)
    check.completion_rate, check.passed = after.stored, after.passed
    check.updated_at = now
    db.session.flush()
    record_change(
        actor,
        "accreditation.onsite_verify",
        "onsite_check",
        check.id,
        label=_label(record),
        before={"recorded": before.recorded, "rate": _rate_text(before)},
        after={"recorded": after.recorded, "rate": _rate_text(after), "changes": changes},
        district_id=record.district_id,
    )
    if after.is_complete:
        status = "passed" if after.passed else "failed"
        add_entry(record, actor, "onsite_check", status=status, text=completion_text(after, record))
    elif before.is_complete:
        add_entry(
            record,
            actor,
            "onsite_check",
            text=f"三查结果撤回：抽样核实未完成（已记录 {after.recorded}／{after.sampled} 人）",
        )
    return len(changes)


def _rate_text(result):
    return result.shown if result.is_complete else None


# --- the outcome --------------------------------------------------------------------------


def _url(record):
    return url_for("accreditation_onsite.onsite", record_id=record.id) if has_request_context() else None


def outcome(record):
    """三查 for the record page and the decision."""
    url = _url(record)
    check = check_of(record)
    if check is None:
        return CheckOutcome(
            NAME, None, "尚未录入目标任务数和再就业名单", ["三查尚未开始（未录入目标任务数和名单）"], url
        )
    if check.sample_seed is None:
        return CheckOutcome(NAME, None, f"目标 {check.target} 人，尚未抽样", ["三查尚未抽样"], url)
    result = completion(check)
    if not result.is_complete:
        reason = f"抽样核实未完成（已记录 {result.recorded}／{result.sampled} 人）"
        return CheckOutcome(NAME, None, reason, [reason], url)
    text = completion_text(result, record)
    if result.passed:
        return CheckOutcome(NAME, True, text, [], url)
    reasons = []
    if result.rate < Fraction(Decimal(record.cycle.completion_required)):
        reasons.append(
            f"完成率 {result.shown}，未达到 {required_text(record)}（核实 {result.confirmed}／目标 {result.target}）"
        )
    if result.false:
        reasons.append(f"抽查发现虚假上报 {result.false} 人")
    return CheckOutcome(NAME, False, text, reasons, url)
