"""The decision on a unit (验收决定): the four checks side by side, the result they propose, and
the office's confirmed decision; a cycle's settings; the list of accredited units.

The notice (郑政办〔2005〕27号) accepts a unit only after 一听、二看、三查、四考试. The exam's
verdict is the sealed one written into the record; the other three come from their own packages
(``outcome(record) -> CheckOutcome``, imported here). Any failed check or the exam's disqualification proposes
不通过 with the reasons; all four passed (and the recommendation handed in) proposes 通过. A
confirmed decision changes only through a new, reasoned entry. Services flush; the caller commits.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import has_request_context, url_for
from sqlalchemy import select

from ...audit.chain import link
from ...audit.services import record_change, register_actions
from ...clock import local_time, utcnow
from ...cycles.models import AccreditationCycle, AccreditationRecord, Decision, RecordEntry, RecordStatus
from ...cycles.services import add_entry, cycle_for_year
from ...errors import DomainError
from ...exams.models import Exam, ExamStatus, RosterEntry
from ...extensions import db
from ...numbers import percent, plain
from ...org.models import Unit, UnitKind
from ...reasons import clean_reason
from ..hearing.services import outcome as hearing_outcome
from ..inspection.services import outcome as inspection_outcome
from ..onsite.services import outcome as onsite_outcome
from ..outcomes import CheckOutcome
from ..recommend.models import Recommendation, RecommendationStatus

DECISION_ACTION_LABELS = {
    "accreditation.decide": "确认验收决定",
    "accreditation.decision_change": "变更验收决定",
    "accreditation.cycle_update": "修改验收年度设置",
    "accreditation.cycle_create": "新建验收年度",
}
register_actions(DECISION_ACTION_LABELS)

MAX_COMMENT_LENGTH = 1000

#: the three other checks: (name, key, ``outcome(record)`` of its package), in the notice's order
CHECKS = (
    ("一听", "hearing", hearing_outcome),
    ("二看", "inspection", inspection_outcome),
    ("三查", "onsite", onsite_outcome),
)
OUTCOMES = {key: outcome for _, key, outcome in CHECKS}
EXAM_CHECK = "四考试"

#: the proposed result when some check is not done yet
PENDING = "pending"
PROPOSED_LABELS = {**Decision.LABELS, PENDING: "待定"}


# --- the four checks ---------------------------------------------------------------------------


def _url(endpoint, **values):
    return url_for(endpoint, **values) if has_request_context() else None


def exam_outcome(record):
    """四考试, from the exam result sealed into the record (``write_exam_entry``)."""
    url = _url("results.exam", exam_id=record.exam_id) if record.exam_id else None
    threshold = plain(record.cycle.threshold) if record.cycle is not None else "95"
    if record.status == RecordStatus.EXAM_PASSED:
        return CheckOutcome(
            EXAM_CHECK, True, f"考试合格，平均分 {record.exam_average}（合格线 {threshold} 分）", [], url
        )
    if record.status == RecordStatus.DISQUALIFIED:
        reason = f"取消验收资格：{record.status_reason}"
        return CheckOutcome(EXAM_CHECK, False, reason, [reason], url)
    if record.status == RecordStatus.NO_RESULT:
        reason = f"无考试成绩：{record.status_reason}" if record.status_reason else "无考试成绩"
        return CheckOutcome(EXAM_CHECK, None, reason, [reason], url)
    return CheckOutcome(EXAM_CHECK, None, "考试成绩尚未封存", ["考试成绩尚未封存"], None)


def exam_awaiting_seal(record):
    """The latest exam of the record's cycle with the unit on its roster whose results are not sealed
    yet (closed, or still running), or None: where the office goes to seal the unit's 四考试."""
    if record.status or record.cycle is None:
        return None
    exams = db.session.scalars(
        select(Exam)
        .where(
            Exam.status.in_((ExamStatus.CLOSED, ExamStatus.PUBLISHED)),
            Exam.id.in_(select(RosterEntry.exam_id).where(RosterEntry.unit_id == record.unit_id)),
            (Exam.cycle_id == record.cycle_id) | Exam.cycle_id.is_(None),
        )
        .order_by(Exam.opens_at.desc(), Exam.id.desc())
    ).all()
    mine = [e for e in exams if e.cycle_id == record.cycle_id or local_time(e.opens_at).year == record.cycle.year]
    closed = [e for e in mine if e.status == ExamStatus.CLOSED]
    return (closed or mine or [None])[0]


