"""Item analysis: facility, discrimination, units that got a question wrong, the doubtful-key flag, the pages."""

import re
from contextlib import contextmanager
from fractions import Fraction
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from examapp.auth.models import Role
from examapp.bank.content import QType
from examapp.bank.grading import MultipleMode
from examapp.bank.models import Status
from examapp.exams.services import add_to_roster, create_exam, publish_exam, set_fixed_paper
from examapp.extensions import db
from examapp.results import analysis
from examapp.sitting.models import AttemptState, SubmitReason
from examapp.sitting.services import start_attempt, submit_attempt, void_attempt
from examapp.staff.services import create_user

from . import bank_factories, exam_factories
from .conftest import login

LONG_STEM = (
    "用人单位<b>应当</b>自用工之日起（  ）内为职工向社会保险经办机构申请办理社会保险登记，"
    "未办理的由社会保险行政部门责令限期改正，逾期不改正的处以罚款，这段文字用来检验题干的截断显示。"
)


# --- building exams and attempts ------------------------------------------------------------


def make_questions(specs):
    """Published questions of one category from [(name, qtype, answer, stem or None)]; name -> version id."""
    category = bank_factories.category("试题分析测试")
    versions = {}
    for name, qtype, answer, stem in specs:
        fields = {"qtype": qtype, "answer": answer}
        if stem:
            fields["stem"] = stem
        if qtype == QType.MULTIPLE:
            fields["options"] = ["甲", "乙", "丙", "丁"]
        elif qtype in (QType.JUDGE, QType.BLANK):
            fields["options"] = []
        if qtype == QType.JUDGE and not stem:
            fields["stem"] = f"判断题 {name}：街道劳动保障事务所应当设立办事大厅。"
        if qtype == QType.BLANK and not stem:
            fields["stem"] = f"填空题 {name}：每日延长工作时间一般不得超过____小时。"
        question = bank_factories.question(status=Status.PUBLISHED, category_obj=category, **fields)
        versions[name] = question.current_version_id
    return versions


def people(units, prefix):
    """One examinee per entry of ``units`` (Unit objects), named prefix1, prefix2, ..."""
    made = []
    for n, unit in enumerate(units, start=1):
        user, _ = create_user(
            None, username=f"{prefix}{n}", name=f"考生{prefix}{n}", role=Role.EXAMINEE, unit=unit, password="Passw0rd-x"
        )
        made.append(user)
    db.session.flush()
    return made


def published_exam(world, paper, **settings):
    """A published exam with a fixed paper [(version id, points)] and every examinee of the city on the roster."""
    exam = create_exam(None, exam_factories.settings(**settings))
    set_fixed_paper(None, exam, paper)
    add_to_roster(None, exam, units=[db.session.merge(world.city)])
    publish_exam(None, exam)
    db.session.flush()
    return exam


def sit(exam, person, responses, state=AttemptState.SUBMITTED):
    """Start ``person``'s attempt, answer by version id, then submit (graded), void it, or leave it running."""
    attempt = start_attempt(exam, person)
    for item in attempt.items:
        item.response = responses.get(item.question_version_id)
    db.session.flush()
    if state == AttemptState.SUBMITTED:
        submit_attempt(attempt, SubmitReason.EXAMINEE)
    elif state == AttemptState.VOIDED:
        void_attempt(None, attempt, "替考")
    return attempt


def units_of(world, *keys):
    lookup = {
        "ca": world.communities["a"],
        "cb": world.communities["b"],
        "sa": world.streets["a"],
        "sb": world.streets["b"],
    }
    return [db.session.merge(lookup[k]) for k in keys]


