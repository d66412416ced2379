"""Practice and mocks at their edges: two tabs answering the same question wrong at once, an answer
to a version edited since the page was shown, a fixed paper's make-up drawn without repeats, no
mock question from another exam's secret fixed paper, and the mock list's reads."""

import dataclasses
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select

from examapp.auth.models import User
from examapp.bank.content import QType
from examapp.bank.models import Question, QuestionVersion
from examapp.bank.services import data_from_version, update_question
from examapp.exams.services import publish_exam, set_fixed_paper
from examapp.extensions import db
from examapp.practice import mock as mocks
from examapp.practice import wrongbook
from examapp.practice.models import WrongBookEntry
from examapp.practice.wrongbook import note_answer

from . import exam_factories as factories
from .test_practice import examinee, first_of, open_question, post_answer, practice_bank, stored  # noqa: F401
from .test_sitting_pages import count_queries

DAY1 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)


def _kaosheng():
    return db.session.scalar(select(User).where(User.username == "kaosheng"))


def _singles(category):
    return db.session.scalars(
        select(QuestionVersion)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.category_id == category.id, Question.qtype == QType.SINGLE)
        .order_by(Question.id)
    ).all()


# --- the 错题本: two tabs, one question ---------------------------------------------------------------


def test_a_wrong_answer_whose_entry_another_tab_inserts_meanwhile_counts_and_does_not_fail(app, world):
    with app.app_context():
        user = world.accounts["examinee"]
        question = db.session.scalars(
            select(Question).where(Question.category_id == factories.shared_small_bank().id).order_by(Question.id)
        ).first()
        session = db.session()
        inserted = []

        def the_other_tab_answers_after_this_read(state):
            """This request reads the book (no entry), then the other tab's entry lands before it writes."""
            if inserted or not state.is_select or all(m.class_ is not WrongBookEntry for m in state.all_mappers):
                return None
            result = state.invoke_statement().freeze()
            state.session.connection().execute(
                insert(WrongBookEntry.__table__).values(
                    user_id=user.id,
                    question_id=question.id,
                    category_id=question.category_id,
                    added_at=DAY1,
                    last_wrong_at=DAY1,
                    wrong_count=1,
                    right_streak=0,
                )
            )
            inserted.append(True)
            return result()

        event.listen(session, "do_orm_execute", the_other_tab_answers_after_this_read)
        try:
            entry = note_answer(user.id, question.id, question.category_id, False, DAY2)
        finally:
            event.remove(session, "do_orm_execute", the_other_tab_answers_after_this_read)
        assert inserted, "the other tab's entry was not inserted between the read and the write"
        assert entry.wrong_count == 2 and entry.last_wrong_at == DAY2 and entry.cleared_at is None
        rows = db.session.execute(
            select(WrongBookEntry.wrong_count).where(
                WrongBookEntry.user_id == user.id, WrongBookEntry.question_id == question.id
            )
        ).all()
        assert [tuple(row) for row in rows] == [(2,)]


@pytest.mark.committed
def test_two_connections_answering_the_same_question_wrong_at_once_both_count(app, world, monkeypatch):
    """The other tab's transaction has inserted the entry and not yet committed: on PostgreSQL this
    request's insert waits for it, then finds the row taken (SQLite takes one writer at a time)."""
    with app.app_context():
        question = db.session.scalars(
            select(Question).where(Question.category_id == factories.shared_small_bank().id).order_by(Question.id)
        ).first()
        db.session.commit()
        user_id, question_id, category_id = world.accounts["examinee"].id, question.id, question.category_id
        engine = db.engine
    other_tab = engine.connect()
    transaction = other_tab.begin()
    other_tab.execute(
        insert(WrongBookEntry.__table__).values(
            user_id=user_id,
            question_id=question_id,
            category_id=category_id,
            added_at=DAY1,
            last_wrong_at=DAY1,
            wrong_count=1,
            right_streak=0,
        )
    )
    inserted = []

    def insert_entry(*args):
        entry = wrongbook._insert_entry_unwatched(*args)
        inserted.append(entry)
        return entry

    monkeypatch.setattr(wrongbook, "_insert_entry_unwatched", wrongbook._insert_entry, raising=False)
    monkeypatch.setattr(wrongbook, "_insert_entry", insert_entry)
    commit_later = threading.Timer(5, transaction.commit)
    commit_later.start()
    try:
        with app.app_context():
            dialect = db.engine.dialect.name
            note_answer(user_id, question_id, category_id, False, DAY2)
            db.session.commit()
            assert db.session.scalars(select(WrongBookEntry.wrong_count)).all() == [2]
    finally:
        commit_later.join()
        other_tab.close()
    if dialect == "postgresql":
        # the read saw no entry, the insert waited for the other tab and found its row: the race
        assert inserted == [None]


# --- practice: the version shown is the version answered ----------------------------------------------


