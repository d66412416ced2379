"""The decision: the four checks side by side, the proposed result, the office's confirmed (and
changed) decision, the accredited units' list and export, and a cycle's settings."""

import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from examapp.accreditation.decision import services as decision
from examapp.accreditation.decision.services import (
    PENDING,
    change_decision,
    confirm_decision,
    create_cycle,
    exam_outcome,
    proposed_result,
    update_cycle,
)
from examapp.accreditation.export import HEADER_ROWS
from examapp.accreditation.hearing.models import Hearing
from examapp.accreditation.inspection.models import Inspection, InspectionItem
from examapp.accreditation.onsite.models import OnsiteCheck, ReemployedPerson
from examapp.accreditation.outcomes import CheckOutcome
from examapp.accreditation.recommend.models import Recommendation, RecommendationStatus
from examapp.audit.chain import verify_chain
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.cycles.models import AccreditationCycle, AccreditationRecord, Decision, RecordEntry, RecordStatus
from examapp.cycles.services import cycle_for_year, record_for
from examapp.errors import DomainError
from examapp.exams.models import ExamStatus
from examapp.extensions import db
from examapp.org.models import UnitKind
from examapp.org.services import create_unit

from . import exam_factories
from .conftest import csrf_token, login

DISQUALIFIED_REASON = "考试平均分 94.50 < 95"


@pytest.fixture
def checks(monkeypatch):
    """The three other checks' outcomes, set per test: {name: True | False | None}."""
    state = {"一听": True, "二看": True, "三查": True}

    def fake(name, module, record):
        passed = state[name]
        reasons = {True: [], False: [f"{name}有一项不合格"], None: [f"{name}尚未完成"]}[passed]
        return CheckOutcome(name, passed, f"{name}的摘要", reasons, f"/evidence/{module}")

    monkeypatch.setattr(decision, "_check_outcome", fake)
    return state


def _office():
    return db.session.scalar(select(User).where(User.username == "office"))


def _community(world, name, district="a"):
    street = db.session.merge(world.streets[district])
    return create_unit(
        None, code=f"{street.code}{abs(hash(name)) % 900 + 100}", name=name, kind=UnitKind.COMMUNITY, parent=street
    )


def make_record(
    world,
    district="a",
    *,
    unit=None,
    exam=RecordStatus.EXAM_PASSED,
    recommendation=RecommendationStatus.SUBMITTED,
    year=2026,
):
    """A record in ``year``'s cycle whose exam stands at ``exam`` and whose recommendation at ``recommendation``."""
    cycle = cycle_for_year(year)
    unit_id = unit.id if unit is not None else world.communities[district].id
    record = record_for(cycle, unit_id, world.districts[district].id)
    if exam == RecordStatus.EXAM_PASSED:
        record.status, record.status_reason, record.exam_average = exam, "考试平均分 96.50 ≥ 95", Decimal("96.50")
    elif exam == RecordStatus.DISQUALIFIED:
        record.status, record.status_reason, record.exam_average = exam, DISQUALIFIED_REASON, Decimal("94.50")
    elif exam == RecordStatus.NO_RESULT:
        record.status, record.status_reason = exam, "应考人员全部批准缺考"
    if recommendation is not None:
        db.session.add(
            Recommendation(
                cycle_id=cycle.id,
                unit_id=unit_id,
                district_id=world.districts[district].id,
                record_id=record.id,
                status=recommendation,
            )
        )
    db.session.flush()
    return record


# --- 四考试 ------------------------------------------------------------------------------------


def test_the_exam_outcome_comes_from_the_sealed_record(ctx, world):
    record = make_record(world, exam=RecordStatus.DISQUALIFIED)
    outcome = exam_outcome(record)
    assert outcome.name == "四考试" and outcome.passed is False
    assert outcome.reasons == ["取消验收资格：考试平均分 94.50 < 95"]
    record.status = RecordStatus.EXAM_PASSED
    assert exam_outcome(record).passed is True and "96.50" not in exam_outcome(record).reasons
    record.status = RecordStatus.NO_RESULT
    assert exam_outcome(record).passed is None
    record.status = ""  # recommended, no exam sealed yet
    assert exam_outcome(record).passed is None and exam_outcome(record).summary == "考试成绩尚未封存"


