"""Corrections made from the monitor; each needs a written reason, which goes to the audit log."""

from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..forms import BaseForm, reason_field

#: the range the sitting service accepts for one grant
MAX_EXTRA_MINUTES = 240


def _reason():
    return reason_field("原因（记入操作日志）", required=True, required_message="请填写原因（将记入操作日志）", rows=3)


class ExtraTimeForm(BaseForm):
    minutes = IntegerField(
        "延长分钟数",
        validators=[
            InputRequired("请填写延长的分钟数"),
            NumberRange(1, MAX_EXTRA_MINUTES, f"延长时间应为 1 到 {MAX_EXTRA_MINUTES} 分钟"),
        ],
    )
    reason = _reason()


class ReopenForm(BaseForm):
    extra_minutes = IntegerField(
        "同时延长分钟数（可不填）",
        validators=[Optional(), NumberRange(0, MAX_EXTRA_MINUTES, f"延长时间应为 0 到 {MAX_EXTRA_MINUTES} 分钟")],
    )
    reason = _reason()


class VoidForm(BaseForm):
    reason = _reason()


class ForceSubmitForm(BaseForm):
    reason = _reason()
