"""The live monitor: per-unit counts, the JSON status, server time, corrections and their reach."""

import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from examapp.audit.models import AuditEntry
from examapp.auth.models import Role, User
from examapp.exams.models import Exam, RosterEntry
from examapp.exams.services import add_to_roster
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.sitting.models import Attempt, AttemptState, SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt, void_attempt

from . import bank_factories, exam_factories
from .conftest import login, post

START = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)  # 09:00 in Zhengzhou


def _person(make, unit, username):
    return make.user(Role.EXAMINEE, unit, username=username, name=f"考生{username}")


@pytest.fixture
def sitting(app, world, make, clock):
    """A published exam, started at START, with people of two districts in every state.

    金水区第一社区: kaosheng (答题中), ksa1 (已交卷), ksa2 (已作废), ksa3 (未开始)
    金水区第一街道: kss1 (未开始)
    二七区第一社区: kaosheng2 (答题中), ksb1 (未开始)
    """
    clock.set(START)
    for username in ("ksa1", "ksa2", "ksa3"):
        _person(make, world.communities["a"], username)
    _person(make, world.streets["a"], "kss1")
    _person(make, world.communities["b"], "ksb1")
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        people = {u.username: u for u in db.session.scalars(select(User).where(User.role == Role.EXAMINEE))}
        attempts = {name: start_attempt(exam, people[name]) for name in ("kaosheng", "ksa1", "ksa2", "kaosheng2")}
        submit_attempt(attempts["ksa1"], SubmitReason.EXAMINEE)
        void_attempt(None, attempts["ksa2"], "替考")
        attempts["kaosheng"].departures, attempts["kaosheng"].last_saved_at = 2, START + timedelta(minutes=1)
        entries = {
            people_by_id.username: entry
            for entry, people_by_id in db.session.execute(
                select(RosterEntry, User)
                .join(User, User.id == RosterEntry.user_id)
                .where(RosterEntry.exam_id == exam.id)
            )
        }
        db.session.commit()
        return SimpleNamespace(
            exam_id=exam.id,
            closes_at=exam.closes_at,
            entry={name: e.id for name, e in entries.items()},
            attempt={name: a.id for name, a in attempts.items()},
            units={"a": world.communities["a"].id, "street_a": world.streets["a"].id, "b": world.communities["b"].id},
        )


@pytest.fixture
def admin(app, world):
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    return client


@pytest.fixture
def jinshui(app, world):
    client = app.test_client()
    assert login(client, "jinshui").status_code == 302
    return client