# --- the proposed result -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hearing, inspection, onsite, exam, recommendation, result, reasons",
    [
        (True, True, True, RecordStatus.EXAM_PASSED, RecommendationStatus.SUBMITTED, Decision.PASSED, []),
        (
            False,
            True,
            True,
            RecordStatus.EXAM_PASSED,
            RecommendationStatus.SUBMITTED,
            Decision.FAILED,
            ["一听：一听有一项不合格"],
        ),
        (
            True,
            False,
            False,
            RecordStatus.DISQUALIFIED,
            RecommendationStatus.SUBMITTED,
            Decision.FAILED,
            ["二看：二看有一项不合格", "三查：三查有一项不合格", "四考试：取消验收资格：考试平均分 94.50 < 95"],
        ),
        # the exam's disqualification alone
        (
            True,
            True,
            True,
            RecordStatus.DISQUALIFIED,
            RecommendationStatus.SUBMITTED,
            Decision.FAILED,
            ["四考试：取消验收资格：考试平均分 94.50 < 95"],
        ),
        # a failure decides even while another check is not done
        (None, False, True, None, RecommendationStatus.SUBMITTED, Decision.FAILED, ["二看：二看有一项不合格"]),
        (True, None, True, RecordStatus.EXAM_PASSED, RecommendationStatus.SUBMITTED, PENDING, ["二看：二看尚未完成"]),
        (True, True, True, None, RecommendationStatus.SUBMITTED, PENDING, ["四考试：考试成绩尚未封存"]),
        (
            True,
            True,
            True,
            RecordStatus.NO_RESULT,
            RecommendationStatus.SUBMITTED,
            PENDING,
            ["四考试：无考试成绩：应考人员全部批准缺考"],
        ),
        # all four passed, but the materials were never handed in / the unit was never recommended
        (True, True, True, RecordStatus.EXAM_PASSED, RecommendationStatus.DRAFT, PENDING, ["推荐：推荐材料尚未报送"]),
        (True, True, True, RecordStatus.EXAM_PASSED, None, PENDING, ["推荐：本单位未列入本年度推荐验收名单"]),
        # 逾期未报者视为放弃验收, whatever else stands
        (
            None,
            None,
            None,
            None,
            RecommendationStatus.FORFEITED,
            Decision.FORFEITED,
            ["推荐材料逾期未报，视为放弃验收（郑政办〔2005〕27号）"],
        ),
        (
            False,
            True,
            True,
            RecordStatus.DISQUALIFIED,
            RecommendationStatus.FORFEITED,
            Decision.FORFEITED,
            ["推荐材料逾期未报，视为放弃验收（郑政办〔2005〕27号）"],
        ),
    ],
)
def test_the_proposed_result_of_each_combination(
    ctx, world, checks, hearing, inspection, onsite, exam, recommendation, result, reasons
):
    checks.update({"一听": hearing, "二看": inspection, "三查": onsite})
    record = make_record(world, exam=exam, recommendation=recommendation)
    proposed = proposed_result(record)
    assert proposed.result == result and proposed.reasons == reasons
    assert [o.name for o in proposed.outcomes] == ["一听", "二看", "三查", "四考试"]


def test_the_real_checks_feed_the_proposed_result(ctx, world):
    """Without stand-ins: the three checks' own modules judge the rows recorded for them."""
    record = make_record(world)
    proposed = proposed_result(record)
    assert proposed.result == PENDING and [o.passed for o in proposed.outcomes] == [None, None, None, True]
    assert all(o.reasons for o in proposed.outcomes[:3])  # each says what is missing
    db.session.add(
        Hearing(
            record_id=record.id,
            source="survey",
            asked=100,
            satisfied=80,
            basically_satisfied=15,
            dissatisfied=5,
            satisfaction_rate=Decimal("0.95"),
            passed=True,
        )
    )
    inspection = Inspection(record_id=record.id, checklist="community", passed=False, inspected_on=date(2026, 11, 15))
    check = OnsiteCheck(record_id=record.id, target=1, sample_size=1, sample_seed="20261115")
    db.session.add_all([inspection, check])
    db.session.flush()
    item = InspectionItem(
        inspection_id=inspection.id, code="office_area", value=Decimal("14.5"), threshold=Decimal("15"), passed=False
    )
    db.session.add_all(
        [
            item,
            ReemployedPerson(
                check_id=check.id,
                row_no=1,
                name="张三",
                id_number="410105199001011234",
                employer="郑州某公司",
                reemployed_on=date(2026, 5, 1),
                sample_order=1,
                verification="verified",
            ),
        ]
    )
    db.session.flush()
    db.session.expire_all()
    proposed = proposed_result(record)
    assert [o.passed for o in proposed.outcomes] == [True, False, True, True]
    assert proposed.result == Decision.FAILED and len(proposed.reasons) == 1
    assert proposed.reasons[0].startswith("二看：") and "14.5" in proposed.reasons[0]
    item.passed, inspection.passed = True, True
    db.session.flush()
    db.session.expire_all()
    assert proposed_result(record).result == Decision.PASSED


