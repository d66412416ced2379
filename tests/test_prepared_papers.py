"""Papers drawn before exam day: publishing (and adding people later) prepares them in a batch, a
start copies the prepared paper while it holds and draws live when it does not."""

import re
import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from examapp.auth.models import User
from examapp.bank.content import QType
from examapp.bank.models import Question, QuestionVersion
from examapp.bank.models import Status as QuestionStatus
from examapp.bank.services import change_status, data_from_version, update_question
from examapp.exams.models import Exam, ExamStatus, RosterEntry
from examapp.exams.paper import draw_paper
from examapp.exams.services import (
    add_to_roster,
    close_exam,
    create_exam,
    publish_exam,
    remove_from_roster,
    set_fixed_paper,
)
from examapp.extensions import db
from examapp.sitting.models import Attempt, AttemptItem, PreparedItem, PreparedPaper
from examapp.sitting.prepared import prepare_papers, purge_prepared
from examapp.sitting.services import sitting_of, start_attempt

from . import bank_factories as bank
from . import exam_factories as factories
from .conftest import csrf_token, login
from .test_day_paths import count_statements


def prepared_rows(entry_id):
    return [
        (i.position, i.question_version_id, i.points, i.option_order)
        for i in db.session.scalars(
            select(PreparedItem).where(PreparedItem.roster_entry_id == entry_id).order_by(PreparedItem.position)
        )
    ]


def attempt_rows(attempt_id):
    return [
        (i.position, i.question_version_id, i.points, i.option_order)
        for i in db.session.scalars(
            select(AttemptItem).where(AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.position)
        )
    ]


def drawn_rows(exam, seed):
    return [
        (position, q.version_id, q.points, list(q.option_order) if q.option_order is not None else None)
        for position, q in enumerate(draw_paper(exam, seed), start=1)
    ]


def prepare_seed_of(entry):
    return db.session.get(PreparedPaper, entry.id).seed


def entries_of(exam):
    return db.session.scalars(select(RosterEntry).where(RosterEntry.exam_id == exam.id).order_by(RosterEntry.id)).all()


def edit(question):
    """A new current version of ``question`` (its stem revised)."""
    data = data_from_version(question.current_version)
    assert update_question(None, question, replace(data, stem=data.stem + "（修订）")) is not None


def person(world, key="examinee"):
    return db.session.get(User, world.accounts[key].id)


@pytest.fixture
def shuffled(ctx, world, clock):
    """A published exam that shuffles questions and options, the world's examinees on its roster."""
    return factories.exam(world, publish=True, shuffle_questions=True, shuffle_options=True)


def test_publishing_prepares_every_rostered_person_with_the_draw_of_their_seed(shuffled):
    entries = entries_of(shuffled)
    assert len(entries) >= 2
    papers = {p.roster_entry_id: p for p in db.session.scalars(select(PreparedPaper))}
    assert set(papers) == {e.id for e in entries}
    for entry in entries:
        paper = papers[entry.id]
        assert paper.exam_id == shuffled.id
        rows = prepared_rows(entry.id)
        assert len(rows) == 9 and sum(points for _, _, points, _ in rows) == Decimal("100")
        assert rows == drawn_rows(shuffled, paper.seed)  # the same seed draws the same paper
    assert len({p.seed for p in papers.values()}) == len(papers)


def test_a_draft_prepares_nothing_and_preparing_is_a_few_statements_for_any_roster(ctx, world, make, clock):
    category = factories.small_bank()
    factories.exam(world, category=category)
    assert db.session.scalar(select(func.count()).select_from(PreparedPaper)) == 0
    counts = []
    for extra in (0, 12):
        for i in range(extra):
            make._user("examinee", db.session.merge(world.communities["a"]), username=f"batch{i}")
        other = factories.exam(world, category=category)
        db.session.expire_all()
        with count_statements() as statements:
            prepared = prepare_papers(other)
        assert prepared == len(entries_of(other))
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert prepare_papers(other) == 0  # nobody left without a paper


