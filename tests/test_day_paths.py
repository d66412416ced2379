"""Exam-day paths: starting, opening and submitting an attempt cost a few statements whatever the
paper's length, and still draw, show and grade exactly what they did."""

import random
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from examapp.auth.models import User
from examapp.bank.content import Difficulty, QType
from examapp.bank.models import Question, QuestionVersion
from examapp.bank.models import Status as QuestionStatus
from examapp.exams.models import ExamStatus
from examapp.exams.paper import SECTION_ORDER, _row_pool, draw_paper
from examapp.exams.services import publish_exam, set_blueprint
from examapp.extensions import db
from examapp.sitting.models import AttemptItem, AttemptState
from examapp.sitting.services import start_attempt, submit_attempt

from . import exam_factories as factories
from .conftest import csrf_token, login

#: 80 questions from two categories in six rows: 2 x (20 x 1 + 10 x 1.5 + 10 x 1.5) = 100 points
LONG_PAPER = [
    {"qtype": QType.SINGLE, "count": 20, "points": "1"},
    {"qtype": QType.MULTIPLE, "count": 10, "points": "1.5"},
    {"qtype": QType.JUDGE, "count": 10, "points": "1.5"},
]


@contextmanager
def count_statements(engine=None):
    statements = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = engine or db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def short_exam(world, prepared=False):
    """9 questions in three rows (tests/exam_factories.py); ``prepared``: published through the
    service, which draws every paper before the start, else marked published (papers drawn live)."""
    exam = factories.exam(world, publish=prepared)
    if not prepared:
        exam.status = ExamStatus.PUBLISHED
        db.session.flush()
    return exam


def long_exam(world, prepared=False):
    """80 questions in six rows from two categories."""
    first = factories.small_bank(per_type=24, category_name="长卷甲")
    second = factories.small_bank(per_type=24, category_name="长卷乙")
    exam = factories.exam(world, category=first)
    set_blueprint(None, exam, [dict(row, category_id=c.id) for c in (first, second) for row in LONG_PAPER])
    if prepared:
        publish_exam(None, exam)
    else:
        exam.status = ExamStatus.PUBLISHED
    db.session.flush()
    return exam


@pytest.fixture
def person(ctx, world, clock):
    return db.session.get(User, world.accounts["examinee"].id)


@pytest.mark.parametrize("prepared", [True, False], ids=["paper drawn at publishing", "paper drawn at the start"])
def test_a_start_issues_the_same_few_statements_for_a_short_and_a_long_paper(person, world, prepared):
    counts = []
    for build, size in ((short_exam, 9), (long_exam, 80)):
        exam = build(world, prepared)
        db.session.expire_all()  # nothing of the exam's paper already in the session
        with count_statements() as statements:
            attempt = start_attempt(exam, person)
        assert db.session.query(AttemptItem).filter_by(attempt_id=attempt.id).count() == size
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 10, counts


def test_grading_issues_the_same_few_statements_and_updates_loaded_items(person, world):
    counts = []
    for build in (short_exam, long_exam):
        exam = build(world)  # held, as the request holds it: the session keeps objects weakly
        attempt = start_attempt(exam, person)
        items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
        for item in items:  # everything right: these items stay loaded in the session
            item.response = db.session.get(QuestionVersion, item.question_version_id).answer
        db.session.flush()
        with count_statements() as statements:
            assert submit_attempt(attempt, "examinee") is True
        counts.append(len(statements))
        assert attempt.state == AttemptState.SUBMITTED and attempt.live_token is None
        assert attempt.score == Decimal("100")
        assert all(item.awarded == item.points for item in items)  # without reading them again
        stored = db.session.execute(
            select(AttemptItem.awarded, AttemptItem.points).where(AttemptItem.attempt_id == attempt.id)
        ).all()
        assert all(awarded == points for awarded, points in stored)
        assert submit_attempt(attempt, "examinee") is False  # once only
    assert counts[0] == counts[1], counts
    assert counts[1] <= 6, counts


def test_a_wrong_answer_is_graded_zero_in_the_batched_write(person, world):
    attempt = start_attempt(short_exam(world), person)
    items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    for item in items:
        item.response = db.session.get(QuestionVersion, item.question_version_id).answer
    items[0].response = "ZZ"
    db.session.flush()
    submit_attempt(attempt, "examinee")
    assert items[0].awarded == Decimal("0")
    assert attempt.score == Decimal("100") - items[0].points


