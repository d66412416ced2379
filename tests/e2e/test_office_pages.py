"""The office's pages in an office's words (issue 20, bugs 5, 7 and 8): the 验收记录 list tells
recommended units from the others and shows each unit's district, says the exam's verdict as the
results page does and dates a record by its latest check; no code, command or 9.1e-07 on the
三查, record and integrity pages; the questionnaire's QR page warns when its link works on this
computer only. Screenshots at 1024×768."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.accreditation.hearing.models import Hearing
from examapp.accreditation.recommend.models import Recommendation, RecommendationStatus
from examapp.cycles.models import RecordStatus
from examapp.cycles.services import cycle_for_year, record_for
from examapp.extensions import db
from examapp.integrity.chance import weigh
from examapp.integrity.models import Finding
from examapp.org.models import Unit, UnitKind
from examapp.results.scores import Verdict

from .test_integrity import integrity_demo

pytestmark = pytest.mark.e2e

#: a year no other browser test uses, so its records are this file's alone
YEAR = 2025
SMALL = {"width": 1024, "height": 768}
EARLY = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)  # 2025-11-03 10:00 in Beijing
HEARD = datetime(2025, 12, 5, 6, 30, tzinfo=UTC)  # 2025-12-05 14:30 in Beijing
#: developer text an office must never read
DEVELOPER_TEXT = re.compile(r"flask|import random|Python|负对数|Bonferroni|\d\.\de[-+]\d\d")


def _communities_of_two_districts():
    """(district a, [two communities of a]), (district b, [one community of b])."""
    districts = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.code)).all()
    found = []
    for district in districts:
        communities = db.session.scalars(
            select(Unit).where(Unit.kind == UnitKind.COMMUNITY, Unit.path.startswith(district.path)).order_by(Unit.code)
        ).all()
        if len(communities) >= 2:
            found.append((district, communities))
        if len(found) == 2:
            break
    (a, in_a), (b, in_b) = found
    return (a, in_a[:2]), (b, in_b[:1])


def _record(cycle, unit, district, status, *, recommendation=None):
    record = record_for(cycle, unit.id, district.id)
    record.status = status
    if status == RecordStatus.DISQUALIFIED:
        record.status_reason, record.exam_average = "考试平均分 94.50 < 95", Decimal("94.50")
    else:
        record.status_reason, record.exam_average = "考试平均分 96.50 ≥ 95", Decimal("96.50")
    record.updated_at = EARLY
    if recommendation is not None:
        db.session.add(
            Recommendation(
                cycle_id=cycle.id,
                unit_id=unit.id,
                district_id=district.id,
                record_id=record.id,
                status=recommendation,
                created_at=EARLY,
                updated_at=EARLY,
            )
        )
    db.session.flush()
    return record


@pytest.fixture(scope="module")
def records(e2e_app):
    """Three records of YEAR: a recommended unit disqualified by the exam, a unit never
    recommended, and (in another district) a unit whose 一听 was recorded after its exam."""
    with e2e_app.app_context():
        (district_a, (first, second)), (district_b, (third,)) = _communities_of_two_districts()
        cycle = cycle_for_year(YEAR)
        disqualified = _record(
            cycle, first, district_a, RecordStatus.DISQUALIFIED, recommendation=RecommendationStatus.SUBMITTED
        )
        unrecommended = _record(cycle, second, district_a, RecordStatus.EXAM_PASSED)
        heard = _record(cycle, third, district_b, RecordStatus.EXAM_PASSED, recommendation=RecommendationStatus.DRAFT)
        db.session.add(
            Hearing(
                record_id=heard.id,
                report_date=date(2025, 12, 5),
                asked=100,
                satisfied=80,
                basically_satisfied=15,
                dissatisfied=5,
                satisfaction_rate=Decimal("0.950000"),
                passed=True,
                created_at=HEARD,
                updated_at=HEARD,
            )
        )
        found = {
            "disqualified": (disqualified.id, first.code, first.name),
            "unrecommended": (unrecommended.id, second.code, second.name),
            "heard": (heard.id, third.code, third.name),
            "district_a": (district_a.id, district_a.name),
            "district_b": (district_b.id, district_b.name),
        }
        db.session.commit()
        db.session.remove()
    return found


def _row(page, code):
    return page.get_by_test_id("records").locator(f'tr[data-unit="{code}"]')


def test_the_records_list_tells_recommended_units_apart_and_shows_their_district(page, login, screenshot, records):
    page.set_viewport_size(SMALL)
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/accreditation/?year={YEAR}")
    table = page.get_by_test_id("records")
    headers = table.locator("thead th")
    expect(headers.first).to_have_text("区县")
    expect(headers.nth(2)).to_have_text("推荐情况")

    _, dq_code, _ = records["disqualified"]
    _, un_code, _ = records["unrecommended"]
    _, heard_code, _ = records["heard"]
    district_a, district_b = records["district_a"][1], records["district_b"][1]
    expect(_row(page, dq_code).get_by_test_id("district")).to_have_text(district_a)
    expect(_row(page, heard_code).get_by_test_id("district")).to_have_text(district_b)
    expect(_row(page, dq_code).get_by_test_id("recommendation")).to_have_text("已报送")
    expect(_row(page, un_code).get_by_test_id("recommendation")).to_have_text("未列入推荐")
    expect(_row(page, heard_code).get_by_test_id("recommendation")).to_have_text("待报送")

    # one outcome, one wording: the results page's 取消验收资格, never 不合格
    exam_cell = _row(page, dq_code).locator('[data-check="四考试"]')
    expect(exam_cell.get_by_test_id("exam-verdict")).to_have_text(Verdict.LABELS[Verdict.DISQUALIFIED])
    expect(exam_cell).not_to_contain_text("不合格")
    expect(_row(page, un_code).locator('[data-check="四考试"]').get_by_test_id("exam-verdict")).to_have_text(
        Verdict.LABELS[Verdict.PASSED]
    )
    expect(page.locator("#status option")).to_have_text(["全部", *Verdict.LABELS.values()])

    # 更新时间: the hearing recorded after the exam dates the record
    expect(_row(page, heard_code).get_by_test_id("changed-at")).to_have_text(re.compile(r"2025-12-05\s*14:30"))
    expect(_row(page, un_code).get_by_test_id("changed-at")).to_have_text(re.compile(r"2025-11-03\s*10:00"))
    screenshot("accreditation_records_district_and_recommendation.png")

    # the filters: never recommended, then one district
    page.get_by_label("推荐情况").select_option(label="未列入推荐")
    page.get_by_role("button", name="筛选").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(_row(page, un_code)).to_be_visible()
    page.get_by_label("推荐情况").select_option(label="全部")
    page.get_by_label("区县").select_option(label=district_b)
    page.get_by_role("button", name="筛选").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(_row(page, heard_code)).to_be_visible()
    page.get_by_label("区县").select_option(label=district_a)
    page.get_by_label("考试结果").select_option(label=Verdict.LABELS[Verdict.DISQUALIFIED])
    page.get_by_role("button", name="筛选").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(_row(page, dq_code)).to_be_visible()


def test_record_and_onsite_pages_show_no_code_or_commands(page, login, screenshot, records):
    page.set_viewport_size(SMALL)
    record_id, _, name = records["disqualified"]
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/accreditation/records/{record_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_test_id("entries-note")).to_contain_text("只能追加")
    checks = page.get_by_test_id("checks")
    expect(checks.locator('[data-check="四考试"]').get_by_test_id("exam-verdict")).to_have_text("取消验收资格")
    expect(page.get_by_test_id("record-status")).to_have_text("取消验收资格")
    assert not DEVELOPER_TEXT.search(page.locator("main").inner_text())
    screenshot("accreditation_record_plain_words.png")

    page.goto(f"/accreditation/records/{record_id}/onsite")
    page.get_by_text("抽样和完成率的计算方法").click()
    expect(page.get_by_test_id("draw-method")).to_contain_text("同一个种子、同一份名单")
    expect(page.locator("pre, code")).to_have_count(0)
    assert not DEVELOPER_TEXT.search(page.locator("main").inner_text())
    screenshot("accreditation_onsite_draw_method.png")


@pytest.fixture
def copy_pair(e2e_app):
    """(exam id, finding id, corrected probability) of the integrity demo's copy pair."""
    exam_id, finding_id, _source, _copier = integrity_demo(e2e_app)
    with e2e_app.app_context():
        p_adjusted = db.session.get(Finding, finding_id).evidence["p_adjusted"]
        db.session.remove()
    return exam_id, finding_id, p_adjusted


