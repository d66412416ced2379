"""Admission tickets: ticket numbers (准考证号), logging in with one, and the migration that numbers old rows."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from examapp import create_app
from examapp.auth.models import User
from examapp.exams.models import RosterEntry, ticket_number_for, ticket_sequence
from examapp.extensions import db
from examapp.sitting.models import Attempt
from examapp.sitting.services import start_attempt

from . import exam_factories
from .conftest import app_config
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
        rows = db.session.execute(
            select(RosterEntry.exam_id, RosterEntry.ticket_number).order_by(RosterEntry.id)
        ).all()
        attempts = db.session.scalar(select(db.func.count()).select_from(Attempt))
        db.session.remove()
        db.engine.dispose()
    year = str(first.opens_at.year)
    for exam_id in ids:
        numbers = [number for exam, number in rows if exam == exam_id]
        assert numbers == [f"{year}{exam_id:04d}{n:05d}" for n in range(1, len(numbers) + 1)]
    assert attempts == 1  # the attempt of a numbered row is still there
