"""Data carried across migrations: rows written before a revision read sensibly after it."""

from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, null, select, update

from examapp import create_app
from examapp.auth.models import User
from examapp.clock import utcnow
from examapp.extensions import db
from examapp.sitting.models import AttemptItem
from examapp.sitting.services import start_attempt

from . import exam_factories
from .conftest import app_config
from .factories import Factory


@pytest.mark.committed  # its own database, through the real session (not the test's rolled-back one)
def test_answer_timing_is_backfilled_for_items_saved_before_it(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'migrations.sqlite3'}"))
    with app.app_context():
        upgrade()
        world = Factory(app).world()
        exam = exam_factories.exam(world, publish=True)
        attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        answered_at = utcnow() - timedelta(minutes=3)
        items = AttemptItem.__table__.c
        for position, response, flagged in ((1, "B", False), (2, null(), True), (3, JSON.NULL, False)):
            # saved three times before the revision: answered; only flagged; answered, then cleared
            db.session.execute(
                update(AttemptItem.__table__)
                .where(items.attempt_id == attempt.id, items.position == position)
                .values(response=response, flagged=flagged, response_seq=3, answered_at=answered_at)
            )
        db.session.commit()
        attempt_id = attempt.id
        downgrade(revision="0007_integrity")
        db.session.remove()
        upgrade()
        rows = db.session.execute(
            select(AttemptItem.position, AttemptItem.first_answered_at, AttemptItem.save_count)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        ).all()
        db.session.remove()
        db.engine.dispose()
    assert rows[:3] == [(1, answered_at, 1), (2, None, 1), (3, None, 1)]
    assert {(first, count) for _position, first, count in rows[3:]} == {(None, 0)}


@pytest.mark.committed
def test_going_back_before_late_deliveries_keeps_every_attempts_items_and_events(tmp_path):
    """The downgrade drops two columns of attempts and attempt_events in place: copying and
    dropping the attempts table (a batch operation on SQLite) would cascade to their items."""
    from sqlalchemy import func

    from examapp.sitting.models import AttemptEvent
    from examapp.sitting.page import claim_attempt

    app = create_app(app_config(f"sqlite:///{tmp_path / 'late.sqlite3'}"))
    with app.app_context():
        upgrade()
        world = Factory(app).world()
        exam = exam_factories.exam(world, publish=True)
        attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        claim_attempt(attempt)
        db.session.commit()
        counts = [db.session.scalar(select(func.count()).select_from(model)) for model in (AttemptItem, AttemptEvent)]
        assert counts[0] > 0 and counts[1] == 1
        db.session.remove()
        downgrade(revision="0008_answer_timing")
        db.session.remove()
        after = [
            db.session.scalar(select(func.count()).select_from(table))
            for table in (AttemptItem.__table__, AttemptEvent.__table__)
        ]
        db.session.remove()
        upgrade()
        db.engine.dispose()
    assert after == counts


@pytest.fixture
def own_database_url(tmp_path):
    """A database of its own: a file on SQLite, a fresh database beside the tests' on PostgreSQL."""
    import os

    from sqlalchemy import create_engine, text

    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'own.sqlite3'}"
        return
    admin_url, name = base.rsplit("/", 1)
    own = f"{name}_migrations"
    admin = create_engine(f"{admin_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{own}"'))
        conn.execute(text(f'CREATE DATABASE "{own}"'))
    yield f"{admin_url}/{own}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.committed
def test_the_grading_state_comes_and_goes_with_attempts_in_place(own_database_url):
    """0016 widens the attempts' state check without copying the table (on SQLite a copy cannot be
    dropped under the rows that reference it); its downgrade refuses while a hand-in is being graded."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from examapp.sitting.models import Attempt, AttemptState

    app = create_app(app_config(own_database_url))
    with app.app_context():
        upgrade()
        world = Factory(app).world()
        exam = exam_factories.exam(world, publish=True)
        attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
        attempt_id = attempt.id
        downgrade(revision="0015_practice")  # the attempt and its items stay where they are
        upgrade()
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(state=AttemptState.GRADING))
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(state="lost"))
            db.session.commit()
        db.session.rollback()
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(state=AttemptState.SUBMITTED))
        db.session.commit()
        downgrade(revision="0015_practice")
        with pytest.raises(IntegrityError):
            db.session.execute(text("UPDATE attempts SET state = 'grading' WHERE id = :id"), {"id": attempt_id})
            db.session.commit()
        db.session.rollback()
        items = text("SELECT count(*) FROM attempt_items WHERE attempt_id = :id")
        assert db.session.execute(items, {"id": attempt_id}).scalar() > 0
        db.session.remove()  # SQLite: the migration takes the write lock this read's transaction holds
        upgrade()
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(state=AttemptState.GRADING))
        db.session.commit()
        db.session.remove()
        with pytest.raises(SystemExit):  # Flask-Migrate reports the migration's refusal and exits
            downgrade(revision="0015_practice")
        db.engine.dispose()
