"""The office seals an exam in a real browser and downloads the workbook, checked against the database."""

from decimal import Decimal

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role, User
from examapp.exams.models import Exam, ExamStatus
from examapp.exams.services import add_to_roster, close_exam, publish_exam
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.results.export import HEADER_ROWS
from examapp.results.scores import Verdict, unit_scores
from examapp.sitting.models import SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt

from .. import exam_factories

pytestmark = pytest.mark.e2e

ERQI = "410103"


@pytest.fixture
def closed_exam(e2e_app):
    """二七区 on a closed exam: half its staff answered everything right, the others half of it."""
    with e2e_app.app_context():
        category = exam_factories.shared_small_bank()
        exam = exam_factories.exam(category=category, title="2026 年度劳动保障业务知识闭卷考试（封存演示）")
        district = db.session.scalar(select(Unit).where(Unit.code == ERQI))
        add_to_roster(None, exam, units=[district])
        publish_exam(None, exam)
        people = db.session.scalars(
            select(User)
            .join(User.unit)
            .where(User.role == Role.EXAMINEE, Unit.path.startswith(district.path))
            .order_by(User.username)
        ).all()
        for n, person in enumerate(people[:-1]):  # the last one stays away
            attempt = start_attempt(exam, person)
            for i, item in enumerate(attempt.items):
                if n % 2 == 0 or i % 2 == 0:
                    item.response = item.version.answer
            submit_attempt(attempt, SubmitReason.EXAMINEE)
        close_exam(None, exam)
        db.session.commit()
        exam_id = exam.id
        db.session.remove()
    return exam_id


def test_the_office_seals_and_downloads_the_workbook(page, e2e_app, login, screenshot, closed_exam, tmp_path):
    page.on("dialog", lambda dialog: dialog.accept())
    login("office")
    expect(page.get_by_test_id("whoami")).to_be_visible()
    page.goto(f"/exams/{closed_exam}/results")
    expect(page.get_by_role("heading", name="单位成绩", exact=True)).to_be_visible()
    expect(page.get_by_test_id("status-line")).to_contain_text("未封存")
    expect(page.locator("#unit-chart")).to_be_visible()
    page.get_by_label("我已核对各单位成绩，确认封存").check()
    page.get_by_test_id("seal").click()
    expect(page.get_by_text("成绩已封存")).to_be_visible()
    expect(page.get_by_test_id("status-line")).to_contain_text("已封存")
    screenshot("results.png")

    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    path = tmp_path / "results.xlsx"
    info.value.save_as(path)
    units = pd.read_excel(path, sheet_name="单位成绩", skiprows=HEADER_ROWS, dtype=object)
    people = pd.read_excel(path, sheet_name="人员成绩", skiprows=HEADER_ROWS, dtype=object)
    with e2e_app.app_context():
        exam = db.session.get(Exam, closed_exam)
        assert exam.status == ExamStatus.SEALED
        expected = {s.unit_code: s for s in unit_scores(exam)}
        roster = sum(s.roster_size for s in expected.values())
        db.session.remove()
    assert len(units) == len(expected) > 0 and len(people) == roster
    for _, row in units.iterrows():
        score = expected[str(row["单位编码"])]
        shown = None if pd.isna(row["平均分"]) else Decimal(str(row["平均分"])).quantize(Decimal("0.01"))
        assert shown == score.average_shown
        assert row["结果"] == Verdict.LABELS[score.verdict]
        assert (row["应考人数"], row["实考人数"], row["缺考"]) == (score.roster_size, score.sat, score.absent)
    assert "缺考（计 0 分）" in set(people["状态"])

    page.goto("/accreditation/")
    expect(page.get_by_test_id("records")).to_contain_text("考试平均分")
