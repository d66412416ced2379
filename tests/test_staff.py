"""Managing staff accounts through the pages."""

import re

import pytest
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.extensions import db

from .conftest import login, post


def count_users(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_create_account_shows_initial_password_once(app, client, world):
    login(client, "jinshui")
    response = post(
        client,
        "/staff/new",
        {
            "username": "LiNa01",
            "name": "李娜",
            "role": "examinee",
            "unit_id": world.communities["a"].id,
            "phone": "13800001111",
        },
        page="/staff/new",
    )
    assert response.status_code == 200
    password = re.search(r'data-testid="issued-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username="lina01"))
        assert user.must_change_password and user.check_password(password)
        assert user.password_hash.startswith("pbkdf2:")
        entry = db.session.scalar(select(AuditEntry).filter_by(action="user.create", object_id=str(user.id)))
        assert entry.after["unit"] == "41010501001" and "password" not in str(entry.after)
    assert client.get(f"/staff/{user.id}").get_data(as_text=True).count(password) == 0


@pytest.mark.parametrize(
    "actor, data, message",
    [
        ("admin", {"username": "kaosheng", "role": "examinee", "unit": "a"}, "已被使用"),
        ("admin", {"username": "x", "role": "examinee", "unit": "a"}, "用户名须为"),
        ("admin", {"username": "newone", "role": "examinee", "unit": "district"}, "考生必须属于"),
        ("admin", {"username": "newone", "role": "district_admin", "unit": "a"}, "区县管理员必须属于"),
        ("admin", {"username": "newone", "role": "examinee", "unit": "a", "phone": "abc"}, "手机号格式不正确"),
        ("jinshui", {"username": "newone", "role": "exam_admin", "unit": "a"}, "不是有效的选择"),
        ("jinshui", {"username": "newone", "role": "examinee", "unit": "b"}, "不是有效的选择"),
    ],
)
def test_bad_account_form_writes_nothing(app, client, world, actor, data, message):
    login(client, actor)
    unit = {"a": world.communities["a"], "b": world.communities["b"], "district": world.districts["a"]}[data["unit"]]
    before = count_users(app)
    response = post(
        client,
        "/staff/new",
        {
            "username": data["username"],
            "name": "王强",
            "role": data["role"],
            "unit_id": unit.id,
            "phone": data.get("phone", ""),
        },
        page="/staff/new",
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_users(app) == before


def test_district_admin_cannot_edit_another_admin_of_their_district(app, client, world, make):
    colleague = make.user("district_admin", world.districts["a"], username="jinshui2")
    login(client, "jinshui")
    assert client.get(f"/staff/{colleague.id}").status_code == 200
    assert client.get(f"/staff/{colleague.id}/edit").status_code == 403


def test_edit_records_before_and_after(app, client, world):
    login(client, "admin")
    user_id = world.accounts["examinee"].id
    response = post(
        client,
        f"/staff/{user_id}/edit",
        {
            "username": "kaosheng",
            "name": "张伟",
            "role": "examinee",
            "unit_id": world.communities["b"].id,
            "phone": "",
            "reason": "调动",
        },
        page=f"/staff/{user_id}/edit",
    )
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).filter_by(action="user.update"))
        assert entry.before["unit"] == "41010501001" and entry.after["unit"] == "41010301001"
        assert entry.reason == "调动" and entry.district_id == world.districts["b"].id


def test_admin_cannot_disable_themselves(app, client, world):
    login(client, "admin")
    me = world.accounts["exam_admin"].id
    response = post(client, f"/staff/{me}/status", {"enabled": "0", "reason": "x"}, page=f"/staff/{me}")
    assert response.status_code == 302
    assert "不能停用自己的账号" in client.get(f"/staff/{me}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, me).is_enabled


def test_staff_list_filters_and_pages(app, client, world, make):
    for i in range(60):
        make.user("examinee", world.communities["a"], username=f"bulk{i:02d}", name=f"批量{i:02d}")
    login(client, "admin")
    page1 = client.get(f"/staff/?unit={world.streets['a'].id}&role=examinee").get_data(as_text=True)
    assert "共 61 条" in page1 and "kaosheng2" not in page1
    page2 = client.get(f"/staff/?unit={world.streets['a'].id}&role=examinee&page=2").get_data(as_text=True)
    assert "第 2/2 页" in page2
    assert "批量07" in client.get("/staff/?q=批量07").get_data(as_text=True)
    disabled = client.get("/staff/?status=disabled").get_data(as_text=True)
    assert "没有符合条件的人员" in disabled
