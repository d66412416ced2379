"""One unit of work per request: committed when the view succeeded, rolled back otherwise."""

import pytest
from flask import Response, get_flashed_messages
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.errors import DomainError
from examapp.extensions import db
from examapp.org.forms import UnitForm
from examapp.org.models import Unit, UnitKind
from examapp.staff.forms import ReasonForm
from examapp.web import transaction
from examapp.web.form_errors import first_error, report

from .conftest import login, post


def _add_unit(code):
    db.session.add(Unit(code=code, name=f"单位{code}", kind=UnitKind.DISTRICT, path="/"))
    db.session.flush()


def _kept(code):
    db.session.rollback()  # whatever was not committed goes now
    return db.session.scalar(select(func.count()).select_from(Unit).where(Unit.code == code)) == 1


@pytest.mark.parametrize(
    "status, kept",
    [
        (200, True),
        (201, True),
        (302, True),
        (303, True),
        (399, True),
        (400, False),
        (404, False),
        (409, False),
        (500, False),
    ],
)
def test_the_request_commits_only_a_successful_answer(app, status, kept):
    with app.test_request_context("/", method="POST"):
        _add_unit("UOW1")
        transaction._finish(Response(status=status))
        assert _kept("UOW1") is kept


def test_a_refused_operation_is_undone_even_when_the_answer_is_a_redirect(app):
    with app.test_request_context("/", method="POST"):
        _add_unit("UOW2")
        transaction.fail()
        _add_unit("UOW3")  # work after the refusal is not kept either
        transaction._finish(Response(status=302))
        assert not _kept("UOW2")
        assert not _kept("UOW3")


def test_commit_now_keeps_the_work_although_the_answer_is_a_refusal(app):
    with app.test_request_context("/", method="POST"):
        _add_unit("UOW4")
        transaction.commit_now()
        _add_unit("UOW5")
        transaction._finish(Response(status=409))
        assert _kept("UOW4")
        assert not _kept("UOW5")


def test_report_puts_the_error_on_the_named_field_and_undoes_the_work(app):
    with app.test_request_context("/", method="POST"):
        _add_unit("UOW6")
        form = UnitForm(meta={"csrf": False})
        report(DomainError("上级单位无效", field="parent"), form, fields={"parent": "parent_id"})
        assert form.parent_id.errors == ["上级单位无效"]
        assert get_flashed_messages() == []
        transaction._finish(Response(status=200))
        assert not _kept("UOW6")


def test_report_flashes_an_error_no_field_of_the_form_takes(app):
    with app.test_request_context("/", method="POST"):
        form = UnitForm(meta={"csrf": False})
        report(DomainError("单位已停用", field="no_such_field"), form)
        report(DomainError("请求无效"))
        assert get_flashed_messages() == ["单位已停用", "请求无效"]
        assert all(not errors for errors in form.errors.values())


def test_report_uses_the_default_field_for_an_error_that_names_none(app):
    with app.test_request_context("/", method="POST"):
        form = UnitForm(meta={"csrf": False})
        report(DomainError("编码已被使用"), form, default="code")
        assert form.code.errors == ["编码已被使用"]


def test_first_error_of_a_form(app):
    with app.test_request_context("/", method="POST", data={"reason": ""}):
        form = ReasonForm(meta={"csrf": False})
        assert first_error(form) == "提交的内容无效"
        assert not form.validate()
        assert first_error(form) == "请填写原因"


def test_a_refused_unit_leaves_no_row_and_no_audit_entry(app, world):
    client = app.test_client()
    assert login(client, world.accounts["exam_admin"].username).status_code == 302
    code = next(iter(world.districts.values())).code
    with app.app_context():
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
        units_before = db.session.scalar(select(func.count()).select_from(Unit))
    response = post(
        client,
        "/units/new",
        {"code": code, "name": "重复编码的单位", "kind": UnitKind.DISTRICT, "parent_id": world.city.id},
        page="/units/new",
    )
    assert response.status_code == 400
    assert "已" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == units_before
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_a_created_unit_is_committed_with_its_audit_entry(app, world):
    client = app.test_client()
    assert login(client, world.accounts["exam_admin"].username).status_code == 302
    with app.app_context():
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = post(
        client,
        "/units/new",
        {"code": "419999", "name": "新区县", "kind": UnitKind.DISTRICT, "parent_id": world.city.id},
        page="/units/new",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert _kept("419999")
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before + 1


def test_a_failed_commit_says_nothing_was_saved(app, world, monkeypatch):
    """The view flashed its success before the request's commit: when the commit fails, the
    error page must not carry that message, and nothing is kept."""
    from sqlalchemy.exc import OperationalError

    client = app.test_client()
    assert login(client, world.accounts["exam_admin"].username).status_code == 302
    page = "/units/new"
    token_page = client.get(page)
    assert token_page.status_code == 200

    def failing_commit(*args, **kwargs):
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = post(
        client,
        page,
        {"code": "419998", "name": "新区县甲", "kind": UnitKind.DISTRICT, "parent_id": world.city.id},
        page=page,
    )
    monkeypatch.undo()
    assert response.status_code == 500
    assert "已新建单位" not in response.get_data(as_text=True)
    assert "已新建单位" not in client.get("/units/").get_data(as_text=True)
    with app.app_context():
        assert not _kept("419998")