def test_people_added_after_publishing_get_their_paper_then(ctx, world, make, clock):
    exam = factories.exam(world, publish=True, units=[db.session.merge(world.communities["b"])])
    before = {e.id for e in entries_of(exam)}
    newcomer = make._user("examinee", db.session.merge(world.communities["a"]), username="newcomer")
    assert add_to_roster(None, exam, users=[newcomer]) == 1
    entry = db.session.scalar(
        select(RosterEntry).where(RosterEntry.exam_id == exam.id, RosterEntry.user_id == newcomer.id)
    )
    assert entry.id not in before
    paper = db.session.get(PreparedPaper, entry.id)
    assert paper is not None and prepared_rows(entry.id) == drawn_rows(exam, paper.seed)
    assert db.session.scalar(select(func.count()).select_from(PreparedPaper)) == len(before) + 1


def test_a_person_removed_from_the_roster_has_no_prepared_paper(shuffled, world):
    entry, _ = sitting_of(shuffled, person(world))
    assert db.session.get(PreparedPaper, entry.id) is not None
    remove_from_roster(None, shuffled, [entry], reason="调岗")
    db.session.expire_all()
    assert db.session.get(PreparedPaper, entry.id) is None
    assert db.session.scalar(select(func.count()).where(PreparedItem.roster_entry_id == entry.id)) == 0


def test_a_start_copies_the_prepared_paper_in_a_few_statements(shuffled, world):
    user = person(world)
    entry, _ = sitting_of(shuffled, user)
    paper = db.session.get(PreparedPaper, entry.id)
    prepared = prepared_rows(entry.id)
    db.session.expire_all()
    entry = db.session.get(RosterEntry, entry.id)
    db.session.refresh(shuffled)
    db.session.refresh(user)
    with count_statements() as statements:
        attempt = start_attempt(shuffled, user, entry=entry)
    # the prepared paper's seed and stillness, the attempt, its items copied from the paper
    assert len(statements) == 3, [s[:60] for s in statements]
    assert statements[-1].lstrip().upper().startswith("INSERT INTO ATTEMPT_ITEMS")
    assert "SELECT" in statements[-1].upper()
    assert attempt.seed == paper.seed
    assert attempt_rows(attempt.id) == prepared
    assert start_attempt(shuffled, user).id == attempt.id  # the same attempt, not a second copy
    assert db.session.scalar(select(func.count()).where(AttemptItem.attempt_id == attempt.id)) == 9


def test_a_seed_asked_for_draws_that_paper(shuffled, world):
    user = person(world)
    entry, _ = sitting_of(shuffled, user)
    seed = db.session.get(PreparedPaper, entry.id).seed + 1
    attempt = start_attempt(shuffled, user, seed=seed)
    assert attempt.seed == seed and attempt_rows(attempt.id) == drawn_rows(shuffled, seed)


@pytest.mark.parametrize("change", ["edited", "retired"])
def test_a_paper_whose_question_changed_since_is_not_used(shuffled, world, change):
    user = person(world)
    entry, _ = sitting_of(shuffled, user)
    paper = db.session.get(PreparedPaper, entry.id)
    version_id = prepared_rows(entry.id)[0][1]
    question = db.session.scalar(select(Question).where(Question.current_version_id == version_id))
    if change == "edited":
        edit(question)
    else:
        change_status(None, question, QuestionStatus.RETIRED, reason="停用")
    attempt = start_attempt(shuffled, user)
    rows = attempt_rows(attempt.id)
    assert version_id not in {vid for _, vid, _, _ in rows}
    assert rows == drawn_rows(shuffled, attempt.seed)
    assert attempt.seed != paper.seed
    # the others' papers still hold
    other = person(world, "examinee_b")
    other_entry, _ = sitting_of(shuffled, other)
    if version_id not in {vid for _, vid, _, _ in prepared_rows(other_entry.id)}:
        assert start_attempt(shuffled, other).seed == db.session.get(PreparedPaper, other_entry.id).seed


