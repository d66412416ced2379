"""Sitting an exam in a real browser: answering, saving, reloading, losing the network,
running out of time, leaving the page, and a second page taking over.

Every test builds its own published exam (through the services, committed) from a small
bank created once for this module, with a fresh examinee on its roster: an attempt is one
per person per exam, so no test sees another's attempt.
"""

import re
import secrets
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from examapp.auth.models import Role, User
from examapp.bank.content import Difficulty, QType, QuestionData
from examapp.bank.models import Status
from examapp.bank.services import create_category, create_question, get_category_by_name
from examapp.clock import utcnow
from examapp.exams.models import ReleaseMode
from examapp.exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint
from examapp.extensions import db
from examapp.org.models import Unit
from examapp.sitting.models import Attempt, AttemptEvent, AttemptItem, AttemptState, SubmitReason
from examapp.staff.services import create_user

pytestmark = pytest.mark.e2e

CATEGORY = "e2e 作答测试"
COMMUNITY = "41010501001"  # a community of 金水区, where the demo examinee kaosheng works
PASSWORD = "Sitting-e2e-2024"
ATTEMPT_URL = re.compile(r"/attempt/(\d+)$")
RESULT_URL = re.compile(r"/attempt/\d+/result$")

#: the bank: (type, stem, options, answer). Each stem starts with a key the page shows, so the
#: browser can answer by what it reads (options are shuffled, so never by position).
QUESTIONS = [
    (
        QType.SINGLE,
        "【单选一】用人单位应当自用工之日起多少日内为职工办理社会保险登记？",
        ["三十日", "十五日", "六十日", "九十日"],
        "A",
    ),
    (QType.SINGLE, "【单选二】劳动保障监察员进行调查、检查，不得少于几人？", ["一人", "两人", "三人", "五人"], "B"),
    (
        QType.SINGLE,
        "【单选三】劳动合同期限一年以上不满三年的，试用期不得超过多久？",
        ["一个月", "两个月", "六个月", "十二个月"],
        "B",
    ),
    (
        QType.MULTIPLE,
        "【多选一】下列由用人单位和职工共同缴费的社会保险有哪些？",
        ["养老保险", "医疗保险", "失业保险", "工伤保险"],
        "ABC",
    ),
    (
        QType.MULTIPLE,
        "【多选二】社区劳动保障工作站应当公开的内容包括哪些？",
        ["办事程序", "政策规定", "服务承诺", "个人隐私"],
        "ABC",
    ),
    (QType.JUDGE, "【判断一】街道劳动保障事务所应有不少于60平方米的办事大厅。", [], "T"),
    (QType.JUDGE, "【判断二】用人单位可以扣押劳动者的居民身份证。", [], "F"),
    (
        QType.BLANK,
        "【填空一】每日延长工作时间一般不超过____小时，因特殊原因每月不超过____小时。",
        [],
        [["1", "一"], ["36", "三十六"]],
    ),
    (QType.BLANK, "【填空二】劳动争议申请仲裁的时效期间为____年。", [], [["1", "一"]]),
]

#: what a person types or picks for each question: the texts of the right options, 正确/错误, or the blanks
RIGHT = {
    "【单选一】": ["三十日"],
    "【单选二】": ["两人"],
    "【单选三】": ["两个月"],
    "【多选一】": ["养老保险", "医疗保险", "失业保险"],
    "【多选二】": ["办事程序", "政策规定", "服务承诺"],
    "【判断一】": ["正确"],
    "【判断二】": ["错误"],
    "【填空一】": ["1", "36"],
    "【填空二】": ["1"],
}

#: 2 x 20 + 20 + 20 + 20 = 100 points, five questions
BLUEPRINT = [(QType.SINGLE, 2, "20"), (QType.MULTIPLE, 1, "20"), (QType.JUDGE, 1, "20"), (QType.BLANK, 1, "20")]

_examinees = count(1)
_exams = count(1)
#: keeps this run's usernames apart from any other run's left in the same database
_RUN = secrets.token_hex(3)

#: where a test that stops the page's clock sets it (the page never reads the PC's date for time left)
PAGE_TIME = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


# --- data, through the services ------------------------------------------------------


