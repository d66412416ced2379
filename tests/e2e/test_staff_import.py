"""Importing staff from a spreadsheet: problems listed per row, nothing half-imported, scope enforced."""

import csv
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import User
from examapp.extensions import db

pytestmark = pytest.mark.e2e

HEADER = ["姓名", "用户名", "所属单位编码", "角色", "手机号"]
HONGZHUANLU = "41010501001"  # 红专路社区, 金水区
XINGHUAJIE = "41010301001"  # 兴华街社区, 二七区


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def upload(page, path):
    page.goto("/staff/import")
    page.locator('input[name="file"]').set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()


def problem_row(page, row_number):
    return page.get_by_test_id("problems").locator("tbody tr").filter(has_text=f"第 {row_number} 行")


def find_user(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.remove()
        return user


def test_bad_row_blocks_whole_file_then_corrected_file_imports(page, login, screenshot, e2e_app, new_context, tmp_path):
    login("admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("考试管理工作台")

    bad = write_csv(
        tmp_path / "staff_bad.csv",
        [
            ["李娜", "e2e_lina", HONGZHUANLU, "考生", "13800000001"],
            ["王芳", "e2e_wangfang", "999999", "考生", ""],
        ],
    )
    upload(page, bad)

    problems = page.get_by_test_id("problems")
    expect(problems).to_be_visible()
    expect(page.get_by_text("没有导入任何数据")).to_be_visible()
    expect(problems.locator("tbody tr")).to_have_count(1)
    row = problem_row(page, 3)
    expect(row.locator("td").nth(1)).to_have_text("所属单位编码")
    expect(row.locator("td").nth(2)).to_contain_text("999999")
    screenshot("import_problems.png")
    assert find_user(e2e_app, "e2e_lina") is None, "a file with a bad row must import nothing"

    good = write_csv(
        tmp_path / "staff_good.csv",
        [
            ["李娜", "e2e_lina", HONGZHUANLU, "考生", "13800000001"],
            ["王芳", "e2e_wangfang", HONGZHUANLU, "考生", ""],
        ],
    )
    upload(page, good)

    expect(page).to_have_url(re.compile(r"/staff/import/[^/]+$"))
    expect(page.get_by_text("检查通过")).to_be_visible()
    assert find_user(e2e_app, "e2e_lina") is None, "the preview must not write anything"
    page.get_by_role("button", name="确认导入").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("导入完成：新建 2 个账号")
    issued = page.locator("tbody tr").filter(has_text="e2e_lina")
    expect(issued).to_have_count(1)
    expect(issued).to_contain_text("红专路社区")
    password_cell = issued.get_by_test_id("issued-password")
    expect(password_cell).to_have_text(re.compile(r"^\S{8,}$"))
    password = password_cell.inner_text().strip()

    created = find_user(e2e_app, "e2e_lina")
    assert created is not None and created.name == "李娜" and created.must_change_password

    # The password shown works once, and leads straight to choosing a new one.
    other = new_context().new_page()
    other.goto("/login")
    other.locator('input[name="username"]').fill("e2e_lina")
    other.locator('input[name="password"]').fill(password)
    other.get_by_role("button", name="登录", exact=True).click()
    expect(other).to_have_url(re.compile(r"/account/password$"))
    expect(other.get_by_test_id("whoami")).to_contain_text("李娜")


def test_district_admin_cannot_import_outside_district(page, login, e2e_app, tmp_path):
    login("jinshui")
    expect(page.get_by_role("heading", level=1)).to_have_text("金水区管理工作台")

    upload(page, write_csv(tmp_path / "staff_erqi.csv", [["赵磊", "e2e_zhaolei", XINGHUAJIE, "考生", ""]]))

    row = problem_row(page, 2)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("所属单位编码")
    expect(row.locator("td").nth(2)).to_contain_text("不在您的管辖范围内")
    assert find_user(e2e_app, "e2e_zhaolei") is None
