"""Exam day in a real browser: an administrator issues 登录码, a person logs in with the 准考证号
and the 登录码 straight into the exam, hands in, and the result page says 成绩计算中 until the
score is computed, then shows it without being touched."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role, User
from examapp.exams.models import RosterEntry
from examapp.exams.services import add_to_roster, publish_exam
from examapp.extensions import db
from examapp.org.models import Unit, UnitKind
from examapp.org.services import create_unit
from examapp.sitting.grading import grade_pending
from examapp.sitting.models import Attempt, AttemptState
from examapp.staff.services import create_user

from .. import exam_factories

pytestmark = pytest.mark.e2e

#: 新郑市: no other browser test uses its people
XINZHENG = "410184"
COMMUNITY = "登录码测试社区"
TITLE = "2026 年度业务知识考试（登录码场）"


@pytest.fixture(scope="module")
def ticket_exam(e2e_app):
    """A published exam (results released at once) of a community of two people who have never logged in."""
    with e2e_app.app_context():
        district = db.session.scalar(select(Unit).where(Unit.code == XINZHENG))
        street = db.session.scalar(
            select(Unit).where(Unit.kind == UnitKind.STREET, Unit.path.startswith(district.path)).order_by(Unit.path)
        )
        community = create_unit(None, code=f"{XINZHENG}99902", name=COMMUNITY, kind=UnitKind.COMMUNITY, parent=street)
        for username, name in (("dlm.sunjing", "孙静"), ("dlm.zhoupeng", "周鹏")):
            create_user(None, username=username, name=name, role=Role.EXAMINEE, unit=community)
        exam = exam_factories.exam(category=exam_factories.shared_small_bank(), title=TITLE, release_mode="on_submit")
        add_to_roster(None, exam, units=[community])
        publish_exam(None, exam)
        db.session.commit()
        ids = exam.id, community.id
        db.session.remove()
    return ids


def _attempt_state(e2e_app, attempt_id):
    with e2e_app.app_context():
        state = db.session.get(Attempt, attempt_id).state
        db.session.remove()
    return state


def test_a_ticket_code_opens_the_exam_and_the_score_follows_the_hand_in(
    page, login, screenshot, screenshot_dir, e2e_app, ticket_exam, new_context, monkeypatch
):
    exam_id, community_id = ticket_exam
    page.set_viewport_size({"width": 1024, "height": 768})
    login("admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("考试管理工作台")

    # issuing: codes only, for the one person chosen, with a reason; passwords stay as they are
    page.goto(f"/exams/{exam_id}/paperwork")
    expect(page.get_by_test_id("paperwork-codes-help")).to_contain_text("登录码只在签发时显示一次")
    page.get_by_role("link", name=f"签发登录码：{COMMUNITY}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("签发登录码")
    expect(page.get_by_test_id("issue-code-state").first).to_have_text("未签发")
    page.get_by_label("为 周鹏 重新发放").uncheck()
    page.get_by_label("发放原因").fill("考前统一签发登录码")
    screenshot("exam_day_issue_codes.png")
    with e2e_app.app_context():
        before = dict(db.session.execute(select(User.username, User.password_hash)).all())
        db.session.remove()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("issue-submit").click()
    expect(page.get_by_test_id("shown-once")).to_contain_text("本页只显示这一次")
    expect(page.get_by_test_id("ticket")).to_have_count(1)
    code = page.get_by_test_id("ticket-login-code").inner_text().strip()
    number = page.get_by_test_id("ticket-number").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", code.replace("-", "").replace(" ", "")), code
    expect(page.get_by_test_id("ticket-code-note")).to_contain_text("只能用于本场考试")
    screenshot("exam_day_codes_issued.png")
    with e2e_app.app_context():
        after = dict(db.session.execute(select(User.username, User.password_hash)).all())
        entries = db.session.scalars(select(RosterEntry).where(RosterEntry.exam_id == exam_id)).all()
        issued = {entry.user.username: entry.ticket_code_hash is not None for entry in entries}
        db.session.remove()
    assert after == before  # a 登录码 changes nobody's password
    assert issued == {"dlm.sunjing": True, "dlm.zhoupeng": False}
    # printed again later, the ticket says a code was issued but never shows it
    page.goto(f"/exams/{exam_id}/paperwork/{community_id}/tickets")
    expect(page.get_by_test_id("ticket-login-code")).to_have_count(0)
    expect(page.get_by_test_id("ticket-login-code-note").first).to_contain_text("已签发，补打不显示")

    # the person: 准考证号 + 登录码 on the login page lands on the exam's start page, no password change
    person = new_context().new_page()
    person.set_viewport_size({"width": 1024, "height": 768})
    person.goto("/login")
    expect(person.get_by_test_id("ticket-login-help")).to_contain_text("密码栏填准考证上的登录码")
    person.get_by_label("用户名或准考证号").fill(number)
    person.get_by_label("密码", exact=True).fill("WRONG" + code[5:])
    person.get_by_role("button", name="登录", exact=True).click()
    # a wrong code is refused like a wrong password
    expect(person.get_by_text("用户名或密码错误，或账号已停用")).to_be_visible()
    expect(person).to_have_url(re.compile(r"/login"))
    person.get_by_label("用户名或准考证号").fill(number)
    person.get_by_label("密码", exact=True).fill(code)
    person.get_by_role("button", name="登录", exact=True).click()
    expect(person).to_have_url(re.compile(rf"/exam/{exam_id}$"))
    expect(person.get_by_role("heading", level=1)).to_contain_text(TITLE)
    person.screenshot(path=str(screenshot_dir / "exam_day_ticket_start.png"), full_page=True)
    person.locator("#pledge").check()
    person.get_by_role("button", name="开始答题").click()
    expect(person).to_have_url(re.compile(r"/attempt/\d+$"))
    attempt_id = int(re.search(r"/attempt/(\d+)$", person.url).group(1))
    first = person.locator(".attempt-question").first
    first.locator("input").first.click()
    status = person.locator("#save-status")
    expect(status).to_have_attribute("data-state", "saved")

    # handed in with grading left to the worker: the result page says so and looks again by itself
    monkeypatch.setitem(e2e_app.config, "GRADING_MODE", "deferred")
    person.locator("#submit-open").click()
    expect(person.locator("#confirm")).to_be_visible()
    person.locator("#submit-final").click()
    expect(person).to_have_url(re.compile(rf"/attempt/{attempt_id}/result$"))
    grading = person.get_by_test_id("grading")
    expect(grading).to_contain_text("成绩计算中")
    expect(person.get_by_test_id("score")).to_have_count(0)
    person.screenshot(path=str(screenshot_dir / "exam_day_grading.png"), full_page=True)
    assert _attempt_state(e2e_app, attempt_id) == AttemptState.GRADING

    with e2e_app.app_context():
        assert grade_pending(attempt_id=attempt_id) == 1
        db.session.commit()
        db.session.remove()
    # no click: the page refreshes itself within a few seconds and shows the score
    expect(person.get_by_test_id("score")).to_be_visible(timeout=10_000)
    expect(person.get_by_test_id("grading")).to_have_count(0)
    person.screenshot(path=str(screenshot_dir / "exam_day_graded.png"), full_page=True)
    assert _attempt_state(e2e_app, attempt_id) == AttemptState.SUBMITTED
