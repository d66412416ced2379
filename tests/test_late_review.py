"""Deciding on late deliveries: accepting grades them into the attempt (and, after the seal, the unit's
stored result through the correction flow), rejecting changes nothing but their status; the pages."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.bank.content import QuestionData
from examapp.bank.services import update_question
from examapp.cycles.models import AccreditationRecord
from examapp.errors import DomainError
from examapp.exams.services import close_exam
from examapp.extensions import db
from examapp.results.late import accept_late, reject_late
from examapp.results.models import UnitResult
from examapp.results.services import seal_exam
from examapp.sitting.models import Attempt, AttemptItem, LateDelivery, LateStatus, SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt, void_attempt

from . import exam_factories
from .conftest import csrf_token, login

REASON = "考场网络 10:58 至 11:06 中断，有监考记录"


def _user(world, role="examinee"):
    return db.session.get(User, world.accounts[role].id)


def _submitted(world, exam=None, role="examinee"):
    """A submitted attempt, nothing answered (score 0)."""
    exam = exam or exam_factories.exam(world, publish=True)
    attempt = start_attempt(exam, _user(world, role))
    submit_attempt(attempt, SubmitReason.DEADLINE)
    return exam, attempt


def _item(attempt, qtype="single"):
    return next(i for i in attempt.items if i.version.qtype == qtype)


def _late(attempt, position, response, seq, **overrides):
    close = attempt.submitted_at
    values = {
        "attempt_id": attempt.id,
        "position": position,
        "seq": seq,
        "response": response,
        "flagged": False,
        "answered_at": close - timedelta(seconds=40),
        "received_at": close + timedelta(minutes=6),
        "offline_at": close - timedelta(minutes=2),
        "online_at": close + timedelta(minutes=6),
        "last_contact_at": close - timedelta(minutes=2, seconds=5),
        "client_address": "10.1.2.3",
        "status": LateStatus.PENDING,
    }
    values.update(overrides)
    delivery = LateDelivery(**values)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


# --- accepting and rejecting -----------------------------------------------------------------


def test_accepting_grades_the_answer_into_the_attempt(ctx, world):
    _exam, attempt = _submitted(world)
    item = _item(attempt)
    assert attempt.score == 0 and item.response is None
    delivery = _late(attempt, item.position, item.version.answer, seq=7, flagged=True)
    admin = _user(world, "exam_admin")

    decision = accept_late(admin, attempt, [delivery.id], REASON)

    assert decision.changed == [item.position] and decision.unchanged == []
    assert item.response == item.version.answer and item.flagged and item.response_seq == 7
    assert item.answered_at == item.first_answered_at == delivery.answered_at and item.save_count == 1
    assert item.awarded == item.points and attempt.score == item.points
    assert decision.score_before == 0 and decision.score_after == item.points
    assert delivery.status == LateStatus.ACCEPTED and delivery.decided_by_id == admin.id
    assert delivery.decision_reason == REASON and delivery.decided_at is not None
    (entry,) = _audit("attempt.late_accept")
    assert entry.reason == REASON and entry.object_id == str(attempt.id)
    assert entry.before["responses"] == {f"第 {item.position} 题": "未作答"}
    assert entry.before["score"] == "0.00" and entry.after["score"] == str(item.points)
    assert entry.after["accepted"] == [f"第 {item.position} 题（序号 7）"]
    assert entry.district_id == world.districts["a"].id


def test_deliveries_apply_in_order_and_an_older_one_changes_nothing(ctx, world):
    _exam, attempt = _submitted(world)
    item = _item(attempt)
    other = _item(attempt, "judge")
    item.response, item.response_seq = "C", 10  # the page's newer save reached the server in time
    db.session.flush()
    older = _late(attempt, item.position, item.version.answer, seq=5)
    first = _late(attempt, other.position, "F", seq=11)
    second = _late(attempt, other.position, "T", seq=12)
    score = attempt.score

    decision = accept_late(_user(world, "office"), attempt, [second.id, older.id, first.id], REASON)

    assert item.response == "C" and item.response_seq == 10 and item.save_count == 0
    assert other.response == "T" and other.response_seq == 12 and other.save_count == 2
    assert other.answered_at == second.answered_at
    assert decision.unchanged == [item.position] and decision.changed == [other.position]
    assert attempt.score == score + other.awarded
    assert {d.status for d in (older, first, second)} == {LateStatus.ACCEPTED}
    (entry,) = _audit("attempt.late_accept")
    assert "接受后未改变" in entry.after["unchanged"][0] and f"第 {item.position} 题" in entry.after["unchanged"][0]
    assert entry.before["responses"] == {f"第 {other.position} 题": "未作答"}
    assert entry.after["responses"] == {f"第 {other.position} 题": "正确"}


def test_rejecting_changes_nothing_but_the_status(ctx, world):
    _exam, attempt = _submitted(world)
    item = _item(attempt)
    delivery = _late(attempt, item.position, item.version.answer, seq=3)
    office = _user(world, "office")

    reject_late(office, attempt, [delivery.id], "断网发生在截止之后，证据不足")

    assert item.response is None and item.response_seq == 0 and attempt.score == 0
    assert delivery.status == LateStatus.REJECTED and delivery.decided_by_id == office.id
    assert delivery.decision_reason == "断网发生在截止之后，证据不足"
    (entry,) = _audit("attempt.late_reject")
    assert entry.after["status"] == {f"第 {item.position} 题（序号 3）": "不予接受"}
    assert _audit("attempt.late_accept") == []


def test_a_bad_id_changes_nothing(ctx, world):
    exam, attempt = _submitted(world)
    _exam, foreign_attempt = _submitted(world, exam, role="examinee_b")
    item = _item(attempt)
    good = _late(attempt, item.position, item.version.answer, seq=4)
    decided = _late(attempt, item.position, "C", seq=2, status=LateStatus.REJECTED)
    foreign = _late(foreign_attempt, 1, None, seq=1)
    admin = _user(world, "exam_admin")
    for ids, message in (
        ([good.id, 10**9], "不属于这份答卷"),
        ([good.id, foreign.id], "不属于这份答卷"),
        ([good.id, decided.id], "已经审核过"),
        ([], "请至少勾选"),
        (["x"], "无效"),
    ):
        for decide in (accept_late, reject_late):
            with pytest.raises(DomainError, match=message) as raised:
                decide(admin, attempt, ids, REASON)
            assert raised.value.field == "deliveries"
    assert good.status == LateStatus.PENDING and item.response is None and attempt.score == 0
    assert _audit("attempt.late_accept") == _audit("attempt.late_reject") == []


@pytest.mark.parametrize("reason, message", [("", "请填写原因"), ("   ", "请填写原因"), ("长" * 501, "不能超过 500")])
def test_a_reason_is_required(ctx, world, reason, message):
    _exam, attempt = _submitted(world)
    delivery = _late(attempt, 1, None, seq=1)
    for decide in (accept_late, reject_late):
        with pytest.raises(DomainError, match=message) as raised:
            decide(_user(world, "office"), attempt, [delivery.id], reason)
        assert raised.value.field == "reason"
    assert delivery.status == LateStatus.PENDING


def test_a_voided_or_reopened_attempt_is_refused(ctx, world):
    exam, attempt = _submitted(world)
    delivery = _late(attempt, 1, None, seq=1)
    void_attempt(None, attempt, "他人代考")
    for decide in (accept_late, reject_late):
        with pytest.raises(DomainError, match="已作废"):
            decide(_user(world, "exam_admin"), attempt, [delivery.id], REASON)
    in_progress = start_attempt(exam, _user(world, "examinee_b"))
    early = LateDelivery(
        attempt_id=in_progress.id,
        position=1,
        seq=1,
        response=None,
        flagged=False,
        answered_at=in_progress.started_at,
        received_at=in_progress.started_at,
        status=LateStatus.PENDING,
    )
    db.session.add(early)
    db.session.flush()
    with pytest.raises(DomainError, match="交卷后才能接受"):
        accept_late(_user(world, "exam_admin"), in_progress, [early.id], REASON)
    assert delivery.status == early.status == LateStatus.PENDING


def test_a_corrected_key_grades_the_accepted_answer(ctx, world):
    _exam, attempt = _submitted(world)
    item = _item(attempt)
    version = item.version
    corrected = update_question(
        None,
        version.question,
        QuestionData(
            qtype=version.qtype,
            stem=version.stem,
            options=list(version.options),
            answer="C",
            explanation=version.explanation,
            source=version.source,
            difficulty=version.difficulty,
            category_id=version.category_id,
        ),
    )
    item.key_version_id = corrected.id  # as a regrade with the corrected key left it
    db.session.flush()
    delivery = _late(attempt, item.position, "C", seq=2)  # wrong by the version's own key "B"

    accept_late(_user(world, "exam_admin"), attempt, [delivery.id], REASON)

    assert version.answer == "B" and item.awarded == item.points and attempt.score == item.points


def test_after_the_seal_the_units_stored_result_is_re_derived(ctx, world):
    exam = exam_factories.exam(world, publish=True)
    _exam, attempt = _submitted(world, exam)
    _submitted(world, exam, role="examinee_b")
    close_exam(None, exam)
    office = _user(world, "office")
    seal_exam(office, exam)
    unit_id = world.communities["a"].id
    stored = db.session.scalar(select(UnitResult).where(UnitResult.exam_id == exam.id, UnitResult.unit_id == unit_id))
    assert stored.score_sum == 0 and stored.revision == 0
    item = _item(attempt)
    delivery = _late(attempt, item.position, item.version.answer, seq=9)

    decision = accept_late(office, attempt, [delivery.id], REASON)

    assert [s.unit_id for s in decision.units] == [unit_id]
    assert stored.score_sum == item.points and stored.revision == 1
    record = db.session.scalar(select(AccreditationRecord).where(AccreditationRecord.unit_id == unit_id))
    correction = record.entries[-1]
    assert correction.kind == "exam_corrected"
    assert "接受" in correction.reason and attempt.user.name in correction.reason and REASON in correction.reason
    (entry,) = _audit("results.correct")
    assert attempt.user.name in entry.reason
    # the other district's unit did not change
    other = db.session.scalar(
        select(UnitResult).where(UnitResult.exam_id == exam.id, UnitResult.unit_id == world.communities["b"].id)
    )
    assert other.revision == 0


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def late_attempt(app, world):
    """kaosheng's submitted attempt with a 单选 shown in a known order and a pending delivery of its
    original option "B" (shown to the examinee as "D"). Returns (exam id, attempt id, delivery id, position)."""
    with app.app_context():
        _exam, attempt = _submitted(world)
        item = _item(attempt)
        item.option_order = [2, 0, 3, 1]  # shown A B C D = original C A D B
        delivery = _late(attempt, item.position, "B", seq=8)
        db.session.commit()
        return attempt.exam_id, attempt.id, delivery.id, item.position


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _state(app, delivery_id):
    with app.app_context():
        delivery = db.session.get(LateDelivery, delivery_id)
        attempt = db.session.get(Attempt, delivery.attempt_id)
        item = db.session.scalar(
            select(AttemptItem).where(AttemptItem.attempt_id == attempt.id, AttemptItem.position == delivery.position)
        )
        return delivery.status, item.response, attempt.score


@pytest.mark.parametrize("username", ["admin", "office"])
def test_the_pages_show_the_deliveries_in_the_examinees_letters(app, late_attempt, username):
    exam_id, attempt_id, delivery_id, position = late_attempt
    client = _client(app, username)
    listing = client.get(f"/results/exams/{exam_id}/late").get_data(as_text=True)
    assert "待审核 <strong>1</strong> 份" in listing and f"/results/attempts/{attempt_id}/late" in listing
    response = client.get(f"/results/attempts/{attempt_id}/late")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"第 {position} 题" in page and "单选题" in page  # the stem
    assert re.search(rf'data-testid="delivered-{delivery_id}">D<', page)  # original "B", shown 4th
    assert re.search(rf'data-testid="current-{delivery_id}">未作答<', page)
    assert "10.1.2.3" in page and "截止前已断网" in page and "待审核" in page
    assert f'name="deliveries" value="{delivery_id}"' in page and 'name="csrf_token"' in page
    assert "正确答案" not in page and "标准答案和对错" in page  # the key never, only the note that it is not shown
    assert ('data-testid="score"' in page) == (username == "admin")  # scores: exam admins only
    results = client.get(f"/exams/{exam_id}/results").get_data(as_text=True)
    assert "迟到送达的答案：1 份待审核" in results and f"/results/exams/{exam_id}/late" in results


@pytest.mark.parametrize("username", ["kaosheng", "jinshui"])
def test_examinees_and_district_admins_are_refused(app, late_attempt, username):
    exam_id, attempt_id, delivery_id, _position = late_attempt
    client = _client(app, username)
    assert client.get(f"/results/exams/{exam_id}/late").status_code == 403
    assert client.get(f"/results/attempts/{attempt_id}/late").status_code == 403
    response = client.post(
        f"/results/attempts/{attempt_id}/late",
        data={"csrf_token": csrf_token(client, "/"), "deliveries": delivery_id, "reason": REASON, "accept": "接受"},
    )
    assert response.status_code == 403
    assert _state(app, delivery_id)[0] == LateStatus.PENDING
    if username == "jinshui":  # results, but no link to the review
        assert "迟到送达的答案" not in client.get(f"/exams/{exam_id}/results").get_data(as_text=True)


def test_the_form_needs_its_csrf_token(app, late_attempt):
    _exam_id, attempt_id, delivery_id, _position = late_attempt
    client = _client(app, "admin")
    response = client.post(
        f"/results/attempts/{attempt_id}/late", data={"deliveries": delivery_id, "reason": REASON, "accept": "接受"}
    )
    assert response.status_code == 400
    assert _state(app, delivery_id) == (LateStatus.PENDING, None, Decimal("0"))


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reason": "", "accept": "接受"}, "请填写原因"),
        ({"reason": REASON}, "请选择“接受”或“不予接受”"),
        ({"reason": "长" * 501, "reject": "不予接受"}, "不能超过 500"),
    ],
)
def test_a_refused_form_is_shown_again_with_its_errors(app, late_attempt, data, message):
    _exam_id, attempt_id, delivery_id, _position = late_attempt
    client = _client(app, "office")
    url = f"/results/attempts/{attempt_id}/late"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "deliveries": delivery_id, **data})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert re.search(rf'value="{delivery_id}" id="delivery-{delivery_id}"\s+checked', page)  # the choice is kept
    assert _state(app, delivery_id) == (LateStatus.PENDING, None, Decimal("0"))


@pytest.mark.parametrize("bad", ["99999999999", "²", "x"])
@pytest.mark.parametrize("button", [{"accept": "接受"}, {"reject": "不予接受"}])
def test_a_tampered_delivery_number_is_a_400_and_changes_nothing(app, late_attempt, bad, button):
    _exam_id, attempt_id, delivery_id, _position = late_attempt
    client = _client(app, "office")
    url = f"/results/attempts/{attempt_id}/late"
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "deliveries": [delivery_id, bad], "reason": REASON, **button}
    )
    assert response.status_code == 400, response.status_code
    assert _state(app, delivery_id) == (LateStatus.PENDING, None, Decimal("0"))


def test_no_delivery_chosen_or_one_decided_meanwhile(app, late_attempt):
    _exam_id, attempt_id, delivery_id, _position = late_attempt
    client = _client(app, "office")
    url = f"/results/attempts/{attempt_id}/late"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": REASON, "accept": "接受"})
    assert response.status_code == 400 and "请至少勾选一份迟到送达的答案" in response.get_data(as_text=True)
    token = csrf_token(client, url)
    other = _client(app, "admin")
    assert (
        other.post(
            url,
            data={
                "csrf_token": csrf_token(other, url),
                "deliveries": delivery_id,
                "reason": REASON,
                "reject": "不予接受",
            },
        ).status_code
        == 302
    )
    stale = client.post(url, data={"csrf_token": token, "deliveries": delivery_id, "reason": REASON, "accept": "接受"})
    assert stale.status_code == 400 and "已经审核过" in stale.get_data(as_text=True)
    assert _state(app, delivery_id)[0] == LateStatus.REJECTED


def test_accepting_from_the_page(app, late_attempt):
    exam_id, attempt_id, delivery_id, position = late_attempt
    client = _client(app, "admin")
    url = f"/results/attempts/{attempt_id}/late"
    response = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "deliveries": delivery_id, "reason": REASON, "accept": "接受"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已接受 1 份迟到送达的答案" in page
    assert f"已计入第 {position} 题并重新评分" in page and "成绩由 0.00 分变为 10.00 分" in page
    assert "已接受" in page and REASON in page and f'name="deliveries" value="{delivery_id}"' not in page
    assert _state(app, delivery_id) == (LateStatus.ACCEPTED, "B", Decimal("10.00"))
    results = client.get(f"/exams/{exam_id}/results").get_data(as_text=True)
    assert "迟到送达的答案：1 份，均已审核" in results
    audit = client.get("/audit/").get_data(as_text=True)
    assert "接受迟到送达的答案" in audit and REASON in audit


def test_the_office_is_not_told_the_score(app, late_attempt):
    _exam_id, attempt_id, delivery_id, _position = late_attempt
    client = _client(app, "office")
    url = f"/results/attempts/{attempt_id}/late"
    response = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "deliveries": delivery_id, "reason": REASON, "accept": "接受"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "已接受 1 份迟到送达的答案" in page and "成绩由" not in page and "得分" not in page


def test_an_acceptance_after_the_seal_that_changes_a_standing_waits_for_the_office(ctx, world):
    from decimal import Decimal

    from examapp.results import corrections
    from examapp.results.scores import Verdict

    from .test_results import _closed, _office, build

    exam, units, people = build(world, {"迟送社区": ["94"]})
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == people["迟送社区"][0].id))
    items = list(attempt.items)
    for item in items:
        item.awarded = Decimal("0")
    items[0].awarded = Decimal("94")  # the 94 points the attempt holds
    target = next(i for i in items[1:] if i.version.qtype == "single")
    assert target.points >= 1
    seal_exam(_office(), _closed(exam))
    stored = db.session.scalar(select(UnitResult).where(UnitResult.unit_id == units["迟送社区"].id))
    assert stored.verdict == Verdict.DISQUALIFIED
    delivery = _late(attempt, target.position, target.version.answer, seq=5)
    params = {"attempt_id": attempt.id, "delivery_ids": [delivery.id]}

    outcome = corrections.correct(_user(world, "exam_admin"), exam, "late_accept", params, REASON)

    assert outcome.proposed and "迟到送达" in outcome.proposal.summary
    assert delivery.status == LateStatus.PENDING and target.response is None and attempt.score == Decimal("94")
    assert stored.verdict == Verdict.DISQUALIFIED and stored.revision == 0
    corrections.confirm_correction(_user(world, "office"), outcome.proposal, "核实考场断网记录")
    assert delivery.status == LateStatus.ACCEPTED and attempt.score == Decimal("94") + target.points
    assert stored.verdict == Verdict.PASSED and stored.revision == 1
