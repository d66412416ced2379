"""The exam-day login: a 准考证号 and its 登录码 open that exam, cheaply, and nothing else changes."""

import json
import re

import pytest
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.auth.services import authenticate
from examapp.auth.tickets import (
    TICKET_CODE_ALPHABET,
    generate_ticket_code,
    hash_ticket_code,
    normalise_ticket_code,
)
from examapp.exams.models import Exam, ExamStatus, RosterEntry
from examapp.exams.paperwork import issue_ticket_codes
from examapp.extensions import db

from . import exam_factories
from .conftest import TEST_PASSWORD, csrf_token, login, post
from .test_day_paths import count_statements

WRONG_CODE = "ABCD-EFGH-JKMN"


@pytest.fixture
def exam_id(app, world):
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        db.session.commit()
        return exam.id


def issue(app, exam_id):
    """New codes for everyone on the roster: username -> (ticket number, code)."""
    with app.app_context():
        entries = db.session.scalars(select(RosterEntry).filter_by(exam_id=exam_id).order_by(RosterEntry.id)).all()
        codes = issue_ticket_codes(None, entries)
        issued = {e.user.username: (e.ticket_number, codes[e.id]) for e in entries}
        db.session.commit()
    return issued


def must_change(app, world):
    with app.app_context():
        db.session.get(User, world.accounts["examinee"].id).must_change_password = True
        db.session.commit()


def failures(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry).filter_by(action="user.login_failed"))


# --- the code itself ------------------------------------------------------------------------


def test_codes_are_twelve_unambiguous_characters_in_groups_and_typing_variants_normalise():
    code = generate_ticket_code()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert not set("0O1IL") & set(TICKET_CODE_ALPHABET)
    assert len({generate_ticket_code() for _ in range(200)}) == 200
    raw = code.replace("-", "")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())  # ａｂｃｄ－ｅｆｇｈ－…
    for typed in (code, raw, raw.lower(), f" {raw[:4]} {raw[4:8]} {raw[8:]} ", fullwidth, f"{raw[:6]}\u3000{raw[6:]}"):
        assert normalise_ticket_code(typed) == raw, typed
    assert hash_ticket_code(fullwidth) == hash_ticket_code(code)
    for not_a_code in (None, "", raw[:-1], raw + "A", "ABCD-EFGH-JKM0", "ABCD-EFGH-JKMI", "x" * 10_000, TEST_PASSWORD):
        assert normalise_ticket_code(not_a_code) is None


# --- logging in -----------------------------------------------------------------------------


def test_the_right_code_logs_in_straight_to_the_exam_without_a_password_change(app, world, exam_id):
    must_change(app, world)
    number, code = issue(app, exam_id)["kaosheng"]
    with app.app_context():
        hash_before = db.session.get(User, world.accounts["examinee"].id).password_hash
    client = app.test_client()
    response = login(client, number, code)
    assert response.status_code == 302 and response.headers["Location"] == f"/exam/{exam_id}"
    assert client.get(f"/exam/{exam_id}").status_code == 200  # the exam's pages open
    assert client.get("/").status_code == 200  # so does the lobby
    # everything else still waits for the password change
    assert client.get("/practice").headers["Location"].endswith("/account/password")
    assert post(client, "/account/logout-everywhere", page="/account/password").status_code == 403
    assert client.get("/account/password").status_code == 200
    with app.app_context():
        user = db.session.get(User, world.accounts["examinee"].id)
        assert user.must_change_password and user.password_hash == hash_before and user.last_login_at
        entry = db.session.scalar(select(AuditEntry).filter_by(action="user.login").order_by(AuditEntry.id.desc()))
        assert entry.actor_username == "kaosheng"
        assert entry.after == {"how": "准考证登录码", "exam": exam_id}
        assert entry.district_id == world.districts["a"].id
    assert post(client, "/logout", page="/").status_code == 302
    assert client.get(f"/exam/{exam_id}").status_code == 302  # logged out


