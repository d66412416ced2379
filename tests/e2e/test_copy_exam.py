"""复制考试 in a browser: from an exam's page to the new draft's settings, with the roster if ticked."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, func, select

from examapp.bank.services import get_category_by_name
from examapp.exams.models import BlueprintRow, Exam, RosterEntry
from examapp.exams.services import add_to_roster, publish_exam
from examapp.extensions import db
from examapp.org.models import Unit

from .. import exam_factories

pytestmark = pytest.mark.e2e

SMALL = {"width": 1024, "height": 768}


@pytest.fixture
def source_exam(e2e_app):
    """A published exam with 金水区's staff on its roster; it and its copies are removed afterwards."""
    with e2e_app.app_context():
        before = db.session.scalar(select(func.max(Exam.id))) or 0
        category = get_category_by_name("复制考试") or exam_factories.small_bank(category_name="复制考试")
        exam = exam_factories.exam(category=category, title="复制考试演示", cycle_year=None)
        add_to_roster(None, exam, units=[db.session.scalar(select(Unit).where(Unit.code == "410105"))])
        publish_exam(None, exam)
        db.session.commit()
        roster = db.session.scalar(select(func.count()).select_from(RosterEntry).where(RosterEntry.exam_id == exam.id))
        info = {"id": exam.id, "title": exam.title, "roster": roster}
        db.session.remove()
    yield info
    with e2e_app.app_context():
        made = select(Exam.id).where(Exam.id > before)
        db.session.execute(delete(RosterEntry).where(RosterEntry.exam_id.in_(made)))
        db.session.execute(delete(BlueprintRow).where(BlueprintRow.exam_id.in_(made)))
        db.session.execute(delete(Exam).where(Exam.id.in_(made)))
        db.session.commit()
        db.session.remove()


def test_admin_copies_an_exam_with_its_roster(page, live_server, login, screenshot, source_exam):
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{source_exam['id']}")
    card = page.get_by_test_id("copy-exam")
    expect(card.get_by_role("heading", name="复制考试")).to_be_visible()
    card.get_by_label(re.compile("同时复制考试名单")).check()
    card.scroll_into_view_if_needed()
    screenshot("exam_detail_copy.png")

    card.get_by_role("button", name="复制为新考试").click()

    expect(page).to_have_url(re.compile(r"/exams/\d+/edit$"))
    new_id = int(re.search(r"/exams/(\d+)/edit$", page.url).group(1))
    assert new_id != source_exam["id"]
    expect(page.get_by_text("已复制为新的草稿考试")).to_be_visible()
    expect(page.locator('input[name="title"]')).to_have_value(f"{source_exam['title']}（副本）")
    screenshot("exam_copy_edit.png")

    page.goto(f"/exams/{new_id}")
    expect(page.get_by_test_id("exam-status")).to_have_text("草稿")
    expect(page.get_by_test_id("roster-total")).to_have_text(str(source_exam["roster"]))
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]


def test_copy_without_roster_starts_with_an_empty_one(page, live_server, login, source_exam):
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{source_exam['id']}")
    page.get_by_test_id("copy-exam").get_by_role("button", name="复制为新考试").click()
    expect(page).to_have_url(re.compile(r"/exams/\d+/edit$"))
    new_id = int(re.search(r"/exams/(\d+)/edit$", page.url).group(1))
    page.goto(f"/exams/{new_id}")
    expect(page.get_by_test_id("roster-total")).to_have_text("0")
    expect(page.get_by_test_id("publish-problems")).to_contain_text("考试名单中还没有任何人")


def test_office_sees_no_copy_button(page, login, source_exam):
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{source_exam['id']}")
    expect(page.get_by_test_id("settings-summary")).to_be_visible()
    expect(page.get_by_test_id("copy-exam")).to_have_count(0)
