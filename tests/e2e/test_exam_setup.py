"""Setting up an exam in the browser: settings, a blueprint over the real bank, preview, roster, publish, tickets."""

import csv
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from examapp.auth.models import Role, User
from examapp.exams.models import Exam, ExamStatus, RosterEntry
from examapp.extensions import db
from examapp.org.models import Unit

from .conftest import VIEWPORT

pytestmark = pytest.mark.e2e

BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"
TITLE = "2026 年度示范社区验收业务知识考试（浏览器测试）"


def _blank_counts():
    """{category: number of 填空} in the real bank's files."""
    counts = Counter()
    for path in BANK_DIR.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            counts.update(row["分类"] for row in csv.DictReader(fh) if row["题型"] == "填空")
    return counts


BLANKS = _blank_counts()
#: a category holding 5 to 9 填空: asking it for 10 is refused, asking for 5 is not
SHORT = min((c for c, n in BLANKS.items() if 5 <= n < 10), key=lambda c: (BLANKS[c], c))
#: another category that can give the other 5
OTHER = min(c for c, n in BLANKS.items() if n >= 5 and c != SHORT)

#: (category, type, count, points) -- 30x1 + 20x2 + 20x1 + 10x1 = 100 over the real bank
ROWS = [
    ("示范社区标准", "单选", 30, "1"),
    ("社会保险", "多选", 10, "2"),
    ("劳动关系与劳动合同", "多选", 10, "2"),
    ("示范社区标准", "判断", 20, "1"),
    (SHORT, "填空", 10, "1"),  # the bank holds fewer: the first save is refused
]


@pytest.fixture(scope="module")
def real_bank(e2e_app):
    """The real question_bank/ loaded as published questions (what ``flask demo load`` does)."""
    result = e2e_app.test_cli_runner().invoke(args=["bank", "load", str(BANK_DIR)])
    assert result.exit_code == 0, result.output


def examinees_under(app, unit_name):
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
        count = db.session.scalar(
            select(func.count())
            .select_from(User)
            .join(User.unit)
            .where(Unit.path.startswith(unit.path), User.role == Role.EXAMINEE, User.is_enabled.is_(True))
        )
        db.session.remove()
        return count


def fill_row(page, number, category, qtype, count, points):
    page.get_by_label(f"第 {number} 行知识点").select_option(label=category)
    page.get_by_label(f"第 {number} 行题型").select_option(label=qtype)
    page.get_by_label(f"第 {number} 行难度").select_option(label="不限")
    page.get_by_label(f"第 {number} 行题数").fill(str(count))
    page.get_by_label(f"第 {number} 行每题分值").fill(points)


def accept_next_dialog(page):
    page.once("dialog", lambda dialog: dialog.accept())


