"""Grading: pure functions of (question version, response) -> points, as Decimal.

No database, no request: the sitting package calls ``grade`` with the exact
version an examinee was shown, so a later edit never changes a grade.

Responses are what the exam page sends:

- 单选 / 多选: a string of letters (``"B"``, ``"ACD"``) or a list of letters;
- 判断: ``"T"`` / ``"F"`` (any spelling the importer accepts works too);
- 填空: a list of strings, one per blank, in order.

Anything malformed earns zero rather than raising: a response is the
examinee's, and a bad one is simply not correct.

A blank is right when the examinee's text and one of its accepted answers read the same after the
one rule below (``fold_blank``), applied to both, the same everywhere (sitting, regrade, late
deliveries, the question page's explanation, docs/grading.md):

1. full and half width, letter case and the spaces around the text do not count;
2. punctuation and brackets around the text do not count (``《劳动法》`` = ``劳动法``, ``“三清”`` = ``三清``);
3. Chinese and Arabic numerals are the same number (``十五`` = ``15``, ``二〇〇五`` = ``2005``,
   ``百分之十五`` = ``15%``);
4. what the stem already prints right before or after the blank may be typed again or left out
   (``____日`` accepts ``30`` and ``30日``; ``第____条`` accepts ``第十条``; ``____%`` accepts ``150%``).

Anything else needs a variant in the bank (``;`` between a blank's accepted answers): a different
word is a different answer ("退休人员" is not "离退休人员", "16" is not "18").
"""

import re
import unicodedata
from decimal import ROUND_DOWN, Decimal

from .content import QType, fold_width, judge_value, letters_of, split_stem


class MultipleMode:
    """How a 多选 question is scored (an exam-level setting)."""

    #: full points for exactly the right letters, otherwise zero
    ALL_OR_NOTHING = "all_or_nothing"
    #: full points for the right letters; half for a correct subset; zero for any wrong letter
    PARTIAL = "partial"

    ALL = (ALL_OR_NOTHING, PARTIAL)
    LABELS = {ALL_OR_NOTHING: "全部选对才得分", PARTIAL: "少选得一半分，错选不得分"}


CENT = Decimal("0.01")
ZERO = Decimal("0")


def grade(version, response, points, *, multiple_mode=MultipleMode.ALL_OR_NOTHING):
    """Points earned by ``response`` on ``version`` (anything with ``qtype``, ``answer`` and ``stem``)."""
    return grade_response(
        version.qtype,
        version.answer,
        response,
        points,
        multiple_mode=multiple_mode,
        stem=getattr(version, "stem", None),
    )


def grade_response(qtype, answer, response, points, *, multiple_mode=MultipleMode.ALL_OR_NOTHING, stem=None):
    """Points earned by ``response``; ``stem`` (a 填空's) lets a blank accept the unit the stem prints."""
    points = _as_points(points)
    if qtype == QType.SINGLE:
        return points if _choice_letters(response) == {answer} else ZERO
    if qtype == QType.JUDGE:
        return points if judge_value(response) == answer else ZERO
    if qtype == QType.MULTIPLE:
        return _grade_multiple(set(answer), _choice_letters(response), points, multiple_mode)
    if qtype == QType.BLANK:
        return _grade_blanks(answer, response, points, stem)
    raise ValueError(f"unknown question type {qtype!r}")


def _as_points(points):
    value = points if isinstance(points, Decimal) else Decimal(str(points))
    if not value.is_finite() or value < 0:
        raise ValueError(f"points must be a non-negative number, not {points!r}")
    return value


