"""A probability in an office's words, and the strength and level that go with it (one function)."""

import pytest

from examapp.accreditation.links import only_this_computer
from examapp.integrity.chance import chance_words, strength_of, weigh
from examapp.integrity.models import Level


@pytest.mark.parametrize(
    "p, words",
    [
        (1, "必然出现"),
        (1.0000001, "必然出现"),
        (0.7, "约百分之七十"),
        (0.999, "约百分之九十九"),
        (0.5, "约二分之一"),
        (0.3, "约三分之一"),
        (0.1, "约十分之一"),
        (0.0002, "约五千分之一"),
        (2.1e-06, "约五十万分之一"),
        (9.1e-07, "约百万分之一"),
        (7.7e-09, "约一亿分之一"),
        (1e-12, "约一万亿分之一"),
        (4e-13, "不到一万亿分之一"),
        (1e-300, "不到一万亿分之一"),
        (0, "不到一万亿分之一"),
        (None, "—"),
    ],
)
def test_chance_words(p, words):
    assert chance_words(p) == words


def test_no_scientific_notation_ever():
    for exponent in range(0, 40):
        for mantissa in (1, 2.5, 9.99):
            text = chance_words(mantissa * 10**-exponent)
            assert "e" not in text and "E" not in text and "." not in text


@pytest.mark.parametrize(
    "p, strength, level",
    [
        (1, 0.0, Level.LOW),
        (0.5, 0.30103, Level.LOW),
        (0.001, 3.0, Level.MEDIUM),  # the flagging line itself
        (0.0002, 3.69897, Level.MEDIUM),  # 约五千分之一 is not 低
        (1e-06, 6.0, Level.HIGH),
        (9.1e-07, 6.04096, Level.HIGH),  # 约百万分之一
        (1e-12, 12.0, Level.HIGH),
        (0, 30.0, Level.HIGH),
    ],
)
def test_weigh_gives_strength_level_and_words_from_one_probability(p, strength, level):
    weight = weigh(p)
    assert weight.strength == pytest.approx(strength, abs=1e-5) == strength_of(p)
    assert weight.level == level and weight.level_label == Level.LABELS[level]
    assert weight.chance == chance_words(p)


def test_every_flagged_probability_is_at_least_medium():
    # a finding is flagged below 0.001 (Settings.alpha): its words say 千分之一 or rarer, so never 低
    for p in (0.00099, 0.0005, 0.0002, 0.0001, 1e-5):
        assert weigh(p).level != Level.LOW


@pytest.mark.parametrize(
    "url, local",
    [
        ("http://127.0.0.1:5000/q/abc", True),
        ("http://127.1.2.3/q/abc", True),
        ("http://localhost/q/abc", True),
        ("http://[::1]:8000/q/abc", True),
        ("http://10.1.2.3/q/abc", False),
        ("https://example.gov.cn/q/abc", False),
        ("", False),
        (None, False),
    ],
)
def test_a_link_to_this_computer_is_recognised(url, local):
    assert only_this_computer(url) is local


def test_the_planted_findings_say_their_chance_and_level_from_the_same_probability():
    from examapp.integrity.analysis import Settings, analyse
    from examapp.integrity.models import FindingKind

    from .integrity_factories import DB_PLAN, simulate, to_sitting

    drafts, _stats = analyse(to_sitting(simulate(**DB_PLAN)), Settings())
    by_chance = [d for d in drafts if d.kind in (FindingKind.COPYING, FindingKind.UNIT)]
    assert by_chance
    for draft in by_chance:
        weight = weigh(draft.evidence["p_adjusted"])
        assert draft.strength == weight.strength and draft.level == weight.level
        assert weight.chance in draft.summary
        assert "e-" not in draft.summary and "概率" not in draft.summary
        assert draft.level != Level.LOW  # flagged below one in a thousand
