"""What the findings pages show: the list with its filters, and the evidence of one finding."""

from dataclasses import dataclass

from sqlalchemy import select

from ..auth.models import User
from ..bank.content import JUDGE_LABELS, QType
from ..bank.grading import grade_response
from ..bank.models import QuestionVersion
from ..batches import batches
from ..exams.models import RosterEntry
from ..extensions import db
from ..org.models import Unit
from ..sitting.models import Attempt, AttemptEvent, AttemptItem, EventKind, event_text
from .models import Finding, FindingKind, Level
from .pace import paces

SORTS = {
    "strength": lambda f: (-f.strength, f.id),
    "kind": lambda f: (FindingKind.ALL.index(f.kind), -f.strength),
    "unit": lambda f: (min(f.unit_ids) if f.unit_ids else 0, -f.strength),
}
EVENT_NAMES = EventKind.LABELS
#: timeline markers: kinds drawn, and their colour (an SVG attribute: no inline style under the CSP)
MARKED = {
    EventKind.OPENED: "#0d6efd",
    EventKind.REOPENED: "#0d6efd",
    EventKind.TAKEOVER: "#dc3545",
    EventKind.ADDRESS_CHANGED: "#dc3545",
    EventKind.DEPARTURE: "#fd7e14",
    EventKind.COPY: "#fd7e14",
    EventKind.PASTE: "#fd7e14",
    EventKind.SUBMITTED: "#198754",
}


def list_findings(exam_id, *, kind=None, unit_id=None, level=None, status=None, sort="strength"):
    findings = db.session.scalars(select(Finding).where(Finding.exam_id == exam_id)).all()
    shown = [
        f
        for f in findings
        if (kind is None or f.kind == kind)
        and (unit_id is None or unit_id in f.unit_ids)
        and (level is None or f.level == level)
        and (status is None or (status == "reviewed") == f.is_reviewed)
    ]
    shown.sort(key=SORTS.get(sort, SORTS["strength"]))
    return findings, shown


def unit_names(unit_ids):
    names = {}
    for ids in batches(unit_ids):
        names.update(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    return names


def counts_by_level(findings):
    return {level: sum(1 for f in findings if f.level == level and f.holds) for level in Level.ALL}


@dataclass
class Involved:
    attempt: object
    user: object
    unit: object
    #: how the attempt was answered (pace.Pace)
    pace: object

    @property
    def minutes_to_last(self):
        """Minutes from the start to the last answer written."""
        return self.pace.minutes_to_last


def involved(finding):
    """The attempts of a finding, with their person and roster unit, in the finding's order."""
    rows = []
    for ids in batches(finding.attempt_ids):
        rows += db.session.execute(
            select(Attempt, User, Unit)
            .join(User, User.id == Attempt.user_id)
            .join(RosterEntry, RosterEntry.id == Attempt.roster_entry_id)
            .join(Unit, Unit.id == RosterEntry.unit_id)
            .where(Attempt.id.in_(ids), Attempt.exam_id == finding.exam_id)
        ).all()
    order = {attempt_id: i for i, attempt_id in enumerate(finding.attempt_ids)}
    rows = sorted(rows, key=lambda r: order.get(r[0].id, 0))
    by_attempt = paces([attempt for attempt, _user, _unit in rows])
    return [Involved(attempt, user, unit, by_attempt[attempt.id]) for attempt, user, unit in rows]


#: attempts drawn on a timeline (a unit finding may involve many)
TIMELINE_LIMIT = 30
WIDTH, ROW, LEFT = 1000, 34, 0


def timeline(people):
    """Rows for the SVG timeline: per attempt its span, answer ticks and event markers (x in 0..1000)."""
    truncated = len(people) > TIMELINE_LIMIT
    people = people[:TIMELINE_LIMIT]
    if not people:
        return None
    ids = [p.attempt.id for p in people]
    events = (
        db.session.execute(
            select(AttemptEvent)
            .where(AttemptEvent.attempt_id.in_(ids))
            .order_by(AttemptEvent.occurred_at, AttemptEvent.id)
        )
        .scalars()
        .all()
    )
    ends = {p.attempt.id: p.attempt.submitted_at or p.attempt.deadline_at for p in people}
    moments = [p.attempt.started_at for p in people] + list(ends.values()) + [e.occurred_at for e in events]
    start, end = min(moments), max(moments)
    span = max((end - start).total_seconds(), 60.0)

    def x(at):
        return round(LEFT + (at - start).total_seconds() / span * (WIDTH - LEFT), 1)

    rows = []
    for index, p in enumerate(people):
        a = p.attempt
        rows.append(
            {
                "y": index * ROW,
                "label": p.user.name,
                "attempt_id": a.id,
                "x": x(a.started_at),
                "w": max(1.0, x(ends[a.id]) - x(a.started_at)),
                "ticks": [x(step.first_at) for step in p.pace.steps],
                "changes": [
                    x(step.last_at) for step in p.pace.steps if step.saves > 1 and step.last_at != step.first_at
                ],
                "marks": [
                    {"x": x(e.occurred_at), "colour": MARKED[e.kind], "title": _event_title(e)}
                    for e in events
                    if e.attempt_id == a.id and e.kind in MARKED
                ],
            }
        )
    log = [(e, next(p for p in people if p.attempt.id == e.attempt_id)) for e in events]
    return {
        "rows": rows,
        "height": len(rows) * ROW + 24,
        "start": start,
        "end": end,
        "log": log,
        "width": WIDTH,
        "truncated": truncated,
    }


def _event_title(event):
    from flask import current_app

    local_dt = current_app.jinja_env.filters["local_dt"]
    where = f" {event.client_address}" if event.client_address else ""
    return f"{local_dt(event.occurred_at, '%H:%M:%S')} {event_name(event)}{where}"


def event_name(event):
    """What an event was, with a departure's length when the page reported the return."""
    if event.kind == EventKind.DEPARTURE:
        return event_text(event.kind, event.duration_ms)
    return EVENT_NAMES.get(event.kind, event.kind)


@dataclass
class SharedAnswer:
    version: object
    answer_a: str
    answer_b: str
    correct: str
    identical: bool
    wrong_a: bool
    wrong_b: bool
    #: when each first answered the question (None: not recorded) ...
    first_a: object = None
    first_b: object = None
    #: ... and whether that first answer is the one compared (written once, never changed)
    settled_a: bool = True
    settled_b: bool = True

    @property
    def lag_seconds(self):
        """Seconds from the first one's first answer to the second one's (negative: the second was first)."""
        if self.first_a is None or self.first_b is None:
            return None
        return (self.first_b - self.first_a).total_seconds()


def _pair_items(first, second, keep=None):
    """Two attempts' items by version ({attempt id: {version id: item}}), the versions both hold
    (only items ``keep`` accepts), and those versions: two statements."""
    items = (
        db.session.execute(select(AttemptItem).where(AttemptItem.attempt_id.in_((first.id, second.id)))).scalars().all()
    )
    by_attempt = {first.id: {}, second.id: {}}
    for item in items:
        if keep is None or keep(item):
            by_attempt[item.attempt_id][item.question_version_id] = item
    common = set(by_attempt[first.id]) & set(by_attempt[second.id])
    versions = (
        {v.id: v for v in db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(common)))}
        if common
        else {}
    )
    return by_attempt, common, versions


