"""An examinee takes a mock exam in a real browser: answers a few questions (kept across a reload,
even one not yet saved), hands in, and reads the full review; screenshots at 1024×768; axe on
every page."""

import re
import secrets

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role
from examapp.bank.content import Difficulty, QType, QuestionData
from examapp.bank.models import Status
from examapp.bank.services import create_category, create_question
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.staff.services import create_user

from .test_accessibility import axe_violations
from .test_practice import COMMUNITY, SMALL, log_in, shoot

pytestmark = pytest.mark.e2e

RUN = secrets.token_hex(3)
PASSWORD = "Mock-e2e-2024"
QUESTIONS = [
    (
        QType.SINGLE,
        "用人单位应当自用工之日起（  ）内为职工办理社会保险登记。",
        ["三十日", "十五日", "六十日", "三个月"],
        "A",
    ),
    (QType.SINGLE, "失业保险金的发放标准由（  ）确定。", ["省级人民政府", "用人单位", "职工本人", "街道办事处"], "A"),
    (
        QType.SINGLE,
        "职工工伤认定申请，一般应在事故伤害发生之日起（  ）内提出。",
        ["三十日", "一年", "六十日", "十日"],
        "A",
    ),
    (QType.MULTIPLE, "社会保险包括（  ）。", ["基本养老保险", "基本医疗保险", "商业保险", "工伤保险"], "ABD"),
    (QType.MULTIPLE, "劳动合同应当具备的条款有（  ）。", ["劳动合同期限", "工作内容", "劳动报酬", "个人爱好"], "ABC"),
    (QType.JUDGE, "职工应当参加工伤保险，由职工本人缴纳工伤保险费。", [], "F"),
    (QType.JUDGE, "用人单位应当按时足额缴纳社会保险费。", [], "T"),
    (QType.BLANK, "劳动者试用期最长不得超过____个月。", [], [["六", "6"]]),
]


@pytest.fixture(scope="module")
def examinee(e2e_app):
    """A fresh examinee of 金水区 (no exam in progress, no mocks yet), and a few published questions
    of a category of its own (the demo loads no bank): the username."""
    with e2e_app.app_context():
        category = create_category(None, f"模拟浏览器测试{RUN}")
        for n, (qtype, stem, options, answer) in enumerate(QUESTIONS):
            create_question(
                None,
                QuestionData(
                    qtype=qtype,
                    stem=f"（{RUN}-{n}）{stem}",
                    options=options,
                    answer=answer,
                    explanation="依照有关法律法规的规定。",
                    source="《中华人民共和国社会保险法》",
                    difficulty=Difficulty.EASY,
                    category_id=category.id,
                ),
                status=Status.PUBLISHED,
            )
        unit = db.session.scalar(select(Unit).where(Unit.code == COMMUNITY))
        user, _ = create_user(
            None, username=f"e2e_mock_{RUN}", name="模拟测试", role=Role.EXAMINEE, unit=unit, password=PASSWORD
        )
        db.session.commit()
        username = user.username
        db.session.remove()
    return username


@pytest.fixture
def axe_page(new_context):
    page = new_context(bypass_csp=True).new_page()
    page.set_viewport_size(SMALL)
    page.set_default_timeout(10_000)
    return page


def no_serious_violations(page):
    found = axe_violations(page)
    assert found == [], found


def test_an_examinee_takes_a_mock_exam_and_reads_the_review(axe_page, screenshot_dir, examinee):
    page = axe_page
    log_in(page, examinee, PASSWORD)
    page.goto("/practice/mock")
    expect(page.get_by_role("heading", name="模拟考试", exact=True)).to_be_visible()
    expect(page.get_by_test_id("mock-default")).to_contain_text("通用模拟（100 分）")
    expect(page.get_by_test_id("mock-history-empty")).to_be_visible()
    no_serious_violations(page)
    shoot(page, screenshot_dir, "mock_list_1024.png")

    page.get_by_test_id("start-default").click()
    expect(page.get_by_test_id("mock-title")).to_contain_text("模拟考试（不计成绩）")
    expect(page.get_by_test_id("timer")).to_have_text(re.compile(r"^(60:00|59:\d\d)$"))
    sections = page.locator(".attempt-question")
    total = sections.count()
    assert total > 0
    # three answers, saved to the server
    for i in range(3):
        sections.nth(i).locator(".question-card input").first.check()
    expect(page.get_by_test_id("sheet-count")).to_have_text(f"已答 3 / {total} 题")
    expect(page.get_by_test_id("save-status")).to_have_text("答案已保存", timeout=8000)
    no_serious_violations(page)

    # a fourth, and a reload before it is saved: the browser kept it
    sections.nth(3).locator(".question-card input").first.check()
    page.reload()
    expect(page.get_by_test_id("sheet-count")).to_have_text(f"已答 4 / {total} 题")
    expect(page.get_by_test_id("save-status")).to_have_text("答案已保存", timeout=8000)
    page.reload()
    expect(page.get_by_test_id("sheet-count")).to_have_text(f"已答 4 / {total} 题")
    expect(page.get_by_test_id("confirm-unanswered")).to_have_text(f"还有 {total - 4} 题未作答，未作答的题不得分。")
    html = page.content()
    # nothing of the key before the hand-in: no review block, no outcome (a stem may well say 依据)
    assert "review-key" not in html and 'data-testid="outcome-' not in html and ">正确答案</dt>" not in html
    shoot(page, screenshot_dir, "mock_page_1024.png")

    page.get_by_role("link", name="交卷").click()
    page.get_by_test_id("submit-final").click()
    expect(page).to_have_url(re.compile(r"/practice/mock/\d+/review$"))
    expect(page.get_by_role("heading", name="模拟考试（不计成绩）")).to_be_visible()
    expect(page.get_by_test_id("mock-score")).to_contain_text("满分 100 分")
    expect(page.get_by_test_id("review-summary")).to_be_visible()
    expect(page.locator("[data-outcome=unanswered]")).to_have_count(total - 4)
    answered = page.locator("[data-outcome=right], [data-outcome=wrong], [data-outcome=partial]")
    expect(answered).to_have_count(4)
    expect(page.get_by_test_id("answer-key").first).to_contain_text("解析")
    no_serious_violations(page)
    shoot(page, screenshot_dir, "mock_review_1024.png")

    page.get_by_test_id("wrong-only").click()
    expect(page.locator("[data-outcome=right]")).to_have_count(0)

    page.goto("/practice/mock")
    expect(page.get_by_test_id("mock-history")).to_contain_text("已交卷")
    expect(page.get_by_test_id("mock-history")).to_contain_text("查看答卷")


def test_the_page_hands_in_when_the_time_is_up(axe_page, examinee):
    page = axe_page
    page.clock.install()
    log_in(page, examinee, PASSWORD)
    page.goto("/practice/mock")
    page.get_by_test_id("start-default").click()
    expect(page.get_by_test_id("mock-title")).to_contain_text("模拟考试（不计成绩）")
    page.locator(".attempt-question").first.locator(".question-card input").first.check()
    page.clock.fast_forward(3601 * 1000)
    expect(page).to_have_url(re.compile(r"/practice/mock/\d+/review$"))
    expect(page.get_by_test_id("mock-score")).to_be_visible()
    expect(page.locator("[data-outcome=right], [data-outcome=wrong], [data-outcome=partial]")).to_have_count(1)
