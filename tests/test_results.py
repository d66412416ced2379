"""Unit scores under the 95-point rule, sealing into the accreditation record, corrections, exports."""

import io
from decimal import Decimal
from itertools import count
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from examapp.audit.models import AuditEntry
from examapp.auth.models import Role, User
from examapp.clock import utcnow
from examapp.cycles.models import AccreditationRecord, RecordEntry, RecordStatus
from examapp.errors import DomainError
from examapp.exams.models import Exam, ExamStatus, RosterEntry
from examapp.exams.services import close_exam
from examapp.extensions import db
from examapp.org.models import Unit, UnitKind
from examapp.org.services import create_unit
from examapp.results.export import HEADER_ROWS
from examapp.results.models import UnitResult
from examapp.results.scores import Verdict, floor2, live_unit_scores, unit_scores
from examapp.results.services import excuse_absence, seal_exam, withdraw_excuse
from examapp.sitting.models import AttemptState
from examapp.sitting.services import start_attempt
from examapp.staff.services import create_user

from . import exam_factories
from .conftest import csrf_token, login

EXCUSED = "excused"


#: community codes under a street: a counter, so two names never draw the same code
_CODES = count(100)


def _unit(world, name, district="a"):
    street = db.session.merge(world.streets[district])
    return create_unit(None, code=f"{street.code}{next(_CODES)}", name=name, kind=UnitKind.COMMUNITY, parent=street)


def _person(unit, n):
    user, _ = create_user(None, username=f"p{unit.id}x{n}", name=f"{unit.name}考生{n}", role=Role.EXAMINEE, unit=unit)
    return user


def sit(exam, user, score):
    attempt = start_attempt(exam, user)
    attempt.state, attempt.score = AttemptState.SUBMITTED, Decimal(score)
    attempt.submitted_at, attempt.submit_reason = utcnow(), "examinee"
    return attempt


def build(world, outcomes, district="a"):
    """{unit name: [score | None (absent) | EXCUSED, ...]} -> (exam, {unit name: unit}, {unit name: [user]})."""
    units, people = {}, {}
    for name, results in outcomes.items():
        units[name] = _unit(world, name, district)
        people[name] = [_person(units[name], i) for i in range(len(results))]
    db.session.flush()
    exam = exam_factories.exam(None, publish=False)
    from examapp.exams.services import add_to_roster, publish_exam

    add_to_roster(None, exam, units=list(units.values()))
    publish_exam(None, exam)
    for name, results in outcomes.items():
        for user, result in zip(people[name], results, strict=True):
            if result is None:
                continue
            if result == EXCUSED:
                entry = db.session.scalar(
                    select(RosterEntry).where(RosterEntry.exam_id == exam.id, RosterEntry.user_id == user.id)
                )
                excuse_absence(None, entry, "因公出差，有单位证明")
            else:
                sit(exam, user, result)
    db.session.flush()
    return exam, units, people


def by_name(scores):
    return {s.unit_name: s for s in scores}


# --- the rule at its edges ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "scores, shown, verdict",
    [
        (["95", "95"], "95.00", Verdict.PASSED),  # exactly the threshold passes
        (["94.99", "94.99"], "94.99", Verdict.DISQUALIFIED),
        (["94.99", "95"], "94.99", Verdict.DISQUALIFIED),  # 94.995: shown floored, never rounded up to 95.00
        (["95", "95", "95.01"], "95.00", Verdict.PASSED),  # 95.00333...
        (["100", "94.99", "89.99"], "94.99", Verdict.DISQUALIFIED),  # 94.9933...
        (["100", "89.99"], "94.99", Verdict.DISQUALIFIED),  # 94.995
        (["95.01", "94.99"], "95.00", Verdict.PASSED),  # 95.000 exactly, from two sides
    ],
)
def test_the_rule_at_its_edges(ctx, world, scores, shown, verdict):
    exam, _, _ = build(world, {"红旗社区": scores})
    score = by_name(live_unit_scores(exam))["红旗社区"]
    assert str(score.average_shown) == shown
    assert score.verdict == verdict
    assert score.reason == (f"考试平均分 {shown} ≥ 95" if verdict == Verdict.PASSED else f"考试平均分 {shown} < 95")


