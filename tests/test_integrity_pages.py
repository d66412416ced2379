"""Integrity findings through the database: computing, the pages, review, recomputing, the command."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from examapp.audit.models import AuditEntry
from examapp.errors import DomainError
from examapp.exams.models import Exam
from examapp.extensions import db
from examapp.integrity.analysis import finding_key
from examapp.integrity.export import HEADER_ROWS, SHEET_NAME
from examapp.integrity.models import Finding, FindingKind, IntegrityRun
from examapp.integrity.services import compute_findings, exams_due, review_finding
from examapp.sitting.models import Attempt, AttemptEvent, AttemptItem

from . import exam_factories, matrix_integrity
from .conftest import csrf_token, login, post
from .integrity_factories import DB_PLAN, simulate, write_plan


@pytest.fixture(scope="module")
def plan():
    return simulate(**DB_PLAN)


@pytest.fixture
def sitting(app, world, plan):
    """A published exam holding the simulated sitting (committed to the test's transaction)."""
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        written = write_plan(plan, exam, world.city)
        db.session.commit()
        return {"exam_id": exam.id, **written}


def _ids(sitting, indices):
    return [sitting["attempts"][i] for i in indices]


def _compute(app, sitting, actor=None):
    with app.app_context():
        run = compute_findings(db.session.get(Exam, sitting["exam_id"]), actor)
        db.session.commit()
        return run


def _findings(app, exam_id):
    with app.app_context():
        return {f.key: f for f in db.session.scalars(select(Finding).where(Finding.exam_id == exam_id))}


def test_planted_cases_are_found_from_the_database(app, sitting, plan):
    run = _compute(app, sitting)
    found = _findings(app, sitting["exam_id"])
    assert run.attempts == len(plan.attempts) and run.findings == len(found)
    assert finding_key(FindingKind.SAME_DEVICE, _ids(sitting, plan.impersonated)) in found
    for source, copier in plan.copy_pairs:
        assert finding_key(FindingKind.COPYING, _ids(sitting, [source, copier])) in found
    assert finding_key(FindingKind.SPEED, _ids(sitting, plan.fast)) in found
    assert finding_key(FindingKind.TWO_ADDRESSES, _ids(sitting, plan.two_places)) in found
    honest_unit = sitting["units"][plan.honest_unit]
    assert all(honest_unit not in f.unit_ids for f in found.values())
    assert honest_unit in run.stats["score_outlier_unit_ids"]


def test_computing_changes_no_score(app, sitting):
    with app.app_context():
        before = db.session.execute(
            select(func.sum(Attempt.score), func.count()).where(Attempt.exam_id == sitting["exam_id"])
        ).one()
    _compute(app, sitting)
    with app.app_context():
        after = db.session.execute(
            select(func.sum(Attempt.score), func.count()).where(Attempt.exam_id == sitting["exam_id"])
        ).one()
    assert tuple(before) == tuple(after) and Decimal(after[0]) > 0


def test_recomputing_keeps_reviews_of_findings_that_still_hold(app, sitting, plan, world):
    _compute(app, sitting)
    device_key = finding_key(FindingKind.SAME_DEVICE, _ids(sitting, plan.impersonated))
    copy_key = finding_key(FindingKind.COPYING, _ids(sitting, plan.copy_pairs[0]))
    with app.app_context():
        office = db.session.merge(world.accounts["office"])
        for key in (device_key, copy_key):
            finding = db.session.scalar(select(Finding).where(Finding.key == key))
            review_finding(office, finding, f"已核实 {key}")
        db.session.commit()
        unreviewed_before = db.session.scalar(
            select(func.count())
            .select_from(Finding)
            .where(Finding.reviewed_at.is_(None), Finding.exam_id == sitting["exam_id"])
        )
        # one of the three accounts turns out to have been opened elsewhere: the device finding changes
        third = _ids(sitting, plan.impersonated)[2]
        db.session.execute(delete(AttemptEvent).where(AttemptEvent.attempt_id == third, AttemptEvent.kind == "opened"))
        db.session.add(
            AttemptEvent(
                attempt_id=third,
                kind="opened",
                client_address="10.3.3.3",
                user_agent="Edge",
                occurred_at=db.session.get(Attempt, third).started_at,
            )
        )
        db.session.commit()
    _compute(app, sitting)
    found = _findings(app, sitting["exam_id"])
    # the copy finding holds and keeps its review; the device finding of three no longer holds, review kept
    assert found[copy_key].holds and found[copy_key].review_note == f"已核实 {copy_key}"
    assert not found[device_key].holds and found[device_key].review_note == f"已核实 {device_key}"
    two = finding_key(FindingKind.SAME_DEVICE, _ids(sitting, plan.impersonated)[:2])
    assert two in found and found[two].holds and not found[two].is_reviewed
    # unreviewed findings were replaced, not piled up
    assert sum(1 for f in found.values() if not f.is_reviewed) == unreviewed_before + 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IntegrityRun)) == 2


