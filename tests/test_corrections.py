"""Issue 17.11: after the seal, a correction that changes a unit's standing waits for the office."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from examapp.audit.chain import verify_chain
from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.cycles.models import AccreditationRecord, RecordEntry, RecordStatus
from examapp.errors import DomainError
from examapp.exams.models import RosterEntry
from examapp.extensions import db
from examapp.results import corrections
from examapp.results.models import CorrectionStatus, PendingCorrection, UnitResult
from examapp.results.scores import Verdict

from .conftest import csrf_token, login
from .test_results import _closed, _office, _sealed_with_a_wrong_key, build, seal_exam


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def _entry(person):
    return db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == person.id))


def _stored(unit):
    return db.session.scalar(select(UnitResult).where(UnitResult.unit_id == unit.id))


def _record(unit):
    return db.session.scalar(select(AccreditationRecord).where(AccreditationRecord.unit_id == unit.id))


def _actions(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _sealed(world, outcomes):
    exam, units, people = build(world, outcomes)
    seal_exam(_office(), _closed(exam))
    return exam, units, people


def test_an_excusal_that_changes_a_standing_waits_for_the_office(ctx, world):
    exam, units, people = _sealed(world, {"辛社区": ["96", "96", None]})  # 64: disqualified; excused: 96
    unit, entry = units["辛社区"], _entry(people["辛社区"][2])
    outcome = corrections.correct(_user("jinshui"), exam, "excuse", {"entry_id": entry.id}, "住院治疗，有医院证明")
    assert outcome.proposed and outcome.result is None
    # nothing changed: the trial inside the savepoint was rolled back
    assert not _entry(people["辛社区"][2]).is_excused
    stored = _stored(unit)
    assert stored.verdict == Verdict.DISQUALIFIED and stored.revision == 0 and stored.excused == 0
    assert [e.kind for e in _record(unit).entries] == ["exam_sealed"]
    assert _record(unit).status == RecordStatus.DISQUALIFIED
    assert _actions("roster.excuse") == [] and _actions("results.correct") == []
    proposal = outcome.proposal
    assert proposal.status == CorrectionStatus.PENDING and proposal.proposed_by.username == "jinshui"
    assert [(s["from"], s["to"]) for s in proposal.standings] == [(Verdict.DISQUALIFIED, Verdict.PASSED)]
    (proposed,) = _actions("results.propose")
    assert proposed.actor_username == "jinshui" and proposed.reason == "住院治疗，有医院证明"
    with pytest.raises(DomainError, match="相同的更正"):
        corrections.correct(_user("jinshui"), exam, "excuse", {"entry_id": entry.id}, "再提一次")

    # the office confirms: the correction is applied now, naming both people
    corrections.confirm_correction(_office(), proposal, "证明已核实")
    assert _entry(people["辛社区"][2]).is_excused
    stored = _stored(unit)
    assert stored.verdict == Verdict.PASSED and stored.revision == 1
    record = _record(unit)
    correction = record.entries[-1]
    assert record.status == RecordStatus.EXAM_PASSED and correction.kind == "exam_corrected"
    assert correction.actor_id == _office().id
    proposer, confirmer = _user("jinshui").name, _office().name
    assert "住院治疗" in correction.reason and proposer in correction.reason and confirmer in correction.reason
    assert proposal.status == CorrectionStatus.CONFIRMED and proposal.decided_by_id == _office().id
    (confirmed,) = _actions("results.confirm")
    assert confirmed.reason == "证明已核实" and "jinshui" in confirmed.after["proposed_by"]
    assert len(_actions("results.correct")) == 1
    with pytest.raises(DomainError, match="已经处理过"):
        corrections.reject_correction(_office(), proposal, "晚了")
    # both hash chains are whole after the rolled-back trial
    assert verify_chain("audit", AuditEntry)[1] is None
    assert verify_chain("records", RecordEntry)[1] is None


def test_a_correction_that_changes_no_standing_applies_at_once(ctx, world):
    exam, units, people = _sealed(world, {"壬社区": ["80", None]})  # 40 -> 80: disqualified either way
    outcome = corrections.correct(
        _user("jinshui"), exam, "excuse", {"entry_id": _entry(people["壬社区"][1]).id}, "因公出差，有单位证明"
    )
    assert not outcome.proposed and [s.unit_name for s in outcome.result] == ["壬社区"]
    stored = _stored(units["壬社区"])
    assert stored.revision == 1 and stored.verdict == Verdict.DISQUALIFIED and stored.excused == 1
    assert db.session.scalar(select(func.count()).select_from(PendingCorrection)) == 0
    assert len(_actions("results.correct")) == 1


def test_a_regrade_that_lifts_a_unit_waits_and_the_office_may_decline(ctx, world):
    exam, unit, attempts, _target, version, before = _sealed_with_a_wrong_key(world, "癸社区")  # 90 each
    from examapp.results.services import regrade_candidates

    corrected = regrade_candidates(exam)[0][1]
    params = {"version_id": version.id, "key_version_id": corrected.id}
    outcome = corrections.correct(_user("admin"), exam, "regrade", params, "依据第二十九条更正答案")
    assert outcome.proposed and "答案改为 C" in outcome.proposal.summary
    assert [a.score for a in attempts] == before  # rolled back: the scores are as sealed
    assert _stored(unit).verdict == Verdict.DISQUALIFIED and _actions("exam.regrade") == []
    with pytest.raises(DomainError, match="请填写原因"):
        corrections.reject_correction(_office(), outcome.proposal, " ")
    with pytest.raises(DomainError, match="只有领导小组办公室"):
        corrections.confirm_correction(_user("admin"), outcome.proposal, "自己确认")
    corrections.reject_correction(_office(), outcome.proposal, "答案更正依据不足")
    assert outcome.proposal.status == CorrectionStatus.REJECTED
    assert _stored(unit).verdict == Verdict.DISQUALIFIED and _stored(unit).revision == 0
    (rejected,) = _actions("results.reject")
    assert rejected.reason == "答案更正依据不足" and rejected.actor_username == "office"


def test_a_confirmation_checks_the_correction_again(ctx, world):
    exam, _units, people = _sealed(world, {"子社区": ["96", "96", None]})
    entry = _entry(people["子社区"][2])
    outcome = corrections.correct(_user("jinshui"), exam, "excuse", {"entry_id": entry.id}, "住院治疗")
    # meanwhile the data moved on (here: the absence was recorded as excused by other means)
    entry.excuse_reason = "另行处理"
    db.session.flush()
    with pytest.raises(DomainError, match="已不能执行：.*已经批准过"):
        corrections.confirm_correction(_office(), outcome.proposal, "证明已核实")
    assert outcome.proposal.status == CorrectionStatus.PENDING


def test_the_pages_propose_list_and_confirm(app, world):
    with app.app_context():
        exam, units, people = _sealed(world, {"丑社区": ["96", "96", None]})
        db.session.commit()
        exam_id, unit_id = exam.id, units["丑社区"].id
        entry_id = _entry(people["丑社区"][2]).id
    district = app.test_client()
    login(district, "jinshui")
    page = district.post(
        f"/exams/{exam_id}/roster/{entry_id}/excuse",
        data={"csrf_token": csrf_token(district, "/"), "reason": "住院治疗，有医院证明"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已提交领导小组办公室确认" in page
    assert 'data-testid="pending-corrections"' in district.get(f"/exams/{exam_id}/results").get_data(as_text=True)
    assert district.get("/results/corrections").status_code == 403

    office = app.test_client()
    login(office, "office")
    listing = office.get("/results/corrections").get_data(as_text=True)
    assert "住院治疗，有医院证明" in listing and "取消验收资格" in listing and "合格" in listing
    with app.app_context():
        proposal_id = db.session.scalar(select(PendingCorrection.id))
    token = csrf_token(office, "/")
    refused = office.post(f"/results/corrections/{proposal_id}/confirm", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 400 and "请填写原因" in refused.get_data(as_text=True)
    no_token = office.post(f"/results/corrections/{proposal_id}/confirm", data={"reason": "已核实"})
    assert no_token.status_code in (302, 400)
    with app.app_context():
        assert db.session.get(PendingCorrection, proposal_id).status == CorrectionStatus.PENDING
    done = office.post(
        f"/results/corrections/{proposal_id}/confirm",
        data={"csrf_token": token, "reason": "证明已核实"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已确认" in done and 'data-testid="no-pending"' in done
    with app.app_context():
        stored = db.session.scalar(select(UnitResult).where(UnitResult.unit_id == unit_id))
        assert stored.verdict == Verdict.PASSED and stored.excused == 1
        record = db.session.scalar(select(AccreditationRecord).where(AccreditationRecord.unit_id == unit_id))
        assert record.exam_average == Decimal("96.00")
        record_id = record.id
        both = f"（{_user('jinshui').name} 提出，{_office().name} 确认）"
    detail = office.get(f"/accreditation/records/{record_id}").get_data(as_text=True)
    assert both in detail
