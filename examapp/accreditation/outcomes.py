"""What each of the four checks says about a unit, in one shape, for the record page and the decision."""

from dataclasses import dataclass, field


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
