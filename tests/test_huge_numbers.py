"""Numbers larger than the database's integers, in an address or a query string, are a 404 or
are ignored, never a server error. PostgreSQL's ``integer`` stops at 2,147,483,647 and refuses a
larger parameter outright (SQLite's integers are 64-bit, so only PostgreSQL shows the fault)."""

import re

import pytest
from sqlalchemy import func, select

from examapp.extensions import db
from examapp.sitting.models import Attempt

from . import exam_factories
from .conftest import csrf_token, login

#: beyond PostgreSQL's integer (and, the second, beyond its bigint)
HUGE = (2**31, 10**20)
#: what else a person may type for a number: digits ``int`` does not take
ODD_DIGITS = ("²", "١٢")
#: query parameters a page reads as a number
NUMBER_ARGS = ("page", "unit", "district", "year", "after", "category", "seed", "parent", "exam")
ROLES = ("examinee", "district_admin", "exam_admin", "office")


def _address(rule, value):
    """The rule's address with every number in it ``value`` and any other part a plain word."""

    def part(match):
        converter = match.group(1) or "default"
        return str(value) if converter.startswith("int") else "x"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", part, rule.rule)


def _status(client, path):
    """The reply's status; an exception the app let out (tests propagate them) counts as a 500."""
    try:
        return client.get(path).status_code
    except Exception:  # noqa: BLE001 - any escape is the failure this test looks for
        return 500


def _get_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


@pytest.mark.parametrize("value", HUGE)
def test_a_huge_number_in_any_address_is_no_server_error(app, world, value):
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        login(clients[role], world.accounts[role].username)
    failures = []
    for rule in _get_rules(app):
        if "<" not in rule.rule:
            continue
        path = _address(rule, value)
        for role, client in clients.items():
            status = _status(client, path)
            if status >= 500:
                failures.append((path, role, status))
    assert failures == []


@pytest.mark.parametrize("value", HUGE + ODD_DIGITS)
def test_a_huge_number_in_a_query_string_is_no_server_error(app, world, value):
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        login(clients[role], world.accounts[role].username)
    query = "&".join(f"{name}={value}" for name in NUMBER_ARGS)
    failures = []
    for rule in _get_rules(app):
        if "<" in rule.rule:
            continue
        for role, client in clients.items():
            status = _status(client, f"{rule.rule}?{query}")
            if status >= 500:
                failures.append((rule.rule, role, status))
    assert failures == []


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("action", ["save", "submit", "hello", "event"])
def test_a_huge_attempt_number_on_the_pages_requests_is_a_404(app, world, value, action, as_role):
    """With the page's header too: the lean path leaves it to the app, which knows no such attempt."""
    client = as_role("examinee")
    body = {"token": "t" * 32, "saves": [{"seq": 1, "position": 1, "response": "A"}], "tab": "tab-12345678"}
    for headers in ({"X-Exam-Page": "t" * 32}, {}):
        response = client.post(f"/attempt/{value}/{action}", json=body, headers=headers)
        assert response.status_code in (400, 404), (headers, response.status_code, response.get_data(as_text=True))
    assert app.config["LEAN_SAVE"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


@pytest.mark.parametrize("value", [2**31, 10**20])
def test_a_practice_answer_naming_a_huge_question_is_refused(app, world, value, as_role):
    client = as_role("examinee")
    headers = {"X-CSRFToken": csrf_token(client, "/")}
    for body in ({"question_id": value, "version_id": 1}, {"question_id": 1, "version_id": value}):
        response = client.post("/practice/answer", json={**body, "order": [], "response": "A"}, headers=headers)
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["99999999999", "²"])
def test_a_posted_list_of_ids_with_a_huge_or_odd_number_is_no_server_error(app, world, value, as_role):
    from examapp.exams.models import Exam

    with app.app_context():
        exam = exam_factories.exam(world)
        db.session.commit()
        exam_id = exam.id
    client = as_role("exam_admin")
    response = client.post(
        f"/exams/{exam_id}/roster/remove", data={"csrf_token": csrf_token(client, "/"), "entry_ids": [value]}
    )
    assert response.status_code < 500
    with app.app_context():
        assert db.session.get(Exam, exam_id) is not None


@pytest.mark.parametrize("field", ["version_id", "key_version_id"])
def test_a_regrade_naming_a_huge_question_version_changes_nothing(app, world, as_role, field):
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        db.session.commit()
        exam_id = exam.id
    client = as_role("exam_admin")
    data = {"version_id": "1", "key_version_id": "1", field: str(2**31), "reason": "原答案有误，依据文件更正"}
    response = client.post(f"/exams/{exam_id}/results/regrade", data={**data, "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert "请选择要重新评分的试题" in client.get(response.headers["Location"]).get_data(as_text=True)
