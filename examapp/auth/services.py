"""Authentication and password rules. Services flush; the caller commits."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app, session
from flask_login import user_logged_in
from sqlalchemy import delete, insert, select

from ..access import ticket_login_exam_id
from ..audit.services import record_change, register_actions
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..roles import Role
from .models import User, UserSession
from .passwords import hash_password, is_cheaper_than_current, is_password, verify_dummy, verify_password
from .throttle import get_throttle
from .tickets import HOW_TICKET_CODE, find_ticket_login

register_actions(
    {
        "user.login_failed": "登录失败",
        "user.logout": "退出登录",
        "user.logout_everywhere": "退出所有设备",
    }
)

#: the session key holding the login's ``UserSession.id``
SESSION_KEY = "_sid"
#: how much of a login name an audit entry keeps for a name that has no account
UNKNOWN_NAME_KEPT = 32

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


#: functions name -> User or None, asked in turn when a login name is no username; a feature
#: that hands out other login names registers one (exams: admission ticket numbers)
_LOGIN_NAME_RESOLVERS = []


def register_login_name_resolver(resolver):
    if resolver not in _LOGIN_NAME_RESOLVERS:
        _LOGIN_NAME_RESOLVERS.append(resolver)
    return resolver


def find_login_user(name):
    """The account a login name names: a username, else another name a feature resolves.

    Exams resolve an admission ticket number (准考证号): it only names its person, so the
    account must still be valid, whether or not that exam has ended. A username wins.
    """
    name = normalise_username(name)
    if not name:
        return None
    user = db.session.scalar(select(User).where(User.username == name))
    for resolver in _LOGIN_NAME_RESOLVERS:
        if user is not None:
            break
        user = resolver(name)
    return user


@dataclass(frozen=True)
class LoginResult:
    """Who logged in, and how: ``ticket_exam_id`` is the exam whose 登录码 was given, else None."""

    user: User
    ticket_exam_id: int | None = None


def authenticate(username, password, address):
    """Return the user for good credentials; raise LoginRefused or LoginThrottled (see ``check_login``)."""
    return check_login(username, password, address).user


def check_login(username, password, address):
    """Return a ``LoginResult`` for good credentials; raise LoginRefused or LoginThrottled.

    ``username`` may also be an admission ticket number (``find_login_user``); the throttle
    and the audit then count against the account it names. With a ticket number, ``password``
    may be that roster entry's exam-day code (``auth.tickets``): while its exam is published and
    not closed, it logs an enabled examinee in with one select and a SHA-256, no argon2id and no
    rehash. Any other code (wrong, another entry's, dead, given with a username) is treated as a
    password, exactly as without codes: same cost, same throttle, same audit.

    The messages never tell whether the account exists, nor does the time they take: a
    wrong username costs an argon2id check, and so does a wrong password for an account
    whose stored hash is cheaper (a generated password's PBKDF2 is padded with one).
    A chosen password stored under an older scheme is stored again the current way; a
    generated one waiting to be changed is left alone (it is cheap on purpose, see ``passwords``).

    Both outcomes are audited. A failed login is committed here, before the refusal is
    raised: the caller rolls back, and the entry must survive it. The password (or code) is
    never recorded; for a name without an account, the name given (cut short) is.
    """
    given_name = (username or "").strip()
    username = normalise_username(username)
    holder = find_ticket_login(username, password)
    if holder is not None and holder.user.role != Role.EXAMINEE:
        holder = None  # a code opens an exam to sit, never an administrator's account
    user = holder.user if holder is not None else find_login_user(username)
    if user is not None:
        username = user.username  # a ticket number counts against its account's throttle
    throttle = get_throttle()
    if throttle.is_blocked(username, address):
        raise LoginThrottled("登录失败次数过多，请 15 分钟后再试")
    if holder is not None:
        return _ticket_login(holder, throttle)
    if user is None:
        verify_dummy(password or "")
        ok = needs_rehash = False
    else:
        ok, needs_rehash = verify_password(user.password_hash, password or "")
        if not ok and is_cheaper_than_current(user.password_hash):
            verify_dummy(password or "")  # as slow as any other failure
        ok = ok and user.is_enabled
    if not ok:
        throttle.record_failure(username, address)
        _record_failed_login(user, given_name)
        raise LoginRefused("用户名或密码错误，或账号已停用")
    throttle.clear_account(username)
    if needs_rehash and not user.must_change_password:
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    record_change(user, "user.login", "user", user.id, label=_label(user), district_id=_district_id(user))
    return LoginResult(user)


def _ticket_login(holder, throttle):
    """A good, live 登录码: the password stays as it is (a first-login one still waits to be changed)."""
    user = holder.user
    throttle.clear_account(user.username)
    user.last_login_at = utcnow()  # flushed with the audit entry, by the session row's statements
    record_change(
        user,
        "user.login",
        "user",
        user.id,
        label=_label(user),
        after={"how": HOW_TICKET_CODE, "exam": holder.exam_id},
        district_id=holder.district_id,
    )
    return LoginResult(user, ticket_exam_id=holder.exam_id)


def _record_failed_login(user, given_name):
    """The account the login was tried for (or, without one, the name given) and the address."""
    if user is None:
        name = given_name[:UNKNOWN_NAME_KEPT] or "（空）"
        record_change(SimpleNamespace(id=None, username=name), "user.login_failed", "user", None, label=name)
    else:
        record_change(
            user,
            "user.login_failed",
            "user",
            user.id,
            label=_label(user),
            reason=None if user.is_enabled else "账号已停用",
            district_id=_district_id(user),
        )
    db.session.commit()


# --- sessions -------------------------------------------------------------------------------


@user_logged_in.connect
def _start_session(_app, user, **_extra):
    """Every login (the login page, the exam page's in-place login) gets its own server-side row.

    A login that continues the current session (after a password change) keeps its row.
    """
    sid = session.get(SESSION_KEY)
    if isinstance(sid, str):
        row = db.session.get(UserSession, sid)
        if row is not None and row.user_id == user.id:
            return
    now = utcnow()
    # (plain statements, no unit-of-work flush of their own: the login wave counts every millisecond)
    if ticket_login_exam_id() is None:
        # this person's logins whose cookies have long expired leave no row behind; an exam-day
        # login with a 登录码 (marked before it logs in) leaves that to the person's next password login
        stale = now - 2 * timedelta(seconds=int(current_app.config["PERMANENT_SESSION_LIFETIME"]))
        db.session.execute(
            delete(UserSession)
            .where(UserSession.user_id == user.id, UserSession.created_at < stale)
            .execution_options(synchronize_session=False)
        )
    sid = secrets.token_urlsafe(32)
    db.session.execute(insert(UserSession).values(id=sid, user_id=user.id, created_at=now))
    session[SESSION_KEY] = sid


def load_session_user(user_id):
    """The user of Flask-Login's ``"<id>:<epoch>"`` and the session's login id, or None.

    One statement (the exam's save path counts them): the user joined with the login's row,
    so a logged-out login, another epoch or a disabled account loads nobody.
    """
    raw_id, _, epoch = (user_id or "").partition(":")
    sid = session.get(SESSION_KEY)
    if not raw_id.isdigit() or not epoch.isdigit() or not isinstance(sid, str):
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(raw_id), UserSession.id == sid)
    )
    if user is None or user.session_epoch != int(epoch) or not user.is_enabled:
        return None
    return user


def end_session(user):
    """Log out this login only: its row goes, the same person's other logins continue."""
    sid = session.get(SESSION_KEY)
    if isinstance(sid, str):
        db.session.execute(delete(UserSession).where(UserSession.id == sid, UserSession.user_id == user.id))
    record_change(user, "user.logout", "user", user.id, label=_label(user), district_id=_district_id(user))


def end_every_session(user):
    """Log out everywhere: every login of this person ends, this one too."""
    ended = db.session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount
    user.end_other_sessions()
    db.session.flush()
    record_change(
        user,
        "user.logout_everywhere",
        "user",
        user.id,
        label=_label(user),
        after={"ended_logins": ended},
        district_id=_district_id(user),
    )


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


def _label(user):
    return f"{user.username} {user.name}"


def _district_id(user):
    district = user.unit.district if user.unit else None
    return district.id if district else None