def status(client, sitting, **args):
    response = client.get(f"/monitor/{sitting.exam_id}/status.json", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def units_by_id(data):
    return {row["unit_id"]: row for row in data["units"]}


def attempt(app, attempt_id):
    with app.app_context():
        found = db.session.get(Attempt, attempt_id)
        db.session.expunge(found)
        return found


def audit_actions(app):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


# --- what the monitor shows -------------------------------------------------


def test_counts_per_unit_and_in_total(admin, sitting):
    data = status(admin, sitting)
    units = units_by_id(data)
    counts = ("roster", "not_started", "in_progress", "submitted", "voided")
    assert [units[sitting.units["a"]][k] for k in counts] == [4, 1, 1, 1, 1]
    assert [units[sitting.units["street_a"]][k] for k in counts] == [1, 1, 0, 0, 0]
    assert [units[sitting.units["b"]][k] for k in counts] == [2, 1, 1, 0, 0]
    assert data["totals"] == {"roster": 7, "not_started": 3, "in_progress": 2, "submitted": 1, "voided": 1}
    assert units[sitting.units["a"]]["district_name"] == "金水区"


def test_page_renders_the_same_state_without_javascript(admin, sitting):
    response = admin.get(f"/monitor/{sitting.exam_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "金水区第一社区" in page and "二七区第一社区" in page
    assert 'data-total="in_progress" data-testid="total-in_progress">2<' in page
    assert f'href="/monitor/{sitting.exam_id}?page=1"' in page and ">刷新<" in page  # works without JS
    assert "js/monitor.js" in page
    # CSP: no inline script or style
    assert "<script>" not in page and ' style="' not in page
    assert "答题中" in page and "已作废" in page
    assert "1:00:00" in page  # kaosheng's time left at START, from the server clock


def test_one_unit_at_a_time_offers_the_unit_extra_time_form(admin, jinshui, sitting):
    page = admin.get(f"/monitor/{sitting.exam_id}?unit={sitting.units['a']}").get_data(as_text=True)
    assert f'action="/monitor/{sitting.exam_id}/units/{sitting.units["a"]}/extra-time"' in page
    assert "为金水区第一社区名单上的全部 4 人延长时间" in page
    assert "/extra-time" not in admin.get(f"/monitor/{sitting.exam_id}").get_data(as_text=True)
    # another district's unit, asked for by id: no rows, no form
    page = jinshui.get(f"/monitor/{sitting.exam_id}?unit={sitting.units['b']}").get_data(as_text=True)
    assert "没有符合条件的人员" in page and "/extra-time" not in page and "kaosheng2" not in page


def test_json_shape_and_no_answers(admin, sitting):
    data = status(admin, sitting)
    assert set(data) == {"exam", "now", "now_text", "refresh_seconds", "totals", "units", "people", "page"}
    assert data["page"] == {"page": 1, "pages": 1, "per_page": 50, "total": 7}
    people = {p["username"]: p for p in data["people"]}
    assert set(people["kaosheng"]) == {
        "entry_id", "unit_id", "name", "username", "state", "state_label", "seconds_left", "deadline_at",
        "deadline_text", "last_saved_at", "last_saved_text", "departures", "extra_minutes", "score",
        "done_count", "question_count", "progress_text", "online", "contact_text",
    }  # fmt: skip
    assert people["kaosheng"]["state_label"] == "答题中" and people["kaosheng"]["departures"] == 2
    assert people["kaosheng"]["last_saved_text"] == "09:01:00"  # Asia/Shanghai
    assert people["ksa3"]["state"] == "not_started" and people["ksa3"]["seconds_left"] is None
    assert people["ksa1"]["score"] == "0.00"  # exam admins see scores
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("answer", "response", "option", "awarded", "explanation", "单选题", "多选题", "判断题", "解析"):
        assert secret not in text


def test_district_admins_do_not_see_scores(jinshui, sitting):
    data = status(jinshui, sitting)
    assert all("score" not in p for p in data["people"])
    assert "得分" not in jinshui.get(f"/monitor/{sitting.exam_id}").get_data(as_text=True)


def test_time_left_comes_from_the_server_clock(admin, sitting, clock):
    clock.advance(minutes=15)
    people = {p["username"]: p for p in status(admin, sitting)["people"]}
    assert people["kaosheng"]["seconds_left"] == 45 * 60
    assert people["ksa1"]["seconds_left"] is None  # submitted: no clock
    clock.advance(minutes=50)
    data = status(admin, sitting)
    people = {p["username"]: p for p in data["people"]}
    assert people["kaosheng"]["seconds_left"] == 0 and people["kaosheng"]["state"] == "in_progress"
    assert data["now"] == (START + timedelta(minutes=65)).isoformat()


def test_filters_by_unit_state_and_name(admin, sitting):
    only_a = status(admin, sitting, unit=sitting.units["a"])
    assert {p["username"] for p in only_a["people"]} == {"kaosheng", "ksa1", "ksa2", "ksa3"}
    assert len(only_a["units"]) == 3  # the summary always shows every unit
    not_started = status(admin, sitting, state="not_started")
    assert {p["username"] for p in not_started["people"]} == {"ksa3", "kss1", "ksb1"}
    in_a = status(admin, sitting, unit=sitting.units["a"], state="in_progress")
    assert [p["username"] for p in in_a["people"]] == ["kaosheng"]
    assert [p["username"] for p in status(admin, sitting, q="zzz")["people"]] == []
    assert [p["username"] for p in status(admin, sitting, q="考生ksa3")["people"]] == ["ksa3"]
    assert status(admin, sitting, state="nonsense")["page"]["total"] == 7  # an unknown state is ignored


# --- corrections ----------------------------------------------------------------


def person_url(sitting, name, action=""):
    return f"/monitor/{sitting.exam_id}/people/{sitting.entry[name]}" + (f"/{action}" if action else "")


def test_extra_time_for_a_person_moves_the_running_deadline_and_is_audited(app, admin, sitting):
    before = attempt(app, sitting.attempt["kaosheng"]).deadline_at
    response = post(
        admin, person_url(sitting, "kaosheng", "extra-time"), {"extra-minutes": "10", "extra-reason": "考场停电"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(person_url(sitting, "kaosheng"))
    assert attempt(app, sitting.attempt["kaosheng"]).deadline_at == before + timedelta(minutes=10)
    with app.app_context():
        assert db.session.get(RosterEntry, sitting.entry["kaosheng"]).extra_minutes == 10
    entry = audit_actions(app)[-1]
    assert (entry.action, entry.reason, entry.actor_username) == ("exam.extra_time", "考场停电", "admin")
    assert entry.after == {"extra_minutes": 10}
    page = admin.get(person_url(sitting, "kaosheng")).get_data(as_text=True)
    assert "延长 10 分钟，答题截止时间为 10:10:00" in page  # the flash, after the redirect
    assert "考场停电" in page and '已延长</dt><dd class="col-sm-8">10 分钟' in page  # listed on the person's page
    assert "延长 10 分钟，答题截止时间" not in admin.get(person_url(sitting, "kaosheng")).get_data(as_text=True)


def test_extra_time_flash_says_the_new_deadline(admin, sitting):
    response = post(
        admin,
        person_url(sitting, "kaosheng", "extra-time"),
        {"extra-minutes": "10", "extra-reason": "停电"},
        follow_redirects=True,
    )
    assert "延长 10 分钟，答题截止时间为 10:10:00" in response.get_data(as_text=True)


def test_extra_time_for_a_whole_unit(app, admin, sitting):
    url = f"/monitor/{sitting.exam_id}/units/{sitting.units['a']}/extra-time"
    running_before = attempt(app, sitting.attempt["kaosheng"]).deadline_at
    submitted_before = attempt(app, sitting.attempt["ksa1"]).deadline_at
    response = post(admin, url, {"unit-minutes": "15", "unit-reason": "社区网络故障"}, follow_redirects=True)
    assert "名单上的 4 人各延长 15 分钟" in response.get_data(as_text=True)
    with app.app_context():
        extras = dict(
            db.session.execute(
                select(RosterEntry.unit_id, func.sum(RosterEntry.extra_minutes))
                .where(RosterEntry.exam_id == sitting.exam_id)
                .group_by(RosterEntry.unit_id)
            ).all()
        )
    assert extras == {sitting.units["a"]: 60, sitting.units["street_a"]: 0, sitting.units["b"]: 0}
    assert attempt(app, sitting.attempt["kaosheng"]).deadline_at == running_before + timedelta(minutes=15)
    assert attempt(app, sitting.attempt["ksa1"]).deadline_at == submitted_before  # not running: unchanged
    entries = [e for e in audit_actions(app) if e.action == "exam.extra_time"]
    assert len(entries) == 4 and {e.reason for e in entries} == {"社区网络故障"}


def test_reopen_a_submitted_attempt_with_extra_minutes(app, admin, sitting, clock):
    clock.advance(minutes=30)
    response = post(
        admin,
        person_url(sitting, "ksa1", "reopen"),
        {"reopen-extra_minutes": "5", "reopen-reason": "电脑死机误交卷"},
        follow_redirects=True,
    )
    assert "已重新开放考生ksa1的答卷" in response.get_data(as_text=True)
    reopened = attempt(app, sitting.attempt["ksa1"])
    assert reopened.state == AttemptState.IN_PROGRESS and reopened.score is None
    assert reopened.deadline_at == START + timedelta(minutes=65)
    actions = [(e.action, e.reason) for e in audit_actions(app)[-2:]]
    assert actions == [("exam.extra_time", "电脑死机误交卷"), ("attempt.reopen", "电脑死机误交卷")]


def test_void_an_attempt_with_a_reason(app, admin, sitting, world):
    response = post(admin, person_url(sitting, "kaosheng", "void"), {"void-reason": "发现替考"}, follow_redirects=True)
    assert f"已作废{world.accounts['examinee'].name}的答卷" in response.get_data(as_text=True)
    voided = attempt(app, sitting.attempt["kaosheng"])
    assert voided.state == AttemptState.VOIDED and voided.voided_reason == "发现替考"
    entry = audit_actions(app)[-1]
    assert (entry.action, entry.reason) == ("attempt.void", "发现替考")
    units = units_by_id(status(admin, sitting))
    assert units[sitting.units["a"]]["voided"] == 2 and units[sitting.units["a"]]["in_progress"] == 0


ACTIONS = [
    ("kaosheng", "extra-time", {"extra-minutes": "10"}, "extra"),
    ("ksa1", "reopen", {"reopen-extra_minutes": "5"}, "reopen"),
    ("kaosheng", "void", {}, "void"),
]


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize(("name", "action", "data", "prefix"), ACTIONS, ids=[a[1] for a in ACTIONS])
def test_a_correction_without_a_reason_is_refused_and_changes_nothing(
    app, admin, sitting, name, action, data, prefix, reason
):
    before = attempt(app, sitting.attempt[name])
    audit_before = len(audit_actions(app))
    response = post(
        admin, person_url(sitting, name, action), {**data, f"{prefix}-reason": reason}, follow_redirects=True
    )
    assert "请填写原因" in response.get_data(as_text=True)
    after = attempt(app, sitting.attempt[name])
    assert (after.state, after.deadline_at, after.score) == (before.state, before.deadline_at, before.score)
    with app.app_context():
        assert db.session.get(RosterEntry, sitting.entry[name]).extra_minutes == 0
    assert len(audit_actions(app)) == audit_before


def test_unit_extra_time_without_a_reason_changes_nothing(app, admin, sitting):
    url = f"/monitor/{sitting.exam_id}/units/{sitting.units['a']}/extra-time"
    response = post(admin, url, {"unit-minutes": "10", "unit-reason": ""}, follow_redirects=True)
    assert "请填写原因" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.sum(RosterEntry.extra_minutes))) == 0


@pytest.mark.parametrize(
    ("name", "action", "data", "message"),
    [
        ("kaosheng", "reopen", {"reopen-reason": "误操作"}, "只有已交卷的答卷可以重新开放"),
        ("ksa2", "void", {"void-reason": "再次作废"}, "该答卷已经作废"),
        ("ksa3", "void", {"void-reason": "未参加"}, "该考生尚未开始答题"),
        ("kaosheng", "extra-time", {"extra-minutes": "241", "extra-reason": "太多"}, "延长时间应为 1 到 240 分钟"),
    ],
)
def test_refusals_are_flashed_and_change_nothing(app, admin, sitting, name, action, data, message):
    audit_before = len(audit_actions(app))
    response = post(admin, person_url(sitting, name, action), data, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert len(audit_actions(app)) == audit_before


def test_service_refusal_after_the_window_rolls_back(app, admin, sitting, clock):
    clock.set(sitting.closes_at + timedelta(minutes=1))
    response = post(
        admin,
        person_url(sitting, "kaosheng", "extra-time"),
        {"extra-minutes": "5", "extra-reason": "停电"},
        follow_redirects=True,
    )
    assert "只能在考试开放期间延长时间" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RosterEntry, sitting.entry["kaosheng"]).extra_minutes == 0


# --- reach -----------------------------------------------------------------------


def test_district_admin_sees_only_their_district(jinshui, sitting):
    data = status(jinshui, sitting)
    assert set(units_by_id(data)) == {sitting.units["a"], sitting.units["street_a"]}
    assert {p["username"] for p in data["people"]} == {"kaosheng", "ksa1", "ksa2", "ksa3", "kss1"}
    assert data["totals"]["roster"] == 5
    page = jinshui.get(f"/monitor/{sitting.exam_id}").get_data(as_text=True)
    assert "金水区第一社区" in page and "二七区" not in page and "kaosheng2" not in page


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/people/{b}", None),
        ("POST", "/people/{b}/extra-time", {"extra-minutes": "10", "extra-reason": "越权"}),
        ("POST", "/people/{b}/void", {"void-reason": "越权"}),
        ("POST", "/people/{b}/reopen", {"reopen-reason": "越权"}),
        ("POST", "/units/{unit_b}/extra-time", {"unit-minutes": "10", "unit-reason": "越权"}),
    ],
)
def test_district_admin_cannot_act_on_another_district(app, jinshui, sitting, method, path, data):
    url = f"/monitor/{sitting.exam_id}" + path.format(b=sitting.entry["kaosheng2"], unit_b=sitting.units["b"])
    response = jinshui.get(url) if method == "GET" else post(jinshui, url, data)
    assert response.status_code == 404
    other = attempt(app, sitting.attempt["kaosheng2"])
    assert other.state == AttemptState.IN_PROGRESS
    with app.app_context():
        assert db.session.get(RosterEntry, sitting.entry["kaosheng2"]).extra_minutes == 0


