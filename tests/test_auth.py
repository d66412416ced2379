"""Login, sessions, passwords and throttling."""

import pytest

from examapp.auth.models import User
from examapp.extensions import db

from .conftest import TEST_PASSWORD, csrf_token, login, post


def test_wrong_password_and_unknown_account_get_the_same_answer(client, world):
    wrong = login(client, "admin", "not-the-password1")
    unknown = login(client, "nobody-here", "not-the-password1")
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "用户名或密码错误" in response.get_data(as_text=True)


def test_username_is_case_insensitive(client, world):
    assert login(client, "ADMIN").status_code == 302


def test_disabled_account_cannot_log_in(app, client, world):
    with app.app_context():
        db.session.get(User, world.accounts["examinee"].id).is_enabled = False
        db.session.commit()
    assert login(client, "kaosheng").status_code == 401


def test_account_is_throttled_after_repeated_failures(app, client, world):
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        assert login(client, "admin", "wrong-password-1").status_code == 401
    blocked = login(client, "admin")  # even the right password is refused now
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.get_data(as_text=True)
    # another account from the same address is not locked out
    assert login(app.test_client(), "office").status_code == 302


def test_unknown_accounts_are_throttled_too(app, client, world):
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        login(client, "ghost", "wrong-password-1")
    assert login(client, "ghost", "wrong-password-1").status_code == 429


def test_client_address_is_throttled(app, world):
    app.config["LOGIN_FAILURES_PER_ADDRESS"], saved = 3, app.config["LOGIN_FAILURES_PER_ADDRESS"]
    try:
        client = app.test_client()
        for name in ("a1", "a2", "a3"):
            login(client, name, "wrong-password-1")
        assert login(client, "office").status_code == 429
        other = app.test_client()
        response = other.post(
            "/login",
            data={"username": "office", "password": TEST_PASSWORD, "csrf_token": csrf_token(other)},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
        assert response.status_code == 302
    finally:
        app.config["LOGIN_FAILURES_PER_ADDRESS"] = saved


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"username": "admin", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still logged out


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/units/", "/units/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_redirects_within_the_site(client, world, target, expected):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": "admin", "password": TEST_PASSWORD, "csrf_token": token, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_starts_a_new_session(client, world):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, "admin")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_session_cookie_flags(client, world):
    response = login(client, "admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_in_production(monkeypatch, tmp_path):
    from examapp import create_app

    monkeypatch.setenv("EXAMAPP_ENV", "production")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_authenticated_pages_are_not_cached(client, world):
    login(client, "admin")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/units/").headers["Cache-Control"] == "no-store"


def test_logout_needs_post_and_ends_the_session(client, world):
    login(client, "admin")
    assert client.get("/logout").status_code == 405
    assert post(client, "/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_imported_account_must_change_password_first(app, client, make, world):
    make.user("examinee", world.communities["a"], username="newbie", must_change=True)
    response = login(client, "newbie")
    assert response.headers["Location"] == "/account/password"
    assert client.get("/").headers["Location"] == "/account/password"
    assert client.get("/units/").status_code == 302
    response = post(
        client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "new_password": "MyOwnPass9", "confirm": "MyOwnPass9"},
        page="/account/password",
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(username="newbie")).must_change_password is False


@pytest.mark.parametrize(
    "new, message",
    [("short1", "至少需要 8 位"), ("onlyletters", "字母和数字"), ("12345678", "字母和数字"), ("kaosheng1", None)],
)
def test_password_rules(client, world, new, message):
    login(client, "kaosheng")
    response = post(
        client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "new_password": new, "confirm": new},
        page="/account/password",
    )
    if message:
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    else:
        assert response.status_code == 302


def test_wrong_current_password_is_refused(client, world):
    login(client, "kaosheng")
    response = post(
        client,
        "/account/password",
        {"current_password": "wrong-one-1", "new_password": "MyOwnPass9", "confirm": "MyOwnPass9"},
        page="/account/password",
    )
    assert response.status_code == 400
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_changing_password_ends_other_sessions(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, "kaosheng")
    login(second, "kaosheng")
    response = post(
        first,
        "/account/password",
        {"current_password": TEST_PASSWORD, "new_password": "MyOwnPass9", "confirm": "MyOwnPass9"},
        page="/account/password",
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # the session that changed it continues
    assert "/login" in second.get("/").headers["Location"]  # the other one is over


def test_disabling_an_account_ends_its_sessions(app, world):
    victim, admin = app.test_client(), app.test_client()
    login(victim, "kaosheng")
    assert victim.get("/").status_code == 200
    login(admin, "admin")
    user_id = world.accounts["examinee"].id
    response = post(admin, f"/staff/{user_id}/status", {"enabled": "0", "reason": "调离"}, page=f"/staff/{user_id}")
    assert response.status_code == 302
    assert "/login" in victim.get("/").headers["Location"]


def test_password_reset_by_admin_ends_sessions_and_forces_change(app, world):
    victim, admin = app.test_client(), app.test_client()
    login(victim, "kaosheng")
    login(admin, "admin")
    user_id = world.accounts["examinee"].id
    page = post(admin, f"/staff/{user_id}/reset-password", {"reason": "忘记密码"}, page=f"/staff/{user_id}")
    assert page.status_code == 200
    import re

    temporary = re.search(r'data-testid="issued-password">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert "/login" in victim.get("/").headers["Location"]
    fresh = app.test_client()
    assert login(fresh, "kaosheng", TEST_PASSWORD).status_code == 401
    assert login(fresh, "kaosheng", temporary).headers["Location"] == "/account/password"


def test_passwords_are_hashed_with_argon2id(app, world):
    with app.app_context():
        user = db.session.get(User, world.accounts["exam_admin"].id)
        assert user.password_hash.startswith("$argon2id$")
        assert TEST_PASSWORD not in user.password_hash
