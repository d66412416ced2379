"""Unit and staff imports over HTTP: upload, preview, confirm; all or nothing; scope enforced."""

import csv
import html
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from examapp.audit.models import AuditEntry
from examapp.auth.models import Role, User
from examapp.extensions import db
from examapp.imports.models import ImportBatch
from examapp.org import importing as unit_importing
from examapp.org.models import Unit, UnitKind
from examapp.spreadsheets import read_table
from examapp.staff import importing as staff_importing

from .conftest import csrf_token, login, post

UNIT_HEADER = list(unit_importing.COLUMNS)
STAFF_HEADER = list(staff_importing.COLUMNS)
PROBLEM_ROW = re.compile(r"<tr><td>(?:第 (\d+) 行|整个文件)</td><td>([^<]*)</td><td>([^<]*)</td></tr>")
ISSUED_PASSWORD = re.compile(r'data-testid="issued-password">([^<]+)</td>')
WORLD_USERNAMES = {"admin", "office", "jinshui", "erqi", "kaosheng", "kaosheng2"}


# --- helpers -----------------------------------------------------------------------


def csv_upload(header, rows, filename="import.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode("utf-8")), filename


def upload(client, path, file):
    return post(client, path, {"file": file}, content_type="multipart/form-data")


def problems(response):
    """(row, column, message) for each problem listed on an upload or preview page."""
    page = response.get_data(as_text=True)
    assert 'data-testid="problems"' in page, page
    table = page.split('data-testid="problems"', 1)[1].split("</table>", 1)[0]
    return [
        (int(row) if row else None, html.unescape(column), html.unescape(message))
        for row, column, message in PROBLEM_ROW.findall(table)
    ]


def assert_problems(response, expected):
    """``expected`` maps (row, column) to a fragment of the message; nothing else may be listed."""
    found = problems(response)
    assert {(row, column) for row, column, _ in found} == set(expected), found
    for row, column, message in found:
        assert expected[(row, column)] in message, (row, column, message)


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def unit_by_code(app, code):
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        if unit is not None:
            db.session.expunge(unit)
        return unit


def staged_upload(client, path, file):
    """Upload a good file and return the preview URL it redirects to."""
    response = upload(client, path, file)
    assert response.status_code == 302, problems(response)
    location = response.headers["Location"]
    assert location.startswith(f"{path}/")
    return location


# --- units ---------------------------------------------------------------------------


NEW_UNITS = [
    # the community comes first: its parent is defined further down the same file
    ["41010502001", "金水区第二街道第一社区", "社区", "41010502"],
    ["41010502", "金水区第二街道", "街道", "410105"],
]


def test_unit_import_previews_then_creates_units_under_their_parents(app, world, as_role):
    admin = as_role("exam_admin")
    units_before = count(app, Unit)
    audit_before = count(app, AuditEntry, AuditEntry.action == "unit.create")

    preview = staged_upload(admin, "/units/import", csv_upload(UNIT_HEADER, NEW_UNITS, "新单位.csv"))
    assert count(app, Unit) == units_before  # staged, not written

    page = admin.get(preview)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "将新建 2 条" in text and "确认导入" in text
    for code, name, _kind, parent in NEW_UNITS:
        assert code in text and name in text and parent in text

    confirmed = post(admin, preview, page=preview)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/units/"

    district = world.districts["a"]
    street = unit_by_code(app, "41010502")
    community = unit_by_code(app, "41010502001")
    assert (street.kind, street.name, street.parent_id) == (UnitKind.STREET, "金水区第二街道", district.id)
    assert street.path == f"{district.path}{street.id}/"
    assert (community.kind, community.parent_id) == (UnitKind.COMMUNITY, street.id)
    assert community.path == f"{street.path}{community.id}/"
    assert count(app, Unit) == units_before + 2

    assert count(app, AuditEntry, AuditEntry.action == "unit.create") == audit_before + 2
    with app.app_context():
        created = db.session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "unit.create", AuditEntry.actor_username == "admin")
        ).all()
        assert sorted(created) == sorted([str(street.id), str(community.id)])
        imports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unit.import")).all()
        assert len(imports) == 1
        assert imports[0].actor_username == "admin" and imports[0].object_label == "新单位.csv"
        assert imports[0].after == {"created": 2, "unchanged": 0}


