"""A probability in the words an office reads, and the strength and level it gives a finding.

One function, ``weigh(p)``, turns a finding's (corrected) probability into everything the
pages say about it, so the level badge and the sentence never disagree: 0.0002 reads
"约五千分之一" and is 中 (below the 0.1% flagging line), 9.1e-07 reads "约百万分之一" and is 高.
"""

import math
from dataclasses import dataclass

from .models import Level

#: the strength of a finding is capped here (p below 1e-30 says nothing more)
MAX_STRENGTH = 30.0
#: below one in this many, the words stop counting ("不到一万亿分之一")
SMALLEST_SHOWN = 10**12

_DIGITS = "零一二三四五六七八九"
#: 10**k -> its name in a fraction's denominator ("五千分之一", "百万分之一")
_POWERS = {
    0: "",
    1: "十",
    2: "百",
    3: "千",
    4: "万",
    5: "十万",
    6: "百万",
    7: "千万",
    8: "亿",
    9: "十亿",
    10: "百亿",
    11: "千亿",
    12: "万亿",
}


@dataclass(frozen=True)
class Weight:
    #: the (corrected) probability under independent answering
    p: float
    #: -log10(p), capped: what the findings are sorted by
    strength: float
    #: Level.HIGH / MEDIUM / LOW
    level: str
    #: the chance in words: "约五千分之一"
    chance: str

    @property
    def level_label(self):
        return Level.LABELS[self.level]


def strength_of(p):
    """-log10 of a probability, capped at ``MAX_STRENGTH`` (0 and below give the cap)."""
    if p <= 0:
        return MAX_STRENGTH
    return float(min(MAX_STRENGTH, max(0.0, -math.log10(p))))


def _count_name(number):
    """A round number d·10^k (1 <= d <= 9, k <= 12) as a fraction's denominator: 5000 -> 五千,
    10**6 -> 百万, 10**8 -> 一亿."""
    power = len(str(number)) - 1
    digit = number // 10**power
    if power == 0:
        return _DIGITS[digit]
    # 千分之一, 百万分之一; but 一亿分之一, 一万亿分之一 (a bare 亿 reads oddly)
    lead = _DIGITS[digit] if digit != 1 or power in (8, 12) else ""
    return lead + _POWERS[power]


def chance_words(p):
    """A probability as an office reads it.

    1 -> "必然出现", 0.7 -> "约百分之七十", 0.5 -> "约二分之一", 0.0002 -> "约五千分之一",
    9.1e-07 -> "约百万分之一", 1e-12 -> "约一万亿分之一", smaller (or 0) -> "不到一万亿分之一".
    One in N is rounded to one significant figure.
    """
    if p is None or math.isnan(p):
        return "—"
    if p >= 1:
        return "必然出现"
    if p > 0.5:
        percent = min(99, round(p * 100))
        return f"约百分之{_tens(percent)}"
    if p <= 0:
        return "不到一万亿分之一"
    one_in = 1 / p
    power = int(math.floor(math.log10(one_in)))
    digit = round(one_in / 10**power)
    if digit >= 10:
        digit, power = 1, power + 1
    number = digit * 10**power
    if number > SMALLEST_SHOWN:
        return "不到一万亿分之一"
    return f"约{_count_name(number)}分之一"


def _tens(number):
    """51..99 in Chinese numerals: 70 -> 七十, 85 -> 八十五."""
    tens, ones = divmod(number, 10)
    return _DIGITS[tens] + "十" + (_DIGITS[ones] if ones else "")


def weigh(p):
    """Everything a page says about a finding of probability ``p``: strength, level, words."""
    strength = strength_of(p)
    return Weight(p=p, strength=strength, level=Level.of(strength), chance=chance_words(p))
