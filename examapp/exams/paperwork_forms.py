"""Forms of the paperwork pages: issuing first-login passwords, and a person's room and seat."""

from wtforms import StringField
from wtforms.validators import Length

from ..forms import BaseForm, reason_field
from .paperwork import ROOM_LENGTH, SEAT_LENGTH


class IssuePasswordsForm(BaseForm):
    """The people are the checked ``entry_ids`` boxes, read by the view."""

    reason = reason_field("发放原因", required=True, required_message="请填写重新发放初始密码的原因")


class SeatForm(BaseForm):
    room = StringField("考场", validators=[Length(max=ROOM_LENGTH, message=f"考场不能超过 {ROOM_LENGTH} 个字")])
    seat = StringField("座位号", validators=[Length(max=SEAT_LENGTH, message=f"座位号不能超过 {SEAT_LENGTH} 个字")])
