"""Corrections after the seal that change a unit's standing wait for the office.

A correction after the seal (an excusal, its withdrawal, a regrade with a corrected key) is
first tried inside a savepoint: the data change, the figures are
re-derived and each unit's verdict compared with the stored one. If no verdict changes, the
correction stands at once, as before the seal. If one would change (passed <-> disqualified),
the savepoint is rolled back and the correction is kept as a proposal (``PendingCorrection``)
with what to apply and the standings it would change; it takes effect only when the
leadership-group office confirms it, a second person. Confirming applies it again (so it is
checked against the data as they are then) and the record entry names both people. Proposing,
confirming and rejecting are audited. Services flush; the caller commits.

Accepting late deliveries after the seal (``late.accept_late``) is a correction of the same kind:
the exam admin's acceptance that would change a standing waits for the office too.
"""

from dataclasses import dataclass

from sqlalchemy import select

from ..audit.services import record_change, register_actions
from ..auth.models import Role
from ..bank.models import QuestionVersion
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import ExamStatus, RosterEntry
from ..extensions import db
from ..reasons import MAX_REASON_LENGTH
from . import services
from .models import CorrectionStatus, PendingCorrection, UnitResult
from .scores import Verdict, sealed_unit_scores

register_actions(
    {
        "results.propose": "提出更正已封存的成绩（待领导小组办公室确认）",
        "results.confirm": "确认更正已封存的成绩",
        "results.reject": "不同意更正已封存的成绩",
    }
)

KIND_LABELS = {
    "excuse": "批准缺考",
    "unexcuse": "撤销缺考批准",
    "regrade": "按更正的答案重新评分",
    "late_accept": "接受迟到送达的答案",
}


@dataclass
class Outcome:
    """What a correction did: applied at once (``result``: what the service returned), or proposed."""

    result: object = None
    proposal: PendingCorrection | None = None

    @property
    def proposed(self):
        return self.proposal is not None


# --- what each kind applies --------------------------------------------------------------------


def _entry(exam, params):
    entry = db.session.get(RosterEntry, params.get("entry_id"))
    if entry is None or entry.exam_id != exam.id:
        raise DomainError("考生名单中没有这名考生")
    return entry


def _versions(params):
    version = db.session.get(QuestionVersion, params.get("version_id"))
    key_version = db.session.get(QuestionVersion, params.get("key_version_id"))
    if version is None or key_version is None:
        raise DomainError("请选择要重新评分的试题")
    return version, key_version


def _late(exam, params):
    from ..sitting.models import Attempt

    attempt = db.session.get(Attempt, params.get("attempt_id"))
    if attempt is None or attempt.exam_id != exam.id:
        raise DomainError("本场考试中没有这份答卷")
    return attempt


def _apply(actor, exam, kind, params, reason):
    if kind == "late_accept":
        from .late import accept_late

        return accept_late(actor, _late(exam, params), params.get("delivery_ids") or [], reason)
    if kind == "excuse":
        return services.excuse_absence(actor, _entry(exam, params), reason)
    if kind == "unexcuse":
        return services.withdraw_excuse(actor, _entry(exam, params), reason)
    if kind == "regrade":
        version, key_version = _versions(params)
        return services.regrade_with_key(actor, exam, version, key_version, reason)
    raise ValueError(f"unknown correction kind {kind!r}")


def _describe(exam, kind, params):
    """The correction in words, for the office's list."""
    if kind == "late_accept":
        attempt = _late(exam, params)
        return f"接受 {attempt.user.name}（{attempt.roster_entry.unit.name}）迟到送达的 {len(params['delivery_ids'])} 个答案"
    if kind in ("excuse", "unexcuse"):
        entry = _entry(exam, params)
        who = f"{entry.user.name}（{entry.unit.name}）"
        return f"批准 {who} 缺考" if kind == "excuse" else f"撤销 {who} 的缺考批准"
    version, key_version = _versions(params)
    return f"第 {version.question_id} 题按更正的答案重新评分（答案改为 {_key_text(key_version.answer)}）"


def _key_text(answer):
    if isinstance(answer, list):
        return "；".join(_key_text(a) for a in answer)
    if answer is True:
        return "对"
    if answer is False:
        return "错"
    return str(answer)


def _district(exam, kind, params):
    if kind == "late_accept":
        return _late(exam, params).roster_entry.district_id
    if kind in ("excuse", "unexcuse"):
        return _entry(exam, params).district_id
    return None


# --- applying at once or proposing ----------------------------------------------------------------


def _verdicts(exam):
    return dict(
        db.session.execute(select(UnitResult.unit_id, UnitResult.verdict).where(UnitResult.exam_id == exam.id)).all()
    )


def _label(score):
    return f"{score.unit_name}（{score.unit_code}）"