def test_floor_never_rounds_up():
    from fractions import Fraction

    assert floor2(Fraction(94996, 1000)) == Decimal("94.99")
    assert floor2(Fraction(18999, 200)) == Decimal("94.99")  # 94.995
    assert floor2(Decimal("95")) == Decimal("95.00")


def test_absentees_count_zero_and_excused_leave_the_denominator(ctx, world):
    exam, _, _ = build(
        world,
        {
            "缺考社区": ["100", "100", "100", None],  # 300 / 4 = 75
            "批准社区": ["96", "98", EXCUSED],  # 194 / 2 = 97
        },
    )
    scores = by_name(live_unit_scores(exam))
    absent, excused = scores["缺考社区"], scores["批准社区"]
    assert (absent.roster_size, absent.sat, absent.excused, absent.absent) == (4, 3, 0, 1)
    assert absent.average_shown == Decimal("75.00") and absent.verdict == Verdict.DISQUALIFIED
    assert (excused.roster_size, excused.sat, excused.excused, excused.absent) == (3, 2, 1, 0)
    assert excused.average_shown == Decimal("97.00") and excused.verdict == Verdict.PASSED
    assert (excused.highest, excused.lowest) == (Decimal("98.00"), Decimal("96.00"))


def test_a_unit_whose_only_absentee_is_excused(ctx, world):
    exam, _, _ = build(world, {"只有一人": [EXCUSED], "两人一缺": ["95", EXCUSED]})
    scores = by_name(live_unit_scores(exam))
    assert scores["只有一人"].verdict == Verdict.NO_RESULT and scores["只有一人"].average is None
    assert "均已批准缺考" in scores["只有一人"].reason
    assert scores["两人一缺"].average_shown == Decimal("95.00") and scores["两人一缺"].verdict == Verdict.PASSED


def test_a_unit_with_nobody_sitting_scores_zero(ctx, world):
    exam, _, _ = build(world, {"无人参考": [None, None, None]})
    score = by_name(live_unit_scores(exam))["无人参考"]
    assert score.sat == 0 and score.average_shown == Decimal("0.00") and score.verdict == Verdict.DISQUALIFIED
    assert score.highest is None and score.lowest is None


def test_voided_and_unfinished_attempts_count_as_absent(ctx, world):
    from examapp.sitting.services import void_attempt

    exam, _, people = build(world, {"作废社区": ["100", None, None]})
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    void_attempt(admin, start_attempt(exam, people["作废社区"][1]), "替考")
    start_attempt(exam, people["作废社区"][2])  # still in progress
    score = by_name(live_unit_scores(exam))["作废社区"]
    assert (score.sat, score.absent) == (1, 2) and score.average_shown == Decimal("33.33")


def test_a_transfer_after_the_roster_froze_never_moves_a_score(ctx, world):
    exam, units, people = build(world, {"原单位": ["96", "94"], "新单位": ["95"]})
    mover = people["原单位"][1]
    mover.unit_id = units["新单位"].id  # transferred after the roster was made
    db.session.flush()
    scores = by_name(live_unit_scores(exam))
    assert scores["原单位"].sat == 2 and scores["原单位"].average_shown == Decimal("95.00")
    assert scores["新单位"].sat == 1


# --- sealing and corrections ---------------------------------------------------------------------


def _office():
    return db.session.scalar(select(User).where(User.username == "office"))


def _closed(exam):
    close_exam(None, exam)
    return exam


def test_sealing_needs_a_closed_exam(ctx, world):
    exam, _, _ = build(world, {"甲社区": ["96"]})
    with pytest.raises(DomainError, match="考试结束后才能封存"):
        seal_exam(_office(), exam)


