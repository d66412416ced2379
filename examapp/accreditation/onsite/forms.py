"""三查: the target, the list's upload, the draw and the team's findings."""

from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from ...forms import BaseForm
from ...reasons import MAX_REASON_LENGTH, too_long
from .models import Verification
from .services import MAX_TARGET


class TargetForm(BaseForm):
    target = IntegerField(
        "年度就业再就业目标任务数（人）",
        validators=[
            InputRequired("请填写目标任务数（正整数）"),
            NumberRange(1, MAX_TARGET, f"目标任务数应为 1 到 {MAX_TARGET} 之间的整数"),
        ],
    )


class ImportForm(BaseForm):
    file = FileField("再就业人员名单（.xlsx）", validators=[FileRequired("请选择要上传的文件")])


class DrawForm(BaseForm):
    pass


class VerifyForm(BaseForm):
    """The findings of one page of the sample; the per-person fields are read by ``findings``."""


def findings(formdata, people):
    """({person id: (verification or None, note)}, {person id: error}) from the posted fields
    ``v-<id>`` (属实 / 未能核实 / 虚假, or empty: not recorded) and ``n-<id>`` (note)."""
    results, errors = {}, {}
    for person in people:
        verification = (formdata.get(f"v-{person.id}") or "").strip() or None
        note = (formdata.get(f"n-{person.id}") or "").strip()
        if verification is not None and verification not in Verification.LABELS:
            errors[person.id] = "请选择核实结果"
            continue
        if len(note) > MAX_REASON_LENGTH:
            errors[person.id] = too_long("备注")
            continue
        if verification is None and note:
            errors[person.id] = "填写了备注，请同时选择核实结果"
            continue
        results[person.id] = (verification, note)
    return results, errors
