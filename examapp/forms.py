"""The base of every form: WTForms' own messages in Simplified Chinese, and a JSON body read safely."""

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from werkzeug.datastructures import MultiDict
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .reasons import MAX_REASON_LENGTH, too_long
from .web.json_body import JsonFormMeta, bad_request, require_json_object


def _form_value(value):
    """A JSON value as a form would have sent it, or None for one no form field takes."""
    if isinstance(value, bool):
        return "y" if value else ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


class StrictJsonFormMeta(JsonFormMeta):
    """Forms are posted as HTML forms; one posted as JSON is read as a form would be (texts, numbers,
    true/false), and a list, an object or null anywhere answers 400: never a field parser's 500."""

    def wrap_formdata(self, form, formdata):
        if formdata is _Auto and request and request.method in SUBMIT_METHODS and request.is_json:
            values = [(key, _form_value(value)) for key, value in require_json_object().items()]
            if any(value is None or "\x00" in value for _key, value in values):
                from flask import abort

                response, status = bad_request()
                response.status_code = status
                abort(response)
            return MultiDict(values)
        return super().wrap_formdata(form, formdata)


class BaseForm(FlaskForm):
    class Meta(StrictJsonFormMeta):
        locales = ["zh"]


def reason_field(label="原因", required=False, required_message=None, limit=MAX_REASON_LENGTH, rows=2):
    """A text area for a reason, note or comment kept in the record, with the one length rule."""
    first = DataRequired(required_message or f"请填写{label.split('（')[0]}") if required else Optional()
    return TextAreaField(
        label,
        validators=[first, Length(max=limit, message=too_long(label.split("（")[0], limit))],
        render_kw={"rows": rows, "maxlength": limit},
    )