# --- confirming and changing ---------------------------------------------------------------------


def _entries(record):
    return db.session.scalars(
        select(RecordEntry).where(RecordEntry.record_id == record.id).order_by(RecordEntry.id)
    ).all()


def test_confirming_a_passed_unit(ctx, world, checks):
    record = make_record(world)
    entry = confirm_decision(_office(), record, Decision.PASSED, "四项检查均合格，同意通过验收。")
    assert record.decision == Decision.PASSED and record.decision_comment == "四项检查均合格，同意通过验收。"
    assert record.decided_at is not None and record.decided_by_id == _office().id
    assert entry.kind == "decision" and entry.status == Decision.PASSED and entry.kind_label == "验收决定"
    assert entry.status_label == "通过" and "同意通过验收" in entry.text
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "accreditation.decide"))
    assert audit.after["decision"] == "通过" and audit.after["proposed"] == "通过"
    assert audit.district_id == world.districts["a"].id and audit.object_id == str(record.id)


@pytest.mark.parametrize(
    "hearing, exam",
    [(False, RecordStatus.EXAM_PASSED), (True, RecordStatus.DISQUALIFIED), (None, RecordStatus.EXAM_PASSED)],
)
def test_passing_is_refused_unless_proposed(ctx, world, checks, hearing, exam):
    checks["一听"] = hearing
    record = make_record(world, exam=exam)
    with pytest.raises(DomainError, match="不能确认通过") as refused:
        confirm_decision(_office(), record, Decision.PASSED, "同意")
    assert refused.value.field == "decision"
    assert ("一听" if hearing is not True else "取消验收资格") in refused.value.message
    assert record.decision is None and _entries(record) == []


def test_failing_is_confirmed_with_the_reasons(ctx, world, checks):
    checks["二看"] = False
    record = make_record(world, exam=RecordStatus.DISQUALIFIED)
    entry = confirm_decision(_office(), record, Decision.FAILED, "不符合验收标准。")
    assert record.decision == Decision.FAILED
    assert "二看：二看有一项不合格" in entry.text and "取消验收资格：考试平均分 94.50 < 95" in entry.text
    with pytest.raises(DomainError, match="已确认为“不通过”"):
        confirm_decision(_office(), record, Decision.FAILED, "再确认一次")
    assert len(_entries(record)) == 1


def test_a_decision_needs_a_comment_and_a_known_choice(ctx, world, checks):
    record = make_record(world)
    with pytest.raises(DomainError, match="请填写意见"):
        confirm_decision(_office(), record, Decision.PASSED, "   ")
    with pytest.raises(DomainError, match="请选择验收决定"):
        confirm_decision(_office(), record, "maybe", "意见")
    assert record.decision is None and _entries(record) == []