@pytest.fixture(scope="module")
def category_id(e2e_app):
    with e2e_app.app_context():
        category = get_category_by_name(CATEGORY)
        # another module of the same run (tests/e2e/test_sitting_delivery.py) may have made it
        questions = QUESTIONS if category is None else []
        category = category or create_category(None, CATEGORY)
        for qtype, stem, options, answer in questions:
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
        db.session.commit()
        category_id = category.id
        db.session.remove()
    return category_id


@pytest.fixture
def examinee(e2e_app):
    """A fresh examinee of 金水区 (username), who can log in with PASSWORD."""
    n = next(_examinees)
    with e2e_app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == COMMUNITY))
        user, _ = create_user(
            None, username=f"e2e_sit_{_RUN}_{n}", name=f"作答测试{n}", role=Role.EXAMINEE, unit=unit, password=PASSWORD
        )
        db.session.commit()
        username = user.username
        db.session.remove()
    return username


@pytest.fixture
def make_exam(e2e_app, category_id):
    """Publish an exam (open now by the server's clock) with ``username`` alone on its roster."""

    def _make(username, *, duration=30, grace=60, departure_limit=0):
        n = next(_exams)
        with e2e_app.app_context():
            now = utcnow()
            exam = create_exam(
                None,
                ExamSettings(
                    title=f"作答测试考试 {n} 号",
                    instructions="闭卷作答，独立完成。",
                    opens_at=now - timedelta(minutes=10),
                    closes_at=now + timedelta(hours=3),
                    duration_minutes=duration,
                    grace_seconds=grace,
                    departure_limit=departure_limit,
                    release_mode=ReleaseMode.ON_SUBMIT,
                ),
            )
            set_blueprint(
                None,
                exam,
                [{"category_id": category_id, "qtype": t, "count": c, "points": p} for t, c, p in BLUEPRINT],
            )
            user = db.session.scalar(select(User).where(User.username == username))
            add_to_roster(None, exam, users=[user])
            publish_exam(None, exam)
            db.session.commit()
            exam_id, title = exam.id, exam.title
            db.session.remove()
        return exam_id, title

    return _make


