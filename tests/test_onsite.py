"""三查: the re-employed list (ID numbers checked and always masked), the reproducible draw, and the completion rate."""

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from examapp.accreditation.onsite import services as service
from examapp.accreditation.onsite.models import OnsiteCheck, ReemployedPerson, Verification
from examapp.accreditation.onsite.people_sheet import (
    check_rows,
    id_check_character,
    id_number_problem,
    mask_id_number,
    normalise_id_number,
    parse_date,
)
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.cycles.models import Decision, RecordEntry
from examapp.cycles.services import cycle_for_year, record_for
from examapp.errors import DomainError
from examapp.extensions import db
from examapp.spreadsheets import SpreadsheetError

from .conftest import csrf_token

YEAR = 2026


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


def make_id(n, birth="19900101", region="410102"):
    """A valid ID number (GB 11643 check character)."""
    first17 = f"{region}{birth}{n % 1000:03d}"
    return first17 + id_check_character(first17)


def people_ids(count):
    return [make_id(i, birth=f"{1960 + i // 1000 % 40}0101") for i in range(count)]


def rows_of(ids, day="2026-03-05"):
    return [
        {"_row": i + 2, "姓名": f"人员{i}", "身份证号": id_number, "就业单位": f"单位{i}", "就业日期": day}
        for i, id_number in enumerate(ids)
    ]


def _office(world):
    return db.session.get(User, world.accounts["office"].id)


def _check(world, target, count, district="a"):
    record = record_for(cycle_for_year(YEAR), world.communities[district].id, world.districts[district].id)
    check = service.set_target(_office(world), record, target)
    if count:
        service.import_people(_office(world), check, "名单.xlsx", rows_of(people_ids(count)))
    return record, check


# --- ID numbers ------------------------------------------------------------------------


def test_mask_shows_the_first_six_and_last_four():
    assert mask_id_number("41010219900101123X") == "410102********123X"
    assert mask_id_number("410102199001011234") == "410102********1234"
    assert mask_id_number("") == "" and mask_id_number(None) == ""
    assert mask_id_number("12345") == "*****"


