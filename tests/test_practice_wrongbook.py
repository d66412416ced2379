"""The 错题本 rule: in on a wrong answer, out after two right answers in a row on different days."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from examapp.bank.models import Question
from examapp.extensions import db
from examapp.practice.wrongbook import note_answer, open_entries, remaining_by_category

from . import exam_factories

# 09:00 and 23:30 in Beijing on 10 November, and 08:00 on the 11th
DAY1_MORNING = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
DAY1_NIGHT = datetime(2026, 11, 10, 15, 30, tzinfo=UTC)
DAY2 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


def _question(world):
    exam_factories.shared_small_bank()
    return db.session.scalars(select(Question).order_by(Question.id).limit(2)).all()


def test_a_wrong_answer_enters_and_two_right_days_in_a_row_take_it_out(app, world):
    with app.app_context():
        user = world.accounts["examinee"]
        first, second = _question(world)
        assert note_answer(user.id, first.id, first.category_id, True, DAY1_MORNING) is None  # right at once: nothing
        note_answer(user.id, first.id, first.category_id, False, DAY1_MORNING)
        assert [e.question_id for e in open_entries(user.id)] == [first.id]
        entry = note_answer(user.id, first.id, first.category_id, True, DAY1_MORNING + timedelta(minutes=5))
        assert entry.right_streak == 1 and entry.cleared_at is None
        entry = note_answer(user.id, first.id, first.category_id, True, DAY1_NIGHT)  # the same day: no count
        assert entry.right_streak == 1 and entry.cleared_at is None
        entry = note_answer(user.id, first.id, first.category_id, True, DAY2)
        assert entry.right_streak == 2 and entry.cleared_at == DAY2
        assert open_entries(user.id) == [] and remaining_by_category(user.id) == {}


def test_a_wrong_answer_in_the_streak_starts_it_again_and_puts_a_cleared_question_back(app, world):
    with app.app_context():
        user = world.accounts["examinee"]
        first, _second = _question(world)
        note_answer(user.id, first.id, first.category_id, False, DAY1_MORNING)
        note_answer(user.id, first.id, first.category_id, True, DAY1_NIGHT)
        entry = note_answer(user.id, first.id, first.category_id, False, DAY2)
        assert entry.right_streak == 0 and entry.wrong_count == 2
        note_answer(user.id, first.id, first.category_id, True, DAY2 + timedelta(days=1))
        entry = note_answer(user.id, first.id, first.category_id, True, DAY2 + timedelta(days=2))
        assert entry.cleared_at is not None
        entry = note_answer(user.id, first.id, first.category_id, False, DAY2 + timedelta(days=3))
        assert entry.cleared_at is None and entry.wrong_count == 3
        assert remaining_by_category(user.id) == {first.category_id: 1}
