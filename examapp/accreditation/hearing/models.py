"""一听 (hearing): the unit's report, and residents' satisfaction by survey or public questionnaire."""

from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ... import access
from ...audit.labels import register_value_labels
from ...clock import utcnow
from ...db_types import UTCDateTime
from ...errors import DomainError
from ...extensions import db
from ...models_base import TimestampMixin


class SatisfactionSource:
    SURVEY = "survey"  # the team's own survey, entered as counts
    QUESTIONNAIRE = "questionnaire"  # residents' answers on the public link / QR code

    LABELS = {SURVEY: "入户/现场调查", QUESTIONNAIRE: "居民扫码问卷"}


class Answer:
    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"

    LABELS = {SATISFIED: "满意", BASIC: "基本满意", DISSATISFIED: "不满意"}


class Hearing(TimestampMixin, db.Model):
    """The hearing of one unit in one cycle (one per record)."""

    __tablename__ = "hearings"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("accreditation_records.id"), nullable=False, unique=True)
    #: the unit's report on its work (汇报): when it was heard and what it said
    report_date: Mapped[object | None] = mapped_column(Date)
    report_summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(String(16), nullable=False, default=SatisfactionSource.SURVEY)
    #: the survey's counts (source survey); for a questionnaire they are counted from the responses
    asked: Mapped[int | None] = mapped_column(Integer)
    satisfied: Mapped[int | None] = mapped_column(Integer)
    basically_satisfied: Mapped[int | None] = mapped_column(Integer)
    dissatisfied: Mapped[int | None] = mapped_column(Integer)
    #: (satisfied + basically satisfied) / asked, exact to 6 places (floored); None until counted
    satisfaction_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    #: the public questionnaire: its link's secret token, and whether it takes answers
    questionnaire_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    questionnaire_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    record = relationship("AccreditationRecord")
    recorded_by = relationship("User")

    @property
    def district_id(self):
        return self.record.district_id

    @property
    def is_recorded(self):
        """The team has recorded the satisfaction (and so a judgement); a hearing row may exist
        before that, holding only an opened questionnaire."""
        return self.satisfaction_rate is not None

    @property
    def source_label(self):
        return SatisfactionSource.LABELS.get(self.source, self.source)

    @property
    def questionnaire_state(self):
        """Where the questionnaire stands: "none" (never opened), "open" or "closed"."""
        if self.questionnaire_token is None:
            return "none"
        return "open" if self.questionnaire_open else "closed"

    def open_questionnaire(self, token):
        """Take answers on the public link; the first opening gives the link its secret token,
        a reopening keeps it (printed QR codes keep working)."""
        if self.questionnaire_open:
            raise DomainError("问卷已在收集中")
        if self.questionnaire_token is None:
            self.questionnaire_token = token
        self.questionnaire_open = True

    def close_questionnaire(self):
        if not self.questionnaire_open:
            raise DomainError("问卷未开启，无需关闭")
        self.questionnaire_open = False


class QuestionnaireResponse(db.Model):
    """One resident's answer on the public questionnaire: one per device, no login."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        UniqueConstraint("hearing_id", "device_key", name="uq_questionnaire_responses_hearing_id_device_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id", ondelete="CASCADE"), nullable=False, index=True)
    answer: Mapped[str] = mapped_column(String(16), nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: a keyed hash of the device's cookie (the raw value is never stored)
    device_key: Mapped[str] = mapped_column(String(64), nullable=False)
    address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    hearing = relationship("Hearing")


register_value_labels("hearing", "source", SatisfactionSource.LABELS)


@access.object_rule(Hearing)
def _hearing_rule(user, permission, obj):
    # a hearing, like the record it belongs to, is reached through its district
    return access.district_in_scope(user, obj.district_id)