def test_check_character_of_gb_11643():
    assert id_check_character("11010519491231002") == "X"  # the standard's own example
    assert id_number_problem("11010519491231002X") is None
    assert id_number_problem(normalise_id_number("11010519491231002x")) is None  # lowercase x accepted
    assert normalise_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert "校验位" in id_number_problem("110105194912310021")
    assert "18 位" in id_number_problem("11010519491231002")
    assert "数字或 X" in id_number_problem("1101051949123100AX")
    assert "文本" in id_number_problem("4.10102199001011E+17")
    assert id_number_problem("") == "身份证号不能为空"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026/3/5", date(2026, 3, 5)),
        ("2026-03-05 00:00:00", date(2026, 3, 5)),  # a date cell, as the reader gives it
        ("2026-02-30", None),
        ("2026.3.5", None),
        ("46000", None),
        ("明年", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


def test_every_problem_listed_by_row_and_column_and_never_quoting_an_id():
    good = people_ids(3)
    rows = rows_of(good) + [
        {"_row": 5, "姓名": "", "身份证号": good[0], "就业单位": "甲", "就业日期": "2026-01-01"},
        {
            "_row": 6,
            "姓名": "乙",
            "身份证号": good[1][:-1] + ("0" if good[1][-1] != "0" else "1"),
            "就业单位": "",
            "就业日期": "2025-12-31",
        },
        {"_row": 7, "姓名": "丙", "身份证号": make_id(900), "就业单位": "丙", "就业日期": "2026/13/1"},
    ]
    people, problems = check_rows(rows, YEAR)
    found = {(p.row, p.column): p.message for p in problems}
    assert found == {
        (5, "姓名"): "姓名不能为空",
        (5, "身份证号"): "身份证号与第 2 行重复",
        (6, "身份证号"): "身份证号校验位不正确，请核对",
        (6, "就业单位"): "就业单位不能为空",
        (6, "就业日期"): "就业日期不在验收年度 2026 年内",
        (7, "就业日期"): "就业日期格式不正确，应为日期，或 YYYY-MM-DD、YYYY/M/D 形式的文字",
    }
    assert not any(i in p.message for p in problems for i in good)


def test_import_is_all_or_nothing_and_replaces_the_list_until_the_draw(ctx, world):
    record, check = _check(world, 10, 5)
    assert len(check.people) == 5
    bad = rows_of(people_ids(4)) + [
        {"_row": 6, "姓名": "错", "身份证号": "123", "就业单位": "x", "就业日期": "2026-01-01"}
    ]
    with pytest.raises(SpreadsheetError) as caught:
        service.import_people(_office(world), check, "b.xlsx", bad)
    assert [(p.row, p.column) for p in caught.value.problems] == [(6, "身份证号")]
    db.session.expire_all()
    assert len(check.people) == 5
    service.import_people(_office(world), check, "c.xlsx", rows_of(people_ids(12)))  # replaces, same IDs reused
    db.session.expire_all()
    assert len(check.people) == 12
    service.draw_sample(_office(world), check)
    with pytest.raises(DomainError, match="已抽样"):
        service.import_people(_office(world), check, "d.xlsx", rows_of(people_ids(3)))
    with pytest.raises(DomainError, match="已抽样"):
        service.set_target(_office(world), record, 20)


@pytest.mark.parametrize("target", [0, -1, 1_000_001, True, "10"])
def test_target_is_a_positive_whole_number(ctx, world, target):
    record = record_for(cycle_for_year(YEAR), world.communities["a"].id, world.districts["a"].id)
    with pytest.raises(DomainError, match="目标任务数"):
        service.set_target(_office(world), record, target)


# --- the draw ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "share", "size"),
    [
        (1, "0.80", 1),
        (2, "0.80", 2),
        (5, "0.80", 4),
        (10, "0.80", 8),
        (11, "0.80", 9),
        (13, "0.80", 11),
        (100, "0.80", 80),
        (101, "0.80", 81),
        (10000, "0.80", 8000),
        (3, "0.333", 1),
        (1000, "0.333", 333),
        (1001, "0.333", 334),
    ],
)
def test_sample_size_is_the_share_rounded_up_exactly(target, share, size):
    assert service.sample_size_for(target, Decimal(share)) == size


def test_draw_positions_are_reproducible_from_the_seed():
    seed = "0123456789abcdef0123456789abcdef"
    first = service.draw_positions(seed, 50, 40)
    assert first == service.draw_positions(seed, 50, 40)
    assert len(set(first)) == 40 and all(0 <= p < 50 for p in first)
    assert first != service.draw_positions("fedcba9876543210fedcba9876543210", 50, 40)
    assert sorted(service.draw_positions(seed, 7, 7)) == list(range(7))


def test_the_algorithm_as_documented():
    """The page tells anyone how to repeat the draw; this is that text's code, run by hand."""
    import random

    seed, n, k = "5f2b0c8e7a1d4e6f9a3b2c1d0e9f8a7b", 30, 24
    rng = random.Random(seed)
    pool = list(range(n))
    for i in range(k):
        j = i + int(rng.random() * (n - i))
        pool[i], pool[j] = pool[j], pool[i]
    assert pool[:k] == service.draw_positions(seed, n, k)


def test_draw_records_seed_size_entry_and_audit_and_is_reproduced(ctx, world):
    record, check = _check(world, 10, 12)
    drawn = service.draw_sample(_office(world), check)
    assert check.sample_size == 8 and len(drawn) == 8 and [p.sample_order for p in drawn] == list(range(1, 9))
    assert len(check.sample_seed) == 32 and check.drawn_by_id == world.accounts["office"].id and check.drawn_at
    assert service.redraw_check(check) == [p.id for p in drawn]
    assert service.draw_is_reproduced(check)
    entry = db.session.scalars(select(RecordEntry).where(RecordEntry.kind == "sample_drawn")).one()
    assert check.sample_seed in entry.text and "抽取 8 人" in entry.text
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "accreditation.onsite_draw")).one()
    assert audit.after["seed"] == check.sample_seed and audit.after["sample_size"] == 8
    # the same seed and list give the same sample; a tampered sample is noticed
    positions = service.draw_positions(check.sample_seed, 12, 8)
    ordered = sorted(check.people, key=lambda p: p.row_no)
    assert [ordered[i].id for i in positions] == [p.id for p in drawn]
    drawn[0].sample_order, drawn[1].sample_order = 2, 1
    db.session.flush()
    assert not service.draw_is_reproduced(check)


