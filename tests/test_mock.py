"""Mock exams: start, answer, hand in, review; the deadline; fresh draws; refusals; bad input;
the closed book; and that a mock counts nowhere (results, exports, seals, records, monitor)."""

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import func, select

from examapp.auth.models import User
from examapp.bank.content import QType
from examapp.bank.models import QuestionVersion
from examapp.exams.models import ExamStatus
from examapp.exams.services import close_exam
from examapp.extensions import db
from examapp.monitor.queries import unit_summary
from examapp.practice import mock as mocks
from examapp.practice.models import MockAttempt, MockItem, MockState, PracticeSettings, WrongBookEntry
from examapp.results.export import people_rows
from examapp.results.models import UnitResult
from examapp.results.scores import histogram, unit_scores
from examapp.results.services import seal_exam
from examapp.sitting.models import AttemptState
from examapp.sitting.services import start_attempt, submit_attempt

from . import exam_factories as factories
from . import matrix_mock
from .conftest import csrf_token, login
from .test_permissions import ANON, ROLES

ROOT = Path(__file__).resolve().parents[1]


def _kaosheng():
    return db.session.scalar(select(User).where(User.username == "kaosheng"))


def _mock_count():
    return db.session.scalar(select(func.count()).select_from(MockAttempt)), db.session.scalar(
        select(func.count()).select_from(MockItem)
    )


@pytest.fixture
def exam_id(app, world):
    with app.app_context():
        exam = factories.exam(world, publish=True, duration_minutes=30)
        db.session.commit()
        return exam.id


@pytest.fixture
def examinee(app, world):
    client = app.test_client()
    assert login(client, "kaosheng").status_code == 302
    return client


def _start(client, exam_id=None):
    data = {"csrf_token": csrf_token(client, "/practice/mock")}
    if exam_id is not None:
        data["exam"] = str(exam_id)
    return client.post("/practice/mock/start", data=data)


def _started(client, exam_id=None):
    response = _start(client, exam_id)
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/practice/mock/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _page(client, mock_id):
    html = client.get(f"/practice/mock/{mock_id}").get_data(as_text=True)
    return html, re.search(r'data-csrf="([^"]+)"', html).group(1)