def test_sealing_stores_scores_and_writes_the_records(ctx, world):
    exam, units, _ = build(
        world, {"合格社区": ["96", "95"], "落选社区": ["100", "88.74", "94.37"], "空社区": [EXCUSED]}
    )
    seal_exam(_office(), _closed(exam))
    assert exam.status == ExamStatus.SEALED and exam.sealed_at is not None
    stored = {r.unit_id: r for r in db.session.scalars(select(UnitResult).where(UnitResult.exam_id == exam.id))}
    assert stored[units["落选社区"].id].score_sum == Decimal("283.11")
    assert stored[units["落选社区"].id].verdict == Verdict.DISQUALIFIED
    records = {r.unit_id: r for r in db.session.scalars(select(AccreditationRecord))}
    failed = records[units["落选社区"].id]
    assert failed.status == RecordStatus.DISQUALIFIED and failed.exam_average == Decimal("94.37")
    assert failed.status_reason == "考试平均分 94.37 < 95"
    assert failed.entries[0].text == "取消验收资格：考试平均分 94.37 < 95"
    assert records[units["合格社区"].id].entries[0].text == "考试合格，平均分 95.50"
    assert records[units["空社区"].id].status == RecordStatus.NO_RESULT
    assert failed.cycle.year == 2026 and failed.district_id == world.districts["a"].id
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.seal"))
    assert audit.after["disqualified"] == 1 and audit.after["passed"] == 1
    with pytest.raises(DomainError, match="已经封存"):
        seal_exam(_office(), exam)


def test_sealed_figures_do_not_follow_silent_changes(ctx, world):
    exam, _, people = build(world, {"甲社区": ["96", "94"]})
    seal_exam(_office(), _closed(exam))
    # a change that does not go through a correction is not shown as the sealed result
    attempt = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == people["甲社区"][1].id))
    from examapp.sitting.models import Attempt

    db.session.scalar(select(Attempt).where(Attempt.roster_entry_id == attempt.id)).score = Decimal("0")
    db.session.flush()
    assert by_name(unit_scores(exam))["甲社区"].average_shown == Decimal("95.00")
    assert by_name(live_unit_scores(exam))["甲社区"].average_shown == Decimal("48.00")


def test_an_excusal_after_sealing_re_derives_the_record(ctx, world):
    exam, units, people = build(world, {"乙社区": ["96", "96", "96", None]})  # 288 / 4 = 72: disqualified
    seal_exam(_office(), _closed(exam))
    admin = db.session.scalar(select(User).where(User.username == "jinshui"))
    entry = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == people["乙社区"][3].id))
    changed = excuse_absence(admin, entry, "住院治疗，有医院证明")
    assert [s.unit_name for s in changed] == ["乙社区"]
    stored = db.session.scalar(select(UnitResult).where(UnitResult.unit_id == units["乙社区"].id))
    assert stored.revision == 1 and stored.excused == 1 and stored.verdict == Verdict.PASSED
    record = db.session.scalar(select(AccreditationRecord).where(AccreditationRecord.unit_id == units["乙社区"].id))
    assert record.status == RecordStatus.EXAM_PASSED and record.exam_average == Decimal("96.00")
    correction = record.entries[-1]
    assert correction.kind == "exam_corrected" and correction.before_status == RecordStatus.DISQUALIFIED
    assert correction.before_average == Decimal("72.00") and "住院治疗" in correction.reason
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "results.correct"))
    assert "72.00 取消验收资格" in next(iter(audit.before.values()))
    assert "96.00 合格" in next(iter(audit.after.values()))
    # withdrawing it goes back, as another entry
    withdraw_excuse(admin, entry, "证明不实")
    assert record.status == RecordStatus.DISQUALIFIED and len(record.entries) == 3
    assert db.session.scalar(select(UnitResult.revision).where(UnitResult.unit_id == units["乙社区"].id)) == 2


