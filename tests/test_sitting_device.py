"""The browser's device id: said in the hello (kept on the opening) and with every save (a save
from another device than the page's is an "address_changed" event). Evidence only: a missing or
malformed device id never stops an examinee from answering."""

import json

import pytest
from sqlalchemy import select

from examapp.extensions import db
from examapp.sitting.models import AttemptEvent
from examapp.sitting.saving import same_client

from .test_sitting_pages import start_sitting

TAB = "a" * 32
ONE = "0123456789abcdef" * 2
TWO = "fedcba9876543210" * 2


@pytest.fixture(params=["first save", "page known"])
def sitting(request, app, world, clock):
    return start_sitting(app, world, known=request.param == "page known")


def _hello(sitting, tab=TAB, **extra):
    return sitting.post("hello", {"token": sitting.token, "tab": tab, **extra})


def _opening_detail(app, attempt_id):
    with app.app_context():
        return db.session.scalar(
            select(AttemptEvent.detail)
            .where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.kind.in_(("opened", "reopened", "takeover")))
            .order_by(AttemptEvent.id.desc())
            .limit(1)
        )


def _changes(app, attempt_id):
    with app.app_context():
        return db.session.execute(
            select(AttemptEvent.client_address, AttemptEvent.detail)
            .where(AttemptEvent.attempt_id == attempt_id, AttemptEvent.kind == "address_changed")
            .order_by(AttemptEvent.id)
        ).all()


def _save(sitting, seq, device=None, address="127.0.0.1"):
    payload = {"token": sitting.token, "saves": [{"seq": seq, "position": 1, "response": "A"}]}
    if device is not None:
        payload["device"] = device
    reply = sitting.client.post(
        f"/attempt/{sitting.attempt_id}/save",
        data=json.dumps(payload),
        headers={"Content-Type": "application/json", "X-CSRFToken": sitting.csrf, "Accept": "application/json"},
        environ_base={"REMOTE_ADDR": address},
    )
    assert reply.status_code == 200 and reply.json["acked"] == [seq], reply.get_data(as_text=True)
    return reply


# --- the hello --------------------------------------------------------------------------------


def test_the_hello_keeps_the_device_beside_the_tab(app, sitting):
    # the page's GET cannot know the browser's storage: the opening has no device until the hello
    assert "device" not in (_opening_detail(app, sitting.attempt_id) or {})
    assert _hello(sitting, device=ONE).json["opening"] == "opened"
    assert _opening_detail(app, sitting.attempt_id) == {"tab": TAB, "device": ONE}


def test_a_reload_keeps_its_own_device_on_its_opening(app, sitting):
    _hello(sitting, device=ONE)
    sitting.open_page()
    assert _hello(sitting, device=ONE).json["opening"] == "reopened"
    assert _opening_detail(app, sitting.attempt_id) == {"previous_tab": TAB, "tab": TAB, "device": ONE}


@pytest.mark.parametrize(
    "device", [None, 7, "", "short", "has spaces in it", "x" * 65, [ONE], {"id": ONE}, "é" * 32, True]
)
def test_a_malformed_device_is_ignored_and_the_hello_still_answers(app, sitting, device):
    reply = _hello(sitting, device=device)
    assert reply.status_code == 200 and reply.json["opening"] == "opened"
    assert _opening_detail(app, sitting.attempt_id) == {"tab": TAB}
    assert _save(sitting, 1).json["status"] == "saved"


def test_a_bad_tab_is_still_refused_whatever_the_device(sitting):
    reply = _hello(sitting, tab="short", device=ONE)
    assert reply.status_code == 400 and reply.json["error"]


def test_a_second_hello_adds_a_device_the_first_lacked_and_never_changes_one(app, sitting):
    _hello(sitting)
    assert _opening_detail(app, sitting.attempt_id) == {"tab": TAB}
    assert _hello(sitting, device=ONE).json["opening"] == "opened"
    assert _opening_detail(app, sitting.attempt_id) == {"tab": TAB, "device": ONE}
    _hello(sitting, device=TWO)
    assert _opening_detail(app, sitting.attempt_id) == {"tab": TAB, "device": ONE}


# --- saves --------------------------------------------------------------------------------------


def test_saves_from_another_device_are_recorded_once_per_change(app, sitting):
    _hello(sitting, device=ONE)
    _save(sitting, 1, ONE)
    assert _changes(app, sitting.attempt_id) == []
    _save(sitting, 2, TWO)
    _save(sitting, 3, TWO)  # the same other device again: already known
    _save(sitting, 4, ONE)  # and back
    changes = _changes(app, sitting.attempt_id)
    assert [address for address, _ in changes] == ["127.0.0.1", "127.0.0.1"]
    first, back = (detail for _, detail in changes)
    assert first["device"] == TWO and first["from_device"] == ONE and first["tab"] == TAB
    assert first["from"] == "127.0.0.1" and "from_user_agent" in first
    assert back["device"] == ONE and back["from_device"] == TWO and back["tab"] == TAB


def test_a_save_without_a_device_is_no_change(app, sitting):
    """A page from before device ids (or a hand-in that does not say it) saves without one."""
    _hello(sitting, device=ONE)
    _save(sitting, 1)
    _save(sitting, 2, ONE)
    _save(sitting, 3, "not a device id!")
    _save(sitting, 4)
    assert _changes(app, sitting.attempt_id) == []


def test_a_save_before_the_hello_learns_the_device_without_an_event(app, sitting):
    _save(sitting, 1, ONE)
    _hello(sitting, device=ONE)
    _save(sitting, 2, ONE)
    assert _changes(app, sitting.attempt_id) == []


def test_another_address_with_the_same_device_names_the_device(app, sitting):
    _hello(sitting, device=ONE)
    _save(sitting, 1, ONE)
    _save(sitting, 2, ONE, address="10.1.1.9")
    [(address, detail)] = _changes(app, sitting.attempt_id)
    assert address == "10.1.1.9"
    assert detail["from"] == "127.0.0.1" and detail["device"] == ONE and detail["from_device"] == ONE


def test_a_device_missing_on_either_side_is_no_change_by_itself():
    assert same_client(("a", "ua", None), ("a", "ua", ONE))
    assert same_client(("a", "ua", ONE), ("a", "ua", None))
    assert same_client(("a", "ua", ONE), ("a", "ua", ONE))
    assert not same_client(("a", "ua", ONE), ("a", "ua", TWO))
    assert not same_client(("a", "ua", None), ("b", "ua", None))
    assert not same_client(None, ("a", "ua", None))


def test_the_hand_in_names_its_device_like_a_save(app, sitting):
    _hello(sitting, device=ONE)
    _save(sitting, 1, device=ONE)
    payload = {"token": sitting.token, "saves": [{"seq": 2, "position": 1, "response": "B"}], "device": TWO}
    reply = sitting.client.post(
        f"/attempt/{sitting.attempt_id}/submit",
        data=json.dumps(payload),
        headers={"Content-Type": "application/json", "X-CSRFToken": sitting.csrf, "Accept": "application/json"},
    )
    assert reply.status_code == 200 and reply.json["status"] == "submitted", reply.get_data(as_text=True)
    changes = _changes(app, sitting.attempt_id)
    assert len(changes) == 1 and changes[0][1]["device"] == TWO and changes[0][1]["from_device"] == ONE
