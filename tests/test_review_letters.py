"""The examinee's review shows what they saw: their option order, their letters, their ticks,
and the key (a corrected one after a regrade) in those same letters."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from examapp.bank.card import shown_letters
from examapp.bank.content import QType, QuestionData
from examapp.bank.models import Status
from examapp.bank.services import update_question
from examapp.exams.models import Exam, ReleaseMode
from examapp.exams.services import add_to_roster, close_exam, create_exam, publish_exam, set_blueprint
from examapp.extensions import db
from examapp.integrity.analysis import finding_key
from examapp.integrity.models import Finding, FindingKind
from examapp.integrity.services import compute_findings
from examapp.results.services import regrade_with_key
from examapp.sitting.models import AttemptItem

from . import bank_factories as bank
from . import exam_factories as factories
from .conftest import csrf_token, login
from .integrity_factories import DB_PLAN, simulate, write_plan

#: 3x10 + 2x15 + 3x10 + 1x10 = 100 points: every type, 填空 included
BLUEPRINT = [
    {"qtype": QType.SINGLE, "count": 3, "points": "10"},
    {"qtype": QType.MULTIPLE, "count": 2, "points": "15"},
    {"qtype": QType.JUDGE, "count": 3, "points": "10"},
    {"qtype": QType.BLANK, "count": 1, "points": "10"},
]
#: the order each examinee is shown (original option indices): never the bank's own
ORDERS = {QType.SINGLE: [2, 0, 3, 1], QType.MULTIPLE: [1, 0, 2, 3]}

OPTION = re.compile(
    r'<input class="form-check-input" type="(?:radio|checkbox)" name="[rq]\d+" id="[^"]+" value="(\w)"( checked)?[^>]*>'
    r'<label class="form-check-label" for="[^"]+">([A-F])\. ([^<]*)</label>'
)


@pytest.fixture
def sitting(app, world, clock):
    """kaosheng has the attempt page open on a paper whose options are shown in ``ORDERS``."""
    with app.app_context():
        category = factories.small_bank()
        bank.question(
            category,
            status=Status.PUBLISHED,
            qtype=QType.BLANK,
            stem="劳动争议申请仲裁的时效期间为____年。",
            options=[],
            answer=[["1", "一"]],
        )
        exam = create_exam(None, factories.settings(release_mode=ReleaseMode.AFTER_CLOSE))
        set_blueprint(None, exam, factories.blueprint_rows(category, BLUEPRINT))
        add_to_roster(None, exam, units=[db.session.merge(world.city)])
        publish_exam(None, exam)
        db.session.commit()
        exam_id = exam.id
    client = app.test_client()
    login(client, "kaosheng")
    response = client.post(
        f"/exam/{exam_id}", data={"csrf_token": csrf_token(client, f"/exam/{exam_id}"), "pledge": "y"}
    )
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)):
            item.option_order = ORDERS.get(item.version.qtype)
        db.session.commit()
    html = client.get(f"/attempt/{attempt_id}").get_data(as_text=True)
    return {
        "app": app,
        "client": client,
        "clock": clock,
        "exam_id": exam_id,
        "attempt_id": attempt_id,
        "html": html,
        "token": re.search(r'data-token="([^"]+)"', html).group(1),
        "csrf": re.search(r'data-csrf="([^"]+)"', html).group(1),
    }


def _sections(html):
    """{position: html from that question's number to the next one's}."""
    parts = re.split(r'<strong class="text-body">第 (\d+) 题</strong>', html)
    return {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}


def _options(section):
    """[(shown letter, text, value, ticked)] in the order shown."""
    return [(letter, text, value, bool(checked)) for value, checked, letter, text in OPTION.findall(section)]


def _post(s, path, payload):
    return s["client"].post(
        f"/attempt/{s['attempt_id']}/{path}",
        data=json.dumps(payload),
        headers={"Content-Type": "application/json", "X-CSRFToken": s["csrf"], "Accept": "application/json"},
    )


def _answer(s, picks):
    """Pick options by their shown letters ({position: "AB"}) through the page's own values."""
    shown = _sections(s["html"])
    saves = []
    for seq, (position, letters) in enumerate(sorted(picks.items()), start=1):
        values = {letter: value for letter, _text, value, _ticked in _options(shown[position])}
        saves.append({"seq": seq, "position": position, "response": "".join(sorted(values[x] for x in letters))})
    for save in saves:
        assert _post(s, "save", {"token": s["token"], "saves": [save]}).status_code == 200
    assert _post(s, "submit", {"token": s["token"]}).status_code == 200


def _review(s):
    with s["app"].app_context():
        closes = db.session.get(Exam, s["exam_id"]).closes_at
    s["clock"].set(closes + timedelta(seconds=1))
    html = s["client"].get(f"/attempt/{s['attempt_id']}/result").get_data(as_text=True)
    assert 'data-testid="answer-key"' in html
    return _sections(html)


def _key_letters(section):
    return re.search(r"正确答案</dt>\s*<dd[^>]*>\s*(?:<span[^>]*>)?([A-F]+)\s*<", section).group(1)


def _positions(s, qtype):
    with s["app"].app_context():
        return list(
            db.session.scalars(
                select(AttemptItem.position)
                .join(AttemptItem.version)
                .where(AttemptItem.attempt_id == s["attempt_id"], AttemptItem.version.has(qtype=qtype))
                .order_by(AttemptItem.position)
            )
        )