def shared_answers(first, second):
    """The questions both attempts were shown, with at least one wrong answer: identical ones first."""
    by_attempt, common, versions = _pair_items(first, second)
    rows = []
    for version_id in common:
        version = versions[version_id]
        a, b = by_attempt[first.id][version_id], by_attempt[second.id][version_id]
        wrong_a, wrong_b = _is_wrong(a, version), _is_wrong(b, version)
        if not (wrong_a or wrong_b):
            continue
        rows.append(
            SharedAnswer(
                version=version,
                answer_a=answer_text(version, a.response),
                answer_b=answer_text(version, b.response),
                correct=answer_text(
                    version, version.answer if version.qtype != QType.BLANK else [alts[0] for alts in version.answer]
                ),
                identical=wrong_a and wrong_b and a.response == b.response,
                wrong_a=wrong_a,
                wrong_b=wrong_b,
                first_a=a.first_answered_at,
                first_b=b.first_answered_at,
                settled_a=_settled(a),
                settled_b=_settled(b),
            )
        )
    rows.sort(key=lambda r: (not r.identical, not (r.wrong_a and r.wrong_b), r.version.id))
    return rows


def _settled(item):
    """The item's answer was written once: its first answer time is when the compared answer was given."""
    return item.save_count <= 1 or item.answered_at == item.first_answered_at


def _is_wrong(item, version):
    if item.response is None:
        return False
    if item.awarded is not None:
        return item.awarded < item.points
    return grade_response(version.qtype, version.answer, item.response, 1, stem=version.stem) != 1


def answer_text(version, response):
    """A response as the office reads it: 'B．option text', '对', blanks joined."""
    if response is None or response == "" or response == []:
        return "（未作答）"
    if version.qtype == QType.JUDGE:
        return JUDGE_LABELS.get(response, str(response))
    if version.qtype == QType.BLANK:
        parts = response if isinstance(response, list) else [response]
        return "｜".join(str(p) for p in parts)
    letters = "".join(response) if isinstance(response, list) else str(response)
    options = version.options or []
    texts = []
    for letter in letters:
        index = ord(letter) - ord("A")
        texts.append(f"{letter}．{options[index]}" if 0 <= index < len(options) else letter)
    return "；".join(texts)


@dataclass
class AlignedAnswer:
    """One question both answered, with each one's first answer time (a timing finding's evidence)."""

    version: object
    position_a: int
    position_b: int
    first_a: object
    first_b: object
    answer_a: str
    answer_b: str
    wrong_a: bool
    wrong_b: bool

    @property
    def lag_seconds(self):
        return (self.first_b - self.first_a).total_seconds()

    def follows(self, window):
        return 0 < self.lag_seconds <= window


def aligned_answers(leader, follower):
    """The questions both attempts answered with a first answer time, in the leader's order of answering."""
    by_attempt, common, versions = _pair_items(
        leader, follower, keep=lambda item: item.first_answered_at is not None and item.response is not None
    )
    rows = []
    for version_id in common:
        version = versions[version_id]
        a, b = by_attempt[leader.id][version_id], by_attempt[follower.id][version_id]
        rows.append(
            AlignedAnswer(
                version=version,
                position_a=a.position,
                position_b=b.position,
                first_a=a.first_answered_at,
                first_b=b.first_answered_at,
                answer_a=answer_text(version, a.response),
                answer_b=answer_text(version, b.response),
                wrong_a=_is_wrong(a, version),
                wrong_b=_is_wrong(b, version),
            )
        )
    rows.sort(key=lambda r: (r.first_a, r.position_a))
    return rows