def _check_outcome(name, key, record):
    """What the check ``key`` ("hearing", ...) called ``name`` says about ``record``."""
    return OUTCOMES[key](record)


def check_outcomes(record):
    """The four checks of ``record`` in the notice's order: 一听, 二看, 三查, 四考试."""
    return [_check_outcome(name, key, record) for name, key, _ in CHECKS] + [exam_outcome(record)]


# --- the proposed result -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedResult:
    #: Decision.PASSED / FAILED / FORFEITED, or PENDING
    result: str
    #: why, each in a sentence naming its check ("一听：满意率 85.00% < 90%")
    reasons: list[str] = field(default_factory=list)
    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def label(self):
        return PROPOSED_LABELS[self.result]

    @property
    def is_passed(self):
        return self.result == Decision.PASSED


def _lines(outcome):
    texts = outcome.reasons or [outcome.summary]
    return [f"{outcome.name}：{text}" for text in texts]


_NOT_LOADED = object()


def recommendation_of(record):
    return db.session.scalar(select(Recommendation).where(Recommendation.record_id == record.id))


def recommendations_of(records):
    """{record id: Recommendation} for many records in one query."""
    ids = [r.id for r in records]
    if not ids:
        return {}
    return {
        rec.record_id: rec
        for rec in db.session.scalars(select(Recommendation).where(Recommendation.record_id.in_(ids)))
    }


def proposed_result(record, recommendation=_NOT_LOADED):
    """What the four checks propose for ``record``.

    A forfeited recommendation (逾期未报者视为放弃验收) proposes 放弃; otherwise any failed check
    or the exam's disqualification proposes 不通过 with every reason; all four passed, with the
    recommendation handed in, propose 通过; anything else is 待定, saying what is missing.
    ``recommendation``: the record's Recommendation (or None) when already loaded.
    """
    if recommendation is _NOT_LOADED:
        recommendation = recommendation_of(record)
    outcomes = check_outcomes(record)
    if recommendation is not None and recommendation.status == RecommendationStatus.FORFEITED:
        return ProposedResult(Decision.FORFEITED, ["推荐材料逾期未报，视为放弃验收（郑政办〔2005〕27号）"], outcomes)
    failed = [line for o in outcomes if o.passed is False for line in _lines(o)]
    if failed:
        return ProposedResult(Decision.FAILED, failed, outcomes)
    missing = []
    if recommendation is None:
        missing.append("推荐：本单位未列入本年度推荐验收名单")
    elif recommendation.status != RecommendationStatus.SUBMITTED:
        missing.append("推荐：推荐材料尚未报送")
    missing += [line for o in outcomes if o.passed is None for line in _lines(o)]
    if missing:
        return ProposedResult(PENDING, missing, outcomes)
    return ProposedResult(Decision.PASSED, [], outcomes)


# --- confirming and changing the decision ------------------------------------------------------