def test_a_given_seed_gives_the_same_sample_on_the_same_list(ctx, world):
    seed = "00112233445566778899aabbccddeeff"
    _, one = _check(world, 10, 15, district="a")
    _, two = _check(world, 10, 15, district="b")
    first = [p.row_no for p in service.draw_sample(_office(world), one, seed=seed)]
    second = [p.row_no for p in service.draw_sample(_office(world), two, seed=seed)]
    assert first == second


def test_drawing_twice_is_refused(ctx, world):
    _, check = _check(world, 10, 12)
    service.draw_sample(_office(world), check)
    seed = check.sample_seed
    with pytest.raises(DomainError, match="已抽样，不能重复抽样"):
        service.draw_sample(_office(world), check)
    assert check.sample_seed == seed


def test_a_short_list_is_drawn_whole(ctx, world):
    _, check = _check(world, 10, 5)
    assert service.planned_sample(check) == (5, 8, 5)
    drawn = service.draw_sample(_office(world), check)
    assert len(drawn) == 5 and check.sample_size == 5
    entry = db.session.scalars(select(RecordEntry).where(RecordEntry.kind == "sample_drawn")).one()
    assert "全部抽取" in entry.text


def test_no_draw_without_a_list(ctx, world):
    _, check = _check(world, 10, 0)
    with pytest.raises(DomainError, match="名单"):
        service.draw_sample(_office(world), check)


# --- the completion rate -----------------------------------------------------------------------


def test_completion_at_99_99_percent_fails_and_100_passes():
    rate, passed = service.judge_completion(listed=9999, not_verified=0, false=0, target=10000, required=Decimal("1"))
    assert (service.percent(rate), passed) == ("99.99%", False)
    rate, passed = service.judge_completion(listed=10000, not_verified=0, false=0, target=10000, required=Decimal("1"))
    assert (service.percent(rate), passed) == ("100.00%", True)
    # the unverified leave the count: 10000 listed, 1 sampled not verified -> 9999 / 10000
    rate, passed = service.judge_completion(listed=10000, not_verified=1, false=0, target=10000, required=Decimal("1"))
    assert (rate, passed) == (Fraction(9999, 10000), False)
    # a false entry fails even above 100 %
    rate, passed = service.judge_completion(listed=12000, not_verified=0, false=1, target=10000, required=Decimal("1"))
    assert rate > 1 and passed is False


def test_shown_and_stored_rates_are_floored():
    assert service.percent(Fraction(99999, 100000)) == "99.99%"
    assert service.floor_rate(Fraction(2, 3)) == Decimal("0.666666")
    assert service.floor_rate(Fraction(9999, 10000)) == Decimal("0.9999")


def _verify(world, check, findings):
    """findings: [Verification] in sample order (None leaves one unrecorded)."""
    sample = sorted((p for p in check.people if p.sample_order), key=lambda p: p.sample_order)
    results = {p.id: (v, "") for p, v in zip(sample, findings, strict=False)}
    return service.record_verifications(_office(world), check, results)


def test_the_check_is_judged_only_when_every_sampled_person_is_recorded(ctx, world):
    record, check = _check(world, 10, 10)
    service.draw_sample(_office(world), check)
    _verify(world, check, [Verification.VERIFIED] * 7)
    result = service.outcome(record)
    assert result.passed is None and "7／8" in result.summary
    assert check.completion_rate is None and check.passed is None
    assert not db.session.scalars(select(RecordEntry).where(RecordEntry.kind == "onsite_check")).all()
    _verify(world, check, [Verification.VERIFIED] * 8)
    assert (check.completion_rate, check.passed) == (Decimal("1"), True)
    entry = db.session.scalars(select(RecordEntry).where(RecordEntry.kind == "onsite_check")).one()
    assert (entry.status, entry.text) == ("passed", "完成率 100.00%（核实 10／目标 10），无虚假")
    assert service.outcome(record).passed is True


