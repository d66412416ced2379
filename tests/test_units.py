"""The unit tree: creating, moving, deactivating, and the audit it leaves."""

import pytest
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.errors import DomainError
from examapp.extensions import db
from examapp.org.models import Unit, UnitKind
from examapp.org.services import create_unit, set_unit_active, update_unit

from .conftest import login, post


def count_units(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Unit))


def get(app, model, id_):
    with app.app_context():
        return db.session.get(model, id_)


def test_create_unit_page(app, client, world):
    login(client, "admin")
    response = post(
        client,
        "/units/new",
        {
            "code": "41010502",
            "name": "花园路街道",
            "kind": "street",
            "parent_id": world.districts["a"].id,
        },
        page="/units/new",
    )
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalar(select(Unit).filter_by(code="41010502"))
        assert unit.parent_id == world.districts["a"].id
        assert unit.path == f"{world.districts['a'].path}{unit.id}/"
        entry = db.session.scalar(select(AuditEntry).filter_by(action="unit.create", object_id=str(unit.id)))
        assert entry.actor_username == "admin" and entry.after["name"] == "花园路街道"
        assert entry.district_id == world.districts["a"].id


@pytest.mark.parametrize(
    "data, field_error",
    [
        ({"code": "410105", "name": "重复编码", "kind": "street"}, "单位编码“410105”已存在"),
        ({"code": "bad code!", "name": "x", "kind": "street"}, "单位编码只能由"),
        ({"code": "N1", "name": "社区挂区下", "kind": "community"}, "社区的上级单位必须是街道或乡镇"),
        ({"code": "N2", "name": "金水区第一街道", "kind": "street"}, "已有名为“金水区第一街道”的单位"),
        ({"code": "N3", "name": "", "kind": "street"}, "请填写单位名称"),
    ],
)
def test_bad_unit_form_rerenders_with_the_error_and_writes_nothing(app, client, world, data, field_error):
    login(client, "admin")
    before = count_units(app)
    response = post(client, "/units/new", {**data, "parent_id": world.districts["a"].id}, page="/units/new")
    assert response.status_code == 400
    assert field_error in response.get_data(as_text=True)
    assert count_units(app) == before


def test_unit_cannot_move_under_its_own_descendant(app, client, world):
    login(client, "admin")
    street = world.streets["a"]
    response = post(
        client,
        f"/units/{world.districts['a'].id}/edit",
        {
            "code": "410105",
            "name": "金水区",
            "parent_id": street.id,
            "kind": "district",
        },
        page=f"/units/{world.districts['a'].id}/edit",
    )
    assert response.status_code == 400
    assert get(app, Unit, world.districts["a"].id).parent_id == world.city.id


def test_moving_a_street_moves_its_subtree(app, ctx, world):
    street = db.session.get(Unit, world.streets["a"].id)
    other_district = db.session.get(Unit, world.districts["b"].id)
    update_unit(None, street, code=street.code, name=street.name, parent=other_district, reason="区划调整")
    community = db.session.get(Unit, world.communities["a"].id)
    assert community.path.startswith(other_district.path)
    assert community.district.id == other_district.id
    entry = db.session.scalar(select(AuditEntry).filter_by(action="unit.update"))
    assert entry.before == {"parent": "410105"} and entry.after == {"parent": "410103"}
    assert entry.reason == "区划调整"


def test_district_admin_cannot_create_a_district_or_leave_their_district(app, ctx, world):
    admin = db.session.get(Unit, world.districts["a"].id)
    jinshui = world.accounts["district_admin"]
    from examapp.auth.models import User

    jinshui = db.session.get(User, jinshui.id)
    city = db.session.get(Unit, world.city.id)
    with pytest.raises(DomainError):
        create_unit(jinshui, code="X1", name="新区", kind=UnitKind.DISTRICT, parent=city)
    other = db.session.get(Unit, world.districts["b"].id)
    with pytest.raises(DomainError):
        create_unit(jinshui, code="X2", name="越界街道", kind=UnitKind.STREET, parent=other)
    street = create_unit(jinshui, code="X3", name="本区新街道", kind=UnitKind.STREET, parent=admin)
    assert street.is_within(admin)


def test_deactivate_refuses_while_children_or_staff_are_active(app, ctx, world):
    street = db.session.get(Unit, world.streets["a"].id)
    with pytest.raises(DomainError, match="下级单位"):
        set_unit_active(None, street, False, reason="撤并")
    community = db.session.get(Unit, world.communities["a"].id)
    with pytest.raises(DomainError, match="人员账号"):
        set_unit_active(None, community, False, reason="撤并")


def test_deactivate_and_reactivate_with_reason(app, client, world, make):
    empty = make.unit(UnitKind.COMMUNITY, world.streets["a"], code="EMPTY1", name="待撤并社区")
    login(client, "jinshui")
    response = post(
        client, f"/units/{empty.id}/status", {"active": "0", "reason": "社区撤并"}, page=f"/units/{empty.id}"
    )
    assert response.status_code == 302
    assert get(app, Unit, empty.id).is_active is False
    response = post(client, f"/units/{empty.id}/status", {"active": "1", "reason": ""}, page=f"/units/{empty.id}")
    assert get(app, Unit, empty.id).is_active is False  # a reason is required
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).filter_by(action="unit.deactivate"))
        assert entry.reason == "社区撤并" and entry.actor_username == "jinshui"


def test_unit_tree_and_search_pages(client, world):
    login(client, "office")
    page = client.get("/units/").get_data(as_text=True)
    assert "金水区第一社区" in page and "二七区第一社区" in page
    found = client.get("/units/?q=二七").get_data(as_text=True)
    assert "搜索结果（3）" in found
    # % and _ are what they are, not wildcards
    assert "搜索结果（0）" in client.get("/units/?q=%").get_data(as_text=True)
    assert "搜索结果（0）" in client.get("/units/?q=_").get_data(as_text=True)


def test_names_are_escaped(app, client, world, make):
    make.unit(UnitKind.COMMUNITY, world.streets["a"], code="XSS1", name="<script>alert(1)</script>")
    login(client, "admin")
    page = client.get("/units/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
