"""Forms of the recommendation pages (every POST carries the CSRF token through BaseForm)."""

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...forms import BaseForm
from .services import MAX_APPLICATION_LENGTH


class RecommendForm(BaseForm):
    """Put a unit forward (the unit is in the URL, the cycle's year in the form)."""

    year = HiddenField(validators=[DataRequired("缺少验收年度，请刷新页面后重试")])


class ApplicationForm(BaseForm):
    text = TextAreaField(
        "申请材料（本单位劳动保障工作开展情况，对照示范标准逐项说明）",
        validators=[Length(max=MAX_APPLICATION_LENGTH, message=f"申请材料不能超过 {MAX_APPLICATION_LENGTH} 个字")],
        render_kw={"rows": 10},
    )


class MaterialForm(BaseForm):
    file = FileField("附件", validators=[FileRequired("请选择要上传的文件")])


class SubmitForm(BaseForm):
    year = HiddenField(validators=[DataRequired("缺少验收年度，请刷新页面后重试")])
    confirm = BooleanField(
        "我已核对推荐单位及其申请材料，确认报送（报送后材料不能再修改）",
        validators=[DataRequired("请勾选确认后再报送")],
    )


class ConfirmForm(BaseForm):
    """A button that changes something and needs nothing but the CSRF token (remove, delete)."""
