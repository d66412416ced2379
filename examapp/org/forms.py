from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm, reason_field
from .models import UnitKind


class UnitForm(BaseForm):
    code = StringField("单位编码", validators=[DataRequired("请填写单位编码"), Length(max=32)])
    name = StringField("单位名称", validators=[DataRequired("请填写单位名称"), Length(max=100)])
    kind = SelectField(
        "类型", choices=[SelectChoice(k, UnitKind.LABELS[k]) for k in UnitKind.ALL if k != UnitKind.CITY]
    )
    parent_id = SelectField("上级单位", coerce=int, validators=[DataRequired("请选择上级单位")])
    reason = reason_field("修改原因")


class UnitStatusForm(BaseForm):
    reason = reason_field("原因", required=True)
