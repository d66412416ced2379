"""Bad input never answers 5xx (issue 17, items 3 to 6): the exam's access code, JSON bodies of
every shape and depth, event records of any size, and searches for % and _."""

import json

import pytest
from sqlalchemy import func, select

from examapp.auth.models import Role
from examapp.exams.models import Exam
from examapp.extensions import db
from examapp.sitting.models import Attempt, AttemptEvent, AttemptState
from examapp.web import json_body

from . import exam_factories as factories
from .conftest import csrf_token, login
from .test_sitting_pages import start_sitting

JSON_ENDPOINTS = ["save", "hello", "event", "submit", "relogin"]


def deep(levels, leaf=1):
    """A value nested ``levels`` deep in lists."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def raw_post(client, path, body, csrf):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(
        path, data=data, headers={"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"}
    )


def assert_refused(reply, status=400, reason="invalid"):
    assert reply.status_code == status, reply.get_data(as_text=True)[:300]
    assert reply.is_json and reply.json["status"] == status and reply.json["reason"] == reason
    assert reply.json["error"]


@pytest.fixture(params=["first save", "page known"])
def sitting(request, app, world, clock):
    return start_sitting(app, world, known=request.param == "page known")


# --- item 3: the exam's access code -----------------------------------------------------------


@pytest.fixture
def coded_exam(app, world, clock):
    """A published exam with an access code, and kaosheng logged in on its start page."""
    with app.app_context():
        exam = factories.exam(world, publish=True, access_code="ZZ2026")
        db.session.commit()
        exam_id = exam.id
    client = app.test_client()
    login(client, "kaosheng")
    return client, exam_id, csrf_token(client, f"/exam/{exam_id}")


def attempts(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Attempt))


@pytest.mark.parametrize(
    "code",
    [2026, 3.5, True, False, None, {"code": "ZZ2026"}, ["ZZ2026"], ["ZZ2026", "x"], [], "Z" * 33],
    ids=["int", "float", "true", "false", "null", "object", "list", "list2", "empty-list", "too-long"],
)
def test_a_json_access_code_that_is_not_a_string_is_a_400_with_the_reason(app, coded_exam, code):
    client, exam_id, csrf = coded_exam
    reply = raw_post(client, f"/exam/{exam_id}", {"pledge": True, "access_code": code}, csrf)
    assert_refused(reply)
    assert reply.json["field"] == "access_code"
    assert attempts(app) == 0


@pytest.mark.parametrize("body", [5, "ZZ2026", True, None, ["ZZ2026"], deep(25)], ids=str)
def test_a_json_start_body_that_is_not_an_object_is_a_400(app, coded_exam, body):
    client, exam_id, csrf = coded_exam
    assert_refused(raw_post(client, f"/exam/{exam_id}", body, csrf))
    assert attempts(app) == 0


def test_a_json_pledge_must_be_a_yes(app, coded_exam):
    client, exam_id, csrf = coded_exam
    for pledge in ({"a": 1}, [True], False):
        reply = raw_post(client, f"/exam/{exam_id}", {"pledge": pledge, "access_code": "ZZ2026"}, csrf)
        assert_refused(reply)
        assert reply.json["field"] == "pledge"
    assert attempts(app) == 0


def test_a_json_start_with_the_wrong_code_is_a_403_and_the_right_one_starts(app, coded_exam):
    client, exam_id, csrf = coded_exam
    wrong = raw_post(client, f"/exam/{exam_id}", {"pledge": True, "access_code": "nope"}, csrf)
    assert_refused(wrong, 403, "refused")
    assert wrong.json["field"] == "access_code" and wrong.json["error"] == "考试口令不正确"
    right = raw_post(client, f"/exam/{exam_id}", {"pledge": True, "access_code": " ZZ2026 "}, csrf)
    assert right.status_code == 302 and attempts(app) == 1


def test_a_form_sending_the_code_twice_is_refused_beside_the_field(app, coded_exam):
    client, exam_id, csrf = coded_exam
    reply = client.post(
        f"/exam/{exam_id}", data={"csrf_token": csrf, "pledge": "y", "access_code": ["ZZ2026", "ZZ2026"]}
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400 and "考试口令格式无效" in page and "<form" in page
    assert attempts(app) == 0


@pytest.mark.parametrize("given", [2026, True, None, ["ZZ2026"], {"ZZ2026": 1}, b"ZZ2026"])
def test_only_a_string_is_compared_with_the_code(given):
    assert Exam(access_code="ZZ2026").check_access_code(given) is False
    assert Exam(access_code="ZZ2026").check_access_code(" ZZ2026\n") is True
    assert Exam(access_code=None).check_access_code(given) is True


# --- item 4: one parser for every JSON body ---------------------------------------------------


NOT_AN_OBJECT = {
    "list": [{"token": "x"}],
    "string": "token",
    "number": 5,
    "true": True,
    "null": None,
    "nested-21": {"token": "x", "detail": deep(20)},
    "nested-1000": b"[" * 1000 + b"]" * 1000,
    "nested-object-5000": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "nested-100000": b"[" * 100_000 + b"]" * 100_000,
    "nan": b'{"token": NaN}',
    "bad-utf8": b'{"token": "\xff\xfe"}',
    "not-json": b"{token:",
    "huge-int": b'{"token": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("body", list(NOT_AN_OBJECT.values()), ids=list(NOT_AN_OBJECT))
def test_every_json_endpoint_answers_400_with_the_reason_to_a_body_that_is_not_a_flat_enough_object(
    app, world, clock, body
):
    sitting = start_sitting(app, world)
    for path in JSON_ENDPOINTS:
        reply = raw_post(sitting.client, f"/attempt/{sitting.attempt_id}/{path}", body, sitting.csrf)
        assert_refused(reply)
    attempt = sitting.attempt()
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.departures == 0
    assert sitting.item(1).response_seq == 0


def test_a_body_nested_to_the_limit_is_taken(sitting):
    detail = {"trace": deep(json_body.MAX_DEPTH - 2)}  # the body, the detail, then the lists
    reply = sitting.post("event", {"token": sitting.token, "kind": "copy", "detail": detail})
    assert reply.status_code == 200 and reply.json["status"] == "recorded"
    one_more = {"trace": deep(json_body.MAX_DEPTH - 1)}
    assert_refused(sitting.post("event", {"token": sitting.token, "kind": "copy", "detail": one_more}))


@pytest.mark.parametrize("seq", [2**63 - 1, 2**63, 2**64, 2**64 + 1, -(2**63) - 1])
def test_a_save_with_a_sequence_number_past_64_bits_is_a_400(sitting, seq):
    reply = sitting.save({"seq": seq, "position": 1, "response": "A"})
    assert_refused(reply)
    assert reply.json["refused"][0]["seq"] == seq and reply.json["refused"][0]["reason"] == "invalid"
    assert sitting.item(1).response_seq == 0 and sitting.item(1).response is None


@pytest.mark.parametrize("seq", [2**63, 2**64])
def test_a_hand_in_with_a_sequence_number_past_64_bits_refuses_that_save_only(sitting, seq):
    reply = sitting.post(
        "submit",
        {
            "token": sitting.token,
            "saves": [{"seq": seq, "position": 1, "response": "A"}, {"seq": 2, "position": 2, "response": "B"}],
        },
    )
    assert reply.status_code == 200 and reply.json["status"] == "submitted"
    assert reply.json["refused"] == [
        {"seq": seq, "position": 1, "reason": "invalid", "error": reply.json["refused"][0]["error"]}
    ]
    assert sitting.item(1).response is None and sitting.item(2).response == "B"


# --- item 5: event records are bounded --------------------------------------------------------


def stored_details(app, attempt_id):
    with app.app_context():
        return db.session.scalars(
            select(AttemptEvent.detail).where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.kind == "copy")
        ).all()


def test_a_megabyte_of_detail_stores_at_most_a_few_hundred_characters(app, sitting):
    detail = {"text": "抄" * 1_000_000, "more": ["x" * 1000] * 200}
    reply = sitting.post("event", {"token": sitting.token, "kind": "copy", "detail": detail})
    assert reply.status_code == 200
    [stored] = stored_details(app, sitting.attempt_id)
    assert stored["text"] == "抄" * 100 and len(stored["more"]) == 100  # the list kept as 100 characters of text
    assert len(json.dumps(stored, ensure_ascii=False)) <= 1300  # characters: at most 10 x (30 + 100)


def test_a_detail_with_ten_thousand_keys_keeps_ten_short_ones(app, sitting):
    detail = {f"{i}{'k' * 50}": "v" * 200 for i in range(10_000)}
    reply = sitting.post("event", {"token": sitting.token, "kind": "copy", "detail": detail})
    assert reply.status_code == 200
    [stored] = stored_details(app, sitting.attempt_id)
    assert len(stored) == 10
    assert all(len(k) <= 30 and len(v) <= 100 for k, v in stored.items())
    assert len(json.dumps(stored, ensure_ascii=False)) <= 1400  # characters, with JSON's quotes and commas


def test_a_body_past_the_upload_limit_is_a_413_in_json(app, sitting):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"token": sitting.token, "kind": "copy", "detail": {"text": "x" * limit}})
    for path in ("event", "save", "submit"):
        reply = sitting.post(path, json.loads(body))
        assert reply.status_code == 413 and reply.is_json, reply.get_data(as_text=True)[:200]
        assert reply.json["status"] == 413 and "不能超过" in reply.json["error"]
    assert stored_details(app, sitting.attempt_id) == []
    assert sitting.attempt().state == AttemptState.IN_PROGRESS


# --- item 6: % and _ are searched for as themselves -------------------------------------------


@pytest.fixture
def odd_names(world, make):
    """Three examinees in community a: one with % in the name, one with _, one with neither."""
    make.user(Role.EXAMINEE, world.communities["a"], username="pct01", name="百分%号")
    make.user(Role.EXAMINEE, world.communities["a"], username="under_01", name="下划线")
    make.user(Role.EXAMINEE, world.communities["a"], username="plain01", name="普通人")


def listed(page, names=("pct01", "under_01", "plain01", "kaosheng")):
    return {name for name in names if name in page}


def test_staff_search_for_percent_and_underscore_finds_only_those_characters(app, as_role, odd_names):
    admin = as_role("exam_admin")
    assert listed(admin.get("/staff/?q=%25").get_data(as_text=True)) == {"pct01"}
    assert listed(admin.get("/staff/?q=_").get_data(as_text=True)) == {"under_01"}
    assert listed(admin.get("/staff/?q=%25%25").get_data(as_text=True)) == set()
    assert listed(admin.get("/staff/?q=01").get_data(as_text=True)) == {"pct01", "under_01", "plain01"}


def test_roster_search_for_percent_and_underscore_finds_only_those_characters(app, world, as_role, odd_names):
    with app.app_context():
        exam_id = factories.exam(world).id
        db.session.commit()
    admin = as_role("exam_admin")
    everyone = admin.get(f"/exams/{exam_id}/roster").get_data(as_text=True)
    assert listed(everyone) == {"pct01", "under_01", "plain01", "kaosheng"}
    assert listed(admin.get(f"/exams/{exam_id}/roster?q=%25").get_data(as_text=True)) == {"pct01"}
    assert listed(admin.get(f"/exams/{exam_id}/roster?q=_").get_data(as_text=True)) == {"under_01"}
    assert listed(admin.get(f"/exams/{exam_id}/roster?q=下划").get_data(as_text=True)) == {"under_01"}


@pytest.mark.parametrize("body", ["5", "[1]", '{"name": ["a"]}', '{"name": {"x": 1}}', '{"name": null}'])
def test_any_form_posted_as_json_with_values_no_form_sends_answers_400(app, world, body):
    """Every form reads a JSON body as a form would be read; a value no form field takes is a 400."""
    client = app.test_client()
    login(client, "admin")
    token = csrf_token(client, "/staff/new")
    response = client.post("/staff/new", data=body, headers={"Content-Type": "application/json", "X-CSRFToken": token})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]


def test_a_form_posted_as_json_with_plain_values_is_validated_as_a_form(app, world):
    client = app.test_client()
    login(client, "admin")
    token = csrf_token(client, "/staff/new")
    response = client.post(
        "/staff/new",
        data='{"name": "", "username": 5}',
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code in (200, 400) and "请" in response.get_data(as_text=True)
