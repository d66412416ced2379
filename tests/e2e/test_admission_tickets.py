"""Admission tickets in a real browser: printing changes no password, issuing new ones is its own
confirmed action, and a person logs in with the 准考证号 printed on the ticket."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role, User
from examapp.exams.models import RosterEntry
from examapp.exams.services import add_to_roster
from examapp.extensions import db
from examapp.org.models import Unit, UnitKind
from examapp.org.services import create_unit
from examapp.staff.services import create_user

from .. import exam_factories

pytestmark = pytest.mark.e2e

#: 惠济区: no other browser test uses its people
HUIJI = "410108"
COMMUNITY = "准考证测试社区"


@pytest.fixture(scope="module")
def two_exams(e2e_app):
    """A community of two examinees (one has already set their own password) on two exams."""
    with e2e_app.app_context():
        district = db.session.scalar(select(Unit).where(Unit.code == HUIJI))
        street = db.session.scalar(
            select(Unit).where(Unit.kind == UnitKind.STREET, Unit.path.startswith(district.path)).order_by(Unit.path)
        )
        community = create_unit(None, code=f"{HUIJI}99901", name=COMMUNITY, kind=UnitKind.COMMUNITY, parent=street)
        people = []
        for username, name in (("zkz.wangli", "王丽"), ("zkz.zhaogang", "赵刚")):
            user, _password = create_user(None, username=username, name=name, role=Role.EXAMINEE, unit=community)
            people.append(user)
        people[1].must_change_password = False  # has logged in and chosen a password
        category = exam_factories.shared_small_bank()
        exams = []
        for title, code in (
            ("2026 年度业务知识考试（准考证·上午场）", None),
            ("2026 年度业务知识考试（准考证·补考）", "HJ2026"),
        ):
            exam = exam_factories.exam(category=category, title=title, access_code=code)
            add_to_roster(None, exam, units=[community])
            exams.append(exam.id)
        db.session.commit()
        ids = exams, community.id
        db.session.remove()
    return ids


def _hashes(e2e_app):
    with e2e_app.app_context():
        rows = db.session.execute(select(User.username, User.password_hash).where(User.username.like("zkz.%"))).all()
        db.session.remove()
    return dict(rows)


def test_printing_keeps_passwords_and_issuing_is_explicit(
    page, login, screenshot, screenshot_dir, e2e_app, two_exams, new_context
):
    (first, second), community = two_exams
    page.set_viewport_size({"width": 1024, "height": 768})
    login("admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("考试管理工作台")

    # issuing: the confirmation names the people, their unit, and the other exam whose tickets it voids
    page.goto(f"/exams/{first}/paperwork")
    screenshot("paperwork_tickets_and_passwords.png")
    page.get_by_role("link", name=f"重新发放初始密码：{COMMUNITY}").click()
    warning = page.get_by_test_id("issue-warning")
    expect(warning).to_contain_text(COMMUNITY)
    expect(warning).to_contain_text("此前打印的全部准考证上的密码都将作废")
    expect(warning).to_contain_text("2026 年度业务知识考试（准考证·补考）")
    expect(page.get_by_test_id("issue-people")).to_contain_text("王丽")
    expect(page.get_by_test_id("issue-people")).to_contain_text("已修改为本人密码")
    screenshot("issue_passwords_confirmation.png")
    page.get_by_label("为 赵刚 重新发放").uncheck()  # only the person who lost the ticket
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("issue-submit").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("请填写重新发放初始密码的原因")
    page.get_by_label("发放原因").fill("本人遗失准考证")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("issue-submit").click()
    expect(page.get_by_test_id("shown-once")).to_contain_text("本页只显示这一次")
    expect(page.get_by_test_id("ticket")).to_have_count(1)
    password = page.get_by_test_id("ticket-password").inner_text().strip()
    screenshot("admission_tickets_issued.png")
    issued = _hashes(e2e_app)

    # printing, for either exam and again: nobody's password changes, the ticket says which applies
    for exam_id in (second, first, second):
        page.goto(f"/exams/{exam_id}/paperwork")
        page.get_by_role("link", name=f"打印准考证：{COMMUNITY}").click()
        expect(page.get_by_test_id("ticket")).to_have_count(2)
        expect(page.get_by_test_id("ticket-password")).to_have_count(0)
        expect(page.get_by_test_id("reprint-note")).to_contain_text("打印准考证不会改变任何人的密码")
    notes = page.get_by_test_id("ticket-password-note")
    expect(notes.nth(0)).to_contain_text("发放的初始密码")
    expect(notes.nth(1)).to_have_text("使用本人已修改的密码")
    number = page.get_by_test_id("ticket-number").first.inner_text().strip()
    assert re.fullmatch(rf"\d{{4}}{second:04d}\d{{5}}", number)
    assert _hashes(e2e_app) == issued

    # room and seat, set on the roster, are printed
    with e2e_app.app_context():
        entry_id = db.session.scalar(
            select(RosterEntry.id).join(RosterEntry.user).where(RosterEntry.exam_id == second, User.name == "王丽")
        )
        db.session.remove()
    page.goto(f"/exams/{second}/roster/{entry_id}")
    page.get_by_label("考场", exact=True).fill("第二考场（区政府三楼机房）")
    page.get_by_label("座位号", exact=True).fill("07")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("entry-room")).to_have_text("第二考场（区政府三楼机房）")
    screenshot("roster_entry_room_and_seat.png")
    page.goto(f"/exams/{second}/paperwork/{community}/tickets")
    expect(page.get_by_test_id("ticket-room").first).to_have_text("第二考场（区政府三楼机房）")
    expect(page.get_by_test_id("ticket-seat").first).to_have_text("07")
    screenshot("admission_tickets_reprint.png")
    # printed on A4 (210 mm wide), nothing of a ticket is cut off by its fixed height
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    clipped = page.eval_on_selector_all(
        ".ticket", "els => els.filter(e => e.scrollHeight > e.clientHeight).map(e => [e.scrollHeight, e.clientHeight])"
    )
    assert clipped == []
    page.screenshot(path=str(screenshot_dir / "admission_tickets_print_a4.png"), full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1024, "height": 768})

    # the person logs in with the ticket number and the password issued for the other exam
    other = new_context().new_page()
    other.set_viewport_size({"width": 1024, "height": 768})
    other.goto("/login")
    expect(other.get_by_label("用户名或准考证号")).to_be_visible()
    other.get_by_label("用户名或准考证号").fill(number)
    other.get_by_label("密码", exact=True).fill(password)
    other.screenshot(path=str(screenshot_dir / "login_with_ticket_number.png"))
    other.get_by_role("button", name="登录", exact=True).click()
    expect(other).to_have_url(re.compile(r"/account/password$"))