def test_a_preview_cannot_be_applied_twice(app, world, as_role):
    admin = as_role("exam_admin")
    preview = staged_upload(admin, "/units/import", csv_upload(UNIT_HEADER, NEW_UNITS))
    assert post(admin, preview, page=preview).status_code == 302
    units_after_first = count(app, Unit)

    again = post(admin, preview, page="/")
    assert again.status_code == 200
    assert "该批次已于" in again.get_data(as_text=True)
    assert count(app, Unit) == units_after_first
    assert count(app, AuditEntry, AuditEntry.action == "unit.import") == 1


def test_a_preview_belongs_to_its_uploader(app, world, as_role):
    admin = as_role("exam_admin")
    preview = staged_upload(admin, "/units/import", csv_upload(UNIT_HEADER, NEW_UNITS))
    other = as_role("district_admin")
    assert other.get(preview).status_code == 404
    assert post(other, preview).status_code == 404
    assert unit_by_code(app, "41010502") is None


def test_bad_unit_file_lists_every_problem_and_writes_nothing(app, world, as_role):
    admin = as_role("exam_admin")
    units_before = count(app, Unit)
    batches_before = count(app, ImportBatch)
    rows = [
        ["41010502", "金水区第二街道", "镇子", "410105"],  # row 2: unknown kind
        ["41010503", "金水区第三街道", "街道", "999999"],  # row 3: unknown parent
        ["41010504", "金水区第四街道", "街道", "410105"],  # row 4: fine on its own
        ["41010504", "金水区第五街道", "街道", "410105"],  # row 5: code repeats row 4
        ["41010501", "改了名字的街道", "街道", "410105"],  # row 6: exists with another name
        ["41010599001", "直属社区", "社区", "410105"],  # row 7: a community directly under a district
    ]
    response = upload(admin, "/units/import", csv_upload(UNIT_HEADER, rows))

    assert response.status_code == 422
    assert "没有导入任何数据" in response.get_data(as_text=True)
    assert_problems(
        response,
        {
            (2, "类型"): "类型“镇子”无效",
            (3, "上级单位编码"): "上级单位编码“999999”不存在",
            (5, "单位编码"): "与第 4 行重复",
            (6, "单位编码"): "单位编码“41010501”已存在且内容不同",
            (7, "上级单位编码"): "社区的上级单位必须是街道或乡镇",
        },
    )
    assert count(app, Unit) == units_before
    assert count(app, ImportBatch) == batches_before


def test_district_admin_cannot_import_units_into_another_district(app, world, as_role):
    jinshui = as_role("district_admin")
    units_before = count(app, Unit)
    rows = [
        ["41010502", "金水区第二街道", "街道", "410105"],  # own district: fine
        ["41010302", "二七区第二街道", "街道", "410103"],  # another district
        ["41010302001", "二七区第二街道第一社区", "社区", "41010302"],  # hangs from the row above
    ]
    response = upload(jinshui, "/units/import", csv_upload(UNIT_HEADER, rows))

    assert response.status_code == 422
    assert_problems(
        response,
        {
            (3, "上级单位编码"): "您无权在该上级单位下导入单位",
            (4, "上级单位编码"): "您无权在该上级单位下导入单位",
        },
    )
    assert count(app, Unit) == units_before


