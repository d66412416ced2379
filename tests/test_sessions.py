"""Logging out ends the login on the server; logging out everywhere ends every one; logins are audited."""

from sqlalchemy import select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User, UserSession
from examapp.extensions import db

from .conftest import TEST_PASSWORD, csrf_token, login, post

COOKIE = "examapp_session"


def _copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie (a captured cookie)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _entries(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _signed_in(client):
    return client.get("/").status_code == 200


def test_a_cookie_captured_before_logout_opens_nothing_after_it(app, world):
    browser = app.test_client()
    login(browser, "admin")
    thief = _copy_of_cookie(app, browser)
    assert _signed_in(thief)  # the copy works while the login lasts
    assert post(browser, "/logout").status_code == 302
    for path in ("/", "/units/", "/account/password"):
        response = thief.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert not _signed_in(browser)


def test_logging_out_on_one_pc_leaves_the_other_signed_in(app, world):
    office_pc, home_pc = app.test_client(), app.test_client()
    login(office_pc, "kaosheng")
    login(home_pc, "kaosheng")
    post(office_pc, "/logout")
    assert not _signed_in(office_pc)
    assert _signed_in(home_pc)


def test_every_login_has_its_own_server_side_row(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, "kaosheng")
    login(second, "kaosheng")
    user_id = world.accounts["examinee"].id
    with app.app_context():
        assert len(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()) == 2
    post(first, "/logout")
    with app.app_context():
        assert len(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()) == 1


def test_a_session_without_its_login_id_loads_nobody(app, world):
    browser = app.test_client()
    login(browser, "admin")
    with browser.session_transaction() as session:
        del session["_sid"]  # a cookie from before logins were kept on the server
    assert not _signed_in(browser)
    login(browser, "admin")
    with browser.session_transaction() as session:
        session["_sid"] = "made-up"
    assert not _signed_in(browser)


def test_logging_out_everywhere_ends_every_login_of_the_account(app, world):
    here, elsewhere, other_person = app.test_client(), app.test_client(), app.test_client()
    login(here, "kaosheng")
    login(elsewhere, "kaosheng")
    login(other_person, "admin")
    thief = _copy_of_cookie(app, elsewhere)
    page = here.get("/account/password").get_data(as_text=True)
    assert "退出所有设备" in page and "/account/logout-everywhere" in page
    response = post(here, "/account/logout-everywhere", page="/account/password")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    for client in (here, elsewhere, thief):
        assert not _signed_in(client)
    assert _signed_in(other_person)
    (entry,) = _entries(app, "user.logout_everywhere")
    assert entry.actor_username == "kaosheng" and entry.after == {"ended_logins": 2}
    assert login(app.test_client(), "kaosheng").status_code == 302  # and a new login works


def test_logging_out_everywhere_needs_a_post_with_the_csrf_token(app, world):
    browser = app.test_client()
    login(browser, "kaosheng")
    assert browser.get("/account/logout-everywhere").status_code == 405
    assert browser.post("/account/logout-everywhere", data={}).status_code == 400
    assert _signed_in(browser)
    assert _entries(app, "user.logout_everywhere") == []


def test_logins_failed_logins_and_logouts_are_audited_without_the_password(app, world):
    browser = app.test_client()
    assert login(browser, "kaosheng", "Wrong-pass-1").status_code == 401
    long_name = "nobody-" + "x" * 57  # the form takes 64 characters
    assert (
        browser.post(
            "/login",
            data={"username": long_name, "password": "Wrong-pass-2", "csrf_token": csrf_token(browser)},
            environ_base={"REMOTE_ADDR": "10.1.2.3"},
        ).status_code
        == 401
    )
    assert login(browser, "kaosheng").status_code == 302
    post(browser, "/logout")

    known, unknown = _entries(app, "user.login_failed")
    examinee = world.accounts["examinee"]
    assert (known.actor_id, known.object_id) == (examinee.id, str(examinee.id))
    assert known.object_label.startswith("kaosheng ") and known.reason is None
    assert known.client_address == "127.0.0.1"
    assert unknown.actor_id is None and unknown.object_id is None
    assert unknown.object_label == long_name[:32] and unknown.actor_username == long_name[:32]
    assert unknown.client_address == "10.1.2.3"
    (success,) = _entries(app, "user.login")
    assert success.actor_id == examinee.id and success.object_id == str(examinee.id)
    assert [e.actor_id for e in _entries(app, "user.logout")] == [examinee.id]
    with app.app_context():
        for entry in db.session.scalars(select(AuditEntry)):
            text = repr(entry.chain_content())
            for secret in ("Wrong-pass-1", "Wrong-pass-2", TEST_PASSWORD):
                assert secret not in text


def test_a_failed_login_of_a_disabled_account_says_so_in_the_audit_log(app, world):
    with app.app_context():
        db.session.get(User, world.accounts["examinee"].id).is_enabled = False
        db.session.commit()
    assert login(app.test_client(), "kaosheng").status_code == 401
    (entry,) = _entries(app, "user.login_failed")
    assert entry.reason == "账号已停用"