def reference_draw(exam, seed):
    """The draw as it was written before the pool was read in one statement: one read per row."""
    rng = random.Random(seed)
    pools = []
    for row in exam.blueprint_rows:
        pool = db.session.execute(_row_pool(row, Question.id, Question.current_version_id).order_by(Question.id)).all()
        pools.append((row, [(qid, vid) for qid, vid in pool if vid is not None]))
    chosen, picked = set(), []
    for row, pool in sorted(pools, key=lambda rp: (len(rp[1]), rp[0].position)):
        pool = [(qid, vid) for qid, vid in pool if qid not in chosen]
        for qid, vid in rng.sample(pool, row.count):
            chosen.add(qid)
            picked.append((vid, row.points))
    drawn = []
    for vid, points in picked:
        version = db.session.get(QuestionVersion, vid)
        order = None
        if version.qtype in QType.CHOICE and exam.shuffle_options:
            order = list(range(len(version.options)))
            rng.shuffle(order)
            order = tuple(order)
        drawn.append((vid, version.qtype, points, order))
    if exam.shuffle_questions:
        rng.shuffle(drawn)
    drawn.sort(key=lambda q: SECTION_ORDER[q[1]])
    return drawn


def test_the_draw_is_the_same_paper_for_the_same_seed_as_one_read_per_row_gave(person, world):
    """Seeds are stored on attempts and previews reproduce papers: reading the pool at once
    must not change which paper a seed gives, with subcategories, difficulties and overlaps."""
    from . import bank_factories as bank

    parent = factories.small_bank(per_type=8, category_name="母类")
    child = bank.category("子类", parent=parent)
    for i in range(6):
        bank.question(child, status=QuestionStatus.PUBLISHED, stem=f"子类单选{i}（  ）", difficulty=Difficulty.HARD)
    bank.question(child, status=QuestionStatus.DRAFT, stem="子类草稿（  ）")
    exam = factories.exam(world, category=parent)
    set_blueprint(
        None,
        exam,
        [
            {"category_id": parent.id, "qtype": QType.SINGLE, "count": 5, "points": "10"},
            {"category_id": parent.id, "qtype": QType.SINGLE, "difficulty": Difficulty.HARD, "count": 3, "points": "5"},
            {"category_id": child.id, "qtype": QType.SINGLE, "count": 2, "points": "5"},
            {"category_id": parent.id, "qtype": QType.MULTIPLE, "count": 2, "points": "10"},
            {"category_id": parent.id, "qtype": QType.JUDGE, "count": 1, "points": "5"},
        ],
    )
    for seed in range(25):
        drawn = [(q.version_id, q.qtype, q.points, q.option_order) for q in draw_paper(exam, seed)]
        assert drawn == reference_draw(exam, seed), seed


def test_the_attempt_page_shows_the_paper_without_its_key_before_its_one_commit(app, world, clock):
    with app.app_context():
        exam = long_exam(world)
        db.session.commit()
        exam_id = exam.id
        engine = db.engine
    client = app.test_client()
    login(client, "kaosheng")
    token = csrf_token(client, f"/exam/{exam_id}")
    with count_statements(engine) as started:
        response = client.post(f"/exam/{exam_id}", data={"csrf_token": token, "pledge": "y"})
    assert response.status_code == 302
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with count_statements(engine) as opened:
        page = client.get(f"/attempt/{attempt_id}")
    assert page.status_code == 200
    # (the tests' own isolation turns each commit into a savepoint's release)
    real = [s for s in started if "SAVEPOINT" not in s]
    assert len(real) <= 9, real
    real = [s for s in opened if "SAVEPOINT" not in s]
    assert len(real) <= 5, real
    paper = next(i for i, s in enumerate(opened) if "FROM attempt_items" in s)
    commit = next(i for i, s in enumerate(opened) if s.startswith("RELEASE SAVEPOINT"))
    assert paper < commit  # read in the same transaction: the request holds one connection once
    html = page.get_data(as_text=True)
    with app.app_context():
        rows = db.session.execute(
            select(AttemptItem.position, QuestionVersion)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(AttemptItem.attempt_id == attempt_id)
        ).all()
    assert len(rows) == 80
    for position, version in rows:
        assert f'id="q{position}" data-position="{position}" data-qtype="{version.qtype}"' in html
        assert version.stem in html
        assert version.explanation not in html and version.source not in html
    assert 'data-testid="answer-key"' not in html