def test_a_fixed_paper_and_kept_option_orders_are_prepared_as_drawn(ctx, world, clock):
    category = factories.small_bank()
    kept = bank.question(
        category,
        status=QuestionStatus.PUBLISHED,
        stem="以下数值中最大的是（  ）。",
        options=["36", "40", "44", "48"],
        answer="D",
        keep_option_order=True,
    )
    others = db.session.scalars(
        select(Question).where(
            Question.category_id == category.id, Question.qtype == QType.SINGLE, Question.id != kept.id
        )
    ).all()
    exam = create_exam(None, factories.settings(shuffle_options=True, shuffle_questions=True))
    set_fixed_paper(None, exam, [(kept.current_version_id, "50"), (others[0].current_version_id, "50")])
    add_to_roster(None, exam, units=[db.session.merge(world.city)])
    publish_exam(None, exam)
    user = person(world)
    entry, _ = sitting_of(exam, user)
    paper = db.session.get(PreparedPaper, entry.id)
    rows = prepared_rows(entry.id)
    assert rows == drawn_rows(exam, paper.seed)
    orders = {vid: order for _, vid, _, order in rows}
    assert orders[kept.current_version_id] is None and orders[others[0].current_version_id] is not None
    # a fixed paper names its versions: a newer version of one of them does not change it
    edit(others[0])
    attempt = start_attempt(exam, user)
    assert attempt.seed == paper.seed and attempt_rows(attempt.id) == rows


def test_a_blueprint_the_bank_can_no_longer_fill_prepares_nothing_and_adding_still_works(ctx, world, make, clock):
    exam = factories.exam(world, publish=True, units=[db.session.merge(world.communities["b"])])
    for question in db.session.scalars(select(Question).where(Question.qtype == QType.MULTIPLE)):
        change_status(None, question, QuestionStatus.RETIRED, reason="停用")
    newcomer = make._user("examinee", db.session.merge(world.communities["a"]), username="latecomer")
    assert add_to_roster(None, exam, users=[newcomer]) == 1
    entry = db.session.scalar(
        select(RosterEntry).where(RosterEntry.exam_id == exam.id, RosterEntry.user_id == newcomer.id)
    )
    assert db.session.get(PreparedPaper, entry.id) is None


