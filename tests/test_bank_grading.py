"""Grading rules: pure functions of (question version, response) -> Decimal points."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from examapp.bank.grading import MultipleMode, chinese_number, fold_blank, grade, grade_response

PARTIAL = MultipleMode.PARTIAL
D = Decimal


def single(response, answer="B", points=2):
    return grade_response("single", answer, response, points)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("B", D(2)),
        ("b", D(2)),
        (" B ", D(2)),
        ("Ｂ", D(2)),
        (["B"], D(2)),
        ("BB", D(2)),  # a repeated letter is still one choice
        ("C", D(0)),
        ("BC", D(0)),
        ("", D(0)),
        (None, D(0)),
        ("  ", D(0)),
        ([], D(0)),
        ("1", D(0)),
        ("B1", D(0)),
        (3, D(0)),
        ([1], D(0)),
        ("G", D(0)),
    ],
)
def test_single_choice_is_exact(response, expected):
    assert single(response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("T", D(1)),
        ("t", D(1)),
        ("对", D(1)),
        ("正确", D(1)),
        ("√", D(1)),
        (True, D(1)),
        ("F", D(0)),
        ("错", D(0)),
        (False, D(0)),
        ("", D(0)),
        (None, D(0)),
        ("TF", D(0)),
        ("是", D(0)),
    ],
)
def test_judge_is_exact(response, expected):
    assert grade_response("judge", "T", response, 1) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("ACD", D(3)),
        ("DCA", D(3)),
        ("acd", D(3)),
        ("A, C, D", D(3)),
        (["A", "C", "D"], D(3)),
        ("AACD", D(3)),  # duplicates collapse to the same set
        ("AC", D(0)),
        ("A", D(0)),
        ("ACDE", D(0)),
        ("ABCD", D(0)),
        ("", D(0)),
        (None, D(0)),
        ("A1", D(0)),
    ],
)
def test_multiple_all_or_nothing_by_default(response, expected):
    assert grade_response("multiple", "ACD", response, 3) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("ACD", D(3)),
        ("cad", D(3)),
        ("AC", D("1.5")),
        ("A", D("1.5")),
        ("dd", D("1.5")),  # a correct subset earns half
        ("ACE", D(0)),
        ("ABCD", D(0)),
        ("B", D(0)),  # any wrong choice earns zero
        ("", D(0)),
        (None, D(0)),
    ],
)
def test_multiple_partial_mode(response, expected):
    assert grade_response("multiple", "ACD", response, 3, multiple_mode=PARTIAL) == expected


def test_partial_half_is_floored_to_the_cent():
    assert grade_response("multiple", "AB", "A", D("1.25"), multiple_mode=PARTIAL) == D("0.62")


def blank(response, answer=None, points=2):
    answer = answer if answer is not None else [["4", "四"], ["24", "二十四"]]
    return grade_response("blank", answer, response, points)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (["4", "24"], D(2)),
        (["四", "二十四"], D(2)),
        (["４", "２４"], D(2)),  # full-width digits
        ([" 4 ", "\u300024\u3000"], D(2)),  # surrounding (also full-width) spaces
        (["4", "25"], D("1.00")),
        (["5", "24"], D("1.00")),  # per blank
        (["4"], D("1.00")),  # a missing blank earns nothing for that blank
        (["4", "24", "99"], D(2)),  # extra blanks are ignored
        (["", ""], D(0)),
        ([], D(0)),
        (None, D(0)),
        ({"a": 1}, D(0)),
        ([4, 24], D(0)),
        (["24", "4"], D(0)),  # order matters: each blank has its own answer
    ],
)
def test_blanks_per_blank_after_normalising(response, expected):
    assert blank(response) == expected


def test_blank_letter_case_and_width():
    answer = [["GDP", "国内生产总值"]]
    assert grade_response("blank", answer, ["gdp"], 1) == D(1)
    assert grade_response("blank", answer, ["ＧＤＰ"], 1) == D(1)
    assert grade_response("blank", answer, "国内生产总值", 1) == D(1)  # one blank may come as a string
    assert grade_response("blank", answer, ["G D P"], 1) == D(0)  # inner spaces are not ignored


def test_blank_shares_are_floored_and_never_exceed_the_points():
    answer = [["a"], ["b"], ["c"]]
    assert grade_response("blank", answer, ["a", "x", "x"], 2) == D("0.66")
    assert grade_response("blank", answer, ["a", "b", "x"], 2) == D("1.33")
    assert grade_response("blank", answer, ["a", "b", "c"], 2) == D(2)


def test_points_may_be_given_as_int_or_string_and_the_result_is_decimal():
    assert isinstance(single("B", points=2), Decimal)
    assert single("B", points="2.5") == D("2.5")
    assert isinstance(single("C"), Decimal)


@pytest.mark.parametrize("points", [-1, "NaN", float("inf")])
def test_bad_points_are_refused(points):
    with pytest.raises(ValueError):
        single("B", points=points)


def test_unknown_type_and_mode_are_refused():
    with pytest.raises(ValueError):
        grade_response("essay", "B", "B", 1)
    with pytest.raises(ValueError):
        grade_response("multiple", "AB", "AB", 1, multiple_mode="generous")


def test_grade_takes_any_version_like_object():
    version = SimpleNamespace(qtype="multiple", answer="AB")
    assert grade(version, ["B", "A"], 4) == D(4)
    assert grade(version, "A", 4, multiple_mode=PARTIAL) == D(2)


# --- the fill-in rule at its edges (docs/grading.md) ------------------------------------------------

STEM = "失业人员名单应当在____日内报告，缴费比例为____%，依据本法第____条；对象为____。"
KEY = [["15"], ["150"], ["五十"], ["离退休人员"]]


@pytest.mark.parametrize(
    "response, right",
    [
        (["15", "150", "50", "离退休人员"], 4),
        (["十五", "１５０", "五十", " 离退休人员 "], 4),  # numerals, width, spaces
        (["15日", "150%", "第五十条", "“离退休人员”"], 4),  # the stem's own unit typed again; quotes
        (["十五日内", "百分之一百五十", "第50条", "《离退休人员》"], 4),
        (["16", "150", "50", "离退休人员"], 3),  # a different number stays wrong
        (["15", "15", "50", "退休人员"], 2),  # a different word stays wrong
        (["日", "%", "条", "。"], 0),  # the unit alone is not an answer
        (["15天", "150", "50", "离退休人员"], 3),  # a unit the stem does not print is not folded away
        (["", "", "", ""], 0),
    ],
)
def test_the_fill_in_rule(response, right):
    points = grade_response("blank", KEY, response, 4, stem=STEM)
    assert points == D(right)


def test_the_rule_applies_to_the_key_too():
    """A key written with the unit the stem prints ("150%" before a printed "%") accepts the bare number."""
    stem = "养老保险缴费比例不得超过____%。"
    assert grade_response("blank", [["150%"]], ["150"], 1, stem=stem) == D(1)
    assert grade_response("blank", [["150%"]], ["150%"], 1, stem=stem) == D(1)
    assert grade_response("blank", [["150%"]], ["1.5"], 1, stem=stem) == D(0)


def test_grade_passes_the_stem_of_a_version():
    version = SimpleNamespace(qtype="blank", answer=[["30"]], stem="应当自用工之日起____日内办理登记。")
    assert grade(version, ["30日"], 1) == D(1)
    assert grade_response("blank", [["30"]], ["30日"], 1) == D(0)  # without the stem, "日" is not known


@pytest.mark.parametrize(
    "text, value",
    [
        ("十", 10),
        ("十五", 15),
        ("二十四", 24),
        ("一百零八", 108),
        ("两千零五十", 2050),
        ("二〇〇五", 2005),
        ("三万五千", 35000),
    ],
)
def test_chinese_numerals(text, value):
    assert chinese_number(text) == value


def test_not_a_numeral():
    assert chinese_number("十五日") is None
    assert chinese_number("") is None
    assert fold_blank("《中华人民共和国劳动法》") == "中华人民共和国劳动法"
    assert fold_blank("15%") == "15%"  # a percent sign is part of the answer, not punctuation around it


@pytest.mark.parametrize(
    "key, answer, stem, right",
    [
        # a unit alone is not a number: "2万" is not 20, "5千" not 5
        (["20", "二十"], "2万", "不超过____日", False),
        (["5"], "5千", "____元", False),
        # the stem's printed unit is taken off before numerals are read: 一万 in "____万元" is 一
        (["1", "一"], "一万", "处____万元的罚款。", True),
        (["1", "一"], "1", "处____万元的罚款。", True),
        (["1", "一"], "10", "处____万元的罚款。", False),
        (["1", "一"], "十", "处____万元的罚款。", False),
        # two digits in a row after a unit are not a number
        (["15", "十五"], "十一五", "____日", False),
        # the colloquial last digit: 一百八 is 180
        (["180"], "一百八", "____天", True),
        (["108"], "一百八", "____天", False),
        (["108"], "一百零八", "____天", True),
        # a sign or a decimal point belongs to the number
        (["15"], "-15", "____日", False),
        (["5"], ".5", "____倍", False),
        (["0.5"], "零点五", "____倍", True),
        # a percentage printed before the blank in the other spelling
        (["300", "三百"], "300%", "支付不低于工资的百分之____的工资报酬", True),
        (["300", "三百"], "百分之三百", "支付不低于工资的百分之____的工资报酬", True),
        (["300", "三百"], "200%", "支付不低于工资的百分之____的工资报酬", False),
        (["10"], "十", "____日", True),
    ],
)
def test_numbers_at_the_edges(key, answer, stem, right):
    assert (grade_response("blank", [key], [answer], 1, stem=stem) == D(1)) is right


def test_a_numeral_too_long_to_be_an_answer_is_text():
    assert chinese_number("一" * 25) is None
    assert grade_response("blank", [["1"]], ["一" * 5000], 1) == D(0)
