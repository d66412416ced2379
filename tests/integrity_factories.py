"""A simulated sitting with planted cases, for the integrity findings (tests, benchmark, figures).

``simulate`` builds a plain plan: a bank, units in districts, people with an ability, each
with their own draw of questions (options in the version's own terms, so shuffling does
not matter), answers from a Rasch-like model with attractive and unattractive wrong
options, times, and page openings with an address and a browser. Planted on top:

- one person answering for three accounts of one unit, from one PC, at the same time
  (the same beliefs in all three papers);
- copy pairs: the copier gives the source's answer on ``copy_share`` of the shared
  questions the source got wrong (one pair in a unit, one across units);
- an honest unit of strong people with (nearly) identical high scores, each answering alone;
- optionally a fast high scorer and an attempt used from two addresses at once.

``to_sitting`` turns a plan into the analysis's input; ``write_plan`` writes it as real
attempts, items and events of an exam in the database (tests/test_integrity_pages.py).
"""

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from examapp.integrity.analysis import AttemptInfo, Sighting, Sitting

START = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)  # 09:00 in Zhengzhou
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/118.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 Chrome/109.0 Safari/537.36 Edg/109.0",
]


@dataclass
class Question:
    index: int
    qtype: str  # single / multiple / judge
    answer: str
    difficulty: float
    #: wrong responses and their weights (an attractive distractor gets more)
    wrong: list
    weights: list


@dataclass
class PlannedAttempt:
    index: int
    unit: int
    district: int
    ability: float
    started_at: datetime
    last_answer_at: datetime | None = None
    submitted_at: datetime | None = None
    #: [(question index, response, correct)]
    answers: list = field(default_factory=list)
    #: [(kind, at, address, user agent[, device id])]
    sightings: list = field(default_factory=list)

    @property
    def score(self):
        if not self.answers:
            return 0.0
        return round(100.0 * sum(1 for _q, _r, ok in self.answers if ok) / self.paper_size, 2)

    paper_size: int = 80


@dataclass
class Plan:
    questions: list
    attempts: list
    units: dict  # unit -> district
    impersonated: list = field(default_factory=list)  # attempt indices
    copy_pairs: list = field(default_factory=list)  # (source, copier) indices
    honest_unit: int | None = None
    fast: list = field(default_factory=list)
    two_places: list = field(default_factory=list)
    threshold: float = 95.0


def _question(rng, index):
    kind = rng.random()
    difficulty = rng.gauss(0, 1)
    if kind < 0.25:
        answer = rng.choice("TF")
        return Question(index, "judge", answer, difficulty, ["F" if answer == "T" else "T"], [1.0])
    if kind < 0.4:
        answer = "".join(sorted(rng.sample("ABCD", rng.choice((2, 3)))))
        wrong = sorted({"".join(sorted(rng.sample("ABCD", k))) for k in (1, 2, 2, 3, 3, 4)} - {answer})
        return Question(index, "multiple", answer, difficulty, wrong, [rng.random() + 0.2 for _ in wrong])
    answer = rng.choice("ABCD")
    wrong = [c for c in "ABCD" if c != answer]
    weights = [rng.random() + 0.2 for _ in wrong]
    return Question(index, "single", answer, difficulty, wrong, weights)


def _answer(rng, question, ability):
    p_right = 1 / (1 + math.exp(-(ability - question.difficulty)))
    if rng.random() < p_right:
        return question.answer, True
    return rng.choices(question.wrong, question.weights)[0], False


def device_id(index):
    """The device id of a simulated PC (32 hex, as a browser makes one)."""
    return f"{index:032x}"


def _address(index):
    return f"10.{20 + index // 60000}.{(index // 250) % 240}.{index % 250 + 1}"


