"""The permission matrix: every route x every role, plus reach across districts."""

import pytest

from examapp import access
from examapp.extensions import db
from examapp.imports.services import stage_rows

from . import (
    matrix_accreditation_checks,
    matrix_accreditation_decision,
    matrix_accreditation_hearing,
    matrix_accreditation_recommend,
    matrix_analysis,
    matrix_exams,
    matrix_integrity,
    matrix_late,
    matrix_mock,
    matrix_monitor,
    matrix_practice,
    matrix_readiness,
    matrix_results,
    matrix_sitting,
)
from .bank_factories import matrix_url_params as bank_matrix_url_params
from .conftest import csrf_token, login

ANON = "anonymous"
ROLES = (ANON, "examinee", "district_admin", "exam_admin", "office")
ADMINS = {"district_admin", "exam_admin"}
VIEWERS = {"district_admin", "exam_admin", "office"}
SIGNED_IN = {"examinee", "district_admin", "exam_admin", "office"}
EVERYONE = set(ROLES)

#: endpoint -> (method, allowed roles). Every endpoint of the app must be here.
EXPECTED = {
    "home.home": ("GET", SIGNED_IN),
    "home.health": ("GET", EVERYONE),
    "auth.login": ("GET", EVERYONE),
    "auth.logout": ("POST", SIGNED_IN),
    "auth.logout_everywhere": ("POST", SIGNED_IN),
    "auth.change_password": ("GET", SIGNED_IN),
    "org.index": ("GET", VIEWERS),
    "org.create": ("GET", ADMINS),
    "org.detail": ("GET", VIEWERS),
    "org.edit": ("GET", ADMINS),
    "org.set_status": ("POST", ADMINS),
    "org.import_units": ("GET", ADMINS),
    "org.import_preview": ("GET", ADMINS),
    "org.import_template": ("GET", ADMINS),
    "org.export": ("GET", VIEWERS),
    "staff.index": ("GET", VIEWERS),
    "staff.create": ("GET", ADMINS),
    "staff.detail": ("GET", VIEWERS),
    "staff.edit": ("GET", ADMINS),
    "staff.set_status": ("POST", ADMINS),
    "staff.reset": ("POST", ADMINS),
    "staff.import_staff": ("GET", ADMINS),
    "staff.import_preview": ("GET", ADMINS),
    "staff.import_template": ("GET", ADMINS),
    "staff.export": ("GET", VIEWERS),
    "audit.index": ("GET", VIEWERS),
    # the question bank holds the answer key: exam admins only
    "bank.index": ("GET", {"exam_admin"}),
    "bank.bulk_status": ("POST", {"exam_admin"}),
    "bank.create": ("GET", {"exam_admin"}),
    "bank.detail": ("GET", {"exam_admin"}),
    "bank.edit": ("GET", {"exam_admin"}),
    "bank.set_status": ("POST", {"exam_admin"}),
    "bank.history": ("GET", {"exam_admin"}),
    "bank.overview": ("GET", {"exam_admin"}),
    "bank.categories": ("GET", {"exam_admin"}),
    "bank.category_create": ("GET", {"exam_admin"}),
    "bank.category_edit": ("GET", {"exam_admin"}),
    "bank.category_delete": ("POST", {"exam_admin"}),
    "bank.import_questions": ("GET", {"exam_admin"}),
    "bank.import_preview": ("GET", {"exam_admin"}),
    "bank.import_template": ("GET", {"exam_admin"}),
    "bank.export": ("GET", {"exam_admin"}),
}


#: features whose rows live in their own module: each gives EXPECTED and url_params for its endpoints
FEATURES = (
    matrix_exams,
    matrix_monitor,
    matrix_sitting,
    matrix_results,
    matrix_analysis,
    matrix_accreditation_recommend,
    matrix_accreditation_hearing,
    matrix_accreditation_checks,
    matrix_accreditation_decision,
    matrix_integrity,
    matrix_late,
    matrix_readiness,
    matrix_practice,
    matrix_mock,
)
for _feature in FEATURES:
    assert not set(EXPECTED) & set(_feature.EXPECTED), f"{_feature.__name__} repeats endpoints"
    EXPECTED.update(_feature.EXPECTED)


