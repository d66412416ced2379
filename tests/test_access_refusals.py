"""A refused reach for an object outside one's scope (or a page outside one's role) is audited,
rate-limited per user, and the office can list those entries (issue 17, item 10)."""

import pytest
from sqlalchemy import select, text

from examapp.audit.labels import REFUSAL_ACTION
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.extensions import db
from examapp.sitting.services import start_attempt

from . import exam_factories


def _refusals(app, username=None):
    with app.app_context():
        stmt = select(AuditEntry).where(AuditEntry.action == REFUSAL_ACTION).order_by(AuditEntry.id)
        if username is not None:
            stmt = stmt.where(AuditEntry.actor_username == username)
        return db.session.scalars(stmt).all()


@pytest.fixture
def attempt_id(app, world, clock):
    """kaosheng's attempt at a published exam."""
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
        return attempt.id


def test_reaching_for_another_persons_attempt_is_audited(app, as_role, attempt_id):
    other = as_role("examinee_b")
    response = other.get(f"/attempt/{attempt_id}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 403
    (entry,) = _refusals(app)
    assert (entry.actor_username, entry.object_type, entry.object_id) == ("kaosheng2", "attempt", str(attempt_id))
    assert entry.client_address == "10.1.2.3"
    assert entry.after["path"] == f"/attempt/{attempt_id}"
    assert entry.after["endpoint"] == "sitting.attempt" and entry.after["answer_status"] == "403"
    assert entry.chain_seq is not None  # linked into the audit chain like any other entry


def test_the_owner_leaves_no_refusal(app, as_role, attempt_id):
    assert as_role("examinee").get(f"/attempt/{attempt_id}").status_code == 200
    assert _refusals(app) == []


def test_an_object_outside_the_district_is_audited_as_a_404(app, as_role, world):
    response = as_role("district_admin").get(f"/units/{world.streets['b'].id}")
    assert response.status_code == 404
    (entry,) = _refusals(app, "jinshui")
    assert (entry.object_type, entry.object_id, entry.after["answer_status"]) == (
        "unit",
        str(world.streets["b"].id),
        "404",
    )
    assert entry.district_id == world.districts["a"].id  # the district admin's own district sees it too


def test_a_page_outside_the_role_is_audited(app, as_role):
    assert as_role("examinee").get("/audit/").status_code == 403
    (entry,) = _refusals(app, "kaosheng")
    assert (entry.object_type, entry.object_id, entry.after["path"]) == ("page", "audit.index", "/audit/")


def test_one_entry_per_object_type_per_minute(app, as_role, world, clock, attempt_id):
    other = as_role("examinee_b")
    for _ in range(5):
        assert other.get(f"/attempt/{attempt_id}").status_code == 403
    assert len(_refusals(app)) == 1
    assert other.get("/audit/").status_code == 403  # another type of object: its own entry
    assert len(_refusals(app)) == 2
    clock.advance(seconds=61)
    assert other.get(f"/attempt/{attempt_id}").status_code == 403
    assert len(_refusals(app)) == 3


def test_at_most_n_entries_per_user_an_hour(app, as_role, world, clock, attempt_id, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_REFUSALS_PER_HOUR", 3)
    other = as_role("examinee_b")
    for _ in range(10):
        assert other.get(f"/attempt/{attempt_id}").status_code == 403
        clock.advance(minutes=2)
    entries = _refusals(app)
    assert len(entries) == 3
    assert entries[-1].reason and "上限" in entries[-1].reason  # the last one says the rest go unrecorded
    assert as_role("examinee").get("/audit/").status_code == 403  # another person has their own allowance
    assert len(_refusals(app, "kaosheng")) == 1
    clock.advance(hours=1)
    assert other.get(f"/attempt/{attempt_id}").status_code == 403
    assert len(_refusals(app)) == 5


def test_a_failure_to_write_the_entry_leaves_the_403(app, as_role, attempt_id, monkeypatch):
    from examapp.audit import services

    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "record_change", broken)
    other = as_role("examinee_b")
    assert other.get(f"/attempt/{attempt_id}").status_code == 403
    assert other.get("/audit/", headers={"Accept": "application/json"}).status_code == 403
    assert _refusals(app) == []


def test_the_office_filters_the_log_for_refusals(app, as_role, attempt_id):
    as_role("examinee_b").get(f"/attempt/{attempt_id}")
    office = as_role("office")
    page = office.get("/audit/").get_data(as_text=True)
    assert (
        "只看越权访问" in page
        and f"action={REFUSAL_ACTION}" in page
        and '<td class="audit-action">新建单位</td>' in page
    )
    page = office.get(f"/audit/?action={REFUSAL_ACTION}").get_data(as_text=True)
    assert (
        '<td class="audit-action">越权访问被拒绝</td>' in page and "kaosheng2" in page and f"答卷 {attempt_id}" in page
    )
    assert f"访问地址</span>：/attempt/{attempt_id}" in page and "答复</span>：拒绝（403）" in page
    assert '<td class="audit-action">新建单位</td>' not in page  # the world's other entries are filtered out


@pytest.mark.committed
def test_the_entry_is_committed_although_the_request_is_not(app, make):
    world = make.world()
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        attempt = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
        attempt_id = attempt.id
    from .conftest import login

    client = app.test_client()
    login(client, "kaosheng2")
    assert client.get(f"/attempt/{attempt_id}").status_code == 403
    with app.app_context(), db.engine.connect() as connection:  # another connection sees it
        rows = connection.execute(
            text("SELECT actor_username, object_id FROM audit_entries WHERE action = :a"), {"a": REFUSAL_ACTION}
        ).all()
    assert [tuple(r) for r in rows] == [("kaosheng2", str(attempt_id))]