def simulate(
    people=200,
    seed=1,
    bank=100,
    paper=80,
    unit_size=(8, 16),
    districts=4,
    mean_ability=2.5,
    copy_pairs=2,
    copy_share=0.6,
    source_ability=1.0,
    copier_ability=1.8,
    extras=False,
    stand_in=True,
):
    """A plan of ``people`` attempts (the planted ones included); reproducible from ``seed``.

    ``stand_in=False`` leaves out the person answering for three accounts (an honest sitting)."""
    rng = random.Random(seed)
    questions = [_question(rng, i) for i in range(bank)]
    plan = Plan(questions=questions, attempts=[], units={})
    # units: fill with people, a district each
    unit, left = 0, 0
    owners = []
    for _ in range(people):
        if left == 0:
            unit += 1
            left = rng.randint(*unit_size)
            plan.units[unit] = 1 + unit % districts
        owners.append(unit)
        left -= 1

    def new_attempt(unit_no, ability, start=None):
        index = len(plan.attempts)
        attempt = PlannedAttempt(
            index=index,
            unit=unit_no,
            district=plan.units[unit_no],
            ability=ability,
            started_at=start or START + timedelta(minutes=rng.uniform(0, 10)),
            paper_size=paper,
        )
        plan.attempts.append(attempt)
        return attempt

    def sit(attempt, drawn, answer=None, minutes=None):
        for q in drawn:
            if rng.random() < 0.005:
                continue  # omitted
            response, ok = answer(q) if answer else _answer(rng, questions[q], attempt.ability)
            attempt.answers.append((q, response, ok))
        minutes = minutes or math.exp(rng.gauss(math.log(45), 0.25))
        attempt.last_answer_at = attempt.started_at + timedelta(minutes=minutes)
        attempt.submitted_at = attempt.last_answer_at + timedelta(minutes=rng.uniform(0.2, 5))
        browser = rng.choice(BROWSERS)
        device = device_id(attempt.index)
        attempt.sightings.append(("opened", attempt.started_at, _address(attempt.index), browser, device))
        roll = rng.random()
        if roll < 0.05:  # a reload
            at = attempt.started_at + timedelta(minutes=rng.uniform(1, minutes))
            attempt.sightings.append(("reopened", at, _address(attempt.index), browser, device))
        elif roll < 0.08:  # the PC failed: moved to a spare one for good
            at = attempt.started_at + timedelta(minutes=rng.uniform(1, minutes))
            spare = device_id(attempt.index + 900000)
            attempt.sightings.append(("takeover", at, _address(attempt.index + 900000), rng.choice(BROWSERS), spare))

    def draw():
        return rng.sample(range(bank), paper)

    # the honest unit of strong people: the last unit of the first district, filled on purpose
    plan.honest_unit = owners[len(owners) // 2]
    for unit_no in owners:
        ability = rng.gauss(mean_ability, 1.0)
        if unit_no == plan.honest_unit:
            ability = 6.0 + rng.random() * 0.3
        sit(new_attempt(unit_no, ability), draw())

    # one person answering for three accounts of one unit, from one PC, at once
    stand_in_ability = rng.gauss(mean_ability + 1, 0.3)
    beliefs = {q.index: _answer(rng, q, stand_in_ability) for q in questions}
    target = owners[len(owners) // 3]
    start = START + timedelta(minutes=rng.uniform(0, 5))
    browser = BROWSERS[0]
    for k in range(3 if stand_in else 0):
        attempt = new_attempt(target, stand_in_ability, start=start + timedelta(minutes=2 * k))
        sit(attempt, draw(), answer=lambda q: beliefs[q], minutes=70 + k)
        attempt.sightings[:] = [("opened", attempt.started_at, "10.99.1.7", browser, device_id(999999))]
        plan.impersonated.append(attempt.index)

    # copy pairs: a weak source (enough wrong answers to copy) and a copier beside them
    others = [u for u in dict.fromkeys(owners) if u not in (plan.honest_unit, target)]
    rng.shuffle(others)
    for k in range(copy_pairs):
        same_unit = k % 2 == 0
        source_unit = others[(2 * k) % len(others)]
        copier_unit = source_unit if same_unit else others[(2 * k + 1) % len(others)]
        source = new_attempt(source_unit, rng.gauss(source_ability, 0.2))
        sit(source, draw())
        copier = new_attempt(copier_unit, rng.gauss(copier_ability, 0.2))
        given = {q: (r, ok) for q, r, ok in source.answers}
        wrong_of_source = [q for q, (_r, ok) in given.items() if not ok]
        copied = {q for q in wrong_of_source if rng.random() < copy_share}
        drawn = draw()
        # the copier's paper shares the copied questions (they sat side by side)
        drawn = list(dict.fromkeys(list(copied) + drawn))[:paper]

        def copying(q, copied=copied, given=given, copier=copier):
            if q in copied:
                return given[q]
            return _answer(rng, questions[q], copier.ability)

        sit(copier, drawn, answer=copying)
        plan.copy_pairs.append((source.index, copier.index))

    if extras:
        fast = new_attempt(owners[-1], 6.0)
        sit(fast, draw(), minutes=6.0)
        plan.fast.append(fast.index)
        moving = new_attempt(owners[-1], mean_ability)
        sit(moving, draw())
        t0 = moving.started_at
        moving.sightings[:] = [
            ("opened", t0, "10.50.0.1", BROWSERS[0], device_id(999001)),
            ("takeover", t0 + timedelta(minutes=12), "10.50.0.2", BROWSERS[1], device_id(999002)),
            ("takeover", t0 + timedelta(minutes=15), "10.50.0.1", BROWSERS[0], device_id(999001)),
            ("takeover", t0 + timedelta(minutes=18), "10.50.0.2", BROWSERS[1], device_id(999002)),
        ]
        plan.two_places.append(moving.index)
    return plan


def to_sitting(plan, now=None):
    """The analysis's input for a plan: attempt ids are index + 1, people and units by number."""
    attempts = [
        AttemptInfo(
            id=a.index + 1,
            user_id=a.index + 1,
            unit_id=a.unit,
            district_id=a.district,
            state="submitted",
            started_at=a.started_at,
            deadline_at=a.started_at + timedelta(minutes=90),
            submitted_at=a.submitted_at,
            score=a.score,
            last_answer_at=a.last_answer_at,
        )
        for a in plan.attempts
    ]
    codes, item_attempt, item_version, item_response, item_wrong = {}, [], [], [], []
    for a in plan.attempts:
        for q, response, ok in a.answers:
            item_attempt.append(a.index)
            item_version.append(q)
            item_response.append(codes.setdefault((q, response), len(codes)))
            item_wrong.append(not ok)
    sightings = [
        Sighting(
            attempt_id=a.index + 1,
            kind=row[0],
            at=row[1],
            address=row[2],
            user_agent=row[3],
            device=row[4] if len(row) > 4 else None,
        )
        for a in plan.attempts
        for row in a.sightings
    ]
    return Sitting(
        attempts=attempts,
        item_attempt=np.array(item_attempt, dtype=np.int64),
        item_version=np.array(item_version, dtype=np.int64),
        item_response=np.array(item_response, dtype=np.int64),
        item_wrong=np.array(item_wrong, dtype=bool),
        sightings=sightings,
        now=START + timedelta(hours=3),
        threshold=plan.threshold,
    )


def planted_keys(plan):
    """The finding keys a perfect analysis returns for the planted cases (attempt ids = index + 1)."""
    from examapp.integrity.analysis import finding_key

    keys = {"same_device": {finding_key("same_device", [i + 1 for i in plan.impersonated])}}
    keys["copying"] = {finding_key("copying", [s + 1, c + 1]) for s, c in plan.copy_pairs}
    keys["speed"] = {finding_key("speed", [i + 1]) for i in plan.fast}
    keys["two_addresses"] = {finding_key("two_addresses", [i + 1]) for i in plan.two_places}
    return keys


# --- into the database --------------------------------------------------------------------

#: the plan the page tests write: its planted cases are all found (tests/test_integrity.py checks the seed)
DB_PLAN = {"people": 120, "seed": 8, "extras": True, "source_ability": 0.0}


def write_plan(plan, exam, parent, *, bulk=None):
    """Write ``plan`` as ``exam``'s attempts: a district per plan district under ``parent`` (the city),
    a street per unit, an examinee per attempt, the questions, items, and events. Returns
    {"attempts": [attempt id by plan index], "units": {plan unit: unit id}, "versions": [...]}.

    ``bulk(table, rows)`` writes the items and events (the benchmark passes COPY); default INSERT."""
    from sqlalchemy import insert

    from examapp.auth.models import Role, User
    from examapp.bank.content import QType
    from examapp.bank.models import Status
    from examapp.exams.models import RosterEntry
    from examapp.extensions import db
    from examapp.org.models import UnitKind
    from examapp.org.services import create_unit
    from examapp.sitting.models import Attempt, AttemptEvent, AttemptItem, AttemptState, SubmitReason

    from . import bank_factories

    shift = exam.opens_at - START
    tag = exam.id
    category = bank_factories.category("诚信模拟")
    versions = []
    for q in plan.questions:
        if q.qtype == "judge":
            made = bank_factories.question(
                category,
                status=Status.PUBLISHED,
                qtype=QType.JUDGE,
                options=[],
                answer=q.answer,
                stem=f"模拟判断题 {tag}-{q.index}：这句话是对的。",
            )
        else:
            made = bank_factories.question(
                category,
                status=Status.PUBLISHED,
                qtype=QType.MULTIPLE if q.qtype == "multiple" else QType.SINGLE,
                options=["选项甲", "选项乙", "选项丙", "选项丁"],
                answer=q.answer,
                stem=f"模拟{'多选' if q.qtype == 'multiple' else '单选'}题 {tag}-{q.index}：应当（  ）。",
            )
        versions.append(made.current_version_id)
    parent = db.session.merge(parent, load=False) if parent not in db.session else parent
    districts = {
        d: create_unit(None, code=f"S{tag}D{d}", name=f"模拟{d}区", kind=UnitKind.DISTRICT, parent=parent)
        for d in sorted(set(plan.units.values()))
    }
    units = {
        u: create_unit(None, code=f"S{tag}U{u}", name=f"模拟第{u}街道", kind=UnitKind.STREET, parent=districts[d])
        for u, d in plan.units.items()
    }
    users = [
        User(
            username=f"sim{tag}u{a.index}",
            name=f"模拟考生{a.index}",
            role=Role.EXAMINEE,
            unit=units[a.unit],
            password_hash="!",
            must_change_password=False,
        )
        for a in plan.attempts
    ]
    db.session.add_all(users)
    db.session.flush()
    entries = [
        RosterEntry(
            exam_id=exam.id, user_id=users[a.index].id, unit_id=units[a.unit].id, district_id=districts[a.district].id
        )
        for a in plan.attempts
    ]
    db.session.add_all(entries)
    db.session.flush()
    attempts = [
        Attempt(
            exam_id=exam.id,
            roster_entry_id=entries[a.index].id,
            user_id=users[a.index].id,
            state=AttemptState.SUBMITTED,
            started_at=a.started_at + shift,
            deadline_at=a.started_at + shift + timedelta(minutes=90),
            submitted_at=a.submitted_at + shift,
            submit_reason=SubmitReason.EXAMINEE,
            score=a.score,
            seed=a.index,
        )
        for a in plan.attempts
    ]
    db.session.add_all(attempts)
    db.session.flush()
    points = 100 / plan.attempts[0].paper_size
    rows, events = [], []
    for a in plan.attempts:
        for position, (q, response, ok) in enumerate(a.answers, start=1):
            rows.append(
                {
                    "attempt_id": attempts[a.index].id,
                    "position": position,
                    "question_version_id": versions[q],
                    "points": points,
                    "option_order": [3, 1, 0, 2] if plan.questions[q].qtype != "judge" else None,
                    "response": response,
                    "response_seq": position,
                    "answered_at": a.last_answer_at + shift - timedelta(seconds=20 * (len(a.answers) - position)),
                    "first_answered_at": a.last_answer_at + shift - timedelta(seconds=20 * (len(a.answers) - position)),
                    "save_count": 1,
                    "flagged": False,
                    "awarded": points if ok else 0,
                }
            )
        for row in a.sightings:
            kind, at, address, agent = row[:4]
            events.append(
                {
                    "attempt_id": attempts[a.index].id,
                    "kind": kind,
                    "occurred_at": at + shift,
                    "client_address": address,
                    "user_agent": agent,
                    "detail": {"device": row[4]} if len(row) > 4 else None,
                }
            )
        events.append(
            {
                "attempt_id": attempts[a.index].id,
                "kind": "submitted",
                "occurred_at": a.submitted_at + shift,
                "client_address": None,
                "user_agent": None,
                "detail": {"reason": "examinee"},
            }
        )
    if bulk is not None:
        bulk(AttemptItem.__table__, rows)
        bulk(AttemptEvent.__table__, events)
    else:
        db.session.execute(insert(AttemptItem.__table__), rows)
        db.session.execute(insert(AttemptEvent), events)
    db.session.flush()
    return {"attempts": [x.id for x in attempts], "units": {u: x.id for u, x in units.items()}, "versions": versions}
