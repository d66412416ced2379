"""Readiness and integrity at their edges: more ids than one statement can bind, an exam's answers read
a batch at a time, a large room compared in pieces, and openings whose page never said hello."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
from sqlalchemy import event, select, text

from examapp import batches
from examapp.bank.models import Question
from examapp.clock import local_today, utcnow
from examapp.extensions import db
from examapp.integrity import devices, pace, signals, timing
from examapp.integrity import queries as integrity_queries
from examapp.integrity.analysis import AttemptInfo, Settings, Sighting, Sitting, analyse
from examapp.integrity.plain import sitting_from_data
from examapp.org.models import UnitKind
from examapp.practice.models import PracticeAnswer
from examapp.readiness import queries as readiness_queries
from examapp.sitting.models import Attempt, AttemptItem

from . import exam_factories
from .integrity_factories import simulate, write_plan
from .integrity_simulation import simulate_sitting

#: more ids than PostgreSQL binds in one statement (65,535), and SQLite by default (32,766)
MANY = 70_000
#: ids no row has
FAKE = 10_000_000
#: the parameters a statement carries besides its ids (dates, states, constants)
OWN_PARAMETERS = 10


@contextmanager
def bound_parameters():
    """The number of parameters of every statement sent to the database meanwhile."""
    counts = []

    def count(_conn, _cursor, _statement, parameters, _context, _executemany):
        counts.append(len(parameters or ()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# --- readiness: a city of more people than a statement can bind --------------------------------


def _city(world):
    """(units, cohorts, the people counted) of the world's city, with no exam published."""
    units = readiness_queries.load_units(None)
    districts = [uid for uid, u in units.items() if u.kind == UnitKind.DISTRICT]
    cohorts = readiness_queries.cohorts(districts, local_today().year)
    staff = readiness_queries.load_people(units, cohorts)
    assert {p.user_id for p in staff} == {world.accounts["examinee"].id, world.accounts["examinee_b"].id}
    return units, cohorts, staff


def test_readiness_reads_more_people_than_one_statement_can_bind(app, world):
    with app.app_context():
        category = exam_factories.small_bank(per_type=1, category_name="劳动保障监察")
        question = db.session.scalar(select(Question).where(Question.category_id == category.id).limit(1))
        examinee = world.accounts["examinee"].id
        for correct in (False, False, True):
            db.session.add(
                PracticeAnswer(
                    user_id=examinee,
                    question_id=question.id,
                    question_version_id=question.current_version_id,
                    category_id=category.id,
                    correct=correct,
                    answered_at=utcnow() - timedelta(days=2),
                )
            )
        db.session.flush()
        now = utcnow()
        units, _cohorts, staff = _city(world)
        # a city's export of 70,000 people (no rows of theirs but the world's examinees')
        district = units[world.districts["a"].id]
        people = [readiness_queries.Person(FAKE + i, "", "", FAKE + i, district.id) for i in range(MANY)] + staff
        with bound_parameters() as counts:
            readiness_queries.attach_activity(people, now)
            figures, names = readiness_queries.category_figures(people, now)
    assert figures == {examinee: {category.id: [1, 3]}} and names == {category.id: "劳动保障监察"}
    kaosheng = next(p for p in people if p.user_id == examinee)
    assert (kaosheng.practice_answers, kaosheng.practice_right) == (3, 1)
    assert counts and max(counts) <= batches.IN_BATCH + OWN_PARAMETERS


def test_readiness_reads_the_staff_of_many_units_in_bounded_statements(app, world, monkeypatch):
    # a few unit ids per statement stand for IN_BATCH (the city's units are thousands, not 65,536)
    with app.app_context():
        units, cohorts, staff = _city(world)
        district = units[world.districts["a"].id]
        empty_units = {
            FAKE + i: SimpleNamespace(id=FAKE + i, kind=UnitKind.COMMUNITY, path=f"{district.path}{FAKE + i}/")
            for i in range(60)
        }
        monkeypatch.setattr(batches, "IN_BATCH", 4)
        with bound_parameters() as counts:
            found = readiness_queries.load_people({**units, **empty_units}, cohorts)
    assert [p.user_id for p in found] == [p.user_id for p in staff]
    assert counts and max(counts) <= 4 + OWN_PARAMETERS


