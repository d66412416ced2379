from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import BaseForm, reason_field
from .phones import PHONE_HELP, InvalidPhone, normalise_phone


def mobile_phone(form, field):
    """Accept an empty field or a mainland mobile number; keep the digits only."""
    try:
        field.data = normalise_phone(field.data) or ""
    except InvalidPhone as exc:
        raise ValidationError(str(exc)) from exc


class StaffForm(BaseForm):
    username = StringField("用户名（登录名）", validators=[DataRequired("请填写用户名"), Length(max=64)])
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=64)])
    role = SelectField("角色")
    unit_id = SelectField("所属单位", coerce=int, validators=[DataRequired("请选择所属单位")])
    phone = StringField(
        "手机号（选填）",
        validators=[mobile_phone],
        description=PHONE_HELP,
        render_kw={"inputmode": "tel", "autocomplete": "tel", "maxlength": 20, "placeholder": "例如 138 0013 8000"},
    )
    reason = reason_field("修改原因")


class ReasonForm(BaseForm):
    reason = reason_field("原因", required=True)