def load_attempt(app, attempt_id):
    """(attempt, {position: item}) as committed now, detached."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        items = {
            item.position: item
            for item in db.session.scalars(
                select(AttemptItem).where(AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.position)
            )
        }
        for item in items.values():
            _ = item.version.qtype, item.version.answer
        db.session.expunge_all()
        db.session.remove()
    return attempt, items


def attempt_events(app, attempt_id):
    with app.app_context():
        kinds = list(
            db.session.scalars(
                select(AttemptEvent.kind).where(AttemptEvent.attempt_id == attempt_id).order_by(AttemptEvent.id)
            )
        )
        db.session.remove()
    return kinds


# --- the browser -----------------------------------------------------------------------


def arrive(page, url):
    """Wait until the page has navigated to ``url`` and finished loading it.

    Navigating on while a page's scripts still load drops connections the served thread is
    writing a static file to; werkzeug then leaks the file, and pytest reports the
    ResourceWarning as an error in whichever test runs next.
    """
    expect(page).to_have_url(url)
    page.wait_for_load_state()


def log_in(page, login, username):
    login(username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的考试")
    page.wait_for_load_state()


def log_in_elsewhere(new_context, username, password=PASSWORD):
    """A page of another browser (the same build, the same address) logged in as ``username``."""
    other = new_context().new_page()
    other.set_default_timeout(10_000)
    other.goto("/login")
    other.locator('input[name="username"]').fill(username)
    other.locator('input[name="password"]').fill(password)
    other.get_by_role("button", name="登录", exact=True).click()
    other.wait_for_load_state()
    return other


def start(page, exam_id):
    """Open the start page, give the pledge, start; returns the attempt id."""
    page.goto(f"/exam/{exam_id}")
    page.locator("#pledge").check()
    page.get_by_role("button", name="开始答题").click()
    arrive(page, ATTEMPT_URL)
    expect(page.locator("#attempt")).to_be_visible()
    return int(ATTEMPT_URL.search(page.url).group(1))


def key_of(section):
    stem = section.locator(".question-stem").inner_text()
    return next(key for key in RIGHT if stem.startswith(key))


def answer(page, position):
    """Answer question ``position`` rightly, as a person would (click, tick, type); returns its key."""
    section = page.locator(f"#q{position}")
    qtype = section.get_attribute("data-qtype")
    key = key_of(section)
    if qtype == QType.BLANK:
        blanks = section.locator("input[type=text]")
        for i, text in enumerate(RIGHT[key]):
            blanks.nth(i).fill(text)
        blanks.last.press("Tab")  # leave the field: the change saves at once
    else:
        for text in RIGHT[key]:
            section.get_by_label(text, exact=qtype == QType.JUDGE).check()
    return key


def click_an_option(page, skip=()):
    """Click an option not chosen yet of a 单选/判断 question not in ``skip``; returns its position.

    A plain click, not ``check()``: the save it makes may be refused, and the page then disables
    its inputs or leaves, which ``check()`` (it verifies the new state afterwards) trips over.
    """
    sections = page.locator('.attempt-question[data-qtype="single"], .attempt-question[data-qtype="judge"]')
    for i in range(sections.count()):
        position = int(sections.nth(i).get_attribute("data-position"))
        if position not in skip:
            sections.nth(i).locator("input[type=radio]:not(:checked)").first.click()
            return position
    raise AssertionError("no 单选 or 判断 question left to click")


def expect_answered(page, position, key):
    """The page shows question ``position`` answered with the right answer of ``key``."""
    section = page.locator(f"#q{position}")
    qtype = section.get_attribute("data-qtype")
    if qtype == QType.BLANK:
        blanks = section.locator("input[type=text]")
        for i, text in enumerate(RIGHT[key]):
            expect(blanks.nth(i)).to_have_value(text)
    else:
        for text in RIGHT[key]:
            expect(section.get_by_label(text, exact=qtype == QType.JUDGE)).to_be_checked()
    expect(page.get_by_test_id(f"nav-{position}")).to_have_class(re.compile(r"\bbtn-success\b"))


def expect_saved(page, timeout=10_000):
    status = page.locator("#save-status")
    expect(status).to_have_attribute("data-state", "saved", timeout=timeout)
    expect(status).to_have_text("已保存")


def question_count(page):
    return page.locator("#questions .attempt-question").count()


def expected_response(item):
    """What the DB should hold for an item answered right: the version's own letters or the blanks typed."""
    if item.version.qtype == QType.BLANK:
        return [alternatives[0] for alternatives in item.version.answer]
    return item.version.answer


# --- the tests -------------------------------------------------------------------------------


def test_sit_a_whole_exam_and_see_the_score(page, login, screenshot, e2e_app, examinee, make_exam):
    exam_id, title = make_exam(examinee)
    log_in(page, login, examinee)

    lobby = page.get_by_test_id("lobby-open")
    row = lobby.locator(".list-group-item").filter(has_text=title)
    expect(row).to_be_visible()
    expect(page.get_by_role("heading", name="正在进行")).to_be_visible()
    screenshot("lobby.png")
    row.get_by_role("link", name="进入考试").click()
    arrive(page, re.compile(rf"/exam/{exam_id}$"))

    # The pledge is required: starting without it stays on the start page.
    page.get_by_role("button", name="开始答题").click()
    expect(page.get_by_text("请先确认闭卷考试承诺")).to_be_visible()
    page.wait_for_load_state()
    attempt_id = start(page, exam_id)

    n = question_count(page)
    assert n == 5
    keys = {}
    for position in range(1, n + 1):
        keys[position] = answer(page, position)
        if position == 3:
            page.locator("#flag-2").check()
            expect_saved(page)
            expect(page.get_by_test_id("nav-2")).to_have_class(re.compile(r"\bflagged\b"))
            page.set_viewport_size({"width": 1024, "height": 768})
            screenshot("attempt.png")
    expect_saved(page)
    for position, key in keys.items():
        expect_answered(page, position, key)

    page.locator("#submit-open").click()
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-unanswered")).to_have_text("所有题目都已作答。")
    expect(page.locator("#confirm-flagged")).to_have_text("标记待查的题：第 2 题。")
    page.locator("#submit-final").click()

    arrive(page, re.compile(rf"/attempt/{attempt_id}/result$"))
    expect(page.get_by_text("考生交卷")).to_be_visible()
    expect(page.get_by_test_id("score")).to_have_text(re.compile(r"^\s*100\s*分\s*$"))
    screenshot("result.png")

    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.submit_reason == SubmitReason.EXAMINEE
    assert attempt.score == 100
    assert sorted(items) == [1, 2, 3, 4, 5]
    for position, item in items.items():
        assert item.response == expected_response(item), f"question {position} ({keys[position]})"
        assert item.awarded == item.points
        assert item.flagged is (position == 2)
    # the page that handed in keeps its token: answers it delivers late are recognised as its own
    assert attempt.live_token is not None

    # Back on the lobby, the exam is done and shows the score.
    page.get_by_role("link", name="返回我的考试").click()
    done = page.get_by_test_id("lobby-done").locator(".list-group-item").filter(has_text=title)
    expect(done.get_by_role("link")).to_have_text(re.compile(r"成绩\s*100\s*分"))
    page.wait_for_load_state()


