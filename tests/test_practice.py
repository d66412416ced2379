"""练习: closed book, no key before the answer, one stored answer per answer, bad input, the switch,
the settings, the 错题本 through the routes, and what an answer costs."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from examapp.audit.models import AuditEntry
from examapp.auth.models import User
from examapp.bank.content import LETTERS, QType
from examapp.bank.models import Question, QuestionCategory, QuestionVersion, Status
from examapp.extensions import db
from examapp.practice.models import PracticeAnswer, PracticeSettings, WrongBookEntry
from examapp.practice.services import CLOSED_BOOK_MESSAGE, update_settings
from examapp.sitting.models import Attempt, SubmitReason
from examapp.sitting.services import start_attempt

from . import bank_factories as bank
from . import exam_factories, matrix_practice
from .conftest import csrf_token, login
from .test_sitting_pages import count_queries

EXPLANATION = "社会保险法第五十八条。"
SOURCE = "《中华人民共和国社会保险法》第五十八条"
BLANK_KEY = "十五个工作日"
# 09:00 Beijing on 10 November, and the next two days
DAY1 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)


@pytest.fixture
def practice_bank(app, world):
    """社会保险 (single/multiple/judge, published) with a child 社保登记 (one 填空), 劳动关系 (one
    single), and a draft question. Returns {name: id}."""
    with app.app_context():
        social = exam_factories.small_bank(per_type=4)
        child = bank.category("社保登记", parent=social)
        blank = bank.question(
            child,
            status=Status.PUBLISHED,
            qtype=QType.BLANK,
            stem="用人单位应当在____内办理，并在____内报告。",
            options=[],
            answer=[[BLANK_KEY], ["三十日"]],
        )
        labour = bank.category("劳动关系")
        single = bank.question(labour, status=Status.PUBLISHED, answer="C")
        draft = bank.question(labour, status=Status.DRAFT)
        db.session.commit()
        return {
            "social": social.id,
            "child": child.id,
            "labour": labour.id,
            "blank": blank.id,
            "labour_single": single.id,
            "draft": draft.id,
        }


@pytest.fixture
def examinee(app, world):
    client = app.test_client()
    assert login(client, "kaosheng").status_code == 302
    return client


class Page:
    """A practice question page as the browser has it."""

    def __init__(self, response):
        assert response.status_code == 200, response.get_data(as_text=True)
        self.html = response.get_data(as_text=True)
        field = lambda name: re.search(rf'name="{name}" value="([^"]*)"', self.html).group(1)  # noqa: E731
        self.question_id, self.version_id = int(field("question_id")), int(field("version_id"))
        self.qtype, self.shown_at = field("qtype"), int(field("shown_at"))
        order = field("order")
        self.order = [int(i) for i in order.split(",")] if order else None
        self.csrf = re.search(r'data-csrf="([^"]+)"', self.html).group(1)

    def payload(self, response, **overrides):
        body = {
            "question_id": self.question_id,
            "version_id": self.version_id,
            "order": self.order,
            "response": response,
            "shown_at": self.shown_at,
        }
        body.update(overrides)
        return body

    def shown(self, version_letters):
        """The version's letters as this page letters them."""
        return "".join(sorted(LETTERS[self.order.index(LETTERS.index(c))] for c in version_letters))


def open_question(client, question_id, **args):
    """The page of one question (order mode, right after the question before it)."""
    args = {"mode": "order", "after": question_id - 1, **args}
    return Page(client.get("/practice/question", query_string=args))


def post_answer(client, page, body, csrf=True):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = page.csrf
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/practice/answer", data=data, headers=headers)


def version_of(app, question_id):
    with app.app_context():
        question = db.session.get(Question, question_id)
        return db.session.get(QuestionVersion, question.current_version_id)


def first_of(app, qtype, category_id):
    with app.app_context():
        return db.session.scalar(
            select(Question.id)
            .where(Question.qtype == qtype, Question.category_id == category_id)
            .order_by(Question.id)
            .limit(1)
        )


def stored(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(PracticeAnswer)),
            db.session.scalar(select(func.count()).select_from(WrongBookEntry)),
        )


