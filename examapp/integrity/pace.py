"""How an attempt was answered, from the per-item times every save records.

Each item keeps when it was first answered, when it was last written and how many saves
wrote it (``sitting.saving.answer_timing``). From those, per attempt: the order in which
the questions were first answered, the time from the start to the first answer, the time
between one answer and the next, the answers saved again (changed, cleared or flagged). A person answering for several accounts, or copying from a
neighbour's screen, shows in these before it shows in the scores.
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..batches import batches
from ..extensions import db
from ..sitting.models import AttemptItem


@dataclass(frozen=True)
class AnswerStep:
    position: int
    version_id: int
    first_at: datetime
    last_at: datetime
    saves: int
    #: seconds since the previous first answer (for the first answer: since the start)
    gap_seconds: float


@dataclass
class Pace:
    attempt_id: int
    started_at: datetime
    questions: int
    #: answered questions in the order of their first answer
    steps: list = field(default_factory=list)
    #: when any item was last written (answers and flags)
    last_write_at: datetime | None = None

    @property
    def answered(self):
        return len(self.steps)

    @property
    def first_answer_seconds(self):
        return self.steps[0].gap_seconds if self.steps else None

    @property
    def median_gap_seconds(self):
        """The typical time between one answer and the next (the start excluded)."""
        gaps = [s.gap_seconds for s in self.steps[1:]]
        return statistics.median(gaps) if gaps else None

    @property
    def resaves(self):
        """Saves beyond the first of each answered question (answers changed, cleared or flagged)."""
        return sum(s.saves - 1 for s in self.steps if s.saves > 1)

    @property
    def in_order_share(self):
        """Share of answers given to the question right after the one answered before."""
        if len(self.steps) < 2:
            return None
        follows = sum(1 for a, b in zip(self.steps, self.steps[1:], strict=False) if b.position == a.position + 1)
        return follows / (len(self.steps) - 1)

    @property
    def minutes_to_last(self):
        if self.last_write_at is None:
            return None
        return (self.last_write_at - self.started_at).total_seconds() / 60

    @property
    def order_text(self):
        """The positions in answering order, ascending runs written as ranges: '1–12、15、13、14、16–80'."""
        runs, positions = [], [s.position for s in self.steps]
        for position in positions:
            if runs and position == runs[-1][1] + 1:
                runs[-1][1] = position
            else:
                runs.append([position, position])
        return "、".join(str(a) if a == b else (f"{a}、{b}" if b == a + 1 else f"{a}–{b}") for a, b in runs)


def paces(attempts):
    """{attempt id: Pace} for the given Attempt rows, from one query of their items (one per
    ``IN_BATCH`` attempts: a crowd's finding may name thousands)."""
    by_id = {a.id: Pace(attempt_id=a.id, started_at=a.started_at, questions=0) for a in attempts}
    rows = []
    for ids in batches(by_id):
        rows += db.session.execute(
            select(
                AttemptItem.attempt_id,
                AttemptItem.position,
                AttemptItem.question_version_id,
                AttemptItem.first_answered_at,
                AttemptItem.answered_at,
                AttemptItem.save_count,
            ).where(AttemptItem.attempt_id.in_(ids))
        ).all()
    firsts = {}
    for row in rows:
        pace = by_id[row.attempt_id]
        pace.questions += 1
        if row.answered_at is not None and (pace.last_write_at is None or row.answered_at > pace.last_write_at):
            pace.last_write_at = row.answered_at
        if row.first_answered_at is not None:
            firsts.setdefault(row.attempt_id, []).append(row)
    for attempt_id, answered in firsts.items():
        pace = by_id[attempt_id]
        answered.sort(key=lambda r: (r.first_answered_at, r.position))
        before = pace.started_at
        for row in answered:
            pace.steps.append(
                AnswerStep(
                    position=row.position,
                    version_id=row.question_version_id,
                    first_at=row.first_answered_at,
                    last_at=row.answered_at or row.first_answered_at,
                    saves=row.save_count,
                    gap_seconds=max(0.0, (row.first_answered_at - before).total_seconds()),
                )
            )
            before = row.first_answered_at
    return by_id


@dataclass(frozen=True)
class Lead:
    """Who answered the identical wrong answers of a pair first."""

    first_a: int
    first_b: int
    together: int
    #: the median of |difference| in seconds
    median_seconds: float | None
    #: identical wrong answers left out: one of the two changed the question's answer, so its
    #: first answer time is not when the compared answer was given
    changed: int = 0


def lead(rows, within_seconds=5):
    """Over the identical wrong answers (SharedAnswer rows) that both gave once: who answered first."""
    identical = [r for r in rows if r.identical and r.first_a is not None and r.first_b is not None]
    timed = [r for r in identical if r.settled_a and r.settled_b]
    diffs = [(r.first_b - r.first_a).total_seconds() for r in timed]
    return Lead(
        first_a=sum(1 for d in diffs if d > within_seconds),
        first_b=sum(1 for d in diffs if d < -within_seconds),
        together=sum(1 for d in diffs if abs(d) <= within_seconds),
        median_seconds=statistics.median(abs(d) for d in diffs) if diffs else None,
        changed=len(identical) - len(timed),
    )
