"""The exam page as a new examinee meets it (issue 20): the start page's paper and rules, a top
bar that does not lead away, an answer sheet by type with states in marks and words, the
keyboard alone, the hand-in summary, and the review with 只看错题 and a per-type summary."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.extensions import db
from examapp.sitting.models import Attempt

from . import test_sitting as sitting_e2e
from .test_sitting import (
    RESULT_URL,
    RIGHT,
    arrive,
    expect_saved,
    key_of,
    log_in,
    start,
)

# the exam-sitting fixtures: a small bank, a fresh examinee, an exam with them alone on its roster
category_id = sitting_e2e.category_id
examinee = sitting_e2e.examinee
make_exam = sitting_e2e.make_exam

pytestmark = pytest.mark.e2e

SMALL = {"width": 1024, "height": 768}


def test_start_page_shows_the_paper_and_the_rules(page, login, screenshot, examinee, make_exam):
    exam_id, _ = make_exam(examinee, departure_limit=3)
    log_in(page, login, examinee)
    page.set_viewport_size(SMALL)
    page.goto(f"/exam/{exam_id}")
    makeup = page.get_by_test_id("paper-makeup")
    expect(makeup.locator("tbody tr")).to_have_text(
        [re.compile(r"单选题\s*2\s*20 分\s*40 分"), re.compile(r"多选题\s*1\s*20 分\s*20 分"),
         re.compile(r"判断题\s*1\s*20 分\s*20 分"), re.compile(r"填空题\s*1\s*20 分\s*20 分")]
    )  # fmt: skip
    expect(makeup.locator("tfoot")).to_contain_text("100 分")
    rules = page.get_by_test_id("exam-rules")
    expect(rules).to_contain_text("共 30 分钟，中途不能暂停")
    expect(rules).to_contain_text("时间到：系统自动交卷")
    expect(rules).to_contain_text("离开页面达到 3 次将自动交卷")
    screenshot("exam_start_paper_and_rules.png")


def test_the_exam_page_by_keyboard_alone(page, login, screenshot, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    page.set_viewport_size(SMALL)
    attempt_id = start(page, exam_id)
    expect_saved(page)

    # 跳到答题卡: hidden until the first Tab from the top of the page reaches it, then shown; Enter
    # puts the focus on the answer card, and the next Tab on its first question's number
    skip = page.get_by_test_id("skip-to-card")
    assert skip.bounding_box()["width"] <= 1
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("跳到答题卡")
    assert skip.bounding_box()["width"] > 40 and skip.bounding_box()["height"] > 20
    screenshot("exam_page_skip_to_answer_card.png")
    page.keyboard.press("Enter")
    card = page.get_by_role("navigation", name="答题卡")
    expect(card).to_be_focused()
    page.keyboard.press("Tab")
    expect(card.locator("a.nav-q").first).to_be_focused()

    # the top bar leads nowhere: no 首页, no 修改密码, and 退出 is behind a note
    nav = page.locator("nav.app-nav")
    expect(nav.locator("a")).to_have_count(0)
    expect(nav).not_to_contain_text("首页")
    expect(nav).not_to_contain_text("修改密码")
    leave = page.get_by_test_id("leave")
    expect(leave.get_by_role("button", name="仍要退出登录")).to_be_hidden()
    leave.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(leave.get_by_role("button", name="仍要退出登录")).to_be_visible()
    expect(leave).to_contain_text("退出后计时不会暂停")
    screenshot("exam_page_leave_note.png")
    page.keyboard.press("Enter")  # the summary still holds the focus: closes the note
    expect(leave.get_by_role("button", name="仍要退出登录")).to_be_hidden()

    # the answer sheet, by type, in the paper's order
    headings = page.locator("#nav .sheet-heading")
    expect(headings).to_have_text(
        [re.compile("^单选题"), re.compile("^多选题"), re.compile("^判断题"), re.compile("^填空题")]
    )
    expect(page.locator("#questions .type-heading").first).to_contain_text("单选题（共 2 题，每题 20 分，计 40 分）")
    expect(page.get_by_test_id("sheet-count")).to_have_text("已答 0 / 5 题")

    # answer the first question and flag the second with the keyboard only: Tab to it, Space
    first = page.locator("#q1 input[type=radio]").first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    nav1 = page.get_by_test_id("nav-1")
    expect(nav1).to_have_attribute("aria-label", "第 1 题，已作答")
    expect(nav1.locator(".nav-mark")).to_have_text("✓")
    page.locator("#flag-2").focus()
    page.keyboard.press("Space")
    nav2 = page.get_by_test_id("nav-2")
    expect(nav2).to_have_attribute("aria-label", "第 2 题，未作答，已标记")
    expect(nav2.locator(".nav-mark")).to_have_text("?")
    expect(page.get_by_test_id("sheet-count")).to_have_text("已答 1 / 5 题，标记 1 题")
    expect_saved(page)

    # Tab reaches the answer sheet's buttons, and Enter on one moves to its question
    nav2.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#q2 input").first).to_be_focused()
    page.mouse.wheel(0, -5000)
    screenshot("exam_page_answer_sheet_by_type.png")

    # hand in from the keyboard: 交卷, then 确认交卷
    page.locator("#submit-open").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#confirm")).to_be_focused()
    page.locator("#submit-final").focus()
    page.keyboard.press("Enter")
    arrive(page, RESULT_URL)
    summary = page.get_by_test_id("handin-summary")
    expect(page.get_by_test_id("summary-answered")).to_have_text("1 题（共 5 题）")
    expect(page.get_by_test_id("summary-unanswered")).to_have_text("4 题")
    expect(page.get_by_test_id("summary-time")).to_contain_text("秒")
    expect(summary).to_be_visible()
    screenshot("exam_handin_summary.png")
    with e2e_app.app_context():
        assert db.session.scalar(select(Attempt.state).where(Attempt.id == attempt_id)) == "submitted"
        db.session.remove()


def test_review_marks_right_and_wrong_and_shows_only_the_wrong(
    page, login, screenshot, server_clock, examinee, make_exam
):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    page.set_viewport_size(SMALL)
    start(page, exam_id)
    expect_saved(page)
    # the 判断 answered right, the first 单选 answered wrong, the rest left unanswered
    judge = page.locator('.attempt-question[data-qtype="judge"]')
    judge.get_by_label(RIGHT[key_of(judge)][0], exact=True).check()
    single = page.locator('.attempt-question[data-qtype="single"]').first
    labels = single.locator(".question-card label").all_inner_texts()
    wrong_option = next(label for label in labels if label.split(". ", 1)[-1] not in RIGHT[key_of(single)])
    single.get_by_label(wrong_option, exact=True).check()
    expect_saved(page)
    page.locator("#submit-open").click()
    page.locator("#submit-final").click()
    arrive(page, RESULT_URL)
    result_url = page.url
    server_clock.shift(hours=4)  # the exam has closed: the review opens
    page.goto(result_url)
    summary = page.get_by_test_id("review-summary")
    expect(page.get_by_test_id("review-type-judge")).to_have_text(re.compile(r"判断题\s*1\s*1\s*20 / 20"))
    expect(page.get_by_test_id("review-type-single")).to_have_text(re.compile(r"单选题\s*2\s*0\s*0 / 40"))
    expect(summary.locator("tfoot")).to_have_text(re.compile(r"合计\s*5\s*1\s*20 / 100"))
    outcomes = page.locator("[data-outcome]")
    expect(outcomes).to_have_count(5)
    right = page.locator('[data-outcome="right"] .badge')
    expect(right).to_have_count(1)
    expect(right).to_contain_text("正确")
    expect(page.locator('[data-outcome="unanswered"] .badge').first).to_contain_text("未作答")
    expect(page.locator('[data-outcome="wrong"] .badge')).to_have_text(re.compile(r"第 \d 题：错误"))
    screenshot("exam_review_right_and_wrong.png")
    page.get_by_test_id("wrong-only").click()
    expect(page).to_have_url(re.compile(r"\?wrong=1$"))
    expect(outcomes).to_have_count(4)
    expect(page.locator('[data-outcome="right"]')).to_have_count(0)
    page.get_by_test_id("show-all").click()
    expect(outcomes).to_have_count(5)
