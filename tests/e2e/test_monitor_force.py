"""The monitor's progress, 在线/离线 and 强制交卷 in a real browser (issue 20): an examinee answers
in one browser while an exam admin watches and hands the attempt in from another."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.audit.models import AuditEntry
from examapp.extensions import db
from examapp.sitting.models import Attempt, AttemptState, SubmitReason

from . import test_sitting as sitting_e2e
from .conftest import PASSWORDS
from .test_sitting import (
    RESULT_URL,
    answer,
    expect_saved,
    log_in,
    start,
)

# the exam-sitting fixtures: a small bank, a fresh examinee, an exam with them alone on its roster
category_id = sitting_e2e.category_id
examinee = sitting_e2e.examinee
make_exam = sitting_e2e.make_exam

pytestmark = pytest.mark.e2e

SMALL = {"width": 1024, "height": 768}


def _admin_page(new_context):
    admin = new_context().new_page()
    admin.set_viewport_size(SMALL)
    admin.set_default_timeout(10_000)
    admin.goto("/login")
    admin.locator('input[name="username"]').fill("admin")
    admin.locator('input[name="password"]').fill(PASSWORDS["admin"])
    admin.get_by_role("button", name="登录", exact=True).click()
    admin.wait_for_load_state()
    return admin


def test_force_submit_one_person_from_the_monitor(
    page, new_context, login, screenshot_dir, e2e_app, examinee, make_exam
):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    answer(page, 1)
    expect_saved(page)

    admin = _admin_page(new_context)
    admin.goto(f"/monitor/{exam_id}")
    row = admin.locator("tr[data-entry-id]").filter(has_text=examinee)
    expect(row.locator('[data-field="progress"]')).to_have_text("1 / 5")
    expect(row.locator('[data-field="contact"]')).to_have_text("在线")
    expect(row.locator('[data-field="time_left"]')).to_have_text(re.compile(r"0:(29|30):\d\d"))
    admin.screenshot(path=str(screenshot_dir / "monitor_progress_and_contact.png"), full_page=True)

    row.get_by_role("link", name="详情与处理").click()
    card = admin.get_by_test_id("force-submit")
    expect(admin.get_by_test_id("progress")).to_have_text("1 / 5")
    # without a reason the form is not sent (the server refuses it too: tests/test_monitor_force.py)
    expect(card.get_by_label("原因（记入操作日志）")).to_have_attribute("required", "")
    card.get_by_label("原因（记入操作日志）").fill("考场须在 11:30 前清场")
    admin.screenshot(path=str(screenshot_dir / "monitor_force_submit_person.png"), full_page=True)
    admin.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="强制交卷").click()
    expect(admin.locator(".alert-success")).to_contain_text("强制交卷，按已保存的答案计分")
    expect(admin.locator("body")).to_contain_text("监考管理员强制交卷")
    expect(admin.get_by_test_id("force-submit")).to_have_count(0)  # nothing left to hand in

    with e2e_app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.state, attempt.submit_reason) == (AttemptState.SUBMITTED, SubmitReason.ADMIN)
        assert attempt.score == 20  # the one saved answer, graded
        reasons = db.session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.action == "attempt.force_submit", AuditEntry.object_id == str(attempt_id)
            )
        ).all()
        assert reasons == ["考场须在 11:30 前清场"]
        db.session.remove()

    # the examinee's page learns at its next save and goes to the result, which says why
    # a click, not check(): the page leaves at once, so the box never shows as ticked
    page.locator("#flag-2").click(no_wait_after=True)
    expect(page).to_have_url(RESULT_URL, timeout=20000)
    expect(page.locator("main")).to_contain_text("监考管理员强制交卷")
    expect(page.get_by_test_id("summary-answered")).to_have_text("1 题（共 5 题）")


def test_force_submit_a_whole_unit(page, new_context, login, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect_saved(page)
    admin = _admin_page(new_context)
    admin.goto(f"/monitor/{exam_id}")
    admin.locator("tr[data-unit-id]").first.get_by_role("link", name="只看本单位").click()
    box = admin.get_by_test_id("unit-force-submit")
    box.locator("summary").click()
    box.get_by_label("原因（记入操作日志）").fill("社区考场断电，无法继续")
    admin.once("dialog", lambda dialog: dialog.accept())
    box.get_by_role("button", name="强制交卷（本单位）").click()
    expect(admin.locator(".alert-success")).to_contain_text("正在答题的 1 人强制交卷")
    expect(admin.get_by_test_id("unit-force-submit")).to_have_count(0)
    with e2e_app.app_context():
        assert db.session.get(Attempt, attempt_id).submit_reason == SubmitReason.ADMIN
        db.session.remove()