@pytest.mark.committed
def test_two_starts_at_once_give_one_attempt_with_one_paper(app, make, clock):
    world = make.world()
    with app.app_context():
        exam = factories.exam(world, publish=True)
        user = person(world)
        exam_id, user_id = exam.id, user.id
        db.session.commit()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                exam = db.session.get(Exam, exam_id)
                user = db.session.get(User, user_id)
                results.append(start_attempt(exam, user).id)
                db.session.commit()
            except Exception as exc:  # reported below; a thread must not die silently
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(results) == 4 and len(set(results)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
        assert db.session.scalar(select(func.count()).select_from(AttemptItem)) == 9


# --- starting from the page, and the page itself ---------------------------------------------


def test_the_start_page_reads_the_sitting_and_the_prepared_seed_in_one_statement(app, world, clock):
    with app.app_context():
        exam = factories.exam(world, publish=True, shuffle_options=True)
        db.session.commit()
        exam_id = exam.id
    client = app.test_client()
    login(client, "kaosheng")
    token = csrf_token(client, f"/exam/{exam_id}")
    with app.app_context(), count_statements() as statements:
        response = client.post(f"/exam/{exam_id}", data={"csrf_token": token, "pledge": "y"})
    assert response.status_code == 302
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    # the attempt, and its items copied by one INSERT ... SELECT (the login's own bookkeeping aside)
    assert [s.split()[2] for s in inserts if "attempt" in s.split()[2]] == ["attempts", "attempt_items"]
    assert sum("prepared_papers" in s for s in statements) == 1
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.seed == db.session.get(PreparedPaper, attempt.roster_entry_id).seed
        assert attempt_rows(attempt_id) == prepared_rows(attempt.roster_entry_id)


def blank_question(stem="失业保险金的标准不得低于____，不得高于____。"):
    return bank.question(
        status=QuestionStatus.PUBLISHED,
        qtype=QType.BLANK,
        stem=stem,
        options=[],
        answer=[["城市居民最低生活保障标准"], ["最低工资标准"]],
        explanation="解析：失业保险条例第十八条。",
    )


def every_type_attempts(world, make):
    """Two started attempts of a shuffling exam whose first position is made a 填空 (the factories'
    bank has none): each of 单选, 多选, 判断 and 填空, options in orders of their own."""
    make._user("examinee", db.session.merge(world.communities["a"]), username="other")
    exam = factories.exam(world, publish=True, shuffle_options=True, shuffle_questions=True)
    blank = blank_question()
    attempts = []
    for username in ("kaosheng", "other"):
        user = db.session.scalar(select(User).where(User.username == username))
        attempt = start_attempt(exam, user)
        item = db.session.scalar(
            select(AttemptItem).where(AttemptItem.attempt_id == attempt.id, AttemptItem.position == 1)
        )
        item.question_version_id, item.option_order = blank.current_version_id, None
        attempts.append(attempt)
    db.session.flush()
    return exam, attempts


@pytest.mark.parametrize("disabled", [False, True])
def test_the_page_from_kept_cards_equals_the_page_built_afresh(ctx, world, make, clock, disabled):
    from examapp.sitting import sheet

    sheet._cards.clear()
    _exam, attempts = every_type_attempts(world, make)
    first, second = attempts
    # some answers and flags on the second: answered cards are built for the page itself
    items = {i.position: i for i in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == second.id))}
    items[1].response = ["甲<b>", ""]
    qtypes = {position: db.session.get(QuestionVersion, i.question_version_id).qtype for position, i in items.items()}
    single = min(p for p, t in qtypes.items() if t == QType.SINGLE)
    multiple = min(p for p, t in qtypes.items() if t == QType.MULTIPLE)
    judge = min(p for p, t in qtypes.items() if t == QType.JUDGE)
    items[single].response, items[single].flagged = "B", True
    items[multiple].response = "AC"
    items[judge].flagged = True
    db.session.flush()
    for attempt in (first, second, first, second):  # cold, then from what the first two kept
        kept = sheet.attempt_sheet(attempt.id, disabled=disabled)
        fresh = sheet.attempt_sheet(attempt.id, disabled=disabled, cached=False)
        assert kept == fresh
        assert kept.total == 9 and set(QType.ALL) <= set(re.findall(r'data-qtype="(\w+)"', kept.questions))
    assert sheet._cards  # the unanswered cards were kept
    page = str(sheet.attempt_sheet(second.id, disabled=disabled).questions)
    assert 'value="甲&lt;b&gt;"' in page and "甲<b>" not in page
    fields = re.findall(r"<input [^>]*>", page)
    assert fields and all(field.endswith(" disabled>") is disabled for field in fields)
    # nothing of a key: no explanation, no source, no 填空 answer
    for version in db.session.scalars(select(QuestionVersion)):
        assert version.explanation not in page and version.source not in page
    assert "城市居民最低生活保障标准" not in page and "最低工资标准" not in page


def test_a_kept_card_is_never_shown_for_other_texts(ctx, world, make, clock):
    """Cards are kept by their texts: a version id met before with other texts (a rollback, a
    restored database) builds its own."""
    from examapp.sitting import sheet

    _exam, attempts = every_type_attempts(world, make)
    before = str(sheet.attempt_sheet(attempts[0].id).questions)
    item = db.session.scalar(
        select(AttemptItem).where(AttemptItem.attempt_id == attempts[0].id, AttemptItem.position == 1)
    )
    other = blank_question(stem="基本养老保险费由用人单位和____共同缴纳，____另有规定的除外。")
    item.question_version_id = other.current_version_id
    db.session.flush()
    after = str(sheet.attempt_sheet(attempts[0].id).questions)
    assert "失业保险金的标准" in before and "失业保险金的标准" not in after
    assert "基本养老保险费由用人单位和" in after
    assert after == str(sheet.attempt_sheet(attempts[0].id, cached=False).questions)


