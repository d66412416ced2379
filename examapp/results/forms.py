"""Forms of the results pages; every correction needs a written reason, which goes to the audit log."""

from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm


def _reason(label="原因（记入操作日志）"):
    return TextAreaField(label, validators=[DataRequired("请填写原因（将记入操作日志）"), Length(max=500)])


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
