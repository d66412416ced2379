"""A question exactly as an examinee sees it: no answer, no explanation.

Built in Python rather than as a Jinja macro because the attempt page shows eighty of them
to every examinee at the exam's start, and a macro call per question (with an escape per
attribute) was most of that page's CPU. A question's texts are escaped once per process
(a drawn paper repeats the bank's questions across thousands of pages); everything else is
plain string building. Every text is escaped here; never pass markup in.
"""

import functools

from markupsafe import Markup, escape

from .content import LETTERS, QType, split_stem

JUDGE_CHOICES = (("T", "正确"), ("F", "错误"))
BLANK_INPUT = (
    '<input type="text" class="form-control form-control-sm d-inline-block w-auto mx-1 align-baseline" '
    'name="{name}" aria-label="第 {index} 空" autocomplete="off" maxlength="200" value="{value}"{disabled}>'
)


def _lines_html(text):
    return Markup("<br>").join(escape(line) for line in (text or "").split("\n"))


_cached_lines_html = functools.lru_cache(maxsize=8192)(_lines_html)


def text_html(text):
    """Plain question text as HTML: escaped, line breaks kept."""
    # only plain strings are cached: a Markup must not share a plain text's entry
    return _cached_lines_html(text) if type(text) is str else _lines_html(text)


@functools.lru_cache(maxsize=4096)
def _stem_segments_html(stem):
    return tuple(text_html(segment) for segment in split_stem(stem))


def shown_letters(letters, order):
    """The version's own option letters (a 单选/多选 key or response) as an examinee lettered them:
    ``order`` lists the original option indices in the order shown, lettered A, B, C... by position."""
    return "".join(LETTERS[shown] for shown, original in enumerate(order) if LETTERS[original] in letters)


def question_card_html(qtype, stem, options, number=None, points=None, name="answer", disabled=True, chosen=None):
    """The card of one question. ``options``: [(value, text)] in display order (letters follow
    the order); ``chosen``: the values (or, for 填空, the texts per blank) to show as given."""
    chosen = chosen or []
    name = escape(name)
    off = " disabled" if disabled else ""
    parts = ['<div class="card question-card mb-3" data-testid="question-card"><div class="card-body">']
    parts.append('<div class="mb-2 small text-muted">')
    if number:
        parts.append(f'<strong class="text-body">第 {escape(number)} 题</strong> · ')
    parts.append(f"{escape(QType.LABELS.get(qtype, ''))}题")
    if points:
        parts.append(f" · {escape(points)} 分")
    if qtype == QType.MULTIPLE:
        parts.append(" （可选多项）")
    parts.append("</div>")
    if qtype == QType.BLANK:
        segments = _stem_segments_html(stem)
        parts.append('<p class="question-stem mb-2">')
        for index, segment in enumerate(segments, start=1):
            parts.append(segment)
            if index < len(segments):
                value = escape(chosen[index - 1]) if len(chosen) >= index else ""
                parts.append(BLANK_INPUT.format(name=name, index=index, value=value, disabled=off))
        parts.append("</p>")
    else:
        parts.append(f'<p class="question-stem mb-2">{text_html(stem)}</p>')
    if qtype in (QType.SINGLE, QType.MULTIPLE):
        for index, (value, text) in enumerate(options, start=1):
            value = escape(value)
            parts.append(choice_option_html(qtype, name, index, value, text, value in chosen, off))
    elif qtype == QType.JUDGE:
        for value, label in JUDGE_CHOICES:
            checked = " checked" if value in chosen else ""
            parts.append(
                f'<div class="form-check form-check-inline"><input class="form-check-input" type="radio" name="{name}" '
                f'id="{name}-{value}" value="{value}"{checked}{off}>'
                f'<label class="form-check-label" for="{name}-{value}">{label}</label></div>'
            )
    parts.append(CARD_END)
    # every text and value above was escaped; the rest is this function's own markup
    return Markup("".join(parts))  # noqa: S704


def choice_option_html(qtype, name, index, value, text, checked, off):
    """One option of a 单选/多选 card: shown ``index``-th (lettered by it), worth the version's own
    letter ``value`` (escaped); ``off`` is " disabled" or ""."""
    kind = "radio" if qtype == QType.SINGLE else "checkbox"
    return (
        f'<div class="form-check"><input class="form-check-input" type="{kind}" name="{name}" '
        f'id="{name}-{index}" value="{value}"{" checked" if checked else ""}{off}>'
        f'<label class="form-check-label" for="{name}-{index}">{"ABCDEF"[index - 1]}. {text_html(text)}</label></div>'
    )


#: what closes a card (``question_card_html``)
CARD_END = "</div></div>"

#: where a card template holds the question's number on the paper (also in its field names
#: ``q<number>``); it cannot come from a text, whose "<" is always escaped
NUMBER_SLOT = "<@>"
# the slot is this module's own constant markup, never a text
_NUMBER, _NAME = Markup(NUMBER_SLOT), Markup("q" + NUMBER_SLOT)  # noqa: S704


def question_card_template(qtype, stem, options, points=None, disabled=True):
    """The card of an unanswered question with its number left open (``NUMBER_SLOT``): the same
    for every paper that shows this version so, to be kept and filled in with ``str.replace``."""
    return str(question_card_html(qtype, stem, options, number=_NUMBER, points=points, name=_NAME, disabled=disabled))


def choice_card_templates(qtype, stem, options, points=None, disabled=True):
    """An unanswered 单选/多选 card in pieces, its number left open: (the card up to its options,
    ``table``) where ``table[shown][original]`` is the option ``original`` shown ``shown``-th (both
    from 0). A card in any option order is the head, ``table[i][order[i]]`` for each i, and ``CARD_END``."""
    head = question_card_template(qtype, stem, [], points=points, disabled=disabled)
    off = " disabled" if disabled else ""
    table = tuple(
        tuple(
            choice_option_html(qtype, _NAME, shown + 1, LETTERS[original], text, False, off)
            for original, text in enumerate(options)
        )
        for shown in range(len(options))
    )
    return head[: -len(CARD_END)], table
