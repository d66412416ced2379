"""The review shows what the examinee saw: the option clicked on the exam page is ticked in the
review under the same letter beside the same text, and the key is given in those letters."""

import re
import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role
from examapp.bank.content import Difficulty, QType, QuestionData
from examapp.bank.models import Status
from examapp.bank.services import create_category, create_question, get_category_by_name
from examapp.clock import utcnow
from examapp.exams.models import ReleaseMode
from examapp.exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.sitting.models import AttemptItem
from examapp.staff.services import create_user

pytestmark = pytest.mark.e2e

CATEGORY = "e2e 回顾字母"
COMMUNITY = "41010501001"  # a community of 金水区
PASSWORD = "Review-e2e-2024"
ATTEMPT_URL = re.compile(r"/attempt/(\d+)$")
#: (type, stem, options, key in the bank's letters)
QUESTIONS = [
    (QType.SINGLE, "【回顾单选】劳动保障监察员进行调查、检查，不得少于几人？", ["一人", "两人", "三人", "五人"], "B"),
    (QType.MULTIPLE, "【回顾多选】下列属于社会保险的有哪些？", ["养老保险", "商业保险", "工伤保险", "财产保险"], "AC"),
]
#: every option shown in reverse: the bank's D is the examinee's A
REVERSED = [3, 2, 1, 0]


@pytest.fixture
def sitter(e2e_app):
    """(username, exam id): a fresh examinee alone on an exam of the two questions above, open now."""
    run = secrets.token_hex(3)
    with e2e_app.app_context():
        category = get_category_by_name(CATEGORY)
        if category is None:
            category = create_category(None, CATEGORY)
            for qtype, stem, options, answer in QUESTIONS:
                create_question(
                    None,
                    QuestionData(
                        qtype=qtype,
                        stem=stem,
                        options=options,
                        answer=answer,
                        explanation="见有关规定。",
                        source="e2e 测试题",
                        difficulty=Difficulty.EASY,
                        category_id=category.id,
                    ),
                    status=Status.PUBLISHED,
                )
        unit = db.session.scalar(select(Unit).where(Unit.code == COMMUNITY))
        user, _ = create_user(
            None, username=f"e2e_review_{run}", name=f"回顾测试{run}", role=Role.EXAMINEE, unit=unit, password=PASSWORD
        )
        now = utcnow()
        exam = create_exam(
            None,
            ExamSettings(
                title=f"回顾字母测试 {run}",
                instructions="闭卷作答，独立完成。",
                opens_at=now - timedelta(minutes=10),
                closes_at=now + timedelta(hours=1),
                duration_minutes=30,
                release_mode=ReleaseMode.ON_SUBMIT,
            ),
        )
        set_blueprint(
            None,
            exam,
            [
                {"category_id": category.id, "qtype": qtype, "count": 1, "points": "50"}
                for qtype in (QType.SINGLE, QType.MULTIPLE)
            ],
        )
        add_to_roster(None, exam, users=[user])
        publish_exam(None, exam)
        db.session.commit()
        result = user.username, exam.id
        db.session.remove()
    return result


def _show_reversed(app, attempt_id):
    with app.app_context():
        for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)):
            item.option_order = REVERSED
        db.session.commit()
        db.session.remove()


def test_the_review_ticks_the_letter_and_text_that_were_clicked(page, login, e2e_app, sitter, server_clock):
    username, exam_id = sitter
    login(username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的考试")
    page.goto(f"/exam/{exam_id}")
    page.locator("#pledge").check()
    page.get_by_role("button", name="开始答题").click()
    expect(page).to_have_url(ATTEMPT_URL)
    attempt_id = int(ATTEMPT_URL.search(page.url).group(1))
    _show_reversed(e2e_app, attempt_id)
    page.reload()
    expect(page.locator("#attempt")).to_be_visible()

    clicked = {}  # type -> (position, the labels clicked: the shown letter and the text, "A. 五人")
    for qtype, picks in ((QType.SINGLE, (0,)), (QType.MULTIPLE, (0, 2))):
        section = page.locator(f'.attempt-question[data-qtype="{qtype}"]')
        labels = section.get_by_test_id("question-card").locator("label")
        expect(labels.first).to_have_text(re.compile(r"^A\. (五人|财产保险)$"))  # shown reversed
        clicked[qtype] = int(section.get_attribute("data-position")), [labels.nth(i).inner_text() for i in picks]
        for label in clicked[qtype][1]:
            section.get_by_label(label, exact=True).check()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    page.locator("#submit-open").click()
    page.locator("#submit-final").click()
    expect(page).to_have_url(re.compile(rf"/attempt/{attempt_id}/result$"))
    expect(page.get_by_test_id("score")).to_be_visible()
    expect(page.get_by_test_id("answer-key")).to_have_count(0)  # the review waits for the close

    server_clock.shift(hours=2)
    page.reload()
    # the key: 两人 shown third; 养老保险 and 工伤保险 shown fourth and second
    for qtype, key in ((QType.SINGLE, "C"), (QType.MULTIPLE, "BD")):
        position, chosen = clicked[qtype]
        card = page.get_by_test_id("question-card").filter(has_text=f"第 {position} 题")
        labels = card.locator("label")
        expect(labels).to_have_count(4)
        for label in labels.all_inner_texts():
            box = card.get_by_label(label, exact=True)
            if label in chosen:
                expect(box).to_be_checked()
            else:
                expect(box).not_to_be_checked()
        key_of_card = card.locator("xpath=following-sibling::div[1]").get_by_test_id("answer-key").locator("dd").first
        expect(key_of_card).to_have_text(key)
    page.wait_for_load_state()
