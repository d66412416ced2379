"""The browser's device id in a real browser: kept in localStorage, shared by the tabs of one
browser, its own in another browser, and said to the server in the hello and with the saves."""

import json
import re

import pytest
from playwright.sync_api import expect

from examapp.extensions import db
from examapp.sitting.models import AttemptEvent

from . import test_sitting as sitting_e2e
from .test_sitting import answer, arrive, expect_saved, log_in, log_in_elsewhere, start

# the exam-sitting fixtures: a small bank, a fresh examinee, an exam with them alone on its roster
category_id = sitting_e2e.category_id
examinee = sitting_e2e.examinee
make_exam = sitting_e2e.make_exam

pytestmark = pytest.mark.e2e

DEVICE = re.compile(r"[0-9a-f]{32}")


def sightings(app, attempt_id):
    """(kind, detail) of the attempt's openings and address changes, in order."""
    with app.app_context():
        rows = db.session.execute(
            db.select(AttemptEvent.kind, AttemptEvent.detail)
            .where(
                AttemptEvent.attempt_id == attempt_id,
                AttemptEvent.kind.in_(("opened", "reopened", "takeover", "address_changed")),
            )
            .order_by(AttemptEvent.id)
        ).all()
        db.session.remove()
    return [(kind, detail or {}) for kind, detail in rows]


def device_of(page):
    return page.evaluate("() => window.localStorage.getItem('examapp.device')")


def test_one_device_id_per_browser_said_in_the_hello(page, context, login, new_context, e2e_app, examinee, make_exam):
    exam_id, _ = make_exam(examinee)
    log_in(page, login, examinee)
    attempt_id = start(page, exam_id)
    answer(page, 1)
    expect_saved(page)
    page.wait_for_load_state("networkidle")  # the hello has been answered
    device = device_of(page)
    assert DEVICE.fullmatch(device or ""), device
    [(kind, detail)] = sightings(e2e_app, attempt_id)
    assert kind == "opened" and detail["device"] == device and DEVICE.fullmatch(detail["tab"])

    # another tab of the same browser: its own tab id, the same device
    second = context.new_page()
    second.goto(f"/attempt/{attempt_id}")
    arrive(second, re.compile(rf"/attempt/{attempt_id}$"))
    second.wait_for_load_state("networkidle")
    assert device_of(second) == device
    kind, detail = sightings(e2e_app, attempt_id)[-1]
    assert kind == "takeover" and detail["device"] == device and detail["tab"] != detail["previous_tab"]
    second.close()

    # another browser on the same PC: a device of its own
    other = log_in_elsewhere(new_context, examinee)
    expect(other.get_by_role("heading", level=1)).to_have_text("我的考试")
    other.goto(f"/attempt/{attempt_id}")
    arrive(other, re.compile(rf"/attempt/{attempt_id}$"))
    with other.expect_request(lambda r: r.url.endswith("/save")) as save:
        answer(other, 2)
    expect_saved(other)
    other.wait_for_load_state("networkidle")
    assert DEVICE.fullmatch(device_of(other) or "") and device_of(other) != device
    assert json.loads(save.value.post_data)["device"] == device_of(other)
    kind, detail = sightings(e2e_app, attempt_id)[-1]
    assert kind == "takeover" and detail["device"] == device_of(other)
    # its saves carry its own device, the one its opening names: no change recorded
    assert "address_changed" not in [kind for kind, _ in sightings(e2e_app, attempt_id)]
