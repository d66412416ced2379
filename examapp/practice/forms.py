"""The practice settings form (exam admins)."""

from wtforms import BooleanField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ..forms import BaseForm

SCOPES = [SelectChoice("all", "全部已发布试题"), SelectChoice("some", "只开放所选分类（含其下级分类）")]


class SettingsForm(BaseForm):
    scope = RadioField("开放范围", choices=SCOPES, default="all")
    categories = SelectMultipleField("开放的分类", coerce=int, choices=[], validate_choice=False)
    closed = BooleanField("暂停全市的练习和模拟考试（例如考试当天）")
    closed_note = StringField(
        "暂停说明（考生可见）",
        validators=[Optional(), Length(max=200, message="说明不能超过 200 个字")],
        render_kw={"maxlength": 200},
    )

    def validate_categories(self, field):
        if self.scope.data == "some" and not field.data:
            raise ValidationError("请至少选择一个分类")
        known = {choice.value for choice in field.choices}
        if any(value not in known for value in field.data or ()):
            raise ValidationError("所选分类不存在")