def right_response(app, page):
    version = version_of(app, page.question_id)
    if version.qtype in QType.CHOICE:
        return page.shown(version.answer)
    if version.qtype == QType.JUDGE:
        return version.answer
    return [alternatives[0] for alternatives in version.answer]


# --- no key before the answer; the answer stored and the key sent back -----------------------------


@pytest.mark.parametrize("qtype", [QType.SINGLE, QType.MULTIPLE, QType.JUDGE, QType.BLANK])
def test_the_question_page_carries_no_key_explanation_or_source(app, practice_bank, examinee, qtype):
    category = practice_bank["child"] if qtype == QType.BLANK else practice_bank["social"]
    page = open_question(examinee, first_of(app, qtype, category))
    version = version_of(app, page.question_id)
    assert version.stem.split("____")[0] in page.html
    assert EXPLANATION not in page.html and SOURCE not in page.html
    assert "data-answer" not in page.html and "answer_text" not in page.html
    if qtype == QType.BLANK:
        assert BLANK_KEY not in page.html
    if qtype in QType.CHOICE:
        assert sorted(page.order) == list(range(len(version.options)))
    # the result panel is there, empty and hidden, until the answer comes back
    panel = page.html[page.html.index('id="practice-result"') :]
    assert re.search(r'data-testid="result-key"></dd>', panel)


def test_options_are_shown_in_another_order_and_the_answer_is_mapped_back(app, practice_bank, examinee):
    question_id = first_of(app, QType.MULTIPLE, practice_bank["social"])
    orders = {tuple(open_question(examinee, question_id).order) for _ in range(12)}
    assert len(orders) > 1  # shuffled (4! orders; 12 identical draws are about 1 in 10^16)
    page = open_question(examinee, question_id)
    reply = post_answer(examinee, page, page.payload(page.shown("ACD")))
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body == {
        "status": "answered",
        "correct": True,
        "key": page.shown("ACD"),
        "explanation": EXPLANATION,
        "source": SOURCE,
    }
    with app.app_context():
        answer = db.session.scalar(select(PracticeAnswer))
        assert (answer.response, answer.correct, answer.question_id) == ("ACD", True, question_id)
        assert answer.user_id == db.session.scalar(select(User.id).where(User.username == "kaosheng"))
        assert answer.category_id == practice_bank["social"] and 0 <= answer.seconds <= 5
    assert stored(app) == (1, 0)


def test_a_version_that_keeps_its_option_order_is_shown_as_written(app, practice_bank, examinee):
    with app.app_context():
        kept = bank.question(
            db.session.get(QuestionCategory, practice_bank["labour"]),
            status=Status.PUBLISHED,
            options=["一", "二", "三", "四"],
            answer="D",
            keep_option_order=True,
        )
        db.session.commit()
        kept_id = kept.id
    page = open_question(examinee, kept_id)
    assert page.order == [0, 1, 2, 3]
    assert post_answer(examinee, page, page.payload("D", order=[1, 0, 2, 3])).status_code == 400
    reply = post_answer(examinee, page, page.payload("D", order=None)).get_json()
    assert reply["correct"] is True and reply["key"] == "D"


@pytest.mark.parametrize("qtype", [QType.SINGLE, QType.JUDGE, QType.BLANK])
def test_a_right_answer_of_each_type(app, practice_bank, examinee, qtype):
    category = practice_bank["child"] if qtype == QType.BLANK else practice_bank["social"]
    page = open_question(examinee, first_of(app, qtype, category))
    body = post_answer(examinee, page, page.payload(right_response(app, page))).get_json()
    assert body["correct"] is True
    if qtype == QType.BLANK:
        assert BLANK_KEY in body["key"] and "三十日" in body["key"]
    if qtype == QType.JUDGE:
        assert body["key"] == "正确"
    assert stored(app) == (1, 0)


