"""Import and export of questions in the format of DESIGN.md section 5.

``check_rows`` validates a whole file (every problem, by row and column) and
returns a plan; ``apply_plan`` creates it, all or nothing. Export writes the
same columns, so an export imported into an empty bank gives the same bank.
"""

from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..audit.services import record_change
from ..extensions import db
from ..spreadsheets import Problem
from .content import (
    LETTERS,
    MAX_CATEGORY,
    Difficulty,
    QType,
    QuestionData,
    check_question,
    collect_options,
    format_answer,
    needs_fixed_order,
    parse_answer,
    stem_hash,
    stem_key,
)
from .models import Question, QuestionCategory, QuestionVersion, Status
from .services import clean_data, create_category, id_ranges, new_question

OPTION_COLUMNS = [f"选项{letter}" for letter in LETTERS]
#: header -> required in the header row (option and 解析 columns may be left out)
COLUMNS = {
    "题型": True,
    "题干": True,
    **dict.fromkeys(OPTION_COLUMNS, False),
    "答案": True,
    "分类": True,
    "难度": True,
    "解析": False,
    "依据": True,
    "选项顺序": False,
}
#: 选项顺序: what a cell may say; a blank cell (or no column) lets ``needs_fixed_order`` decide
OPTION_ORDER_VALUES = {"固定": True, "是": True, "否": False, "随机": False}
#: the upload page's help on the optional columns
IMPORT_NOTES = (
    "“选项顺序”列（选填）：填“固定”的单选、多选题，考试打乱选项时此题不打乱；填“否”或“随机”则随考试设置打乱。"
    "不填或没有这一列时，选项都是数字（如 90、三十日、6个月、百分之六十、2011年7月1日）"
    "或最后一个选项以“以上都”“以上均”“以上皆”“以上选项”“以上各项”开头的题，自动设为固定，其余随考试设置。"
    "判断题、填空题不用填写。",
)
_COLUMN_ORDER = {name: index for index, name in enumerate(COLUMNS)}
_FIELD_COLUMNS = {
    "qtype": "题型",
    "stem": "题干",
    "answer": "答案",
    "category": "分类",
    "difficulty": "难度",
    "explanation": "解析",
    "source": "依据",
    "keep_option_order": "选项顺序",
    **{f"option_{letter}": f"选项{letter}" for letter in LETTERS},
}

EXAMPLE_ROWS = [
    {
        "题型": "单选",
        "题干": "用人单位应当自用工之日起（  ）内为其职工向社会保险经办机构申请办理社会保险登记。",
        "选项A": "三十日",
        "选项B": "十五日",
        "选项C": "六十日",
        "选项D": "三个月",
        "答案": "A",
        "分类": "社会保险",
        "难度": "易",
        "解析": "用人单位应当自用工之日起三十日内为职工申请办理社会保险登记。",
        "依据": "《中华人民共和国社会保险法》第五十八条",
        "选项顺序": "固定",
    },
    {
        "题型": "多选",
        "题干": "下列社会保险费中，由用人单位和职工共同缴纳的有（  ）。",
        "选项A": "基本养老保险费",
        "选项B": "基本医疗保险费",
        "选项C": "失业保险费",
        "选项D": "工伤保险费",
        "答案": "ABC",
        "分类": "社会保险",
        "难度": "中",
        "解析": "工伤保险费由用人单位缴纳，职工不缴纳。",
        "依据": "《中华人民共和国社会保险法》第十条、第二十三条、第三十三条、第四十四条",
    },
    {
        "题型": "判断",
        "题干": "街道劳动保障事务所应有面积不少于60平方米的办事大厅。",
        "答案": "对",
        "分类": "示范社区标准",
        "难度": "易",
        "解析": "",
        "依据": "郑政办〔2005〕27号 附件 一、规范建设方面 第1条",
    },
    {
        "题型": "填空",
        "题干": "非全日制用工劳动者在同一用人单位一般平均每日工作时间不超过____小时，每周累计不超过____小时。",
        "答案": "4;四|24;二十四",
        "分类": "劳动关系与劳动合同",
        "难度": "中",
        "解析": "各空答案用 | 分隔，同一空的多个可接受答案用 ; 分隔。",
        "依据": "《中华人民共和国劳动合同法》第六十八条",
    },
]