def test_review_needs_a_note_and_is_audited(app, sitting, world):
    _compute(app, sitting)
    with app.app_context():
        office = db.session.merge(world.accounts["office"])
        finding = db.session.scalar(select(Finding).where(Finding.exam_id == sitting["exam_id"]).limit(1))
        with pytest.raises(DomainError):
            review_finding(office, finding, "  ")
        review_finding(office, finding, "已调取监控录像")
        db.session.commit()
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "integrity.review"))
        assert entry.object_id == str(finding.id) and entry.reason == "已调取监控录像"
        assert entry.actor_username == "office"


def test_office_sees_the_copy_pair_with_its_shared_wrong_answers(app, sitting, plan, as_role):
    _compute(app, sitting)
    client = as_role("office")
    page = client.get(f"/exams/{sitting['exam_id']}/integrity")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "疑似抄袭" in html and "同设备多账号" in html
    copy_key = finding_key(FindingKind.COPYING, _ids(sitting, plan.copy_pairs[0]))
    finding = _findings(app, sitting["exam_id"])[copy_key]
    detail = client.get(f"/exams/{sitting['exam_id']}/integrity/{finding.id}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert 'data-testid="shared-answers"' in html and 'data-identical="1"' in html
    assert html.count('data-identical="1"') == finding.evidence["identical_wrong"]
    assert "模拟" in html and "选项" in html  # stems and the options' texts, the correct answer beside
    assert 'data-testid="timeline"' in html and "<script" not in html.split("</main>")[0].split("<main")[1]
    assert "标记为已复核" in html
    # review through the page
    token = csrf_token(client, f"/exams/{sitting['exam_id']}/integrity/{finding.id}")
    response = client.post(
        f"/exams/{sitting['exam_id']}/integrity/{finding.id}/review",
        data={"note": "监控显示二人邻座，已移交纪检", "csrf_token": token},
    )
    assert response.status_code == 302
    assert "监控显示二人邻座" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_evidence_shows_how_each_attempt_was_answered_and_who_answered_first(app, sitting, plan, as_role):
    _compute(app, sitting)
    copy_key = finding_key(FindingKind.COPYING, _ids(sitting, plan.copy_pairs[0]))
    finding = _findings(app, sitting["exam_id"])[copy_key]
    first, second = finding.attempt_ids
    with app.app_context():  # the second gives every answer of a shared question 20 s after the first
        items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id.in_((first, second)))).all()
        given = {i.question_version_id: i.first_answered_at for i in items if i.attempt_id == first}
        for item in items:
            if item.attempt_id == second and item.question_version_id in given:
                item.first_answered_at = given[item.question_version_id] + timedelta(seconds=20)
        db.session.commit()
    html = as_role("office").get(f"/exams/{sitting['exam_id']}/integrity/{finding.id}").get_data(as_text=True)
    names = re.findall(r'<tr data-attempt-id="\d+">\s*<td>([^<]+)</td>', html)
    identical = finding.evidence["identical_wrong"]
    lead = re.search(r'data-testid="lead">([^<]+)<', html).group(1)
    assert f"{names[0]} 先作答 {identical} 道，{names[1]} 先作答 0 道" in lead and "时间差中位数 20 秒" in lead
    assert html.count("相差 +20 秒") == html.count("data-identical=") >= identical  # every shared row, side by side
    # the first attempt answered one question every 20 s, in its paper's order (write_plan's times)
    assert re.search(r'data-testid="median-gap">20<', html)
    assert 'data-testid="answer-order"' in html
    assert re.search(r'题号顺序：<span class="text-break">1–\d+</span>', html)