def test_a_correction_leaves_a_unit_where_nobody_sat_alone(ctx, world):
    """Issue 17.8: the stored sum 0.00 and the live sum 0 are the same number (PostgreSQL read them
    back as "0.00" and "0", and every correction wrote a false entry into such a unit's record)."""
    exam, units, people = build(world, {"无人社区": [None, None], "己社区": ["96", "96", None]})
    seal_exam(_office(), _closed(exam))
    admin = db.session.scalar(select(User).where(User.username == "jinshui"))
    entry = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == people["己社区"][2].id))
    changed = excuse_absence(admin, entry, "住院治疗，有医院证明")
    assert [s.unit_name for s in changed] == ["己社区"]
    nobody = db.session.scalar(select(UnitResult).where(UnitResult.unit_id == units["无人社区"].id))
    assert nobody.revision == 0 and nobody.score_sum == 0
    record = db.session.scalar(select(AccreditationRecord).where(AccreditationRecord.unit_id == units["无人社区"].id))
    assert [e.kind for e in record.entries] != [] and all(e.kind != "exam_corrected" for e in record.entries)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "results.correct"))
    assert list(audit.after) == [f"己社区（{units['己社区'].code}）"]


def test_someone_who_sat_cannot_be_excused(ctx, world):
    exam, _, people = build(world, {"丙社区": ["80"]})
    entry = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == people["丙社区"][0].id))
    with pytest.raises(DomainError, match="已参加考试"):
        excuse_absence(None, entry, "理由")
    with pytest.raises(DomainError, match="请填写原因"):
        excuse_absence(None, entry, "  ")


def _sealed_with_a_wrong_key(world, unit_name):
    """A sealed exam of two people who both answered "C" to a single-choice question whose key was
    wrong, and the bank's corrected question: (exam, unit, attempts, target item, used version, scores)."""
    from examapp.bank.content import QuestionData
    from examapp.bank.services import update_question
    from examapp.sitting.services import submit_attempt

    unit = _unit(world, unit_name)
    users = [_person(unit, i) for i in range(2)]
    exam = exam_factories.exam(None, publish=False)
    from examapp.exams.services import add_to_roster, publish_exam

    add_to_roster(None, exam, units=[unit])
    publish_exam(None, exam)
    attempts = [start_attempt(exam, user, seed=7) for user in users]  # the same draw: both see the question
    for attempt in attempts:  # everyone answers everything by the key, except one single-choice question answered "C"
        for item in attempt.items:
            item.response = item.version.answer if item.version.qtype != "blank" else ["x"]
    target = next(i for i in attempts[0].items if i.version.qtype == "single")
    version = target.version
    for attempt in attempts:
        for item in attempt.items:
            if item.question_version_id == version.id:
                item.response = "C"
    for attempt in attempts:
        submit_attempt(attempt, "examinee")
    before = [a.score for a in attempts]
    seal_exam(_office(), _closed(exam))
    # the bank's key was wrong: the question is corrected to "C"
    data = QuestionData(
        qtype=version.qtype,
        stem=version.stem,
        options=list(version.options),
        answer="C",
        explanation=version.explanation,
        source=version.source,
        difficulty=version.difficulty,
        category_id=version.category_id,
    )
    update_question(None, version.question, data)
    db.session.flush()
    return exam, unit, attempts, target, version, before


def test_regrading_after_a_wrong_key_re_derives_the_sealed_results(ctx, world):
    from examapp.results.services import regrade_candidates, regrade_with_key
    from examapp.sitting.models import Attempt, AttemptItem

    exam, unit, attempts, target, version, before = _sealed_with_a_wrong_key(world, "丁社区")
    candidates = regrade_candidates(exam)
    assert [(v.id, latest.answer) for v, latest, _n in candidates] == [(version.id, "C")]
    items, changed, units_changed = regrade_with_key(None, exam, version, candidates[0][1], "依据第二十九条更正答案")
    assert items == 2 and changed == 2 and [s.unit_name for s in units_changed] == ["丁社区"]
    after = [db.session.get(Attempt, a.id).score for a in attempts]
    assert all(a - b == target.points for a, b in zip(after, before, strict=True))
    regraded = db.session.scalar(select(AttemptItem).where(AttemptItem.id == target.id))
    assert regraded.question_version_id == version.id and regraded.key_version_id == candidates[0][1].id
    record = db.session.scalar(select(AccreditationRecord).where(AccreditationRecord.unit_id == unit.id))
    assert record.entries[-1].kind == "exam_corrected" and "依据第二十九条" in record.entries[-1].reason
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.regrade")).after["scores_changed"] == 2