def url_params(endpoint, world, user):
    """Concrete arguments for an endpoint: objects inside district A (jinshui's own)."""
    params = {}
    if endpoint in ("org.detail", "org.edit", "org.set_status"):
        params["unit_id"] = world.communities["a"].id
    if endpoint in ("staff.detail", "staff.edit", "staff.set_status", "staff.reset"):
        params["user_id"] = world.accounts["examinee"].id
    if endpoint.endswith("import_preview"):
        kind = "units" if endpoint.startswith("org") else "staff"
        params["token"] = stage_rows(db.session.merge(user), kind, "t.csv", []).token if user else "missing"
    if endpoint.endswith(("export", "import_template")):
        params["fmt"] = "xlsx"
    if endpoint.startswith("bank."):
        params.update(bank_matrix_url_params(endpoint, user))
    for feature in FEATURES:
        if endpoint in feature.EXPECTED:
            params.update(feature.url_params(endpoint, world, user))
    return params


def test_every_endpoint_is_in_the_matrix(app):
    endpoints = set(app.view_functions) - {"static"}
    assert endpoints == set(EXPECTED)


def test_every_endpoint_declares_an_access_rule(app):
    missing = [e for e in app.view_functions if access.endpoint_permission(app, e) is None]
    assert missing == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_matrix(app, world, endpoint, role):
    from flask import url_for

    method, allowed = EXPECTED[endpoint]
    client = app.test_client()
    user = None
    if role != ANON:
        user = world.accounts[role]
        assert login(client, user.username).status_code == 302
    with app.test_request_context():
        url = url_for(endpoint, **url_params(endpoint, world, user))
        db.session.commit()
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/") if role != ANON else csrf_token(client, "/login")
        response = client.post(url, data={"csrf_token": token, "reason": "矩阵测试"})
    location = response.headers.get("Location", "")
    response.close()  # a file download holds its file open until closed
    if role in allowed:
        assert response.status_code not in (401, 403, 404), response.status_code
        assert "/login" not in location or endpoint in ("auth.logout", "auth.logout_everywhere")
    elif role == ANON:
        assert response.status_code == 302 and "/login" in location
    else:
        assert response.status_code == 403


def test_undeclared_view_is_refused(app):
    """A view added without @requires is refused by the guard, not served."""
    from flask import Flask

    from examapp import create_app

    probe = create_app({**app.config, "TESTING": True})

    @probe.get("/undeclared")
    def undeclared():
        return "should never be served"

    assert isinstance(probe, Flask)
    response = probe.test_client().get("/undeclared")
    assert response.status_code == 403


# --- across districts ---------------------------------------------------------


@pytest.fixture
def jinshui(app, world):
    client = app.test_client()
    assert login(client, "jinshui").status_code == 302
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/units/{unit_b}",
        "/units/{unit_b}/edit",
        "/staff/{user_b}",
        "/staff/{user_b}/edit",
        "/staff/?unit={unit_b}",
        "/staff/{admin}",
        "/units/{city}",
    ],
)
def test_district_admin_cannot_reach_another_district_by_id(jinshui, world, path):
    url = path.format(
        unit_b=world.communities["b"].id,
        user_b=world.accounts["examinee_b"].id,
        admin=world.accounts["exam_admin"].id,
        city=world.city.id,
    )
    assert jinshui.get(url).status_code == 404


@pytest.mark.parametrize("path", ["/units/{unit_b}/status", "/staff/{user_b}/status", "/staff/{user_b}/reset-password"])
def test_district_admin_cannot_write_into_another_district(app, jinshui, world, path):
    from examapp.auth.models import User

    url = path.format(unit_b=world.communities["b"].id, user_b=world.accounts["examinee_b"].id)
    hash_before = world.accounts["examinee_b"].password_hash
    response = jinshui.post(url, data={"csrf_token": csrf_token(jinshui, "/"), "reason": "越权"})
    assert response.status_code == 404
    with app.app_context():
        other = db.session.get(User, world.accounts["examinee_b"].id)
        assert other.is_enabled and other.password_hash == hash_before


def test_district_admin_may_not_edit_own_district_unit(jinshui, world):
    assert jinshui.get(f"/units/{world.districts['a'].id}").status_code == 200
    assert jinshui.get(f"/units/{world.districts['a'].id}/edit").status_code == 403


def test_district_admin_lists_only_own_district(jinshui, world):
    page = jinshui.get("/staff/").get_data(as_text=True)
    assert "kaosheng" in page and "kaosheng2" not in page and "erqi" not in page
    tree = jinshui.get("/units/").get_data(as_text=True)
    assert "金水区第一社区" in tree and "二七区" not in tree


def test_district_admin_export_is_scoped(jinshui, world):
    from examapp.spreadsheets import read_table
    from examapp.staff.importing import COLUMNS

    data = jinshui.get("/staff/export.csv").data
    rows = read_table("s.csv", data, COLUMNS, max_bytes=10**6, max_rows=1000)
    assert {r["用户名"] for r in rows} == {"jinshui", "kaosheng"}
