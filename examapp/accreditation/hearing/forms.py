"""Forms of 一听: the team's record of the hearing, and the residents' public questionnaire."""

from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ...errors import DomainError
from ...forms import BaseForm, reason_field
from .models import Answer, SatisfactionSource
from .services import (
    COUNT_LABELS,
    MAX_COMMENT_LENGTH,
    MAX_COUNT,
    MAX_SUMMARY_LENGTH,
    QUESTION,
    validate_counts,
)

COUNT_FIELDS = tuple(COUNT_LABELS)


def _count(field):
    label = COUNT_LABELS[field]
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(0, MAX_COUNT, f"{label}应为 0 到 {MAX_COUNT} 之间的整数")],
        render_kw={"min": 0, "max": MAX_COUNT, "inputmode": "numeric"},
    )


class HearingForm(BaseForm):
    report_date = DateField("汇报日期", validators=[InputRequired("请填写汇报日期")])
    report_summary = TextAreaField(
        "汇报要点",
        validators=[
            DataRequired("请填写汇报要点"),
            Length(max=MAX_SUMMARY_LENGTH, message=f"汇报要点不能超过 {MAX_SUMMARY_LENGTH} 字"),
        ],
        render_kw={"rows": 5, "maxlength": MAX_SUMMARY_LENGTH},
    )
    source = RadioField(
        "居民满意度来源",
        choices=[SelectChoice(k, v) for k, v in SatisfactionSource.LABELS.items()],
        default=SatisfactionSource.SURVEY,
        validators=[InputRequired("请选择居民满意度来源")],
    )
    asked = _count("asked")
    satisfied = _count("satisfied")
    basically_satisfied = _count("basically_satisfied")
    dissatisfied = _count("dissatisfied")
    reason = reason_field("修改原因（修改已记录的一听时必填，记入验收记录和操作日志）")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.source.data != SatisfactionSource.SURVEY:
            return valid  # the questionnaire's counts come from the responses
        if any(getattr(self, name).errors for name in COUNT_FIELDS):
            return False
        try:
            validate_counts(*(getattr(self, name).data for name in COUNT_FIELDS))
        except DomainError as exc:
            getattr(self, exc.field).errors.append(exc.message)
            return False
        return valid

    def counts(self):
        return tuple(getattr(self, name).data for name in COUNT_FIELDS)


class QuestionnaireForm(BaseForm):
    answer = RadioField(
        QUESTION,
        choices=[SelectChoice(k, v) for k, v in Answer.LABELS.items()],
        validators=[InputRequired("请选择满意、基本满意或不满意")],
    )
    comment = TextAreaField(
        "意见和建议（可不填）",
        validators=[
            Optional(),
            Length(max=MAX_COMMENT_LENGTH, message=f"意见和建议不能超过 {MAX_COMMENT_LENGTH} 字"),
        ],
        render_kw={"rows": 3, "maxlength": MAX_COMMENT_LENGTH},
    )


class QuestionnaireSwitchForm(BaseForm):
    """Opening or closing the questionnaire: nothing but the CSRF token."""
