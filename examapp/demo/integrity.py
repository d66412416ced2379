"""The integrity demo: a closed exam of 管城回族区 with realistic answers and two planted cases.

A fixed paper of 40 single-choice and 10 true/false questions from the loaded bank, sat by the
district's staff and 48 more demo examinees. Each person answers by their ability against each
question's difficulty (a Rasch model), and a wrong answer falls on the question's distractors
with uneven weights, as real wrong answers do. Planted on top:

- a copier who gave a weak colleague's answer on nine in ten of the questions that colleague
  got wrong (the same unit): the office should see an answer-copying finding;
- one person who sat for two colleagues of the same unit, from one PC at the same time: a
  shared-device finding.

Everyone else answers alone, from their own PC. The findings are computed when the demo loads.
"""

import hashlib
import math
import random
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db

SINGLES, JUDGES, POINTS = 40, 10, 2
EXTRA_PEOPLE = 48
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0 Safari/537.36 Edg/118.0",
]


def _paper(rng):
    """[(version, difficulty, distractor weights)] of the fixed paper, drawn from the published bank."""
    from ..bank.models import Question, QuestionVersion, Status

    def versions(qtype, count):
        found = db.session.scalars(
            select(QuestionVersion)
            .join(Question, Question.current_version_id == QuestionVersion.id)
            .where(Question.status == Status.PUBLISHED, QuestionVersion.qtype == qtype)
            .order_by(QuestionVersion.id)
        ).all()
        return rng.sample(found, count)

    paper = []
    for version in versions("single", SINGLES) + versions("judge", JUDGES):
        wrong = [letter for letter in "ABCDEF"[: len(version.options or ())] if letter != version.answer]
        if version.qtype == "judge":
            wrong = ["F" if version.answer == "T" else "T"]
        weights = sorted((0.2 + rng.random() for _ in wrong), reverse=True)  # some distractors attract more
        paper.append((version, rng.uniform(-2.5, 1.0), wrong, weights))
    return paper


def _answer(rng, ability, question):
    version, difficulty, wrong, weights = question
    if rng.random() < 1 / (1 + math.exp(-(ability - difficulty))):
        return version.answer
    return rng.choices(wrong, weights)[0]


def _people(district):
    """The district's examinees, with 48 more demo staff spread over its communities."""
    from ..auth.models import Role, User
    from ..org.models import Unit, UnitKind
    from ..staff.services import create_user
    from .data import GIVEN, SURNAMES

    communities = db.session.scalars(
        select(Unit).where(Unit.kind == UnitKind.COMMUNITY, Unit.path.startswith(district.path)).order_by(Unit.code)
    ).all()
    for n in range(EXTRA_PEOPLE):
        community = communities[n % len(communities)]
        create_user(
            None,
            username=f"gc{n + 1:03d}",
            name=SURNAMES[(n * 5 + 3) % len(SURNAMES)] + GIVEN[(n * 11 + 2) % len(GIVEN)],
            role=Role.EXAMINEE,
            unit=community,
        )
    return db.session.scalars(
        select(User).where(User.role == Role.EXAMINEE, User.unit_id.in_([c.id for c in communities])).order_by(User.id)
    ).all()


def _time_answer(timing, item, at, latest):
    """An item first answered at ``at`` (give or take); one in ten changed a little later, by ``latest``."""
    item.first_answered_at = item.answered_at = at + timedelta(seconds=timing.uniform(-8, 8))
    item.save_count = 1
    if timing.random() < 0.1:
        item.answered_at = min(item.answered_at + timedelta(seconds=timing.uniform(20, 300)), latest)
        item.save_count = 2 if item.answered_at > item.first_answered_at else 1


def _follow(timing, source, copier, copied):
    """The copier gives each copied answer 10 to 40 s after the source gave it, as someone
    reading a neighbour's screen does."""
    from ..sitting.models import AttemptItem

    given = {
        item.question_version_id: item.first_answered_at
        for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == source.id))
    }
    for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == copier.id)):
        if item.question_version_id in copied:
            at = given[item.question_version_id] + timedelta(seconds=timing.uniform(10, 40))
            at = max(copier.started_at + timedelta(seconds=5), min(at, copier.submitted_at - timedelta(seconds=30)))
            item.first_answered_at = item.answered_at = at
            item.save_count = 1
    db.session.flush()


