"""二看: the checklists from the standard, each threshold's judgement, the failing-items list, recording and photos."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from examapp.accreditation.checklist import COMMUNITY, NUMBER, STREET, checklist
from examapp.accreditation.inspection import services as service
from examapp.accreditation.inspection.models import Inspection, InspectionItem
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.cycles.models import AccreditationRecord, Decision, RecordEntry
from examapp.cycles.services import cycle_for_year, record_for
from examapp.errors import DomainError
from examapp.extensions import db
from examapp.org.models import Unit, UnitKind
from examapp.org.services import create_unit

from .conftest import csrf_token

YEAR = 2026
DAY = date(2026, 11, 15)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


def _record(world, kind="street", district="a"):
    unit = world.streets[district] if kind == "street" else world.communities[district]
    return record_for(cycle_for_year(YEAR), unit.id, world.districts[district].id)


def _office(world):
    return db.session.get(User, world.accounts["office"].id)


def passing(items):
    """Every item just at its threshold (equality passes) or answered yes."""
    answers = {}
    for item in items:
        if item.kind == NUMBER:
            answers[item.code] = service.Answer(value=item.threshold, checked=False if item.alternative else None)
        else:
            answers[item.code] = service.Answer(checked=True)
    return answers


def _record_with(world, kind, changes, **kwargs):
    record = _record(world, kind)
    items = service.items_for(record)
    answers = passing(items)
    for code, answer in changes.items():
        answers[code] = answer
    return record, service.record_inspection(_office(world), record, inspected_on=DAY, answers=answers, **kwargs)


# --- the checklists ---------------------------------------------------------------------


def test_street_and_community_checklists_follow_the_standard(ctx, world):
    cycle = cycle_for_year(YEAR)
    street = {i.code: i for i in checklist(cycle, STREET)}
    community = {i.code: i for i in checklist(cycle, COMMUNITY)}
    humanised = {"service_items_on_wall", "brochures", "seats", "drinking_water", "newspapers", "suggestion_box"}
    assert humanised <= set(street) and humanised <= set(community)
    assert "vehicle" in street and "vehicle" not in community
    assert street["hall_area"].threshold == Decimal("60") and street["hall_area"].unit == "m²"
    assert community["office_area"].threshold == Decimal("15") and community["office_area"].alternative
    assert (street["computers"].threshold, community["computers"].threshold) == (1, 1)
    assert (street["cabinets"].threshold, community["cabinets"].threshold) == (2, 1)
    assert street["phones"].threshold == community["phones"].threshold == 1
    assert community["staff"].kind == NUMBER and community["staff"].threshold == 1
    assert street["staffing"].kind == "yesno"  # 郑发[2003]4号: staffed as required, yes / no
    for common in ("broadband", "air_conditioning", "rules_on_wall", "ledgers", "database", "funding"):
        assert street[common].kind == community[common].kind == "yesno"


def test_a_township_gets_the_street_checklist_and_a_district_none(ctx, world):
    district = db.session.get(Unit, world.districts["a"].id)
    township = create_unit(None, code="41010599", name="测试乡", kind=UnitKind.TOWNSHIP, parent=district)
    assert service.checklist_kind(township) == STREET
    assert service.checklist_kind(db.session.get(Unit, world.communities["a"].id)) == COMMUNITY
    with pytest.raises(DomainError):
        service.checklist_kind(district)


def test_thresholds_come_from_the_cycle_and_are_kept_on_the_item(ctx, world):
    cycle = cycle_for_year(YEAR)
    cycle.street_hall_area = Decimal("80")
    record, inspection = _record_with(world, STREET, {"hall_area": service.Answer(value=Decimal("79.99"))})
    assert inspection.passed is False
    row = next(i for i in inspection.items if i.code == "hall_area")
    assert row.threshold == Decimal("80") and row.value == Decimal("79.99") and row.passed is False
    cycle.street_hall_area = Decimal("60")  # a later change of the setting does not rewrite the judgement
    db.session.flush()
    assert service.failing_items(inspection) == ["办事大厅面积 79.99 m²，低于 80 m²"]


# --- every numeric threshold: just below, exactly, above ----------------------------------

NUMERIC = [
    (STREET, "hall_area", Decimal("0.01")),
    (STREET, "computers", Decimal("1")),
    (STREET, "phones", Decimal("1")),
    (STREET, "cabinets", Decimal("1")),
    (COMMUNITY, "office_area", Decimal("0.01")),
    (COMMUNITY, "computers", Decimal("1")),
    (COMMUNITY, "phones", Decimal("1")),
    (COMMUNITY, "cabinets", Decimal("1")),
    (COMMUNITY, "staff", Decimal("1")),
]


@pytest.mark.parametrize(("kind", "code", "step"), NUMERIC)
@pytest.mark.parametrize(("offset", "passes"), [(-1, False), (0, True), (1, True), (100, True)])
def test_numeric_threshold(ctx, world, kind, code, step, offset, passes):
    item = next(i for i in checklist(cycle_for_year(YEAR), kind) if i.code == code)
    value = item.threshold + step * offset
    answer = service.Answer(value=value, checked=False if item.alternative else None)
    record, inspection = _record_with(world, kind, {code: answer})
    assert inspection.passed is passes
    row = next(i for i in inspection.items if i.code == code)
    assert (row.passed, row.value, row.threshold) == (passes, value, item.threshold)
    failures = service.failing_items(inspection)
    if passes:
        assert failures == []
    else:
        assert len(failures) == 1 and failures[0].startswith(item.label) and "低于" in failures[0]


def test_a_zero_computer_count_fails_and_negative_or_fractional_counts_are_refused(ctx, world):
    record, inspection = _record_with(world, STREET, {"computers": service.Answer(value=Decimal("0"))})
    assert service.failing_items(inspection) == ["劳动保障专用电脑 0 台，低于 1 台"]
    for bad, message in ((Decimal("-1"), "负数"), (Decimal("1.5"), "整数"), (Decimal("60.001"), "两位小数")):
        code = "hall_area" if message == "两位小数" else "computers"
        with pytest.raises(DomainError, match=message):
            _record_with(world, STREET, {code: service.Answer(value=bad)})


# --- the community's floor space: own office ≥ 15 m², or a dedicated window ----------------------


@pytest.mark.parametrize(
    ("area", "window", "passes"),
    [
        (Decimal("15"), False, True),
        (Decimal("14.99"), False, False),
        (Decimal("14.99"), True, True),
        (None, True, True),
        (Decimal("0"), True, True),
        (Decimal("0"), False, False),
    ],
)
def test_community_area_or_dedicated_window(ctx, world, area, window, passes):
    record, inspection = _record_with(world, COMMUNITY, {"office_area": service.Answer(value=area, checked=window)})
    assert inspection.passed is passes
    row = next(i for i in inspection.items if i.code == "office_area")
    assert (row.value, row.checked, row.passed) == (area, window, passes)
    if not passes:
        assert service.failing_items(inspection) == [f"单独办公用房面积 {area:f} m²，低于 15 m²，且未设立专门窗口"]


def test_community_without_area_or_window_must_say_which(ctx, world):
    with pytest.raises(DomainError, match="专门窗口"):
        _record_with(world, COMMUNITY, {"office_area": service.Answer(value=None, checked=False)})
    assert db.session.scalar(select(Inspection)) is None


def test_street_window_does_not_replace_the_hall(ctx, world):
    record, inspection = _record_with(
        world, STREET, {"hall_area": service.Answer(value=Decimal("59.99"), checked=True)}
    )
    assert inspection.passed is False


# --- the vehicle (street office only) ---------------------------------------------------------


def test_vehicle_is_required_of_a_street_office_only(ctx, world):
    record, street = _record_with(world, STREET, {"vehicle": service.Answer(checked=False, note="车辆已报废")})
    assert street.passed is False
    assert service.failing_items(street) == ["配备工作车辆：否（备注：车辆已报废）"]
    record, community = _record_with(world, COMMUNITY, {})
    assert community.passed is True and "vehicle" not in {i.code for i in community.items}


# --- the failing-items list, the record entry, the audit, re-recording -----------------------------


def test_failing_items_listed_in_checklist_order_and_written_to_the_record(ctx, world):
    changes = {
        "suggestion_box": service.Answer(checked=False),
        "hall_area": service.Answer(value=Decimal("45.5")),
        "cabinets": service.Answer(value=Decimal("1")),
        "ledgers": service.Answer(checked=False, note="台帐不全"),
    }
    record, inspection = _record_with(world, STREET, changes, note="整改后复查")
    expected = [
        "办事大厅面积 45.5 m²，低于 60 m²",
        "文件柜 1 个，低于 2 个",
        "管理台帐齐全，资料摆放整齐统一，登记及时：否（备注：台帐不全）",
        "设置有意见箱：否",
    ]
    assert service.failing_items(inspection) == expected
    entry = db.session.scalars(select(RecordEntry).where(RecordEntry.record_id == record.id)).one()
    assert entry.kind == "inspection" and entry.status == "failed"
    assert entry.text == "二看不合格：4 项不符合标准——" + "；".join(expected)
    result = service.outcome(record)
    assert (result.name, result.passed, result.reasons) == ("二看", False, expected)
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "accreditation.inspection")).one()
    assert audit.district_id == world.districts["a"].id and audit.after["failed"] == sorted(
        ["hall_area", "cabinets", "ledgers", "suggestion_box"]
    )


def test_recording_again_appends_an_entry_and_never_edits_the_old_one(ctx, world):
    record, first = _record_with(world, STREET, {"vehicle": service.Answer(checked=False)})
    old = db.session.scalars(select(RecordEntry).where(RecordEntry.record_id == record.id)).one()
    old_text, old_hash = old.text, old.entry_hash
    record, second = _record_with(world, STREET, {})
    assert second.id == first.id and second.passed is True
    entries = db.session.scalars(
        select(RecordEntry).where(RecordEntry.record_id == record.id).order_by(RecordEntry.id)
    ).all()
    assert [e.status for e in entries] == ["failed", "passed"]
    assert (entries[0].text, entries[0].entry_hash) == (old_text, old_hash)
    assert entries[1].text == "二看合格：18 项均符合标准"
    assert db.session.scalar(select(db.func.count()).select_from(InspectionItem)) == 18
    assert service.outcome(record).passed is True


def test_no_recording_after_the_decision_is_confirmed(ctx, world):
    record, _ = _record_with(world, STREET, {})
    record.decision = Decision.PASSED
    with pytest.raises(DomainError, match="验收决定已确认"):
        _record_with(world, STREET, {"vehicle": service.Answer(checked=False)})


def test_outcome_before_any_inspection_is_not_done(ctx, world):
    result = service.outcome(_record(world))
    assert result.passed is None and result.name == "二看" and result.reasons


def test_a_date_in_the_future_is_refused(ctx, world):
    record = _record(world)
    with pytest.raises(DomainError, match="晚于今天"):
        service.record_inspection(
            _office(world),
            record,
            inspected_on=date(2026, 11, 21),
            answers=passing(service.items_for(record)),
            today=date(2026, 11, 20),
        )


# --- the pages ----------------------------------------------------------------------------------


def _record_id(app, world, kind="street", district="a"):
    with app.app_context():
        record = _record(world, kind, district)
        db.session.commit()
        return record.id


def _form(app, record_id, **changes):
    with app.app_context():
        items = service.items_for(db.session.get(AccreditationRecord, record_id))
    data = {"inspected_on": "2026-11-15", "note": ""}
    for item in items:
        if item.kind == NUMBER:
            data[f"{item.code}_value"] = f"{item.threshold:f}"
        else:
            data[f"{item.code}_checked"] = "yes"
        data[f"{item.code}_note"] = ""
    data.update(changes)
    return data


def test_office_records_the_checklist_in_one_form(app, as_role, world):
    record_id = _record_id(app, world)
    office = as_role("office")
    page = office.get(f"/accreditation/records/{record_id}/inspection/edit")
    assert page.status_code == 200 and "办事大厅面积" in page.get_data(as_text=True)
    data = _form(app, record_id, hall_area_value="59.99", vehicle_checked="no", vehicle_note="无车辆")
    data["csrf_token"] = csrf_token(office, f"/accreditation/records/{record_id}/inspection/edit")
    response = office.post(f"/accreditation/records/{record_id}/inspection/edit", data=data)
    assert response.status_code == 302
    html = office.get(f"/accreditation/records/{record_id}/inspection").get_data(as_text=True)
    assert (
        "二看不合格" in html
        and "办事大厅面积 59.99 m²，低于 60 m²" in html
        and "配备工作车辆：否（备注：无车辆）" in html
    )
    printed = office.get(f"/accreditation/records/{record_id}/inspection/print").get_data(as_text=True)
    assert "二看检查表" in printed and "不符合" in printed and "59.99" in printed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hall_area_value", "-1", "实测值不能为负数"),
        ("hall_area_value", "abc", "请填写数字"),
        ("hall_area_value", "", "请填写实测值"),
        ("hall_area_value", "60.123", "最多保留两位小数"),
        ("computers_value", "1.5", "请填写整数"),
        ("vehicle_checked", "", "请选择“是”或“否”"),
        ("vehicle_checked", "maybe", "请选择“是”或“否”"),
        ("inspected_on", "2026-11-21", "检查日期不能晚于今天"),
    ],
)
def test_bad_input_rerenders_with_the_field_error_and_saves_nothing(app, as_role, world, field, value, message):
    record_id = _record_id(app, world)
    office = as_role("office")
    data = _form(app, record_id, **{field: value})
    data["csrf_token"] = csrf_token(office, f"/accreditation/records/{record_id}/inspection/edit")
    response = office.post(f"/accreditation/records/{record_id}/inspection/edit", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Inspection).where(Inspection.record_id == record_id)) is None


def test_community_form_takes_the_window_instead_of_an_area(app, as_role, world):
    record_id = _record_id(app, world, "community")
    office = as_role("office")
    data = _form(app, record_id, office_area_value="", office_area_checked="y")
    data["csrf_token"] = csrf_token(office, f"/accreditation/records/{record_id}/inspection/edit")
    assert office.post(f"/accreditation/records/{record_id}/inspection/edit", data=data).status_code == 302
    html = office.get(f"/accreditation/records/{record_id}/inspection").get_data(as_text=True)
    assert "二看合格" in html and "设有专门窗口" in html and "配备工作车辆" not in html


def test_district_admins_see_their_own_district_only(app, as_role, world):
    mine, other = _record_id(app, world, district="a"), _record_id(app, world, district="b")
    jinshui = as_role("district_admin")
    assert jinshui.get(f"/accreditation/records/{mine}/inspection").status_code == 200
    assert jinshui.get(f"/accreditation/records/{other}/inspection").status_code == 404
    assert jinshui.get(f"/accreditation/records/{mine}/inspection/edit").status_code == 403


# --- photos --------------------------------------------------------------------------------------


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ACCREDITATION_UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


def _recorded_item(app, world, code="vehicle"):
    with app.app_context():
        record = _record(world)
        service.record_inspection(_office(world), record, inspected_on=DAY, answers=passing(service.items_for(record)))
        db.session.commit()
        inspection = service.inspection_of(record)
        return record.id, next(i.id for i in inspection.items if i.code == code)


def test_a_photo_is_kept_per_item_images_only(app, as_role, world, uploads):
    import io

    record_id, item_id = _recorded_item(app, world)
    office = as_role("office")
    token = csrf_token(office, f"/accreditation/records/{record_id}/inspection")
    refused = office.post(
        f"/accreditation/inspection-items/{item_id}/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(b"%PDF-1.4 not an image"), "car.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "不是允许的类型" in refused.get_data(as_text=True)
    response = office.post(
        f"/accreditation/inspection-items/{item_id}/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(PNG), "car.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(InspectionItem, item_id)
        assert row.photo_type == "image/png" and (uploads / row.photo_name).read_bytes() == PNG
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "accreditation.inspection_photo"))
    download = office.get(f"/accreditation/inspection-items/{item_id}/photo")
    body, disposition = download.data, download.headers["Content-Disposition"]
    download.close()  # the stored file stays open until the response is closed
    assert download.status_code == 200 and body == PNG and "attachment" in disposition
    other = as_role("district_admin_b")
    assert other.get(f"/accreditation/inspection-items/{item_id}/photo").status_code == 404
    removed = office.post(f"/accreditation/inspection-items/{item_id}/photo/remove", data={"csrf_token": token})
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.get(InspectionItem, item_id).photo_name is None
