"""The monitor's progress, online state and 强制交卷 (for one person and for a whole unit)."""

from datetime import timedelta

from sqlalchemy import select, update

from examapp.audit.models import AuditEntry
from examapp.extensions import db
from examapp.sitting.models import AttemptItem, AttemptState, SubmitReason

from .conftest import post
from .test_monitor import START, admin, attempt, jinshui, person_url, sitting, status  # noqa: F401

__all__ = ["admin", "jinshui", "sitting"]


def _answer(app, attempt_id, positions, response="A"):
    with app.app_context():
        db.session.execute(
            update(AttemptItem)
            .where(AttemptItem.attempt_id == attempt_id, AttemptItem.position.in_(positions))
            .values(response=response, response_seq=1)
        )
        db.session.commit()


def _force_entries(app):
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "attempt.force_submit").order_by(AuditEntry.id)
        ).all()


def test_progress_and_online_state_per_person(app, admin, sitting, clock):
    _answer(app, sitting.attempt["kaosheng"], [1, 2, 3])
    people = {p["username"]: p for p in status(admin, sitting)["people"]}
    kaosheng = people["kaosheng"]
    assert kaosheng["done_count"] == 3 and kaosheng["question_count"] > 3
    assert kaosheng["progress_text"] == f"3 / {kaosheng['question_count']}"
    assert kaosheng["online"] is True and kaosheng["contact_text"] == "在线"  # saved at START + 1 min
    assert people["ksa3"]["progress_text"] == "—" and people["ksa3"]["contact_text"] == "—"  # not started
    clock.set(START + timedelta(minutes=3, seconds=1))  # 2 minutes and a second since the last save
    kaosheng = {p["username"]: p for p in status(admin, sitting)["people"]}["kaosheng"]
    assert kaosheng["online"] is False and kaosheng["contact_text"] == "离线（最后联系 09:01:00）"
    page = admin.get(f"/monitor/{sitting.exam_id}").get_data(as_text=True)
    assert f"3 / {kaosheng['question_count']}" in page and "最后联系 09:01:00" in page


def test_a_cleared_answer_does_not_count(app, admin, sitting):
    _answer(app, sitting.attempt["kaosheng"], [1, 2])
    _answer(app, sitting.attempt["kaosheng"], [2], response=None)
    kaosheng = {p["username"]: p for p in status(admin, sitting)["people"]}["kaosheng"]
    assert kaosheng["done_count"] == 1


def test_force_submit_one_person_with_what_was_saved(app, admin, sitting, clock):
    _answer(app, sitting.attempt["kaosheng"], [1])
    page = admin.get(person_url(sitting, "kaosheng")).get_data(as_text=True)
    assert "强制交卷" in page and 'data-testid="progress">1 / ' in page
    clock.advance(minutes=5)
    response = post(
        admin, person_url(sitting, "kaosheng", "force-submit"), {"force-reason": "考场清场"}, follow_redirects=True
    )
    assert "已为" in response.get_data(as_text=True) and "强制交卷" in response.get_data(as_text=True)
    done = attempt(app, sitting.attempt["kaosheng"])
    assert done.state == AttemptState.SUBMITTED and done.submit_reason == SubmitReason.ADMIN
    assert done.score is not None and done.submitted_at == START + timedelta(minutes=5)
    (entry,) = _force_entries(app)
    assert (entry.reason, entry.actor_username, entry.object_id) == ("考场清场", "admin", str(done.id))
    assert "监考管理员强制交卷" in admin.get(person_url(sitting, "kaosheng")).get_data(as_text=True)


def test_force_submit_needs_a_reason_and_a_running_attempt(app, admin, sitting):
    response = post(
        admin, person_url(sitting, "kaosheng", "force-submit"), {"force-reason": " "}, follow_redirects=True
    )
    assert "请填写原因" in response.get_data(as_text=True)
    assert attempt(app, sitting.attempt["kaosheng"]).state == AttemptState.IN_PROGRESS
    for name in ("ksa1", "ksa2"):  # submitted, voided
        before = attempt(app, sitting.attempt[name])
        response = post(
            admin, person_url(sitting, name, "force-submit"), {"force-reason": "清场"}, follow_redirects=True
        )
        assert "不在答题中，不能强制交卷" in response.get_data(as_text=True)
        after = attempt(app, sitting.attempt[name])
        assert (after.state, after.submit_reason) == (before.state, before.submit_reason)
    response = post(admin, person_url(sitting, "ksa3", "force-submit"), {"force-reason": "清场"}, follow_redirects=True)
    assert "尚未开始答题" in response.get_data(as_text=True)
    assert _force_entries(app) == []
    # without the CSRF token: refused, nothing changes
    assert admin.post(person_url(sitting, "kaosheng", "force-submit"), data={"force-reason": "x"}).status_code == 400
    assert attempt(app, sitting.attempt["kaosheng"]).state == AttemptState.IN_PROGRESS


def test_force_submit_a_whole_unit_touches_only_the_running(app, admin, sitting):
    url = f"/monitor/{sitting.exam_id}/units/{sitting.units['a']}/force-submit"
    page = admin.get(f"/monitor/{sitting.exam_id}?unit={sitting.units['a']}").get_data(as_text=True)
    assert f'action="{url}"' in page and "正在答题的 1 人强制交卷" in page
    response = post(admin, url, {"unitforce-reason": "社区考场断电，无法继续"}, follow_redirects=True)
    assert "正在答题的 1 人强制交卷" in response.get_data(as_text=True)
    assert attempt(app, sitting.attempt["kaosheng"]).submit_reason == SubmitReason.ADMIN
    assert attempt(app, sitting.attempt["ksa2"]).state == AttemptState.VOIDED
    assert attempt(app, sitting.attempt["kaosheng2"]).state == AttemptState.IN_PROGRESS  # another district's unit
    assert [e.reason for e in _force_entries(app)] == ["社区考场断电，无法继续"]
    # nobody left answering: refused, and said so
    response = post(admin, url, {"unitforce-reason": "再次清场"}, follow_redirects=True)
    assert "没有正在答题的考生" in response.get_data(as_text=True)
    assert len(_force_entries(app)) == 1


def test_district_admin_cannot_force_another_district(app, jinshui, sitting):
    response = post(jinshui, person_url(sitting, "kaosheng2", "force-submit"), {"force-reason": "清场"})
    assert response.status_code in (403, 404)
    response = post(
        jinshui, f"/monitor/{sitting.exam_id}/units/{sitting.units['b']}/force-submit", {"unitforce-reason": "清场"}
    )
    assert response.status_code in (403, 404)
    assert attempt(app, sitting.attempt["kaosheng2"]).state == AttemptState.IN_PROGRESS
