"""Forms of the paperwork pages: issuing first-login passwords, and a person's room and seat."""

from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from ..forms import BaseForm, reason_field
from .paperwork import ROOM_LENGTH, SEAT_LENGTH

#: what an issue gives the chosen people
ISSUE_CODES = "codes"
ISSUE_CODES_AND_PASSWORDS = "both"


class IssuePasswordsForm(BaseForm):
    """The people are the checked ``entry_ids`` boxes, read by the view.

    "签发登录码" opens the page with codes only chosen; a post without ``what`` issues both, as before
    login codes existed.
    """

    what = RadioField(
        "发放内容",
        choices=[
            SelectChoice(ISSUE_CODES, "只签发登录码（密码不变，已登录的不退出）"),
            SelectChoice(ISSUE_CODES_AND_PASSWORDS, "签发登录码并重置初始密码（原密码和此前打印的准考证全部作废）"),
        ],
        default=ISSUE_CODES_AND_PASSWORDS,
    )
    reason = reason_field("发放原因", required=True, required_message="请填写重新发放初始密码的原因")


class SeatForm(BaseForm):
    room = StringField("考场", validators=[Length(max=ROOM_LENGTH, message=f"考场不能超过 {ROOM_LENGTH} 个字")])
    seat = StringField("座位号", validators=[Length(max=SEAT_LENGTH, message=f"座位号不能超过 {SEAT_LENGTH} 个字")])
