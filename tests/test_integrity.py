"""Integrity findings on simulated sittings (no database): planted cases found, honest people not flagged."""

from datetime import timedelta

import numpy as np
import pytest

from examapp.integrity.analysis import Settings, analyse, finding_key
from examapp.integrity.models import FindingKind, Level
from examapp.integrity.pace import AnswerStep, Lead, Pace, lead
from examapp.integrity.queries import SharedAnswer
from examapp.integrity.stats import (
    fit_error_model,
    poisson_binomial_upper_tail,
    poisson_upper_tail,
    weighted_upper_tail,
)

from .integrity_factories import DB_PLAN, START, planted_keys, simulate, to_sitting


def _run(plan, **settings):
    drafts, stats = analyse(to_sitting(plan), Settings(**settings))
    return drafts, stats, {d.key for d in drafts}


@pytest.fixture(scope="module")
def planted():
    plan = simulate(**DB_PLAN)
    drafts, stats, keys = _run(plan)
    return plan, drafts, stats, keys


@pytest.mark.parametrize("kind", ["same_device", "copying", "speed", "two_addresses"])
def test_planted_cases_are_found(planted, kind):
    plan, _drafts, _stats, keys = planted
    expected = planted_keys(plan)[kind]
    assert expected and expected <= keys


def test_one_person_for_three_accounts_is_one_strong_finding(planted):
    plan, drafts, _stats, _keys = planted
    found = [d for d in drafts if d.kind == FindingKind.SAME_DEVICE]
    assert len(found) == 1
    assert sorted(found[0].attempt_ids) == [i + 1 for i in plan.impersonated]
    assert found[0].level == Level.HIGH and found[0].evidence["people"] == 3


def test_honest_unit_of_identical_high_scorers_is_not_flagged(planted):
    plan, drafts, stats, _keys = planted
    honest = {a.index + 1 for a in plan.attempts if a.unit == plan.honest_unit}
    scores = [a.score for a in plan.attempts if a.unit == plan.honest_unit]
    assert len(honest) >= 8 and min(scores) >= 95  # they are the case the test is about
    # the score check did look at the unit (it stands out) ...
    assert plan.honest_unit in stats["score_outlier_unit_ids"]
    # ... but nothing names it or any of its people
    assert all(plan.honest_unit not in d.unit_ids for d in drafts)
    assert all(not honest & set(d.attempt_ids) for d in drafts)


def test_no_finding_names_an_honest_person(planted):
    plan, drafts, _stats, _keys = planted
    planted_ids = {i + 1 for i in plan.impersonated + plan.fast + plan.two_places}
    planted_ids |= {i + 1 for pair in plan.copy_pairs for i in pair}
    assert [d.key for d in drafts if not set(d.attempt_ids) <= planted_ids] == []


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_an_honest_sitting_has_no_findings(seed):
    plan = simulate(people=300, seed=seed, copy_pairs=0, stand_in=False)
    drafts, _stats, _keys = _run(plan)
    assert [d.summary for d in drafts] == []


def test_copying_counts_identical_wrong_answers_against_chance(planted):
    plan, drafts, _stats, _keys = planted
    source, copier = plan.copy_pairs[0]
    finding = next(d for d in drafts if d.key == finding_key("copying", [source + 1, copier + 1]))
    ev = finding.evidence
    assert ev["identical_wrong"] >= 3 and ev["identical_wrong"] > 2 * ev["expected"]
    assert ev["p_adjusted"] < 0.001 and ev["family"] == "same_unit"
    given = {q: r for q, r, ok in plan.attempts[source].answers if not ok}
    taken = {q: r for q, r, ok in plan.attempts[copier].answers if not ok}
    identical = {q for q in given if taken.get(q) == given[q]}
    assert len(identical) == ev["identical_wrong"]


