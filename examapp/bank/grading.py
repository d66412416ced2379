"""Grading: pure functions of (question version, response) -> points, as Decimal.

No database, no request: the sitting package calls ``grade`` with the exact
version an examinee was shown, so a later edit never changes a grade.

Responses are what the exam page sends:

- 单选 / 多选: a string of letters (``"B"``, ``"ACD"``) or a list of letters;
- 判断: ``"T"`` / ``"F"`` (any spelling the importer accepts works too);
- 填空: a list of strings, one per blank, in order.

Anything malformed earns zero rather than raising: a response is the
examinee's, and a bad one is simply not correct.
"""

from decimal import ROUND_DOWN, Decimal

from .content import QType, fold_width, judge_value, letters_of


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
    """Points earned by ``response`` on ``version`` (anything with ``qtype`` and ``answer``)."""
    return grade_response(version.qtype, version.answer, response, points, multiple_mode=multiple_mode)


def grade_response(qtype, answer, response, points, *, multiple_mode=MultipleMode.ALL_OR_NOTHING):
    points = _as_points(points)
    if qtype == QType.SINGLE:
        return points if _choice_letters(response) == {answer} else ZERO
    if qtype == QType.JUDGE:
        return points if judge_value(response) == answer else ZERO
    if qtype == QType.MULTIPLE:
        return _grade_multiple(set(answer), _choice_letters(response), points, multiple_mode)
    if qtype == QType.BLANK:
        return _grade_blanks(answer, response, points)
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
    """Half-width, no surrounding spaces, lower case: how a blank's response is compared."""
    return fold_width(text).strip().casefold()


def blank_matches(given, alternatives):
    given = normalise_blank(given)
    if not given:
        return False
    return any(given == normalise_blank(a) for a in alternatives)


def _grade_blanks(answer, response, points):
    if isinstance(response, str):
        response = [response]
    if not isinstance(response, (list, tuple)):
        return ZERO
    correct = 0
    for index, alternatives in enumerate(answer):
        given = response[index] if index < len(response) else ""
        if isinstance(given, str) and blank_matches(given, alternatives):
            correct += 1
    if correct == len(answer):
        return points
    return floor_cents(points * correct / len(answer))