@pytest.mark.parametrize("role", ["exam_admin", "district_admin"])
def test_unit_export_reimports_as_all_unchanged(app, world, as_role, role):
    client = as_role(role)
    exported = client.get("/units/export.xlsx")
    assert exported.status_code == 200
    assert exported.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    exported_rows = read_table("units.xlsx", exported.data, unit_importing.COLUMNS, max_bytes=10**6, max_rows=1000)
    assert exported_rows
    units_before = count(app, Unit)

    preview = staged_upload(client, "/units/import", (io.BytesIO(exported.data), "units.xlsx"))
    text = client.get(preview).get_data(as_text=True)
    assert f"将新建 0 条，{len(exported_rows)} 条已存在且内容相同，将跳过" in text
    assert text.count("跳过（已存在）") == len(exported_rows)

    assert post(client, preview, page=preview).status_code == 302
    assert count(app, Unit) == units_before


@pytest.mark.parametrize(
    ("path", "columns"),
    [("/units/import/template", unit_importing.COLUMNS), ("/staff/import/template", staff_importing.COLUMNS)],
)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_templates_are_readable_with_the_import_headers(world, as_role, path, columns, fmt):
    response = as_role("exam_admin").get(f"{path}.{fmt}")
    assert response.status_code == 200
    assert f"_template.{fmt}" in response.headers["Content-Disposition"]
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    else:
        header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header == list(columns)
    rows = read_table(f"template.{fmt}", response.data, columns, max_bytes=10**6, max_rows=100)
    assert rows and all(set(row) == {*columns, "_row"} for row in rows)


# --- staff --------------------------------------------------------------------------------


def test_staff_import_issues_passwords_that_must_be_changed(app, world, as_role):
    admin = as_role("exam_admin")
    rows = [
        ["李娜", "lina01", "41010501001", "考生", "13800000001"],
        ["王芳", "WangFang", "41010501", "", ""],  # role defaults to 考生; username stored lower-case
        ["赵强", "zhaoqiang", "410103", "区县管理员", "139-0371-2345"],  # stored as its digits
    ]
    preview = staged_upload(admin, "/staff/import", csv_upload(STAFF_HEADER, rows))
    text = admin.get(preview).get_data(as_text=True)
    assert "将新建 3 条" in text and "lina01" in text and "金水区第一社区" in text

    result = post(admin, preview, page=preview)
    assert result.status_code == 200
    page = result.get_data(as_text=True)
    assert "导入完成：新建 3 个账号" in page
    passwords = ISSUED_PASSWORD.findall(page)
    assert len(passwords) == 3 and len(set(passwords)) == 3
    for password in passwords:
        assert page.count(password) == 1

    with app.app_context():
        users = db.session.scalars(select(User).where(User.username.in_(["lina01", "wangfang", "zhaoqiang"])))
        created = {u.username: (u.role, u.unit.code, u.phone, u.must_change_password) for u in users}
    assert created == {
        "lina01": (Role.EXAMINEE, "41010501001", "13800000001", True),
        "wangfang": (Role.EXAMINEE, "41010501", None, True),
        "zhaoqiang": (Role.DISTRICT_ADMIN, "410103", "13903712345", True),
    }
    assert count(app, AuditEntry, AuditEntry.action == "user.create", AuditEntry.actor_username == "admin") == 3
    assert count(app, AuditEntry, AuditEntry.action == "user.import") == 1

    issued = dict(zip(["lina01", "wangfang", "zhaoqiang"], passwords, strict=True))
    for username, password in issued.items():
        person = app.test_client()
        response = login(person, username, password)
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/password"
        forced = person.get("/")
        assert forced.status_code == 302 and forced.headers["Location"] == "/account/password"


def test_bad_staff_file_lists_every_problem_and_writes_nothing(app, world, as_role):
    admin = as_role("exam_admin")
    users_before = count(app, User)
    rows = [
        ["甲", "jia01", "999999", "", ""],  # row 2: unknown unit
        ["乙", "yi01", "41010501001", "", ""],  # row 3: fine
        ["丙", "yi01", "41010501001", "", ""],  # row 4: username repeats row 3
        ["丁", "KaoSheng", "41010501001", "", ""],  # row 5: username taken
        ["戊", "wu01", "41010501001", "校长", ""],  # row 6: no such role
        ["己", "ji01", "410105", "考生", ""],  # row 7: an examinee in a district
        ["庚", "geng01", "41010501001", "考生", "abc"],  # row 8: bad phone
    ]
    response = upload(admin, "/staff/import", csv_upload(STAFF_HEADER, rows))

    assert response.status_code == 422
    assert_problems(
        response,
        {
            (2, "所属单位编码"): "单位编码“999999”不存在",
            (4, "用户名"): "与第 3 行重复",
            (5, "用户名"): "用户名“kaosheng”已被使用",
            (6, "角色"): "角色“校长”无效",
            (7, "所属单位编码"): "考生必须属于街道、乡镇、社区级单位",
            (8, "手机号"): "手机号格式不正确",
        },
    )
    assert count(app, User) == users_before


