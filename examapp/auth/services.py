"""Authentication and password rules. Services flush; the caller commits."""

import re
import secrets

from sqlalchemy import select

from ..audit.services import record_change
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from .models import User
from .passwords import hash_password, is_password, verify_dummy, verify_password
from .throttle import get_throttle

#: characters of generated passwords: no 0/O, 1/l/I that staff would misread
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - the alphabet, not a password
MIN_PASSWORD_LENGTH = 8
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.@-]{2,63}$")


class LoginRefused(DomainError):
    pass


class LoginThrottled(DomainError):
    pass


def normalise_username(username):
    return (username or "").strip().lower()


def generate_password(length=10):
    while True:
        candidate = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def password_problem(password, username=""):
    """Return why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 位"
    if len(password) > 128:
        return "密码不能超过 128 位"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        return "密码必须同时包含字母和数字"
    if username and password.lower() == username.lower():
        return "密码不能与用户名相同"
    return None


def authenticate(username, password, address):
    """Return the user for good credentials; raise LoginRefused or LoginThrottled.

    The messages never tell whether the account exists: a wrong username costs a
    password check too. A chosen password stored under an older scheme is stored
    again the current way; a generated one waiting to be changed is left alone
    (it is cheap on purpose, see ``passwords``).
    """
    username = normalise_username(username)
    throttle = get_throttle()
    if throttle.is_blocked(username, address):
        raise LoginThrottled("登录失败次数过多，请 15 分钟后再试")
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        verify_dummy(password or "")
        ok = needs_rehash = False
    else:
        ok, needs_rehash = verify_password(user.password_hash, password or "")
        ok = ok and user.is_enabled
    if not ok:
        throttle.record_failure(username, address)
        raise LoginRefused("用户名或密码错误，或账号已停用")
    throttle.clear_account(username)
    if needs_rehash and not user.must_change_password:
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def change_own_password(user, current_password, new_password):
    if not is_password(user.password_hash, current_password):
        raise DomainError("当前密码不正确", field="current_password")
    problem = password_problem(new_password, user.username)
    if problem:
        raise DomainError(problem, field="new_password")
    if is_password(user.password_hash, new_password):
        raise DomainError("新密码不能与当前密码相同", field="new_password")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    user.end_other_sessions()
    db.session.flush()
    record_change(
        user,
        "user.password_change",
        "user",
        user.id,
        label=f"{user.username} {user.name}",
        district_id=_district_id(user),
    )
    return user


def _district_id(user):
    district = user.unit.district if user.unit else None
    return district.id if district else None
