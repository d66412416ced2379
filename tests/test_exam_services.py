"""Exam settings, blueprints and drawing, rosters and publishing, at the service level."""

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from examapp.auth.models import User
from examapp.bank.content import QType
from examapp.bank.models import Question, QuestionVersion, Status
from examapp.bank.services import change_status
from examapp.clock import utcnow
from examapp.errors import DomainError
from examapp.exams.models import BlueprintRow, ExamStatus, RosterEntry
from examapp.exams.paper import draw_paper, paper_problems
from examapp.exams.services import (
    add_to_roster,
    create_exam,
    publish_exam,
    remove_from_roster,
    set_blueprint,
    update_exam,
)
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.sitting.services import start_attempt
from examapp.staff.services import update_user

from . import exam_factories as factories


@pytest.fixture
def category(ctx):
    return factories.small_bank()


# --- settings ------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"closes_at_offset": -1}, "closes_at", "关闭时间必须晚于开放时间"),
        ({"duration_minutes": 500}, "duration_minutes", "超过了开放时段"),
        ({"duration_minutes": 0}, "duration_minutes", "1 到 600 分钟"),
        ({"ip_allowlist": "10.1.0.0/16\nnot-a-network"}, "ip_allowlist", "不是有效的 IP 地址"),
        ({"title": "  "}, "title", "请填写考试名称"),
        ({"grace_seconds": -5}, "grace_seconds", "宽限时间"),
    ],
)
def test_bad_settings_are_refused(ctx, overrides, field, message):
    values = dict(overrides)
    if values.pop("closes_at_offset", None):
        now = utcnow()
        values.update(opens_at=now + timedelta(hours=1), closes_at=now)
    with pytest.raises(DomainError) as refused:
        create_exam(None, factories.settings(**values))
    assert any(f == field and message in m for f, m in refused.value.problems), refused.value.problems
    assert db.session.scalar(select(func.count()).select_from(db.metadata.tables["exams"])) == 0


def test_access_code_and_allowlist(ctx):
    exam = create_exam(None, factories.settings(access_code="ZZ2026", ip_allowlist="10.1.0.0/16, 192.168.5.7"))
    assert exam.check_access_code("ZZ2026") and exam.check_access_code(" ZZ2026 ")
    assert not exam.check_access_code("zz2026") and not exam.check_access_code(None)
    assert exam.allows_address("10.1.200.3") and exam.allows_address("192.168.5.7")
    assert not exam.allows_address("10.2.0.1") and not exam.allows_address("garbage")
    open_exam = create_exam(None, factories.settings())
    assert open_exam.allows_address("8.8.8.8") and open_exam.check_access_code("")


def test_exam_counts_for_its_cycle_with_the_notice_defaults(ctx):
    exam = create_exam(None, factories.settings(cycle_year=2026))
    assert exam.cycle.year == 2026 and exam.cycle.threshold == Decimal("95")
    assert exam.cycle.recommendation_share == Decimal("0.100")
    assert exam.cycle.materials_deadline.isoformat() == "2026-10-31"


# --- blueprints ----------------------------------------------------------------


def test_blueprint_must_total_100_and_nothing_changes_when_refused(ctx, category):
    exam = create_exam(None, factories.settings())
    set_blueprint(None, exam, factories.blueprint_rows(category))
    db.session.commit()  # as the request that saved it would
    rows = factories.blueprint_rows(category)
    rows[0] = dict(rows[0], points="9")
    with pytest.raises(DomainError, match="总分为 96 分"):
        set_blueprint(None, exam, rows)
    db.session.rollback()
    stored = db.session.scalars(select(BlueprintRow).where(BlueprintRow.exam_id == exam.id)).all()
    assert [r.points for r in stored] == [Decimal("10"), Decimal("15"), Decimal("10")]


