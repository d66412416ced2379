"""The 填空 answer box: one line per blank, as its help says, and its errors say the same."""

import pytest

from examapp.bank.forms import BLANKS_HELP, BLANKS_RULE, QuestionForm


@pytest.fixture
def form(app):
    with app.test_request_context():
        yield QuestionForm(meta={"csrf": False})


def _answer(form, stem, blanks):
    form.qtype.data, form.stem.data, form.blanks.data = "blank", stem, blanks
    data, problems = form.to_data()
    return data.answer, problems


def test_one_line_per_blank_with_alternatives(form):
    answer, problems = _answer(form, "共____项，其中____项", "4;四\r\n24;二十四\n\n")
    assert problems == [] and answer == [["4", "四"], ["24", "二十四"]]


def test_the_import_format_pasted_on_one_line_is_read_as_lines(form):
    answer, problems = _answer(form, "共____项，其中____项", "4;四|24；二十四")
    assert problems == [] and answer == [["4", "四"], ["24", "二十四"]]


def test_a_missing_line_is_explained_in_the_words_of_the_help(form):
    _answer_, problems = _answer(form, "共____项，其中____项", "4;四")
    assert problems == [("answer", f"题干有 2 个空，答案却有 1 个（{BLANKS_RULE}）")]
    assert BLANKS_HELP.startswith(BLANKS_RULE) and "|" not in problems[0][1] and "|" not in BLANKS_HELP
