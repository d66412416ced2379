"""Forms of the exam pages. They parse input; the services decide what is valid."""

from dataclasses import fields
from datetime import UTC
from decimal import Decimal, InvalidOperation

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..bank.content import Difficulty, QType
from ..bank.forms import optional_id
from ..bank.grading import MultipleMode
from ..clock import display_zone, utcnow
from ..forms import BaseForm, reason_field
from ..web.ids import parse_id
from .models import PaperMode, ReleaseMode
from .services import EDITABLE_WHEN_PUBLISHED, ExamSettings

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
BAD_TIME = "请按“年-月-日 时:分”填写时间（北京时间）"


def to_utc(value):
    """An aware datetime (the form's input, in the display zone) as aware UTC; None stays None."""
    return value.astimezone(UTC) if value is not None else None


def optional_int(value):
    """An integer from a form value, or None (the caller or the service names the problem)."""
    return parse_id(str(value or ""))


def as_decimal(value):
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


class ExamForm(BaseForm):
    """The settings of an exam; times are typed in Beijing time and stored as UTC."""

    title = StringField("考试名称", validators=[Length(max=200, message="考试名称不能超过 200 个字")])
    instructions = TextAreaField("考试须知（考生开考前看到）", validators=[Length(max=4000)])
    opens_at = DateTimeLocalField("开放时间", format=LOCAL_FORMATS, tz=display_zone, invalid_value_message=BAD_TIME)
    closes_at = DateTimeLocalField("关闭时间", format=LOCAL_FORMATS, tz=display_zone, invalid_value_message=BAD_TIME)
    duration_minutes = IntegerField("考试时长（分钟）", validators=[Optional()])
    grace_seconds = IntegerField("交卷宽限（秒）", default=60, validators=[Optional()])
    shuffle_questions = BooleanField("每人题目顺序随机（同一题型内）", default=True)
    shuffle_options = BooleanField("选择题选项顺序随机", default=True)
    multiple_mode = SelectField(
        "多选题计分", choices=[SelectChoice(m, MultipleMode.LABELS[m]) for m in MultipleMode.ALL], validate_choice=False
    )
    release_mode = SelectField(
        "成绩公布",
        choices=[SelectChoice(m, ReleaseMode.LABELS[m]) for m in ReleaseMode.ALL],
        default=ReleaseMode.AFTER_CLOSE,
        validate_choice=False,
    )
    access_code = StringField(
        "考试口令（选填，印在准考证上）", validators=[Length(max=32, message="考试口令不能超过 32 个字符")]
    )
    ip_allowlist = TextAreaField("允许的考场网络（选填，每行一个 IP 或网段）")
    departure_limit = IntegerField("离开页面次数上限（0 表示只记录不收卷）", default=0, validators=[Optional()])
    cycle_year = IntegerField("验收年度", validators=[Optional()])
    paper_mode = SelectField(
        "组卷方式", choices=[SelectChoice(m, PaperMode.LABELS[m]) for m in PaperMode.ALL], validate_choice=False
    )
    reason = reason_field("修改原因（选填，记入操作日志）")

    def locked_fields(self):
        """The fields a published exam keeps as they are (shown read-only)."""
        return [getattr(self, f.name) for f in fields(ExamSettings) if f.name not in EDITABLE_WHEN_PUBLISHED]

    def prefill_defaults(self):
        self.cycle_year.data = utcnow().astimezone(display_zone()).year

    def fill_from(self, settings):
        for name, value in vars(settings).items():
            getattr(self, name).data = value

    def lock(self, settings):
        """Show every setting but the title and instructions read-only, holding the exam's own values."""
        for f in self.locked_fields():
            f.data = getattr(settings, f.name)
            f.raw_data = []
            f.errors = []
            f.render_kw = {**(f.render_kw or {}), "disabled": True}

    def to_settings(self):
        return ExamSettings(
            title=self.title.data or "",
            instructions=self.instructions.data or "",
            opens_at=to_utc(self.opens_at.data),
            closes_at=to_utc(self.closes_at.data),
            duration_minutes=self.duration_minutes.data,
            grace_seconds=self.grace_seconds.data,
            shuffle_questions=bool(self.shuffle_questions.data),
            shuffle_options=bool(self.shuffle_options.data),
            multiple_mode=self.multiple_mode.data,
            release_mode=self.release_mode.data,
            access_code=(self.access_code.data or "").strip() or None,
            ip_allowlist=self.ip_allowlist.data or None,
            departure_limit=self.departure_limit.data,
            cycle_year=self.cycle_year.data,
            paper_mode=self.paper_mode.data,
        )

    def show_problems(self, problems):
        """Put each service problem [(field, message)] on its field; returns the ones without a field."""
        unplaced = []
        for name, message in problems:
            target = getattr(self, name, None) if name else None
            if target is None:
                unplaced.append(message)
            else:
                target.errors = [*target.errors, message]
        return unplaced