# --- integrity: a finding naming many attempts -------------------------------------------------------


def _written_exam(world, people=60):
    plan = simulate(people=people, seed=3, copy_pairs=0)
    exam = exam_factories.exam(world, publish=True)
    written = write_plan(plan, exam, world.city)
    db.session.flush()
    return exam, written


def test_a_finding_naming_many_attempts_is_read_in_bounded_statements(app, world, monkeypatch):
    # a crowd's finding may name thousands of attempts; a few ids per statement stand for IN_BATCH
    # (a statement carrying 65,536 ids is refused by PostgreSQL: see the readiness test above)
    with app.app_context():
        exam, written = _written_exam(world)
        real = written["attempts"][:5]
        alone = integrity_queries.involved(SimpleNamespace(exam_id=exam.id, attempt_ids=real))
        assert len(alone) == 5 and all(p.pace.steps for p in alone)
        monkeypatch.setattr(batches, "IN_BATCH", 4)
        started = alone[0].attempt.started_at
        nobody = [SimpleNamespace(id=FAKE + i, started_at=started) for i in range(60)]
        with bound_parameters() as counts:
            crowd = integrity_queries.involved(
                SimpleNamespace(exam_id=exam.id, attempt_ids=[a.id for a in nobody] + real)
            )
            paces = pace.paces(nobody + [p.attempt for p in alone])
            names = integrity_queries.unit_names({a.id for a in nobody} | {p.unit.id for p in alone})
    assert [(p.attempt.id, p.unit.id, p.pace.steps) for p in crowd] == [
        (p.attempt.id, p.unit.id, p.pace.steps) for p in alone
    ]
    assert len(paces) == 65 and all(paces[p.attempt.id].steps == p.pace.steps for p in alone)
    assert paces[FAKE].questions == 0 and not paces[FAKE].steps
    assert names == {p.unit.id: p.unit.name for p in alone}
    assert counts and max(counts) <= 4 + OWN_PARAMETERS


# --- integrity: an exam's answers read a batch at a time -----------------------------------------

ITEM_ARRAYS = ("item_attempt", "item_version", "item_response", "item_wrong", "item_first_at")


def test_an_exams_answers_are_read_a_batch_at_a_time_with_the_same_sitting(app, world, monkeypatch):
    with app.app_context():
        exam, _written = _written_exam(world)
        whole = signals.load_sitting(exam)
        monkeypatch.setattr(signals, "BATCH", 7)
        batched = signals.load_sitting(exam)
        assert len(whole.item_attempt) > 70 * 7
        for name in ITEM_ARRAYS:
            np.testing.assert_array_equal(getattr(batched, name), getattr(whole, name))
            assert getattr(batched, name).dtype == getattr(whole, name).dtype
        expected = [(d.key, d.strength) for d in analyse(whole)[0]]
        assert [(d.key, d.strength) for d in analyse(batched)[0]] == expected and expected
        # the rows come a batch at a time; on PostgreSQL the database keeps the rest meanwhile (a
        # server-side cursor), where a client cursor would have received all of them at once
        answered = (
            select(AttemptItem.id).join(Attempt, Attempt.id == AttemptItem.attempt_id).where(Attempt.exam_id == exam.id)
        )
        reading = signals._raw_batches(answered)
        assert len(next(reading)) == 7
        postgres = db.session.connection().dialect.name == "postgresql"
        open_cursor = text("SELECT count(*) FROM pg_cursors WHERE name LIKE :name")
        if postgres:
            assert db.session.scalar(open_cursor, {"name": f"{signals.CURSOR_NAME}_%"}) == 1
        reading.close()
        if postgres:
            assert db.session.scalar(open_cursor, {"name": f"{signals.CURSOR_NAME}_%"}) == 0


# --- integrity: a large room compared in pieces -------------------------------------------------