def test_reload_keeps_answers_and_the_servers_remaining_time(page, login, e2e_app, examinee, make_exam, server_clock):
    exam_id, _ = make_exam(examinee, duration=30)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(30:00|29:5\d)$"))

    keys = {position: answer(page, position) for position in (1, 3, 5)}
    page.locator("#flag-4").check()
    expect_saved(page)

    # Five minutes pass on the server; the reloaded page must count from what the server says is left.
    server_clock.shift(minutes=5)
    page.reload()
    expect(page.locator("#attempt")).to_be_visible()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(25:00|24:[45]\d)$"))
    for position, key in keys.items():
        expect_answered(page, position, key)
    expect(page.locator("#flag-4")).to_be_checked()
    for position in (2, 4):
        expect(page.get_by_test_id(f"nav-{position}")).to_have_class(re.compile(r"\bbtn-outline-secondary\b"))
    expect_saved(page)

    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS
    assert {p for p, item in items.items() if item.response is not None} == {1, 3, 5}
    assert items[4].flagged


def test_reloading_the_page_is_not_leaving_it(page, login, e2e_app, examinee, make_exam):
    """DESIGN 3: after a reload "the attempt resumes". With a departure limit of 1, a reload must not
    count as leaving the page, let alone hand the paper in."""
    exam_id, _ = make_exam(examinee, departure_limit=1)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    answer(page, 1)
    expect_saved(page)

    page.reload()
    page.wait_for_load_state("networkidle")  # whatever the reloaded page reports has been answered
    attempt, _ = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS, (
        f"a reload handed the paper in: reason {attempt.submit_reason}, departures {attempt.departures}, "
        f"events {attempt_events(e2e_app, attempt_id)}"
    )
    assert attempt.departures == 0, f"a reload counted as leaving the page: {attempt_events(e2e_app, attempt_id)}"
    expect(page).to_have_url(ATTEMPT_URL)
    answer(page, 2)
    expect_saved(page)