def test_district_admin_imports_only_examinees_of_own_district(app, world, as_role):
    jinshui = as_role("district_admin")
    users_before = count(app, User)
    rows = [
        ["甲", "jia01", "41010301001", "考生", ""],  # row 2: a community of 二七区
        ["乙", "yi01", "410105", "考试管理员", ""],  # row 3: a role jinshui may not give
        ["丙", "bing01", "41010501", "考生", ""],  # row 4: fine
    ]
    response = upload(jinshui, "/staff/import", csv_upload(STAFF_HEADER, rows))

    assert response.status_code == 422
    found = {(row, column): message for row, column, message in problems(response)}
    assert "不在您的管辖范围内" in found[(2, "所属单位编码")]
    assert "您无权导入角色为“考试管理员”的人员" in found[(3, "角色")]
    assert {row for row, _ in found} == {2, 3}
    assert count(app, User) == users_before


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("exam_admin", WORLD_USERNAMES),
        ("office", WORLD_USERNAMES),
        ("district_admin", {"jinshui", "kaosheng"}),
        ("district_admin_b", {"erqi", "kaosheng2"}),
    ],
)
def test_staff_export_lists_exactly_the_people_in_scope(world, as_role, role, expected):
    response = as_role(role).get("/staff/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_table("staff.csv", response.data, staff_importing.COLUMNS, max_bytes=10**6, max_rows=1000)
    assert sorted(r["用户名"] for r in rows) == sorted(expected)
    by_username = {r["用户名"]: r for r in rows}
    if "kaosheng" in by_username:
        assert by_username["kaosheng"]["所属单位编码"] == "41010501001"
        assert by_username["kaosheng"]["角色"] == "考生"


# --- limits and CSRF ------------------------------------------------------------------


def test_upload_larger_than_the_limit_gets_413(app, world, as_role, monkeypatch):
    admin = as_role("exam_admin")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024 * 1024)
    padding = [[f"T{n:06d}", "很长的单位名称" * 4, "街道", "410105"] for n in range(12000)]
    # Encoded in memory: the test client would spool a body this large to a temporary file it never closes.
    stream, filename = csv_upload(UNIT_HEADER, padding)
    fields = {"file": FileStorage(stream, filename, content_type="text/csv"), "csrf_token": csrf_token(admin, "/")}
    boundary, body = encode_multipart(fields)
    assert len(body) > 1024 * 1024
    units_before = count(app, Unit)

    response = admin.post("/units/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 413
    assert "上传的文件过大：不能超过 1 MB" in response.get_data(as_text=True)
    assert count(app, Unit) == units_before


def test_upload_without_csrf_token_is_refused(app, world, as_role):
    admin = as_role("exam_admin")
    batches_before = count(app, ImportBatch)
    response = admin.post(
        "/units/import", data={"file": csv_upload(UNIT_HEADER, NEW_UNITS)}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "页面已过期或表单校验失败" in response.get_data(as_text=True)
    assert count(app, ImportBatch) == batches_before


def test_confirm_without_csrf_token_is_refused(app, world, as_role):
    admin = as_role("exam_admin")
    preview = staged_upload(admin, "/units/import", csv_upload(UNIT_HEADER, NEW_UNITS))
    response = admin.post(preview, data={})
    assert response.status_code == 400
    assert unit_by_code(app, "41010502") is None