class Existing:
    """What to do with a row that asks a question the bank already has (same stem and options)."""

    #: the web import and ``flask bank import``: it is a problem
    REFUSE = "refuse"
    #: ``flask bank load``: skip it when every field is identical, otherwise it is a problem
    SKIP_IDENTICAL = "skip_identical"


@dataclass(frozen=True)
class RowProblem(Problem):
    """A problem of one row, naming the file when several are loaded together."""

    file: str | None = None

    def as_text(self):
        text = super().as_text()
        return f"{self.file}：{text}" if self.file else text


@dataclass
class ImportItem:
    row: int
    data: QuestionData
    category: str
    file: str | None = None
    #: "create", or "skip" (already in the bank, identical)
    action: str = "create"
    note: str = ""

    @property
    def qtype_label(self):
        return QType.LABELS[self.data.qtype]

    @property
    def difficulty_label(self):
        return Difficulty.LABELS[self.data.difficulty]

    @property
    def answer_text(self):
        return format_answer(self.data.qtype, self.data.answer)

    @property
    def stem(self):
        return self.data.stem

    @property
    def option_order_label(self):
        return "固定" if self.data.keep_option_order else ""

    def where(self, other=None):
        if other is not None and other.file != self.file and self.file:
            return f" {self.file} 第 {self.row} 行"
        return f"第 {self.row} 行"


@dataclass
class ImportPlan:
    items: list = field(default_factory=list)
    #: categories the file names that the bank does not have yet: created top-level
    new_categories: list = field(default_factory=list)
    #: things worth a look that do not stop the import
    warnings: list = field(default_factory=list)

    def __len__(self):
        return len(self.items)

    @property
    def to_create(self):
        return [item for item in self.items if item.action == "create"]

    @property
    def skipped(self):
        return [item for item in self.items if item.action == "skip"]

    def counts_by_type(self):
        counts = dict.fromkeys(QType.ALL, 0)
        for item in self.to_create:
            counts[item.data.qtype] += 1
        return {QType.LABELS[t]: n for t, n in counts.items() if n}


@dataclass
class ImportResult:
    created: list
    skipped: int
    new_categories: list


# --- reading rows ----------------------------------------------------------------------


