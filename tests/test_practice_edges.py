"""Practice at its edges: two tabs answering the same question wrong at once, an answer to a
version edited since the page was shown."""

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import event, insert, select

from examapp.bank.content import QType
from examapp.bank.models import Question
from examapp.bank.services import data_from_version, update_question
from examapp.extensions import db
from examapp.practice.models import WrongBookEntry
from examapp.practice.wrongbook import note_answer

from . import exam_factories as factories
from .test_practice import examinee, first_of, open_question, post_answer, practice_bank, stored  # noqa: F401

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
