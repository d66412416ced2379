"""Small usability bugs of issue 20 (sign-in sheet, fill-in form, 手机号, results chart), in the browser."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role, User
from examapp.exams.services import add_to_roster, close_exam, publish_exam
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.sitting.models import SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt

from .. import exam_factories

pytestmark = pytest.mark.e2e

SMALL = {"width": 1024, "height": 768}
#: an A4 page less the sign-in sheet's 10 mm side margins, in CSS pixels (96 per inch)
A4_CONTENT_WIDTH = round((210 - 20) / 25.4 * 96)
ZHONGMOU = "410122"


@pytest.fixture
def zhongmou_exam(e2e_app):
    """A published exam with 中牟县's staff on its roster; returns (exam id, 中牟县's unit id)."""
    with e2e_app.app_context():
        exam = exam_factories.exam(
            category=exam_factories.shared_small_bank(), title="2026 年度劳动保障业务知识闭卷考试（签到表）"
        )
        county = db.session.scalar(select(Unit).where(Unit.code == ZHONGMOU))
        add_to_roster(None, exam, units=[county])
        publish_exam(None, exam)
        db.session.commit()
        ids = exam.id, county.id
        db.session.remove()
    return ids


def _lines(page, selector):
    """How many lines the text of each matching cell takes."""
    return page.eval_on_selector_all(
        selector,
        """cells => cells.map(cell => {
             const range = document.createRange();
             range.selectNodeContents(cell);
             const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
             return [cell.textContent.trim(), tops.size];
           })""",
    )


def test_the_sign_in_sheet_prints_every_column_on_a4(page, login, screenshot, zhongmou_exam, tmp_path):
    exam_id, unit_id = zhongmou_exam
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.set_viewport_size(SMALL)
    page.goto(f"/exams/{exam_id}/paperwork/{unit_id}/sign-in")
    table = page.get_by_test_id("sign-in")
    expect(table).to_be_visible()
    screenshot("sign_in_sheet_1024.png")

    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1100})
    names = _lines(page, "[data-testid=sign-in] tbody td.col-name")
    usernames = _lines(page, "[data-testid=sign-in] tbody td.col-username")
    assert len(names) >= 4 and len(names) == len(usernames)
    assert all(lines == 1 for _text, lines in names), names
    assert all(lines == 1 for _text, lines in usernames), usernames
    headers = _lines(page, "[data-testid=sign-in] thead th")
    assert all(lines == 1 for _text, lines in headers), headers
    assert table.bounding_box()["width"] <= A4_CONTENT_WIDTH
    sign = page.locator("[data-testid=sign-in] thead th.col-sign").bounding_box()
    assert sign["width"] >= 120  # room for a signature
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_WIDTH

    page.emulate_media(media="screen")
    page.set_viewport_size(SMALL)
    pdf = tmp_path / "sign_in.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    assert pdf.stat().st_size > 0


def test_the_fill_in_form_help_and_error_say_one_line_per_blank(page, login, screenshot):
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto("/bank/new")
    page.get_by_label("题型").select_option(label="填空")
    box = page.get_by_label("各空答案")
    expect(box).to_be_visible()
    help_text = box.locator("xpath=following-sibling::div[contains(@class, 'form-text')]")
    expect(help_text).to_contain_text("每个空的答案写一行")
    expect(help_text).not_to_contain_text("|")

    category = page.locator("#category_id option:not([value=''])").first.get_attribute("value")
    page.locator("#category_id").select_option(category)
    page.get_by_label("题干").fill("失业保险金领取期限最长为____个月，缴费满____年的可领取最长期限（浏览器测试）。")
    box.fill("24;二十四")
    page.get_by_label("依据（政策文件及条款）").fill("《失业保险条例》第十七条")
    page.get_by_role("button", name="保存", exact=True).click()
    error = box.locator("xpath=following-sibling::div[contains(@class, 'invalid-feedback')]")
    expect(error).to_contain_text("题干有 2 个空，答案却有 1 个（每个空的答案写一行")
    expect(error).not_to_contain_text("|")
    screenshot("bank_fill_in_form_error_1024.png")

    box.fill("24;二十四\n10;十")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(r"/bank/\d+$"))
    expect(page.locator("body")).to_contain_text("二十四")


def _new_account(page, username, phone):
    page.goto("/staff/new")
    page.get_by_label("用户名（登录名）").fill(username)
    page.get_by_label("姓名").fill("王强")
    community = page.locator("#unit_id option", has_text="青年路社区").first.get_attribute("value")
    page.get_by_label("所属单位").select_option(community)
    page.get_by_label("手机号（选填）").fill(phone)
    page.get_by_role("button", name="保存", exact=True).click()


def test_a_short_phone_number_is_refused_and_a_spaced_one_kept_as_digits(page, login, screenshot):
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    _new_account(page, "phone_e2e01", "12345")
    phone = page.get_by_label("手机号（选填）")
    expect(phone).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#phone-err")).to_contain_text("手机号格式不正确：应为 11 位手机号码")
    screenshot("staff_phone_error_1024.png")

    phone.fill("138 0013 8000")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("heading", name="账号已创建")).to_be_visible()
    page.goto("/staff/?q=phone_e2e01")
    expect(page.get_by_role("row", name=re.compile("phone_e2e01"))).to_contain_text("13800138000")


def test_counties_are_listed_by_their_own_name(page, login):
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto("/staff/new")
    options = [text.strip("\u3000 ") for text in page.locator("#unit_id option").all_inner_texts()]
    assert "中牟县" in options and "金水区" in options and "巩义市" in options
    assert not [text for text in options if "（区）" in text]
    assert "青年路街道（街道）" in options  # the other kinds still say what they are


@pytest.fixture
def zhongmou_results(e2e_app):
    """中牟县 on a closed exam: 官渡镇's people answered nothing right, 青年路街道's everything."""
    with e2e_app.app_context():
        exam = exam_factories.exam(
            category=exam_factories.shared_small_bank(), title="2026 年度劳动保障业务知识闭卷考试（图表）"
        )
        county = db.session.scalar(select(Unit).where(Unit.code == ZHONGMOU))
        add_to_roster(None, exam, units=[county])
        publish_exam(None, exam)
        people = db.session.scalars(
            select(User)
            .join(User.unit)
            .where(User.role == Role.EXAMINEE, Unit.path.startswith(county.path))
            .order_by(User.username)
        ).all()
        for person in people:
            attempt = start_attempt(exam, person)
            good = "官渡镇" not in (person.unit.parent.name if person.unit.parent else "")
            for i, item in enumerate(attempt.items):
                if good or i % 2 == 0:
                    item.response = item.version.answer
            submit_attempt(attempt, SubmitReason.EXAMINEE)
        close_exam(None, exam)
        db.session.commit()
        exam_id = exam.id
        db.session.remove()
    return exam_id


def test_the_results_chart_starts_at_zero(page, login, screenshot, zhongmou_results):
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{zhongmou_results}/results")
    expect(page.locator("#unit-chart")).to_be_visible()
    page.wait_for_function("window.Chart && Chart.getChart('unit-chart')")
    axis = page.evaluate("(() => { const y = Chart.getChart('unit-chart').scales.y; return [y.min, y.max]; })()")
    assert axis == [0, 100]
    bars = page.evaluate(
        """(() => {
             const chart = Chart.getChart('unit-chart');
             const base = chart.scales.y.getPixelForValue(0), top = chart.scales.y.getPixelForValue(100);
             return chart.getDatasetMeta(0).data.map((bar, i) =>
               [chart.data.datasets[0].data[i], (base - bar.y) / (base - top)]);
           })()"""
    )
    assert len(bars) >= 2 and min(value for value, _ in bars) < 80
    for value, height in bars:
        assert abs(height - value / 100) < 0.01  # a bar's height is its score
    page.locator("#unit-chart").scroll_into_view_if_needed()
    screenshot("results_chart_from_zero_1024.png")


def test_an_import_with_a_bad_phone_names_the_row_and_imports_nothing(page, login, screenshot, e2e_app, tmp_path):
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    path = tmp_path / "staff_phones.csv"
    path.write_text(
        "姓名,用户名,所属单位编码,角色,手机号\n"
        "李娜,phone_e2e_a,41012201001,考生,138-0013-8001\n"
        "王芳,phone_e2e_b,41012201001,考生,12345\n",
        encoding="utf-8",
    )
    page.goto("/staff/import")
    page.locator('input[name="file"]').set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_text("没有导入任何数据")).to_be_visible()
    rows = page.get_by_test_id("problems").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("第 3 行")
    expect(rows.first).to_contain_text("手机号")
    expect(rows.first).to_contain_text("应为 11 位手机号码")
    expect(rows.first).to_contain_text("12345")
    screenshot("staff_import_phone_problem_1024.png")
    with e2e_app.app_context():
        assert db.session.scalar(select(User).where(User.username.in_(["phone_e2e_a", "phone_e2e_b"]))) is None
        db.session.remove()


def test_a_question_with_number_options_keeps_its_order(page, login, screenshot, e2e_app):
    with e2e_app.app_context():
        exam_factories.shared_small_bank()
        db.session.commit()
    page.set_viewport_size(SMALL)
    login("admin")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto("/bank/new")
    category = page.locator("#category_id option:not([value=''])").first.get_attribute("value")
    page.locator("#category_id").select_option(category)
    page.get_by_label("题干").fill("女职工正常生育享受的国家规定产假为（  ）天（浏览器测试）。")
    for letter, days in zip("ABCD", ("90", "98", "120", "128"), strict=True):
        page.locator(f"input[name='option_{letter}']").fill(days)
    page.get_by_label("选项B为正确答案").check()
    keep = page.get_by_label(re.compile("选项顺序固定"))
    expect(keep).to_be_visible()
    keep.check()
    page.get_by_label("依据（政策文件及条款）").fill("《女职工劳动保护特别规定》第七条")
    screenshot("bank_form_keep_option_order_1024.png")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(r"/bank/\d+$"))
    expect(page.locator("body")).to_contain_text("固定（考试打乱选项时此题不打乱）")