def test_the_regrade_audit_records_the_old_and_the_new_key(ctx, world):
    """Issue 17.9: the entry's "before" was read after the items already pointed at the new key."""
    from examapp.results.services import regrade_candidates, regrade_with_key

    exam, _unit_row, _attempts, _target, version, _before = _sealed_with_a_wrong_key(world, "庚社区")
    original = version.answer
    assert original != "C"
    corrected = regrade_candidates(exam)[0][1]
    regrade_with_key(None, exam, version, corrected, "依据第二十九条更正答案")
    first = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.regrade"))
    assert first.before["key"] == original and first.before["key_version_id"] == version.id
    assert first.after["key"] == "C" and first.after["key_version_id"] == corrected.id
    # and back to the original key: the old key is now the corrected one
    regrade_with_key(None, exam, version, version, "更正有误，恢复原答案")
    second = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "exam.regrade").order_by(AuditEntry.id.desc())
    ).first()
    assert second.before["key"] == "C" and second.before["key_version_id"] == corrected.id
    assert second.after["key"] == original and second.after["key_version_id"] == version.id


# --- pages, export and scope -----------------------------------------------------------------------


@pytest.fixture
def sealed_city(app, world):
    """Units in two districts, one with a malicious name; sealed. Returns the exam id."""
    with app.app_context():
        exam, _, _ = build(world, {'=HYPERLINK("http://x")社区': ["100", "90"], "安全社区": ["96"]})
        b_exam_units = {"二七社区": _unit(world, "二七社区", "b")}
        person = _person(b_exam_units["二七社区"], 0)
        from examapp.exams.services import add_to_roster

        exam.status = ExamStatus.DRAFT
        add_to_roster(None, exam, units=list(b_exam_units.values()))
        exam.status = ExamStatus.PUBLISHED
        sit(exam, person, "80")
        close_exam(None, exam)
        seal_exam(db.session.scalar(select(User).where(User.username == "office")), exam)
        db.session.commit()
        return exam.id


def _read(data, sheet):
    return pd.read_excel(io.BytesIO(data), sheet_name=sheet, skiprows=HEADER_ROWS, dtype=object)