# --- papers -------------------------------------------------------------------


class BlueprintRowForm(BaseForm):
    """One row of the blueprint table (a sub-form: the outer form carries the CSRF token)."""

    class Meta:
        csrf = False

    category_id = SelectField("知识点分类", coerce=optional_id, validate_choice=False)
    qtype = SelectField("题型", choices=[SelectChoice(t, QType.LABELS[t]) for t in QType.ALL], validate_choice=False)
    difficulty = SelectField(
        "难度",
        choices=[SelectChoice("", "不限"), *(SelectChoice(d, Difficulty.LABELS[d]) for d in Difficulty.ALL)],
        validate_choice=False,
    )
    count = StringField("题数")
    points = StringField("每题分值")

    def is_blank(self):
        return (
            not self.category_id.data and not (self.count.data or "").strip() and not (self.points.data or "").strip()
        )

    def as_row(self):
        return {
            "category_id": self.category_id.data,
            "qtype": self.qtype.data,
            "difficulty": self.difficulty.data or None,
            "count": optional_int(self.count.data),
            "points": (self.points.data or "").strip(),
        }

    def subtotal(self):
        count, points = optional_int(self.count.data), as_decimal(self.points.data or "")
        if count is None or points is None:
            return None
        return count * points


class BlueprintForm(BaseForm):
    rows = FieldList(FormField(BlueprintRowForm), min_entries=1, max_entries=60)

    def set_category_choices(self, choices):
        for row in self.rows:
            row.form.category_id.choices = choices

    def total(self):
        return sum((row.form.subtotal() or Decimal("0") for row in self.rows), Decimal("0"))


class FixedItemForm(BaseForm):
    class Meta:
        csrf = False

    question_id = StringField("试题编号")
    points = StringField("分值")

    def is_blank(self):
        return not (self.question_id.data or "").strip() and not (self.points.data or "").strip()

    def subtotal(self):
        return as_decimal(self.points.data or "") if (self.question_id.data or "").strip() else None


class FixedPaperForm(BaseForm):
    items = FieldList(FormField(FixedItemForm), min_entries=1, max_entries=300)
    bulk_ids = TextAreaField("试题编号（每行一个，或用逗号、空格分隔）")
    bulk_points = StringField("每题分值")

    def total(self):
        return sum((item.form.subtotal() or Decimal("0") for item in self.items), Decimal("0"))


# --- rosters and paperwork ------------------------------------------------------


class RosterAddForm(BaseForm):
    unit_id = SelectField("按单位加入（该单位及下级单位的全部考生）", coerce=optional_id, validate_choice=False)
    usernames = TextAreaField("按用户名加入（每行一个，或用逗号、空格分隔）", validators=[Length(max=20000)])

    def username_list(self):
        text = (self.usernames.data or "").replace(",", " ").replace("，", " ").replace("、", " ")
        return list(dict.fromkeys(u.strip().lower() for u in text.split() if u.strip()))


class RosterRemoveForm(BaseForm):
    reason = reason_field("移出原因", required=True, required_message="请填写移出名单的原因")


class ActionForm(BaseForm):
    """A button that changes something: only the CSRF token (and an optional reason)."""

    reason = reason_field("原因（选填）")