def test_a_confirmed_decision_changes_only_through_a_reasoned_entry(ctx, world, checks):
    record = make_record(world)
    confirm_decision(_office(), record, Decision.PASSED, "同意通过。")
    with pytest.raises(DomainError, match="请填写变更原因"):
        change_decision(_office(), record, Decision.FAILED, "不通过", "")
    with pytest.raises(DomainError, match="没有变化"):
        change_decision(_office(), record, Decision.PASSED, "同意", "复核")
    assert record.decision == Decision.PASSED and len(_entries(record)) == 1
    entry = change_decision(_office(), record, Decision.FAILED, "复查发现台帐不实。", "群众举报，经复查属实")
    assert record.decision == Decision.FAILED and record.decision_comment == "复查发现台帐不实。"
    assert (
        entry.kind == "decision_changed" and entry.before_status == Decision.PASSED and entry.status == Decision.FAILED
    )
    assert entry.reason == "群众举报，经复查属实" and entry.text.startswith("通过 → 不通过")
    assert [e.kind for e in _entries(record)] == ["decision", "decision_changed"]
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "accreditation.decision_change"))
    assert audit.before["decision"] == "通过" and audit.after["decision"] == "不通过"
    assert audit.reason == "群众举报，经复查属实"
    # back to 通过 is again held to the proposed result
    checks["三查"] = False
    with pytest.raises(DomainError, match="不能确认通过"):
        change_decision(_office(), record, Decision.PASSED, "同意", "复核")


def test_a_change_needs_a_confirmed_decision(ctx, world, checks):
    record = make_record(world)
    with pytest.raises(DomainError, match="尚未确认"):
        change_decision(_office(), record, Decision.FAILED, "不通过", "原因")


def test_the_chains_verify_after_decisions(ctx, world, checks, runner):
    record = make_record(world)
    confirm_decision(_office(), record, Decision.PASSED, "同意通过。")
    change_decision(_office(), record, Decision.FORFEITED, "单位书面申请放弃。", "单位申请")
    db.session.flush()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "验收记录" in result.output and "哈希链完整" in result.output
    assert verify_chain("records", RecordEntry)[1] is None
    assert verify_chain("audit", AuditEntry)[1] is None
    # a decision rewritten in place is found
    entry = _entries(record)[0]
    db.session.execute(RecordEntry.__table__.update().where(RecordEntry.id == entry.id).values(status=Decision.FAILED))
    db.session.expire_all()
    count, problem = verify_chain("records", RecordEntry)
    assert problem is not None and problem[0] == entry.id


# --- the record page and its forms -------------------------------------------------------------------


@pytest.fixture
def office(app, world):
    client = app.test_client()
    assert login(client, "office").status_code == 302
    return client


def _saved_record(app, world, **kwargs):
    with app.app_context():
        record = make_record(world, **kwargs)
        db.session.commit()
        return record.id


def test_the_record_page_shows_the_four_checks_side_by_side(app, world, checks, office):
    checks["二看"] = False
    record_id = _saved_record(app, world, exam=RecordStatus.DISQUALIFIED)
    page = office.get(f"/accreditation/records/{record_id}").get_data(as_text=True)
    cards = page.split('data-testid="checks"')[1].split('id="decision"')[0]
    for name in ("一听", "二看", "三查", "四考试"):
        assert f'data-check="{name}"' in cards
    assert cards.count('text-bg-danger">不合格') == 1 and "/evidence/inspection" in cards and "查看二看记录" in cards
    assert 'data-testid="exam-verdict">取消验收资格<' in cards  # the results page's words, not 不合格
    assert "取消验收资格：考试平均分 94.50 &lt; 95" in cards
    assert 'data-testid="proposed">不通过<' in page and "二看：二看有一项不合格" in page
    assert 'data-testid="decision-form"' in page and 'id="decision-passed" value="passed"  disabled' in page


def test_a_district_admin_sees_the_record_without_the_form(app, world, checks):
    record_id = _saved_record(app, world)
    client = app.test_client()
    login(client, "jinshui")
    page = client.get(f"/accreditation/records/{record_id}").get_data(as_text=True)
    assert 'data-testid="proposed">通过<' in page and "decision-form" not in page
    assert (
        client.post(
            f"/accreditation/records/{record_id}/decision",
            data={"csrf_token": csrf_token(client, "/"), "decision": "passed", "comment": "x"},
        ).status_code
        == 403
    )