def test_a_unit_sharing_answers_is_flagged_as_a_unit():
    plan = simulate(people=300, seed=5, copy_pairs=0)
    unit = plan.attempts[40].unit
    members = [a for a in plan.attempts if a.unit == unit]
    # an answer sheet passed round the unit: right but for a few mistakes, taken on most questions
    sheet = {q.index: (q.answer, True) for q in plan.questions}
    for q in plan.questions[::12]:
        sheet[q.index] = (q.wrong[0], False)
    for member in members:
        member.answers = [
            sheet[q] and (q, *sheet[q]) if i % 6 else (q, r, ok) for i, (q, r, ok) in enumerate(member.answers)
        ]
    drafts, _stats, _keys = _run(plan)
    units = [d for d in drafts if d.kind == FindingKind.UNIT]
    real_unit_found = [d for d in units if d.unit_ids == [unit]]
    assert real_unit_found, [d.summary for d in drafts][:5]
    assert real_unit_found[0].evidence["identical_wrong"] > 3 * real_unit_found[0].evidence["expected"]


def test_a_single_move_to_another_pc_is_not_two_places_at_once():
    plan = simulate(people=60, seed=3, copy_pairs=0)
    attempt = plan.attempts[5]
    t0 = attempt.started_at
    attempt.sightings[:] = [
        ("opened", t0, "10.1.1.1", "A", "pc1"),
        ("takeover", t0 + timedelta(minutes=20), "10.1.1.2", "A", "pc2"),
    ]
    drafts, _stats, _keys = _run(plan)
    assert finding_key("two_addresses", [attempt.index + 1]) not in {d.key for d in drafts}
    attempt.sightings.append(("takeover", t0 + timedelta(minutes=24), "10.1.1.1", "A", "pc1"))
    drafts, _stats, keys = _run(plan)
    assert finding_key("two_addresses", [attempt.index + 1]) in keys


def test_same_pc_one_after_another_is_not_a_finding():
    plan = simulate(people=60, seed=4, copy_pairs=0)
    first, second = plan.attempts[1], plan.attempts[2]
    first.sightings[:] = [("opened", first.started_at, "10.9.9.9", "Chrome")]
    second.started_at = first.submitted_at + timedelta(minutes=1)
    second.submitted_at = second.started_at + timedelta(minutes=40)
    second.last_answer_at = second.submitted_at
    second.sightings[:] = [("opened", second.started_at, "10.9.9.9", "Chrome")]
    drafts, _stats, _keys = _run(plan)
    assert not [d for d in drafts if d.kind == FindingKind.SAME_DEVICE and {2, 3} <= set(d.attempt_ids)]


def test_a_crowd_on_one_address_without_device_ids_is_a_weak_finding():
    plan = simulate(people=60, seed=4, copy_pairs=0, stand_in=False)
    for attempt in plan.attempts[:10]:
        attempt.sightings[:] = [("opened", attempt.started_at, "10.0.0.1", "Chrome")]
    drafts, _stats, _keys = _run(plan)
    crowd = [d for d in drafts if d.kind == FindingKind.SAME_ADDRESS and d.evidence["address"] == "10.0.0.1"]
    assert len(crowd) == 1 and crowd[0].level == Level.LOW
    assert not [d for d in drafts if d.kind == FindingKind.SAME_DEVICE]


def test_a_room_behind_one_address_with_device_ids_is_no_finding():
    plan = simulate(people=60, seed=4, copy_pairs=0, stand_in=False)
    for attempt in plan.attempts[:20]:
        attempt.sightings[:] = [("opened", attempt.started_at, "10.0.0.1", "Chrome", f"pc{attempt.index}")]
    drafts, _stats, _keys = _run(plan)
    assert not [d for d in drafts if d.kind in (FindingKind.SAME_ADDRESS, FindingKind.SAME_DEVICE)]


def test_a_fast_low_score_is_not_a_finding():
    plan = simulate(people=80, seed=2, copy_pairs=0)
    slow = plan.attempts[10]
    slow.ability = -3
    slow.answers = [(q, "Z", False) for q, _r, _ok in slow.answers]
    slow.last_answer_at = slow.started_at + timedelta(minutes=3)
    drafts, _stats, _keys = _run(plan)
    assert finding_key("speed", [slow.index + 1]) not in {d.key for d in drafts}