def create_integrity_demo_exam():
    """Create the exam, its attempts and the planted cases; compute its integrity findings.

    Returns (exam, planted): planted = {"copying": (source, copier), "stand_in": (stand-in, [sat for])}
    as User objects."""
    from ..clock import utcnow
    from ..exams.models import ReleaseMode
    from ..exams.services import ExamSettings, add_to_roster, close_exam, create_exam, publish_exam, set_fixed_paper
    from ..integrity.services import compute_findings
    from ..org.models import Unit
    from ..sitting.models import AttemptEvent, AttemptItem, EventKind
    from ..sitting.page import claim_attempt
    from ..sitting.services import start_attempt, submit_attempt

    rng = random.Random(27)  # 郑政办〔2005〕27号: the same sitting on every machine
    now = utcnow()
    district = db.session.scalar(select(Unit).where(Unit.code == "410104"))
    people = _people(district)
    exam = create_exam(
        None,
        ExamSettings(
            title=f"{now.year} 年度劳动保障业务知识闭卷考试（管城回族区，演示·诚信分析）",
            instructions="本次考试为闭卷考试，满分 100 分，时长 60 分钟。\n请独立作答，不得查阅资料或与他人交流。",
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(hours=1),
            duration_minutes=60,
            release_mode=ReleaseMode.ON_SEAL,
            cycle_year=now.year,
        ),
    )
    paper = _paper(rng)
    set_fixed_paper(None, exam, [(question[0].id, POINTS) for question in paper])
    add_to_roster(None, exam, units=[district])
    publish_exam(None, exam)
    exam.is_demo = True

    # who is who: by unit, a weak source and a copier in the largest unit, a stand-in and the two
    # colleagues he sat for in the next one
    by_unit = {}
    for person in people:
        by_unit.setdefault(person.unit_id, []).append(person)
    units = sorted(by_unit.values(), key=len, reverse=True)
    source, copier = units[0][0], units[0][1]
    stand_in, stood_for = units[1][0], units[1][1:3]
    ability = {person.id: rng.gauss(1.2, 0.8) for person in people}
    ability[source.id], ability[copier.id] = -1.0, 0.6
    ability[stand_in.id] = 3.5

    began = now - timedelta(days=20)
    beliefs = {}  # what each person answers, question by question (the stand-in's, for his three papers)
    for person in people:
        sitter = stand_in if person in stood_for else person
        answers = beliefs.get(sitter.id) or [_answer(rng, ability[sitter.id], q) for q in paper]
        beliefs[sitter.id] = answers
        beliefs[person.id] = answers
    copied = set()
    for i, question in enumerate(paper):
        if beliefs[source.id][i] != question[0].answer and rng.random() < 0.9:
            beliefs[copier.id] = [*beliefs[copier.id][:i], beliefs[source.id][i], *beliefs[copier.id][i + 1 :]]
            copied.add(question[0].id)

    timing = random.Random(2005)  # the answer times, drawn apart so the answers stay as they were
    events, attempts, devices = [], {}, {}
    for person in [p for p in people if p is not copier] + [copier]:  # the copier after the source
        sitter = stand_in if person in stood_for else person
        start = began + timedelta(seconds=rng.randrange(0, 600))
        if sitter is stand_in:
            start = began + timedelta(seconds=120 + 40 * ([stand_in, *stood_for].index(person)))
        address = f"10.41.{4 + people.index(sitter) // 200}.{people.index(sitter) % 200 + 20}"
        browser = BROWSERS[people.index(sitter) % len(BROWSERS)]
        attempt = start_attempt(exam, person, seed=rng.randrange(1 << 30))
        claim_attempt(attempt, address=address, user_agent=browser)
        # the page's device id (one per PC's browser: the stand-in's three papers share his)
        devices[attempt.id] = hashlib.sha256(f"demo-device-{sitter.id}".encode()).hexdigest()[:32]
        minutes = rng.uniform(25, 55)
        if person is copier:  # sits beside the source and hands in after him
            source_attempt = attempts[source.id]
            start = source_attempt.started_at + timedelta(seconds=30)
            minutes = (source_attempt.submitted_at - source_attempt.started_at).total_seconds() / 60
        for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)):
            index = next(i for i, q in enumerate(paper) if q[0].id == item.question_version_id)
            item.response, item.response_seq = beliefs[person.id][index], item.position
            at = start + timedelta(minutes=minutes * item.position / len(paper))
            _time_answer(timing, item, at, latest=start + timedelta(minutes=minutes, seconds=50))
        db.session.flush()
        submit_attempt(attempt, "examinee")
        attempt.started_at, attempt.submitted_at = start, start + timedelta(minutes=minutes + 1)
        attempt.deadline_at = start + timedelta(minutes=60)
        events.append((attempt.id, start, attempt.submitted_at))
        attempts[person.id] = attempt
    _follow(timing, attempts[source.id], attempts[copier.id], copied)
    for attempt_id, start, end in events:
        for event in db.session.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt_id)):
            event.occurred_at = start if event.kind != EventKind.SUBMITTED else end
            if event.kind in EventKind.OPENINGS:
                event.detail = {**(event.detail or {}), "device": devices[attempt_id]}
    exam.opens_at, exam.closes_at = began, began + timedelta(hours=2)
    db.session.flush()
    close_exam(None, exam)
    exam.closed_at = began + timedelta(hours=2)
    db.session.flush()
    compute_findings(exam)
    return exam, {"copying": (source, copier), "stand_in": (stand_in, list(stood_for))}