def test_the_form_post_without_javascript_answers_with_the_same_result(app, practice_bank, examinee):
    page = open_question(examinee, first_of(app, QType.SINGLE, practice_bank["social"]))
    wrong = next(c for c in "ABCD" if c != page.shown("B"))
    data = {
        "csrf_token": page.csrf,
        "question_id": page.question_id,
        "version_id": page.version_id,
        "order": ",".join(map(str, page.order)),
        "qtype": page.qtype,
        "shown_at": page.shown_at,
        "answer": wrong,
        "mode": "order",
        "source": "bank",
    }
    response = examinee.post("/practice/answer", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "回答错误" in html and EXPLANATION in html and SOURCE in html
    assert f'data-testid="result-key">{page.shown("B")}</dd>' in html
    assert stored(app) == (1, 1)


# --- bad input: 4xx with a reason, nothing stored -----------------------------------------------------


def _bad(app, practice_bank, page, case):
    single = first_of(app, QType.SINGLE, practice_bank["social"])
    if case == "unknown question":
        return page.payload("A", question_id=10**8), 404, "unknown"
    if case == "version of another question":
        return page.payload("A", version_id=version_of(app, practice_bank["labour_single"]).id), 404, "unknown"
    if case == "draft question":
        draft = version_of(app, practice_bank["draft"])
        return page.payload("A", question_id=practice_bank["draft"], version_id=draft.id), 404, "not_published"
    if case == "malformed JSON":
        return '{"question_id": ', 400, "invalid"
    if case == "a list body":
        return "[1, 2]", 400, "invalid"
    if case == "question id as text":
        return page.payload("A", question_id=str(single)), 400, "invalid"
    if case == "a number for the letters":
        return page.payload(1), 400, "invalid"
    if case == "a letter outside the options":
        return page.payload("E"), 400, "invalid"
    if case == "two letters for a single choice":
        return page.payload("AB"), 400, "invalid"
    if case == "no answer":
        return page.payload(""), 400, "empty"
    if case == "an order that is not a permutation":
        return page.payload("A", order=[0, 0, 1, 2]), 400, "invalid"
    raise AssertionError(case)


BAD_CASES = [
    "unknown question",
    "version of another question",
    "draft question",
    "malformed JSON",
    "a list body",
    "question id as text",
    "a number for the letters",
    "a letter outside the options",
    "two letters for a single choice",
    "no answer",
    "an order that is not a permutation",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_stored(app, practice_bank, examinee, case):
    page = open_question(examinee, first_of(app, QType.SINGLE, practice_bank["social"]))
    body, status, reason = _bad(app, practice_bank, page, case)
    reply = post_answer(examinee, page, body)
    assert reply.status_code == status, reply.get_data(as_text=True)
    assert reply.get_json()["reason"] == reason and reply.get_json()["error"]
    assert stored(app) == (0, 0)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (["只填一空"], "invalid"),
        ([BLANK_KEY, "三十日", "多一空"], "invalid"),
        ("十五个工作日", "invalid"),
        ([1, 2], "invalid"),
    ],
)
def test_a_blank_answer_with_the_wrong_shape_is_refused(app, practice_bank, examinee, response, reason):
    page = open_question(examinee, practice_bank["blank"])
    reply = post_answer(examinee, page, page.payload(response))
    assert reply.status_code == 400 and reply.get_json()["reason"] == reason
    assert stored(app) == (0, 0)


def test_a_judge_answer_must_be_t_or_f(app, practice_bank, examinee):
    page = open_question(examinee, first_of(app, QType.JUDGE, practice_bank["social"]))
    assert post_answer(examinee, page, page.payload("对")).status_code == 400
    assert post_answer(examinee, page, page.payload("F", order=[0, 1])).status_code == 400
    assert stored(app) == (0, 0)


def test_a_question_of_a_closed_category_is_refused(app, world, practice_bank, examinee):
    page = open_question(examinee, practice_bank["labour_single"])
    with app.app_context():
        update_settings(
            db.session.merge(world.accounts["exam_admin"]),
            closed=False,
            closed_note="",
            category_ids=[practice_bank["social"]],
        )
        db.session.commit()
    reply = post_answer(examinee, page, page.payload(page.shown("C")))
    assert reply.status_code == 403 and reply.get_json()["reason"] == "closed_category"
    response = examinee.get(
        "/practice/question", query_string={"mode": "order", "after": practice_bank["labour_single"] - 1}
    )
    assert f'name="question_id" value="{practice_bank["labour_single"]}"' not in response.get_data(as_text=True)
    assert stored(app) == (0, 0)