def test_the_office_confirms_and_changes_from_the_page(app, world, checks, office):
    record_id = _saved_record(app, world)
    url = f"/accreditation/records/{record_id}"
    missing = office.post(f"{url}/decision", data={"csrf_token": csrf_token(office, url), "decision": "passed"})
    assert missing.status_code == 400 and "请填写意见" in missing.get_data(as_text=True)
    done = office.post(
        f"{url}/decision",
        data={"csrf_token": csrf_token(office, url), "decision": "passed", "comment": "同意通过验收"},
        follow_redirects=True,
    )
    page = done.get_data(as_text=True)
    assert "已确认验收决定：通过" in page and 'data-testid="decision">通过<' in page and "同意通过验收" in page
    assert 'data-testid="change-form"' in page and "decision-form" not in page
    stale = office.post(
        f"{url}/decision",
        data={"csrf_token": csrf_token(office, url), "decision": "failed", "comment": "另一页面上的确认"},
    )
    assert stale.status_code == 400 and "验收决定已确认为“通过”" in stale.get_data(as_text=True)
    no_reason = office.post(
        f"{url}/decision/change",
        data={"csrf_token": csrf_token(office, url), "decision": "failed", "comment": "复查不合格"},
    )
    text = no_reason.get_data(as_text=True)
    assert no_reason.status_code == 400 and "请填写变更原因" in text and "is-invalid" in text
    changed = office.post(
        f"{url}/decision/change",
        data={
            "csrf_token": csrf_token(office, url),
            "decision": "failed",
            "comment": "复查不合格",
            "reason": "复查发现问题",
        },
        follow_redirects=True,
    )
    page = changed.get_data(as_text=True)
    assert "验收决定已变更：通过 → 不通过" in page
    entries = page.split('data-testid="entries"')[1]
    assert "验收决定变更" in entries and "变更前：通过 → 变更后：不通过" in entries and "原因：复查发现问题" in entries
    with app.app_context():
        assert db.session.get(AccreditationRecord, record_id).decision == Decision.FAILED