def test_a_password_login_of_the_same_person_still_has_to_change_the_password(app, world, exam_id):
    must_change(app, world)
    number, _code = issue(app, exam_id)["kaosheng"]
    client = app.test_client()
    assert login(client, number, TEST_PASSWORD).headers["Location"].endswith("/account/password")
    assert client.get(f"/exam/{exam_id}").headers["Location"].endswith("/account/password")


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: " " + code.replace("-", " ") + " ",
        lambda code: "".join(chr(ord(c) + 0xFEE0) for c in code),
    ],
    ids=["lower", "no-hyphens", "spaces", "full-width"],
)
def test_codes_are_accepted_as_people_type_them(app, world, exam_id, typed):
    number, code = issue(app, exam_id)["kaosheng"]
    response = login(app.test_client(), f" {number} ", typed(code))
    assert response.status_code == 302 and response.headers["Location"] == f"/exam/{exam_id}"


def test_wrong_codes_are_refused_like_wrong_passwords_and_counted(app, world, exam_id):
    issued = issue(app, exam_id)
    number, code = issued["kaosheng"]
    _other_number, other_code = issued["kaosheng2"]
    refused = {
        "wrong code": (number, WRONG_CODE),
        "another entry's code": (number, other_code),
        "the code with the username": ("kaosheng", code),
        "the code with an unknown number": ("9" * 13, code),
    }
    for case, (name, password) in refused.items():
        response = login(app.test_client(), name, password)
        assert response.status_code == 401, case
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert failures(app) == len(refused)
    # the password still works, with the ticket number or the username
    assert login(app.test_client(), number, TEST_PASSWORD).status_code == 302


def test_a_code_is_dead_after_the_close_and_before_publishing(app, world, exam_id, clock):
    number, code = issue(app, exam_id)["kaosheng"]
    clock.advance(hours=2, minutes=1)  # past closes_at
    assert login(app.test_client(), number, code).status_code == 401
    clock.advance(hours=-2, minutes=-1)
    with app.app_context():
        db.session.get(Exam, exam_id).status = ExamStatus.CLOSED  # closed, its window still running
        db.session.commit()
    assert login(app.test_client(), number, code).status_code == 401
    with app.app_context():
        draft = exam_factories.exam(world, category=exam_factories.small_bank(category_name="草稿考试"))
        db.session.commit()
        draft_id = draft.id
    number, code = issue(app, draft_id)["kaosheng"]
    assert login(app.test_client(), number, code).status_code == 401
    with app.app_context():
        db.session.get(Exam, draft_id).status = ExamStatus.PUBLISHED
        db.session.commit()
    assert login(app.test_client(), number, code).headers["Location"] == f"/exam/{draft_id}"


def test_a_disabled_account_or_an_administrator_on_a_roster_gets_nothing_from_a_code(app, world, make, exam_id):
    number, code = issue(app, exam_id)["kaosheng"]
    with app.app_context():
        db.session.get(User, world.accounts["examinee"].id).is_enabled = False
        db.session.commit()
    assert login(app.test_client(), number, code).status_code == 401
    with app.app_context():
        entry = db.session.scalar(select(RosterEntry).filter_by(exam_id=exam_id, user_id=world.accounts["examinee"].id))
        entry.user_id = world.accounts["district_admin"].id  # a roster row of an administrator
        db.session.commit()
    number, code = issue(app, exam_id)["jinshui"]
    assert login(app.test_client(), number, code).status_code == 401


def test_reissuing_replaces_the_code(app, world, exam_id):
    old_number, old_code = issue(app, exam_id)["kaosheng"]
    number, code = issue(app, exam_id)["kaosheng"]
    assert number == old_number and code != old_code
    assert login(app.test_client(), number, old_code).status_code == 401
    assert login(app.test_client(), number, code).status_code == 302


def test_a_huge_password_is_a_plain_refusal(app, world, exam_id):
    number, _code = issue(app, exam_id)["kaosheng"]
    client = app.test_client()
    token = csrf_token(client)
    for password in ("A" * 10_000, "ABCD-" * 2_000):
        response = client.post("/login", data={"username": number, "password": password, "csrf_token": token})
        assert response.status_code == 400
    assert client.get(f"/exam/{exam_id}").status_code == 302


def test_failed_codes_count_against_the_accounts_throttle(app, world, exam_id):
    number, code = issue(app, exam_id)["kaosheng"]
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        assert login(app.test_client(), number, WRONG_CODE).status_code == 401
    # the right code now waits like the right password does
    assert login(app.test_client(), number, code).status_code == 429
    assert login(app.test_client(), "kaosheng").status_code == 429