def test_the_review_letters_ticks_and_key_are_the_ones_the_examinee_saw(sitting):
    singles, multiples = _positions(sitting, QType.SINGLE), _positions(sitting, QType.MULTIPLE)
    judges, blanks = _positions(sitting, QType.JUDGE), _positions(sitting, QType.BLANK)
    shown = _sections(sitting["html"])
    # the page shows the shuffled order, lettered A-D by position
    assert [(letter, text) for letter, text, _v, _t in _options(shown[singles[0]])] == [
        ("A", "六十日"),
        ("B", "三十日"),
        ("C", "三个月"),
        ("D", "十五日"),
    ]
    assert [(letter, text) for letter, text, _v, _t in _options(shown[multiples[0]])] == [
        ("A", "乙"),
        ("B", "甲"),
        ("C", "丙"),
        ("D", "丁"),
    ]

    _answer(sitting, {singles[0]: "A", singles[1]: "D", multiples[0]: "AB", multiples[1]: "BCD"})
    # before results are released the result page shows nothing of the key
    before = sitting["client"].get(f"/attempt/{sitting['attempt_id']}/result").get_data(as_text=True)
    assert "answer-key" not in before and "正确答案" not in before
    review = _review(sitting)

    for position in singles + multiples:
        # the same letters beside the same texts, in the same order, as on the exam page
        seen = [(letter, text) for letter, text, _v, _t in _options(shown[position])]
        assert [(letter, text) for letter, text, _v, _t in _options(review[position])] == seen
    ticked = {p: "".join(letter for letter, _t, _v, on in _options(review[p]) if on) for p in singles + multiples}
    assert ticked == {singles[0]: "A", singles[1]: "D", singles[2]: "", multiples[0]: "AB", multiples[1]: "BCD"}
    # the key is 十五日 (the bank's B), shown fourth; 甲丙丁 (the bank's ACD), shown B C D
    assert {p: _key_letters(review[p]) for p in singles + multiples} == {
        **dict.fromkeys(singles, "D"),
        **dict.fromkeys(multiples, "BCD"),
    }
    assert (
        "本题得分：<strong>10</strong>" in review[singles[1]] and "本题得分：<strong>0</strong>" in review[singles[0]]
    )
    # 判断 and 填空 are not shuffled and read as before
    for position in judges:
        assert ">正确</label>" in review[position] and "对（正确）" in review[position]
    assert "第 1 空：" in review[blanks[0]] and 'value=""' in review[blanks[0]]


def test_a_corrected_key_is_shown_in_the_examinees_letters(sitting):
    singles = _positions(sitting, QType.SINGLE)
    _answer(sitting, {singles[0]: "A"})  # 六十日, the bank's C
    app = sitting["app"]
    with app.app_context():
        exam = db.session.get(Exam, sitting["exam_id"])
        item = db.session.scalar(
            select(AttemptItem).where(
                AttemptItem.attempt_id == sitting["attempt_id"], AttemptItem.position == singles[0]
            )
        )
        version = item.version
        corrected = update_question(
            None,
            version.question,
            QuestionData(
                qtype=version.qtype,
                stem=version.stem,
                options=list(version.options),
                answer="C",
                explanation="更正：六十日。",
                source=version.source,
                difficulty=version.difficulty,
                category_id=version.category_id,
            ),
        )
        db.session.flush()
        close_exam(None, exam)
        regrade_with_key(None, exam, version, corrected, "依据新规定更正答案")
        db.session.commit()
    review = _review(sitting)[singles[0]]
    assert _key_letters(review) == "A" and "更正：六十日。" in review
    assert "本题得分：<strong>10</strong>" in review
    assert [(letter, on) for letter, _t, _v, on in _options(review)] == [
        ("A", True),
        ("B", False),
        ("C", False),
        ("D", False),
    ]


def test_shown_letters_map_the_versions_own_letters_by_the_shown_order():
    assert shown_letters("B", [2, 0, 3, 1]) == "D"
    assert shown_letters("ACD", [1, 0, 2, 3]) == "BCD"
    assert shown_letters(["A", "C"], [3, 2, 1, 0]) == "BD"
    assert shown_letters("AC", range(4)) == "AC"


def test_the_copy_pair_evidence_says_its_letters_are_the_banks(app, world, as_role):
    """The pair's answers are compared in the bank's letters (one letter, one option for both people),
    not in either person's own: the page says so."""
    plan = simulate(**DB_PLAN)
    with app.app_context():
        exam = factories.exam(world, publish=True)
        written = write_plan(plan, exam, world.city)
        compute_findings(exam, None)
        db.session.commit()
        pair = [written["attempts"][i] for i in plan.copy_pairs[0]]
        finding = db.session.scalar(
            select(Finding).where(Finding.exam_id == exam.id, Finding.key == finding_key(FindingKind.COPYING, pair))
        )
        exam_id, finding_id = exam.id, finding.id
    html = as_role("office").get(f"/exams/{exam_id}/integrity/{finding_id}").get_data(as_text=True)
    assert 'data-testid="shared-answers"' in html
    assert "选项字母按题库中的顺序" in html and "请以选项内容为准" in html