def test_an_answer_to_a_version_edited_since_the_page_was_shown_is_refused(app, practice_bank, examinee):  # noqa: F811
    question_id = first_of(app, QType.SINGLE, practice_bank["social"])
    page = open_question(examinee, question_id)
    with app.app_context():
        question = db.session.get(Question, question_id)
        assert question.current_version.answer == "B"
        data = dataclasses.replace(data_from_version(question.current_version), answer="C")
        update_question(None, question, data, note="更正答案")
        db.session.commit()
    # the old key would call this right: refused instead, nothing stored, no 错题本 entry
    reply = post_answer(examinee, page, page.payload(page.shown("B")))
    assert reply.status_code == 409, reply.get_data(as_text=True)
    assert reply.get_json()["reason"] == "superseded" and "该题已更新" in reply.get_json()["error"]
    form = examinee.post(
        "/practice/answer",
        data={
            "csrf_token": page.csrf,
            "question_id": page.question_id,
            "version_id": page.version_id,
            "order": ",".join(map(str, page.order)),
            "qtype": page.qtype,
            "answer": page.shown("B"),
        },
    )
    assert form.status_code == 409 and "该题已更新" in form.get_data(as_text=True)
    assert stored(app) == (0, 0)
    # the page shown again is the new version, graded on its key
    fresh = open_question(examinee, question_id)
    assert fresh.version_id != page.version_id
    assert post_answer(examinee, fresh, fresh.payload(fresh.shown("C"))).get_json()["correct"] is True
    assert stored(app) == (1, 0)


# --- mocks: no question twice, none from a secret paper -------------------------------------------------


def test_a_fixed_papers_makeup_with_one_type_at_two_values_is_drawn_without_repeats(ctx, world):
    category = factories.small_bank(per_type=8, category_name="固定卷分类")
    exam = factories.exam(world, category=category)
    singles = _singles(category)
    paper = [(v.id, Decimal("20")) for v in singles[:2]] + [(v.id, Decimal("30")) for v in singles[2:4]]
    set_fixed_paper(None, exam, paper)
    publish_exam(None, exam)
    on_the_paper = {v.question_id for v in singles[:4]}
    user = _kaosheng()
    # the practice pool has exactly the 4 other singles: two rows of the same type share them
    assert [c.problem for c in mocks.mock_choices(user) if c.exam.id == exam.id] == [None]
    for seed in range(10):
        mock = mocks.start_mock(user, exam, seed=seed)
        questions = [item.version.question_id for item in mock.items]
        assert len(questions) == len(set(questions)) == 4, seed
        assert sorted(item.points for item in mock.items) == [20, 20, 30, 30]
        assert not set(questions) & on_the_paper


def test_a_blueprint_mock_never_draws_a_question_on_another_exams_secret_fixed_paper(ctx, world):
    category = factories.small_bank(per_type=6, category_name="随机卷分类")
    exam = factories.exam(world, publish=True, category=category)  # 4 singles, 2 multiples, 3 judges
    other = factories.exam(category=category)  # a draft, nobody rostered: its paper is secret
    singles = _singles(category)
    set_fixed_paper(None, other, [(singles[0].id, Decimal("50")), (singles[1].id, Decimal("50"))])
    secret = {singles[0].question_id, singles[1].question_id}
    user = _kaosheng()
    assert [c.problem for c in mocks.mock_choices(user) if c.exam.id == exam.id] == [None]
    for seed in range(8):
        mock = mocks.start_mock(user, exam, seed=seed)
        questions = {item.version.question_id for item in mock.items}
        assert len(questions) == 9 and not questions & secret, seed
    # a third single on the secret paper leaves 3 for a row of 4: no mock, rather than its questions
    set_fixed_paper(None, other, [(v.id, Decimal(p)) for v, p in zip(singles[:3], ("30", "30", "40"), strict=True)])
    problem = [c.problem for c in mocks.mock_choices(user) if c.exam.id == exam.id]
    assert problem == ["此考试的试卷暂时无法抽题"]
    before = db.session.scalar(select(func.count()).select_from(mocks.MockAttempt))
    with pytest.raises(mocks.MockRefused) as refused:
        mocks.start_mock(user, exam, seed=1)
    assert refused.value.reason == "cannot_draw"
    assert db.session.scalar(select(func.count()).select_from(mocks.MockAttempt)) == before


# --- the mock list: the practice pool read once -----------------------------------------------------------


def _fixed_exam(world, category, singles):
    exam = factories.exam(world, category=category)
    set_fixed_paper(None, exam, [(v.id, Decimal("50")) for v in singles])
    publish_exam(None, exam)
    return exam


def test_the_mock_list_costs_the_same_statements_for_one_fixed_exam_or_three(app, world, examinee):  # noqa: F811
    with app.app_context():
        category = factories.small_bank(per_type=10, category_name="模拟列表分类")
        singles = _singles(category)
        first = _fixed_exam(world, category, singles[0:2])
        db.session.commit()
        first_id = first.id

    def list_statements():
        with count_queries(app) as statements:
            html = examinee.get("/practice/mock").get_data(as_text=True)
        return html, [s for s in statements if "SAVEPOINT" not in s]

    list_statements()  # anything a first visit does once
    html, one = list_statements()
    assert f'data-testid="mock-exam-{first_id}"' in html
    with app.app_context():
        more = [_fixed_exam(world, category, singles[i : i + 2]).id for i in (2, 4)]
        db.session.commit()
    html, three = list_statements()
    assert all(f'data-testid="mock-exam-{exam_id}"' in html for exam_id in [first_id, *more])
    assert "练习题库中的题目不够" not in html
    assert len(three) == len(one), [" ".join(s.split())[:40] for s in three]