def test_passing_refused_on_the_page_says_why_and_saves_nothing(app, world, checks, office):
    checks["一听"] = None
    record_id = _saved_record(app, world)
    url = f"/accreditation/records/{record_id}"
    response = office.post(
        f"{url}/decision", data={"csrf_token": csrf_token(office, url), "decision": "passed", "comment": "同意"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "拟定结果为“待定”，不能确认通过" in page and "一听：一听尚未完成" in page
    with app.app_context():
        assert db.session.get(AccreditationRecord, record_id).decision is None
        assert (
            db.session.scalar(select(func.count()).select_from(RecordEntry).where(RecordEntry.record_id == record_id))
            == 0
        )


def test_the_index_shows_the_checks_and_filters_by_decision(app, world, checks, office):
    with app.app_context():
        passed = make_record(world)
        confirm_decision(_office(), passed, Decision.PASSED, "同意")
        other = make_record(world, unit=_community(world, "未决社区"))
        db.session.commit()
        passed_code, other_code = passed.unit.code, other.unit.code
    page = office.get("/accreditation/?year=2026").get_data(as_text=True)
    table = page.split('data-testid="records"')[1]
    assert f'data-unit="{passed_code}"' in table and f'data-unit="{other_code}"' in table
    assert all(f'<th scope="col">{name}</th>' in table for name in ("一听", "二看", "三查", "四考试"))
    only = (
        office.get("/accreditation/?year=2026&decision=passed").get_data(as_text=True).split('data-testid="records"')[1]
    )
    assert f'data-unit="{passed_code}"' in only and f'data-unit="{other_code}"' not in only
    undecided = office.get("/accreditation/?year=2026&decision=none").get_data(as_text=True)
    table = undecided.split('data-testid="records"')[1]
    assert f'data-unit="{passed_code}"' not in table and f'data-unit="{other_code}"' in table


# --- the accredited units ------------------------------------------------------------------------


@pytest.fixture
def decided(app, world, monkeypatch):
    """2026: two passed units (one with a formula for a name, one in district b), one failed, one undecided."""
    state = {"一听": True, "二看": True, "三查": True}
    monkeypatch.setattr(
        decision, "_check_outcome", lambda name, module, record: CheckOutcome(name, state[name], "摘要", [], None)
    )
    with app.app_context():
        office = _office()
        evil = make_record(world, unit=_community(world, '=HYPERLINK("http://x","点我")'))
        confirm_decision(office, evil, Decision.PASSED, "同意")
        confirm_decision(office, make_record(world, "b"), Decision.PASSED, "同意")
        failed = make_record(world, unit=_community(world, "落选社区"), exam=RecordStatus.DISQUALIFIED)
        confirm_decision(office, failed, Decision.FAILED, "取消验收资格")
        make_record(world, unit=_community(world, "待定社区"))
        db.session.commit()


def test_the_accredited_list_is_printable_and_holds_only_passed_units(app, decided, office):
    page = office.get("/accreditation/accredited?year=2026").get_data(as_text=True)
    table = page.split('data-testid="accredited"')[1]
    assert "HYPERLINK" in table and "二七区第一社区" in table
    assert "落选社区" not in table and "待定社区" not in table
    assert 'data-testid="accredited-count">2<' in page and "验收通过单位名单" in page and "report-page" in page
    assert "2026 年度劳动保障工作示范社区" in page and "data-print" in page and "<script>" not in table


def test_the_accredited_export_is_neutralised_and_scoped(app, decided, office):
    response = office.get("/accreditation/accredited.xlsx?year=2026")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    rows = pd.read_excel(io.BytesIO(response.data), skiprows=HEADER_ROWS, dtype=object)
    names = list(rows["单位名称"])
    assert len(rows) == 2 and '\'=HYPERLINK("http://x","点我")' in names
    assert not any(str(v).startswith("=") for column in rows for v in rows[column])
    assert set(rows["区县"]) == {"金水区", "二七区"} and list(rows["序号"]) == [1, 2]
    header = pd.read_excel(io.BytesIO(response.data), header=None, nrows=2)
    assert "验收通过单位名单" in header.iloc[0, 0] and "全市" in header.iloc[1, 0]
    district = app.test_client()
    login(district, "erqi")
    data = district.get("/accreditation/accredited.xlsx?year=2026").data
    assert list(pd.read_excel(io.BytesIO(data), skiprows=HEADER_ROWS, dtype=object)["区县"]) == ["二七区"]
    page = district.get("/accreditation/accredited?year=2026").get_data(as_text=True)
    assert "HYPERLINK" not in page and "二七区第一社区" in page
    assert office.get("/accreditation/accredited.xlsx?year=1999").status_code == 404


# --- a cycle's settings --------------------------------------------------------------------------


def _settings(**overrides):
    values = {
        "name": "2026 年度劳动保障工作示范社区（街道、乡镇）验收",
        "threshold": "95",
        "recommendation_share": "10",
        "materials_deadline": "2026-10-31",
        "satisfaction_required": "90",
        "sample_share": "80",
        "completion_required": "100",
        "street_hall_area": "60",
        "community_office_area": "15",
        "street_computers": "1",
        "community_computers": "1",
        "street_cabinets": "2",
        "community_cabinets": "1",
        "phones": "1",
        "community_staff": "1",
        "reason": "领导小组会议决定",
    }
    values.update(overrides)
    return values


@pytest.fixture
def cycle_2026(app):
    with app.app_context():
        cycle_for_year(2026)
        db.session.commit()


def _cycle():
    return db.session.scalar(select(AccreditationCycle).where(AccreditationCycle.year == 2026))


def test_the_settings_page_shows_the_notice_defaults(app, cycle_2026, office):
    page = office.get("/accreditation/cycles/2026/settings").get_data(as_text=True)
    assert "郑政办〔2005〕27号 默认值" in page
    assert 'data-default="threshold">95<' in page and 'data-default="recommendation_share">10%<' in page
    assert 'data-default="street_hall_area">60<' in page and 'data-default="street_cabinets">2<' in page
    assert 'value="10"' in page and 'value="2026-10-31"' in page and 'value="95"' in page


def test_the_settings_are_saved_as_fractions_and_audited(app, cycle_2026, office):
    url = "/accreditation/cycles/2026/settings"
    response = office.post(
        url,
        data={
            **_settings(
                recommendation_share="12.5",
                completion_required="99.99",
                street_hall_area="80.5",
                materials_deadline="2026-11-05",
            ),
            "csrf_token": csrf_token(office, url),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        cycle = _cycle()
        assert cycle.recommendation_share == Decimal("0.125") and cycle.completion_required == Decimal("0.9999")
        assert cycle.street_hall_area == Decimal("80.5") and cycle.materials_deadline == date(2026, 11, 5)
        assert cycle.sample_share == Decimal("0.800")
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "accreditation.cycle_update"))
        assert audit.before == {
            "completion_required": "100%",
            "materials_deadline": "2026-10-31",
            "recommendation_share": "10%",
            "street_hall_area": "60",
        }
        assert audit.after["recommendation_share"] == "12.5%" and audit.reason == "领导小组会议决定"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"threshold": "100.5"}, "考试合格线应在 0 到 100 分之间"),
        ({"threshold": "94.995"}, "考试合格线最多保留 2 位小数"),
        ({"recommendation_share": "0"}, "推荐比例应在 0.1 到 100%之间"),
        ({"sample_share": "80.25"}, "三查抽查比例最多保留 1 位小数"),
        ({"completion_required": "abc"}, "不是有效的小数"),
        ({"street_computers": "两台"}, "不是有效的整数"),
        ({"street_cabinets": "0"}, "街道（乡镇）文件柜应为 1 到 99 之间的整数"),
        ({"materials_deadline": "2027-01-15"}, "申报材料截止日应在 2026 年内"),
        ({"materials_deadline": ""}, "请填写申报材料截止日"),
        ({"reason": ""}, "请填写修改原因"),
        ({"name": ""}, "请填写年度名称"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(app, cycle_2026, office, overrides, message):
    url = "/accreditation/cycles/2026/settings"
    data = {**_settings(threshold="96"), **overrides, "csrf_token": csrf_token(office, url)}
    response = office.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "is-invalid" in page and message in page
    assert page.count("invalid-feedback") == 1  # one message, on its field
    with app.app_context():
        assert _cycle().threshold == Decimal("95")
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "accreditation.cycle_update")) is None