def test_blueprint_row_that_the_bank_cannot_fill_is_named_with_the_shortfall(ctx, category):
    exam = create_exam(None, factories.settings())
    rows = [
        {"category_id": category.id, "qtype": QType.SINGLE, "count": 9, "points": "5"},
        {"category_id": category.id, "qtype": QType.JUDGE, "count": 11, "points": "5"},
    ]
    with pytest.raises(DomainError) as refused:
        set_blueprint(None, exam, rows)
    messages = refused.value.problems
    assert any("第 1 行" in m and "只有 6 道" in m and "差 3 道" in m for m in messages)
    assert any("第 2 行" in m and "差 5 道" in m for m in messages)


def test_retired_and_draft_questions_are_never_drawn(ctx, category):
    singles = db.session.scalars(
        select(Question).where(Question.qtype == QType.SINGLE, Question.status == Status.PUBLISHED)
    ).all()
    change_status(None, singles[0], Status.RETIRED, reason="过时")
    factories.bank.question(category, status=Status.DRAFT, stem="草稿题：不应被抽到（  ）")
    exam = create_exam(None, factories.settings())
    rows = [{"category_id": category.id, "qtype": QType.SINGLE, "count": 5, "points": "20"}]
    set_blueprint(None, exam, rows)
    for seed in range(20):
        drawn = {q.version_id for q in draw_paper(exam, seed)}
        assert singles[0].current_version_id not in drawn
        statuses = db.session.scalars(
            select(Question.status)
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(QuestionVersion.id.in_(drawn))
        ).all()
        assert set(statuses) == {Status.PUBLISHED}
    rows[0].update(count=10, points="10")  # 6 singles, one retired: 5 to draw from
    with pytest.raises(DomainError, match="差 5 道"):
        set_blueprint(None, exam, rows)


def test_draw_has_no_duplicates_totals_100_and_follows_the_rows(ctx, category):
    exam = create_exam(None, factories.settings())
    set_blueprint(None, exam, factories.blueprint_rows(category))
    for seed in range(30):
        paper = draw_paper(exam, seed)
        ids = [q.version_id for q in paper]
        assert len(ids) == len(set(ids)) == 9
        assert sum(q.points for q in paper) == Decimal("100")
        assert Counter(q.qtype for q in paper) == {QType.SINGLE: 4, QType.MULTIPLE: 2, QType.JUDGE: 3}
        # sections in order: 单选, 多选, 判断
        assert [q.qtype for q in paper] == sorted(
            (q.qtype for q in paper), key=[QType.SINGLE, QType.MULTIPLE, QType.JUDGE].index
        )
        for q in paper:
            if q.qtype in QType.CHOICE:
                assert sorted(q.option_order) == [0, 1, 2, 3]
            else:
                assert q.option_order is None


def test_overlapping_rows_never_draw_a_question_twice(ctx, category):
    exam = create_exam(None, factories.settings())
    rows = [
        {"category_id": category.id, "qtype": QType.SINGLE, "count": 3, "points": "10"},
        {"category_id": category.id, "qtype": QType.SINGLE, "difficulty": "easy", "count": 3, "points": "10"},
        {"category_id": category.id, "qtype": QType.JUDGE, "count": 4, "points": "10"},
    ]
    set_blueprint(None, exam, rows)
    for seed in range(30):
        ids = [q.version_id for q in draw_paper(exam, seed)]
        assert len(ids) == len(set(ids)) == 10
    rows[1].update(count=4, points="7.5")  # 3 + 4 singles from a pool of 6
    with pytest.raises(DomainError, match="重叠"):
        set_blueprint(None, exam, rows)


def test_draw_is_reproducible_under_a_seed_and_differs_between_seeds(ctx, category):
    exam = create_exam(None, factories.settings())
    set_blueprint(None, exam, factories.blueprint_rows(category))
    assert draw_paper(exam, 42) == draw_paper(exam, 42)
    assert len({tuple(draw_paper(exam, seed)) for seed in range(10)}) > 1


def test_unshuffled_exam_keeps_options_in_order(ctx, category):
    exam = create_exam(None, factories.settings(shuffle_options=False))
    set_blueprint(None, exam, factories.blueprint_rows(category))
    assert all(q.option_order is None for q in draw_paper(exam, 1))


# --- rosters and publishing -------------------------------------------------------


