"""The office's home page: what waits for it (exams to seal, corrections, quotas, decisions), few queries."""

import re
from datetime import date

import pytest
from sqlalchemy import event

from examapp.accreditation.recommend.models import Recommendation, RecommendationStatus
from examapp.clock import local_today
from examapp.cycles.models import AccreditationCycle
from examapp.cycles.services import record_for
from examapp.exams.models import ExamStatus
from examapp.extensions import db
from examapp.results.models import CorrectionStatus, PendingCorrection

from . import exam_factories
from .conftest import login


@pytest.fixture
def office(app, world):
    client = app.test_client()
    assert login(client, world.accounts["office"].username).status_code == 302
    return client


def _count(page, key):
    match = re.search(rf'data-testid="pending-{key}-count">(\d+)<', page)
    return int(match.group(1)) if match else None


def test_nothing_waiting_says_so(office):
    page = office.get("/").get_data(as_text=True)
    assert "目前没有等待办公室处理的事项" in page
    assert _count(page, "seal") == 0 and _count(page, "corrections") == 0 and _count(page, "decisions") == 0
    # no account counts on the office's home any more
    assert "考生账号" not in page


def test_pending_work_is_counted_and_linked(app, world, office):
    with app.app_context():
        exam = exam_factories.exam(world, publish=True, title="上半年闭卷考试")
        exam.status = ExamStatus.CLOSED
        db.session.add(
            PendingCorrection(
                exam_id=exam.id,
                kind="excuse",
                params={},
                summary="批准 张三 缺考",
                standings=[],
                reason="住院",
                status=CorrectionStatus.PENDING,
                proposed_by_id=world.accounts["exam_admin"].id,
            )
        )
        year = local_today().year
        cycle = db.session.query(AccreditationCycle).filter_by(year=year).one_or_none()
        if cycle is None:
            cycle = AccreditationCycle(year=year, name=f"{year} 年度验收", materials_deadline=date(year, 12, 31))
            db.session.add(cycle)
            db.session.flush()
        community = world.communities["a"]
        record = record_for(cycle, community.id, world.districts["a"].id)
        db.session.add(
            Recommendation(
                cycle_id=cycle.id,
                unit_id=community.id,
                district_id=world.districts["a"].id,
                record_id=record.id,
                status=RecommendationStatus.SUBMITTED,
            )
        )
        db.session.commit()
        exam_id = exam.id

    page = office.get("/").get_data(as_text=True)

    assert "目前没有等待办公室处理的事项" not in page
    assert _count(page, "seal") == 1
    assert "上半年闭卷考试" in page and f'href="/exams/{exam_id}/results"' in page
    assert 'href="/exams/?status=closed"' in page
    assert _count(page, "corrections") == 1 and 'href="/results/corrections"' in page
    assert _count(page, "decisions") == 1 and f"year={year}" in page and "decision=none" in page
    # world's two districts each have units; one submitted recommendation in district a
    assert _count(page, "quota") is not None and "/accreditation/recommendations" in page


def test_home_takes_few_queries(app, world, office):
    with app.app_context():
        category = exam_factories.small_bank()
        for i in range(8):
            exam = exam_factories.exam(world, publish=True, category=category, title=f"考试{i}")
            exam.status = ExamStatus.CLOSED
        db.session.commit()
    statements = []

    def count(*args):
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert office.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 15, selects
