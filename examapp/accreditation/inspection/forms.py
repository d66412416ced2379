"""二看: one form for the whole checklist (fields generated from the unit's checklist), and the photo upload."""

import re
from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, StopValidation

from ...forms import BaseForm, reason_field
from ...reasons import MAX_REASON_LENGTH, too_long
from ..checklist import NUMBER
from .services import MAX_VALUE, Answer

YES_NO = [SelectChoice("yes", "是"), SelectChoice("no", "否")]
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class InspectionForm(BaseForm):
    inspected_on = DateField("检查日期", validators=[InputRequired("请填写检查日期")])
    note = reason_field("检查意见（选填）")


class PhotoForm(BaseForm):
    photo = FileField("照片（jpg / png 等图片）", validators=[FileRequired("请选择要上传的照片")])


class RemovePhotoForm(BaseForm):
    pass


def _measured(item):
    """Validator: a non-negative number, at most two decimals (whole for counts); keeps the Decimal."""

    def validate(form, field):
        field.parsed = None
        raw = (field.data or "").strip().replace("，", ".").replace("。", ".")
        if not raw:
            window = form[f"{item.code}_checked"].data if item.alternative else False
            if window:
                return
            hint = f"，或勾选“{item.alternative}”" if item.alternative else ""
            raise StopValidation("请填写实测值" + hint)
        if not _NUMBER.match(raw):
            raise StopValidation("请填写数字")
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
            raise StopValidation("请填写数字") from exc
        if value < 0:
            raise StopValidation("实测值不能为负数")
        if value > MAX_VALUE:
            raise StopValidation("实测值过大，请检查")
        if value != value.quantize(Decimal("0.01")):
            raise StopValidation("最多保留两位小数")
        if item.integral and value != value.to_integral_value():
            raise StopValidation("请填写整数")
        field.parsed = value

    return validate


def _yes_no(form, field):
    if field.data not in ("yes", "no"):
        raise StopValidation("请选择“是”或“否”")


def inspection_form(items, **kwargs):
    """A form with, for each checklist item, its value (or yes / no) and a note."""

    class Form(InspectionForm):
        pass

    for item in items:
        if item.kind == NUMBER:
            setattr(Form, f"{item.code}_value", StringField(item.label, validators=[_measured(item)]))
            if item.alternative:
                setattr(Form, f"{item.code}_checked", BooleanField(item.alternative))
        else:
            setattr(
                Form,
                f"{item.code}_checked",
                RadioField(item.label, choices=YES_NO, validate_choice=False, validators=[_yes_no]),
            )
        setattr(
            Form,
            f"{item.code}_note",
            StringField("备注", validators=[Optional(), Length(max=MAX_REASON_LENGTH, message=too_long("备注"))]),
        )
    return Form(**kwargs)


def form_data(inspection, items):
    """The form's initial values from a recorded inspection (or empty)."""
    data = {}
    rows = {row.code: row for row in inspection.items} if inspection is not None else {}
    if inspection is not None:
        data["inspected_on"], data["note"] = inspection.inspected_on, inspection.note
    for item in items:
        row = rows.get(item.code)
        if row is None:
            continue
        if item.kind == NUMBER:
            data[f"{item.code}_value"] = "" if row.value is None else f"{row.value:f}"
            if item.alternative:
                data[f"{item.code}_checked"] = bool(row.checked)
        elif row.checked is not None:
            data[f"{item.code}_checked"] = "yes" if row.checked else "no"
        data[f"{item.code}_note"] = row.note
    return data


def answers(form, items):
    """{code: Answer} from a validated form."""
    result = {}
    for item in items:
        note = (form[f"{item.code}_note"].data or "").strip()
        if item.kind == NUMBER:
            checked = bool(form[f"{item.code}_checked"].data) if item.alternative else None
            result[item.code] = Answer(value=form[f"{item.code}_value"].parsed, checked=checked, note=note)
        else:
            result[item.code] = Answer(checked=form[f"{item.code}_checked"].data == "yes", note=note)
    return result


def field_name(code, items):
    """The form field a service error about item ``code`` belongs to."""
    for item in items:
        if item.code == code:
            return f"{code}_value" if item.kind == NUMBER else f"{code}_checked"
    return code
