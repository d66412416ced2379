"""Forms of the findings pages."""

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm
from .services import MAX_NOTE_LENGTH


class ReviewForm(BaseForm):
    note = TextAreaField(
        "复核意见（记入操作日志）",
        validators=[DataRequired("请填写复核意见（将记入操作日志）"), Length(max=MAX_NOTE_LENGTH)],
    )


class ComputeForm(BaseForm):
    """Only the CSRF token: recomputing takes no input."""