def test_district_admin_acts_on_own_district(app, jinshui, sitting):
    response = post(
        jinshui, person_url(sitting, "kaosheng", "extra-time"), {"extra-minutes": "5", "extra-reason": "停电"}
    )
    assert response.status_code == 302
    entry = audit_actions(app)[-1]
    assert (entry.action, entry.actor_username, entry.district_id) == (
        "exam.extra_time",
        "jinshui",
        sitting_district(app),
    )


def sitting_district(app):
    with app.app_context():
        return db.session.scalar(select(Unit.id).where(Unit.code == "410105"))


def test_a_person_of_another_exam_is_not_found(app, admin, sitting, world):
    with app.app_context():
        other = exam_factories.exam(world, publish=True, category=bank_factories.category())
        db.session.commit()
        other_id = other.id
    assert admin.get(f"/monitor/{other_id}/people/{sitting.entry['kaosheng']}").status_code == 404
    assert admin.get("/monitor/999999").status_code == 404


@pytest.mark.parametrize("role", ["office", "examinee"])
def test_office_and_examinees_may_not_monitor(app, world, sitting, role):
    client = app.test_client()
    assert login(client, world.accounts[role].username).status_code == 302
    assert client.get(f"/monitor/{sitting.exam_id}").status_code == 403
    response = client.get(f"/monitor/{sitting.exam_id}/status.json", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"status": 403, "error": "您没有权限访问此页面"}


