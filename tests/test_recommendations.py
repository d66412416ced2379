"""Recommendations: the quota, the deadline in Beijing time, handing in, forfeiture, the office's
overview, scoped downloads, and every refusal leaving nothing changed."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from examapp.accreditation.cli import accreditation_cli
from examapp.accreditation.recommend import services as recommend
from examapp.accreditation.recommend.models import Recommendation, RecommendationMaterial, RecommendationStatus
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.cycles.models import AccreditationRecord, RecordEntry
from examapp.cycles.services import cycle_for_year
from examapp.errors import DomainError
from examapp.extensions import db
from examapp.org.models import Unit, UnitKind
from examapp.org.services import create_unit, set_unit_active

from . import matrix_accreditation_recommend as matrix
from .conftest import csrf_token, login, post
from .test_accreditation_storage import EXE, HTML, PDF, PNG, upload

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2026


def shanghai(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def folder(app, tmp_path, monkeypatch):
    path = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "ACCREDITATION_UPLOAD_FOLDER", str(path))
    return path


@pytest.fixture
def cycle_open(app, clock):
    """The 2026 cycle (materials due 31 October), with the clock ten days before the deadline."""
    clock.set(shanghai(YEAR, 10, 21, 10, 0))
    with app.app_context():
        cycle_for_year(YEAR)
        db.session.commit()
    return clock


def actor(world, role="district_admin"):
    return db.session.get(User, world.accounts[role].id)


def cycle():
    return cycle_for_year(YEAR)


def add_communities(world, n, district="a"):
    street = db.session.get(Unit, world.streets[district].id)
    units = [
        create_unit(
            None, code=f"{street.code}9{i:02d}", name=f"{street.name}新社区{i}", kind=UnitKind.COMMUNITY, parent=street
        )
        for i in range(n)
    ]
    db.session.flush()
    return units


def prepare(world, unit_id, *, text="本社区劳动保障工作站设施齐全，制度健全。", files=1):
    """A draft recommendation of district A with its application text and ``files`` attachments."""
    rec = recommend.recommend_unit(actor(world), cycle(), db.session.get(Unit, unit_id))
    if text:
        recommend.update_application(actor(world), rec, text)
    for i in range(files):
        recommend.add_material(actor(world), rec, upload(PDF, f"申请材料{i}.pdf"))
    return rec


def entries(record_id, kind=None):
    query = select(RecordEntry).where(RecordEntry.record_id == record_id)
    if kind:
        query = query.where(RecordEntry.kind == kind)
    return db.session.scalars(query).all()


def audit_actions(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def district_client(app):
    client = app.test_client()
    assert login(client, "jinshui").status_code == 302
    return client


# --- quota -----------------------------------------------------------------------------


@pytest.mark.parametrize(("units", "quota"), [(0, 0), (1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (21, 3), (100, 10)])
def test_the_quota_is_ten_percent_rounded_up(units, quota):
    assert recommend.quota_for(Decimal("0.10"), units) == quota
    assert recommend.quota_for(Decimal("0.100"), units) == quota


def test_the_quota_is_exact_for_other_shares():
    assert recommend.quota_for(Decimal("0.125"), 8) == 1  # exactly 1, never 1.0000001 -> 2
    assert recommend.quota_for(Decimal("0.3"), 10) == 3
    assert recommend.quota_for(Decimal("0.15"), 20) == 3


@pytest.mark.parametrize(("extra", "units", "quota"), [(7, 9, 1), (8, 10, 1), (9, 11, 2)])
def test_the_quota_counts_the_district_s_active_street_and_community_units(ctx, world, extra, units, quota):
    added = add_communities(world, extra + 1)
    set_unit_active(None, added[-1], False, reason="撤并")  # an inactive unit does not count
    add_communities(world, 3, district="b")  # nor another district's units
    rows, total = recommend.district_counts(cycle())
    by_district = {row.district_id: row for row in rows}
    a = by_district[world.districts["a"].id]
    assert (a.units, a.quota) == (units, quota)
    assert (by_district[world.districts["b"].id].units, by_district[world.districts["b"].id].quota) == (5, 1)
    assert (total.units, total.quota) == (units + 5, quota + 1)


# --- the deadline -----------------------------------------------------------------------------


def test_the_deadline_is_the_end_of_the_day_in_beijing(ctx, clock):
    c = cycle()
    assert c.materials_deadline == date(YEAR, 10, 31)
    assert recommend.deadline_label(c) == "2026年10月31日 23:59（北京时间）"
    assert recommend.is_open(c, shanghai(YEAR, 10, 31, 23, 59, 59))
    assert recommend.is_open(c, shanghai(YEAR, 10, 31, 23, 59, 59, 999999))
    assert not recommend.is_open(c, shanghai(YEAR, 11, 1, 0, 0, 0))
    # 16:00 UTC on 31 October is already 1 November in Beijing
    assert not recommend.is_open(c, datetime.fromisoformat("2026-10-31T16:00:00+00:00"))
    assert recommend.is_open(c, datetime.fromisoformat("2026-10-31T15:59:59+00:00"))
    c.materials_deadline = date(YEAR, 9, 5)
    assert recommend.deadline_label(c) == "2026年9月5日 23:59（北京时间）"


def test_handing_in_at_23_59_59_beijing_is_accepted(ctx, world, cycle_open):
    rec = prepare(world, world.communities["a"].id)
    cycle_open.set(shanghai(YEAR, 10, 31, 23, 59, 59))
    assert recommend.submit_recommendations(actor(world), cycle()) == [rec]
    assert rec.status == RecommendationStatus.SUBMITTED


def test_handing_in_at_00_00_00_beijing_is_refused_and_nothing_changes(ctx, world, cycle_open):
    rec = prepare(world, world.communities["a"].id)
    cycle_open.set(shanghai(YEAR, 11, 1, 0, 0, 0))
    with pytest.raises(DomainError, match=r"已于 2026年10月31日 23:59（北京时间） 截止"):
        recommend.submit_recommendations(actor(world), cycle())
    assert rec.status == RecommendationStatus.DRAFT and entries(rec.record_id, "recommended") == []
    with pytest.raises(DomainError, match="截止"):
        recommend.recommend_unit(actor(world), cycle(), db.session.get(Unit, world.streets["a"].id))
    with pytest.raises(DomainError, match="截止"):
        recommend.update_application(actor(world), rec, "迟到的修改")
    with pytest.raises(DomainError, match="截止"):
        recommend.add_material(actor(world), rec, upload(PDF, "迟到.pdf"))


# --- recommending ----------------------------------------------------------------------------------


def test_a_district_admin_recommends_a_unit_of_the_district(app, world, cycle_open):
    client = district_client(app)
    response = post(client, f"/accreditation/recommendations/units/{world.communities['a'].id}", {"year": YEAR})
    assert response.status_code == 302
    with app.app_context():
        rec = db.session.scalar(select(Recommendation))
        assert response.headers["Location"].endswith(f"/accreditation/recommendations/{rec.id}")
        assert (rec.unit_id, rec.district_id, rec.status) == (
            world.communities["a"].id,
            world.districts["a"].id,
            RecommendationStatus.DRAFT,
        )
        record = db.session.get(AccreditationRecord, rec.record_id)
        assert (record.unit_id, record.district_id) == (world.communities["a"].id, world.districts["a"].id)
        assert entries(record.id) == []  # the record's history starts when the materials are handed in
        (audit,) = audit_actions("accreditation.recommend")
        assert audit.district_id == world.districts["a"].id and "金水区第一社区" in audit.object_label


def test_an_existing_record_is_reused(ctx, world, cycle_open):
    record = AccreditationRecord(
        cycle_id=cycle().id,
        unit_id=world.communities["a"].id,
        district_id=world.districts["a"].id,
        status="exam_passed",
        status_reason="",
    )
    db.session.add(record)
    db.session.flush()
    assert prepare(world, world.communities["a"].id).record_id == record.id


def _refused(app, world, unit_id, expected_status, message=None, year=YEAR):
    client = district_client(app)
    with app.app_context():
        before = db.session.scalar(select(func.count(Recommendation.id)))
        records = db.session.scalar(select(func.count(AccreditationRecord.id)))
    response = post(client, f"/accreditation/recommendations/units/{unit_id}", {"year": year})
    assert response.status_code == expected_status
    if message:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert message in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Recommendation.id))) == before
        assert db.session.scalar(select(func.count(AccreditationRecord.id))) == records


def test_a_unit_of_another_district_is_not_found(app, world, cycle_open):
    _refused(app, world, world.communities["b"].id, 404)


def test_the_city_is_not_found(app, world, cycle_open):
    _refused(app, world, world.city.id, 404)


def test_a_year_beyond_the_databases_integers_is_not_found(app, world, cycle_open):
    _refused(app, world, world.communities["a"].id, 404, year=str(2**31))


def test_the_district_itself_cannot_be_recommended(app, world, cycle_open):
    _refused(app, world, world.districts["a"].id, 302, "是区级单位，只能推荐街道、乡镇或社区")


def test_a_duplicate_is_refused(app, world, cycle_open):
    with app.app_context():
        prepare(world, world.communities["a"].id, text="", files=0)
        db.session.commit()
    _refused(app, world, world.communities["a"].id, 302, "已在本年度推荐名单中（待报送）")


def test_an_inactive_unit_is_refused(app, world, cycle_open):
    with app.app_context():
        db.session.get(Unit, world.communities["a"].id).is_active = False  # (its staff would block the service)
        db.session.commit()
    _refused(app, world, world.communities["a"].id, 302, "已停用，不能推荐")


def test_recommending_after_the_deadline_is_refused(app, world, cycle_open):
    cycle_open.set(shanghai(YEAR, 11, 1, 0, 0))
    _refused(app, world, world.communities["a"].id, 302, "截止")


def test_a_year_without_a_cycle_is_not_found(app, world, cycle_open):
    _refused(app, world, world.communities["a"].id, 404, year=1999)


def test_the_office_cannot_recommend(app, world, cycle_open):
    client = app.test_client()
    login(client, "office")
    response = post(client, f"/accreditation/recommendations/units/{world.communities['a'].id}", {"year": YEAR})
    assert response.status_code == 403


# --- materials ----------------------------------------------------------------------------------------


def _detail_url(rec_id):
    return f"/accreditation/recommendations/{rec_id}"


def _upload(client, rec_id, data, name):
    return client.post(
        f"{_detail_url(rec_id)}/materials",
        data={"csrf_token": csrf_token(client, _detail_url(rec_id)), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_the_district_writes_the_application_and_uploads_attachments(app, world, cycle_open, folder):
    with app.app_context():
        rec_id = prepare(world, world.communities["a"].id, text="", files=0).id
        db.session.commit()
    client = district_client(app)
    page = client.get(_detail_url(rec_id)).get_data(as_text=True)
    assert "报送前还需：未填写申请材料、未上传附件" in page
    response = post(
        client, f"{_detail_url(rec_id)}/application", {"text": "工作站面积 20 平方米。"}, _detail_url(rec_id)
    )
    assert response.status_code == 302
    assert _upload(client, rec_id, PDF, "申请报告.pdf").status_code == 302
    assert _upload(client, rec_id, PNG, "门牌照片.png").status_code == 302
    with app.app_context():
        rec = db.session.get(Recommendation, rec_id)
        assert rec.application_text == "工作站面积 20 平方米。"
        assert [(m.filename, m.file_type) for m in rec.materials] == [("申请报告.pdf", "pdf"), ("门牌照片.png", "png")]
        assert sorted(p.name for p in folder.iterdir()) == sorted(m.storage_name for m in rec.materials)
        assert len(audit_actions("accreditation.material_upload")) == 2
        assert audit_actions("accreditation.application")[0].after == {"application_text": "工作站面积 20 平方米。"}
        first = rec.materials[0]
    response = post(client, f"{_detail_url(rec_id)}/materials/{first.id}/delete", page=_detail_url(rec_id))
    assert response.status_code == 302
    with app.app_context():
        assert [m.filename for m in db.session.get(Recommendation, rec_id).materials] == ["门牌照片.png"]
        assert not (folder / first.storage_name).exists()
        (deleted,) = audit_actions("accreditation.material_delete")
        assert deleted.before["filename"] == "申请报告.pdf"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (EXE, "申请报告.pdf", "的实际内容是可执行程序"),
        (HTML, "申请报告.pdf", "的实际内容是网页（HTML）"),
        (PNG, "申请报告.pdf", "扩展名 .pdf 与其内容（PNG 图片）不符"),
    ],
)
def test_an_attachment_of_the_wrong_type_is_refused(app, world, cycle_open, folder, data, name, message):
    with app.app_context():
        rec_id = prepare(world, world.communities["a"].id, files=0).id
        db.session.commit()
    response = _upload(district_client(app), rec_id, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(RecommendationMaterial.id))) == 0
        assert audit_actions("accreditation.material_upload") == []
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_attachment_over_the_cap_is_refused(app, world, cycle_open, folder, monkeypatch):
    monkeypatch.setitem(app.config, "ACCREDITATION_MAX_FILE_BYTES", 100 * 1024)
    with app.app_context():
        rec_id = prepare(world, world.communities["a"].id, files=0).id
        db.session.commit()
    response = _upload(district_client(app), rec_id, PDF + b"0" * (100 * 1024), "大文件.pdf")
    assert response.status_code == 400
    assert "文件“大文件.pdf”过大：单个文件不能超过 100 KB" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(RecommendationMaterial.id))) == 0
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_draft_is_withdrawn_with_its_files_and_its_empty_record(app, world, cycle_open, folder):
    with app.app_context():
        rec = prepare(world, world.communities["a"].id)
        rec_id, record_id = rec.id, rec.record_id
        db.session.commit()
    assert len(list(folder.iterdir())) == 1
    client = district_client(app)
    response = post(client, f"{_detail_url(rec_id)}/remove", page=_detail_url(rec_id))
    assert response.status_code == 302 and f"/districts/{world.districts['a'].id}" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(Recommendation, rec_id) is None
        assert db.session.get(AccreditationRecord, record_id) is None
        assert db.session.scalar(select(func.count(RecommendationMaterial.id))) == 0
        assert len(audit_actions("accreditation.recommend_remove")) == 1
    assert list(folder.iterdir()) == []


def test_withdrawing_keeps_a_record_that_has_history(ctx, world, cycle_open):
    from examapp.cycles.services import add_entry

    rec = prepare(world, world.communities["a"].id)
    add_entry(rec.record, None, "hearing", text="已听取汇报")
    record_id = rec.record_id
    recommend.remove_recommendation(actor(world), rec)
    assert db.session.get(AccreditationRecord, record_id) is not None


# --- handing in --------------------------------------------------------------------------------


def test_handing_in_below_the_quota_is_refused(ctx, world, cycle_open):
    add_communities(world, 9)  # 11 units: quota 2
    rec = prepare(world, world.communities["a"].id)
    with pytest.raises(DomainError) as refused:
        recommend.submit_recommendations(actor(world), cycle())
    assert refused.value.message == "推荐数 1 个，低于本区配额 2 个（街道社区机构数的 10%，向上取整）"
    assert rec.status == RecommendationStatus.DRAFT
    prepare(world, world.streets["a"].id)
    assert len(recommend.submit_recommendations(actor(world), cycle())) == 2


def test_handing_in_needs_the_application_and_an_attachment_for_every_unit(ctx, world, cycle_open):
    prepare(world, world.communities["a"].id, text="", files=1)
    prepare(world, world.streets["a"].id, text="街道申请", files=0)
    with pytest.raises(DomainError) as refused:
        recommend.submit_recommendations(actor(world), cycle())
    assert "金水区第一社区：未填写申请材料" in refused.value.message
    assert "金水区第一街道：未上传附件" in refused.value.message
    assert db.session.scalar(select(func.count(RecordEntry.id))) == 0


def test_handing_in_without_a_draft_is_refused(ctx, world, cycle_open):
    with pytest.raises(DomainError, match="没有待报送的推荐单位"):
        recommend.submit_recommendations(actor(world), cycle())


def test_handing_in_locks_the_materials_and_writes_the_record(app, world, cycle_open):
    with app.app_context():
        rec = prepare(world, world.communities["a"].id)
        rec_id, record_id = rec.id, rec.record_id
        material_id = rec.materials[0].id
        db.session.commit()
    client = district_client(app)
    district_page = f"/accreditation/recommendations/districts/{world.districts['a'].id}?year={YEAR}"
    response = post(client, "/accreditation/recommendations/submit", {"year": YEAR}, district_page)
    assert response.status_code == 302
    assert "请勾选确认后再报送" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = post(client, "/accreditation/recommendations/submit", {"year": YEAR, "confirm": "y"}, district_page)
    assert "已报送 1 个推荐单位的材料" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        rec = db.session.get(Recommendation, rec_id)
        assert (
            rec.status == RecommendationStatus.SUBMITTED and rec.submitted_by_id == world.accounts["district_admin"].id
        )
        (entry,) = entries(record_id)
        assert entry.kind == "recommended" and entry.entry_hash and "附件 1 份" in entry.text
        assert len(audit_actions("accreditation.submit")) == 1
    # read-only from now on: the page offers no form, and every change is refused
    page = client.get(_detail_url(rec_id)).get_data(as_text=True)
    assert "保存申请材料" not in page and "撤回推荐" not in page and "材料已报送，已锁定" in page
    for path, data in (
        (f"{_detail_url(rec_id)}/application", {"text": "改"}),
        (f"{_detail_url(rec_id)}/remove", {}),
        (f"{_detail_url(rec_id)}/materials/{material_id}/delete", {}),
    ):
        response = post(client, path, data, _detail_url(rec_id))
        assert "材料已锁定，不能修改" in client.get(response.headers["Location"]).get_data(as_text=True)
    response = _upload(client, rec_id, PDF, "补充.pdf")
    assert "材料已锁定" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        rec = db.session.get(Recommendation, rec_id)
        assert rec.status == RecommendationStatus.SUBMITTED and len(rec.materials) == 1
        assert rec.application_text.startswith("本社区")


def test_a_second_batch_counts_what_was_handed_in_before(ctx, world, cycle_open):
    add_communities(world, 9)  # quota 2
    first, second = prepare(world, world.communities["a"].id), prepare(world, world.streets["a"].id)
    recommend.submit_recommendations(actor(world), cycle())
    third = prepare(world, db.session.scalar(select(Unit.id).where(Unit.name == "金水区第一街道新社区0")))
    assert recommend.submit_recommendations(actor(world), cycle()) == [third]
    assert {first.status, second.status, third.status} == {RecommendationStatus.SUBMITTED}


# --- forfeiture ------------------------------------------------------------------------------------


def test_drafts_are_forfeited_lazily_once_the_deadline_passes(app, world, cycle_open):
    with app.app_context():
        kept = prepare(world, world.communities["a"].id)
        recommend.submit_recommendations(actor(world), cycle())
        late = prepare(world, world.streets["a"].id)
        late_id, late_record, kept_id = late.id, late.record_id, kept.id
        db.session.commit()
    client = district_client(app)
    cycle_open.set(shanghai(YEAR, 10, 31, 23, 59, 59))
    client.get(f"/accreditation/recommendations?year={YEAR}")
    with app.app_context():
        assert db.session.get(Recommendation, late_id).status == RecommendationStatus.DRAFT
    cycle_open.set(shanghai(YEAR, 11, 1, 0, 0, 0))
    for _ in range(2):
        assert client.get(f"/accreditation/recommendations/{late_id}").status_code == 200
    with app.app_context():
        late = db.session.get(Recommendation, late_id)
        assert late.status == RecommendationStatus.FORFEITED and late.forfeited_at is not None
        (entry,) = entries(late_record, "forfeited")
        assert (
            entry.text.startswith("逾期未报，视为放弃验收") and entry.status == "forfeited" and entry.actor_id is None
        )
        assert db.session.get(Recommendation, kept_id).status == RecommendationStatus.SUBMITTED
        (audit,) = audit_actions("accreditation.forfeit")
        assert audit.actor_username == "system" and audit.reason == "逾期未报，视为放弃验收"
    page = client.get(_detail_url(late_id)).get_data(as_text=True)
    assert "逾期未报，视为放弃验收" in page and "保存申请材料" not in page


def test_the_forfeit_command_is_idempotent(app, world, cycle_open, runner):
    with app.app_context():
        rec = prepare(world, world.communities["a"].id)
        rec_id, record_id = rec.id, rec.record_id
        db.session.commit()
    result = runner.invoke(accreditation_cli, ["forfeit-overdue", "--year", str(YEAR)])
    assert result.exit_code == 0 and "尚未截止" in result.output
    cycle_open.set(shanghai(YEAR, 11, 1, 0, 0, 0))
    first = runner.invoke(accreditation_cli, ["forfeit-overdue"])
    second = runner.invoke(accreditation_cli, ["forfeit-overdue"])
    assert first.exit_code == 0 and "2026 年：1 个推荐逾期未报，记为放弃验收" in first.output
    assert second.exit_code == 0 and "2026 年：没有逾期未报的推荐" in second.output
    assert "没有 1999 年" in runner.invoke(accreditation_cli, ["forfeit-overdue", "--year", "1999"]).output
    with app.app_context():
        assert db.session.get(Recommendation, rec_id).status == RecommendationStatus.FORFEITED
        assert len(entries(record_id, "forfeited")) == 1
        assert len(audit_actions("accreditation.forfeit")) == 1
        assert recommend.forfeit_overdue(cycle()) == 0


# --- the office's overview ------------------------------------------------------------------------------


def test_the_overview_counts_every_district_against_its_quota(app, world, cycle_open):
    with app.app_context():
        prepare(world, world.communities["a"].id)
        recommend.submit_recommendations(actor(world), cycle())
        db.session.commit()
        rows, total = recommend.district_counts(cycle())
        standing = {row.district_name: row.standing_label for row in rows}
        assert standing == {"金水区": "已达配额", "二七区": "未报送"}
        assert (total.units, total.quota, total.submitted, total.drafts) == (4, 2, 1, 0)
    office = app.test_client()
    login(office, "office")
    page = office.get(f"/accreditation/recommendations?year={YEAR}").get_data(as_text=True)
    assert "金水区" in page and "二七区" in page and "未报送" in page and "已达配额" in page
    assert 'data-testid="total"' in page and "2026年10月31日 23:59（北京时间）" in page
    printed = office.get(f"/accreditation/recommendations/print?year={YEAR}").get_data(as_text=True)
    assert "推荐情况汇总表" in printed and "金水区第一社区" in printed and "data-print" in printed
    # a district admin sees the own row only, and no total
    mine = district_client(app).get(f"/accreditation/recommendations?year={YEAR}").get_data(as_text=True)
    assert "金水区" in mine and "二七区" not in mine and 'data-testid="total"' not in mine
    erqi = app.test_client()
    login(erqi, "erqi")
    assert "金水区第一社区" not in erqi.get(f"/accreditation/recommendations/print?year={YEAR}").get_data(as_text=True)


def test_a_district_that_never_recommended_stays_not_submitted_after_the_deadline(ctx, world, cycle_open):
    cycle_open.set(shanghai(YEAR, 11, 2, 9, 0))
    assert recommend.forfeit_overdue(cycle()) == 0
    rows, _total = recommend.district_counts(cycle())
    assert {r.district_name: (r.standing_label, r.forfeited) for r in rows} == {
        "金水区": ("未报送", 0),
        "二七区": ("未报送", 0),
    }
    assert db.session.scalar(select(func.count(AccreditationRecord.id))) == 0


def test_the_district_page_shows_quota_deadline_and_actions(app, world, cycle_open):
    with app.app_context():
        add_communities(world, 9)
        prepare(world, world.communities["a"].id)
        db.session.commit()
    page = (
        district_client(app)
        .get(f"/accreditation/recommendations/districts/{world.districts['a'].id}?year={YEAR}")
        .get_data(as_text=True)
    )
    assert 'data-testid="unit-count">11<' in page and 'data-testid="quota">2<' in page
    assert 'data-testid="recommended">1<' in page and "还需推荐 1 个" in page
    assert "2026年10月31日 23:59（北京时间）" in page and 'data-testid="submit"' in page
    assert 'data-testid="recommend-41010501900"' in page  # a unit not yet recommended
    assert 'data-testid="recommend-41010501001"' not in page  # the one already recommended
    office = app.test_client()
    login(office, "office")
    read_only = office.get(f"/accreditation/recommendations/districts/{world.districts['a'].id}?year={YEAR}")
    text = read_only.get_data(as_text=True)
    assert read_only.status_code == 200 and 'data-testid="submit"' not in text and "推荐</button>" not in text
    assert (
        district_client(app).get(f"/accreditation/recommendations/districts/{world.districts['b'].id}").status_code
        == 404
    )
    assert office.get(f"/accreditation/recommendations/districts/{world.communities['a'].id}").status_code == 404


# --- downloads ---------------------------------------------------------------------------------------


def test_downloads_are_scoped_to_the_district(app, world, cycle_open):
    with app.app_context():
        rec = prepare(world, world.communities["a"].id)
        url = f"{_detail_url(rec.id)}/materials/{rec.materials[0].id}"
        db.session.commit()
    for username, expected in (("jinshui", 200), ("office", 200), ("admin", 200), ("erqi", 404), ("kaosheng", 403)):
        client = app.test_client()
        login(client, username)
        response = client.get(url)
        assert response.status_code == expected, username
        if expected == 200:
            assert response.data == PDF
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.close()
    assert app.test_client().get(url).status_code == 302  # anonymous: to the login page


def test_a_material_is_reached_only_through_its_own_recommendation(app, world, cycle_open):
    with app.app_context():
        one = prepare(world, world.communities["a"].id)
        other = prepare(world, world.streets["a"].id)
        url = f"{_detail_url(other.id)}/materials/{one.materials[0].id}"
        db.session.commit()
    assert district_client(app).get(url).status_code == 404


# --- every role's pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["jinshui", "office", "admin"])
def test_the_pages_render_for_each_role(app, world, cycle_open, username):
    with app.app_context():
        rec_id = prepare(world, world.communities["a"].id).id
        db.session.commit()
    client = app.test_client()
    login(client, username)
    for path in (
        "/accreditation/recommendations",
        f"/accreditation/recommendations?year={YEAR}",
        "/accreditation/recommendations/print",
        f"/accreditation/recommendations/districts/{world.districts['a'].id}",
        _detail_url(rec_id),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "金水区" in response.get_data(as_text=True)
    detail = client.get(_detail_url(rec_id)).get_data(as_text=True)
    assert ("保存申请材料" in detail) == (username == "jinshui")


def test_an_examinee_sees_none_of_it(app, world, cycle_open):
    client = app.test_client()
    login(client, "kaosheng")
    assert client.get("/accreditation/recommendations").status_code == 403


def test_the_default_year_is_the_cycle_still_taking_materials(app, world, clock):
    clock.set(shanghai(2027, 3, 1, 9, 0))
    client = district_client(app)
    assert "2027 年" in client.get("/accreditation/recommendations").get_data(as_text=True)
    with app.app_context():
        assert cycle_for_year(2027).materials_deadline == date(2027, 10, 31)


# --- the permission matrix rows (merged into tests/test_permissions.py by the lead) ---------------------


@pytest.mark.parametrize("role", ["anonymous", "examinee", "district_admin", "exam_admin", "office"])
@pytest.mark.parametrize("endpoint", sorted(matrix.EXPECTED))
def test_matrix_rows(app, world, endpoint, role):
    from flask import url_for

    method, allowed = matrix.EXPECTED[endpoint]
    client = app.test_client()
    user = None
    if role != "anonymous":
        user = world.accounts[role]
        assert login(client, user.username).status_code == 302
    with app.test_request_context():
        url = url_for(endpoint, **matrix.url_params(endpoint, world, user))
        db.session.commit()
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/" if role != "anonymous" else "/login")
        response = client.post(url, data={"csrf_token": token, "reason": "矩阵测试"})
    response.close()
    location = response.headers.get("Location", "")
    if role in allowed:
        assert response.status_code not in (401, 403, 404), response.status_code
    elif role == "anonymous":
        assert response.status_code == 302 and "/login" in location
    else:
        assert response.status_code == 403


def test_every_recommendation_endpoint_is_in_the_matrix(app):
    ours = {e for e in app.view_functions if e.startswith("accreditation") and "recommend" in e}
    assert ours == set(matrix.EXPECTED)