def floor_cents(value):
    """Shares of a question's points are floored to the cent: never more than was earned."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def _choice_letters(response):
    """The set of letters chosen, or None when the response is not a choice at all."""
    if response is None:
        return set()
    if isinstance(response, (list, tuple, set)):
        if not all(isinstance(part, str) for part in response):
            return None
        response = "".join(response)
    if not isinstance(response, str):
        return None
    if not response.strip():
        return set()
    letters = letters_of(response)
    return set(letters) if letters is not None else None


def _grade_multiple(expected, chosen, points, mode):
    if mode not in MultipleMode.ALL:
        raise ValueError(f"unknown multiple-choice mode {mode!r}")
    if not chosen:
        return ZERO  # empty or malformed
    if chosen == expected:
        return points
    if mode == MultipleMode.PARTIAL and chosen < expected:
        return floor_cents(points / 2)
    return ZERO


def normalise_blank(text):
    """Half-width, no surrounding spaces, lower case: how integrity signals compare two responses."""
    return fold_width(text).strip().casefold()


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万]+")
_PERCENT = re.compile(r"百分之([0-9零〇一二两三四五六七八九十百千万.]+)")
#: brackets and quotation marks, besides Unicode punctuation, that may surround an answer
_SURROUNDING = "《》〈〉「」『』【】〔〕“”‘’\"'()[]{}"
#: at most this many characters of the stem around a blank may be typed again
_CONTEXT = 6


def chinese_number(text):
    """The value of a Chinese numeral ("十五" 15, "一百零八" 108, "二〇〇五" 2005), or None."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    if not any(ch in _CN_UNITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))  # digit by digit: 二〇〇五
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + section + (digit or 0)


def _arabic(match):
    value = chinese_number(match.group(0))
    return match.group(0) if value is None else str(value)


def _is_surrounding(ch):
    return ch != "%" and (ch in _SURROUNDING or unicodedata.category(ch).startswith("P") or ch.isspace())


def fold_blank(text):
    """A blank's text as compared: width, case, surrounding spaces and punctuation aside, numerals as digits."""
    text = fold_width(text).casefold()
    text = _PERCENT.sub(r"\1%", text)
    text = _CN_NUMBER.sub(_arabic, text)
    start, end = 0, len(text)
    while start < end and _is_surrounding(text[start]):
        start += 1
    while end > start and _is_surrounding(text[end - 1]):
        end -= 1
    return text[start:end]


def _without_context(text, before, after):
    """``text`` without what the stem prints right before and after the blank, when it was typed again."""
    for k in range(min(len(after), len(text) - 1, _CONTEXT), 0, -1):
        if text.endswith(after[:k]):
            text = text[:-k]
            break
    for k in range(min(len(before), len(text) - 1, _CONTEXT), 0, -1):
        if text.startswith(before[-k:]):
            text = text[k:]
            break
    return text


def blank_contexts(stem, count):
    """[(text before, text after)] of each blank, folded, or empty texts without a stem."""
    segments = split_stem(stem) if stem else []
    if len(segments) != count + 1:
        return [("", "")] * count
    folded = [fold_width(s).casefold() for s in segments]
    folded = [_CN_NUMBER.sub(_arabic, _PERCENT.sub(r"\1%", s)) for s in folded]
    return [(folded[i].rstrip(), folded[i + 1].lstrip()) for i in range(count)]


def blank_form(text, before="", after=""):
    """What the fill-in rule compares of ``text`` written in a blank between ``before`` and ``after``."""
    return _without_context(fold_blank(text), before, after)


def blank_matches(given, alternatives, before="", after=""):
    """Whether ``given`` is one of ``alternatives`` under the fill-in rule (see the module's docstring)."""
    given = blank_form(given, before, after)
    if not given:
        return False
    return any(given == blank_form(a, before, after) for a in alternatives)


def _grade_blanks(answer, response, points, stem=None):
    if isinstance(response, str):
        response = [response]
    if not isinstance(response, (list, tuple)):
        return ZERO
    contexts = blank_contexts(stem, len(answer))
    correct = 0
    for index, alternatives in enumerate(answer):
        given = response[index] if index < len(response) else ""
        before, after = contexts[index]
        if isinstance(given, str) and blank_matches(given, alternatives, before, after):
            correct += 1
    if correct == len(answer):
        return points
    return floor_cents(points * correct / len(answer))