def test_json_errors_are_json(admin):
    response = admin.get("/monitor/999999/status.json", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json() == {"status": 404, "error": "页面不存在"}


# --- size -------------------------------------------------------------------------


@contextmanager
def counted_statements(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_query_count_does_not_grow_with_the_roster(app, make, world, admin, clock):
    """The page and the JSON cost the same number of statements for 6 people as for 60."""
    clock.set(START)
    with app.app_context():
        community = db.session.merge(world.communities["a"])
        for i in range(4):
            make._user(Role.EXAMINEE, community, username=f"small{i}")
        exam = exam_factories.exam(world, publish=True)
        for user in db.session.scalars(select(User).where(User.username.in_(["small0", "small1"]))):
            start_attempt(exam, user)
        db.session.commit()
        exam_id = exam.id

    def cost():
        counts = []
        for url in (f"/monitor/{exam_id}", f"/monitor/{exam_id}/status.json", f"/monitor/{exam_id}?page=2"):
            with counted_statements(app) as statements:
                assert admin.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    small = cost()
    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        units = [db.session.merge(world.streets["a"]), db.session.merge(world.communities["b"])]
        for i in range(54):
            make._user(Role.EXAMINEE, units[i % 2], username=f"big{i}")
        add_to_roster(None, exam, units=units)
        for user in db.session.scalars(select(User).where(User.username.like("big%")).limit(30)):
            start_attempt(exam, user)
        db.session.commit()
        assert (
            db.session.scalar(select(func.count()).select_from(RosterEntry).where(RosterEntry.exam_id == exam_id)) == 60
        )
    large = cost()
    assert large == small
    assert min(large) >= 3 and max(large) <= 12, large
    data = status(admin, SimpleNamespace(exam_id=exam_id))
    assert data["page"] == {"page": 1, "pages": 2, "per_page": 50, "total": 60} and len(data["people"]) == 50
    assert len(status(admin, SimpleNamespace(exam_id=exam_id), page=2)["people"]) == 10


# --- the person page -----------------------------------------------------------------


def test_person_page_offers_what_fits_the_state(admin, sitting):
    submitted = admin.get(person_url(sitting, "ksa1")).get_data(as_text=True)
    assert "重新开放答卷" in submitted and "作废答卷" in submitted and "延长时间" in submitted
    assert "交卷" in submitted and "考生交卷" in submitted  # the recorded event and the submit reason
    running = admin.get(person_url(sitting, "kaosheng")).get_data(as_text=True)
    assert "重新开放答卷" not in running and "作废答卷" in running
    assert "1:00:00" in running  # time left at START, from the server clock
    not_started = admin.get(person_url(sitting, "ksa3")).get_data(as_text=True)
    assert "尚未开始答题" in not_started and "作废答卷" not in not_started
    voided = admin.get(person_url(sitting, "ksa2")).get_data(as_text=True)
    assert "作废原因" in voided and "替考" in voided and "作废答卷</div>" not in voided


def test_person_page_shows_no_score_to_district_admins(jinshui, sitting):
    page = jinshui.get(person_url(sitting, "ksa1")).get_data(as_text=True)
    assert "交卷" in page and "得分" not in page and "0.00" not in page


# --- service gaps found while building the monitor (fixed) ---------------------------------


def test_void_attempt_refuses_an_overlong_reason_as_a_domain_error(ctx, world, clock):
    from examapp.errors import DomainError

    exam = exam_factories.exam(world, publish=True)
    running = start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
    with pytest.raises(DomainError):
        void_attempt(None, running, "替" * 501)


@pytest.mark.committed
def test_two_simultaneous_grants_both_count(app, make, clock):
    """Two admins granting at once: the minutes are added in the database, so neither grant is lost."""
    import threading

    from examapp.sitting.services import grant_extra_time

    world = make.world()
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        entry_id = db.session.scalar(select(RosterEntry.id).where(RosterEntry.user_id == world.accounts["examinee"].id))
        exam_id = exam.id
        db.session.commit()
    barrier, errors = threading.Barrier(2), []
    with app.app_context():
        # PostgreSQL: both admins read the row before either writes, so a lost update would be certain.
        # SQLite takes the write lock at BEGIN, so there the grants simply run one after the other.
        read_first = db.engine.dialect.name == "postgresql"

    def grant(username):
        with app.app_context():
            try:
                if read_first:
                    actor = db.session.scalar(select(User).where(User.username == username))
                    entry = db.session.get(RosterEntry, entry_id)
                    entry.user  # noqa: B018 - loaded before the other admin writes
                barrier.wait(timeout=10)
                if not read_first:
                    actor = db.session.scalar(select(User).where(User.username == username))
                    entry = db.session.get(RosterEntry, entry_id)
                grant_extra_time(actor, db.session.get(Exam, exam_id), [entry], 10, "停电")
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=grant, args=(name,)) for name in ("admin", "jinshui")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "exam.extra_time")
            )
            == 2
        )
        assert db.session.get(RosterEntry, entry_id).extra_minutes == 20


