from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import BaseForm, reason_field


class StaffForm(BaseForm):
    username = StringField("用户名（登录名）", validators=[DataRequired("请填写用户名"), Length(max=64)])
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=64)])
    role = SelectField("角色")
    unit_id = SelectField("所属单位", coerce=int, validators=[DataRequired("请选择所属单位")])
    phone = StringField("手机号", validators=[Optional(), Length(max=20)])
    reason = reason_field("修改原因")


class ReasonForm(BaseForm):
    reason = reason_field("原因", required=True)