def test_csrf_is_required(app, practice_bank, examinee):
    page = open_question(examinee, first_of(app, QType.SINGLE, practice_bank["social"]))
    reply = post_answer(examinee, page, page.payload(page.shown("B")), csrf=False)
    assert reply.status_code == 400 and reply.get_json()["reason"] == "csrf"
    form = examinee.post("/practice/answer", data={"question_id": page.question_id, "answer": "A"})
    assert form.status_code == 400
    assert stored(app) == (0, 0)


# --- closed book and the switch ---------------------------------------------------------------------

EXAMINEE_ROUTES = [
    ("GET", "/practice"),
    ("GET", "/practice/question"),
    ("GET", "/practice/question?source=wrong&mode=order"),
    ("GET", "/practice/wrong"),
    ("POST", "/practice/answer"),
]


def text_of(response):
    return response.get_json()["error"] if response.is_json else response.get_data(as_text=True)


def _each_route(client, page):
    for method, path in EXAMINEE_ROUTES:
        if method == "GET":
            yield path, client.get(path)
        else:
            yield path, post_answer(client, page, page.payload(page.shown("B")))


def _start_exam(app, world, category_id):
    with app.app_context():
        category = db.session.get(QuestionCategory, category_id)
        exam = exam_factories.exam(world, publish=True, grace_seconds=60, category=category)
        person = db.session.scalar(select(User).where(User.username == "kaosheng"))
        attempt = start_attempt(exam, person)
        db.session.commit()
        return attempt.id


def test_closed_book_every_practice_route_is_refused_during_an_exam(app, world, practice_bank, examinee, clock):
    page = open_question(examinee, first_of(app, QType.SINGLE, practice_bank["social"]))
    attempt_id = _start_exam(app, world, practice_bank["social"])
    for path, response in _each_route(examinee, page):
        assert response.status_code == 409, path
        assert CLOSED_BOOK_MESSAGE in text_of(response), path
    assert post_answer(examinee, page, page.payload(page.shown("B"))).get_json()["reason"] == "exam_in_progress"
    assert stored(app) == (0, 0)
    # in the grace after the deadline the exam is still on; past it (the sweep not yet run) it is not
    with app.app_context():
        deadline = db.session.get(Attempt, attempt_id).deadline_at
    clock.set(deadline + timedelta(seconds=59))
    assert examinee.get("/practice").status_code == 409
    clock.set(deadline + timedelta(seconds=61))
    assert examinee.get("/practice").status_code == 200


def test_practice_is_allowed_again_after_the_exam_is_handed_in(app, world, practice_bank, examinee, clock):
    page = open_question(examinee, first_of(app, QType.SINGLE, practice_bank["social"]))
    attempt_id = _start_exam(app, world, practice_bank["social"])
    assert examinee.get("/practice").status_code == 409
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).submit(SubmitReason.EXAMINEE)
        db.session.commit()
    for path, response in _each_route(examinee, page):
        assert response.status_code == 200, path
    assert stored(app) == (1, 0)


def test_the_city_wide_switch_closes_practice_with_the_offices_note(app, world, practice_bank, examinee):
    page = open_question(examinee, first_of(app, QType.SINGLE, practice_bank["social"]))
    with app.app_context():
        update_settings(
            db.session.merge(world.accounts["exam_admin"]),
            closed=True,
            closed_note="今天全市考试，明天恢复",
            category_ids=None,
        )
        db.session.commit()
    for path, response in _each_route(examinee, page):
        assert response.status_code == 409, path
        assert "今天全市考试，明天恢复" in text_of(response), path
    assert post_answer(examinee, page, page.payload(page.shown("B"))).get_json()["reason"] == "practice_closed"
    assert stored(app) == (0, 0)


# --- the settings page ------------------------------------------------------------------------------