def test_authenticate_takes_a_code_so_the_exam_pages_relogin_gets_it(app, world, exam_id):
    number, code = issue(app, exam_id)["kaosheng"]
    with app.app_context():
        assert authenticate(number, code.lower(), "10.0.0.1").id == world.accounts["examinee"].id
        db.session.rollback()


def test_a_ticket_login_issues_few_statements(app, world, exam_id):
    number, code = issue(app, exam_id)["kaosheng"]
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    token = csrf_token(client)
    with count_statements(engine) as statements:
        response = client.post("/login", data={"username": number, "password": code, "csrf_token": token})
    assert response.status_code == 302
    real = [s for s in statements if "SAVEPOINT" not in s]
    # the entry, its person and exam in one select; the person's last login; the new login's row;
    # the audit entry with its chain head (lock, insert, update). No argon2id, no stale-login cleanup.
    assert len(real) <= 6, real
    assert not any(s.startswith("DELETE") for s in real)
    assert sum("FROM users" in s and "roster_entries" in s for s in real) == 1
    assert not any("password_hash=" in s.replace(" ", "") for s in real if s.startswith("UPDATE"))


# --- issuing on the paperwork pages ------------------------------------------------------------


def ticket_codes(response):
    page = response.get_data(as_text=True)
    numbers = re.findall(r'data-testid="ticket-number">([^<]+)<', page)
    codes = re.findall(r'data-testid="ticket-login-code">([^<]+)<', page)
    return dict(zip(numbers, codes, strict=True))


def issue_on_page(client, exam_id, unit_id, what="codes", reason="考前统一签发"):
    page = f"/exams/{exam_id}/paperwork/{unit_id}/passwords?what={what}"
    html = client.get(page).get_data(as_text=True)
    ids = re.findall(r'name="entry_ids" value="(\d+)"[^>]*checked', html)
    data = {"entry_ids": ids, "reason": reason, "what": what}
    return post(client, f"/exams/{exam_id}/paperwork/{unit_id}/passwords", data, page=page)


def test_the_issue_page_shows_codes_once_and_a_reprint_never(app, world, exam_id, as_role):
    admin = as_role("exam_admin")
    unit = world.communities["a"].id
    with app.app_context():
        hashes = {u.id: u.password_hash for u in db.session.scalars(select(User))}
    confirm = admin.get(f"/exams/{exam_id}/paperwork/{unit}/passwords?what=codes").get_data(as_text=True)
    assert "签发登录码：" in confirm and re.search(r'<input checked[^>]*value="codes"', confirm)
    response = issue_on_page(admin, exam_id, unit)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "本页只显示这一次" in page and "只能用于本场考试" in page
    assert 'data-testid="ticket-password"' not in page  # codes only: no password was reset
    codes = ticket_codes(response)
    assert len(codes) == 1
    number, code = next(iter(codes.items()))
    with app.app_context():
        assert {u.id: u.password_hash for u in db.session.scalars(select(User))} == hashes
    assert login(app.test_client(), number, code).headers["Location"] == f"/exam/{exam_id}"

    reprint = admin.get(f"/exams/{exam_id}/paperwork/{unit}/tickets").get_data(as_text=True)
    assert code not in reprint and code.replace("-", "") not in reprint
    assert 'data-testid="ticket-login-code"' not in reprint
    assert "已签发，补打不显示" in reprint and "重新签发登录码" in reprint

    again = ticket_codes(issue_on_page(admin, exam_id, unit))
    assert again[number] != code
    assert login(app.test_client(), number, code).status_code == 401
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).filter_by(action="exam.ticket_codes_issued"))
        assert entry.actor_username == "admin" and entry.reason == "考前统一签发"
        assert entry.after == {"unit": world.communities["a"].code, "ticket_numbers": [number]}
        assert entry.district_id == world.districts["a"].id


def test_reissuing_a_password_issues_a_code_too(app, world, exam_id, as_role):
    admin = as_role("exam_admin")
    unit = world.communities["a"].id
    response = issue_on_page(admin, exam_id, unit, what="both")
    page = response.get_data(as_text=True)
    password = re.search(r'data-testid="ticket-password">([^<]+)<', page).group(1)
    ((number, code),) = ticket_codes(response).items()
    assert login(app.test_client(), number, code).headers["Location"] == f"/exam/{exam_id}"
    assert login(app.test_client(), "kaosheng", password).headers["Location"].endswith("/account/password")


