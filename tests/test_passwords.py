"""Password hashing: the schemes, the upgrade at login, and who gets which hash."""

import re

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from examapp.auth.models import User
from examapp.auth.passwords import (
    GENERATED_PASSWORD_METHOD,
    hash_generated_password,
    hash_password,
    verify_password,
)
from examapp.extensions import db
from examapp.staff.services import reset_password

from .conftest import TEST_PASSWORD, login, post

#: what a chosen password's hash starts with at the production defaults
CURRENT_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"

LEGACY_HASHES = {
    "werkzeug scrypt": lambda password: generate_password_hash(password, method="scrypt"),
    "werkzeug pbkdf2 default": lambda password: generate_password_hash(password, method="pbkdf2:sha256"),
    "werkzeug pbkdf2 5000": lambda password: generate_password_hash(password, method=GENERATED_PASSWORD_METHOD),
    "weaker argon2id": lambda password: PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(password),
    "argon2i": lambda password: PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.I).hash(
        password
    ),
}


def stored_hash(app, username):
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.username == username))


def store_hash(app, username, password_hash, must_change=False):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        user.password_hash = password_hash
        user.must_change_password = must_change
        db.session.commit()


def test_production_defaults_are_owasp_minimum(app, ctx):
    assert app.config["PASSWORD_ARGON2_MEMORY_KIB"] == 19456
    assert app.config["PASSWORD_ARGON2_TIME_COST"] == 2
    assert app.config["PASSWORD_ARGON2_PARALLELISM"] == 1
    stored = hash_password(TEST_PASSWORD)
    assert stored.startswith(CURRENT_PREFIX)
    assert verify_password(stored, TEST_PASSWORD) == (True, False)
    assert verify_password(stored, TEST_PASSWORD + "x") == (False, False)


def test_generated_passwords_get_the_cheap_scheme(ctx):
    stored = hash_generated_password("Abc234defg")
    assert stored.startswith("pbkdf2:sha256:5000$")
    assert verify_password(stored, "Abc234defg") == (True, True)


@pytest.mark.parametrize("scheme", LEGACY_HASHES)
def test_every_old_hash_still_verifies(ctx, scheme):
    stored = LEGACY_HASHES[scheme](TEST_PASSWORD)
    assert verify_password(stored, TEST_PASSWORD) == (True, True)
    assert verify_password(stored, "wrong-password-1") == (False, False)


@pytest.mark.parametrize("stored", ["", "not a hash", "md5$abc$def", "$argon2id$v=19$garbage"])
def test_unreadable_hashes_never_verify(ctx, stored):
    assert verify_password(stored, TEST_PASSWORD) == (False, False)


@pytest.mark.parametrize("scheme", LEGACY_HASHES)
def test_login_upgrades_an_old_hash_of_a_chosen_password(app, client, world, scheme):
    store_hash(app, "admin", LEGACY_HASHES[scheme](TEST_PASSWORD))
    assert login(client, "admin").status_code == 302
    upgraded = stored_hash(app, "admin")  # committed with the login, read in a new session
    assert upgraded.startswith(CURRENT_PREFIX)
    with app.app_context():
        assert verify_password(upgraded, TEST_PASSWORD) == (True, False)
    assert login(app.test_client(), "admin").status_code == 302
    assert stored_hash(app, "admin") == upgraded  # a current hash is left as it is


def test_raised_parameters_upgrade_current_hashes_at_login(app, client, world, monkeypatch):
    before = stored_hash(app, "admin")
    assert before.startswith(CURRENT_PREFIX)
    monkeypatch.setitem(app.config, "PASSWORD_ARGON2_TIME_COST", 3)
    assert login(client, "admin").status_code == 302
    assert stored_hash(app, "admin").startswith("$argon2id$v=19$m=19456,t=3,p=1$")


def test_a_wrong_password_upgrades_nothing_and_counts_as_a_failure(app, client, world):
    old = generate_password_hash(TEST_PASSWORD, method="scrypt")
    store_hash(app, "admin", old)
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        assert login(client, "admin", "wrong-password-1").status_code == 401
        assert stored_hash(app, "admin") == old
    assert login(client, "admin").status_code == 429  # throttled before the hash is even read
    assert stored_hash(app, "admin") == old


def test_a_disabled_account_is_not_upgraded(app, client, world):
    old = generate_password_hash(TEST_PASSWORD, method="scrypt")
    store_hash(app, "admin", old)
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "admin")).is_enabled = False
        db.session.commit()
    assert login(client, "admin").status_code == 401
    assert stored_hash(app, "admin") == old


def test_a_generated_password_keeps_its_scheme_until_changed(app, client, world):
    with app.app_context():
        temporary = reset_password(None, db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
    issued = stored_hash(app, "kaosheng")
    assert issued.startswith("pbkdf2:sha256:5000$")
    assert login(client, "kaosheng", temporary).headers["Location"] == "/account/password"
    assert login(app.test_client(), "kaosheng", temporary).status_code == 302
    assert stored_hash(app, "kaosheng") == issued
    response = post(
        client,
        "/account/password",
        {"current_password": temporary, "new_password": "MyOwnPass9", "confirm": "MyOwnPass9"},
        page="/account/password",
    )
    assert response.status_code == 302
    changed = stored_hash(app, "kaosheng")
    assert changed.startswith(CURRENT_PREFIX)
    with app.app_context():
        assert verify_password(changed, "MyOwnPass9") == (True, False)
        assert db.session.get(User, world.accounts["examinee"].id).must_change_password is False


def test_accounts_created_with_a_generated_password_use_the_cheap_scheme(app, as_role, world):
    client = as_role("district_admin")
    response = post(
        client,
        "/staff/new",
        {"username": "wangfang", "name": "王芳", "role": "examinee", "unit_id": world.communities["a"].id},
        page="/staff/new",
    )
    password = re.search(r'data-testid="issued-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert stored_hash(app, "wangfang").startswith("pbkdf2:sha256:5000$")
    assert login(app.test_client(), "wangfang", password).headers["Location"] == "/account/password"
    assert stored_hash(app, "wangfang").startswith("pbkdf2:sha256:5000$")


def test_cli_passwords_are_argon2id(app, runner, world):
    result = runner.invoke(args=["users", "set-password", "office", "--password", "Cl1Password"])
    assert result.exit_code == 0, result.output
    assert stored_hash(app, "office").startswith(CURRENT_PREFIX)
    result = runner.invoke(args="users create boss --name 主任 --role office --unit 410100 --password Str0ngPass")
    assert result.exit_code == 0, result.output
    assert stored_hash(app, "boss").startswith(CURRENT_PREFIX)
    assert login(app.test_client(), "boss", "Str0ngPass").status_code == 302


def test_unknown_username_costs_one_argon2id_check(app, client, world, monkeypatch):
    checked = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, stored, given):
        checked.append(stored[: len(CURRENT_PREFIX)])
        return real_verify(self, stored, given)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    assert login(client, "nobody-here", "not-the-password1").status_code == 401
    assert login(client, "admin", "not-the-password1").status_code == 401
    assert checked == [CURRENT_PREFIX, CURRENT_PREFIX]
