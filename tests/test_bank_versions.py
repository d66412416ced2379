"""Versions are immutable; edits make new ones; only published questions are drawn."""

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from examapp.audit.models import AuditEntry
from examapp.bank.grading import grade
from examapp.bank.models import ImmutableVersionError, Question, QuestionVersion, Status
from examapp.bank.services import (
    InvalidQuestion,
    bulk_change_status,
    change_status,
    create_question,
    data_from_version,
    drawable_questions,
    similar_questions,
    update_question,
    version_changes,
)
from examapp.errors import DomainError
from examapp.extensions import db

from . import bank_factories as bank


@pytest.fixture
def admin(world):
    return world.accounts["exam_admin"]


def test_create_makes_version_one(ctx, admin):
    q = bank.question(actor=admin)
    db.session.commit()
    assert q.status == Status.DRAFT
    assert [v.number for v in q.versions] == [1]
    assert q.current_version.created_by_id == admin.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.create"))
    assert entry.object_id == str(q.id) and entry.after["answer"] == "A"


def test_edit_makes_version_two_and_leaves_version_one_unchanged(ctx, admin):
    q = bank.question(actor=admin)
    v1 = q.current_version
    v1_before = (v1.stem, list(v1.options), v1.answer, v1.source)
    edited = replace(data_from_version(v1), answer="B", stem=v1.stem + "（修订）")
    v2 = update_question(admin, q, edited, base_number=1, note="答案有误")
    db.session.commit()
    db.session.expire_all()
    v1 = db.session.get(QuestionVersion, v1.id)
    assert (v1.stem, list(v1.options), v1.answer, v1.source) == v1_before
    assert v2.number == 2 and v2.note == "答案有误"
    question = db.session.get(Question, q.id)
    assert question.current_version_id == v2.id
    assert question.stem_key.endswith("(修订)")
    assert [label for label, _, _ in version_changes(v1, v2)] == ["题干", "答案"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.update"))
    assert entry.before["answer"] == "A" and entry.after["answer"] == "B" and entry.reason == "答案有误"


def test_an_answer_graded_on_the_old_version_keeps_its_grade(ctx, admin):
    q = bank.question(actor=admin)
    shown = q.current_version  # what an attempt would keep
    update_question(admin, q, replace(data_from_version(shown), answer="C"))
    db.session.flush()
    assert grade(shown, "A", 2) == Decimal(2)
    assert grade(q.current_version, "A", 2) == Decimal(0)


def test_changing_the_type_keeps_the_old_version_gradable(ctx, admin):
    q = bank.question(actor=admin)
    v1 = q.current_version
    judge = replace(data_from_version(v1), qtype="judge", options=[], answer="F")
    v2 = update_question(admin, q, judge)
    assert (v1.qtype, v2.qtype, q.qtype) == ("single", "judge", "judge")
    assert grade(v1, "A", 1) == 1 and grade(v2, "错", 1) == 1


def test_saving_identical_content_makes_no_version(ctx, admin):
    q = bank.question(actor=admin)
    assert update_question(admin, q, data_from_version(q.current_version)) is None
    assert len(q.versions) == 1


def test_an_edit_from_a_stale_version_is_refused(ctx, admin):
    q = bank.question(actor=admin)
    update_question(admin, q, replace(data_from_version(q.current_version), answer="B"))
    with pytest.raises(DomainError, match="已被他人修改为第 2 版"):
        update_question(admin, q, replace(data_from_version(q.current_version), answer="C"), base_number=1)


def test_versions_cannot_be_changed_or_deleted(ctx):
    q = bank.question()
    db.session.commit()
    q.current_version.answer = "D"
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(q.current_version)
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()


def test_invalid_or_duplicate_questions_are_refused(ctx):
    category = bank.category()
    with pytest.raises(InvalidQuestion) as exc:
        create_question(None, bank.question_data(category.id, source="", answer="E"))
    assert {f for f, _ in exc.value.problems} == {"source", "answer"}
    first = bank.question(category)
    again = bank.question_data(
        category.id,
        stem=first.current_version.stem.replace("（  ）", "(    )"),
        options=["十五日", "三十日", "三个月", "六十日"],
    )  # same question, reordered
    with pytest.raises(InvalidQuestion, match=f"与已有的试题 {first.id}"):
        create_question(None, again)
    other_options = replace(again, options=["一", "二", "三", "四"])
    with pytest.raises(InvalidQuestion, match="题干重复"):  # the same stem is the same question
        create_question(None, other_options)


def test_near_duplicate_stems_are_found(ctx):
    q = bank.question(stem="街道劳动保障事务所应有不少于（  ）平方米的办事大厅。")
    bank.question(stem="完全无关的另一道题目，讲的是失业保险金的领取期限。")
    found = similar_questions("街道劳动保障事务所应当有不少于（  ）平方米的办事大厅")
    assert [(other.id, percent >= 80) for other, percent in found] == [(q.id, True)]
    assert similar_questions("街道劳动保障事务所应有不少于（  ）平方米的办事大厅。", exclude_id=q.id) == []


def test_only_published_questions_are_drawable(ctx, admin):
    parent = bank.category("社会保险")
    child = bank.category("工伤保险", parent)
    draft = bank.question(parent)
    published = bank.question(parent, status=Status.PUBLISHED)
    retired = bank.question(child, status=Status.PUBLISHED)
    in_child = bank.question(child, status=Status.PUBLISHED, difficulty="hard")
    change_status(admin, retired, Status.RETIRED, reason="政策已废止")

    def drawn(**filters):
        return set(db.session.scalars(drawable_questions(**filters)))

    assert drawn() >= {published, in_child}
    assert not drawn() & {draft, retired}
    assert drawn(category_id=parent.id) == {published, in_child}
    assert drawn(category_id=parent.id, include_subcategories=False) == {published}
    assert drawn(category_id=parent.id, difficulty="hard") == {in_child}
    assert drawn(category_id=parent.id, qtype="judge") == set()
    assert not retired.is_drawable and published.is_drawable


def test_status_transitions(ctx, admin):
    draft = bank.question()
    draft.retire()  # a draft may be retired without ever being published
    with pytest.raises(DomainError, match="已停用"):
        draft.retire()
    q = bank.question()
    change_status(admin, q, Status.PUBLISHED)
    with pytest.raises(DomainError, match="已是发布状态"):
        change_status(admin, q, Status.PUBLISHED)
    with pytest.raises(DomainError, match="只能发布或停用"):
        change_status(admin, q, Status.DRAFT)
    change_status(admin, q, Status.RETIRED, reason="过时")
    change_status(admin, q, Status.PUBLISHED, reason="恢复")
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "question", AuditEntry.object_id == str(q.id))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["question.create", "question.publish", "question.retire", "question.publish"]


def test_bulk_status_change_counts_and_audits_once(ctx, admin):
    questions = [bank.question() for _ in range(3)]
    change_status(admin, questions[0], Status.PUBLISHED)
    stmt = select(Question).where(Question.id.in_([q.id for q in questions]))
    assert bulk_change_status(admin, stmt, Status.PUBLISHED, reason="审核通过") == (2, 1)
    assert {q.status for q in questions} == {Status.PUBLISHED}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.bulk_publish"))
    assert entry.after["count"] == 2 and entry.reason == "审核通过"
    with pytest.raises(DomainError):
        bulk_change_status(admin, stmt, Status.DRAFT)
