"""Answers as people write them, and the checks every question passes (import and form alike)."""

import pytest

from examapp.bank.content import (
    QType,
    QuestionData,
    check_question,
    collect_options,
    format_answer,
    parse_answer,
    stem_key,
)


@pytest.mark.parametrize(
    ("qtype", "text", "options", "expected"),
    [
        ("single", "b", 4, "B"),
        ("single", " Ｂ ", 4, "B"),
        ("multiple", "dca", 4, "ACD"),
        ("multiple", "A,C、D", 4, "ACD"),
        ("multiple", "A C", 4, "AC"),
        ("multiple", "ABCDEF", 6, "ABCDEF"),
        ("judge", "对", None, "T"),
        ("judge", "正确", None, "T"),
        ("judge", "√", None, "T"),
        ("judge", "t", None, "T"),
        ("judge", "错", None, "F"),
        ("judge", "错误", None, "F"),
        ("judge", "×", None, "F"),
        ("judge", "F", None, "F"),
        ("blank", "4;四|24;二十四", None, [["4", "四"], ["24", "二十四"]]),
        ("blank", "4；四｜24", None, [["4", "四"], ["24"]]),  # full-width separators
        ("blank", " 4 ;; 四 ;4", None, [["4", "四"]]),  # empty and repeated alternatives dropped
    ],
)
def test_parse_answer(qtype, text, options, expected):
    assert parse_answer(qtype, text, options) == (expected, None)


@pytest.mark.parametrize(
    ("qtype", "text", "options", "fragment"),
    [
        ("single", "", 4, "不能为空"),
        ("single", "E", 4, "超出了选项范围（本题只有 A–D）"),
        ("single", "AB", 4, "只能有一个答案"),
        ("single", "1", 4, "应为选项字母"),
        ("multiple", "A", 4, "至少要有两个"),
        ("multiple", "AAC", 4, "重复"),
        ("multiple", "ACF", 4, "超出了选项范围"),
        ("judge", "是", None, "无法识别"),
        ("blank", "|24", None, "第 1 空没有答案"),
        ("blank", "4|;", None, "第 2 空没有答案"),
    ],
)
def test_parse_answer_problems(qtype, text, options, fragment):
    answer, problem = parse_answer(qtype, text, options)
    assert answer is None and fragment in problem


@pytest.mark.parametrize(
    ("qtype", "answer", "text"),
    [
        ("single", "B", "B"),
        ("multiple", "ACD", "ACD"),
        ("judge", "T", "对"),
        ("judge", "F", "错"),
        ("blank", [["4", "四"], ["24"]], "4;四|24"),
    ],
)
def test_format_answer_inverts_parse(qtype, answer, text):
    assert format_answer(qtype, answer) == text
    assert parse_answer(qtype, text, 4)[0] == answer


def test_an_empty_option_ends_the_list():
    assert collect_options(["a", "b", "", "", "", ""]) == (["a", "b"], [])
    options, problems = collect_options(["a", "", "c", "", "", ""])
    assert options == ["a"] and problems[0][0] == 2 and "选项B是空的" in problems[0][1]


def test_stem_key_ignores_width_case_and_spaces():
    assert stem_key("下列 说法（  ）ABC") == stem_key("下列说法()abc")
    assert stem_key("每日不超过___小时") == stem_key("每日不超过______小时")


def data(**overrides):
    values = {
        "qtype": QType.SINGLE,
        "stem": "题干（  ）",
        "options": ["甲", "乙"],
        "answer": "A",
        "source": "某法第一条",
        "difficulty": "easy",
    }
    values.update(overrides)
    return QuestionData(**values)


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"qtype": "essay"}, "qtype", "题型无效"),
        ({"stem": ""}, "stem", "题干不能为空"),
        ({"stem": "长" * 2001}, "stem", "不能超过"),
        ({"source": ""}, "source", "依据"),
        ({"difficulty": "hardest"}, "difficulty", "难度无效"),
        ({"options": ["甲"]}, "options", "至少要有两个选项"),
        ({"options": ["甲", " 甲"]}, "option_B", "与选项A相同"),
        ({"options": list("甲乙丙丁戊己庚")}, "options", "最多 6 个"),
        ({"answer": "C"}, "answer", "超出了选项范围"),
        ({"qtype": "multiple", "answer": "A"}, "answer", "至少要有两个"),
        ({"qtype": "judge", "options": ["甲"], "answer": "T"}, "options", "不需要填写选项"),
        ({"qtype": "judge", "options": [], "answer": None}, "answer", "对 或 错"),
        ({"qtype": "blank", "options": [], "stem": "没有空", "answer": [["a"]]}, "stem", "没有空"),
        (
            {"qtype": "blank", "options": [], "stem": "a____b____", "answer": [["a"]]},
            "answer",
            "题干有 2 个空，答案却有 1 个",
        ),
        ({"qtype": "blank", "options": [], "stem": "a____", "answer": [["x|y"]]}, "answer", "不能含有"),
    ],
)
def test_check_question(overrides, field, fragment):
    problems = check_question(data(**overrides))
    assert any(f == field and fragment in message for f, message in problems), problems


def test_a_complete_question_has_no_problems():
    assert check_question(data()) == []
    assert check_question(data(qtype="blank", options=[], stem="a____b____", answer=[["1"], ["2", "二"]])) == []