def test_an_unverified_person_below_the_target_fails(ctx, world):
    record, check = _check(world, 10, 10)
    service.draw_sample(_office(world), check)
    _verify(world, check, [Verification.VERIFIED] * 7 + [Verification.NOT_VERIFIED])
    result = service.outcome(record)
    assert result.passed is False and check.completion_rate == Decimal("0.9")
    assert result.reasons == ["完成率 90.00%，未达到 100%（核实 9／目标 10）"]


def test_a_false_entry_fails_even_above_the_target(ctx, world):
    record, check = _check(world, 10, 14)
    service.draw_sample(_office(world), check)
    _verify(world, check, [Verification.FALSE] + [Verification.VERIFIED] * 7)
    result = service.outcome(record)
    assert result.passed is False and check.completion_rate == Decimal("1.3")
    assert result.summary == "完成率 130.00%（核实 13／目标 10），发现虚假 1 人"
    assert result.reasons == ["抽查发现虚假上报 1 人"]
    entries = db.session.scalars(select(RecordEntry).where(RecordEntry.kind == "onsite_check")).all()
    assert [e.status for e in entries] == ["failed"]


def test_findings_only_for_the_sampled_and_not_after_the_decision(ctx, world):
    record, check = _check(world, 2, 5)
    service.draw_sample(_office(world), check)
    unsampled = next(p for p in check.people if p.sample_order is None)
    with pytest.raises(DomainError, match="抽中"):
        service.record_verifications(_office(world), check, {unsampled.id: (Verification.VERIFIED, "")})
    record.decision = Decision.FAILED
    with pytest.raises(DomainError, match="验收决定已确认"):
        _verify(world, check, [Verification.VERIFIED] * 2)


# --- the pages: no full ID number anywhere ------------------------------------------------------