def parse_row(raw):
    """One spreadsheet row -> (QuestionData or None, category name, [RowProblem])."""
    row, file = raw["_row"], raw.get("_file")
    problems = []
    flagged = set()

    def problem(column, message):
        if column not in flagged:
            flagged.add(column)
            problems.append(RowProblem(message, row, column, file))

    label = raw.get("题型", "")
    qtype = QType.from_label(label)
    if qtype is None:
        problem("题型", f"题型“{label}”无效，应为 单选、多选、判断 或 填空" if label else "题型不能为空")
    cells = [raw.get(column, "") for column in OPTION_COLUMNS]
    options, gaps = collect_options(cells)
    if qtype in QType.CHOICE:
        for index, message in gaps:
            problem(OPTION_COLUMNS[index], message)
    else:
        options = [cell for cell in cells if cell]
    answer = None
    if qtype is not None:
        answer, message = parse_answer(qtype, raw.get("答案", ""), len(options) if qtype in QType.CHOICE else None)
        if message:
            problem("答案", message)
    difficulty_label = raw.get("难度", "")
    difficulty = Difficulty.from_label(difficulty_label)
    if difficulty is None:
        problem("难度", f"难度“{difficulty_label}”无效，应为 易、中 或 难" if difficulty_label else "难度不能为空")
    category = raw.get("分类", "")
    if not category:
        problem("分类", "分类不能为空")
    elif len(category) > MAX_CATEGORY:
        problem("分类", f"分类名称不能超过 {MAX_CATEGORY} 个字")
    keep_option_order = None
    order_text = raw.get("选项顺序", "")
    if order_text:
        keep_option_order = OPTION_ORDER_VALUES.get(order_text)
        if keep_option_order is None:
            problem("选项顺序", f"选项顺序“{order_text}”无效，应为 固定 或留空（也可写 是、否、随机）")
    if qtype is None:
        return None, category, problems
    if keep_option_order is None:
        keep_option_order = needs_fixed_order(qtype, options)
    data = clean_data(
        QuestionData(
            qtype=qtype,
            stem=raw.get("题干", ""),
            options=options,
            answer=answer,
            explanation=raw.get("解析", ""),
            source=raw.get("依据", ""),
            difficulty=difficulty or Difficulty.MEDIUM,
            keep_option_order=keep_option_order,
        )
    )
    first_option = next((c for c, cell in zip(OPTION_COLUMNS, cells, strict=True) if cell), "选项A")
    for field_name, message in check_question(data):
        problem(_FIELD_COLUMNS.get(field_name, first_option), message)
    return data, category, problems


def check_rows(actor, rows, *, existing=Existing.REFUSE):
    """Validate every row; return (ImportPlan, problems). Apply only when problems is empty."""
    problems = []
    plan = ImportPlan()
    known = set(db.session.scalars(select(QuestionCategory.name)))
    for raw in rows:
        data, category, row_problems = parse_row(raw)
        problems.extend(row_problems)
        if data is None or row_problems:
            continue
        plan.items.append(ImportItem(row=raw["_row"], file=raw.get("_file"), data=data, category=category))
        if category not in known and category not in plan.new_categories:
            plan.new_categories.append(category)
    problems.extend(_check_duplicates_in_file(plan, existing))
    problems.extend(_check_duplicates_in_bank(plan, existing))
    skipped = {(item.file, item.row) for item in plan.skipped}
    plan.warnings = [w for w in plan.warnings if (w.file, w.row) not in skipped]
    problems.sort(key=lambda p: (p.file or "", p.row or 0, _COLUMN_ORDER.get(p.column, 99)))
    return plan, problems


def _check_duplicates_in_file(plan, existing):
    problems = []
    by_stem = {}
    for item in plan.items:
        earlier = by_stem.setdefault(stem_key(item.data.stem), [])
        twin = earlier[0] if earlier else None
        if twin is not None:
            if existing == Existing.SKIP_IDENTICAL and not _differences(_as_fields(twin), _as_fields(item)):
                item.action, item.note = "skip", f"与{twin.where(item)}完全相同"
            else:
                problems.append(RowProblem(f"与{twin.where(item)}的题干重复", item.row, "题干", item.file))
        earlier.append(item)
    return problems


def _check_duplicates_in_bank(plan, existing):
    problems = []
    in_bank = {}
    hashes = {stem_hash(item.data.stem) for item in plan.items}
    hashes = sorted(hashes)
    for chunk in (hashes[i : i + 500] for i in range(0, len(hashes), 500)):
        stmt = (
            select(Question)
            .where(Question.stem_hash.in_(chunk))
            .options(joinedload(Question.current_version).joinedload(QuestionVersion.category))
        )
        for question in db.session.scalars(stmt):
            in_bank.setdefault(question.stem_key, []).append(question)
    for item in plan.items:
        candidates = in_bank.get(stem_key(item.data.stem), [])
        if not candidates or item.action == "skip":
            continue
        same = candidates[0]
        if existing == Existing.SKIP_IDENTICAL:
            differences = _differences(_version_fields(same.current_version), _as_fields(item))
            if differences:
                problems.append(
                    RowProblem(
                        f"题库中已有题干相同的试题 {same.id}，但{'、'.join(differences)}不同；"
                        "如需修改，请在题库页面编辑该试题",
                        item.row,
                        "题干",
                        item.file,
                    )
                )
            else:
                item.action, item.note = "skip", f"题库中已有相同的试题 {same.id}"
        else:
            problems.append(
                RowProblem(f"与已有的试题 {same.id}（{same.status_label}）的题干重复", item.row, "题干", item.file)
            )
    return problems


