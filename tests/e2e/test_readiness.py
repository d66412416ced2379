"""A district admin opens 考试准备 and the at-risk unit of the demo (金水区's 纬三路社区)."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from examapp.clock import utcnow
from examapp.extensions import db

pytestmark = pytest.mark.e2e

BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"


def readiness_demo(app):
    """金水区's practice and mock history (what ``flask demo load`` writes), once per browser run. The
    mocks are drawn from a draft exam's paper, so no published exam or roster is added for other tests."""
    if "readiness_demo" not in app.extensions:
        loaded = app.test_cli_runner().invoke(args=["bank", "load", str(BANK_DIR)])  # safe to run again
        assert loaded.exit_code == 0, loaded.output
        with app.app_context():
            from examapp.demo.practice import create_practice_history
            from examapp.demo.units import _demo_rows
            from examapp.exams.services import ExamSettings, create_exam, set_blueprint

            now = utcnow()
            exam = create_exam(
                None,
                ExamSettings(
                    title="模拟考试组卷（浏览器测试）",
                    instructions="",
                    opens_at=now + timedelta(days=30),
                    closes_at=now + timedelta(days=31),
                    duration_minutes=60,
                    cycle_year=now.year,
                ),
            )
            set_blueprint(None, exam, _demo_rows())
            create_practice_history(exam)
            db.session.commit()
            db.session.remove()
        app.extensions["readiness_demo"] = True


def test_district_admin_finds_the_unit_at_risk(e2e_app, page, login, screenshot):
    readiness_demo(e2e_app)
    page.set_viewport_size({"width": 1024, "height": 768})
    login("jinshui")
    expect(page.get_by_role("link", name="考试准备")).to_be_visible()
    page.get_by_role("link", name="考试准备").click()
    expect(page.get_by_role("heading", name="单位考试准备情况")).to_be_visible()
    summary = page.get_by_test_id("district-summary")
    expect(summary).to_contain_text("金水区")
    expect(summary).not_to_contain_text("二七区")
    alert = page.get_by_role("status")
    expect(alert).to_contain_text("纬三路社区")
    expect(page.get_by_test_id("units")).to_contain_text("有风险")
    screenshot("readiness_district_1024.png")
    alert.get_by_role("link", name="纬三路社区").click()
    expect(page.get_by_role("heading", name="纬三路社区")).to_be_visible()
    expect(page.get_by_test_id("forecast-chance")).to_have_class("fs-4 text-danger")
    expect(page.get_by_test_id("people")).to_be_visible()
    screenshot("readiness_unit_at_risk_1024.png")
    page.goto("/readiness/print")
    expect(page.locator(".report-title")).to_have_text("单位考试准备情况表")
    screenshot("readiness_print_1024.png")


def test_readiness_pages_pass_axe(e2e_app, new_context, base_url):
    """The pages the accessibility crawl reaches through the menu: no serious or critical violation."""
    from tests.e2e.test_accessibility import assert_no_serious_violations, axe_violations, log_in

    readiness_demo(e2e_app)
    page = new_context(bypass_csp=True).new_page()
    page.set_viewport_size({"width": 1024, "height": 768})
    log_in(page, "jinshui")
    found = {}
    for path in ("/readiness", "/readiness/print"):
        page.goto(path)
        found[page.url] = axe_violations(page)
    page.goto("/readiness")
    page.get_by_role("status").get_by_role("link", name="纬三路社区").click()
    found[page.url] = axe_violations(page)
    assert_no_serious_violations(found)