def test_a_speed_finding_says_when_the_first_answer_came(app, sitting, plan, as_role):
    _compute(app, sitting)
    (attempt_id,) = _ids(sitting, plan.fast)
    finding = _findings(app, sitting["exam_id"])[finding_key(FindingKind.SPEED, [attempt_id])]
    with app.app_context():
        started = db.session.get(Attempt, attempt_id).started_at
        first = db.session.scalar(
            select(func.min(AttemptItem.first_answered_at)).where(AttemptItem.attempt_id == attempt_id)
        )
    seconds = round((first - started).total_seconds(), 1)
    assert finding.evidence["first_answer_seconds"] == seconds
    html = as_role("office").get(f"/exams/{sitting['exam_id']}/integrity/{finding.id}").get_data(as_text=True)
    assert f"开始后 {seconds} 秒作答第一题" in html


def test_exam_admin_sees_findings_but_cannot_review(app, sitting, as_role):
    _compute(app, sitting)
    client = as_role("exam_admin")
    finding = next(iter(_findings(app, sitting["exam_id"]).values()))
    html = client.get(f"/exams/{sitting['exam_id']}/integrity/{finding.id}").get_data(as_text=True)
    assert "标记为已复核" not in html
    token = csrf_token(client, f"/exams/{sitting['exam_id']}/integrity/{finding.id}")
    response = client.post(
        f"/exams/{sitting['exam_id']}/integrity/{finding.id}/review", data={"note": "x", "csrf_token": token}
    )
    assert response.status_code == 403
    assert not _findings(app, sitting["exam_id"])[finding.key].is_reviewed


@pytest.mark.parametrize("role", ["examinee", "district_admin"])
def test_examinees_and_district_admins_never_reach_findings(app, sitting, as_role, role):
    _compute(app, sitting)
    client = as_role(role)
    finding = next(iter(_findings(app, sitting["exam_id"]).values()))
    assert client.get(f"/exams/{sitting['exam_id']}/integrity").status_code == 403
    assert client.get(f"/exams/{sitting['exam_id']}/integrity/{finding.id}").status_code == 403
    assert client.get(f"/exams/{sitting['exam_id']}/integrity/export.xlsx").status_code == 403


def test_filters_and_sorting(app, sitting, as_role):
    _compute(app, sitting)
    client = as_role("exam_admin")
    base = f"/exams/{sitting['exam_id']}/integrity"
    html = client.get(f"{base}?kind=copying").get_data(as_text=True)
    assert 'data-kind="copying"' in html and 'data-kind="same_device"' not in html
    strengths = [f.strength for f in sorted(_findings(app, sitting["exam_id"]).values(), key=lambda f: -f.strength)]
    html = client.get(f"{base}?sort=strength").get_data(as_text=True)
    shown = [float(part.split("</td>")[0]) for part in html.split('<td class="text-end">')[1:]]
    assert shown == [round(s, 1) for s in strengths]
    some_unit = next(iter(_findings(app, sitting["exam_id"]).values())).unit_ids[0]
    html = client.get(f"{base}?unit={some_unit}").get_data(as_text=True)
    assert html.count("data-finding-id=") == sum(
        1 for f in _findings(app, sitting["exam_id"]).values() if some_unit in f.unit_ids
    )


def test_compute_button_and_its_csrf(app, sitting, as_role):
    client = as_role("office")
    base = f"/exams/{sitting['exam_id']}/integrity"
    assert client.post(f"{base}/compute").status_code == 400
    response = post(client, f"{base}/compute", page=base)
    assert response.status_code == 302
    html = client.get(base).get_data(as_text=True)
    assert "最近计算" in html and "疑似抄袭" in html