_FIELD_LABELS = {
    "qtype": "题型",
    "stem": "题干",
    "options": "选项",
    "answer": "答案",
    "category": "分类",
    "difficulty": "难度",
    "explanation": "解析",
    "source": "依据",
    "keep_option_order": "选项顺序",
}


def _as_fields(item):
    d = item.data
    return {
        "qtype": d.qtype,
        "stem": d.stem,
        "options": list(d.options),
        "answer": d.answer,
        "category": item.category,
        "difficulty": d.difficulty,
        "explanation": d.explanation or "",
        "source": d.source,
        "keep_option_order": bool(d.keep_option_order),
    }


def _version_fields(version):
    return {
        "qtype": version.qtype,
        "stem": version.stem,
        "options": list(version.options),
        "answer": version.answer,
        "category": version.category.name,
        "difficulty": version.difficulty,
        "explanation": version.explanation,
        "source": version.source,
        "keep_option_order": version.keep_option_order,
    }


def _differences(a, b):
    return [label for key, label in _FIELD_LABELS.items() if a[key] != b[key]]


# --- applying and exporting -----------------------------------------------------------


def apply_plan(actor, plan, filename, *, status=Status.DRAFT):
    """Create the planned categories and questions (as ``status``); returns an ImportResult."""
    category_ids = dict(db.session.execute(select(QuestionCategory.name, QuestionCategory.id)).all())
    last = db.session.scalar(select(func.max(QuestionCategory.sort_order)).where(QuestionCategory.parent_id.is_(None)))
    created_categories = []
    for name in plan.new_categories:
        if name not in category_ids:
            # new top-level categories keep the order the file names them in
            category_ids[name] = create_category(actor, name, sort_order=(last or 0) + len(created_categories) + 1).id
            created_categories.append(name)
    questions = [
        new_question(actor, replace(item.data, category_id=category_ids[item.category]), status)
        for item in plan.to_create
    ]
    db.session.flush()
    record_change(
        actor,
        "question.import",
        "import",
        None,
        label=filename,
        after={
            "created": len(questions),
            "skipped": len(plan.skipped),
            "status": Status.LABELS[status],
            "new_categories": "、".join(created_categories),
            "question_ids": id_ranges(q.id for q in questions),
        },
    )
    return ImportResult(created=questions, skipped=len(plan.skipped), new_categories=created_categories)


def export_rows(stmt):
    """Rows in the import format for the questions ``stmt`` selects, in id order."""
    names = dict(db.session.execute(select(QuestionCategory.id, QuestionCategory.name)).all())
    stmt = stmt.options(joinedload(Question.current_version)).order_by(None).order_by(Question.id)
    rows = []
    for question in db.session.scalars(stmt):
        version = question.current_version
        row = {
            "题型": version.qtype_label,
            "题干": version.stem,
            "答案": version.answer_text,
            "分类": names[version.category_id],
            "难度": version.difficulty_label,
            "解析": version.explanation,
            "依据": version.source,
            "选项顺序": _option_order_cell(version),
        }
        for column, option in zip(OPTION_COLUMNS, version.options, strict=False):
            row[column] = option
        rows.append(row)
    return rows


def _option_order_cell(version):
    """固定, or blank; 否 where a blank would be read back as 固定 (so an export re-imports the same)."""
    if version.keep_option_order:
        return "固定"
    return "否" if needs_fixed_order(version.qtype, version.options) else ""