def test_the_settings_page_saves_and_is_audited(app, world, practice_bank, as_role, examinee):
    admin = as_role("exam_admin")
    page = admin.get("/practice/settings").get_data(as_text=True)
    assert "社保登记" in page and "劳动关系" in page
    token = csrf_token(admin, "/practice/settings")
    response = admin.post(
        "/practice/settings",
        data={"csrf_token": token, "scope": "some", "categories": [str(practice_bank["social"])], "closed_note": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        settings = db.session.get(PracticeSettings, 1)
        assert settings.category_ids == [practice_bank["social"]] and settings.closed is False
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "practice.settings"))
        social = db.session.get(QuestionCategory, practice_bank["social"]).name
        assert entry.after == {"open_categories": social} and entry.actor_username == "admin"
        assert entry.before == {"open_categories": "全部已发布题目"}
    # a category includes its subtree: 社保登记's 填空 is open, 劳动关系 is not
    index = examinee.get("/practice").get_data(as_text=True)
    assert "社会保险 / 社保登记" in index and "劳动关系" not in index
    # saving the same again writes no second entry
    admin.post(
        "/practice/settings",
        data={"csrf_token": token, "scope": "some", "categories": [str(practice_bank["social"])], "closed_note": ""},
    )
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "practice.settings")
            )
            == 1
        )


@pytest.mark.parametrize(
    "data",
    [
        {"scope": "some"},
        {"scope": "some", "categories": ["999999"]},
        {"scope": "some", "categories": ["abc"]},
        {"scope": "all", "closed": "y", "closed_note": "长" * 201},
        {"scope": "everything"},
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(app, practice_bank, as_role, data):
    admin = as_role("exam_admin")
    response = admin.post("/practice/settings", data={"csrf_token": csrf_token(admin, "/practice/settings"), **data})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(PracticeSettings, 1) is None
        assert not db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "practice.settings")
        )


# --- permissions --------------------------------------------------------------------------------------

ROLES = ("anonymous", "examinee", "district_admin", "exam_admin", "office")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(matrix_practice.EXPECTED))
def test_permission_matrix(app, world, endpoint, role):
    from flask import url_for

    method, allowed = matrix_practice.EXPECTED[endpoint]
    client = app.test_client()
    user = None
    if role != "anonymous":
        user = world.accounts[role]
        assert login(client, user.username).status_code == 302
    with app.test_request_context():
        url = url_for(endpoint, **matrix_practice.url_params(endpoint, world, user))
        db.session.commit()
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/") if role != "anonymous" else csrf_token(client, "/login")
        response = client.post(url, data={"csrf_token": token})
    if role in allowed:
        assert response.status_code not in (401, 403, 404) and "/login" not in response.headers.get("Location", "")
    elif role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403


def test_the_examinee_home_links_to_practice(examinee):
    assert 'href="/practice"' in examinee.get("/").get_data(as_text=True)


# --- the 错题本 through the routes; progress -----------------------------------------------------------


def test_a_wrong_answer_goes_into_the_wrong_book_and_two_right_days_take_it_out(app, practice_bank, examinee, clock):
    clock.set(DAY1)
    question_id = first_of(app, QType.SINGLE, practice_bank["social"])
    page = open_question(examinee, question_id)
    wrong = next(c for c in "ABCD" if c != page.shown("B"))
    assert post_answer(examinee, page, page.payload(wrong)).get_json()["correct"] is False
    book = examinee.get("/practice/wrong").get_data(as_text=True)
    assert f'data-testid="wrong-entry-{question_id}"' in book and "答错 1 次" in book
    # 练习错题 shows exactly the wrong book's questions
    page = Page(examinee.get("/practice/question?source=wrong&mode=order"))
    assert page.question_id == question_id
    done = examinee.get(f"/practice/question?source=wrong&mode=order&after={question_id}").get_data(as_text=True)
    assert "错题本中的题目已练习一遍" in done
    for day in (0, 1):
        clock.set(DAY1 + timedelta(days=day, hours=1))
        page = open_question(examinee, question_id, source="wrong")
        assert post_answer(examinee, page, page.payload(page.shown("B"))).get_json()["correct"] is True
        book = examinee.get("/practice/wrong").get_data(as_text=True)
        assert (f'data-testid="wrong-entry-{question_id}"' in book) == (day == 0)
    assert 'data-testid="wrong-book-empty"' in book
    # the progress: one question seen and right, two days in a row, the 错题本 empty
    index = examinee.get("/practice").get_data(as_text=True)
    assert re.search(r'data-testid="seen-total">1<', index)
    assert re.search(r'data-testid="streak">2 天<', index)
    assert re.search(r'data-testid="wrong-total">0 题<', index)


