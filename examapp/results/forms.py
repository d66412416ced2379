"""Forms of the results pages; every correction needs a written reason, which goes to the audit log."""

from wtforms import BooleanField, HiddenField, IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ..forms import BaseForm, reason_field


def _reason(label="原因（记入操作日志）"):
    return reason_field(label, required=True, required_message="请填写原因（将记入操作日志）", rows=3)


class SealForm(BaseForm):
    confirm = BooleanField("我已核对各单位成绩，确认封存", validators=[DataRequired("请勾选确认")])


class ExcuseForm(BaseForm):
    reason = _reason("批准缺考的原因（如：因公出差，有单位证明）")


class WithdrawExcuseForm(BaseForm):
    reason = _reason("撤销批准的原因")


class RegradeForm(BaseForm):
    version_id = HiddenField()
    key_version_id = HiddenField()
    reason = _reason("重新评分的原因（如：原答案有误，依据……更正）")


class CorrectionDecisionForm(BaseForm):
    """The office confirming or declining a correction that changes a unit's standing."""

    reason = _reason("确认或不同意的理由（记入操作日志）")


class AcceptVariantForm(BaseForm):
    """An exam admin judging one written answer of a blank correct after the sitting."""

    blank = IntegerField(validators=[InputRequired("请选择是第几空"), NumberRange(min=1, message="请选择是第几空")])
    text = HiddenField(validators=[DataRequired("请选择要判为正确的答案")])
    reason = _reason("判为正确的理由（如：与标准答案意思相同，依据……）")
