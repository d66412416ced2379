"""Logging in and out through the real login form, for every role."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ROLES = [
    # username, home heading, whoami text, screenshot
    ("admin", "考试管理工作台", "刘建华（考试管理员）", "home_exam_admin.png"),
    ("office", "领导小组办公室", "陈国平（领导小组办公室）", "home_office.png"),
    ("jinshui", "金水区管理工作台", "赵丽（区县管理员）", "home_district_admin.png"),
    ("kaosheng", "我的考试", "张伟（考生）", "home_examinee.png"),
]


@pytest.mark.parametrize(("username", "heading", "whoami", "shot"), ROLES, ids=[r[0] for r in ROLES])
def test_each_role_lands_on_its_home_and_logs_out(
    page, live_server, login, screenshot, username, heading, whoami, shot
):
    login(username)

    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_test_id("whoami")).to_have_text(whoami)
    screenshot(shot)

    page.get_by_role("button", name="退出", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("您已退出登录")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_have_count(0)

    # The session is really gone: the home page sends us back to the login form.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()


def test_login_page_renders(page, screenshot):
    page.goto("/login")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator('input[name="username"]')).to_be_visible()
    expect(page.locator('input[name="password"]')).to_be_visible()
    screenshot("login.png")


def test_wrong_password_stays_on_login_with_error(page, live_server, login):
    login("office", "Not-the-password-1")

    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    expect(page.locator('input[name="username"]')).to_have_value("office")