def test_the_threshold_is_locked_once_an_exam_of_the_cycle_is_sealed(ctx, world):
    cycle = cycle_for_year(2026)
    exam = exam_factories.exam(world, publish=True)
    exam.cycle_id, exam.status = cycle.id, ExamStatus.SEALED
    db.session.flush()
    with pytest.raises(DomainError, match="合格线不能再修改") as refused:
        update_cycle(_office(), cycle, {"threshold": Decimal("90")}, "调整")
    assert refused.value.field == "threshold" and cycle.threshold == Decimal("95")
    update_cycle(_office(), cycle, {"threshold": Decimal("95"), "sample_share": Decimal("0.900")}, "调整抽查比例")
    assert cycle.sample_share == Decimal("0.900")
    with pytest.raises(DomainError, match="设置没有变化"):
        update_cycle(_office(), cycle, {"sample_share": Decimal("0.9")}, "再次保存")


def test_creating_next_years_cycle(ctx, world):
    cycle_for_year(2026)
    created = create_cycle(_office(), 2027, date(2026, 12, 1))
    assert (
        created.year == 2027 and created.threshold == Decimal("95") and created.materials_deadline == date(2027, 10, 31)
    )
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "accreditation.cycle_create"))
    assert audit.after["recommendation_share"] == "10%"
    with pytest.raises(DomainError, match="2027 年度已经存在"):
        create_cycle(_office(), 2027, date(2026, 12, 1))
    with pytest.raises(DomainError, match="年度应在 2005 年到 2027 年之间"):
        create_cycle(_office(), 2028, date(2026, 12, 1))


def test_the_cycles_page_creates_a_year(app, cycle_2026, office):
    page = office.get("/accreditation/cycles").get_data(as_text=True)
    assert 'data-year="2026"' in page and 'value="2027"' in page
    bad = office.post(
        "/accreditation/cycles", data={"year": "2026", "csrf_token": csrf_token(office, "/accreditation/cycles")}
    )
    assert bad.status_code == 400 and "2026 年度已经存在" in bad.get_data(as_text=True)
    made = office.post(
        "/accreditation/cycles", data={"year": "2027", "csrf_token": csrf_token(office, "/accreditation/cycles")}
    )
    assert made.status_code == 302 and made.headers["Location"].endswith("/accreditation/cycles/2027/settings")
    with app.app_context():
        assert db.session.scalar(select(AccreditationCycle.id).where(AccreditationCycle.year == 2027)) is not None
