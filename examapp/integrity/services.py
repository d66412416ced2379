"""Computing and storing an exam's findings, and the office's review of them.

Services flush and never commit; the request or the command commits once. Nothing here
touches a score: a finding is evidence for the office, who decide (a void or a
correction goes through the sitting and results features, audited there).
"""

import time

from sqlalchemy import delete, select

from ..audit.services import record_change, register_actions
from ..clock import utcnow
from ..errors import DomainError
from ..exams.models import Exam, ExamStatus
from ..extensions import db
from ..sitting.grading import grade_exam_first
from .analysis import Settings, analyse
from .models import Finding, IntegrityRun
from .signals import load_sitting

INTEGRITY_ACTION_LABELS = {
    "integrity.compute": "计算考试诚信疑点",
    "integrity.review": "复核考试诚信疑点",
}
register_actions(INTEGRITY_ACTION_LABELS)

MAX_NOTE_LENGTH = 1000


def compute_findings(exam, actor=None, settings=None):
    """(Re)compute the exam's findings. Returns the run.

    Unreviewed findings are replaced. A reviewed finding found again keeps its review
    and takes the new figures; one not found again stays, marked as no longer holding.
    """
    if exam.status == ExamStatus.DRAFT:
        raise DomainError("草稿状态的考试没有答卷，无需计算")
    began = time.perf_counter()
    grade_exam_first(exam.id)  # the findings read final scores: hand-ins still pending are graded first
    sitting = load_sitting(exam)
    drafts, stats = analyse(sitting, settings or Settings())
    now = utcnow()
    reviewed = {
        f.key: f
        for f in db.session.scalars(select(Finding).where(Finding.exam_id == exam.id, Finding.reviewed_at.isnot(None)))
    }
    db.session.execute(
        delete(Finding)
        .where(Finding.exam_id == exam.id, Finding.reviewed_at.is_(None))
        .execution_options(synchronize_session="fetch")
    )
    for finding in reviewed.values():
        finding.holds = False
    for draft in drafts:
        finding = reviewed.get(draft.key)
        if finding is None:
            finding = Finding(exam_id=exam.id, kind=draft.kind, key=draft.key)
            db.session.add(finding)
        finding.strength, finding.level = draft.strength, draft.level
        finding.unit_ids, finding.attempt_ids = draft.unit_ids, draft.attempt_ids
        finding.summary, finding.evidence = draft.summary, draft.evidence
        finding.computed_at, finding.holds = now, True
    run = IntegrityRun(
        exam_id=exam.id,
        computed_at=now,
        computed_by_id=actor.id if actor is not None else None,
        attempts=len(sitting.attempts),
        findings=len(drafts),
        seconds=round(time.perf_counter() - began, 3),
        stats=_plain(stats),
    )
    db.session.add(run)
    db.session.flush()
    record_change(
        actor,
        "integrity.compute",
        "exam",
        exam.id,
        label=exam.title,
        after={"findings": len(drafts), "attempts": len(sitting.attempts)},
    )
    return run


def _plain(stats):
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in stats.items()}


def review_finding(actor, finding, note):
    """Mark a finding reviewed with the office's note (again: the note is replaced, the old one audited)."""
    note = (note or "").strip()
    if not note:
        raise DomainError("请填写复核意见（将记入操作日志）", field="note")
    if len(note) > MAX_NOTE_LENGTH:
        raise DomainError(f"复核意见不能超过 {MAX_NOTE_LENGTH} 个字", field="note")
    before = {"review_note": finding.review_note, "reviewed": finding.is_reviewed}
    finding.reviewed_by_id, finding.reviewed_at, finding.review_note = actor.id, utcnow(), note
    db.session.flush()
    exam = db.session.get(Exam, finding.exam_id)
    record_change(
        actor,
        "integrity.review",
        "integrity_finding",
        finding.id,
        label=f"{exam.title}：{finding.short_label}（{finding.summary[:80]}）",
        before=before,
        after={"review_note": note, "reviewed": True},
        reason=note,
    )
    return finding


def latest_run(exam_id):
    return db.session.scalar(
        select(IntegrityRun).where(IntegrityRun.exam_id == exam_id).order_by(IntegrityRun.id.desc()).limit(1)
    )


def exams_due():
    """Ended exams whose findings were not computed since they ended (for ``flask integrity sweep``)."""
    exams = db.session.scalars(
        select(Exam).where(Exam.status.in_((ExamStatus.PUBLISHED, ExamStatus.CLOSED, ExamStatus.SEALED)))
    ).all()
    due = []
    for exam in exams:
        if not exam.has_ended:
            continue
        run = latest_run(exam.id)
        ended = exam.closed_at or exam.closes_at
        if run is None or run.computed_at < ended:
            due.append(exam)
    return due
