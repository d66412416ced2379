"""Practice at its edges: two tabs answering the same question wrong at once."""

from datetime import UTC, datetime

from sqlalchemy import event, insert, select

from examapp.bank.models import Question
from examapp.extensions import db
from examapp.practice.models import WrongBookEntry
from examapp.practice.wrongbook import note_answer

from . import exam_factories as factories

DAY1 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)


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
