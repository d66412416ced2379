from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import BaseForm


class StartForm(BaseForm):
    pledge = BooleanField(
        "我承诺独立完成本次闭卷考试，不查阅任何资料，不请他人代考，不与他人交流答案",
        validators=[DataRequired("请先确认闭卷考试承诺")],
    )
    access_code = StringField("考试口令", validators=[Optional(), Length(max=32)], render_kw={"autocomplete": "off"})


class SubmitForm(BaseForm):
    pass