def test_answers_given_offline_are_sent_when_the_network_returns(page, context, login, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect_saved(page)

    context.set_offline(True)
    before = utcnow()
    keys = {position: answer(page, position) for position in (1, 2, 3)}
    answered = utcnow()
    status = page.locator("#save-status")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_text("网络中断：3 个答案等待发送")
    _, items = load_attempt(e2e_app, attempt_id)
    assert all(item.response is None for item in items.values()), "nothing can have reached the server"
    page.wait_for_timeout(4_000)  # the link stays down a while

    context.set_offline(False)
    expect_saved(page, timeout=15_000)
    _, items = load_attempt(e2e_app, attempt_id)
    assert {p for p, item in items.items() if item.response is not None} == {1, 2, 3}
    for position in keys:
        item = items[position]
        assert item.response == expected_response(item) and item.save_count == 1
        # stored with the time it was given, not the time it arrived (4 s later at least)
        assert before - timedelta(seconds=1) <= item.first_answered_at <= answered + timedelta(seconds=2)


def test_submitting_while_answers_wait_offline_is_held_back_and_says_why(
    page, context, login, e2e_app, examinee, make_exam
):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    for position in range(1, question_count(page) + 1):
        answer(page, position)
    expect_saved(page)

    context.set_offline(True)
    page.locator("#flag-1").check()
    expect(page.locator("#save-status")).to_have_text("网络中断：1 个答案等待发送")
    page.locator("#submit-open").click()
    page.locator("#submit-final").click()
    # Held back, and the person is told why (the page has a message for exactly this).
    expect(page.get_by_text("网络中断，还有答案未保存，请等网络恢复后再交卷")).to_be_visible()
    expect(page).to_have_url(ATTEMPT_URL)
    attempt, _ = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS

    context.set_offline(False)
    expect_saved(page, timeout=15_000)
    page.locator("#submit-final").click()
    arrive(page, RESULT_URL)
    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED
    assert items[1].flagged


def test_the_page_submits_by_itself_when_time_runs_out(page, login, e2e_app, examinee, make_exam, server_clock):
    exam_id, _ = make_exam(examinee, duration=1, grace=30)
    page.clock.install()
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(1:00|0:5\d)$"))
    key = answer(page, 1)
    expect_saved(page)

    # The countdown runs on the page's own clock...
    page.clock.fast_forward("00:20")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^0:([23]\d|40)$"))

    # ...and reaches zero: the deadline is past on the server too, but within the grace, so
    # nothing but the page's own submit closes the attempt.
    server_clock.shift(seconds=62)
    page.clock.fast_forward("00:45")
    arrive(page, re.compile(rf"/attempt/{attempt_id}/result$"))
    expect(page.get_by_text("时间到自动交卷")).to_be_visible()

    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.submit_reason == SubmitReason.DEADLINE
    assert items[1].response == expected_response(items[1]), key
    assert attempt.score == items[1].points


def test_saves_after_deadline_and_grace_are_refused(page, context, login, e2e_app, examinee, make_exam, server_clock):
    exam_id, _ = make_exam(examinee, duration=1, grace=30)
    # The page's own clock stands still: only the server's clock decides here (no countdown, no resync).
    page.clock.install(time=PAGE_TIME)
    page.clock.pause_at(PAGE_TIME + timedelta(seconds=1))
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    answer(page, 1)
    expect_saved(page)

    root = page.locator("#attempt")
    save_url = root.get_attribute("data-save-url")
    token = root.get_attribute("data-token")
    headers = {"X-CSRFToken": root.get_attribute("data-csrf")}
    judge = int(page.locator('.attempt-question[data-qtype="judge"]').first.get_attribute("data-position"))

    def save(seq, response, age_ms=0):
        return context.request.post(
            save_url,
            data={
                "token": token,
                "saves": [{"seq": seq, "position": judge, "response": response, "flagged": False, "age_ms": age_ms}],
            },
            headers=headers,
        )

    # Past the deadline but within the grace: an answer given before the deadline is still taken...
    server_clock.shift(seconds=62)
    in_flight = save(1000, "T", age_ms=5000)
    assert in_flight.status == 200, in_flight.text()
    assert in_flight.json()["status"] == "saved"
    # ... an answer given after it is not: the grace is for delivering, not for answering.
    after = save(1001, "F")
    assert after.status == 409, after.text()
    assert after.json()["reason"] == "after_deadline" and after.json()["refused"][0]["seq"] == 1001

    # Past the grace: refused, and the attempt is closed on the spot, at its deadline.
    server_clock.shift(seconds=40)
    refused = save(1002, "F")
    assert refused.status == 409, refused.text()
    assert refused.json()["reason"] == "closed"

    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.submit_reason == SubmitReason.DEADLINE
    assert attempt.submitted_at == attempt.deadline_at
    assert items[judge].response == "T", "the refused saves must not have changed the answer"

    # The page learns it on its next save, and goes to the result.
    click_an_option(page)
    arrive(page, RESULT_URL)


def test_leaving_the_page_warns_then_submits_at_the_limit(page, context, login, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee, departure_limit=2)
    page.clock.install()
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    answer(page, 1)
    expect_saved(page)

    # Playwright keeps every page "focused"; turn that off so switching pages really blurs this one.
    context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    page.bring_to_front()
    other = context.new_page()
    other.bring_to_front()
    # another window holding the focus counts once it has held it for a few seconds
    page.clock.run_for(6000)
    page.bring_to_front()
    warning = page.locator("#warning")
    expect(warning).to_be_visible()
    expect(warning).to_have_text("您已离开考试页面 1 次，离开记录已上报。离开达到 2 次将自动交卷（还剩 1 次）。")
    attempt, _ = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS
    assert attempt.departures == 1

    other.bring_to_front()
    page.clock.run_for(6000)
    arrive(page, RESULT_URL)
    page.bring_to_front()
    expect(page.get_by_text("离开页面次数达到上限自动交卷")).to_be_visible()
    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.submit_reason == SubmitReason.DEPARTURES
    assert attempt.departures == 2
    assert items[1].response is not None
    assert attempt_events(e2e_app, attempt_id).count("departure") == 2


def test_a_second_page_takes_over_and_the_first_stops_saving(page, login, new_context, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    key1 = answer(page, 1)
    expect_saved(page)

    # The same person opens the attempt on another computer.
    second = log_in_elsewhere(new_context, examinee)
    expect(second.get_by_role("heading", level=1)).to_have_text("我的考试")
    second.wait_for_load_state()
    second.get_by_role("link", name="继续作答").click()
    arrive(second, re.compile(rf"/attempt/{attempt_id}$"))
    expect_answered(second, 1, key1)
    expect_saved(second)

    # The first page's next answer is refused: it says so and stops.
    refused = click_an_option(page, skip={1})
    takeover = page.locator("#takeover")
    expect(takeover).to_be_visible()
    expect(takeover).to_contain_text("已在其他页面")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "error")
    expect(page.locator("#questions input").last).to_be_disabled()
    _, items = load_attempt(e2e_app, attempt_id)
    assert items[refused].response is None

    # The second page keeps saving.
    other = next(p for p in range(2, 6) if p != refused)
    key = answer(second, other)
    expect_saved(second)
    expect(second.locator("#takeover")).to_be_hidden()
    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS
    assert items[other].response == expected_response(items[other]), key
    assert items[refused].response is None


def test_the_page_asks_for_its_state_only_when_it_has_not_heard_from_the_server(
    page, login, new_context, e2e_app, examinee, make_exam
):
    exam_id, _ = make_exam(examinee)
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/state?" in request.url else None)
    page.clock.install()
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)

    # A save's reply carries the time: the half-minute check right after it is skipped.
    page.clock.fast_forward("00:20")
    answer(page, 1)
    expect_saved(page)
    page.clock.fast_forward("00:15")
    assert asked == []

    # Another computer takes the attempt over while this page sits idle: the next check finds out.
    second = log_in_elsewhere(new_context, examinee)
    expect(second.get_by_role("heading", level=1)).to_have_text("我的考试")
    second.goto(f"/attempt/{attempt_id}")
    expect(second.locator("#timer")).to_be_visible()
    page.clock.fast_forward("00:30")
    expect(page.locator("#takeover")).to_be_visible()
    assert len(asked) == 1


def test_the_pages_saves_carry_its_token_and_need_no_session(page, context, login, e2e_app, examinee, make_exam):
    """The page sends its token in X-Exam-Page with every save; once the server knows the page,
    a one-answer save is taken by the token alone (examapp/sitting/lean.py): with the browser's
    cookies gone, answers still save and nothing asks to log in again."""
    exam_id, _title = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    token = page.locator("#attempt").get_attribute("data-token")
    headers = []
    page.on("request", lambda request: headers.append(request.headers) if request.url.endswith("/save") else None)
    first = answer(page, 1)  # the page's first save: the app's own path, which learns the paper
    expect_saved(page)
    assert headers and all(h.get("x-exam-page") == token for h in headers)
    context.clear_cookies()
    second = answer(page, 2)
    expect_saved(page)
    expect(page.locator("#relogin")).to_be_hidden()
    _attempt, items = load_attempt(e2e_app, attempt_id)
    assert items[1].response == expected_response(items[1]), first
    assert items[2].response == expected_response(items[2]), second
