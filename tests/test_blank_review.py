"""Fill-in answers after a sitting: the distinct answers per blank, and accepting a correct variant."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.bank.content import QType
from examapp.bank.models import Question, QuestionVersion
from examapp.bank.services import data_from_version, update_question
from examapp.errors import DomainError
from examapp.exams.models import Exam, RosterEntry
from examapp.extensions import db
from examapp.results import blank_review, corrections
from examapp.results.models import PendingCorrection
from examapp.results.services import excuse_absence, seal_exam
from examapp.sitting.models import Attempt

from .conftest import csrf_token, login
from .test_item_analysis import make_questions, people, published_exam, sit, units_of

STEM = "失业人员应当到____办理失业登记，失业保险金最长领取____个月。"
KEY = [["公共就业服务机构"], ["24"]]
#: who wrote what; the blank question is worth all 100 points (50 a blank)
ANSWERS = {
    "p1": ["公共就业服务机构", "24"],
    "p2": ["公共就业服务机构", "二十四个月"],  # right under the rule: numerals, the printed unit
    "p3": ["就业服务机构", "24"],
    "p4": ["就业服务机构 ", "12"],
    "p5": ["“就业服务机构”", "24"],
}


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def _build(world, close=True):
    v = make_questions([("Bk", QType.BLANK, KEY, STEM)])
    persons = people(units_of(world, "ca", "ca", "cb", "cb", "ca"), "bl")
    exam = published_exam(world, [(v["Bk"], "100")])
    attempts = {}
    for name, person in zip(ANSWERS, persons, strict=True):
        attempts[name] = sit(exam, person, {v["Bk"]: ANSWERS[name]})
    if close:
        exam.mark_closed()
    db.session.flush()
    return SimpleNamespace(exam=exam, version=db.session.get(QuestionVersion, v["Bk"]), attempts=attempts)


def _scores(built):
    return {name: int(db.session.get(Attempt, a.id).score) for name, a in built.attempts.items()}


def test_the_review_groups_answers_as_the_rule_compares_them(ctx, world):
    built = _build(world)
    review = blank_review.review(built.exam, built.version)
    first, second = review.blanks
    assert [(a.text, a.count, a.right) for a in first] == [("就业服务机构", 3, False), ("公共就业服务机构", 2, True)]
    assert first[0].spellings == {"就业服务机构": 2, "“就业服务机构”": 1}
    assert [(a.text, a.count, a.right) for a in second] == [("24", 4, True), ("12", 1, False)]
    assert second[0].spellings == {"24": 3, "二十四个月": 1}
    assert review.submitted == 5


def test_accepting_a_variant_adds_it_to_the_next_version_and_regrades(ctx, world):
    built = _build(world)
    assert _scores(built) == {"p1": 100, "p2": 100, "p3": 50, "p4": 0, "p5": 50}
    outcome = blank_review.accept_variant(
        _user("admin"), built.exam, built.version, 1, "就业服务机构", "与公共就业服务机构同义，依据社会保险法第五十条"
    )
    assert not outcome.proposed
    items, attempts, units = outcome.result
    assert (items, attempts, units) == (5, 3, [])
    assert _scores(built) == {"p1": 100, "p2": 100, "p3": 100, "p4": 50, "p5": 100}
    question = db.session.get(Question, built.version.question_id)
    assert question.current_version.number == 2
    assert question.current_version.answer == [["公共就业服务机构", "就业服务机构"], ["24"]]
    accepted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.accept_variant"))
    assert accepted.reason.startswith("与公共就业服务机构同义")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exam.regrade")) is not None
    # the review now reads the new key
    review = blank_review.review(built.exam, built.version)
    assert all(a.right for a in review.blanks[0])


@pytest.mark.parametrize(
    "blank, text, reason, message",
    [
        (1, "公共就业服务机构", "理由", "已经判为正确"),
        (1, "《公共就业服务机构》", "理由", "已经判为正确"),  # the same answer under the rule
        (1, "24", "理由", "是第 2 空的答案"),  # ambiguous: two blanks would share an answer
        (2, "二十四", "理由", "已经判为正确"),
        (3, "x", "理由", "只有 2 个空"),
        (1, "", "理由", "请选择"),
        (1, "a|b", "理由", "不能含有"),
        (1, "就业服务机构", "  ", "请填写原因"),
        (1, "就业服务机构", "长" * 501, "不能超过 500 个字"),
    ],
)
def test_refused_variants_change_nothing(ctx, world, blank, text, reason, message):
    built = _build(world)
    before = _scores(built)
    with pytest.raises(DomainError) as refused:
        blank_review.accept_variant(_user("admin"), built.exam, built.version, blank, text, reason)
    assert message in refused.value.message  # refused before anything was written
    assert db.session.get(Question, built.version.question_id).current_version.number == 1
    assert _scores(built) == before


def test_only_after_the_exam_has_ended(ctx, world):
    built = _build(world, close=False)
    with pytest.raises(DomainError, match="考试结束后"):
        blank_review.accept_variant(_user("admin"), built.exam, built.version, 1, "就业服务机构", "理由")


def test_after_the_seal_a_change_of_standing_waits_for_the_office(ctx, world):
    built = _build(world)
    for username in ("kaosheng", "kaosheng2"):  # the world's own examinees did not sit: excused
        entry = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == _user(username).id))
        excuse_absence(_user("admin"), entry, "因公出差，有单位证明")
    seal_exam(_user("office"), built.exam)
    db.session.flush()
    outcome = blank_review.accept_variant(_user("admin"), built.exam, built.version, 1, "就业服务机构", "同义的说法")
    assert outcome.proposed
    assert _scores(built)["p3"] == 50  # nothing changes until the office confirms
    proposal = db.session.scalar(select(PendingCorrection))
    assert proposal.kind == "regrade"
    corrections.confirm_correction(_user("office"), proposal, "核对无误")
    assert _scores(built) == {"p1": 100, "p2": 100, "p3": 100, "p4": 50, "p5": 100}


# --- the page ----------------------------------------------------------------------------------


@pytest.fixture
def built(app, world):
    with app.app_context():
        made = _build(world)
        db.session.commit()
        return SimpleNamespace(exam_id=made.exam.id, version_id=made.version.id, question_id=made.version.question_id)


def test_the_question_page_lists_each_blank_and_accepts_a_variant(app, built):
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    url = f"/exams/{built.exam_id}/analysis/{built.version_id}"
    page = client.get(url).get_data(as_text=True)
    section = page.split('data-testid="blank-review"', 1)[1]
    assert 'data-testid="blank-1"' in section and 'data-testid="blank-2"' in section
    assert 'data-answer="就业服务机构"' in section and "判为正确" in section
    token = csrf_token(client, url)
    refused = client.post(url + "/accept", data={"csrf_token": token, "blank": "1", "text": "24", "reason": "理由"})
    assert refused.status_code == 400
    assert "是第 2 空的答案" in refused.get_data(as_text=True)
    missing = client.post(url + "/accept", data={"csrf_token": token, "blank": "1", "text": "就业服务机构"})
    assert missing.status_code == 400
    assert "请填写原因" in missing.get_data(as_text=True)
    done = client.post(
        url + "/accept", data={"csrf_token": token, "blank": "1", "text": "就业服务机构", "reason": "同义"}
    )
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已将第 1 空的“就业服务机构”判为正确，重新评分 5 份答卷，3 人的成绩有变化" in page
    with app.app_context():
        assert db.session.get(Question, built.question_id).current_version.number == 2


@pytest.mark.parametrize(
    "data",
    [
        {"blank": "x", "text": "就业服务机构", "reason": "r"},
        {"blank": "1", "reason": "r"},
        {"blank": "-1", "text": "a", "reason": "r"},
    ],
)
def test_bad_posts_answer_400_and_change_nothing(app, built, data):
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    url = f"/exams/{built.exam_id}/analysis/{built.version_id}"
    response = client.post(url + "/accept", data={"csrf_token": csrf_token(client, url), **data})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Question, built.question_id).current_version.number == 1


def test_others_may_not_accept(app, built):
    client = app.test_client()
    assert login(client, "jinshui").status_code == 302
    url = f"/exams/{built.exam_id}/analysis/{built.version_id}/accept"
    response = client.post(url, data={"blank": "1", "text": "就业服务机构", "reason": "r"})
    assert response.status_code in (400, 403)
    with app.app_context():
        assert db.session.get(Question, built.question_id).current_version.number == 1
        assert db.session.get(Exam, built.exam_id) is not None


def test_a_question_edited_since_the_exam_is_not_regraded_with_its_other_blanks(ctx, world):
    built = _build(world)
    question = db.session.get(Question, built.version.question_id)
    data = data_from_version(question.current_version)
    data.answer = [["公共就业服务机构"], ["12"]]  # blank 2 changed after the exam
    update_question(_user("admin"), question, data)
    before = _scores(built)
    with pytest.raises(DomainError, match="其他空的答案不同"):
        blank_review.accept_variant(_user("admin"), built.exam, built.version, 1, "就业服务机构", "同义")
    assert _scores(built) == before


def test_a_question_edited_only_in_that_blank_is_built_on(ctx, world):
    built = _build(world)
    question = db.session.get(Question, built.version.question_id)
    data = data_from_version(question.current_version)
    data.answer = [["公共就业服务机构", "公共就业服务中心"], ["24", "二十四"]]  # variants only: same answers
    update_question(_user("admin"), question, data)
    outcome = blank_review.accept_variant(_user("admin"), built.exam, built.version, 1, "就业服务机构", "同义")
    assert not outcome.proposed
    assert question.current_version.number == 3
    assert question.current_version.answer[0] == ["公共就业服务机构", "公共就业服务中心", "就业服务机构"]


@pytest.mark.parametrize("text", ["《》", "“ ”", "a\x00b"])
def test_empty_or_control_text_is_refused(ctx, world, text):
    built = _build(world)
    with pytest.raises(DomainError):
        blank_review.accept_variant(_user("admin"), built.exam, built.version, 1, text, "理由")
    assert db.session.get(Question, built.version.question_id).current_version.number == 1


def test_the_audit_says_whether_the_regrade_waits(ctx, world):
    built = _build(world)
    for username in ("kaosheng", "kaosheng2"):
        entry = db.session.scalar(select(RosterEntry).where(RosterEntry.user_id == _user(username).id))
        excuse_absence(_user("admin"), entry, "因公出差，有单位证明")
    seal_exam(_user("office"), built.exam)
    blank_review.accept_variant(_user("admin"), built.exam, built.version, 1, "就业服务机构", "同义的说法")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question.accept_variant"))
    assert entry.after["regrade"] == "待领导小组办公室确认"