def _locked(record):
    """The record again, its row locked for the rest of the transaction, its columns fresh."""
    return db.session.execute(
        select(AccreditationRecord)
        .where(AccreditationRecord.id == record.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _check_allowed(decision, proposed):
    if decision not in Decision.LABELS:
        raise DomainError("请选择验收决定：通过、不通过或放弃", field="decision")
    if decision == Decision.PASSED and not proposed.is_passed:
        why = "；".join(proposed.reasons) if proposed.reasons else ""
        raise DomainError(
            f"拟定结果为“{proposed.label}”，不能确认通过"
            + (f"：{why}" if why else "")
            + "。四项检查全部合格后才能确认通过。",
            field="decision",
        )


def _entry_text(decision, comment, proposed):
    text = f"{Decision.LABELS[decision]}（拟定结果：{proposed.label}）。意见：{comment}"
    if decision != Decision.PASSED and proposed.reasons:
        text += "。依据：" + "；".join(proposed.reasons)
    return text


def _label(record):
    return f"{record.cycle.year} 年 {record.unit.name}"


def confirm_decision(actor, record, decision, comment):
    """The office's first decision on ``record``: 通过 only when the checks propose it."""
    comment = clean_reason(comment, "意见", required=True, field="comment", limit=MAX_COMMENT_LENGTH)
    record = _locked(record)
    if record.decision is not None:
        raise DomainError(
            f"验收决定已确认为“{record.decision_label}”；如需变更，请填写变更原因后提交变更。", field="decision"
        )
    proposed = proposed_result(record)
    _check_allowed(decision, proposed)
    record.decision, record.decision_comment = decision, comment
    record.decided_at, record.decided_by_id = utcnow(), actor.id if actor is not None else None
    entry = add_entry(record, actor, "decision", status=decision, text=_entry_text(decision, comment, proposed))
    record_change(
        actor,
        "accreditation.decide",
        "accreditation_record",
        record.id,
        label=_label(record),
        before={"decision": None},
        after={
            "decision": Decision.LABELS[decision],
            "comment": comment,
            "proposed": proposed.label,
            "reasons": proposed.reasons,
        },
        district_id=record.district_id,
    )
    db.session.flush()
    return entry


def change_decision(actor, record, decision, comment, reason):
    """Change a confirmed decision: a new ``decision_changed`` entry with before -> after and the reason."""
    comment = clean_reason(comment, "意见", required=True, field="comment", limit=MAX_COMMENT_LENGTH)
    reason = clean_reason(reason, "变更原因", required=True)
    record = _locked(record)
    if record.decision is None:
        raise DomainError("验收决定尚未确认，无需变更：请直接确认决定。", field="decision")
    if decision == record.decision:
        raise DomainError(f"验收决定已经是“{record.decision_label}”，没有变化。", field="decision")
    proposed = proposed_result(record)
    _check_allowed(decision, proposed)
    before, before_comment = record.decision, record.decision_comment
    record.decision, record.decision_comment = decision, comment
    record.decided_at, record.decided_by_id = utcnow(), actor.id if actor is not None else None
    text = f"{Decision.LABELS[before]} → {Decision.LABELS[decision]}（拟定结果：{proposed.label}）。意见：{comment}"
    if decision != Decision.PASSED and proposed.reasons:
        text += "。依据：" + "；".join(proposed.reasons)
    entry = RecordEntry(
        record=record,
        record_id=record.id,
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        kind="decision_changed",
        status=decision,
        text=text,
        reason=reason,
        before_status=before,
    )
    db.session.add(entry)
    link("records", entry)
    record_change(
        actor,
        "accreditation.decision_change",
        "accreditation_record",
        record.id,
        label=_label(record),
        before={"decision": Decision.LABELS[before], "comment": before_comment},
        after={"decision": Decision.LABELS[decision], "comment": comment, "proposed": proposed.label},
        reason=reason,
        district_id=record.district_id,
    )
    db.session.flush()
    return entry


# --- the list of accredited units --------------------------------------------------------------


@dataclass(frozen=True)
class AccreditedUnit:
    district_name: str
    unit_code: str
    unit_name: str
    unit_kind: str
    decided_at: object
    record_id: int


def accredited_units(cycle, district_id=None):
    """The units whose confirmed decision in ``cycle`` is 通过 (a district's, when ``district_id``),
    by district and unit."""
    district = Unit.__table__.alias("district")
    query = (
        select(AccreditationRecord.id, AccreditationRecord.decided_at, Unit.code, Unit.name, Unit.kind, district.c.name)
        .join(Unit, Unit.id == AccreditationRecord.unit_id)
        .outerjoin(district, district.c.id == AccreditationRecord.district_id)
        .where(AccreditationRecord.cycle_id == cycle.id, AccreditationRecord.decision == Decision.PASSED)
        .order_by(district.c.code, Unit.path)
    )
    if district_id is not None:
        query = query.where(AccreditationRecord.district_id == district_id)
    return [
        AccreditedUnit(district_name or "", code, name, UnitKind.LABELS.get(kind, kind), decided_at, record_id)
        for record_id, decided_at, code, name, kind, district_name in db.session.execute(query)
    ]


# --- a cycle's settings ------------------------------------------------------------------------

#: what the office may set on a cycle, in the page's order
SETTINGS = (
    "name",
    "threshold",
    "recommendation_share",
    "materials_deadline",
    "sample_share",
    "completion_required",
    "satisfaction_required",
    "street_hall_area",
    "community_office_area",
    "street_computers",
    "community_computers",
    "street_cabinets",
    "community_cabinets",
    "phones",
    "community_staff",
)
#: shares stored as fractions, shown and entered as percentages
PERCENT_SETTINGS = ("recommendation_share", "sample_share", "completion_required", "satisfaction_required")


def notice_defaults():
    """{setting: the value a new cycle gets (郑政办〔2005〕27号)}, from the model's column defaults."""
    columns = AccreditationCycle.__table__.c
    return {
        name: columns[name].default.arg
        for name in SETTINGS
        if name not in ("name", "materials_deadline") and columns[name].default is not None
    }


def show_setting(name, value):
    """A setting in words, as the page and the audit log show it: "10%", "95", "2026-10-31"."""
    if value is None:
        return ""
    if name in PERCENT_SETTINGS:
        return percent(value)
    if isinstance(value, date):
        return value.isoformat()
    return plain(value)


def threshold_locked(cycle):
    """The pass line may not move once an exam of the cycle is sealed: the sealed verdicts used it."""
    return (
        db.session.scalar(select(Exam.id).where(Exam.cycle_id == cycle.id, Exam.status == ExamStatus.SEALED).limit(1))
        is not None
    )


def update_cycle(actor, cycle, values, reason):
    """Set a cycle's settings (plain values: Decimals as stored, fractions for shares; a date)."""
    reason = clean_reason(reason, "修改原因", required=True)
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise ValueError(f"not a cycle setting: {sorted(unknown)}")
    deadline = values.get("materials_deadline")
    if deadline is not None and deadline.year != cycle.year:
        raise DomainError(f"申报材料截止日应在 {cycle.year} 年内", field="materials_deadline")
    name = values.get("name")
    if name is not None:
        name = values["name"] = name.strip()
        if not name:
            raise DomainError("请填写年度名称", field="name")
        taken = db.session.scalar(
            select(AccreditationCycle.id).where(AccreditationCycle.name == name, AccreditationCycle.id != cycle.id)
        )
        if taken is not None:
            raise DomainError("已有同名的验收年度", field="name")
    if "threshold" in values and Decimal(values["threshold"]) != cycle.threshold and threshold_locked(cycle):
        raise DomainError(
            f"{cycle.year} 年度已有考试成绩封存，考试合格线不能再修改（已封存的结果按 {plain(cycle.threshold)} 分判定）",
            field="threshold",
        )
    before = {k: show_setting(k, getattr(cycle, k)) for k in values}
    after = {k: show_setting(k, v) for k, v in values.items()}
    if before == after:
        raise DomainError("设置没有变化")
    for key, value in values.items():
        setattr(cycle, key, value)
    record_change(
        actor,
        "accreditation.cycle_update",
        "accreditation_cycle",
        cycle.id,
        label=cycle.name,
        before=before,
        after=after,
        reason=reason,
    )
    db.session.flush()
    return cycle


FIRST_YEAR = 2005  # the notice's first year


def create_cycle(actor, year, today):
    """Open the cycle of ``year`` with the notice's defaults (``today``: the date in the display zone)."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= today.year + 1:
        raise DomainError(f"年度应在 {FIRST_YEAR} 年到 {today.year + 1} 年之间", field="year")
    if db.session.scalar(select(AccreditationCycle.id).where(AccreditationCycle.year == year)) is not None:
        raise DomainError(f"{year} 年度已经存在", field="year")
    cycle = cycle_for_year(year)
    record_change(
        actor,
        "accreditation.cycle_create",
        "accreditation_cycle",
        cycle.id,
        label=cycle.name,
        after={k: show_setting(k, getattr(cycle, k)) for k in SETTINGS},
    )
    db.session.flush()
    return cycle
