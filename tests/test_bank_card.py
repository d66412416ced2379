"""The question card: what an examinee sees of a question, escaped, with the given answer shown."""

import re

from examapp.bank.card import question_card_html


def _inputs(html):
    return re.findall(r"<input [^>]*>", html)


def test_texts_are_escaped_and_line_breaks_kept():
    html = question_card_html(
        "single",
        '<script>alert(1)</script>\n第二行 & "引号"',
        [("B", "<b>乙</b>"), ("A", "甲")],
        number=3,
        points="1.25",
    )
    assert "<script>" not in html and "&lt;script&gt;" in html and "<br>第二行 &amp; &#34;引号&#34;" in html
    assert "&lt;b&gt;乙&lt;/b&gt;" in html and "<b>" not in html
    assert "第 3 题</strong> · 单选题 · 1.25 分" in html


def test_options_keep_the_shown_order_with_letters_by_position_and_the_chosen_checked():
    html = question_card_html(
        "multiple", "多选", [("C", "丙"), ("A", "甲"), ("B", "乙")], name="q5", disabled=False, chosen=["A", "B"]
    )
    inputs = _inputs(html)
    assert [re.search(r'value="(\w)"', i).group(1) for i in inputs] == ["C", "A", "B"]
    assert ["checked" in i for i in inputs] == [False, True, True]
    assert not any("disabled" in i for i in inputs) and all('type="checkbox"' in i and 'name="q5"' in i for i in inputs)
    assert ">A. 丙</label>" in html and ">B. 甲</label>" in html and "（可选多项）" in html


def test_judge_and_a_preview_are_disabled():
    html = question_card_html("judge", "判断", [], chosen=["F"])
    inputs = _inputs(html)
    assert [("checked" in i, "disabled" in i) for i in inputs] == [(False, True), (True, True)]
    assert ">正确</label>" in html and ">错误</label>" in html


def test_blanks_become_inputs_in_place_with_what_was_written():
    html = question_card_html(
        "blank", "不得低于____，不得高于____。", [], name="q9", disabled=False, chosen=['甲"<', ""]
    )
    assert re.search(r'不得低于<input [^>]*value="甲&#34;&lt;"[^>]*>，不得高于<input [^>]*value=""[^>]*>。', html)
    assert [re.search(r'aria-label="([^"]+)"', i).group(1) for i in _inputs(html)] == ["第 1 空", "第 2 空"]