#: six submitted attempts with known answers (keys: S1 B, S2 B, M ACD, J T, Bk 4 or 四); 20 points each
#: scores: p1 100, p2 80, p3 60, p5 50 (AC is half of 多选), p4 40, p6 0 -> top third p1 p2, bottom third p4 p6
SIX = {
    "p1": ("B", "B", "ACD", "T", ["4"]),
    "p2": ("B", "A", "ACD", "T", ["四"]),
    "p3": ("B", "C", "ACD", "T", ["5"]),
    "p4": ("A", "B", "ACD", "F", ["5"]),
    "p5": ("C", "B", "AC", "F", ["4"]),
    "p6": (None, None, "B", None, None),
}
SIX_QUESTIONS = ("S1", "S2", "M", "J", "Bk")
#: units on the roster: p1 p2 金水区第一社区, p3 p4 二七区第一社区, p5 金水区第一街道, p6 二七区第一街道
SIX_UNITS = ("ca", "ca", "cb", "cb", "sa", "sb")


@pytest.fixture
def six(app, world, clock):
    """The six attempts above, plus one still in progress and one voided (both all right, both ignored); closed."""
    with app.app_context():
        v = make_questions(
            [
                ("S1", QType.SINGLE, "B", LONG_STEM),
                ("S2", QType.SINGLE, "B", None),
                ("M", QType.MULTIPLE, "ACD", None),
                ("J", QType.JUDGE, "T", None),
                ("Bk", QType.BLANK, [["4", "四"]], None),
            ]
        )
        persons = people(units_of(world, *SIX_UNITS, "ca", "sb"), "six")
        exam = published_exam(world, [(v[name], "20") for name in SIX_QUESTIONS], multiple_mode=MultipleMode.PARTIAL)
        scores = {}
        for person, (name, answers) in zip(persons, SIX.items(), strict=False):
            attempt = sit(exam, person, {v[q]: a for q, a in zip(SIX_QUESTIONS, answers, strict=True)})
            scores[name] = attempt.score
        all_right = {v["S1"]: "B", v["S2"]: "B", v["M"]: "ACD", v["J"]: "T", v["Bk"]: ["4"]}
        sit(exam, persons[6], all_right, state=AttemptState.IN_PROGRESS)
        sit(exam, persons[7], all_right, state=AttemptState.VOIDED)
        exam.mark_closed()
        db.session.commit()
        return SimpleNamespace(exam_id=exam.id, v=v, scores=scores)


#: twelve attempts (keys: S1 B, M ACD, J T, K B, Bk B; points 35, 30, 25, 5, 5)
#: top four 90 (fail K and Bk), middle four 70, bottom four 65 (pass K); nobody passes Bk; mean 75
TWELVE_POINTS = {"S1": "35", "M": "30", "J": "25", "K": "5", "Bk": "5"}
TWELVE_TIERS = [
    {"S1": "B", "M": "ACD", "J": "T", "K": "A", "Bk": "A"},
    {"S1": "B", "M": "ACD", "J": "F", "K": "B", "Bk": "C"},
    {"S1": "B", "M": "AB", "J": "T", "K": "B", "Bk": "D"},
]


