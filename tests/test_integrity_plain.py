"""The plain-data seam: a sitting as a JSON file, `flask integrity analyse-file`, `export-file`,
and the rules that need the file's detail (device ids, declared rooms, the unit's tails)."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from examapp.exams.models import Exam
from examapp.extensions import db
from examapp.integrity.analysis import analyse
from examapp.integrity.models import Finding
from examapp.integrity.plain import PlainDataError, findings_data, sitting_from_data
from examapp.integrity.services import compute_findings
from examapp.integrity.stats import overdispersed_upper_tail, poisson_upper_tail

from . import exam_factories
from .integrity_factories import DB_PLAN, simulate, to_sitting, write_plan

T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def iso(minutes):
    return (T0 + timedelta(minutes=minutes)).isoformat()


def handmade(rooms=None, home_browsers=False):
    """Six examinees of two units on four items; attempts 4, 5 and 6 answered by one person."""
    items = [
        {"id": 1, "qtype": "single", "key": "B", "points": 25},
        {"id": 2, "qtype": "multiple", "key": "ACD", "points": 25},
        {"id": 3, "qtype": "judge", "key": "T", "points": 25},
        {"id": 4, "qtype": "blank", "key": [["九十八", "98"]], "points": 25},
    ]
    attempts = []
    for n in range(1, 7):
        stand_in = n >= 4
        device = "f" * 32 if stand_in and not home_browsers else f"{n:032x}"
        browser = f"Browser {n}" if home_browsers else "Chrome 120"
        address = "192.168.7.7" if stand_in else f"10.1.0.{n}"
        attempts.append(
            {
                "id": n,
                "person": 100 + n,
                "unit": 10 if n <= 3 else 11,
                "district": 2,
                "score": 100,
                "started_at": iso(n),
                "submitted_at": iso(50 + n),
                "answers": [
                    {
                        "item": 1,
                        "response": "B",
                        "first_answered_at": iso(5 + n),
                        "answered_at": iso(5 + n),
                        "saves": 1,
                    },
                    {"item": 2, "response": ["A", "C", "D"], "first_answered_at": iso(6 + n), "saves": 1},
                    {"item": 3, "response": "对", "first_answered_at": iso(7 + n)},
                    {"item": 4, "response": ["98"], "first_answered_at": iso(40 + n), "answered_at": iso(45 + n)},
                ],
                "sightings": [
                    {"at": iso(n), "kind": "opened", "address": address, "browser": browser, "device": device},
                ],
                "unknown key": "ignored",
            }
        )
    return {"rooms": rooms or [], "items": items, "attempts": attempts, "comment": "ignored"}


def test_a_hand_made_file_finds_the_stand_in_by_device():
    drafts, _stats = analyse(sitting_from_data(handmade()))
    found = findings_data(drafts)["findings"]
    assert found == [{"kind": "same_device", "attempts": [4, 5, 6], "unit": None, "strength": 8.0, "level": "高"}]


def test_responses_are_graded_as_the_bank_grades_them():
    sitting = sitting_from_data(handmade())
    assert not sitting.item_wrong.any()  # "对" for T, ["A","C","D"] for ACD, "98" for 九十八
    assert np.isfinite(sitting.item_first_at).all()
    assert sitting.attempts[0].last_answer_at == T0 + timedelta(minutes=46)


def test_a_stand_in_at_home_with_a_browser_per_account_is_found_by_address_outside_the_rooms():
    data = handmade(rooms=["10.1.0.0/24"], home_browsers=True)
    found = findings_data(analyse(sitting_from_data(data))[0])["findings"]
    assert [(f["kind"], f["attempts"], f["level"]) for f in found] == [("same_address", [4, 5, 6], "高")]
    # the same address with no room declared: three devices behind one address look like a room
    data = handmade(home_browsers=True)
    assert findings_data(analyse(sitting_from_data(data))[0])["findings"] == []


@pytest.mark.parametrize("people", [2, 6, 20])
def test_an_honest_nat_room_is_no_finding(people):
    data = handmade()
    data["attempts"] = []
    for n in range(1, people + 1):
        data["attempts"].append(
            {
                "id": n,
                "unit": 10,
                "started_at": iso(0),
                "submitted_at": iso(60),
                "answers": [{"item": 1, "response": "B", "first_answered_at": iso(3)}],
                "sightings": [
                    {
                        "at": iso(0),
                        "kind": "opened",
                        "address": "10.8.0.1",
                        "browser": "Chrome 120",
                        "device": f"{n:032x}",
                    },
                    # a second uplink: the same page's saves come from another address
                    {"at": iso(20), "kind": "address_changed", "address": "10.8.0.2", "device": f"{n:032x}"},
                    {"at": iso(25), "kind": "address_changed", "address": "10.8.0.1", "device": f"{n:032x}"},
                ],
            }
        )
    for rooms in ([], ["10.8.0.0/29"]):
        data["rooms"] = rooms
        assert findings_data(analyse(sitting_from_data(data))[0])["findings"] == []


def test_moving_back_and_forth_between_two_devices_is_two_places_at_once():
    data = handmade()
    data["attempts"] = data["attempts"][:1]
    data["attempts"][0]["sightings"] = [
        {"at": iso(0), "kind": "opened", "address": "10.1.0.1", "device": "a" * 32},
        {"at": iso(10), "kind": "takeover", "address": "10.1.0.1", "device": "b" * 32},
        {"at": iso(13), "kind": "takeover", "address": "10.1.0.1", "device": "a" * 32},
    ]
    found = findings_data(analyse(sitting_from_data(data))[0])["findings"]
    assert [(f["kind"], f["attempts"]) for f in found] == [("two_addresses", [1])]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("items"), "items：应为一个列表"),
        (lambda d: d["items"][0].update(qtype="essay"), "items[0].qtype"),
        (lambda d: d["items"][0].update(key="BC"), "单选题的答案应为一个字母"),
        (lambda d: d["attempts"][0].update(started_at="2026-11-10T09:00:00"), "没有时区"),
        (lambda d: d["attempts"][0].update(started_at=12), "attempts[0].started_at"),
        (lambda d: d["attempts"][1].update(id=1), "答卷 1 重复"),
        (lambda d: d["attempts"][0]["answers"][0].update(item=99), "题目 99 不在 items 中"),
        (lambda d: d["attempts"][0]["answers"][1].update(item=1), "出现两次"),
        (lambda d: d["attempts"][0].update(unit="ten"), "应为整数编号"),
        (lambda d: d["attempts"][0].update(unit=2**64), "应为整数编号"),
        (lambda d: d["items"][0].update(id=-1), "应为整数编号"),
        (lambda d: d["attempts"][0].update(score="high"), "attempts[0].score：应为数字"),
        (lambda d: d["attempts"][0]["sightings"][0].update(kind="teleport"), "sightings[0].kind"),
        (lambda d: d.update(rooms=["not a network"]), "rooms[0]"),
    ],
)
def test_a_malformed_file_is_refused_with_where_and_what(change, message):
    data = handmade()
    change(data)
    with pytest.raises(PlainDataError) as caught:
        sitting_from_data(data)
    assert message in caught.value.message


def test_the_command_reads_a_file_and_prints_the_findings(app, runner, tmp_path):
    path = tmp_path / "sitting.json"
    path.write_text(json.dumps(handmade(), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["integrity", "analyse-file", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["findings"][0]["attempts"] == [4, 5, 6]
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["integrity", "analyse-file", str(path)])
    assert result.exit_code == 1 and "不是有效的 JSON" in result.output
    path.write_text(json.dumps([1, 2]), encoding="utf-8")
    result = runner.invoke(args=["integrity", "analyse-file", str(path)])
    assert result.exit_code == 1 and "应为一个对象" in result.output


def test_an_exported_exam_analysed_from_its_file_gives_the_pages_findings(app, runner, world, tmp_path):
    plan = simulate(**DB_PLAN)
    with app.app_context():
        exam = exam_factories.exam(world, publish=True)
        write_plan(plan, exam, world.city)
        db.session.commit()
        exam_id = exam.id
        compute_findings(db.session.get(Exam, exam_id))
        db.session.commit()
        stored = {
            (f.kind, tuple(f.attempt_ids), round(f.strength, 3), f.level)
            for f in db.session.query(Finding).filter_by(exam_id=exam_id)
        }
    path = tmp_path / "exam.json"
    result = runner.invoke(args=["integrity", "export-file", str(exam_id), "--out", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "name" not in json.dumps(data)[:2000] and len(data["attempts"]) == len(plan.attempts)
    result = runner.invoke(args=["integrity", "analyse-file", str(path)])
    assert result.exit_code == 0, result.output
    levels = {"高": "high", "中": "medium", "低": "low"}
    from_file = {
        (f["kind"], tuple(f["attempts"]), f["strength"], levels[f["level"]])
        for f in json.loads(result.output)["findings"]
    }
    assert from_file == stored and len(stored) >= 4


def test_poisson_tail_keeps_its_digits_past_two_thousand():
    # the unit of 30 copying 40 % of one sheet: 2,495 identical wrong answers against 1,767 expected
    p = poisson_upper_tail([2495], [1767.0])[0]
    assert 1e-70 < p < 1e-50
    assert overdispersed_upper_tail(2495, 1767.0, 1767.0 * 1.5) < 1e-30
    assert overdispersed_upper_tail(10, 12.0, 20.0) == 1.0


def test_the_overdispersed_tail_is_wider_than_the_poisson_one():
    assert overdispersed_upper_tail(30, 15.0, 15.0) == pytest.approx(poisson_upper_tail([30], [15.0])[0])
    assert overdispersed_upper_tail(30, 15.0, 40.0) > 10 * poisson_upper_tail([30], [15.0])[0]


def test_the_findings_say_what_this_exam_can_see_of_copying():
    from examapp.integrity.power import power_words

    plan = simulate(people=300, seed=2, copy_pairs=0, stand_in=False, mean_ability=4.0)
    _drafts, stats = analyse(to_sitting(plan))
    power = stats["copying_power"]
    assert 1.5 < power["mean_wrong"] < 5 and power["pairs_simulated"] > 100
    rates = [d["rate"] for d in power["detection"]]
    assert rates == sorted(rates)  # copying more is seen more often
    words = power_words(power)
    assert f"平均答错 {power['mean_wrong']:.1f} 题" in words and "无法从答案中发现" in words
    weaker = analyse(to_sitting(simulate(people=300, seed=2, copy_pairs=0, stand_in=False, mean_ability=0.5)))[1]
    assert weaker["copying_power"]["detection"][-1]["rate"] > power["detection"][-1]["rate"]


def test_a_neighbour_answering_seconds_after_the_source_is_found_by_timing():
    from tests.integrity_simulation import simulate_sitting

    data, truth = simulate_sitting(3, people=240, fixed_paper=True, copy_pairs=(0.6,))
    pair = truth["copy_pairs"][0]
    drafts, stats = analyse(sitting_from_data(data))
    timing = [d for d in drafts if d.kind == "timing"]
    assert [sorted(d.attempt_ids) for d in timing] == [sorted((pair["source"], pair["copier"]))]
    found = timing[0]
    assert found.attempt_ids == [pair["source"], pair["copier"]]  # the leader first
    assert found.level in ("high", "medium") and found.evidence["followed"] >= 8
    assert 0.2 <= stats["timing_share"] < 0.5 and stats["timing_reference_pairs"] > 1000
    # the same sitting without the copier following: nothing by timing
    honest, _truth = simulate_sitting(3, people=240, fixed_paper=True)
    assert not [d for d in analyse(sitting_from_data(honest))[0] if d.kind == "timing"]
