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
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万]+(?:点[零〇一二两三四五六七八九]+)?")
_PERCENT = re.compile(r"百分之([0-9.]+%?|[零〇一二两三四五六七八九十百千万点]+)")
#: brackets and quotation marks, besides Unicode punctuation, that may surround an answer
_SURROUNDING = "《》〈〉「」『』【】〔〕“”‘’\"'()[]{}"
#: a sign or a decimal point belongs to the number it stands before
_NUMBER_SIGNS = "+-.．"
#: at most this many characters of the stem around a blank may be typed again
_CONTEXT = 6
#: a numeral longer than this is not read as a number (no real answer is)
_LONGEST_NUMERAL = 20


def _section(text):
    """The value of a numeral below 10,000 (十五, 一百零八, 一百八 = 180), or None when it is not one."""
    if not text:
        return 0
    value, digit, unit, after_zero = 0, None, None, False
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row (十一五): not a number
            after_zero = digit == 0
            digit = _CN_DIGITS[ch]
            continue
        place = _CN_UNITS[ch]
        if unit is not None and place >= unit:
            return None  # units must fall (百 after 十 is not a number)
        if digit is None:
            if ch != "十" or value:
                return None  # only 十 may stand without its digit, and only first (十五)
            digit = 1
        value += digit * place
        unit, digit, after_zero = place, None, False
    if digit is not None:
        # a last digit right after a unit is the next lower place (一百八 = 180); after 零 it is units
        value += digit * (unit // 10) if unit and unit > 10 and not after_zero else digit
    return value


def chinese_number(text):
    """The value of a Chinese numeral ("十五" 15, "一百零八" 108, "一百八" 180, "二〇〇五" 2005,
    "三万五千" 35000), or None when ``text`` is not one (a bare unit like "万", "十一五", a word)."""
    if not text or len(text) > _LONGEST_NUMERAL:
        return None
    if any(ch not in _CN_DIGITS and ch not in _CN_UNITS and ch != "万" for ch in text):
        return None
    if text == "十":
        return 10
    if all(ch in _CN_UNITS or ch == "万" for ch in text):
        return None  # a unit alone (万, 百) is a word here, not a number
    if not any(ch in _CN_UNITS or ch == "万" for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))  # digit by digit: 二〇〇五
    high, _, low = text.partition("万")
    if "万" in low:
        return None
    upper = _section(high) if "万" in text else 0
    lower = _section(low if "万" in text else high)
    if upper is None or lower is None or ("万" in text and not high):
        return None
    if "万" in text and low and len(low) == 1 and low in _CN_DIGITS and low != "零":
        lower = _CN_DIGITS[low] * 1000  # 一万五 = 15000
    return upper * 10000 + lower


def _arabic(match):
    whole, _, decimals = match.group(0).partition("点")
    value = chinese_number(whole)
    if value is None:
        return match.group(0)
    if decimals:
        return f"{value}." + "".join(str(_CN_DIGITS[ch]) for ch in decimals)
    return str(value)


def _percent(match):
    number = match.group(1)
    return number if number.endswith("%") else f"{number}%"


def _is_surrounding(text, index):
    ch = text[index]
    if ch == "%":
        return False
    if ch in _NUMBER_SIGNS and index + 1 < len(text) and text[index + 1].isdigit():
        return False  # -15, .5: the sign is part of the number
    return ch in _SURROUNDING or unicodedata.category(ch).startswith("P") or ch.isspace()


def _trim(text):
    start, end = 0, len(text)
    while start < end and _is_surrounding(text, start):
        start += 1
    while end > start and _is_surrounding(text, end - 1) and not (text[end - 1] in _NUMBER_SIGNS and end == start + 1):
        end -= 1
    return text[start:end]


def _numerals(text):
    text = _CN_NUMBER.sub(_arabic, _PERCENT.sub(_percent, text))
    return text


def fold_blank(text):
    """A blank's text as compared: width, case, surrounding spaces and punctuation aside, numerals as digits."""
    return _trim(_numerals(_trim(fold_width(text).casefold())))


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
    # a percentage printed around the blank in the other spelling (百分之____ answered "300%")
    if before.endswith("百分之") and text.endswith("%") and len(text) > 1:
        text = text[:-1]
    if after.startswith(("%", "％")) and text.startswith("百分之") and len(text) > 3:
        text = text[3:]
    return text


def blank_contexts(stem, count):
    """[(text before, text after)] of each blank (width and case folded), or empty texts without a stem."""
    segments = split_stem(stem) if stem else []
    if len(segments) != count + 1:
        return [("", "")] * count
    folded = [fold_width(s).casefold() for s in segments]
    return [(folded[i].rstrip(), folded[i + 1].lstrip()) for i in range(count)]


def blank_form(text, before="", after=""):
    """What the fill-in rule compares of ``text`` written in a blank between ``before`` and ``after``:
    the stem's own words around the blank are taken off first, then numerals are read as numbers."""
    text = _trim(fold_width(text).casefold())
    return _trim(_numerals(_without_context(text, before, after)))


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
