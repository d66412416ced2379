"""The office lands on what waits for it: each kind of pending work with a count and a link to
where it is done, at 1024×768."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import User
from examapp.bank.services import get_category_by_name
from examapp.clock import utcnow
from examapp.demo.units import open_demo_cycle
from examapp.exams.models import Exam, ExamStatus
from examapp.extensions import db
from examapp.results.models import CorrectionStatus, PendingCorrection

from .. import exam_factories

pytestmark = pytest.mark.e2e

SMALL = {"width": 1024, "height": 768}
KINDS = ("seal", "corrections", "quota", "decisions")


@pytest.fixture
def office_work(e2e_app):
    """A closed exam not yet sealed and a correction waiting for the office (removed afterwards),
    and this year's cycle open for recommendations."""
    with e2e_app.app_context():
        open_demo_cycle()
        category = get_category_by_name("办公室待办") or exam_factories.small_bank(category_name="办公室待办")
        exam = exam_factories.exam(category=category, title="办公室待办测试考试")
        exam.status, exam.closed_at = ExamStatus.CLOSED, utcnow()
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        correction = PendingCorrection(
            exam_id=exam.id,
            kind="excuse",
            params={},
            summary="批准 张三 缺考",
            standings=[],
            reason="住院治疗",
            status=CorrectionStatus.PENDING,
            proposed_by_id=admin.id,
        )
        db.session.add(correction)
        db.session.commit()
        ids = exam.id, correction.id
        db.session.remove()
    yield ids
    with e2e_app.app_context():
        db.session.delete(db.session.get(PendingCorrection, ids[1]))
        db.session.delete(db.session.get(Exam, ids[0]))
        db.session.commit()
        db.session.remove()


def _counts(page):
    counts = {}
    for key in KINDS:
        card = page.get_by_test_id(f"pending-{key}-count")
        if card.count():
            counts[key] = int(card.inner_text())
    return counts


def test_office_home_shows_pending_work_with_links(page, live_server, login, screenshot, office_work):
    page.set_viewport_size(SMALL)
    login("office")
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("领导小组办公室")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    # account counts are gone
    expect(page.get_by_text("考生账号")).to_have_count(0)

    counts = _counts(page)
    assert set(counts) == set(KINDS), counts
    assert counts["seal"] >= 1 and counts["corrections"] >= 1 and counts["quota"] >= 1, counts
    expect(page.get_by_test_id("pending-none")).to_have_count(0)
    expect(page.get_by_test_id("pending-seal").get_by_role("link", name="办公室待办测试考试")).to_be_visible()
    # the page fits the width: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
    screenshot("home_office_pending.png")

    # every kind with work waiting links to where it is done
    for key, count in counts.items():
        if not count:
            expect(page.get_by_test_id(f"pending-{key}").get_by_text("没有待处理的事项")).to_be_visible()
            continue
        link = page.get_by_test_id(f"pending-{key}").get_by_role("link").last
        href = link.get_attribute("href")
        response = page.request.get(f"{live_server}{href}")
        assert response.status == 200, (key, href)


def test_office_goes_from_home_to_the_correction_and_the_exam_to_seal(page, live_server, login, office_work):
    page.set_viewport_size(SMALL)
    login("office")
    page.get_by_test_id("pending-corrections").get_by_role("link", name="逐项确认或不予确认").click()
    expect(page).to_have_url(re.compile(r"/results/corrections$"))
    expect(page.get_by_text("批准 张三 缺考")).to_be_visible()

    page.goto("/")
    page.get_by_test_id("pending-seal").get_by_role("link", name="办公室待办测试考试").click()
    expect(page).to_have_url(re.compile(rf"/exams/{office_work[0]}/results$"))