# --- what the events are called ----------------------------------------------------------------


def test_person_page_names_a_save_from_another_address_in_chinese(app, admin, sitting):
    from examapp.sitting.page import claim_attempt
    from examapp.sitting.saving import save_responses

    with app.app_context():
        attempt = db.session.get(Attempt, sitting.attempt["kaosheng"])
        token = claim_attempt(attempt, address="10.0.0.1", user_agent="Chromium")
        save = {"seq": 1, "position": 1, "response": None, "flagged": True}
        save_responses(attempt, token, [save], address="10.0.0.2", user_agent="Chromium")
        db.session.commit()
    page = admin.get(person_url(sitting, "kaosheng")).get_data(as_text=True)
    assert "从另一地址或浏览器保存答案" in page and "10.0.0.2" in page
    assert "address_changed" not in page and "其他记录" not in page


def test_every_event_kind_the_code_can_record_has_a_label():
    import ast
    import re
    from pathlib import Path

    from examapp.sitting.models import EventKind, event_text

    package = Path(__file__).resolve().parent.parent / "examapp"
    named = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "record_event"
            ):
                kind = node.args[1]
                # a kind is named on the model, never spelled out where it is recorded
                assert not isinstance(kind, ast.Constant), f"{path}:{node.lineno}: {kind.value!r}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "EventKind":
                value = getattr(EventKind, node.attr)
                named.update(value if isinstance(value, tuple) else [value] if isinstance(value, str) else [])
    recorded = named - {EventKind.RETURN}  # a return ends a departure; it is not recorded itself
    assert {EventKind.ADDRESS_CHANGED, EventKind.LATE_DELIVERY, EventKind.SUBMITTED} <= recorded
    assert recorded <= set(EventKind.ALL) == set(EventKind.LABELS)
    for kind in recorded:
        assert re.search(r"[\u4e00-\u9fff]", EventKind.LABELS[kind]), kind
        assert kind not in event_text(kind) and "其他记录" not in event_text(kind)
