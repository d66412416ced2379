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
