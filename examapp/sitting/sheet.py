"""The attempt page's paper as HTML: the answer card (答题卡) and the question sections.

Ten thousand pages open at the exam's start, each with eighty questions drawn from one bank, so
a page is put together from cards this process keeps rather than built: the card of an
unanswered question per (its texts, points, disabled), its number left open and a 单选/多选's
options in pieces that any option order is put together from (``bank.card.choice_card_templates``).
A page is then those cards with their numbers filled in, and the attempt's own state (answers,
flags) in a few string joins. A question already answered is built for this page alone.

The cards are kept by their texts, not by version id, as ``bank.card`` keeps escaped texts: a
kept card can never show another version's texts (an id reused after a rollback, a restored
database). The markup is what ``sitting/attempt.html`` rendered with a loop per question
before, to the byte (the page's script and the browser tests rely on it); nothing of a key is
ever read here.
"""

import functools
import json
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Text, bindparam, cast, select

from ..bank.card import CARD_END, NUMBER_SLOT, choice_card_templates, question_card_html, question_card_template
from ..bank.content import QType
from ..bank.models import QuestionVersion
from ..extensions import db
from ..numbers import plain
from .models import AttemptItem
from .queries import group_by_type

LETTERS = "ABCDEF"
#: cards a process keeps (a bank holds a few thousand questions)
CARDS_KEPT = 20_000

#: (qtype, stem, options as stored, points text, disabled) -> the card with its number open
_cards = {}


@dataclass
class Sheet:
    """What the attempt page shows of its paper."""

    #: the 答题卡's groups of links and the questions' sections, as the page's markup
    nav: Markup
    questions: Markup
    total: int
    answered: int
    #: the highest save sequence number of any item
    last_seq: int


#: the one read of a page's paper, built once
_PAPER = (
    select(
        AttemptItem.position,
        AttemptItem.points,
        # option orders and option lists as stored: keys of what this process keeps, parsed once
        cast(AttemptItem.option_order, Text),
        AttemptItem.response,
        AttemptItem.flagged,
        AttemptItem.response_seq,
        QuestionVersion.qtype,
        QuestionVersion.stem,
        cast(QuestionVersion.options, Text),
    )
    .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
    .where(AttemptItem.attempt_id == bindparam("attempt_id"))
    .order_by(AttemptItem.position)
)


def attempt_sheet(attempt_id, *, disabled=False, cached=True):
    """The attempt's paper for its page, from one read of its items with their versions' texts
    (never a key). ``cached=False`` builds every card afresh: what the kept cards must equal."""
    rows = db.session.execute(_PAPER, {"attempt_id": attempt_id}).all()
    questions = []
    for position, points, order, response, flagged, seq, qtype, stem, options in rows:
        chosen = list(response) if isinstance(response, str) else response
        questions.append(
            {
                "position": position,
                "qtype": qtype,
                "stem": stem,
                "options": options,
                "order": _parsed(order),
                "points": points,
                "chosen": chosen or [],
                "flagged": flagged,
                "seq": seq,
                "answered": response is not None,
            }
        )
    groups = group_by_type(questions)
    first = questions[0]["position"] if questions else None
    last = questions[-1]["position"] if questions else None
    nav, sections = [], []
    for group in groups:
        label = _LABELS[group.qtype]
        nav.append(_nav_group(group, label))
        sections.append(_heading(group, label))
        for q in group.questions:
            card = _card(q, disabled, cached)
            sections.append(_section(q, label, card, disabled, q["position"] == first, q["position"] == last))
        sections.append("\n      ")
    return Sheet(
        nav=Markup("".join(nav)),  # noqa: S704 - every text in it was escaped (bank.card)
        questions=Markup("".join(sections)),  # noqa: S704 - as above
        total=len(questions),
        answered=sum(1 for q in questions if q["answered"]),
        last_seq=max([0] + [q["seq"] for q in questions]),
    )


#: a question type and its label as the page writes them (escaped once: they are the app's own words)
_LABELS = {qtype: (str(escape(qtype)), str(escape(label))) for qtype, label in QType.LABELS.items()}