def _xlsx(rows, header=("姓名", "身份证号", "就业单位", "就业日期")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client, record_id, data, name="名单.xlsx"):
    token = csrf_token(client, f"/accreditation/records/{record_id}/onsite")
    return client.post(
        f"/accreditation/records/{record_id}/onsite/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _post(client, record_id, path, data=None):
    token = csrf_token(client, f"/accreditation/records/{record_id}/onsite")
    return client.post(f"/accreditation/records/{record_id}/onsite{path}", data={"csrf_token": token, **(data or {})})


def _assert_no_full_id(text, ids):
    leaked = [i for i in ids if i in text or i.lower() in text]
    assert leaked == []


def test_the_whole_flow_through_the_pages_never_shows_a_full_id(app, as_role, world):
    with app.app_context():
        record_id = record_for(cycle_for_year(YEAR), world.communities["a"].id, world.districts["a"].id).id
        db.session.commit()
    ids = people_ids(11)
    ids[3] = next(make_id(n, birth="19800101") for n in range(1000) if make_id(n, birth="19800101").endswith("X"))
    assert ids[3] not in ids[:3] + ids[4:]
    office = as_role("office")
    assert _post(office, record_id, "/target", {"target": "0"}).status_code == 400
    assert _post(office, record_id, "/target", {"target": "12"}).status_code == 302

    bad = _xlsx([("甲", ids[0], "单位", "2026-01-01"), ("乙", ids[0], "单位", "2025-01-01")])
    response = _upload(office, record_id, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "与第 2 行重复" in html and "不在验收年度" in html
    _assert_no_full_id(html, ids)

    rows = [
        (
            f"人员{i}",
            id_number.lower() if i == 3 else id_number,
            f"单位{i}",
            datetime(2026, 3, 1 + i) if i % 2 else f"2026/3/{1 + i}",
        )
        for i, id_number in enumerate(ids)
    ]
    assert _upload(office, record_id, _xlsx(rows)).status_code == 302
    page = office.get(f"/accreditation/records/{record_id}/onsite").get_data(as_text=True)
    assert mask_id_number(ids[0]) in page and '将抽取 <strong data-testid="planned-size">10</strong>' in page
    _assert_no_full_id(page, ids)

    assert _post(office, record_id, "/draw").status_code == 302
    again = _post(office, record_id, "/draw")
    assert "已抽样，不能重复抽样" in office.get(again.headers["Location"]).get_data(as_text=True)

    verify = office.get(f"/accreditation/records/{record_id}/onsite/verify")
    assert verify.status_code == 200
    _assert_no_full_id(verify.get_data(as_text=True), ids)
    with app.app_context():
        sample = db.session.scalars(
            select(ReemployedPerson)
            .join(OnsiteCheck)
            .where(OnsiteCheck.record_id == record_id, ReemployedPerson.sample_order.is_not(None))
            .order_by(ReemployedPerson.sample_order)
        ).all()
    findings = {f"v-{p.id}": Verification.VERIFIED for p in sample}
    findings[f"v-{sample[0].id}"] = "maybe"
    token = csrf_token(office, f"/accreditation/records/{record_id}/onsite/verify")
    refused = office.post(f"/accreditation/records/{record_id}/onsite/verify", data={"csrf_token": token, **findings})
    assert refused.status_code == 400 and "请选择核实结果" in refused.get_data(as_text=True)
    findings[f"v-{sample[0].id}"] = Verification.NOT_VERIFIED
    findings[f"n-{sample[0].id}"] = "本人外出务工，单位查无此人"
    saved = office.post(f"/accreditation/records/{record_id}/onsite/verify", data={"csrf_token": token, **findings})
    assert saved.status_code == 302
    page = office.get(f"/accreditation/records/{record_id}/onsite").get_data(as_text=True)
    assert "三查不合格" in page and "完成率 83.33%（核实 10／目标 12）" in page
    _assert_no_full_id(page, ids)

    printed = office.get(f"/accreditation/records/{record_id}/onsite/print").get_data(as_text=True)
    assert "三查抽样核实表" in printed
    _assert_no_full_id(printed, ids)

    export = office.get(f"/accreditation/records/{record_id}/onsite/export.xlsx")
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        unpacked = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    _assert_no_full_id(unpacked, ids)
    book = load_workbook(io.BytesIO(export.data))
    assert book.sheetnames == ["抽样核实", "上报名单"]
    values = [c.value for row in book["上报名单"].iter_rows() for c in row if c.value]
    assert mask_id_number(ids[0]) in values and mask_id_number(ids[3]) in values and ids[3].endswith("X")

    audit = office.get("/audit/").get_data(as_text=True)
    _assert_no_full_id(audit, ids)
    record_page = office.get(f"/accreditation/records/{record_id}").get_data(as_text=True)
    _assert_no_full_id(record_page, ids)


def test_export_cells_are_neutralised(app, as_role, world):
    with app.app_context():
        record, check = _check(world, 2, 0)
        service.import_people(
            _office(world),
            check,
            "x.xlsx",
            [
                {
                    "_row": 2,
                    "姓名": '=HYPERLINK("x")',
                    "身份证号": make_id(1),
                    "就业单位": "+cmd",
                    "就业日期": "2026-01-02",
                },
            ],
        )
        db.session.commit()
        record_id = record.id
    export = as_role("office").get(f"/accreditation/records/{record_id}/onsite/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.data))["上报名单"]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("x")' in values and "'+cmd" in values


def test_template_download_is_an_xlsx_with_the_columns(as_role):
    response = as_role("office").get("/accreditation/onsite/template.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "身份证号", "就业单位", "就业日期"]
    assert sheet.cell(row=2, column=2).number_format == "@"


def test_district_admins_see_their_own_district_only(app, as_role, world):
    with app.app_context():
        mine = record_for(cycle_for_year(YEAR), world.communities["a"].id, world.districts["a"].id).id
        other = record_for(cycle_for_year(YEAR), world.communities["b"].id, world.districts["b"].id).id
        db.session.commit()
    jinshui = as_role("district_admin")
    assert jinshui.get(f"/accreditation/records/{mine}/onsite").status_code == 200
    assert jinshui.get(f"/accreditation/records/{other}/onsite").status_code == 404
    assert _post(jinshui, mine, "/target", {"target": "5"}).status_code == 403