def test_the_attempt_page_reads_its_paper_in_one_statement(app, world, clock):
    with app.app_context():
        exam = factories.exam(world, publish=True, shuffle_options=True)
        db.session.commit()
        exam_id = exam.id
    client = app.test_client()
    login(client, "kaosheng")
    token = csrf_token(client, f"/exam/{exam_id}")
    location = client.post(f"/exam/{exam_id}", data={"csrf_token": token, "pledge": "y"}).headers["Location"]
    with app.app_context(), count_statements() as statements:
        page = client.get(location)
    assert page.status_code == 200
    assert sum("attempt_items" in s and s.lstrip().upper().startswith("SELECT") for s in statements) == 1
    assert page.get_data(as_text=True).count('data-testid="question-card"') == 9


def prepared_count(exam_id):
    """(papers, items) of the exam's roster rows; items counted by roster row, not through their
    paper, so that items left behind by a deleted paper would count."""
    entries = select(RosterEntry.id).where(RosterEntry.exam_id == exam_id)
    papers = select(func.count()).select_from(PreparedPaper).where(PreparedPaper.roster_entry_id.in_(entries))
    items = select(func.count()).select_from(PreparedItem).where(PreparedItem.roster_entry_id.in_(entries))
    return db.session.scalar(papers), db.session.scalar(items)


def test_papers_go_once_nobody_can_start_the_exam_and_what_was_sat_stays(shuffled, world, clock, make):
    user = person(world)
    attempt = start_attempt(shuffled, user)
    sat = attempt_rows(attempt.id)
    other = factories.exam(
        world, publish=True, category=factories.shared_small_bank(), closes_at=shuffled.closes_at + timedelta(days=1)
    )
    roster = len(entries_of(shuffled))
    assert prepared_count(shuffled.id) == (roster, roster * 9)
    kept = prepared_count(other.id)
    assert kept[0] >= 2

    # while the window is open nothing goes, to the second
    clock.set(shuffled.closes_at - timedelta(seconds=1))
    assert purge_prepared() == 0
    assert prepared_count(shuffled.id) == (roster, roster * 9)

    clock.set(shuffled.closes_at)
    assert purge_prepared() == roster
    db.session.expire_all()
    assert prepared_count(shuffled.id) == (0, 0)  # the items went with their papers
    assert prepared_count(other.id) == kept  # an exam still open keeps its papers
    assert attempt_rows(attempt.id) == sat  # the attempt keeps its own copy
    assert purge_prepared() == 0  # again: nothing more


def test_ending_an_exam_early_deletes_its_papers(ctx, world, clock):
    exam = factories.exam(world, publish=True)
    assert prepared_count(exam.id)[0] >= 2
    close_exam(None, exam)
    assert exam.status == ExamStatus.CLOSED
    db.session.expire_all()
    assert prepared_count(exam.id) == (0, 0)


def test_the_sweep_deletes_the_papers_of_closed_windows(app, world, clock, runner):
    with app.app_context():
        exam = factories.exam(world, publish=True)
        exam_id, closes_at = exam.id, exam.closes_at
        roster = len(entries_of(exam))
        db.session.commit()
    quiet = runner.invoke(args=["exams", "close-overdue"])
    assert quiet.exit_code == 0, quiet.output
    assert "预备试卷" not in quiet.output
    with app.app_context():
        assert prepared_count(exam_id)[0] == roster
    clock.set(closes_at + timedelta(minutes=1))
    result = runner.invoke(args=["exams", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert f"已清理 {roster} 份不再使用的预备试卷" in result.output
    with app.app_context():
        assert prepared_count(exam_id) == (0, 0)


def test_a_start_whose_paper_went_after_its_seed_was_read_draws_the_same_paper(shuffled, world):
    """The sweep or the end of the exam deleting the paper between the start's read of the seed
    and its copy: the attempt is never left without questions."""
    user = person(world)
    entry, _ = sitting_of(shuffled, user)
    seed = prepare_seed_of(entry)
    expected = prepared_rows(entry.id)
    db.session.execute(PreparedPaper.__table__.delete().where(PreparedPaper.roster_entry_id == entry.id))
    attempt = start_attempt(shuffled, user, entry=entry, prepared=seed)
    assert attempt.seed == seed
    assert attempt_rows(attempt.id) == expected
