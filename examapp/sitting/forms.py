from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from ..forms import BaseForm
from ..web.json_body import JsonFormMeta


def one_value(message, kinds=(str,)):
    """The field was sent at most once, as one of ``kinds`` (a JSON body may send a number, a list
    or an object; a form may repeat a field): anything else is refused before any other check."""

    def check(form, field):
        raw = field.raw_data or []
        if len(raw) > 1 or (raw and not isinstance(raw[0], kinds)):
            field.data = None
            raise StopValidation(message)

    return check


class StartForm(BaseForm):
    class Meta(JsonFormMeta):
        # a JSON body's values as sent: the fields below refuse a list or an object by name
        wrap_formdata = JsonFormMeta.wrap_formdata

    pledge = BooleanField(
        "我承诺独立完成本次闭卷考试，不查阅任何资料，不请他人代考，不与他人交流答案",
        validators=[one_value("请先确认闭卷考试承诺", (str, bool)), DataRequired("请先确认闭卷考试承诺")],
    )
    access_code = StringField(
        "考试口令",
        validators=[one_value("考试口令格式无效，请输入监考人员公布的口令"), Optional(), Length(max=32)],
        render_kw={"autocomplete": "off"},
    )


class SubmitForm(BaseForm):
    pass
