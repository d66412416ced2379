"""Sealing an exam's results, excusing absences, regrading after a wrong key, and corrections.

Sealing stores each unit's figures (``UnitResult``) and writes them into the units'
accreditation records. After the seal, figures change only through the corrections here:
each one changes the underlying data, re-derives the stored figures, writes a new entry
into every changed unit's record (with what stood before) and an audit entry with the
reason; nothing changes silently. Services flush; the caller commits.
"""

from decimal import Decimal

from sqlalchemy import func, select

from ..audit.services import record_change, register_actions
from ..bank.content import QType
from ..bank.grading import grade_response
from ..bank.models import QuestionVersion
from ..clock import local_time, utcnow
from ..cycles.services import cycle_for_year, records_of, write_exam_entry
from ..errors import DomainError
from ..exams.models import ExamStatus, RosterEntry
from ..extensions import db
from ..reasons import clean_reason
from ..sitting.grading import grade_exam_first
from ..sitting.models import Attempt, AttemptItem, AttemptState
from .models import UnitResult
from .scores import Verdict, live_unit_scores

RESULTS_ACTION_LABELS = {
    "exam.seal": "封存考试成绩",
    "roster.excuse": "批准缺考",
    "roster.unexcuse": "撤销缺考批准",
    "exam.regrade": "按更正的答案重新评分",
    "results.correct": "更正已封存的成绩",
}
register_actions(RESULTS_ACTION_LABELS)


def _require_reason(reason):
    if not (reason or "").strip():
        raise DomainError("请填写原因（将记入操作日志）", field="reason")
    return clean_reason(reason)


def _number(value):
    """A figure as a Decimal (or None): 0, "0" and Decimal("0.00") are the same number."""
    return None if value is None else Decimal(str(value))


def _figures(score_or_row):
    """What a correction compares: the unit's figures as numbers, never as text.

    A stored sum reads back as Decimal("0.00") while PostgreSQL's live coalesce(sum, 0) is
    Decimal("0"); compared as text, every unit where nobody sat looked corrected."""
    s = score_or_row
    return {
        "roster_size": int(s.roster_size),
        "sat": int(s.sat),
        "excused": int(s.excused),
        "absent": int(s.absent),
        "score_sum": _number(s.score_sum),
        "highest": _number(s.highest),
        "lowest": _number(s.lowest),
    }


def _summary(score):
    """A unit's result in one line for the audit log: "94.37 取消验收资格 (应考 5, 实考 4, 缺考批准 0)"."""
    average = "—" if score.average_shown is None else str(score.average_shown)
    return f"{average} {score.verdict_label}（应考 {score.roster_size}，实考 {score.sat}，批准缺考 {score.excused}）"


def _require_graded(exam):
    """Final scores first: grade the exam's hand-ins still pending; refuse while another grader
    holds some (a moment)."""
    grading = grade_exam_first(exam.id)
    if grading:
        raise DomainError(f"还有 {grading} 份答卷正在计算成绩，请稍候几秒再试")


def cycle_of(exam):
    """The cycle the exam counts for: its own, or that of the year it opened (in the display zone)."""
    if exam.cycle is None:
        exam.cycle = cycle_for_year(local_time(exam.opens_at).year)
    return exam.cycle


def seal_exam(actor, exam):
    """Store every unit's figures as they are and write them into the accreditation records."""
    if exam.status == ExamStatus.SEALED:
        raise DomainError("本场考试的成绩已经封存")
    if exam.status != ExamStatus.CLOSED:
        raise DomainError("考试结束后才能封存成绩：请先结束考试")
    open_attempts = db.session.scalar(
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.IN_PROGRESS)
    )
    if open_attempts:
        raise DomainError(f"还有 {open_attempts} 份答卷未交卷，不能封存")
    _require_graded(exam)
    scores = live_unit_scores(exam)
    if not scores:
        raise DomainError("考生名单为空，没有可封存的成绩")
    cycle = cycle_of(exam)
    now = utcnow()
    known = records_of(cycle, [s.unit_id for s in scores])
    for score in scores:
        db.session.add(
            UnitResult(
                exam_id=exam.id,
                unit_id=score.unit_id,
                district_id=score.district_id,
                threshold=score.threshold,
                verdict=score.verdict,
                revision=0,
                updated_at=now,
                **{
                    k: getattr(score, k)
                    for k in ("roster_size", "sat", "excused", "absent", "score_sum", "highest", "lowest")
                },
            )
        )
        write_exam_entry(actor, cycle, exam, score, known=known)
    exam.mark_sealed()
    db.session.flush()
    record_change(
        actor,
        "exam.seal",
        "exam",
        exam.id,
        label=exam.title,
        after={
            "units": len(scores),
            "passed": sum(1 for s in scores if s.verdict == Verdict.PASSED),
            "disqualified": sum(1 for s in scores if s.verdict == Verdict.DISQUALIFIED),
            "no_result": sum(1 for s in scores if s.verdict == Verdict.NO_RESULT),
            "cycle": cycle.year,
        },
    )
    return scores