def correct(actor, exam, kind, params, reason, *, office_applies=False):
    """Apply a correction, or (after the seal, when it would change a unit's standing) propose it.

    ``office_applies``: the actor may apply a standing change itself (the office: it is the
    confirming side). Domain errors of the correction are raised as they are."""
    reason = services._require_reason(reason)
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown correction kind {kind!r}")
    if exam.status != ExamStatus.SEALED or office_applies:
        return Outcome(result=_apply(actor, exam, kind, params, reason))
    summary = _describe(exam, kind, params)  # before the trial: the names as they are
    before = _verdicts(exam)
    stored_before = {s.unit_id: s for s in sealed_unit_scores(exam)}
    savepoint = db.session.begin_nested()
    try:
        result = _apply(actor, exam, kind, params, reason)
        db.session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    standings = []
    for score in sealed_unit_scores(exam):
        old = before.get(score.unit_id)
        if old is not None and old != score.verdict:
            standings.append(
                {
                    "unit": _label(score),
                    "before": services._summary(stored_before[score.unit_id]),
                    "after": services._summary(score),
                    "from": old,
                    "to": score.verdict,
                }
            )
    if not standings:
        savepoint.commit()
        return Outcome(result=result)
    savepoint.rollback()
    return Outcome(proposal=_propose(actor, exam, kind, params, reason, summary, standings))


def _propose(actor, exam, kind, params, reason, summary, standings):
    for other in pending_for(exam):
        if other.kind == kind and other.params == params:
            raise DomainError("已有一项相同的更正在等待领导小组办公室确认")
    proposal = PendingCorrection(
        exam_id=exam.id,
        kind=kind,
        params=params,
        summary=summary,
        standings=standings,
        reason=reason,
        district_id=_district(exam, kind, params),
        status=CorrectionStatus.PENDING,
        proposed_by_id=actor.id,
        proposed_at=utcnow(),
    )
    db.session.add(proposal)
    db.session.flush()
    record_change(
        actor,
        "results.propose",
        "pending_correction",
        proposal.id,
        label=f"{exam.title}：{summary}",
        after={
            "kind": KIND_LABELS[kind],
            "correction": summary,
            "standings": [f"{s['unit']}：{s['before']} → {s['after']}" for s in standings],
        },
        reason=reason,
        district_id=proposal.district_id,
    )
    return proposal


def pending_for(exam):
    return db.session.scalars(
        select(PendingCorrection).where(
            PendingCorrection.exam_id == exam.id, PendingCorrection.status == CorrectionStatus.PENDING
        )
    ).all()


# --- the office decides ---------------------------------------------------------------------------


def _pending(proposal):
    """The proposal read afresh and locked: two decisions on it never interleave."""
    proposal = db.session.scalar(
        select(PendingCorrection)
        .where(PendingCorrection.id == proposal.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if proposal.status != CorrectionStatus.PENDING:
        raise DomainError(f"这项更正已经处理过（{proposal.status_label}）")
    return proposal


def _check_decider(actor, proposal):
    if actor is None or actor.role != Role.OFFICE:
        raise DomainError("只有领导小组办公室可以确认或不同意更正")
    if actor.id == proposal.proposed_by_id:
        raise DomainError("提出更正的人不能自己确认")


def _record_text(proposal, confirmer):
    """The reason written into the record entries: the proposer's reason and both people."""
    names = f"（{proposal.proposed_by.name} 提出，{confirmer.name} 确认）"
    room = MAX_REASON_LENGTH - len(names) - 60  # the correction adds its own words in front
    reason = proposal.reason if len(proposal.reason) <= room else proposal.reason[: room - 1] + "…"
    return reason + names


def confirm_correction(actor, proposal, reason):
    """Apply a proposed correction (checked again against the data as they are now)."""
    reason = services._require_reason(reason)
    proposal = _pending(proposal)
    _check_decider(actor, proposal)
    exam = proposal.exam
    try:
        result = _apply(actor, exam, proposal.kind, proposal.params, _record_text(proposal, actor))
    except DomainError as exc:
        raise DomainError(f"这项更正已不能执行：{exc.message}") from exc
    proposal.status, proposal.decided_by_id = CorrectionStatus.CONFIRMED, actor.id
    proposal.decided_at, proposal.decision_reason = utcnow(), reason
    db.session.flush()
    record_change(
        actor,
        "results.confirm",
        "pending_correction",
        proposal.id,
        label=f"{exam.title}：{proposal.summary}",
        before={"status": CorrectionStatus.LABELS[CorrectionStatus.PENDING]},
        after={
            "status": CorrectionStatus.LABELS[CorrectionStatus.CONFIRMED],
            "proposed_by": f"{proposal.proposed_by.name}（{proposal.proposed_by.username}）",
            "proposal_reason": proposal.reason,
        },
        reason=reason,
        district_id=proposal.district_id,
    )
    return result


def reject_correction(actor, proposal, reason):
    """Decline a proposed correction: nothing changes in the results."""
    reason = services._require_reason(reason)
    proposal = _pending(proposal)
    _check_decider(actor, proposal)
    proposal.status, proposal.decided_by_id = CorrectionStatus.REJECTED, actor.id
    proposal.decided_at, proposal.decision_reason = utcnow(), reason
    db.session.flush()
    record_change(
        actor,
        "results.reject",
        "pending_correction",
        proposal.id,
        label=f"{proposal.exam.title}：{proposal.summary}",
        before={"status": CorrectionStatus.LABELS[CorrectionStatus.PENDING]},
        after={
            "status": CorrectionStatus.LABELS[CorrectionStatus.REJECTED],
            "proposed_by": f"{proposal.proposed_by.name}（{proposal.proposed_by.username}）",
        },
        reason=reason,
        district_id=proposal.district_id,
    )
    return proposal


def verdict_label(verdict):
    return Verdict.LABELS.get(verdict, verdict)
