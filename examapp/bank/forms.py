import re

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import BaseForm, reason_field
from ..reasons import MAX_REASON_LENGTH, too_long
from ..web.ids import parse_id
from .content import (
    LETTERS,
    Difficulty,
    QType,
    QuestionData,
    blank_count,
    collect_options,
    parse_blanks,
)
from .models import Status

#: how the 各空答案 box is filled in; the help under the box and its errors say this
BLANKS_RULE = "每个空的答案写一行，按题干中空的顺序"
BLANKS_HELP = (
    f"{BLANKS_RULE}，题干有几个空就写几行；同一个空有几种可接受的写法时写在同一行，用 ; 分隔。"
    "例如两个空：第一行写 4;四，第二行写 24;二十四。"
)
#: "|" between blanks on one line (the import format) is read as a line break
_BLANKS_ON_ONE_LINE = re.compile(r"[|｜]")


def optional_id(value):
    """An id from a select, or None for an empty or tampered value (the service then names the problem)."""
    return parse_id(str(value or ""))


class QuestionForm(BaseForm):
    """One form for every type; the template shows the answer widgets of the chosen type.

    ``to_data`` turns it into plain QuestionData; the service's checks decide
    what is valid, so the form and the importer agree.
    """

    qtype = SelectField("题型", choices=[SelectChoice(t, QType.LABELS[t]) for t in QType.ALL])
    category_id = SelectField("知识点分类", coerce=optional_id, validate_choice=False)
    difficulty = SelectField(
        "难度", choices=[SelectChoice(d, Difficulty.LABELS[d]) for d in Difficulty.ALL], default=Difficulty.MEDIUM
    )
    stem = TextAreaField("题干")
    option_A = StringField("选项A")
    option_B = StringField("选项B")
    option_C = StringField("选项C")
    option_D = StringField("选项D")
    option_E = StringField("选项E")
    option_F = StringField("选项F")
    #: letters of the correct options (a radio for 单选, check boxes for 多选)
    correct = SelectMultipleField("正确答案", choices=[SelectChoice(c, c) for c in LETTERS], validate_choice=False)
    judge = RadioField("正确答案", choices=[SelectChoice("T", "对"), SelectChoice("F", "错")], validate_choice=False)
    blanks = TextAreaField("各空答案", description=BLANKS_HELP, render_kw={"rows": 3, "placeholder": "4;四\n24;二十四"})
    keep_option_order = BooleanField("选项顺序固定（考试打乱选项时此题不打乱，适用于数字选项或“以上都…”选项）")
    explanation = TextAreaField("解析（选填）")
    source = StringField("依据（政策文件及条款）")
    note = StringField(
        "修改说明（选填，记入版本历史）",
        validators=[Optional(), Length(max=MAX_REASON_LENGTH, message=too_long("修改说明"))],
    )
    #: the version the editor started from (to refuse overwriting a newer one)
    base_version = HiddenField()
    confirm_similar = BooleanField("我已核对，这不是重复题，仍然保存")

    def option_fields(self):
        return [getattr(self, f"option_{letter}") for letter in LETTERS]

    def fill_from(self, version):
        self.qtype.data = version.qtype
        self.category_id.data = version.category_id
        self.difficulty.data = version.difficulty
        self.stem.data = version.stem
        for f, text in zip(self.option_fields(), [*version.options, *[""] * len(LETTERS)], strict=False):
            f.data = text
        if version.qtype in QType.CHOICE:
            self.correct.data = list(version.answer)
        elif version.qtype == QType.JUDGE:
            self.judge.data = version.answer
        else:
            self.blanks.data = "\n".join(";".join(alternatives) for alternatives in version.answer)
        self.keep_option_order.data = version.keep_option_order
        self.explanation.data = version.explanation
        self.source.data = version.source
        self.base_version.data = str(version.number)

    def to_data(self):
        """(QuestionData, problems the form itself finds), problems as [(field, message)]."""
        qtype = self.qtype.data if self.qtype.data in QType.ALL else QType.SINGLE
        problems = []
        options, answer = [], None
        if qtype in QType.CHOICE:
            options, gaps = collect_options([f.data for f in self.option_fields()])
            problems += [(f"option_{LETTERS[index]}", message) for index, message in gaps]
            answer = "".join(sorted(set(self.correct.data or []) & set(LETTERS)))
        elif qtype == QType.JUDGE:
            answer = self.judge.data if self.judge.data in ("T", "F") else None
        else:
            answer, problem = self._blank_answer()
            if problem:
                problems.append(("answer", problem))
        data = QuestionData(
            qtype=qtype,
            stem=self.stem.data or "",
            options=options,
            answer=answer,
            explanation=self.explanation.data or "",
            source=self.source.data or "",
            difficulty=self.difficulty.data,
            category_id=self.category_id.data or None,
            keep_option_order=qtype in QType.CHOICE and bool(self.keep_option_order.data),
        )
        return data, problems

    def _blank_answer(self):
        """(answer, problem): one line per blank, as the help says.

        A line holding "|" (the import format, pasted from a spreadsheet) counts as
        that many blanks, so the import's way of writing an answer works here too.
        """
        lines = (self.blanks.data or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        texts = [text for line in lines for text in _BLANKS_ON_ONE_LINE.split(line)]
        answer, problem = parse_blanks(texts)
        expected = blank_count(self.stem.data)
        if problem is None and expected and len(answer) != expected:
            problem = f"题干有 {expected} 个空，答案却有 {len(answer)} 个（{BLANKS_RULE}）"
        return answer, problem

    def show_problems(self, problems):
        for field_name, message in problems:
            target = self._field_for(field_name)
            target.errors = [*target.errors, message]

    def _field_for(self, field_name):
        if field_name == "answer":
            return {QType.JUDGE: self.judge, QType.BLANK: self.blanks}.get(self.qtype.data, self.correct)
        if field_name == "options":
            return self.option_A
        if field_name == "category":
            return self.category_id
        return getattr(self, field_name, None) or self.stem


class StatusForm(BaseForm):
    reason = reason_field("原因（选填）")


class CategoryForm(BaseForm):
    name = StringField(
        "名称", validators=[DataRequired("请填写知识点名称"), Length(max=64, message="名称不能超过 64 个字")]
    )
    parent_id = SelectField("上级知识点", coerce=optional_id, validate_choice=False)
    sort_order = StringField(
        "排序（数字小的在前）",
        default="0",
        validators=[Optional(), Regexp(r"^-?\d{1,4}$", message="请填写 -9999 到 9999 的整数")],
    )
    reason = reason_field("修改原因（选填）")


class ImportConfirmForm(BaseForm):
    publish = BooleanField("导入后直接发布（不勾选则作为草稿导入，核对后再发布）")


#: status filter of the question list: value -> (label, statuses)
STATUS_FILTERS = {
    "": ("草稿和已发布", (Status.DRAFT, Status.PUBLISHED)),
    Status.DRAFT: ("草稿", (Status.DRAFT,)),
    Status.PUBLISHED: ("已发布", (Status.PUBLISHED,)),
    Status.RETIRED: ("已停用", (Status.RETIRED,)),
    "all": ("全部状态", Status.ALL),
}