def rederive(actor, exam, reason):
    """After a change to a sealed exam's data: re-derive the stored figures; returns the changed units.

    Each changed unit gets its figures updated (revision + 1) and a correction entry in its
    record; one audit entry lists every unit's before and after.
    """
    if exam.status != ExamStatus.SEALED:
        return []
    stored = {row.unit_id: row for row in db.session.scalars(select(UnitResult).where(UnitResult.exam_id == exam.id))}
    cycle = cycle_of(exam)
    from .scores import sealed_unit_scores

    before_scores = {s.unit_id: s for s in sealed_unit_scores(exam)}
    changed, before, after = [], {}, {}
    now = utcnow()
    for score in live_unit_scores(exam):
        row = stored.get(score.unit_id)
        if row is None or _figures(row) == _figures(score):
            continue
        for key in ("roster_size", "sat", "excused", "absent", "score_sum", "highest", "lowest"):
            setattr(row, key, getattr(score, key))
        row.verdict, row.revision, row.updated_at = score.verdict, row.revision + 1, now
        write_exam_entry(actor, cycle, exam, score, kind="exam_corrected", reason=reason)
        label = f"{score.unit_name}（{score.unit_code}）"
        before[label] = _summary(before_scores[score.unit_id])
        after[label] = _summary(score)
        changed.append(score)
    if changed:
        db.session.flush()
        record_change(
            actor, "results.correct", "exam", exam.id, label=exam.title, before=before, after=after, reason=reason
        )
    return changed


def _attempt_of(entry):
    return db.session.scalar(select(Attempt).where(Attempt.roster_entry_id == entry.id))


def excuse_absence(actor, entry, reason):
    """Excuse a rostered person's absence (they leave the unit's denominator); re-derives a sealed exam."""
    reason = _require_reason(reason)
    exam = entry.exam
    if exam.status == ExamStatus.DRAFT:
        raise DomainError("考试尚未发布，不需要批准缺考")
    if entry.is_excused:
        raise DomainError("该考生的缺考已经批准过")
    if _attempt_of(entry) is not None:
        raise DomainError("该考生已参加考试（或已开始作答），不能按缺考处理")
    entry.excuse_reason, entry.excused_at, entry.excused_by_id = reason, utcnow(), actor.id if actor else None
    db.session.flush()
    record_change(
        actor,
        "roster.excuse",
        "roster_entry",
        entry.id,
        label=f"{exam.title}：{entry.user.name}",
        before={"excused": False},
        after={"excused": True},
        reason=reason,
        district_id=entry.district_id,
    )
    return rederive(actor, exam, f"批准 {entry.user.name} 缺考：{reason}")


def withdraw_excuse(actor, entry, reason):
    """Undo an excusal (the absence counts as 0 again); re-derives a sealed exam."""
    reason = _require_reason(reason)
    if not entry.is_excused:
        raise DomainError("该考生没有被批准缺考")
    previous = entry.excuse_reason
    entry.excuse_reason, entry.excused_at, entry.excused_by_id = None, None, None
    db.session.flush()
    record_change(
        actor,
        "roster.unexcuse",
        "roster_entry",
        entry.id,
        label=f"{entry.exam.title}：{entry.user.name}",
        before={"excused": True, "excuse_reason": previous},
        after={"excused": False, "excuse_reason": None},
        reason=reason,
        district_id=entry.district_id,
    )
    return rederive(actor, entry.exam, f"撤销 {entry.user.name} 的缺考批准：{reason}")