@functools.lru_cache(maxsize=CARDS_KEPT)
def _parsed(stored):
    """A JSON list as stored (an option order, a version's options) as a tuple; SQL or JSON null
    (``JSON`` columns store Python's None as JSON null) as None."""
    value = json.loads(stored) if stored is not None else None
    return tuple(value) if value is not None else None


@functools.lru_cache(maxsize=256)
def _points(points):
    return plain(points)


def _shown(options, order):
    return [(LETTERS[i], options[i]) for i in (order if order is not None else range(len(options)))]


def _card(q, disabled, cached):
    qtype, stem, order = q["qtype"], q["stem"], q["order"]
    points = _points(q["points"])
    if q["chosen"] or not cached:
        position = q["position"]
        return str(
            question_card_html(
                qtype,
                stem,
                _shown(_parsed(q["options"]), order),
                number=position,
                points=points,
                name=f"q{position}",
                disabled=disabled,
                chosen=q["chosen"],
            )
        )
    key = (qtype, stem, q["options"], points, disabled)
    template = _cards.get(key)
    if template is None:
        if len(_cards) >= CARDS_KEPT:
            _cards.clear()
        options = _parsed(q["options"])
        if qtype in QType.CHOICE:
            template = choice_card_templates(qtype, stem, options, points=points, disabled=disabled)
        else:
            template = question_card_template(qtype, stem, _shown(options, None), points=points, disabled=disabled)
        _cards[key] = template
    if qtype in QType.CHOICE:
        head, table = template
        shown = range(len(table)) if order is None else order
        template = head + "".join([table[i][original] for i, original in enumerate(shown)]) + CARD_END
    return template.replace(NUMBER_SLOT, str(q["position"]))


def _nav_group(group, label):
    links = "".join(
        f'\n            <a href="#q{p}" class="nav-q btn btn-sm {"btn-success" if q["answered"] else "btn-outline-secondary"} '
        f'{"flagged" if q["flagged"] else ""}"\n'
        f'               data-position="{p}" data-testid="nav-{p}"\n'
        f'               aria-label="第 {p} 题，{"已作答" if q["answered"] else "未作答"}{"，已标记" if q["flagged"] else ""}">'
        f'{p}<span class="nav-mark" aria-hidden="true">{"✓" if q["answered"] else ""}{"?" if q["flagged"] else ""}</span></a>\n'
        "            "
        for q in group.questions
        for p in (q["position"],)
    )
    return (
        f'\n          <h3 class="h6 mt-2 mb-1 sheet-heading" data-testid="sheet-group-{label[0]}">'
        f'{label[1]}题 <span class="small text-muted">（{group.count} 题）</span></h3>\n'
        '          <div class="d-flex flex-wrap gap-1">\n            '
        f"{links}\n          </div>\n          "
    )


def _heading(group, label):
    each = f"，每题 {plain(group.each)} 分" if group.each is not None else ""
    return (
        f'\n      <h2 class="h5 type-heading border-bottom pb-1 mb-3" data-testid="type-heading-{label[0]}">'
        f'{label[1]}题<span class="small text-muted fw-normal">（共 {group.count} 题{each}，'
        f"计 {plain(group.points)} 分）</span></h2>\n      "
    )


def _section(q, label, card, disabled, first, last):
    p = q["position"]
    return (
        f'\n      <section class="attempt-question" id="q{p}" data-position="{p}" data-qtype="{label[0]}"\n'
        f'               aria-label="第 {p} 题（{label[1]}题）">\n        {card}\n'
        '        <div class="d-flex gap-2 align-items-center mb-4 question-tools">\n'
        '          <div class="form-check me-auto">\n'
        f'            <input class="form-check-input flag-toggle" type="checkbox" id="flag-{p}" '
        f"{'checked' if q['flagged'] else ''} {'disabled' if disabled else ''}>\n"
        f'            <label class="form-check-label" for="flag-{p}">标记此题，稍后检查</label>\n'
        "          </div>\n"
        '          <button type="button" class="btn btn-sm btn-outline-secondary step" data-step="-1" '
        f"{'disabled' if first else ''}>上一题</button>\n"
        '          <button type="button" class="btn btn-sm btn-outline-secondary step" data-step="1" '
        f"{'disabled' if last else ''}>下一题</button>\n"
        "        </div>\n"
        "      </section>\n      "
    )