def test_export_is_a_workbook(app, sitting, as_role):
    _compute(app, sitting)
    response = as_role("office").get(f"/exams/{sitting['exam_id']}/integrity/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data))[SHEET_NAME]
    rows = list(sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    assert "考试诚信疑点" in sheet["A1"].value
    assert rows[0][:3] == ("编号", "类型", "程度") and len(rows) - 1 == len(_findings(app, sitting["exam_id"]))


def test_report_command_computes_and_writes(app, sitting, runner, tmp_path):
    out = tmp_path / "findings.xlsx"
    result = runner.invoke(args=["integrity", "report", str(sitting["exam_id"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out)[SHEET_NAME].iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    kinds = {row[1] for row in rows[1:]}
    assert FindingKind.LABELS[FindingKind.COPYING] in kinds and FindingKind.LABELS[FindingKind.SAME_DEVICE] in kinds
    bad = runner.invoke(args=["integrity", "report", "999999", "--out", str(out)])
    assert bad.exit_code != 0 and "没有编号" in bad.output


def test_sweep_computes_exams_that_ended(app, sitting, runner, clock):
    from datetime import timedelta

    with app.app_context():
        exam = db.session.get(Exam, sitting["exam_id"])
        clock.set(exam.closes_at - timedelta(minutes=5))
        assert exam not in exams_due()
        clock.set(exam.closes_at + timedelta(minutes=5))
        assert [e.id for e in exams_due()] == [exam.id]
    result = runner.invoke(args=["integrity", "sweep"])
    assert result.exit_code == 0 and "已计算 1 场考试" in result.output
    with app.app_context():
        assert exams_due() == []


def test_a_draft_exam_has_no_findings_page(app, world, as_role):
    with app.app_context():
        draft = exam_factories.exam(world)
        db.session.commit()
        draft_id = draft.id
    assert as_role("office").get(f"/exams/{draft_id}/integrity").status_code == 404


# --- the permission matrix rows (tests/matrix_integrity.py), run here as well -------------


@pytest.mark.parametrize("role", ["anonymous", "examinee", "district_admin", "exam_admin", "office"])
@pytest.mark.parametrize("endpoint", sorted(matrix_integrity.EXPECTED))
def test_matrix(app, world, endpoint, role):
    from flask import url_for

    method, allowed = matrix_integrity.EXPECTED[endpoint]
    client = app.test_client()
    if role != "anonymous":
        assert login(client, world.accounts[role].username).status_code == 302
    with app.test_request_context():
        url = url_for(endpoint, **matrix_integrity.url_params(endpoint, world, world.accounts.get(role)))
        db.session.commit()
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/") if role != "anonymous" else csrf_token(client, "/login")
        response = client.post(url, data={"csrf_token": token, "note": "矩阵测试", "reason": "矩阵测试"})
    location = response.headers.get("Location", "")
    if role in allowed:
        assert response.status_code not in (401, 403, 404), response.status_code
        assert "/login" not in location
    elif role == "anonymous":
        assert response.status_code == 302 and "/login" in location
    else:
        assert response.status_code == 403


def test_the_findings_page_says_what_this_exam_can_see(app, sitting, as_role):
    run = _compute(app, sitting)
    html = as_role("office").get(f"/exams/{sitting['exam_id']}/integrity").get_data(as_text=True)
    seen = html[html.index('data-testid="what-it-sees"') :]
    seen = seen[: seen.index("</section>")]
    assert f"本场考试考生平均答错 {run.stats['copying_power']['mean_wrong']:.1f} 题" in seen
    assert "未登记考场地址" in seen  # the exam declares no rooms: addresses alone say nothing
    with app.app_context():
        db.session.get(Exam, sitting["exam_id"]).ip_allowlist = "10.0.0.0/8"
        db.session.commit()
    _compute(app, sitting)
    html = as_role("office").get(f"/exams/{sitting['exam_id']}/integrity").get_data(as_text=True)
    assert "登记了 1 个考场地址或网段" in html


def test_a_neighbour_answering_seconds_after_another_is_a_timing_finding_with_both_timelines(
    app, sitting, plan, as_role
):
    planted = {i for pair in plan.copy_pairs for i in pair} | set(plan.impersonated + plan.fast + plan.two_places)
    unit = next(u for u in plan.units if sum(1 for a in plan.attempts if a.unit == u and a.index not in planted) >= 2)
    leader, follower = [a.index for a in plan.attempts if a.unit == unit and a.index not in planted][:2]
    leader_id, follower_id = _ids(sitting, [leader, follower])
    with app.app_context():
        led = {
            item.question_version_id: item.first_answered_at
            for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == leader_id))
        }
        followed = 0
        for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == follower_id)):
            if item.question_version_id in led and item.response is not None:
                item.first_answered_at = item.answered_at = led[item.question_version_id] + timedelta(seconds=4)
                followed += 1
        db.session.commit()
    assert followed >= 20
    _compute(app, sitting)
    found = _findings(app, sitting["exam_id"])
    key = finding_key(FindingKind.TIMING, [leader_id, follower_id])
    assert key in found and found[key].attempt_ids == [leader_id, follower_id]
    assert found[key].level in ("high", "medium") and found[key].evidence["followed"] == followed
    assert [f for f in found.values() if f.kind == FindingKind.TIMING] == [found[key]]
    html = as_role("office").get(f"/exams/{sitting['exam_id']}/integrity/{found[key].id}").get_data(as_text=True)
    assert 'data-testid="aligned-answers"' in html and html.count('data-followed="1"') == followed
    assert "+4 秒" in html and 'data-testid="timeline"' in html
