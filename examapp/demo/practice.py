"""Demo practice and mock history of 金水区's examinees, so /readiness shows real-looking figures.

Every mock is a real draw of the demo exam's paper, answered and graded item by item; every
practice answer is a published question answered; both go through the wrong book's rule. Each
unit's staff answer right with about the chance below (a person's own level scattered around it),
so most units sit comfortably above 95 and 纬三路社区 is at risk. Seeded: the same on every machine.
"""

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from ..auth.models import Role, User
from ..bank.grading import grade_response
from ..bank.models import Question, QuestionVersion, Status
from ..clock import utcnow
from ..exams.paper import draw_paper
from ..extensions import db
from ..org.models import Unit
from ..practice.models import MockAttempt, MockItem, MockState, PracticeAnswer
from ..practice.wrongbook import note_answer
from .units import _wrong

#: unit code -> the chance a person of it answers a question right (others: DEFAULT_LEVEL)
UNIT_LEVELS = {"41010501003": 0.925, "41010502002": 0.965}
DEFAULT_LEVEL = 0.985


def _response(version, right):
    if right:
        return version.answer if version.qtype != "blank" else [alts[0] for alts in version.answer]
    return _wrong(version)


def _answer(user_id, version, rate, rng, at):
    right = rng.random() < rate
    response = _response(version, right)
    correct = grade_response(version.qtype, version.answer, response, Decimal("1"), stem=version.stem) > 0
    note_answer(user_id, version.question_id, version.category_id, correct, at)
    return response, correct


def create_practice_history(exam, district_code="410105", seed=2026):
    """Practice (the last four weeks) and 2–5 mocks (the last six weeks) for each examinee of the district.

    A person in every fourth unit has no mock (the forecast then says how much it guesses). Returns
    (mocks, practice answers) written.
    """
    rng = random.Random(seed)
    now = utcnow()
    district = db.session.scalar(select(Unit).where(Unit.code == district_code))
    people = db.session.execute(
        select(User, Unit.code)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.role == Role.EXAMINEE, Unit.path.startswith(district.path))
        .order_by(Unit.code, User.username)
    ).all()
    versions = db.session.scalars(
        select(QuestionVersion)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.status == Status.PUBLISHED)
        .order_by(QuestionVersion.id)
    ).all()
    by_id = {v.id: v for v in versions}
    mocks = answers = 0
    for index, (user, unit_code) in enumerate(people):
        level = UNIT_LEVELS.get(unit_code, DEFAULT_LEVEL)
        rate = min(0.999, max(0.5, rng.gauss(level, 0.01)))
        skip_mocks = index % 8 == 5  # someone who has only practised
        days = sorted((rng.randint(1, 42) for _ in range(0 if skip_mocks else rng.randint(2, 5))), reverse=True)
        for n, day in enumerate(days):  # oldest first, as the wrong book saw them
            started = now - timedelta(days=day, hours=rng.randint(0, 8))
            mock = MockAttempt(
                user_id=user.id,
                exam_id=exam.id,
                state=MockState.SUBMITTED,
                started_at=started,
                deadline_at=started + timedelta(minutes=exam.duration_minutes),
                submitted_at=started + timedelta(minutes=rng.randint(25, 55)),
            )
            db.session.add(mock)
            total = Decimal("0")
            for position, drawn in enumerate(draw_paper(exam, seed * 1000 + index * 10 + n), start=1):
                version = by_id.get(drawn.version_id) or db.session.get(QuestionVersion, drawn.version_id)
                response, correct = _answer(user.id, version, rate, rng, mock.submitted_at)
                awarded = drawn.points if correct else Decimal("0")
                total += awarded
                mock.items.append(
                    MockItem(
                        position=position,
                        question_version_id=version.id,
                        points=drawn.points,
                        option_order=list(drawn.option_order) if drawn.option_order else None,
                        response=response,
                        awarded=awarded,
                    )
                )
            mock.score = total
            mocks += 1
        moments = sorted(
            (now - timedelta(days=rng.randint(0, 27), minutes=rng.randint(0, 600)) for _ in range(rng.randint(15, 60))),
        )
        for at in moments if versions else ():
            version = rng.choice(versions)
            response, correct = _answer(user.id, version, rate, rng, at)
            db.session.add(
                PracticeAnswer(
                    user_id=user.id,
                    question_id=version.question_id,
                    question_version_id=version.id,
                    category_id=version.category_id,
                    response=response,
                    correct=correct,
                    answered_at=at,
                    seconds=rng.randint(8, 90),
                )
            )
            answers += 1
    db.session.flush()
    answers += _one_to_clear(people, versions, now)
    return mocks, answers


def _one_to_clear(people, versions, now):
    """kaosheng's wrong book holds a question answered wrong three days ago and right yesterday:
    answering it right once more today takes it out (two right days in a row), so a first run
    shows the whole rule."""
    user = next((u for u, _code in people if u.username == "kaosheng"), None)
    if user is None or not versions:
        return 0
    version = versions[0]
    right = version.answer if version.qtype != "blank" else [alts[0] for alts in version.answer]
    for days, correct in ((3, False), (1, True)):
        at = now - timedelta(days=days)
        db.session.add(
            PracticeAnswer(
                user_id=user.id,
                question_id=version.question_id,
                question_version_id=version.id,
                category_id=version.category_id,
                response=right if correct else _wrong(version),
                correct=correct,
                answered_at=at,
                seconds=30,
            )
        )
        note_answer(user.id, version.question_id, version.category_id, correct, at)
    db.session.flush()
    return 2
