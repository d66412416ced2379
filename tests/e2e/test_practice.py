"""An examinee practises a category in a real browser: right/wrong at once with the key, 解析 and
依据, a wrong answer lands in the 错题本; by keyboard; screenshots at 1024×768; axe on every page."""

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

from .conftest import PASSWORDS
from .test_accessibility import axe_violations

pytestmark = pytest.mark.e2e

RUN = secrets.token_hex(3)
PASSWORD = "Practice-e2e-2024"
COMMUNITY = "41010501001"  # a community of 金水区
SMALL = {"width": 1024, "height": 768}
EXPLANATION = "《社会保险法》规定用人单位应当自用工之日起三十日内为职工办理登记。"
SOURCE = "《中华人民共和国社会保险法》第五十八条"


@pytest.fixture(scope="module")
def practice_data(e2e_app):
    """A category of its own (a 单选 and a 判断) and a fresh examinee: (category name, username)."""
    name = f"练习浏览器测试{RUN}"
    with e2e_app.app_context():
        category = create_category(None, name)
        for qtype, stem, options, answer in (
            (
                QType.SINGLE,
                f"（{RUN}）用人单位应当自用工之日起（  ）内为职工办理社会保险登记。",
                ["三十日", "十五日", "六十日", "三个月"],
                "A",
            ),
            (QType.JUDGE, f"（{RUN}）职工应当参加工伤保险，由职工本人缴纳工伤保险费。", [], "F"),
        ):
            create_question(
                None,
                QuestionData(
                    qtype=qtype,
                    stem=stem,
                    options=options,
                    answer=answer,
                    explanation=EXPLANATION,
                    source=SOURCE,
                    difficulty=Difficulty.EASY,
                    category_id=category.id,
                ),
                status=Status.PUBLISHED,
            )
        unit = db.session.scalar(select(Unit).where(Unit.code == COMMUNITY))
        user, _ = create_user(
            None, username=f"e2e_practice_{RUN}", name="练习测试", role=Role.EXAMINEE, unit=unit, password=PASSWORD
        )
        db.session.commit()
        username = user.username
        db.session.remove()
    return name, username


@pytest.fixture
def axe_page(new_context):
    """A page at 1024×768 whose context lets the test inject axe-core past the app's CSP."""
    page = new_context(bypass_csp=True).new_page()
    page.set_viewport_size(SMALL)
    page.set_default_timeout(10_000)
    return page


def log_in(page, username, password):
    page.goto("/login")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("whoami")).to_be_visible()


def shoot(page, screenshot_dir, name):
    path = screenshot_dir / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def no_serious_violations(page):
    found = axe_violations(page)
    assert found == [], found


def test_an_examinee_practises_a_category_and_finds_the_wrong_answer_in_the_wrong_book(
    axe_page, screenshot_dir, practice_data
):
    page = axe_page
    category, username = practice_data
    log_in(page, username, PASSWORD)
    page.get_by_test_id("home-practice").click()
    expect(page.get_by_role("heading", name="练习", exact=True)).to_be_visible()
    row = page.locator("tr", has_text=category)
    expect(row).to_contain_text("2")
    no_serious_violations(page)
    shoot(page, screenshot_dir, "practice_home_1024.png")

    # by keyboard: focus 顺序练习 and press Enter
    row.get_by_role("link", name=re.compile("顺序练习")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("practice-form")).to_contain_text("为职工办理社会保险登记")
    html = page.content()
    assert EXPLANATION not in html and SOURCE not in html  # nothing of the key before the answer
    expect(page.get_by_test_id("practice-result")).to_be_hidden()
    no_serious_violations(page)
    shoot(page, screenshot_dir, "practice_question_1024.png")

    # the right option by keyboard (wherever the shuffle put it), Tab to 提交答案, Enter
    page.get_by_label(re.compile("三十日")).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("practice-submit")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("verdict")).to_have_text("回答正确")
    shown = page.get_by_label(re.compile("三十日")).get_attribute("value")
    expect(page.get_by_test_id("result-key")).to_have_text(shown)
    expect(page.get_by_test_id("result-explanation")).to_have_text(EXPLANATION)
    expect(page.get_by_test_id("result-source")).to_have_text(SOURCE)
    expect(page.get_by_test_id("practice-next")).to_be_focused()
    no_serious_violations(page)
    shoot(page, screenshot_dir, "practice_right_1024.png")

    # 下一题 (Enter on the focused link): the 判断, answered wrong
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("practice-form")).to_contain_text("由职工本人缴纳工伤保险费")
    page.get_by_label("正确", exact=True).check()
    page.get_by_test_id("practice-submit").click()
    expect(page.get_by_test_id("verdict")).to_have_text("回答错误")
    expect(page.get_by_test_id("result-key")).to_have_text("错误")
    expect(page.get_by_test_id("result-explanation")).to_have_text(EXPLANATION)
    no_serious_violations(page)
    shoot(page, screenshot_dir, "practice_wrong_1024.png")

    # the 错题本 holds it; 练习错题 practises exactly it
    page.get_by_role("link", name="错题本", exact=True).click()
    expect(page.get_by_role("heading", name="错题本", exact=True)).to_be_visible()
    group = page.locator("section", has_text=category)
    expect(group).to_contain_text("由职工本人缴纳工伤保险费")
    expect(group).to_contain_text("答错 1 次")
    no_serious_violations(page)
    shoot(page, screenshot_dir, "practice_wrong_book_1024.png")
    group.get_by_role("link", name=re.compile("练习错题")).click()
    expect(page.get_by_role("heading", name=re.compile("错题练习"))).to_be_visible()
    expect(page.get_by_test_id("practice-form")).to_contain_text("由职工本人缴纳工伤保险费")

    # the progress on the practice home: two seen, one right, one in the 错题本
    page.goto("/practice")
    expect(page.get_by_test_id("seen-total")).to_have_text("2")
    expect(page.get_by_test_id("wrong-total")).to_have_text("1 题")
    expect(page.get_by_test_id("streak")).to_have_text("1 天")


def test_the_exam_admin_settings_page(axe_page, screenshot_dir, practice_data):
    page = axe_page
    log_in(page, "admin", PASSWORDS["admin"])
    page.goto("/practice/settings")
    expect(page.get_by_role("heading", name="练习设置")).to_be_visible()
    expect(page.get_by_label(practice_data[0])).to_be_visible()
    no_serious_violations(page)
    shoot(page, screenshot_dir, "practice_settings_1024.png")
    # a refused save shows its error on the field
    page.get_by_label(re.compile("只开放所选分类")).check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#categories-err")).to_have_text("请至少选择一个分类")
    no_serious_violations(page)
