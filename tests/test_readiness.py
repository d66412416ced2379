"""Unit readiness (/readiness): who may see what, the figures on a small dataset, the export, the print."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from examapp.auth.models import Role
from examapp.clock import utcnow
from examapp.extensions import db
from examapp.practice.models import MockAttempt, MockState

PAGES = ["/readiness", "/readiness/print", "/readiness/export.xlsx"]


def _mock(user_id, score, days_ago):
    at = utcnow() - timedelta(days=days_ago)
    db.session.add(
        MockAttempt(
            user_id=user_id,
            state=MockState.SUBMITTED,
            started_at=at - timedelta(minutes=40),
            deadline_at=at + timedelta(minutes=20),
            submitted_at=at,
            score=Decimal(score),
        )
    )


@pytest.fixture
def data(app, make, world):
    """金水区's community: kaosheng (mocks 90, 100), 李明 (98), 王芳 (none); 二七区's examinee: 60."""
    a = world.communities["a"]
    li = make.user(Role.EXAMINEE, a, name="李明", username="liming")
    wang = make.user(Role.EXAMINEE, a, name="王芳", username="wangfang")
    with app.app_context():
        kaosheng = world.accounts["examinee"].id
        _mock(kaosheng, "90", 3)
        _mock(kaosheng, "100", 2)
        _mock(kaosheng, "50", 90)  # older than 60 days: not used
        _mock(li.id, "98", 1)
        _mock(world.accounts["examinee_b"].id, "60", 1)
        db.session.commit()
    return {"li": li, "wang": wang}


@pytest.mark.parametrize("path", [*PAGES, "/readiness/units/{a}"])
@pytest.mark.parametrize(
    ("role", "allowed"),
    [(None, 302), ("examinee", 403), ("district_admin", 200), ("exam_admin", 200), ("office", 200)],
)
def test_permission_matrix(app, world, as_role, path, role, allowed):
    client = as_role(role) if role else app.test_client()
    response = client.get(path.format(a=world.communities["a"].id))
    assert response.status_code == allowed


def test_district_admin_sees_own_district_only(world, as_role, data):
    client = as_role("district_admin")
    assert client.get(f"/readiness/units/{world.communities['b'].id}").status_code == 404
    html = client.get("/readiness").get_data(as_text=True)
    assert world.communities["a"].name in html and world.communities["b"].name not in html
    # another district asked for by id: still the own district
    html = client.get(f"/readiness?district={world.districts['b'].id}").get_data(as_text=True)
    assert world.communities["b"].name not in html
    book = load_workbook(io.BytesIO(client.get("/readiness/export.xlsx").data))
    usernames = [r[3].value for r in book["人员"].iter_rows(min_row=6)]
    assert "kaosheng" in usernames and "kaosheng2" not in usernames


def test_city_roles_see_every_district(world, as_role, data):
    for role in ("exam_admin", "office"):
        html = as_role(role).get("/readiness").get_data(as_text=True)
        assert world.communities["a"].name in html and world.communities["b"].name in html


def test_unit_figures_on_a_small_dataset(world, as_role, data):
    html = as_role("district_admin").get(f"/readiness/units/{world.communities['a'].id}").get_data(as_text=True)
    assert "1 人无模拟成绩，占单位人数的 33%，按全区有数据人员的分布估计" in html
    assert "无数据" in html  # 王芳
    assert "95.0" in html  # kaosheng's mean of the last two (the one from 90 days ago left out)
    index = as_role("district_admin").get("/readiness").get_data(as_text=True)
    assert "96.5" in index  # the unit's mock mean: (95 + 98) / 2


def test_report_numbers(app, world, data):
    from examapp.readiness import report

    with app.test_request_context():
        result = report.build(None)
        row = next(u for u in result.units if u.unit_id == world.communities["a"].id)
        assert (row.staff, row.with_mocks, row.without_data, row.mocks) == (3, 2, 1, 3)
        assert row.mock_mean == pytest.approx(96.5)
        f = row.forecast
        assert f.p10 <= f.mean <= f.p90 and 0 <= f.p_below <= 1
        assert 85 < f.mean < 100
        other = next(u for u in result.units if u.unit_id == world.communities["b"].id)
        assert other.forecast.p_below > 0.9  # one person, mocks of 60
        assert other.at_risk


def test_export_opens_with_numbers(world, as_role, data):
    response = as_role("district_admin").get("/readiness/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    units, people = book["单位"], book["人员"]
    assert units["A1"].value.startswith("单位考试准备情况")
    header = [c.value for c in units[5]]
    assert header[0] == "区县" and units.freeze_panes == "A6" and units.auto_filter.ref.startswith("A5")
    rows = [dict(zip(header, [c.value for c in r], strict=True)) for r in units.iter_rows(min_row=6)]
    row = next(r for r in rows if r["单位"] == world.communities["a"].name)
    assert row["应考人数"] == 3 and isinstance(row["预测平均分"], float)
    assert row["近期模拟平均分"] == pytest.approx(96.5)
    usernames = [r[3].value for r in people.iter_rows(min_row=6)]
    assert sorted(usernames) == ["kaosheng", "liming", "wangfang"]  # nobody of 二七区
    li = next(r for r in people.iter_rows(min_row=6) if r[3].value == "liming")
    assert li[10].value == 98 and isinstance(li[11].value, float)


def test_print_page_renders(as_role, data):
    html = as_role("office").get("/readiness/print").get_data(as_text=True)
    assert "report-page" in html and "单位考试准备情况表" in html


def test_roster_decides_who_counts(app, world, as_role, data):
    """With a published exam, the roster counts (an excused person left out)."""
    from examapp.exams.models import RosterEntry
    from examapp.results.services import excuse_absence
    from tests import exam_factories

    with app.app_context():
        exam = exam_factories.exam(world, publish=True, units=[db.session.merge(world.districts["a"])])
        entry = db.session.query(RosterEntry).filter_by(exam_id=exam.id, user_id=data["wang"].id).one()
        excuse_absence(None, entry, "因病")
        db.session.commit()
    html = as_role("district_admin").get("/readiness").get_data(as_text=True)
    assert "考试名单" in html
    assert "2 人均有近期模拟成绩" in html


def test_demo_gives_jinshui_an_at_risk_unit(app, runner):
    """`flask demo load`: 金水区's examinees have mocks and practice; most units comfortably pass, 纬三路社区 is at risk."""
    from sqlalchemy import func, select

    from examapp.org.models import Unit
    from examapp.practice.models import MockItem, PracticeAnswer, WrongBookEntry
    from examapp.readiness import report

    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        assert db.session.scalar(select(func.count()).select_from(MockItem)) > 1000
        assert db.session.scalar(select(func.count()).select_from(PracticeAnswer)) > 100
        assert db.session.scalar(select(func.count()).select_from(WrongBookEntry)) > 10
        jinshui = db.session.scalar(select(Unit).where(Unit.code == "410105"))
        readiness = report.build(jinshui)
        staffed = [u for u in readiness.units if u.staff]
        assert [u.name for u in readiness.at_risk] == ["纬三路社区"]
        comfortable = [u for u in staffed if u.forecast.mean > 96 and u.forecast.p_below < 0.1]
        assert len(comfortable) >= 4
        assert any(u.without_data for u in staffed)
        # kaosheng can clear a question from the wrong book on the first run: right yesterday, once more today
        from examapp.auth.models import User
        from examapp.clock import local_today
        from examapp.practice.wrongbook import note_answer

        kaosheng = db.session.scalar(select(User).where(User.username == "kaosheng"))
        ready = db.session.scalars(
            select(WrongBookEntry).where(
                WrongBookEntry.user_id == kaosheng.id,
                WrongBookEntry.cleared_at.is_(None),
                WrongBookEntry.right_streak == 1,
                WrongBookEntry.last_right_on == local_today() - timedelta(days=1),
            )
        ).all()
        assert ready
        entry = note_answer(kaosheng.id, ready[0].question_id, ready[0].category_id, True)
        assert entry.cleared_at is not None


def test_weakest_categories_from_practice_and_mocks(app, world, as_role, data):
    from examapp.bank.models import Question
    from examapp.practice.models import PracticeAnswer
    from tests import exam_factories

    with app.app_context():
        category = exam_factories.small_bank(per_type=1, category_name="劳动保障监察")
        question = db.session.query(Question).filter_by(category_id=category.id).first()
        for correct in (False, False, True):
            db.session.add(
                PracticeAnswer(
                    user_id=world.accounts["examinee"].id,
                    question_id=question.id,
                    question_version_id=question.current_version_id,
                    category_id=category.id,
                    correct=correct,
                    answered_at=utcnow() - timedelta(days=2),
                )
            )
        db.session.commit()
    html = as_role("district_admin").get(f"/readiness/units/{world.communities['a'].id}").get_data(as_text=True)
    assert "劳动保障监察（答对 1/3）" in html  # the unit's
    assert "劳动保障监察（1/3）" in html  # kaosheng's
