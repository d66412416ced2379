"""Admission tickets: ticket numbers (准考证号), logging in with one, and the migration that numbers old rows."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from examapp import create_app
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.clock import local_time
from examapp.exams.models import Exam, RosterEntry, ticket_number_for, ticket_sequence
from examapp.exams.services import add_to_roster, remove_from_roster
from examapp.extensions import db
from examapp.sitting.models import Attempt
from examapp.sitting.services import start_attempt

from . import exam_factories
from .conftest import TEST_PASSWORD, app_config, login, post
from .factories import Factory


def test_ticket_numbers_are_the_year_the_exam_id_and_a_fixed_width_sequence():
    assert ticket_number_for(2026, 3, 12) == "2026000300012"
    assert ticket_sequence("2026000300012") == 12
    # a wider exam id makes a longer number, never one of another exam
    assert len(ticket_number_for(2026, 12345, 1)) == 14


@pytest.mark.committed
def test_existing_roster_rows_are_numbered_by_the_migration(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'tickets.sqlite3'}"))
    with app.app_context():
        upgrade()
        world = Factory(app).world()
        category = exam_factories.small_bank()
        first = exam_factories.exam(world, publish=True, category=category)
        second = exam_factories.exam(world, category=category)
        start_attempt(first, db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
        ids = (first.id, second.id)
        downgrade(revision="0011_pending_corrections")
        db.session.remove()
        upgrade()
        rows = db.session.execute(select(RosterEntry.exam_id, RosterEntry.ticket_number).order_by(RosterEntry.id)).all()
        attempts = db.session.scalar(select(db.func.count()).select_from(Attempt))
        db.session.remove()
        db.engine.dispose()
    year = str(first.opens_at.year)
    for exam_id in ids:
        numbers = [number for exam, number in rows if exam == exam_id]
        assert numbers == [f"{year}{exam_id:04d}{n:05d}" for n in range(1, len(numbers) + 1)]
    assert attempts == 1  # the attempt of a numbered row is still there


# --- numbers, logging in with one, seats ------------------------------------------------------


@pytest.fixture
def exam_id(app, world):
    with app.app_context():
        exam = exam_factories.exam(world)
        db.session.commit()
        return exam.id


def entry_of(exam_id, username):
    return db.session.scalar(
        select(RosterEntry).join(RosterEntry.user).where(RosterEntry.exam_id == exam_id, User.username == username)
    )


def test_people_added_to_a_roster_get_the_next_numbers_of_their_exam(app, world, exam_id):
    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        numbers = sorted(e.ticket_number for e in db.session.scalars(select(RosterEntry).filter_by(exam_id=exam_id)))
        prefix = f"{local_time(exam.opens_at).year}{exam_id:04d}"
        assert numbers == [f"{prefix}{n:05d}" for n in range(1, len(numbers) + 1)]
        first = entry_of(exam_id, "kaosheng")
        assert first.ticket_number == f"{prefix}00001"
        remove_from_roster(None, exam, [first], "调离")
        db.session.flush()
        add_to_roster(None, exam, users=[db.session.get(User, world.accounts["examinee"].id)])
        # numbers follow the highest one of the exam: a gap is not filled
        assert entry_of(exam_id, "kaosheng").ticket_number == f"{prefix}{len(numbers) + 1:05d}"
        db.session.rollback()


def test_a_ticket_number_logs_in_as_its_person(app, world, exam_id):
    with app.app_context():
        number = entry_of(exam_id, "kaosheng").ticket_number
    client = app.test_client()
    response = login(client, f" {number[:4]} {number[4:]} ", TEST_PASSWORD)
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).filter_by(action="user.login").order_by(AuditEntry.id.desc()))
        assert entry.actor_username == "kaosheng"
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "用户名或准考证号" in page


def test_a_ticket_number_counts_against_its_accounts_throttle(app, world, exam_id):
    with app.app_context():
        number = entry_of(exam_id, "kaosheng").ticket_number
    client = app.test_client()
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        assert login(client, number, "wrong-password-1").status_code == 401
    assert login(app.test_client(), "kaosheng").status_code == 429
    with app.app_context():
        failed = db.session.scalar(select(AuditEntry).filter_by(action="user.login_failed"))
        assert failed.object_label.startswith("kaosheng ")


def test_a_ticket_number_of_an_ended_exam_still_names_only_a_valid_account(app, world, exam_id, clock):
    with app.app_context():
        number = entry_of(exam_id, "kaosheng").ticket_number
    clock.advance(days=30)
    assert login(app.test_client(), number).status_code == 302
    with app.app_context():
        db.session.get(User, world.accounts["examinee"].id).is_enabled = False
        db.session.commit()
    assert login(app.test_client(), number).status_code == 401
    assert login(app.test_client(), "9" * 13).status_code == 401


def test_room_and_seat_are_set_on_the_roster_and_printed(app, world, exam_id):
    admin = app.test_client()
    login(admin, "jinshui")
    with app.app_context():
        own, other = entry_of(exam_id, "kaosheng").id, entry_of(exam_id, "kaosheng2").id
    page = f"/exams/{exam_id}/roster/{own}"
    assert 'data-testid="seat-form"' in admin.get(page).get_data(as_text=True)
    done = post(admin, f"{page}/seat", {"room": "第一考场", "seat": "12"}, page=page)
    assert done.status_code == 302
    too_long = post(admin, f"{page}/seat", {"room": "长" * 41, "seat": "1"}, page=page)
    assert too_long.status_code == 400 and "考场不能超过 40 个字" in too_long.get_data(as_text=True)
    # a district admin sets only their own district's people
    assert post(admin, f"/exams/{exam_id}/roster/{other}/seat", {"room": "x"}, page=page).status_code == 404
    tickets = admin.get(f"/exams/{exam_id}/paperwork/{world.communities['a'].id}/tickets").get_data(as_text=True)
    assert 'data-testid="ticket-room">第一考场<' in tickets and 'data-testid="ticket-seat">12<' in tickets
    with app.app_context():
        audit = db.session.scalar(select(AuditEntry).filter_by(action="exam.seat_set"))
        assert audit.after == {"room": "第一考场", "seat": "12"} and audit.district_id == world.districts["a"].id