def test_timing_compares_a_room_in_bounded_pieces_with_the_same_findings(monkeypatch):
    data, truth = simulate_sitting(3, people=240, fixed_paper=True, copy_pairs=(0.6,))
    sitting = sitting_from_data(data)
    expected, expected_figures = timing.following(sitting, Settings())
    pair = truth["copy_pairs"][0]
    assert [d.attempt_ids for d in expected] == [[pair["source"], pair["copier"]]]
    cells = []
    counts = timing._counts

    def measured(times, first, second):
        cells.append(np.broadcast(first, second).size * times.shape[1])
        return counts(times, first, second)

    monkeypatch.setattr(timing, "_counts", measured)
    monkeypatch.setattr(timing, "CELLS", 500)
    found, figures = timing.following(sitting, Settings())
    assert cells and max(cells) <= 500
    assert [(d.key, d.strength, d.attempt_ids, d.summary, d.evidence) for d in found] == [
        (d.key, d.strength, d.attempt_ids, d.summary, d.evidence) for d in expected
    ]
    assert figures == expected_figures


# --- integrity: openings whose page never said hello ---------------------------------------------

T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
PC_A, PC_B = "a" * 32, "b" * 32


def _attempt(attempt_id, user_id):
    return AttemptInfo(
        id=attempt_id,
        user_id=user_id,
        unit_id=10,
        district_id=2,
        state="submitted",
        started_at=T0,
        deadline_at=T0 + timedelta(minutes=90),
        submitted_at=T0 + timedelta(minutes=60),
        score=90.0,
        last_answer_at=T0 + timedelta(minutes=59),
    )


def _sitting(attempts, sightings):
    nothing = np.array([], dtype=np.int64)
    return Sitting(
        attempts=attempts,
        item_attempt=nothing,
        item_version=nothing,
        item_response=nothing,
        item_wrong=np.array([], dtype=bool),
        sightings=sightings,
        now=T0 + timedelta(hours=3),
    )


def _seen(attempt_id, kind, minutes, *, address="10.1.0.1", device=None, tab=None, browser="Chrome 120"):
    return Sighting(attempt_id, kind, T0 + timedelta(minutes=minutes), address, browser, device, tab)


def _two_places(sightings):
    drafts, _figures = devices.two_addresses(_sitting([_attempt(1, 101)], sightings), Settings())
    return [d.attempt_ids for d in drafts]


def test_a_reload_that_never_said_hello_is_not_another_place():
    sightings = [
        _seen(1, "opened", 0, device=PC_A, tab="tab-one-1"),
        _seen(1, "reopened", 5),  # the reloaded page was cut off before its hello
        _seen(1, "reopened", 8, device=PC_A, tab="tab-one-1"),
    ]
    assert _two_places(sightings) == []
    # to another device and back within minutes is still two places at once
    sightings.insert(2, _seen(1, "takeover", 6, device=PC_B, tab="tab-two-2"))
    assert _two_places(sightings) == [[1]]
    # an old page that never names a device or tab is still placed by its browser
    old = [
        _seen(1, "opened", 0),
        _seen(1, "takeover", 5, browser="Edge 109"),
        _seen(1, "takeover", 8),
    ]
    assert _two_places(old) == [[1]]


def test_an_attempt_moved_to_a_pc_that_never_said_hello_has_left_its_device():
    # attempt 1 is opened on PC a and moved at minute 10 to another PC whose page never said
    # hello; from minute 12 another person sits at PC a: no one device answered both at once
    sightings = [
        _seen(1, "opened", 0, device=PC_A, tab="tab-one-1"),
        _seen(1, "takeover", 10, address="10.1.0.2"),
        _seen(2, "opened", 12, device=PC_A, tab="tab-two-2"),
    ]
    sitting = _sitting([_attempt(1, 101), _attempt(2, 102)], sightings)
    drafts, _figures = devices.same_device(sitting, Settings())
    assert [d.summary for d in drafts] == []
    # both answered on PC a at once is one device for two people
    sightings[1] = _seen(1, "reopened", 10, device=PC_A, tab="tab-one-3")
    sitting = _sitting([_attempt(1, 101), _attempt(2, 102)], sightings)
    drafts, _figures = devices.same_device(sitting, Settings())
    assert [sorted(d.attempt_ids) for d in drafts] == [[1, 2]]