def test_no_code_is_ever_written_to_the_audit_log(app, world, exam_id, as_role):
    admin = as_role("exam_admin")
    codes = dict(ticket_codes(issue_on_page(admin, exam_id, world.city.id)))
    codes.update(ticket_codes(issue_on_page(admin, exam_id, world.communities["a"].id, what="both")))
    for number, code in codes.items():
        login(app.test_client(), number, code)
        login(app.test_client(), number, code[:-1] + ("A" if code[-1] != "A" else "B"))
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry)).all()
        dumped = json.dumps(
            [[e.object_label, e.before, e.after, e.reason] for e in entries], ensure_ascii=False, default=str
        )
    assert codes
    for code in codes.values():
        raw = code.replace("-", "")
        assert code not in dumped and raw not in dumped and raw[:-1] not in dumped


def test_issuing_codes_in_bulk_is_one_update_of_hashes(app, world, exam_id):
    """The benchmark's path (10,000 entries: the figure is in the report of issue 23)."""
    with app.app_context():
        entries = db.session.scalars(select(RosterEntry).filter_by(exam_id=exam_id)).all()
        with count_statements() as statements:
            codes = issue_ticket_codes(None, entries)
        assert set(codes) == {e.id for e in entries}
        assert sum(s.startswith("UPDATE roster_entries") for s in statements) == 1
        stored = dict(db.session.execute(select(RosterEntry.id, RosterEntry.ticket_code_hash)).all())
        for entry in entries:
            assert entry.ticket_code_hash == stored[entry.id] == hash_ticket_code(codes[entry.id])
            assert entry.ticket_code_issued_at is not None
        db.session.rollback()


def test_people_who_have_started_can_get_a_code_and_a_bad_choice_is_a_400(app, world, exam_id, as_role):
    from examapp.sitting.services import start_attempt

    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        start_attempt(exam, db.session.get(User, world.accounts["examinee"].id))
        hash_before = db.session.get(User, world.accounts["examinee"].id).password_hash
        db.session.commit()
        entry_id = db.session.scalar(
            select(RosterEntry.id).filter_by(exam_id=exam_id, user_id=world.accounts["examinee"].id)
        )
    admin = as_role("exam_admin")
    unit = world.communities["a"].id
    page = f"/exams/{exam_id}/paperwork/{unit}/passwords?what=codes"
    html = admin.get(page).get_data(as_text=True)
    box = re.search(rf'<input[^>]*value="{entry_id}"[^>]*>', html).group(0)
    assert "disabled" not in box  # a code changes nothing of the attempt or the session
    done = post(
        admin, page.split("?")[0], {"entry_ids": [entry_id], "reason": "浏览器崩溃", "what": "codes"}, page=page
    )
    ((number, code),) = ticket_codes(done).items()
    with app.app_context():
        assert db.session.get(User, world.accounts["examinee"].id).password_hash == hash_before
    assert login(app.test_client(), number, code).headers["Location"] == f"/exam/{exam_id}"
    bad = post(admin, page.split("?")[0], {"entry_ids": [entry_id], "reason": "x", "what": "all"}, page=page)
    assert bad.status_code == 400


def test_a_code_opens_its_own_exam_only_while_the_password_waits(app, world, exam_id, clock):
    """With the password change still waiting, a 登录码 of exam A opens A's pages, never another
    exam of the same person: not its start page, not its attempt."""
    from examapp.bank.services import get_category_by_name
    from examapp.sitting.services import start_attempt

    with app.app_context():
        other = exam_factories.exam(world, publish=True, category=get_category_by_name("社会保险"))
        other_attempt = start_attempt(other, db.session.get(User, world.accounts["examinee"].id))
        db.session.commit()
        other_id, other_attempt_id = other.id, other_attempt.id
    must_change(app, world)
    number, code = issue(app, exam_id)["kaosheng"]
    client = app.test_client()
    assert login(client, number, code).headers["Location"] == f"/exam/{exam_id}"
    assert client.get(f"/exam/{exam_id}").status_code == 200
    assert client.get(f"/exam/{other_id}").headers["Location"].endswith("/account/password")
    assert client.get(f"/attempt/{other_attempt_id}").status_code == 403
    assert client.get(f"/attempt/{other_attempt_id}/result").status_code == 403