def regrade_candidates(exam):
    """Versions used in the exam for which the bank now holds a later version of the same question
    with a different key: [(used version, newest version, items)]."""
    used = db.session.execute(
        select(AttemptItem.question_version_id, func.count())
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.SUBMITTED)
        .group_by(AttemptItem.question_version_id)
    ).all()
    if not used:
        return []
    counts = dict(used)
    versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(counts))).all()
    question_ids = {v.question_id for v in versions}
    newest = {}
    for version in db.session.scalars(
        select(QuestionVersion).where(QuestionVersion.question_id.in_(question_ids)).order_by(QuestionVersion.id)
    ):
        newest[version.question_id] = version
    candidates = []
    for version in sorted(versions, key=lambda v: v.id):
        latest = newest[version.question_id]
        if latest.id != version.id and latest.answer != version.answer and _same_shape(version, latest):
            candidates.append((version, latest, counts[version.id]))
    return candidates


def _same_shape(version, other):
    return (
        version.qtype == other.qtype
        and len(version.options or ()) == len(other.options or ())
        and (version.qtype != QType.BLANK or len(version.answer) == len(other.answer))
    )


def regrade_with_key(actor, exam, version, key_version, reason):
    """Grade every submitted item shown ``version`` with ``key_version``'s key (a corrected later
    version of the same question); attempts' scores follow; a sealed exam is re-derived.

    Returns (items regraded, attempts whose score changed, units whose result changed)."""
    reason = _require_reason(reason)
    if exam.status not in (ExamStatus.CLOSED, ExamStatus.SEALED):
        raise DomainError("考试结束后才能重新评分")
    if key_version.question_id != version.question_id or not _same_shape(version, key_version):
        raise DomainError("更正的答案必须来自同一道题的新版本，且题型和选项数相同")
    _require_graded(exam)
    items = db.session.execute(
        select(AttemptItem, Attempt)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(
            Attempt.exam_id == exam.id,
            Attempt.state == AttemptState.SUBMITTED,
            AttemptItem.question_version_id == version.id,
        )
    ).all()
    if not items:
        raise DomainError("本场考试的已交答卷中没有这道题")
    key_id = None if key_version.id == version.id else key_version.id
    old_key, old_key_version_id = _current_key(items)  # read before any item points at the new key
    changed_attempts = {}
    for item, attempt in items:
        awarded = grade_response(
            key_version.qtype,
            key_version.answer,
            item.response,
            item.points,
            multiple_mode=exam.multiple_mode,
            stem=key_version.stem,
        )
        item.key_version_id = key_id
        if awarded != item.awarded:
            changed_attempts.setdefault(attempt.id, [attempt, attempt.score])
            item.awarded = awarded
    db.session.flush()
    for attempt, _old in changed_attempts.values():
        attempt.score = db.session.scalar(
            select(func.coalesce(func.sum(AttemptItem.awarded), 0)).where(AttemptItem.attempt_id == attempt.id)
        )
    db.session.flush()
    record_change(
        actor,
        "exam.regrade",
        "exam",
        exam.id,
        label=f"{exam.title}：第 {version.question_id} 题",
        before={"key": old_key, "key_version_id": old_key_version_id, "version_id": version.id},
        after={
            "key": key_version.answer,
            "key_version_id": key_version.id,
            "items": len(items),
            "scores_changed": len(changed_attempts),
        },
        reason=reason,
    )
    units = rederive(actor, exam, f"按更正的答案重新评分（第 {version.question_id} 题）：{reason}")
    return len(items), len(changed_attempts), units


def _current_key(items):
    """The key the items are graded with now: (answer, id of the version it comes from)."""
    item = items[0][0]
    key_version = item.version if item.key_version_id is None else db.session.get(QuestionVersion, item.key_version_id)
    return key_version.answer, key_version.id


def close_exam_early_problems(exam):
    """Why an exam cannot end before its window closes (None if it can): nobody may still be sitting."""
    in_progress = db.session.scalar(
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.exam_id == exam.id, Attempt.state == AttemptState.IN_PROGRESS)
    )
    if in_progress:
        return f"还有 {in_progress} 人正在作答，不能提前结束考试"
    return None


def not_started_count(exam):
    return db.session.scalar(
        select(func.count())
        .select_from(RosterEntry)
        .outerjoin(Attempt, Attempt.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.exam_id == exam.id, Attempt.id.is_(None), RosterEntry.excuse_reason.is_(None))
    )