def test_order_mode_walks_a_category_once(app, practice_bank, examinee):
    seen, after = [], None
    while True:
        args = {"mode": "order", "category": practice_bank["social"], **({"after": after} if after else {})}
        response = examinee.get("/practice/question", query_string=args)
        if "已按顺序练习一遍" in response.get_data(as_text=True):
            break
        after = Page(response).question_id
        seen.append(after)
    with app.app_context():
        expected = db.session.scalars(
            select(Question.id)
            .where(Question.category_id == practice_bank["social"], Question.status == Status.PUBLISHED)
            .order_by(Question.id)
        ).all()
    assert seen == expected


# --- speed: a practice answer costs few statements ---------------------------------------------------


def test_a_practice_answer_is_a_few_statements(app, practice_bank, examinee):
    page = open_question(examinee, first_of(app, QType.SINGLE, practice_bank["social"]))
    with count_queries(app) as statements:
        assert post_answer(examinee, page, page.payload(page.shown("B"))).status_code == 200
    statements = [s for s in statements if "SAVEPOINT" not in s]  # the test's own transaction
    kinds = [" ".join(s.split())[:24] for s in statements]
    # the user, the closed-book check with the settings, the question, the answer
    assert len(statements) == 4, kinds
    with count_queries(app) as statements:
        wrong = next(c for c in "ABCD" if c != page.shown("B"))
        assert post_answer(examinee, page, page.payload(wrong)).status_code == 200
    statements = [s for s in statements if "SAVEPOINT" not in s]
    # ... and the 错题本's entry, read and added
    assert len(statements) == 6, [" ".join(s.split())[:24] for s in statements]


def test_the_homes_lead_to_practice_mocks_and_the_settings(as_role):
    examinee_home = as_role("examinee").get("/").get_data(as_text=True)
    assert 'href="/practice"' in examinee_home and 'href="/practice/mock"' in examinee_home
    admin_home = as_role("exam_admin").get("/").get_data(as_text=True)
    assert 'href="/practice/settings"' in admin_home
    assert 'href="/practice/mock"' in as_role("examinee").get("/practice").get_data(as_text=True)


def test_a_question_on_a_fixed_paper_of_an_exam_not_yet_over_is_not_practised(app, practice_bank, examinee, world):
    from examapp.exams.models import Exam, ExamStatus, FixedPaperItem
    from examapp.practice.services import secret_question_ids

    from . import exam_factories

    with app.app_context():
        question = db.session.scalars(
            select(Question).where(Question.status == "published").order_by(Question.id)
        ).first()
        from examapp.exams.services import create_exam

        exam = create_exam(None, exam_factories.settings())
        db.session.add(
            FixedPaperItem(exam_id=exam.id, position=1, question_version_id=question.current_version_id, points=1)
        )
        exam_id, question_id, version_id = exam.id, question.id, question.current_version_id
        db.session.commit()
        assert question_id in set(db.session.scalars(secret_question_ids()))
    page = examinee.get("/practice/question?source=bank&mode=order").get_data(as_text=True)
    assert f'name="question_id" value="{question_id}"' not in page
    token = csrf_token(examinee, "/practice")
    refused = examinee.post(
        "/practice/answer",
        json={"question_id": question_id, "version_id": version_id, "response": "A"},
        headers={"X-CSRFToken": token},
    )
    assert refused.status_code == 403 and refused.get_json()["reason"] == "exam_paper"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PracticeAnswer)) == 0
        db.session.get(Exam, exam_id).status = ExamStatus.CLOSED
        db.session.commit()
        assert question_id not in set(db.session.scalars(secret_question_ids()))