def test_roster_freezes_the_unit_across_a_transfer(ctx, world, category):
    exam = factories.exam(world, category=category, units=[db.session.get(Unit, world.districts["a"].id)])
    kaosheng = db.session.get(User, world.accounts["examinee"].id)
    entry = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == kaosheng.id))
    assert entry.unit_id == world.communities["a"].id and entry.district_id == world.districts["a"].id
    # only examinees of district a, and not the district admin
    users = set(db.session.scalars(select(RosterEntry.user_id).where(RosterEntry.exam_id == exam.id)))
    assert users == {kaosheng.id}
    update_user(
        None,
        kaosheng,
        name=kaosheng.name,
        role="examinee",
        unit=db.session.get(Unit, world.communities["b"].id),
        phone=None,
    )
    db.session.refresh(entry)
    assert entry.unit_id == world.communities["a"].id


def test_adding_twice_adds_nobody_twice(ctx, world, category):
    exam = factories.exam(world, category=category)
    assert add_to_roster(None, exam, units=[db.session.get(Unit, world.city.id)]) == 0
    assert db.session.scalar(select(func.count()).select_from(RosterEntry)) == 2


def test_district_admin_cannot_add_another_district(ctx, world, category):
    exam = create_exam(None, factories.settings())
    jinshui = db.session.get(User, world.accounts["district_admin"].id)
    with pytest.raises(DomainError, match="管辖范围"):
        add_to_roster(jinshui, exam, units=[db.session.get(Unit, world.districts["b"].id)])
    with pytest.raises(DomainError, match="管辖范围"):
        add_to_roster(jinshui, exam, users=[db.session.get(User, world.accounts["examinee_b"].id)])


def test_only_enabled_examinees_go_on_a_roster(ctx, world, category):
    exam = create_exam(None, factories.settings())
    with pytest.raises(DomainError, match="不是考生"):
        add_to_roster(None, exam, users=[db.session.get(User, world.accounts["office"].id)])


def test_publishing_needs_a_roster_and_a_good_paper(ctx, world, category):
    exam = create_exam(None, factories.settings())
    with pytest.raises(DomainError) as refused:
        publish_exam(None, exam)
    assert "考试名单中还没有任何人" in refused.value.problems
    assert "组卷规则还没有任何一行" in refused.value.problems
    assert exam.status == ExamStatus.DRAFT
    set_blueprint(None, exam, factories.blueprint_rows(category))
    add_to_roster(None, exam, units=[db.session.get(Unit, world.city.id)])
    publish_exam(None, exam)
    assert exam.status == ExamStatus.PUBLISHED and exam.published_at is not None


def test_a_published_paper_and_settings_stay_as_they_are(ctx, world, category):
    exam = factories.exam(world, category=category, publish=True)
    with pytest.raises(DomainError, match="试卷不能再修改"):
        set_blueprint(None, exam, factories.blueprint_rows(category))
    with pytest.raises(DomainError, match="只能修改名称和考试须知"):
        update_exam(
            None, exam, factories.settings(duration_minutes=90, opens_at=exam.opens_at, closes_at=exam.closes_at)
        )
    same = factories.settings(opens_at=exam.opens_at, closes_at=exam.closes_at, title="改过的名称")
    update_exam(None, exam, same, reason="错别字")
    assert exam.title == "改过的名称"


def test_someone_who_started_cannot_be_removed(ctx, world, category):
    exam = factories.exam(world, category=category, publish=True)
    kaosheng = db.session.get(User, world.accounts["examinee"].id)
    start_attempt(exam, kaosheng)
    entries = db.session.scalars(select(RosterEntry).where(RosterEntry.exam_id == exam.id)).all()
    with pytest.raises(DomainError, match="已经开始答题"):
        remove_from_roster(None, exam, entries, reason="调离")
    other = [e for e in entries if e.user_id != kaosheng.id]
    assert remove_from_roster(None, exam, other, reason="调离") == 1


def test_paper_problems_of_a_good_exam_are_empty(ctx, world, category):
    exam = factories.exam(world, category=category)
    assert paper_problems(exam) == []
    assert replace(factories.settings(), title="x").title == "x"