def test_admin_sets_up_and_publishes_an_exam(page, login, screenshot, screenshot_dir, e2e_app, real_bank, new_context):
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    login("admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("考试管理工作台")

    # settings, in Beijing time
    page.locator("#mainnav").get_by_role("link", name="考试", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("考试")
    page.get_by_role("link", name="新建考试").click()
    page.get_by_label("考试名称").fill(TITLE)
    page.get_by_label("考试须知（考生开考前看到）").fill("闭卷考试，独立作答，不得查阅资料。")
    page.get_by_label("开放时间").fill(f"{tomorrow.isoformat()}T09:00")
    page.get_by_label("关闭时间").fill(f"{tomorrow.isoformat()}T11:00")
    page.get_by_label("考试时长（分钟）").fill("90")
    page.get_by_label("考试口令（选填，印在准考证上）").fill("JS2026")
    page.get_by_label("离开页面次数上限（0 表示只记录不收卷）").fill("5")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_test_id("exam-status")).to_have_text("草稿")
    expect(page.get_by_test_id("settings-summary")).to_contain_text(f"{tomorrow.isoformat()} 09:00 至 11:00")
    expect(page.get_by_test_id("publish-problems")).to_contain_text("组卷规则还没有任何一行")
    expect(page.get_by_test_id("publish-problems")).to_contain_text("考试名单中还没有任何人")

    # the blueprint: one row short of the bank first, then corrected
    page.get_by_role("link", name="试卷", exact=True).click()
    expect(page.get_by_test_id("bank-availability")).to_contain_text("示范社区标准")
    page.get_by_role("button", name="添加一行").click()
    expect(page.locator("tr[data-row]")).to_have_count(5)
    for number, row in enumerate(ROWS, start=1):
        fill_row(page, number, *row)
    expect(page.get_by_test_id("blueprint-total")).to_have_text("100")  # kept current while typing
    page.get_by_role("button", name="保存组卷规则").click()
    expect(page.get_by_test_id("row-error")).to_have_text(
        f"第 5 行（{SHORT}·填空·不限难度）需要 10 道题，题库中只有 {BLANKS[SHORT]} 道已发布的题，差 {10 - BLANKS[SHORT]} 道"
    )
    page.get_by_role("button", name="添加一行").click()
    page.get_by_label("第 5 行题数").fill("5")
    fill_row(page, 6, OTHER, "填空", 5, "1")
    expect(page.get_by_test_id("blueprint-total")).to_have_text("100")
    page.get_by_role("button", name="保存组卷规则").click()
    expect(page.get_by_text("组卷规则已保存")).to_be_visible()
    expect(page.locator("tr[data-row]")).to_have_count(6)
    screenshot("exam_paper.png")

    # a sample paper, as an examinee would see it
    page.get_by_role("link", name="试卷预览").click()
    expect(page.get_by_test_id("admin-preview")).to_contain_text("管理员预览")
    expect(page.get_by_test_id("question-card")).to_have_count(80)
    expect(page.get_by_role("heading", name="一、单选题（共 30 题，30 分）")).to_be_visible()
    expect(page.get_by_role("heading", name="二、多选题（共 20 题，40 分）")).to_be_visible()
    page.get_by_test_id("admin-key").first.locator("summary").click()
    expect(page.get_by_test_id("admin-key").first).to_contain_text("正确答案")
    # the whole 80-question page is ~19,000 px tall: keep its first screens only
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 2000})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "exam_preview.png"))
    page.set_viewport_size(VIEWPORT)

    # the roster: everyone of 金水区
    expected = examinees_under(e2e_app, "金水区")
    page.get_by_role("link", name="考试名单").click()
    adding = page.get_by_test_id("roster-add")
    adding.get_by_label("按单位加入（该单位及下级单位的全部考生）").select_option(label="金水区")
    adding.get_by_role("button", name="加入名单").first.click()
    expect(page.get_by_text(f"已加入 {expected} 人")).to_be_visible()
    expect(page.get_by_test_id("roster").locator("tbody tr")).to_have_count(expected)

    # publish
    page.get_by_role("link", name="概览").click()
    expect(page.get_by_test_id("roster-total")).to_have_text(str(expected))
    accept_next_dialog(page)
    page.get_by_role("button", name="发布考试").click()
    expect(page.get_by_test_id("exam-status")).to_have_text("已发布")
    page.get_by_test_id("roster-summary").locator("summary").first.click()
    screenshot("exam_detail.png")
    with e2e_app.app_context():
        exam = db.session.scalar(select(Exam).where(Exam.title == TITLE))
        assert exam.status == ExamStatus.PUBLISHED and len(exam.blueprint_rows) == 6
        assert db.session.scalar(select(func.count()).select_from(RosterEntry).filter_by(exam_id=exam.id)) == expected
        db.session.remove()

    # admission tickets of one street (not 红专路社区, whose demo examinee other browser tests log in as)
    street_people = examinees_under(e2e_app, "花园路街道")
    page.get_by_role("link", name="考务材料").click()
    page.get_by_role("link", name="重新发放初始密码：花园路街道").click()
    expect(page.get_by_test_id("issue-warning")).to_contain_text("花园路街道")
    page.get_by_label("发放原因").fill("考前统一发放")
    accept_next_dialog(page)
    page.get_by_test_id("issue-submit").click()
    expect(page.get_by_test_id("shown-once")).to_contain_text("本页只显示这一次")
    expect(page.get_by_test_id("ticket")).to_have_count(street_people)
    expect(page.get_by_test_id("ticket-code").first).to_have_text("JS2026")
    screenshot("exam_tickets.png")
    username = page.get_by_test_id("ticket-username").first.inner_text().strip()
    password = page.get_by_test_id("ticket-password").first.inner_text().strip()

    other = new_context().new_page()
    other.goto("/login")
    other.locator('input[name="username"]').fill(username)
    other.locator('input[name="password"]').fill(password)
    other.get_by_role("button", name="登录", exact=True).click()
    expect(other).to_have_url(re.compile(r"/account/password$"))
