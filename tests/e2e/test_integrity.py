"""The office opens the demo's copy pair in a real browser: the evidence, who answered first, the review."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.demo.integrity import create_integrity_demo_exam
from examapp.extensions import db
from examapp.integrity.models import Finding, FindingKind

pytestmark = pytest.mark.e2e

BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"


def integrity_demo(app):
    """(exam id, finding id, source's name, copier's name) of the planted copy pair of the
    integrity demo (what ``flask demo load`` adds after the demo data), made once per browser
    run: the demo's examinees can be created only once, and other browser tests use it too."""
    if "integrity_demo" not in app.extensions:
        loaded = app.test_cli_runner().invoke(args=["bank", "load", str(BANK_DIR)])  # safe to run again
        assert loaded.exit_code == 0, loaded.output
        with app.app_context():
            exam, planted = create_integrity_demo_exam()
            source, copier = planted["copying"]
            finding = db.session.scalar(
                select(Finding).where(Finding.exam_id == exam.id, Finding.kind == FindingKind.COPYING)
            )
            app.extensions["integrity_demo"] = (exam.id, finding.id, source.name, copier.name)
            db.session.commit()
            db.session.remove()
    return app.extensions["integrity_demo"]


@pytest.fixture
def copy_finding(e2e_app):
    return integrity_demo(e2e_app)


def test_the_office_sees_who_gave_the_copied_answers_first(page, login, screenshot, copy_finding):
    exam_id, finding_id, source, copier = copy_finding
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{exam_id}/integrity")
    page.get_by_role("link", name=re.compile("完全相同的错误答案")).first.click()
    expect(page).to_have_url(re.compile(rf"/exams/{exam_id}/integrity/{finding_id}$"))

    people = page.get_by_test_id("people").locator("tbody tr")
    expect(people).to_have_count(2)
    expect(people.first).to_contain_text(source)
    # the demo's copier gives each copied answer 10 to 40 s after the source
    lead = page.get_by_test_id("lead")
    expect(lead).to_contain_text(f"{copier} 先作答 0 道")
    identical = page.locator('[data-testid="shared-answers"] tr[data-identical="1"]')
    changed = re.search(r"另有 (\d+) 道有人改过答案", lead.inner_text())  # those are not counted
    timed = identical.count() - (int(changed.group(1)) if changed else 0)
    assert timed > 10
    expect(lead).to_contain_text(f"{source} 先作答 {timed} 道")
    expect(identical.first).to_contain_text("相差 +")

    # every answer of both, in the order given, behind one click
    order = page.get_by_test_id("answer-order")
    expect(order.locator("table").first).not_to_be_visible()
    order.locator("summary").click()
    expect(order.locator("table")).to_have_count(2)
    expect(order).to_contain_text("题号顺序：1–")
    screenshot("integrity_copy_pair_full.png")

    page.get_by_label("复核意见").fill("已调取考场座位表，二人邻座，移交纪检核实")
    page.get_by_role("button", name="标记为已复核").click()
    expect(page.get_by_test_id("review-note")).to_contain_text("二人邻座")


def test_the_findings_page_says_what_the_analysis_can_see(page, login, screenshot, copy_finding):
    exam_id, _finding_id, _source, _copier = copy_finding
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{exam_id}/integrity")
    sees = page.get_by_test_id("what-it-sees")
    expect(sees.get_by_role("heading", name="本场考试的分析能看到什么")).to_be_visible()
    expect(sees).to_contain_text(re.compile(r"本场考试考生平均答错 \d+\.\d 题"))
    expect(sees).to_contain_text("未登记考场地址")
    # the demo's stand-in answered three accounts from one browser: one device, 高
    device_row = page.locator("tr", has=page.get_by_text(FindingKind.SHORT_LABELS[FindingKind.SAME_DEVICE]))
    expect(device_row.first).to_contain_text("高")
    screenshot("integrity_what_it_sees.png")