def test_the_workbook_matches_the_database_and_neutralises_names(app, sealed_city):
    client = app.test_client()
    login(client, "office")
    response = client.get(f"/exams/{sealed_city}/results.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    units = _read(response.data, "单位成绩")
    assert '\'=HYPERLINK("http://x")社区' in set(units["单位名称"])
    assert not any(str(v).startswith("=") for v in units["单位名称"])
    with app.app_context():
        exam = db.session.get(Exam, sealed_city)
        expected = {s.unit_code: s for s in unit_scores(exam)}
    assert len(units) == len(expected) == 3
    for _, row in units.iterrows():
        score = expected[str(row["单位编码"])]
        assert Decimal(str(row["平均分"])) == score.average_shown
        assert row["结果"] == Verdict.LABELS[score.verdict] and row["应考人数"] == score.roster_size
    people = _read(response.data, "人员成绩")
    assert len(people) == 4 and set(people["状态"]) == {"已交卷"}
    districts = _read(response.data, "区县汇总")
    assert set(districts["区县"]) == {"金水区", "二七区"}
    header = pd.read_excel(io.BytesIO(response.data), sheet_name="单位成绩", header=None, nrows=2)
    assert "考试：" in header.iloc[0, 0] and "成绩封存时间" in header.iloc[1, 0]


def test_a_district_admin_sees_and_exports_only_their_district(app, sealed_city):
    client = app.test_client()
    login(client, "erqi")  # district b
    page = client.get(f"/exams/{sealed_city}/results?district=0").get_data(as_text=True)
    assert "二七社区" in page and "安全社区" not in page
    data = client.get(f"/exams/{sealed_city}/results.xlsx").data
    assert set(_read(data, "单位成绩")["单位名称"]) == {"二七社区"}
    assert set(_read(data, "人员成绩")["区县"]) == {"二七区"}
    with app.app_context():
        other = db.session.scalar(select(Unit.id).where(Unit.name == "安全社区"))
    assert client.get(f"/exams/{sealed_city}/results/units/{other}").status_code == 404


def test_the_city_table_filters_and_sorts(app, sealed_city):
    client = app.test_client()
    login(client, "office")
    page = client.get(f"/exams/{sealed_city}/results?result=disqualified").get_data(as_text=True)
    assert "二七社区" in page and "安全社区" not in page.split('data-testid="unit-table"')[1]
    ordered = client.get(f"/exams/{sealed_city}/results?sort=average&dir=desc").get_data(as_text=True)
    table = ordered.split('data-testid="unit-table"')[1]
    assert table.index("安全社区") < table.index("HYPERLINK") < table.index("二七社区")
    assert "&lt;" not in table or "<script" not in table


def test_the_office_seals_from_the_page_and_the_record_says_why(app, world):
    with app.app_context():
        exam, units, _ = build(world, {"戊社区": ["94", "94.74"]})
        close_exam(None, exam)
        db.session.commit()
        exam_id, unit_id = exam.id, units["戊社区"].id
    client = app.test_client()
    login(client, "office")
    page = client.get(f"/exams/{exam_id}/results").get_data(as_text=True)
    assert "未封存" in page and 'data-testid="seal"' in page
    refused = client.post(f"/exams/{exam_id}/results/seal", data={"csrf_token": csrf_token(client, "/")})
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(Exam, exam_id).status == ExamStatus.CLOSED  # not confirmed: nothing sealed
    sealed = client.post(
        f"/exams/{exam_id}/results/seal",
        data={"csrf_token": csrf_token(client, "/"), "confirm": "y"},
        follow_redirects=True,
    )
    assert "成绩已封存" in sealed.get_data(as_text=True)
    records = client.get("/accreditation/?year=2026").get_data(as_text=True)
    assert "戊社区" in records and "考试平均分 94.37 &lt; 95" in records
    with app.app_context():
        record_id = db.session.scalar(select(AccreditationRecord.id).where(AccreditationRecord.unit_id == unit_id))
        assert db.session.scalar(select(RecordEntry.text).where(RecordEntry.record_id == record_id)) == (
            "取消验收资格：考试平均分 94.37 < 95"
        )
    detail = client.get(f"/accreditation/records/{record_id}").get_data(as_text=True)
    assert "取消验收资格：考试平均分 94.37 &lt; 95" in detail


def test_report_cli_writes_the_same_workbook(app, sealed_city, runner, tmp_path):
    out = tmp_path / "scores.xlsx"
    result = runner.invoke(args=["report", "unit-scores", str(sealed_city), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(_read(out.read_bytes(), "单位成绩")) == 3
    bad = runner.invoke(args=["report", "unit-scores", "999999", "--out", str(out)])
    assert bad.exit_code != 0 and "没有编号为 999999" in bad.output


def test_the_print_layout_has_the_title_and_page_numbers(app, sealed_city):
    client = app.test_client()
    login(client, "office")
    page = client.get(f"/exams/{sealed_city}/results/print").get_data(as_text=True)
    assert "闭卷考试单位成绩表" in page and "成绩封存时间" in page and "report-page" in page
    css = (Path(app.static_folder) / "css" / "app.css").read_text(encoding="utf-8")
    assert "counter(page)" in css and "size: A4" in css
