"""Forms of the decision and of a cycle's settings; every change needs words that go on the record."""

from decimal import Decimal

from wtforms import DateField, DecimalField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation, ValidationError

from ...cycles.models import Decision
from ...forms import BaseForm, reason_field
from .services import MAX_COMMENT_LENGTH

DECISION_CHOICES = [SelectChoice(value, label) for value, label in Decision.LABELS.items()]


def _comment():
    return TextAreaField(
        "意见（写入验收记录）",
        validators=[
            DataRequired("请填写意见"),
            Length(max=MAX_COMMENT_LENGTH, message=f"意见不能超过 {MAX_COMMENT_LENGTH} 个字"),
        ],
    )


class DecisionForm(BaseForm):
    decision = RadioField(
        "验收决定",
        choices=DECISION_CHOICES,
        validators=[InputRequired("请选择验收决定")],
        validate_choice=False,  # the service names the choices in its own message
    )
    comment = _comment()


class ChangeDecisionForm(DecisionForm):
    reason = reason_field("变更原因（写入验收记录和操作日志）", required=True)


# --- a cycle's settings --------------------------------------------------------------------------


def places(count, what):
    """At most ``count`` decimal places: nothing the database would round away silently."""

    def check(form, field):
        if field.data is not None and -field.data.as_tuple().exponent > count:
            raise ValidationError(f"{what}最多保留 {count} 位小数" if count else f"{what}应为整数")

    return check


def _readable(form, field):
    """Stop at an unreadable number: its own message says so, a range message would only repeat it."""
    if field.data is None and field.raw_data and field.raw_data[0].strip():
        raise StopValidation()


def _what(label):
    """The label without its unit: "街道（乡镇）文件柜（个）" -> "街道（乡镇）档案柜"."""
    return label.rsplit("（", 1)[0] if label.endswith("）") else label


def _decimal(label, low, high, digits, unit=""):
    what = _what(label)
    return DecimalField(
        label,
        places=None,  # shown as stored, never rounded for display
        validators=[
            InputRequired(f"请填写{what}"),
            _readable,
            NumberRange(Decimal(low), Decimal(high), f"{what}应在 {low} 到 {high}{unit}之间".replace("%", "%%")),
            places(digits, what),
        ],
    )


def _count(label, high=99):
    what = _what(label)
    return IntegerField(
        label,
        validators=[
            InputRequired(f"请填写{what}"),
            _readable,
            NumberRange(1, high, f"{what}应为 1 到 {high} 之间的整数"),
        ],
    )


class CycleSettingsForm(BaseForm):
    name = StringField(
        "年度名称", validators=[DataRequired("请填写年度名称"), Length(max=100, message="年度名称不能超过 100 个字")]
    )
    threshold = _decimal("考试合格线（分）", "0", "100", 2, " 分")
    recommendation_share = _decimal("推荐比例（%）", "0.1", "100", 1, "%")
    materials_deadline = DateField("申报材料截止日", validators=[InputRequired("请填写申报材料截止日")])
    satisfaction_required = _decimal("居民满意率要求（%）", "0.1", "100", 1, "%")
    sample_share = _decimal("三查抽查比例（%）", "0.1", "100", 1, "%")
    completion_required = _decimal("目标完成率要求（%）", "0.01", "200", 2, "%")
    street_hall_area = _decimal("街道（乡镇）办事大厅面积（m²）", "1", "10000", 1, " m²")
    community_office_area = _decimal("社区单独办公用房面积（m²）", "1", "10000", 1, " m²")
    street_computers = _count("街道（乡镇）劳动保障专用电脑（台）")
    community_computers = _count("社区劳动保障专用电脑（台）")
    street_cabinets = _count("街道（乡镇）文件柜（个）")
    community_cabinets = _count("社区文件柜（个）")
    phones = _count("办公电话（部）")
    community_staff = _count("社区专职工作人员（人）")
    reason = reason_field("修改原因（记入操作日志）", required=True)


class CycleCreateForm(BaseForm):
    year = IntegerField("年度", validators=[InputRequired("请填写年度")])
