"""The live monitor in a real browser: server-rendered figures, then updated in place by monitor.js."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role, User
from examapp.clock import utcnow
from examapp.exams.models import Exam
from examapp.exams.services import add_to_roster, publish_exam
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.sitting.models import SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt, void_attempt

from .. import exam_factories

pytestmark = pytest.mark.e2e

JINSHUI = "410105"


@pytest.fixture
def sitting(e2e_app):
    """金水区's examinees on a published exam: some answering, some done, one voided, the rest not started."""
    with e2e_app.app_context():
        exam = exam_factories.exam(
            category=exam_factories.shared_small_bank(), title="2026 年度劳动保障业务知识闭卷考试（监控演示）"
        )
        district = db.session.scalar(select(Unit).where(Unit.code == JINSHUI))
        add_to_roster(None, exam, units=[district])
        publish_exam(None, exam)
        people = db.session.scalars(
            select(User)
            .join(User.unit)
            .where(User.role == Role.EXAMINEE, Unit.path.startswith(district.path))
            .order_by(User.username)
        ).all()
        now = utcnow()
        attempts = [start_attempt(exam, person) for person in people[:6]]
        for i, attempt in enumerate(attempts[:3]):
            attempt.last_saved_at = now - timedelta(seconds=20 * (i + 1))
            attempt.departures = i
        for item in attempts[3].items:
            item.response = item.version.answer
        submit_attempt(attempts[3], SubmitReason.EXAMINEE)
        submit_attempt(attempts[4], SubmitReason.DEPARTURES)
        void_attempt(None, attempts[5], "发现替考")
        ids = exam.id, [p.id for p in people]
        db.session.commit()
        db.session.remove()
    return ids


def test_monitor_shows_the_sitting_and_refreshes_without_reload(page, e2e_app, login, screenshot, sitting):
    exam_id, people = sitting
    page.clock.install()
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/monitor/{exam_id}")

    expect(page.get_by_role("heading", name="考试监控")).to_be_visible()
    expect(page.get_by_test_id("total-roster")).to_have_text(str(len(people)))
    expect(page.get_by_test_id("total-in_progress")).to_have_text("3")
    expect(page.get_by_test_id("total-submitted")).to_have_text("2")
    expect(page.get_by_test_id("total-voided")).to_have_text("1")
    expect(page.get_by_text("每 10 秒自动更新")).to_be_visible()  # the script runs
    expect(page.get_by_test_id("people").locator("tbody tr").first).to_contain_text("答题中")
    screenshot("monitor.png")

    # Someone starts on the server; the page picks it up on its next poll, without a reload.
    with e2e_app.app_context():
        entry_id = start_attempt(db.session.get(Exam, exam_id), db.session.get(User, people[6])).roster_entry_id
        db.session.commit()
        db.session.remove()
    state = page.locator(f'tr[data-entry-id="{entry_id}"] [data-field="state"]')
    expect(state).to_have_text("未开始")
    page.clock.run_for(11_000)
    expect(page.get_by_test_id("total-in_progress")).to_have_text("4")
    expect(page.get_by_test_id("total-not_started")).to_have_text(str(len(people) - 7))
    expect(state).to_have_text("答题中")
    expect(page.locator(f'tr[data-entry-id="{entry_id}"] [data-field="time_left"]')).to_contain_text(":")
    expect(page.locator("[data-refresh-error]")).to_be_hidden()


def test_extra_time_from_the_person_page(page, login, screenshot, sitting):
    exam_id, _people = sitting
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/monitor/{exam_id}?state=in_progress")
    page.get_by_role("link", name="详情与处理").first.click()
    page.get_by_label("延长分钟数").fill("10")
    page.locator('textarea[name="extra-reason"]').fill("考场停电 10 分钟")
    page.get_by_role("button", name="延长时间", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("延长 10 分钟，答题截止时间为")
    expect(page.get_by_text("考场停电 10 分钟")).to_be_visible()  # the audited correction, listed
    screenshot("monitor_person.png")