# --- the numerical tools --------------------------------------------------------------


def test_poisson_tail_matches_the_definition():
    import math

    lam, x = 2.5, 7
    exact = 1 - sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(x))
    assert poisson_upper_tail([x], [lam])[0] == pytest.approx(exact, rel=1e-9)
    assert poisson_upper_tail([1], [3.0])[0] == 1.0  # below the mean: never significant


def test_poisson_binomial_tail_and_its_poisson_bound():
    probs = [0.1, 0.2, 0.05, 0.3]
    # P(all four) directly
    assert poisson_binomial_upper_tail(probs, 4) == pytest.approx(0.1 * 0.2 * 0.05 * 0.3)
    for x in range(2, 5):
        assert poisson_binomial_upper_tail(probs, x) <= poisson_upper_tail([x], [sum(probs)])[0]


def test_weighted_tail_with_equal_weights_is_the_count_tail():
    probs = np.array([0.1, 0.3, 0.2, 0.05, 0.4])
    assert weighted_upper_tail(probs, np.ones(5), 3.0) == pytest.approx(poisson_binomial_upper_tail(probs, 3))


def test_error_model_orders_people_and_items():
    rng = np.random.default_rng(1)
    person = np.repeat(np.arange(50), 40)
    item = np.tile(np.arange(40), 50)
    truth = 1 / (1 + np.exp(-(np.linspace(-3, 1, 50)[person] + np.linspace(-1, 1, 40)[item])))
    wrong = rng.random(len(truth)) < truth
    pi = fit_error_model(person, item, wrong, 50, 40)
    assert np.corrcoef(pi, truth)[0, 1] > 0.9
    assert (pi > 0).all() and (pi < 1).all()


# --- how an attempt was answered --------------------------------------------------------


def _pace(*steps, started=START):
    """A Pace from (position, seconds after the start of the first answer, saves)."""
    pace = Pace(attempt_id=1, started_at=started, questions=10)
    before = started
    for position, seconds, saves in steps:
        at = started + timedelta(seconds=seconds)
        pace.steps.append(AnswerStep(position, position, at, at, saves, (at - before).total_seconds()))
        before = at
    return pace


def test_pace_figures():
    pace = _pace((1, 50, 1), (2, 70, 2), (3, 100, 1), (5, 110, 3), (4, 200, 1), (6, 205, 1), (7, 215, 1))
    assert pace.first_answer_seconds == 50
    assert pace.median_gap_seconds == 15  # gaps 20, 30, 10, 90, 5, 10
    assert pace.resaves == 3
    assert pace.in_order_share == pytest.approx(3 / 6)  # 1→2, 2→3 and 6→7 of six steps
    assert pace.order_text == "1–3、5、4、6、7"
    empty = _pace()
    assert empty.first_answer_seconds is None and empty.median_gap_seconds is None and empty.in_order_share is None


def test_who_answered_identical_wrong_answers_first():
    at = START
    rows = [
        SharedAnswer(None, "A", "A", "B", True, True, True, at, at + timedelta(seconds=30)),
        SharedAnswer(None, "C", "C", "B", True, True, True, at, at + timedelta(seconds=12)),
        SharedAnswer(None, "C", "C", "B", True, True, True, at, at - timedelta(seconds=3)),
        SharedAnswer(None, "C", "D", "B", False, True, True, at, at - timedelta(seconds=300)),  # not identical
        SharedAnswer(None, "A", "A", "B", True, True, True, None, at),  # not timed
        # the second changed its answer: its first answer is not when it gave this one
        SharedAnswer(None, "D", "D", "B", True, True, True, at, at - timedelta(seconds=90), True, False),
    ]
    assert lead(rows) == Lead(first_a=2, first_b=0, together=1, median_seconds=12, changed=1)
