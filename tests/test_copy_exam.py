"""复制考试: a new draft with the settings and the paper, the roster only when asked, dates ahead."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.bank.models import QuestionVersion
from examapp.bank.services import get_category_by_name
from examapp.clock import utcnow
from examapp.exams.models import Exam, ExamStatus, PaperMode, RosterEntry
from examapp.exams.services import copy_exam, copy_title, publish_problems, set_fixed_paper, shifted_window
from examapp.extensions import db

from . import exam_factories
from .conftest import login, post


@pytest.fixture
def admin(client, world):
    assert login(client, "admin").status_code == 302
    return client


@pytest.fixture
def past_exam(app, world):
    """A published exam with the world's examinees, whose window has passed; returns its id."""
    with app.app_context():
        category = get_category_by_name("社会保险")
        exam = exam_factories.exam(world, category=category, publish=True)
        now = utcnow()
        exam.opens_at, exam.closes_at = now - timedelta(days=3, hours=2), now - timedelta(days=3)
        db.session.commit()
        return exam.id


def _latest_exam(app):
    with app.app_context():
        exam = db.session.scalars(select(Exam).order_by(Exam.id.desc())).first()
        info = {
            "id": exam.id,
            "title": exam.title,
            "status": exam.status,
            "opens_at": exam.opens_at,
            "closes_at": exam.closes_at,
            "rows": [(r.category_id, r.qtype, r.difficulty, r.count, r.points) for r in exam.blueprint_rows],
            "roster": db.session.scalar(
                select(func.count()).select_from(RosterEntry).where(RosterEntry.exam_id == exam.id)
            ),
            "problems": publish_problems(exam),
            "cycle": exam.cycle_id,
        }
        db.session.remove()
        return info


def test_copy_makes_a_draft_with_the_paper_and_future_dates(app, admin, past_exam):
    page = admin.get(f"/exams/{past_exam}").get_data(as_text=True)
    assert "复制为新考试" in page and "同时复制考试名单" in page

    response = post(admin, f"/exams/{past_exam}/copy", {}, page=f"/exams/{past_exam}")

    copy = _latest_exam(app)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/exams/{copy['id']}/edit")
    assert copy["id"] != past_exam
    assert copy["status"] == ExamStatus.DRAFT
    assert copy["title"].endswith("（副本）")
    assert copy["opens_at"] > utcnow() and copy["closes_at"] - copy["opens_at"] == timedelta(hours=2)
    with app.app_context():
        original = db.session.get(Exam, past_exam)
        rows = [(r.category_id, r.qtype, r.difficulty, r.count, r.points) for r in original.blueprint_rows]
        # the same time of day, whole days later
        assert (copy["opens_at"] - original.opens_at) % timedelta(days=1) == timedelta(0)
        assert copy["cycle"] == original.cycle_id
    assert copy["rows"] == rows and rows
    assert copy["roster"] == 0
    assert "考试名单中还没有任何人" in copy["problems"]
    assert not any("时间已过" in p for p in copy["problems"])

    edit = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "已复制为新的草稿考试" in edit and "请核对" in edit
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "exam.copy")).one()
        assert entry.object_id == str(copy["id"]) and "复制自考试" in entry.reason


def test_copy_with_roster_brings_the_examinees(app, admin, past_exam):
    response = post(admin, f"/exams/{past_exam}/copy", {"with_roster": "y"}, page=f"/exams/{past_exam}")
    assert response.status_code == 302
    copy = _latest_exam(app)
    with app.app_context():
        source = db.session.scalar(
            select(func.count()).select_from(RosterEntry).where(RosterEntry.exam_id == past_exam)
        )
    assert copy["roster"] == source > 0
    assert copy["problems"] == []


def test_copy_without_csrf_is_refused_and_keeps_nothing(app, admin, past_exam):
    before = _latest_exam(app)["id"]
    response = admin.post(f"/exams/{past_exam}/copy", data={"with_roster": "y"})
    assert response.status_code == 400
    assert _latest_exam(app)["id"] == before


def test_district_admin_cannot_copy(app, world, past_exam):
    client = app.test_client()
    assert login(client, "jinshui").status_code == 302
    page = client.get(f"/exams/{past_exam}").get_data(as_text=True)
    assert "复制为新考试" not in page
    assert post(client, f"/exams/{past_exam}/copy", {}).status_code == 403


def test_copy_of_a_fixed_paper_keeps_its_questions(ctx, world):
    category = exam_factories.small_bank()
    exam = exam_factories.exam(world, category=category)
    versions = db.session.scalars(select(QuestionVersion.id).order_by(QuestionVersion.id).limit(10)).all()
    set_fixed_paper(None, exam, [(v, Decimal("10")) for v in versions])

    copy = copy_exam(None, exam, with_roster=False)

    assert copy.paper_mode == PaperMode.FIXED
    assert [(i.question_version_id, i.points) for i in copy.fixed_items] == [(v, Decimal("10")) for v in versions]
    assert copy.blueprint_rows == []


def test_window_moves_ahead_by_whole_days_and_a_future_one_stays():
    now = utcnow()

    class Stub:
        opens_at = now - timedelta(days=400, minutes=30)
        closes_at = now - timedelta(days=400) + timedelta(hours=1)

    opens_at, closes_at = shifted_window(Stub, now)
    assert opens_at > now + timedelta(days=1) and opens_at < now + timedelta(days=2, hours=1)
    assert closes_at - opens_at == Stub.closes_at - Stub.opens_at
    Stub.opens_at, Stub.closes_at = now + timedelta(days=5), now + timedelta(days=5, hours=2)
    assert shifted_window(Stub, now) == (Stub.opens_at, Stub.closes_at)


def test_copy_title_fits_the_column():
    assert copy_title("年度考试") == "年度考试（副本）"
    assert len(copy_title("长" * 300)) == Exam.title.type.length
