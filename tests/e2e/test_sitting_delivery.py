"""No answer dropped, no honest examinee penalised, in a real browser: a batch with a bad save,
a session replaced mid-exam, offline across the deadline, Tab through the page, a takeover
from the same address and browser, and the old page after it."""

import json
import re
import time

import pytest
from playwright.sync_api import expect

from examapp.extensions import db
from examapp.sitting.models import Attempt, AttemptEvent, AttemptState, LateDelivery

from . import test_sitting as sitting_e2e
from .conftest import PASSWORDS
from .test_sitting import (
    PASSWORD,
    RESULT_URL,
    answer,
    arrive,
    expect_saved,
    expected_response,
    load_attempt,
    log_in,
    log_in_elsewhere,
    start,
)

# the exam-sitting fixtures: a small bank, a fresh examinee, an exam with them alone on its roster
category_id = sitting_e2e.category_id
examinee = sitting_e2e.examinee
make_exam = sitting_e2e.make_exam

pytestmark = pytest.mark.e2e


def events(app, attempt_id):
    with app.app_context():
        rows = db.session.execute(
            db.select(AttemptEvent.kind, AttemptEvent.duration_ms)
            .where(AttemptEvent.attempt_id == attempt_id)
            .order_by(AttemptEvent.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def wait_for_hello(app, attempt_id, tries=50):
    """Until the attempt's last opening names the tab its page reported (the hello went through)."""
    for _ in range(tries):
        with app.app_context():
            detail = db.session.scalar(
                db.select(AttemptEvent.detail)
                .where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.kind.in_(("opened", "reopened", "takeover")))
                .order_by(AttemptEvent.id.desc())
                .limit(1)
            )
            db.session.remove()
        if isinstance(detail, dict) and detail.get("tab"):
            return
        time.sleep(0.2)
    raise AssertionError("the page never said which tab it lives in")


def late_deliveries(app, attempt_id):
    with app.app_context():
        rows = db.session.scalars(db.select(LateDelivery).where(LateDelivery.attempt_id == attempt_id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def position_of(page, qtype):
    return int(page.locator(f'.attempt-question[data-qtype="{qtype}"]').first.get_attribute("data-position"))


def test_a_batch_with_one_bad_save_keeps_the_others(page, login, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect_saved(page)
    single, judge = position_of(page, "single"), position_of(page, "judge")
    # A queue left in the browser's storage (say, by an older page) holds one save no page should
    # send beside a good one; the page sends them together when it loads.
    queue = [
        {"seq": 900, "position": single, "response": "Z", "flagged": False},
        {"seq": 901, "position": judge, "response": "T", "flagged": True},
    ]
    page.evaluate(
        "([key, queue]) => localStorage.setItem(key, JSON.stringify({seq: 901, queue: queue, events: []}))",
        [f"examapp.attempt.{attempt_id}", queue],
    )
    page.reload()
    refused = page.get_by_test_id("refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text(f"第 {single} 题")
    expect(page.get_by_test_id(f"nav-{single}")).to_have_attribute("aria-label", re.compile("答案未保存"))
    _, items = load_attempt(e2e_app, attempt_id)
    assert items[judge].response == "T" and items[judge].flagged
    assert items[single].response is None
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('examapp.attempt.{attempt_id}')).queue")
    assert stored == []  # both were answered for: neither waits any longer
    # answering the refused question again is saved as usual
    answer(page, single)
    expect_saved(page)
    expect(refused).to_be_visible()  # what was refused stays said until the page is left


def test_a_session_replaced_mid_exam_keeps_the_queue_and_sends_it_after_logging_in(
    page, context, login, e2e_app, examinee, make_exam
):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    answer(page, 1)
    expect_saved(page)

    # In another tab of the same browser, the person logs out and in again: a new session.
    other = context.new_page()
    other.goto("/")
    other.get_by_role("button", name="退出").click()
    other.locator('input[name="username"]').fill(examinee)
    other.locator('input[name="password"]').fill(PASSWORD)
    other.get_by_role("button", name="登录", exact=True).click()
    expect(other.get_by_role("heading", level=1)).to_have_text("我的考试")
    other.close()

    answer(page, 2)
    dialog = page.get_by_role("dialog", name="请重新登录")
    expect(dialog).to_be_visible()
    expect(page.locator("#save-status")).to_contain_text("1 个答案暂存在本机")
    _, items = load_attempt(e2e_app, attempt_id)
    assert items[2].response is None
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('examapp.attempt.{attempt_id}')).queue")
    assert [s["position"] for s in stored] == [2]

    # A wrong password is said; the right one sends what waited, on the same page.
    dialog.get_by_label("密码").fill("wrong-password-1")
    dialog.get_by_role("button", name="登录并继续").click()
    expect(dialog.locator("#relogin-error")).to_contain_text("用户名或密码错误")
    dialog.get_by_label("密码").fill(PASSWORD)
    dialog.get_by_role("button", name="登录并继续").click()
    expect(dialog).to_be_hidden()
    expect_saved(page)
    _, items = load_attempt(e2e_app, attempt_id)
    assert items[2].response is not None
    answer(page, 3)
    expect_saved(page)
    assert load_attempt(e2e_app, attempt_id)[1][3].response is not None


def test_offline_across_the_deadline_and_back_after_the_grace_is_held_for_review(
    page, context, new_context, login, e2e_app, examinee, make_exam, server_clock
):
    exam_id, _ = make_exam(examinee, duration=1, grace=30)
    page.clock.install()
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    answer(page, 1)
    expect_saved(page)

    context.set_offline(True)
    answer(page, 2)  # given before the deadline, while the link is down
    expect(page.locator("#save-status")).to_have_text("网络中断：1 个答案等待发送")
    # The deadline and its grace pass on the server while the page is cut off; the page's own
    # countdown reaches zero and it tries to hand in.
    server_clock.shift(seconds=100)
    page.clock.fast_forward("01:05")
    expect(page.locator("#save-status")).to_contain_text("网络中断")

    context.set_offline(False)
    page.clock.fast_forward("00:04")
    arrive(page, RESULT_URL)
    expect(page.get_by_text("1 个答案在考试结束后才送达，已提交监考人员审核")).to_be_visible()
    expect(page.get_by_text("时间到自动交卷")).to_be_visible()

    attempt, items = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.submitted_at == attempt.deadline_at
    assert items[2].response is None  # not graded: held for review
    (late,) = late_deliveries(e2e_app, attempt_id)
    assert late.position == 2 and late.status == "pending"
    assert late.answered_at <= attempt.deadline_at
    assert late.offline_at is not None and late.offline_at <= attempt.deadline_at
    score_before = attempt.score

    # The exam admin finds it on the person's monitor page, reads the evidence and accepts it.
    admin = log_in_elsewhere(new_context, "admin", PASSWORDS["admin"])
    with e2e_app.app_context():
        entry_id = db.session.get(Attempt, attempt_id).roster_entry_id
        db.session.remove()
    admin.goto(f"/monitor/{exam_id}/people/{entry_id}")
    expect(admin.get_by_test_id("late-deliveries")).to_contain_text("1 个待审核")
    admin.get_by_role("link", name="查看并审核").click()
    expect(admin.get_by_text("截止前已断网")).to_be_visible()
    admin.get_by_label("选择第 2 题的迟到答案", exact=False).check()
    admin.get_by_label("理由", exact=False).fill("考场网络在截止前中断，答案在截止前作出")
    admin.get_by_role("button", name="接受", exact=True).click()
    expect(admin.locator(".alert-success")).to_be_visible()

    attempt, items = load_attempt(e2e_app, attempt_id)
    assert items[2].response == expected_response(items[2])
    assert items[2].awarded == items[2].points and attempt.score == score_before + items[2].points
    assert late_deliveries(e2e_app, attempt_id)[0].status == "accepted"


def test_tab_through_the_whole_page_is_not_leaving_it(page, context, login, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee, departure_limit=1)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect_saved(page)
    # Playwright keeps every page "focused"; turn that off so that the window really loses the
    # focus when the keyboard leaves the page for the browser's own controls.
    context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    page.bring_to_front()
    focusable = page.evaluate("document.querySelectorAll('a[href], button, input, [tabindex]').length")
    for _ in range(focusable + 10):  # past the last control and round again
        page.keyboard.press("Tab")
    # Past the last control, a browser moves the focus to its own address bar and back: the
    # window's blur and focus, a moment apart.
    page.evaluate("window.dispatchEvent(new Event('blur'))")
    page.wait_for_timeout(800)
    page.keyboard.press("Tab")
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    page.wait_for_timeout(6_000)  # longer than the few seconds a departure needs
    answer(page, 1)
    expect_saved(page)
    attempt, _ = load_attempt(e2e_app, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.departures == 0
    assert [kind for kind, _ in events(e2e_app, attempt_id)] == ["opened"]


def test_a_departure_is_recorded_with_how_long_it_lasted(page, context, login, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee, departure_limit=3)
    page.clock.install()
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect_saved(page)
    context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    page.bring_to_front()
    other = context.new_page()
    other.bring_to_front()  # another window takes the focus...
    page.clock.run_for(12_000)  # ...and holds it for twelve seconds
    page.bring_to_front()
    expect(page.get_by_test_id("departure-warning")).to_be_visible()
    page.clock.run_for(1_000)
    expect_saved(page)
    # the return is reported after the departure: wait for the server to have it
    for _ in range(50):
        departures = [duration for kind, duration in events(e2e_app, attempt_id) if kind == "departure"]
        if departures and departures[0] is not None:
            break
        page.wait_for_timeout(200)
    assert len(departures) == 1 and departures[0] is not None and 11_000 <= departures[0] <= 14_000


def test_another_pc_behind_the_same_address_takes_over_and_is_recorded_so(
    page, login, new_context, e2e_app, examinee, make_exam
):
    """An exam room behind NAT: every PC has the same address and browser; the tab tells them apart."""
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    expect_saved(page)
    wait_for_hello(e2e_app, attempt_id)  # the page has told the server its tab
    page.reload()  # a reload in the same tab is a reload
    expect_saved(page)
    wait_for_hello(e2e_app, attempt_id)

    second = log_in_elsewhere(new_context, examinee)  # the same browser build, the same 127.0.0.1
    expect(second.get_by_role("heading", level=1)).to_have_text("我的考试")
    second.goto(f"/attempt/{attempt_id}")
    expect_saved(second)
    expect(second.locator("#timer")).to_be_visible()
    second.wait_for_load_state("networkidle")

    kinds = [kind for kind, _ in events(e2e_app, attempt_id)]
    assert kinds == ["opened", "reopened", "takeover"]

    # The old page's next answer is refused, and it never shows that answer as done.
    single = position_of(page, "single")
    page.locator(f"#q{single} input[type=radio]").first.click()
    expect(page.get_by_test_id("takeover")).to_be_visible()
    nav = page.get_by_test_id(f"nav-{single}")
    expect(nav).to_have_attribute("aria-label", re.compile("答案未保存"))
    expect(nav).not_to_have_class(re.compile(r"\bbtn-success\b"))
    expect(page.locator("#save-status")).to_contain_text("1 个答案未保存")
    assert load_attempt(e2e_app, attempt_id)[1][single].response is None


def test_a_browser_without_fetch_is_warned_and_never_told_saved(page, login, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    page.add_init_script("delete window.fetch;")
    start(page, exam_id)
    warning = page.get_by_test_id("startup-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("不能自动保存答案")
    expect(page.locator("#save-status")).not_to_have_text("已保存")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "error")


def test_the_page_says_which_tab_it_is_once_loaded(page, login, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    hellos = []
    page.on("request", lambda r: hellos.append(json.loads(r.post_data)) if r.url.endswith("/hello") else None)
    start(page, exam_id)
    expect_saved(page)
    page.reload()
    expect_saved(page)
    page.wait_for_load_state("networkidle")
    assert len(hellos) == 2 and hellos[0]["tab"] == hellos[1]["tab"]
    assert hellos[0]["token"] != hellos[1]["token"]
