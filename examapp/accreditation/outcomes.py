"""What each of the four checks says about a unit, in one shape, for the record page and the decision."""

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ..cycles.models import RecordStatus
from ..results.scores import Verdict

#: the exam's verdict on a record in the results page's words, so that one outcome reads the same
#: everywhere ("取消验收资格", never "不合格")
EXAM_VERDICT_LABELS = {
    RecordStatus.EXAM_PASSED: Verdict.LABELS[Verdict.PASSED],
    RecordStatus.DISQUALIFIED: Verdict.LABELS[Verdict.DISQUALIFIED],
    RecordStatus.NO_RESULT: Verdict.LABELS[Verdict.NO_RESULT],
}
#: a record whose exam results are not sealed yet
EXAM_NOT_SEALED = "成绩尚未封存"


def exam_verdict_label(status):
    """The exam's verdict on a record (``RecordStatus.*`` or None) as the results page says it."""
    return EXAM_VERDICT_LABELS.get(status, EXAM_NOT_SEALED)


@dataclass(frozen=True)
class CheckOutcome:
    #: "一听" / "二看" / "三查" / "四考试"
    name: str
    #: True passed, False failed, None not done / not judged yet
    passed: bool | None
    #: one line for the record page ("满意率 93.50%（≥ 90%）")
    summary: str
    #: why it failed (or is not complete), each in a sentence; empty when passed
    reasons: list[str] = field(default_factory=list)
    #: where its evidence is (a URL), or None
    url: str | None = None


def floor_rate(rate):
    """A rate (Fraction, Decimal or int) floored to six places, as the checks store it."""
    exact = Fraction(rate)
    return Decimal(exact.numerator * 10**6 // exact.denominator).scaleb(-6).quantize(Decimal("0.000001"))


def percent_shown(rate):
    """A rate as a percent floored to two decimals (never rounded up across a pass line):
    0.93548… -> "93.54%", 0.99999 -> "99.99%"; None -> "—"."""
    if rate is None:
        return "—"
    exact = Fraction(rate)
    hundredths = exact.numerator * 10000 // exact.denominator
    return f"{hundredths // 100}.{hundredths % 100:02d}%"