def test_integrity_pages_say_chances_in_words_and_the_level_agrees(page, login, screenshot, screenshot_dir, copy_pair):
    exam_id, finding_id, p_adjusted = copy_pair
    weight = weigh(p_adjusted)
    page.set_viewport_size(SMALL)
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{exam_id}/integrity")
    row = page.locator(f'tr[data-finding-id="{finding_id}"]')
    expect(row.locator("[data-level]")).to_have_text(weight.level_label)
    expect(row).to_contain_text(weight.chance)
    assert not DEVELOPER_TEXT.search(page.locator("main").inner_text())
    screenshot("integrity_findings_chance_in_words.png")

    page.goto(f"/exams/{exam_id}/integrity/{finding_id}")
    expect(page.locator("h1 [data-level]")).to_have_text(weight.level_label)
    expect(page.get_by_test_id("summary")).to_contain_text(weight.chance)
    expect(page.get_by_test_id("strength")).to_contain_text(f"疑点程度“{weight.level_label}”")
    expect(page.get_by_test_id("strength")).to_contain_text(weight.chance)
    expect(page.get_by_test_id("chance")).to_contain_text("不到千分之一才列为疑点")
    assert not DEVELOPER_TEXT.search(page.locator("main").inner_text())
    page.screenshot(path=str(screenshot_dir / "integrity_finding_chance_in_words.png"))  # the top: a long page


def test_the_questionnaire_qr_page_warns_when_its_link_works_on_this_computer_only(
    page, login, screenshot, records, e2e_app
):
    record_id, _, name = records["unrecommended"]
    page.set_viewport_size(SMALL)
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/accreditation/records/{record_id}/hearing")
    page.get_by_role("button", name="开启问卷").click()
    expect(page.get_by_test_id("questionnaire-state")).to_have_text("收集中")
    expect(page.get_by_test_id("questionnaire-link")).to_contain_text("127.0.0.1")
    expect(page.get_by_test_id("local-link-warning")).to_be_visible()

    page.goto(f"/accreditation/records/{record_id}/hearing/questionnaire/print")
    expect(page.get_by_test_id("print-unit")).to_have_text(name)
    warning = page.get_by_test_id("local-link-warning")
    expect(warning).to_contain_text("只能在本机打开")
    expect(warning).to_contain_text("系统管理员")
    screenshot("hearing_questionnaire_qr_local_link_warning.png")

    previous = e2e_app.config.get("QUESTIONNAIRE_BASE_URL")
    e2e_app.config["QUESTIONNAIRE_BASE_URL"] = "http://10.1.2.3"  # only written into the link, never reached
    try:
        page.reload()
        expect(page.get_by_test_id("print-link")).to_contain_text("http://10.1.2.3/")
        expect(page.get_by_test_id("local-link-warning")).to_have_count(0)
    finally:
        e2e_app.config["QUESTIONNAIRE_BASE_URL"] = previous
