"""One unit through the whole accreditation in a real browser: 二七区 recommends it and hands in
its materials; the office records 一听, 二看 and 三查, seals the exam (四考试) and confirms 通过."""

import io
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from examapp.accreditation.onsite.people_sheet import id_check_character, mask_id_number
from examapp.auth.models import Role, User
from examapp.bank.models import Question
from examapp.clock import utcnow
from examapp.demo import open_demo_cycle
from examapp.exams.services import add_to_roster, close_exam, publish_exam
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.sitting.models import SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt

from .. import bank_factories, exam_factories
from .conftest import PASSWORDS

pytestmark = pytest.mark.e2e

ERQI_PASSWORD = "Erqi-e2e-2024"
#: 二七区 · 解放路街道 · 兴华街社区: the unit taken through (its staff answer every question right)
UNIT_CODE = "41010301001"
UNIT_NAME = "兴华街社区"
BANK_CATEGORY = "示范社区标准"
#: where the steps' screenshots go (SCREENSHOT_DIR, e.g. docs/screenshots, as for the other browser tests)


def minimal_pdf():
    """A small valid PDF: one empty A4 page, with a cross-reference table of the objects' true offsets."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


#: the community's measured facilities: each at or above the notice's line (office ≥ 15 m² ...)
MEASURED = {"office_area": "18.5", "computers": "2", "phones": "1", "cabinets": "2", "staff": "2"}
TARGET = 5  # re-employed this year; the sample is ⌈5 × 80%⌉ = 4 of the 5 listed


def id_number(area, born, serial):
    """A valid 18-character ID number (GB 11643): area code, birth date, serial, check character."""
    first17 = f"{area}{born:%Y%m%d}{serial:03d}"
    return first17 + id_check_character(first17)


def reemployed_workbook(today):
    """The list of people the unit reports as re-employed this year (by ``today``), as an xlsx the
    on-site page imports; and their ID numbers."""
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "就业单位", "就业日期"])
    people = [
        ("李明", id_number("410103", date(1978, 3, 14), 231), "郑州市二七区德化街商贸有限公司"),
        ("王秀兰", id_number("410103", date(1975, 8, 2), 442), "郑州华联超市解放路店"),
        ("张建国", id_number("410102", date(1970, 12, 30), 15), "郑州市二七区保洁服务中心"),
        ("刘芳", id_number("410105", date(1982, 5, 9), 368), "河南大河物业管理有限公司"),
        ("陈志强", id_number("410103", date(1968, 1, 21), 99), "郑州铁路局生活服务段"),
    ]
    for n, (name, number, employer) in enumerate(people, start=1):
        sheet.append([name, number, employer, min(date(today.year, n + 1, 15), today).isoformat()])
        sheet.cell(row=n + 1, column=2).number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), [number for _name, number, _employer in people]


@pytest.fixture
def accreditation_world(e2e_app):
    """This year's cycle open for materials, 二七区's admin able to log in, and a closed (not yet
    sealed) exam of the unit's staff, every one of whom answered everything right."""
    with e2e_app.app_context():
        today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
        year = today.year
        open_demo_cycle()
        db.session.scalar(select(User).where(User.username == "erqi")).set_password(ERQI_PASSWORD)
        unit = db.session.scalar(select(Unit).where(Unit.code == UNIT_CODE))
        category = bank_factories.category(BANK_CATEGORY)
        if not db.session.scalar(select(func.count()).select_from(Question).where(Question.category_id == category.id)):
            exam_factories.small_bank(category_name=BANK_CATEGORY)
        exam = exam_factories.exam(
            category=category, title=f"{year} 年度劳动保障业务知识闭卷考试（{UNIT_NAME}验收）", cycle_year=year
        )
        add_to_roster(None, exam, units=[unit])
        publish_exam(None, exam)
        staff = db.session.scalars(
            select(User).where(User.role == Role.EXAMINEE, User.unit_id == unit.id).order_by(User.username)
        ).all()
        assert staff
        for person in staff:
            attempt = start_attempt(exam, person)
            for item in attempt.items:
                item.response = item.version.answer
            submit_attempt(attempt, SubmitReason.EXAMINEE)
        close_exam(None, exam)
        db.session.commit()
        world = {"exam_id": exam.id, "today": today}
        db.session.remove()
    return world


def _log_in(page, username, password):
    page.goto("/login")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("whoami")).to_be_visible()


def _log_out(page):
    page.get_by_role("button", name="退出", exact=True).click()
    expect(page.locator('input[name="username"]')).to_be_visible()


def _unit_row(page, testid):
    return page.get_by_test_id(testid).locator(f'tr[data-unit="{UNIT_CODE}"]')