@pytest.fixture
def twelve(app, world, clock):
    """Twelve submitted attempts, one of each third in each of four units."""
    with app.app_context():
        v = make_questions(
            [
                ("S1", QType.SINGLE, "B", None),
                ("M", QType.MULTIPLE, "ACD", None),
                ("J", QType.JUDGE, "T", None),
                ("K", QType.SINGLE, "B", None),
                ("Bk", QType.SINGLE, "B", None),
            ]
        )
        persons = people(units_of(world, *(["ca", "cb", "sa", "sb"] * 3)), "twelve")
        exam = published_exam(world, [(v[name], points) for name, points in TWELVE_POINTS.items()])
        for n, person in enumerate(persons):
            answers = TWELVE_TIERS[n // 4]
            sit(exam, person, {v[q]: a for q, a in answers.items()})
        db.session.commit()
        return SimpleNamespace(exam_id=exam.id, v=v)


@pytest.fixture
def admin(app, world):
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    return client


def stats(app, exam_id, **kwargs):
    with app.app_context():
        result = analysis.analyse_exam(exam_id, **kwargs)
    return result


def by_name(result, v):
    names = {version_id: name for name, version_id in v.items()}
    return {names[item.version_id]: item for item in result.items}


# --- the figures --------------------------------------------------------------------------------


def test_the_hand_built_attempts_score_as_designed(six):
    assert {name: int(score) for name, score in six.scores.items()} == {
        "p1": 100, "p2": 80, "p3": 60, "p4": 40, "p5": 50, "p6": 0,
    }  # fmt: skip


def test_facility_and_discrimination_are_exact(app, six):
    result = stats(app, six.exam_id)
    items = by_name(result, six.v)
    half, one = Fraction(1, 2), Fraction(1)
    assert {name: i.seen for name, i in items.items()} == dict.fromkeys(SIX_QUESTIONS, 6)
    assert {name: i.facility for name, i in items.items()} == {
        "S1": half, "S2": half, "M": Fraction(2, 3), "J": half, "Bk": half,
    }  # fmt: skip
    assert {name: i.discrimination for name, i in items.items()} == {
        "S1": one, "S2": Fraction(0), "M": half, "J": one, "Bk": one,
    }  # fmt: skip
    # 多选 with partial credit: four full marks and one half of 20 points out of 6 x 20
    assert items["M"].mean_share == Fraction(90, 120)
    assert (items["S2"].upper_correct, items["S2"].upper_seen, items["S2"].lower_correct, items["S2"].lower_seen) == (
        1, 2, 1, 2,
    )  # fmt: skip
    assert [i.doubt for i in items.values()] == [None] * 5  # six attempts are too few to doubt a key


def test_in_progress_and_voided_attempts_are_ignored(app, six):
    result = stats(app, six.exam_id)
    t = result.totals
    assert (t.submitted, t.in_progress, t.voided, t.units) == (6, 1, 1, 4)
    assert t.mean_score == Fraction(330, 6)
    assert (t.upper_size, t.lower_size) == (2, 2)
    # the two ignored attempts answered everything right: counted, S1 would be 5/8 and seen by 8
    assert by_name(result, six.v)["S1"].facility == Fraction(1, 2)


def test_units_that_got_a_question_wrong(app, six):
    items = by_name(stats(app, six.exam_id), six.v)
    # a unit at exactly half right (二七区第一社区 on S1) is not counted as wrong
    assert {name: (i.units_wrong, i.units_seen) for name, i in items.items()} == {
        "S1": (2, 4), "S2": (1, 4), "M": (2, 4), "J": (2, 4), "Bk": (2, 4),
    }  # fmt: skip


@pytest.mark.parametrize(
    "sort, order",
    [
        ("facility", ["S2", "S1", "J", "Bk", "M"]),
        ("", ["S2", "S1", "J", "Bk", "M"]),
        ("nonsense", ["S2", "S1", "J", "Bk", "M"]),
        ("discrimination", ["S2", "M", "S1", "J", "Bk"]),
        ("units_wrong", ["S1", "J", "Bk", "M", "S2"]),
    ],
)
def test_sort_orders(app, six, sort, order):
    names = {version_id: name for name, version_id in six.v.items()}
    result = stats(app, six.exam_id, sort=sort)
    assert [names[i.version_id] for i in result.items] == order
    assert [names[i.version_id] for i in result.most_units_wrong] == ["S1", "J", "Bk", "M", "S2"]


def test_a_key_the_top_scorers_fail_is_flagged(app, twelve):
    result = stats(app, twelve.exam_id)
    items = by_name(result, twelve.v)
    assert result.totals.mean_score == 75
    assert items["K"].discrimination == -1
    assert items["K"].doubt == "高分组答对率 0%，低于低分组的 100%（区分度 -1.00）"
    # nobody passes Bk: no negative discrimination, but the strong third fails it in an exam that went well
    assert items["Bk"].discrimination == 0
    assert items["Bk"].doubt == "全场平均分 75.0 分，高分组答对率却只有 0%"
    assert [items[name].doubt for name in ("S1", "M", "J")] == [None, None, None]
    assert {i.version_id for i in result.doubtful} == {twelve.v["K"], twelve.v["Bk"]}


def test_the_question_most_units_got_wrong_is_listed(app, twelve):
    result = stats(app, twelve.exam_id)
    assert [(i.version_id, i.units_wrong, i.units_seen) for i in result.most_units_wrong] == [(twelve.v["Bk"], 4, 4)]


def _item(**overrides):
    values = {
        "version_id": 1, "question_id": 1, "number": 1, "qtype": QType.SINGLE, "stem": "题", "answer": "B",
        "category": "分类", "seen": 10, "correct": 5, "awarded_sum": Fraction(50), "points_sum": Fraction(100),
        "upper_seen": 4, "upper_correct": 1, "lower_seen": 3, "lower_correct": 2,
    }  # fmt: skip
    values.update(overrides)
    return analysis.ItemStats(**values)


def test_the_doubt_rule_needs_enough_attempts_and_a_clear_signal():
    # discrimination 1/4 - 2/3 = -5/12
    assert _item().doubt is None and analysis.key_doubt(_item(), Fraction(50)) is not None
    assert analysis.key_doubt(_item(seen=9), Fraction(50)) is None
    assert analysis.key_doubt(_item(upper_seen=2, upper_correct=0), Fraction(50)) is None
    # exactly -0.2 is flagged; just above is not
    assert analysis.key_doubt(_item(upper_seen=5, upper_correct=3, lower_seen=5, lower_correct=4), Fraction(50))
    assert analysis.key_doubt(_item(upper_seen=5, upper_correct=3, lower_seen=6, lower_correct=4), Fraction(50)) is None
    # the strong third below 30%: only when the mean score is high
    weak_top = _item(upper_seen=10, upper_correct=2, lower_seen=10, lower_correct=2)
    assert analysis.key_doubt(weak_top, Fraction(69)) is None
    assert "高分组答对率却只有 20%" in analysis.key_doubt(weak_top, Fraction(70))
    assert (
        analysis.key_doubt(_item(upper_seen=10, upper_correct=3, lower_seen=10, lower_correct=2), Fraction(90)) is None
    )


def test_fewer_than_three_attempts_have_no_discrimination(app, world, clock):
    with app.app_context():
        v = make_questions([("A", QType.SINGLE, "B", None), ("B", QType.SINGLE, "B", None)])
        persons = people(units_of(world, "ca", "cb"), "two")
        exam = published_exam(world, [(v["A"], "50"), (v["B"], "50")])
        for person, answer in zip(persons, ("B", "A"), strict=True):
            sit(exam, person, {v["A"]: answer, v["B"]: "B"})
        result = analysis.analyse_exam(exam.id)
    assert [(i.facility, i.discrimination) for i in result.items] == [(Fraction(1, 2), None), (Fraction(1), None)]


# --- one question ----------------------------------------------------------------------------------


def counts(detail):
    return {row.label: (row.total, row.upper, row.lower, row.is_key) for row in detail.rows}


def detail_of(app, six, name):
    with app.app_context():
        return analysis.question_detail(six.exam_id, six.v[name])


def test_option_counts_of_a_single_choice(app, six):
    # top third p1 B, p2 A; bottom third p4 B, p6 unanswered; p3 C and p5 B in the middle
    assert counts(detail_of(app, six, "S2")) == {
        "A": (1, 1, 0, False), "B": (3, 1, 1, True), "C": (1, 0, 0, False), "D": (0, 0, 0, False),
        "—": (1, 0, 1, False),
    }  # fmt: skip


def test_option_counts_of_a_multiple_choice_count_each_letter(app, six):
    detail = detail_of(app, six, "M")
    assert counts(detail) == {
        "A": (5, 2, 1, True), "B": (1, 0, 1, False), "C": (5, 2, 1, True), "D": (4, 2, 1, True),
        "—": (0, 0, 0, False),
    }  # fmt: skip
    assert [(c.label, c.total, c.is_key) for c in detail.combinations] == [
        ("ACD", 4, True),
        ("AC", 1, False),
        ("B", 1, False),
    ]


def test_judge_counts(app, six):
    assert counts(detail_of(app, six, "J")) == {"对": (3, 2, 0, True), "错": (2, 0, 1, False), "—": (1, 0, 1, False)}


def test_commonest_blank_responses(app, six):
    assert counts(detail_of(app, six, "Bk")) == {
        "4": (2, 1, 0, True), "5": (2, 0, 1, False), "四": (1, 1, 0, True), "（未作答）": (1, 0, 1, False),
    }  # fmt: skip


# --- the pages ------------------------------------------------------------------------------------


def row_of(page, version_id):
    """The version's row of the table of every item."""
    items = page[page.index('data-testid="items"') :]
    match = re.search(rf'<tr data-version-id="{version_id}"[^>]*>(.*?)</tr>', items, re.S)
    assert match, f"no row for version {version_id}"
    return match.group(1)


def field(row, name):
    return re.search(rf'data-field="{name}">(.*?)</td>', row, re.S).group(1).strip()


def test_the_page_shows_every_version_with_its_key(admin, six):
    response = admin.get(f"/exams/{six.exam_id}/analysis")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "试题分析" in page and "已交卷答卷" in page
    s1, m, j, bk = (row_of(page, six.v[n]) for n in ("S1", "M", "J", "Bk"))
    assert (field(s1, "seen"), field(s1, "facility"), field(s1, "discrimination")) == ("6", "50%", "1.00")
    assert (field(m, "facility"), field(m, "mean_share"), field(m, "discrimination")) == ("67%", "75%", "0.50")
    assert (field(m, "answer"), field(j, "answer"), field(bk, "answer")) == ("ACD", "对", "4;四")
    assert field(s1, "units_wrong") == "2 / 4"
    assert '<td class="text-nowrap">单选</td>' in s1 and '<td class="text-nowrap">填空</td>' in bk
    # the default order is by facility, lowest first
    positions = [
        page.index(f'data-version-id="{six.v[n]}"', page.index('data-testid="items"')) for n in ("S2", "S1", "M")
    ]
    assert positions == sorted(positions)
    assert 'data-testid="units-wrong"' in page
    assert "答案可能有误</span>" not in page


def test_the_stem_is_escaped_and_truncated_with_the_full_text_in_the_title(admin, six):
    page = admin.get(f"/exams/{six.exam_id}/analysis").get_data(as_text=True)
    row = row_of(page, six.v["S1"])
    link = re.search(r'<a href="[^"]+" title="([^"]+)">([^<]+)</a>', row)
    assert link, row
    title, text = link.groups()
    assert title == LONG_STEM.replace("<", "&lt;").replace(">", "&gt;")
    assert text.endswith("…") and len(text.replace("&lt;", "<").replace("&gt;", ">")) == 60
    assert "<b>" not in page
    # CSP: no inline script or style
    assert "<script>" not in page and ' style="' not in page


def test_the_page_flags_a_doubtful_key_with_its_reason(admin, twelve):
    page = admin.get(f"/exams/{twelve.exam_id}/analysis?sort=discrimination").get_data(as_text=True)
    k = row_of(page, twelve.v["K"])
    assert "答案可能有误" in k and "高分组答对率 0%，低于低分组的 100%" in k
    assert "答案可能有误" not in row_of(page, twelve.v["S1"])
    assert 'data-testid="doubtful"' in page
    units = page[page.index('data-testid="units-wrong"') : page.index('data-testid="items"')]
    assert f'data-version-id="{twelve.v["Bk"]}"' in units and f'data-version-id="{twelve.v["K"]}"' not in units


def test_the_question_page_shows_option_counts(admin, six):
    response = admin.get(f"/exams/{six.exam_id}/analysis/{six.v['S2']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    row = re.search(r'<tr data-response="B"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", field(row, "total")) == "3（50%）"
    assert re.sub(r"<[^>]+>", "", field(row, "upper")) == "1（50%）"
    assert "正确答案" in row
    blank = admin.get(f"/exams/{six.exam_id}/analysis/{six.v['Bk']}").get_data(as_text=True)
    assert 'data-response="四"' in blank and "（未作答）" in blank


def test_a_published_exam_shows_what_is_in_so_far(app, admin, world, clock):
    with app.app_context():
        v = make_questions([("A", QType.SINGLE, "B", None), ("B", QType.SINGLE, "B", None)])
        first, second = people(units_of(world, "ca", "cb"), "sofar")
        exam = published_exam(world, [(v["A"], "50"), (v["B"], "50")])
        sit(exam, first, {v["A"]: "B"})
        sit(exam, second, {v["A"]: "A"}, state=AttemptState.IN_PROGRESS)
        db.session.commit()
        exam_id = exam.id
    page = admin.get(f"/exams/{exam_id}/analysis").get_data(as_text=True)
    assert "考试尚未结束：以下只统计目前已交卷的 1 份答卷，另有 1 人正在作答" in page
    assert field(row_of(page, v["A"]), "facility") == "100%" and field(row_of(page, v["A"]), "discrimination") == "—"


def test_missing_and_draft_exams_and_foreign_versions_are_not_found(app, admin, world, six):
    with app.app_context():
        draft = exam_factories.exam(world)
        other = bank_factories.question(status=Status.PUBLISHED)
        db.session.commit()
        draft_id, other_version = draft.id, other.current_version_id
    assert admin.get(f"/exams/{draft_id}/analysis").status_code == 404
    assert admin.get(f"/exams/{six.exam_id + 1000}/analysis").status_code == 404
    assert admin.get(f"/exams/{six.exam_id}/analysis/{other_version}").status_code == 404
    assert admin.get(f"/exams/{six.exam_id}/analysis/{other_version + 1000}").status_code == 404


@pytest.mark.parametrize("role", ["office", "district_admin", "examinee"])
@pytest.mark.parametrize("page", ["analysis", "question"])
def test_other_roles_are_refused(as_role, six, role, page):
    path = f"/exams/{six.exam_id}/analysis" + (f"/{six.v['S1']}" if page == "question" else "")
    assert as_role(role).get(path).status_code == 403


@pytest.mark.parametrize("page", ["analysis", "question"])
def test_anonymous_is_sent_to_log_in(client, six, page):
    path = f"/exams/{six.exam_id}/analysis" + (f"/{six.v['S1']}" if page == "question" else "")
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- speed: the page's statements do not grow with the paper ----------------------------------------


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _statements_for_paper(app, admin, world, size, prefix):
    with app.app_context():
        names = [f"{prefix}{n}" for n in range(size)]
        v = make_questions([(name, QType.SINGLE, "B", None) for name in names])
        persons = people(units_of(world, "ca", "cb", "sa", "sb"), prefix)
        exam = published_exam(world, [(v[name], str(100 // size)) for name in names])
        for n, person in enumerate(persons):
            sit(exam, person, {v[name]: "B" if (i + n) % 3 else "A" for i, name in enumerate(names)})
        exam.mark_closed()
        db.session.commit()
        exam_id = exam.id
    with count_queries(app) as statements:
        page = admin.get(f"/exams/{exam_id}/analysis").get_data(as_text=True)
    assert page.count("<tr data-version-id=") >= size
    return len(statements)


def test_page_statements_do_not_grow_with_the_paper(app, admin, world, clock):
    small = _statements_for_paper(app, admin, world, 4, "small")
    large = _statements_for_paper(app, admin, world, 25, "large")
    assert small == large, (small, large)
    assert large <= 10