def _post_json(client, path, payload, csrf, raw=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = csrf
    return client.post(path, data=raw if raw is not None else json.dumps(payload), headers=headers)


def _items(app, mock_id):
    """[(position, qtype, key in the version's letters, options)] of a mock."""
    with app.app_context():
        return db.session.execute(
            select(MockItem.position, QuestionVersion.qtype, QuestionVersion.answer, QuestionVersion.options)
            .join(QuestionVersion, QuestionVersion.id == MockItem.question_version_id)
            .where(MockItem.mock_id == mock_id)
            .order_by(MockItem.position)
        ).all()


def _responses(app, mock_id):
    with app.app_context():
        return db.session.scalars(
            select(MockItem.response).where(MockItem.mock_id == mock_id).order_by(MockItem.position)
        ).all()


def _wrong(qtype, key, options):
    if qtype == QType.JUDGE:
        return "F" if key == "T" else "T"
    return next(letter for letter in "ABCDEF"[: len(options)] if letter not in key)


# --- the list --------------------------------------------------------------------------------------


def test_the_list_offers_the_rostered_exam_and_the_default_and_says_it_counts_nowhere(examinee, exam_id):
    html = examinee.get("/practice/mock").get_data(as_text=True)
    assert "按《2026 年度劳动保障业务知识闭卷考试》的组卷方式模拟" in html
    assert "通用模拟（100 分）" in html and "不计成绩" in html
    # the small bank has no 填空: the default paper is scaled and says so
    assert "填空题只有 0 道" in html and "满分仍为 100 分" in html
    assert "还没有模拟考试记录" in html


def test_a_draft_exam_and_an_exam_not_rostered_are_not_offered(app, world, examinee):
    with app.app_context():
        category = factories.small_bank()
        factories.exam(world, category=category, title="草稿考试")
        factories.exam(
            world, publish=True, category=category, title="别区考试", units=[db.session.merge(world.districts["b"])]
        )
        db.session.commit()
    html = examinee.get("/practice/mock").get_data(as_text=True)
    assert "草稿考试" not in html and "别区考试" not in html


# --- the default paper -----------------------------------------------------------------------------


def test_the_default_plan_is_100_points_and_scales_when_the_bank_is_short(ctx):
    full = {QType.SINGLE: 40, QType.MULTIPLE: 20, QType.JUDGE: 20, QType.BLANK: 10}
    plan, note = mocks.plan_rows(mocks.DEFAULT_BLUEPRINT, pool_sizes=full)
    assert note is None
    assert [(q, len(p)) for q, p in plan] == [(q, n) for q, n, _ in mocks.DEFAULT_BLUEPRINT]
    assert sum(sum(p) for _q, p in plan) == 100
    for sizes in (
        {QType.SINGLE: 6, QType.MULTIPLE: 6, QType.JUDGE: 6},
        {QType.SINGLE: 7, QType.MULTIPLE: 20, QType.JUDGE: 3, QType.BLANK: 1},
        {QType.JUDGE: 1},
    ):
        plan, note = mocks.plan_rows(mocks.DEFAULT_BLUEPRINT, pool_sizes=sizes)
        assert sum(sum(p) for _q, p in plan) == 100 and "题量不足" in note
        assert {q: len(p) for q, p in plan} == {
            q: min(n, sizes.get(q, 0)) for q, n, _ in mocks.DEFAULT_BLUEPRINT if sizes.get(q)
        }
    assert mocks.plan_rows(mocks.DEFAULT_BLUEPRINT, pool_sizes={})[0] is None


def test_the_default_mock_draws_only_questions_open_for_practice(ctx, world):
    kept = factories.small_bank(category_name="劳动关系")
    factories.small_bank(category_name="社会保险")
    db.session.add(PracticeSettings(id=1, closed=False, category_ids=[kept.id]))
    db.session.flush()
    mock = mocks.start_mock(_kaosheng())
    assert {item.version.category_id for item in mock.items} == {kept.id}
    assert sum(item.points for item in mock.items) == 100


# --- start, answer, hand in, review ----------------------------------------------------------------


def test_start_answer_hand_in_and_review(app, examinee, exam_id):
    mock_id = _started(examinee, exam_id)
    html, csrf = _page(examinee, mock_id)
    assert "模拟考试（不计成绩）" in html and 'id="timer"' in html
    items = _items(app, mock_id)
    # right answers to the first two, a wrong one to the third, the rest left unanswered
    (p1, q1, k1, _o1), (p2, q2, k2, _o2), (p3, q3, k3, o3) = items[:3]
    answers = [{"position": p1, "response": k1}, {"position": p2, "response": k2}]
    response = _post_json(examinee, f"/practice/mock/{mock_id}/save", {"answers": answers}, csrf)
    assert response.status_code == 200 and response.get_json()["status"] == "saved"
    assert _responses(app, mock_id)[:2] == [k1, k2]
    answers.append({"position": p3, "response": _wrong(q3, k3, o3)})
    response = _post_json(examinee, f"/practice/mock/{mock_id}/submit", {"answers": answers}, csrf)
    assert response.status_code == 200
    review_url = response.get_json()["review_url"]
    with app.app_context():
        mock = db.session.get(MockAttempt, mock_id)
        assert mock.state == MockState.SUBMITTED and mock.submitted_at is not None
        right_points = sum(item.points for item in mock.items[:2])
        assert mock.score == right_points
        third = mock.items[2].version
        book = db.session.scalars(select(WrongBookEntry).where(WrongBookEntry.user_id == mock.user_id)).all()
        assert [entry.question_id for entry in book] == [third.question_id]
    page = examinee.get(review_url).get_data(as_text=True)
    assert "模拟考试（不计成绩）" in page and "回答正确" in page and "回答错误" in page and "未作答" in page
    assert "正确答案" in page and "解析" in page and "依据" in page and "社会保险法第五十八条" in page
    assert 'data-testid="review-summary"' in page
    # the page now leads to the review, and the mock is in the list with its score
    assert examinee.get(f"/practice/mock/{mock_id}").headers["Location"].endswith(f"/practice/mock/{mock_id}/review")
    listing = examinee.get("/practice/mock").get_data(as_text=True)
    assert f'data-testid="mock-row-{mock_id}"' in listing and "查看答卷" in listing
    # a second hand-in changes nothing
    again = _post_json(examinee, f"/practice/mock/{mock_id}/submit", {"answers": []}, csrf)
    assert again.status_code == 200 and again.get_json()["status"] == "submitted"


def test_the_form_hand_in_without_script_grades_what_is_saved(app, examinee, exam_id):
    mock_id = _started(examinee, exam_id)
    _page(examinee, mock_id)
    response = examinee.post(
        f"/practice/mock/{mock_id}/submit", data={"csrf_token": csrf_token(examinee, f"/practice/mock/{mock_id}")}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")
    with app.app_context():
        mock = db.session.get(MockAttempt, mock_id)
        assert mock.state == MockState.SUBMITTED and mock.score == 0


def test_the_review_waits_for_the_hand_in(examinee, exam_id):
    mock_id = _started(examinee, exam_id)
    response = examinee.get(f"/practice/mock/{mock_id}/review")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/practice/mock/{mock_id}")


def test_no_key_before_the_hand_in(app, examinee, exam_id):
    mock_id = _started(examinee, exam_id)
    html, csrf = _page(examinee, mock_id)
    items = _items(app, mock_id)
    reply = _post_json(
        examinee, f"/practice/mock/{mock_id}/save", {"answers": [{"position": items[0][0], "response": "A"}]}, csrf
    )
    for text in (html, reply.get_data(as_text=True)):
        assert "社会保险法第五十八条" not in text and "正确答案" not in text
        assert '"answer"' not in text and "data-key" not in text


# --- the deadline ----------------------------------------------------------------------------------


def test_the_deadline_hands_in_on_the_next_request(app, examinee, exam_id, clock):
    mock_id = _started(examinee, exam_id)
    _html, csrf = _page(examinee, mock_id)
    items = _items(app, mock_id)
    first = {"position": items[0][0], "response": items[0][2]}
    assert _post_json(examinee, f"/practice/mock/{mock_id}/save", {"answers": [first]}, csrf).status_code == 200
    with app.app_context():
        deadline = db.session.get(MockAttempt, mock_id).deadline_at
        started = db.session.get(MockAttempt, mock_id).started_at
    assert deadline - started == timedelta(minutes=30)  # the exam's duration
    # a hand-in the page sends as its timer reaches 0 is still taken within the grace
    clock.set(deadline + timedelta(seconds=5))
    assert _post_json(examinee, f"/practice/mock/{mock_id}/save", {"answers": [first]}, csrf).status_code == 200
    clock.set(deadline + mocks.GRACE + timedelta(seconds=1))
    response = _post_json(examinee, f"/practice/mock/{mock_id}/save", {"answers": [first]}, csrf)
    assert response.status_code == 409 and response.get_json()["reason"] == "closed"
    with app.app_context():
        mock = db.session.get(MockAttempt, mock_id)
        assert mock.state == MockState.SUBMITTED and mock.submitted_at == deadline
        assert mock.score == mock.items[0].points


def test_an_overdue_mock_is_handed_in_when_the_list_is_shown(app, examinee, exam_id, clock):
    mock_id = _started(examinee, exam_id)
    clock.advance(hours=2)
    assert "已交卷" in examinee.get("/practice/mock").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(MockAttempt, mock_id).state == MockState.SUBMITTED


# --- fresh draws -----------------------------------------------------------------------------------


def test_every_mock_is_a_fresh_draw(ctx, world):
    category = factories.small_bank()
    exam = factories.exam(world, publish=True, category=category)
    user = _kaosheng()

    def paper(mock):
        return [(item.question_version_id, tuple(item.option_order or ())) for item in mock.items]

    first, second = mocks.start_mock(user, exam, seed=1), mocks.start_mock(user, exam, seed=2)
    assert paper(first) != paper(second) and len(first.items) == len(second.items) == 9
    default_a, default_b = mocks.start_mock(user, seed=1), mocks.start_mock(user, seed=2)
    assert paper(default_a) != paper(default_b) and len(default_a.items) == 18
    # unseeded: fresh every time too
    assert paper(mocks.start_mock(user, exam)) != paper(mocks.start_mock(user, exam))


def test_a_fixed_paper_is_mocked_by_its_makeup_never_its_own_questions(ctx, world):
    from examapp.exams.models import PaperMode
    from examapp.exams.services import set_fixed_paper

    category = factories.small_bank(per_type=22)
    exam = factories.exam(world, category=category)
    versions = db.session.scalars(select(QuestionVersion).order_by(QuestionVersion.id)).all()
    singles = [v for v in versions if v.qtype == QType.SINGLE][:10]
    set_fixed_paper(None, exam, [(v.id, Decimal("10")) for v in singles])
    from examapp.exams.services import publish_exam

    publish_exam(None, exam)
    assert exam.paper_mode == PaperMode.FIXED
    mock = mocks.start_mock(_kaosheng(), exam, seed=3)
    assert [item.points for item in mock.items] == [10] * 10
    assert {item.question_version_id for item in mock.items} <= {v.id for v in versions if v.qtype == QType.SINGLE}
    # the paper's own questions are the exam's until it closes: none of them is in the mock
    assert not {item.question_version_id for item in mock.items} & {v.id for v in singles}


# --- refusals: nothing stored ----------------------------------------------------------------------


def _refused(app, examinee, exam_id, message):
    response = _start(examinee, exam_id)
    assert response.status_code == 302 and response.headers["Location"].endswith("/practice/mock")
    assert message in examinee.get("/practice/mock").get_data(as_text=True)
    with app.app_context():
        assert _mock_count() == (0, 0)


def test_refused_for_an_exam_the_person_is_not_rostered_on(app, world, examinee):
    with app.app_context():
        exam = factories.exam(world, publish=True, units=[db.session.merge(world.districts["b"])])
        db.session.commit()
        exam_id = exam.id
    _refused(app, examinee, exam_id, "你不在此考试的考生名单中")


def test_refused_for_a_draft_exam(app, world, examinee):
    with app.app_context():
        exam = factories.exam(world)
        db.session.commit()
        assert exam.status == ExamStatus.DRAFT
        exam_id = exam.id
    _refused(app, examinee, exam_id, "你不在此考试的考生名单中")


def test_refused_while_an_exam_is_in_progress(app, world, examinee, exam_id):
    mock_id = _started(examinee, exam_id)  # a mock begun before the exam
    _html, csrf = _page(examinee, mock_id)
    with app.app_context():
        from examapp.exams.models import Exam

        start_attempt(db.session.get(Exam, exam_id), _kaosheng())
        db.session.commit()
        before = _mock_count()
    for target in (exam_id, None):
        response = _start(examinee, target)
        assert response.status_code == 302
    assert "正在进行的考试" in examinee.get("/practice/mock").get_data(as_text=True)
    with app.app_context():
        assert _mock_count() == before
    # the mock begun before: its page, saves and review are closed too
    assert examinee.get(f"/practice/mock/{mock_id}").headers["Location"].endswith("/practice/mock")
    reply = _post_json(examinee, f"/practice/mock/{mock_id}/save", {"answers": []}, csrf)
    assert reply.status_code == 409 and reply.get_json()["reason"] == "exam_in_progress"


def test_refused_while_practice_is_closed_city_wide(app, world, examinee, exam_id):
    with app.app_context():
        db.session.add(PracticeSettings(id=1, closed=True, closed_note="今天全市统一考试"))
        db.session.commit()
    _refused(app, examinee, exam_id, "练习和模拟考试暂停开放：今天全市统一考试")
    _refused(app, examinee, None, "练习和模拟考试暂停开放")


# --- bad input -------------------------------------------------------------------------------------


BAD_BODIES = [
    ("malformed JSON", None, "{not json"),
    ("a list body", None, "[1, 2]"),
    ("answers not a list", {"answers": {"1": "A"}}, None),
    ("an answer not an object", {"answers": ["A"]}, None),
    ("a number where a letter is expected", {"answers": [{"position": 1, "response": 1}]}, None),
    ("a letter outside the options", {"answers": [{"position": 1, "response": "Z"}]}, None),
    ("two letters for a 单选", {"answers": [{"position": 1, "response": "AB"}]}, None),
    ("a position not on the paper", {"answers": [{"position": 999, "response": "A"}]}, None),
    ("a position as text", {"answers": [{"position": "1", "response": "A"}]}, None),
    (
        "a good answer then a bad one",
        {"answers": [{"position": 1, "response": "A"}, {"position": 2, "response": 7}]},
        None,
    ),
]


@pytest.mark.parametrize("endpoint", ["save", "submit"])
@pytest.mark.parametrize(("case", "payload", "raw"), BAD_BODIES, ids=[c for c, _p, _r in BAD_BODIES])
def test_bad_input_is_refused_and_stores_nothing(app, examinee, exam_id, endpoint, case, payload, raw):
    mock_id = _started(examinee, exam_id)
    _html, csrf = _page(examinee, mock_id)
    response = _post_json(examinee, f"/practice/mock/{mock_id}/{endpoint}", payload, csrf, raw=raw)
    assert 400 <= response.status_code < 500, case
    body = response.get_json()
    assert set(body) >= {"status", "reason", "error"}
    assert _responses(app, mock_id) == [None] * 9
    with app.app_context():
        assert db.session.get(MockAttempt, mock_id).state == MockState.IN_PROGRESS


def test_a_blank_answer_must_have_one_text_per_blank(app, world, examinee):
    from examapp.bank.models import Status

    from . import bank_factories as bank

    with app.app_context():
        category = bank.category("填空专项")
        for i in range(12):
            bank.question(
                category,
                status=Status.PUBLISHED,
                qtype=QType.BLANK,
                stem=f"填空{i}：工伤认定申请时限为____日。",
                options=[],
                answer=[["30", "三十"]],
            )
        db.session.add(PracticeSettings(id=1, closed=False, category_ids=[category.id]))
        db.session.commit()
    mock_id = _started(examinee)
    _html, csrf = _page(examinee, mock_id)
    for response in (["30", "31"], "30", [30], ["x" * 201]):
        reply = _post_json(
            examinee, f"/practice/mock/{mock_id}/save", {"answers": [{"position": 1, "response": response}]}, csrf
        )
        assert reply.status_code == 400
    assert (
        _post_json(
            examinee, f"/practice/mock/{mock_id}/submit", {"answers": [{"position": 1, "response": ["三十"]}]}, csrf
        ).status_code
        == 200
    )
    with app.app_context():
        mock = db.session.get(MockAttempt, mock_id)
        assert mock.items[0].awarded == mock.items[0].points and mock.score == mock.items[0].points


def test_another_persons_mock_is_not_found(app, world, exam_id):
    owner = app.test_client()
    login(owner, "kaosheng")
    mock_id = _started(owner, exam_id)
    _html, csrf = _page(owner, mock_id)
    other = app.test_client()
    assert login(other, "kaosheng2").status_code == 302
    other_csrf = csrf_token(other, "/practice/mock")
    for path in (f"/practice/mock/{mock_id}", f"/practice/mock/{mock_id}/review"):
        assert other.get(path).status_code == 404
    for path in ("save", "submit"):
        response = _post_json(
            other, f"/practice/mock/{mock_id}/{path}", {"answers": [{"position": 1, "response": "A"}]}, other_csrf
        )
        assert response.status_code == 404
    assert other.get("/practice/mock/999999").status_code == 404
    assert _responses(app, mock_id) == [None] * 9
    with app.app_context():
        assert db.session.get(MockAttempt, mock_id).state == MockState.IN_PROGRESS


def test_saves_and_starts_need_the_csrf_token(app, examinee, exam_id):
    mock_id = _started(examinee, exam_id)
    response = _post_json(
        examinee, f"/practice/mock/{mock_id}/save", {"answers": [{"position": 1, "response": "A"}]}, None
    )
    assert response.status_code == 400
    response = _post_json(examinee, f"/practice/mock/{mock_id}/submit", {"answers": []}, None)
    assert response.status_code == 400
    assert examinee.post("/practice/mock/start", data={"exam": str(exam_id)}).status_code == 400
    with app.app_context():
        assert _mock_count()[0] == 1 and db.session.get(MockAttempt, mock_id).state == MockState.IN_PROGRESS
    assert _responses(app, mock_id) == [None] * 9


# --- permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(matrix_mock.EXPECTED))
def test_permission_matrix(app, world, endpoint, role):
    method, allowed = matrix_mock.EXPECTED[endpoint]
    client = app.test_client()
    user = None
    if role != ANON:
        user = world.accounts[role]
        assert login(client, user.username).status_code == 302
    with app.test_request_context():
        url = url_for(endpoint, **matrix_mock.url_params(endpoint, world, user))
        db.session.commit()
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/") if role != ANON else csrf_token(client, "/login")
        response = client.post(url, data={"csrf_token": token})
    if role in allowed:
        assert response.status_code not in (401, 403, 404, 500), response.status_code
    elif role == ANON:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403


# --- a mock counts nowhere -------------------------------------------------------------------------


def _figures(exam):
    scores = [(s.unit_id, s.roster_size, s.sat, s.absent, s.score_sum, s.highest, s.lowest) for s in unit_scores(exam)]
    people = [tuple(row) for row in people_rows(exam)]
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    monitor = [tuple(row) for row in unit_summary(exam.id, admin)]
    return scores, people, histogram(exam), monitor


def test_a_submitted_mock_is_in_no_result_export_seal_record_or_monitor(ctx, world):
    from examapp.cycles.models import AccreditationRecord
    from examapp.integrity.services import compute_findings

    category = factories.small_bank()
    exam = factories.exam(world, publish=True, category=category)
    user = _kaosheng()
    attempt = start_attempt(exam, user)
    submit_attempt(attempt, "examinee")
    assert attempt.state == AttemptState.SUBMITTED
    before = _figures(exam)
    run = compute_findings(exam)
    integrity_before = (run.attempts, run.findings)

    # a perfect mock of the same exam, by the same person
    mock = mocks.start_mock(user, exam, seed=5)
    answers = [{"position": item.position, "response": item.version.answer} for item in mock.items]
    mocks.hand_in(mock, answers)
    assert mock.score == 100 and attempt.score != 100

    assert _figures(exam) == before
    run = compute_findings(exam)
    assert (run.attempts, run.findings) == integrity_before == (1, 0)
    close_exam(None, exam)
    seal_exam(db.session.scalar(select(User).where(User.username == "office")), exam)
    sealed = db.session.scalars(select(UnitResult).where(UnitResult.exam_id == exam.id)).all()
    # the seal (and so the accreditation records) holds the figures from before the mock
    stored = [(r.unit_id, r.roster_size, r.sat, r.absent, r.score_sum, r.highest, r.lowest) for r in sealed]
    assert sorted(stored) == sorted(before[0])
    assert sum(r.score_sum for r in sealed) == attempt.score
    assert db.session.scalar(select(func.count()).select_from(AccreditationRecord)) >= 1


def test_no_results_monitor_integrity_or_accreditation_code_reads_the_mock_tables():
    for package in ("results", "monitor", "integrity", "accreditation", "sitting", "exams", "readiness"):
        for path in (ROOT / "examapp" / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for name in ("MockAttempt", "MockItem", "mock_attempts", "mock_items", "practice.mock"):
                assert name not in text or package == "readiness", f"{path} reads {name}"


def test_a_second_hand_in_is_refused_and_the_wrong_book_counts_once(ctx, world):
    exam = factories.exam(world, publish=True)
    mock = mocks.start_mock(_kaosheng(), exam, seed=4)
    first = mock.items[0]
    wrong = _wrong(first.version.qtype, first.version.answer, first.version.options)
    mocks.hand_in(mock, [{"position": first.position, "response": wrong}])
    with pytest.raises(mocks.MockRefused):
        mocks.hand_in(mock, [{"position": first.position, "response": wrong}])
    with pytest.raises(mocks.MockRefused):
        mocks.save_answers(mock, [{"position": first.position, "response": first.version.answer}])
    entry = db.session.scalar(select(WrongBookEntry).where(WrongBookEntry.question_id == first.version.question_id))
    assert entry.wrong_count == 1 and first.response == wrong and mock.score == 0


def test_closing_practice_mid_mock_refuses_saves_as_practice_closed_and_keeps_the_mock_open(app, examinee, exam_id):
    """The page tells "the mock is over" (closed) from "practice closed city-wide" (practice_closed):
    only the first ends the page and clears its kept answers."""
    mock_id = _started(examinee, exam_id)
    _html, csrf = _page(examinee, mock_id)
    items = _items(app, mock_id)
    with app.app_context():
        db.session.merge(PracticeSettings(id=1, closed=True, closed_note="今天全市统一考试"))
        db.session.commit()
    first = {"position": items[0][0], "response": items[0][2]}
    response = _post_json(examinee, f"/practice/mock/{mock_id}/save", {"answers": [first]}, csrf)
    assert response.status_code == 409 and response.get_json()["reason"] == "practice_closed"
    submit = _post_json(examinee, f"/practice/mock/{mock_id}/submit", {"answers": [first]}, csrf)
    assert submit.status_code == 409 and submit.get_json()["reason"] == "practice_closed"
    with app.app_context():
        assert db.session.get(MockAttempt, mock_id).state == MockState.IN_PROGRESS