def test_one_unit_from_recommendation_to_decision(page, accreditation_world, screenshot):
    def _shot(_page, name):
        screenshot(f"accreditation-{name}")

    page.on("dialog", lambda dialog: dialog.accept())
    today = accreditation_world["today"]
    year = today.year
    list_file, id_numbers = reemployed_workbook(today)

    # --- 二七区 recommends the unit, writes its application, uploads a PDF and hands it in ---
    _log_in(page, "erqi", ERQI_PASSWORD)
    page.locator("#mainnav").get_by_role("link", name="推荐验收").click()
    expect(page.get_by_test_id("district-counts")).to_contain_text("二七区")
    _shot(page, "00-overview.png")
    page.get_by_test_id("own-district").click()
    expect(page.get_by_test_id("quota")).to_have_text("1")  # 10 streets and communities × 10%
    _shot(page, "01-district.png")
    page.get_by_test_id(f"recommend-{UNIT_CODE}").click()
    expect(page.get_by_text(f"已推荐“{UNIT_NAME}”")).to_be_visible()
    page.get_by_label("申请材料").fill(
        f"{UNIT_NAME}劳动保障工作站按照示范社区标准建设，办公用房 18.5 平方米，专职工作人员 2 名，"
        f"{year} 年就业再就业目标 {TARGET} 人，已全部完成。特申请验收。"
    )
    page.get_by_role("button", name="保存申请材料").click()
    expect(page.get_by_text("申请材料已保存。")).to_be_visible()
    page.locator('input[type="file"][name="file"]').set_input_files(
        {"name": "申请报告.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf()}
    )
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("materials")).to_contain_text("申请报告.pdf")
    _shot(page, "02-recommendation.png")
    page.get_by_test_id("back-to-district").click()
    page.get_by_label("我已核对推荐单位及其申请材料").check()
    page.get_by_test_id("submit").click()
    expect(page.get_by_text("已报送 1 个推荐单位的材料")).to_be_visible()
    expect(_unit_row(page, "units")).to_contain_text("已报送")
    expect(page.get_by_test_id("standing")).to_contain_text("已达配额")
    _shot(page, "03-submitted.png")
    _log_out(page)

    # --- the office finds the unit's record ---
    _log_in(page, "office", PASSWORDS["office"])
    page.locator("#mainnav").get_by_role("link", name="验收记录").click()
    _shot(page, "04-index.png")
    _unit_row(page, "records").get_by_role("link", name=UNIT_NAME).click()
    expect(page.get_by_test_id("recommendation")).to_have_text("已报送")
    record_url = page.url
    _shot(page, "05-record-before.png")

    # --- 一听: the unit's report and a survey of residents above the 90% line ---
    _open_check(page, "一听")
    form = page.get_by_test_id("hearing-form")
    form.get_by_label("汇报日期").fill(today.isoformat())
    form.get_by_label("汇报要点").fill("社区主任汇报劳动保障工作站建设、再就业援助和社会保险扩面情况。")
    form.get_by_label("入户/现场调查").check()
    form.get_by_label("调查人数").fill("50")
    form.get_by_label("满意人数", exact=True).fill("42")
    form.get_by_label("基本满意人数").fill("6")
    form.get_by_label("不满意人数").fill("2")
    form.get_by_role("button", name="保存并判定").click()
    expect(page.get_by_test_id("hearing-verdict")).to_have_text("合格")
    expect(page.get_by_test_id("hearing-rate")).to_have_text("96.00%")
    _shot(page, "06-hearing.png")

    # --- 二看: the community checklist, every item meeting the standard ---
    page.get_by_test_id("check-nav").get_by_role("link", name="验收记录").click()
    expect(page.get_by_test_id("checks").locator('[data-check="一听"]')).to_contain_text("合格")
    _open_check(page, "二看")
    page.get_by_role("link", name="记录检查结果").click()
    form = page.get_by_test_id("inspection-form")
    form.get_by_label("检查日期").fill(today.isoformat())
    for code, value in MEASURED.items():
        form.locator(f'input[name="{code}_value"]').fill(value)
    for radio in form.locator('input[type="radio"][value="yes"]').all():
        radio.check()
    form.get_by_role("button", name="保存检查结果").click()
    expect(page.get_by_text("全部项目符合标准")).to_be_visible()
    expect(page.get_by_test_id("inspection-result")).to_contain_text("二看合格")
    _shot(page, "07-inspection.png")

    # --- 三查: the target, the list, the draw, and every sampled person found 属实 ---
    page.get_by_test_id("check-nav").get_by_role("link", name="三查").click()
    page.get_by_label("年度就业再就业目标任务数（人）").fill(str(TARGET))
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_test_id("target")).to_have_text(str(TARGET))
    page.locator('input[type="file"][name="file"]').set_input_files(
        {
            "name": "再就业人员名单.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": list_file,
        }
    )
    page.get_by_role("button", name="导入名单").click()
    expect(page.get_by_text("已导入再就业人员名单：5 人")).to_be_visible()
    expect(page.get_by_test_id("planned-size")).to_have_text("4")
    page.get_by_test_id("draw").click()
    expect(page.get_by_test_id("seed")).to_be_visible()
    _shot(page, "08-onsite-drawn.png")
    _assert_no_full_id(page, id_numbers)
    page.get_by_test_id("verify-link").click()
    rows = page.get_by_test_id("verify-form").locator("select")
    expect(rows).to_have_count(4)
    for select_ in rows.all():
        select_.select_option(label="属实")
    _assert_no_full_id(page, id_numbers)
    page.get_by_role("button", name="保存本页").click()
    expect(page.get_by_text("抽样人员已全部核实")).to_be_visible()
    page.get_by_role("link", name="返回三查").click()
    expect(page.get_by_test_id("onsite-result")).to_contain_text("三查合格")
    _assert_no_full_id(page, id_numbers)
    _shot(page, "09-onsite.png")
    page.get_by_test_id("print-sample").click()
    expect(page.locator("main")).to_contain_text("属实")
    _assert_no_full_id(page, id_numbers)
    _shot(page, "09b-onsite-print.png")
    page.go_back()

    # --- 四考试: the office seals the exam, which writes its verdict into the record ---
    page.get_by_test_id("check-nav").get_by_role("link", name="验收记录").click()
    _open_check(page, "四考试")
    expect(page).to_have_url(re.compile(rf"/exams/{accreditation_world['exam_id']}/results$"))
    page.get_by_label("我已核对各单位成绩，确认封存").check()
    page.get_by_test_id("seal").click()
    expect(page.get_by_text("成绩已封存")).to_be_visible()
    _shot(page, "10-sealed.png")

    # --- the decision: all four passed, 通过 confirmed with a comment ---
    page.locator("#mainnav").get_by_role("link", name="验收记录").click()
    _unit_row(page, "records").get_by_role("link", name=UNIT_NAME).click()
    expect(page).to_have_url(record_url)
    checks = page.get_by_test_id("checks")
    for name in ("一听", "二看", "三查", "四考试"):
        expect(checks.locator(f'[data-check="{name}"]')).to_contain_text("合格")
        expect(checks.locator(f'[data-check="{name}"]')).not_to_contain_text("不合格")
    expect(page.get_by_test_id("proposed")).to_have_text("通过")
    form = page.get_by_test_id("decision-form")
    form.get_by_label("通过", exact=True).check()
    form.get_by_label("意见（写入验收记录）").fill("一听、二看、三查、四考试均合格，同意通过验收。")
    form.get_by_role("button", name="确认决定").click()
    expect(page.get_by_text("已确认验收决定：通过")).to_be_visible()
    expect(page.get_by_test_id("decision")).to_have_text("通过")
    expect(page.get_by_test_id("decision-detail")).to_contain_text("同意通过验收")
    expect(page.get_by_test_id("decision-form")).to_have_count(0)
    expect(page.get_by_test_id("change-form")).to_be_hidden()  # folded away until asked for
    entries = page.get_by_test_id("entries")
    for text in ("推荐", "一听", "二看", "三查", "考试合格", "验收决定"):
        expect(entries).to_contain_text(text)
    _shot(page, "11-record-decided.png")

    page.locator("#mainnav").get_by_role("link", name="验收记录").click()
    expect(_unit_row(page, "records").get_by_test_id("decision")).to_have_text("通过")
    page.get_by_role("link", name="验收通过单位名单").click()
    expect(page.get_by_test_id("accredited")).to_contain_text(UNIT_CODE)
    expect(page.get_by_test_id("accredited")).to_contain_text(UNIT_NAME)
    _shot(page, "12-accredited.png")


def _open_check(page, name):
    """Follow a check's link on the unit's record page."""
    page.get_by_test_id("checks").locator(f'[data-check="{name}"]').get_by_test_id("check-link").click()


def _assert_no_full_id(page, id_numbers):
    """The page shows ID numbers only masked (410103********2313), never one whole."""
    html = page.content()
    assert [number for number in id_numbers if number in html] == []
    assert not re.search(r"\d{17}[\dX]", page.locator("body").inner_text())
    assert any(mask_id_number(number) in html for number in id_numbers)
