from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from ..forms import BaseForm
from .models import UnitKind


class UnitForm(BaseForm):
    code = StringField("单位编码", validators=[DataRequired("请填写单位编码"), Length(max=32)])
    name = StringField("单位名称", validators=[DataRequired("请填写单位名称"), Length(max=100)])
    kind = SelectField(
        "类型", choices=[SelectChoice(k, UnitKind.LABELS[k]) for k in UnitKind.ALL if k != UnitKind.CITY]
    )
    parent_id = SelectField("上级单位", coerce=int, validators=[DataRequired("请选择上级单位")])
    reason = TextAreaField("修改原因", validators=[Optional(), Length(max=500)])


class UnitStatusForm(BaseForm):
    reason = TextAreaField("原因", validators=[DataRequired("请填写原因"), Length(max=500)])
