"""Question bank operations. Services flush; the caller commits."""

from dataclasses import replace
from difflib import SequenceMatcher

from sqlalchemy import func, select

from ..audit.services import record_change, register_actions
from ..clock import local_time
from ..errors import DomainError
from ..extensions import db
from .content import (
    MAX_CATEGORY,
    QType,
    QuestionData,
    check_question,
    stem_hash,
    stem_key,
)
from .lint import Entry, lint
from .models import Question, QuestionCategory, QuestionVersion, Status

#: how the audit log names the bank's actions (registered with the audit feature's labels)
BANK_ACTION_LABELS = {
    "question.create": "新建试题",
    "question.update": "修改试题",
    "question.publish": "发布试题",
    "question.retire": "停用试题",
    "question.bulk_publish": "批量发布试题",
    "question.bulk_retire": "批量停用试题",
    "question.import": "导入试题",
    "category.create": "新建知识点",
    "category.update": "修改知识点",
    "category.delete": "删除知识点",
}
register_actions(BANK_ACTION_LABELS)

#: a stem this similar (0..1, difflib ratio on the normalised stems) earns a warning
SIMILARITY_WARNING = 0.8


class InvalidQuestion(DomainError):
    """The question has problems; ``problems`` is [(field, message)] as from ``check_question``."""

    def __init__(self, problems):
        super().__init__("；".join(message for _field, message in problems), field=problems[0][0])
        self.problems = problems


# --- categories ----------------------------------------------------------------


def category_tree():
    """Every category as (category, depth), parents before children, siblings in order."""
    categories = db.session.scalars(select(QuestionCategory)).all()
    children = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    ordered = []

    def walk(parent_id, depth):
        for category in sorted(children.get(parent_id, []), key=lambda c: (c.sort_order, c.name)):
            ordered.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return ordered


def descendant_ids(category_id):
    """``category_id`` and the ids of every category under it."""
    parents = dict(db.session.execute(select(QuestionCategory.id, QuestionCategory.parent_id)).all())
    found = {category_id}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                changed = True
    return found


def get_category_by_name(name):
    return db.session.scalar(select(QuestionCategory).where(QuestionCategory.name == name.strip()))


def _clean_category_name(name, exclude_id=None):
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写知识点名称", field="name")
    if len(name) > MAX_CATEGORY:
        raise DomainError(f"知识点名称不能超过 {MAX_CATEGORY} 个字", field="name")
    existing = get_category_by_name(name)
    if existing is not None and existing.id != exclude_id:
        raise DomainError(f"知识点“{name}”已存在", field="name")
    return name


def _category_snapshot(category):
    return {
        "name": category.name,
        "parent": category.parent.name if category.parent else None,
        "sort_order": category.sort_order,
    }


def create_category(actor, name, parent=None, sort_order=0):
    category = QuestionCategory(name=_clean_category_name(name), parent=parent, sort_order=sort_order or 0)
    db.session.add(category)
    db.session.flush()
    record_change(
        actor,
        "category.create",
        "question_category",
        category.id,
        label=category.name,
        after=_category_snapshot(category),
    )
    return category


def update_category(actor, category, *, name, parent, sort_order, reason=None):
    before = _category_snapshot(category)
    name = _clean_category_name(name, exclude_id=category.id)
    if parent is not None and parent.id in descendant_ids(category.id):
        raise DomainError("不能把知识点放到它自己或它的下级之下", field="parent_id")
    category.name, category.parent, category.sort_order = name, parent, sort_order or 0
    db.session.flush()
    after = _category_snapshot(category)
    if after != before:
        record_change(
            actor,
            "category.update",
            "question_category",
            category.id,
            label=category.name,
            before=before,
            after=after,
            reason=reason,
        )
    return category


def delete_category(actor, category):
    """Remove a category no question (in any version) and no sub-category uses."""
    used = db.session.scalar(
        select(func.count()).select_from(QuestionVersion).where(QuestionVersion.category_id == category.id)
    )
    if used:
        raise DomainError(f"知识点“{category.name}”下有试题（含历史版本），不能删除")
    if db.session.scalar(select(QuestionCategory.id).where(QuestionCategory.parent_id == category.id)):
        raise DomainError(f"知识点“{category.name}”下还有下级知识点，不能删除")
    record_change(
        actor,
        "category.delete",
        "question_category",
        category.id,
        label=category.name,
        before=_category_snapshot(category),
    )
    db.session.delete(category)
    db.session.flush()


# --- questions -------------------------------------------------------------------


def clean_data(data):
    """Trim the texts the way an import does, so an edit and a re-import agree."""

    def text(value):
        return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()

    return replace(
        data,
        stem=text(data.stem),
        options=[text(o) for o in data.options],
        explanation=text(data.explanation),
        source=text(data.source),
        keep_option_order=bool(data.keep_option_order) and data.qtype in QType.CHOICE,
    )


def version_snapshot(version):
    """What the audit log records of a version."""
    return {
        "version": version.number,
        "qtype": version.qtype_label,
        "category": version.category.name if version.category else None,
        "difficulty": version.difficulty_label,
        "stem": version.stem,
        "options": "  ".join(f"{letter}. {text}" for letter, text in version.lettered_options),
        "answer": version.answer_text,
        "explanation": version.explanation,
        "source": version.source,
        "option_order": version.option_order_label,
    }


def _label(question_id, stem):
    stem = stem.replace("\n", " ")
    return f"试题 {question_id}：{stem[:40]}{'…' if len(stem) > 40 else ''}"


def find_same_question(data, exclude_id=None):
    """The existing question with the same (normalised) stem, or None."""
    stmt = select(Question).where(Question.stem_hash == stem_hash(data.stem))
    if exclude_id is not None:
        stmt = stmt.where(Question.id != exclude_id)
    return db.session.scalars(stmt.order_by(Question.id).limit(1)).first()


def similar_questions(stem, exclude_id=None, limit=5):
    """Questions whose stem reads almost the same: [(question, percent)], most similar first."""
    key = stem_key(stem)
    if len(key) < 4:
        return []
    grams = _bigrams(key)
    candidates = []
    for question_id, other in db.session.execute(select(Question.id, Question.stem_key)):
        if question_id == exclude_id or not 0.6 <= len(other) / len(key) <= 1.67:
            continue
        other_grams = _bigrams(other)
        if len(grams & other_grams) / len(grams | other_grams) < 0.4:
            continue
        ratio = SequenceMatcher(None, key, other, autojunk=False).ratio()
        if ratio >= SIMILARITY_WARNING:
            candidates.append((ratio, question_id))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    found = []
    for ratio, question_id in candidates[:limit]:
        found.append((db.session.get(Question, question_id), int(ratio * 100)))
    return found


def _bigrams(text):
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def validate_question(data, exclude_id=None):
    """Raise InvalidQuestion unless ``data`` is a complete, new question."""
    problems = check_question(data)
    if data.category_id is None or db.session.get(QuestionCategory, data.category_id) is None:
        problems.append(("category", "请选择知识点分类"))
    if not problems:
        same = find_same_question(data, exclude_id=exclude_id)
        if same is not None:
            problems.append(("stem", f"与已有的试题 {same.id}（{same.status_label}）的题干重复"))
    if problems:
        raise InvalidQuestion(problems)


def build_version(question, data, number, actor, note=None):
    """A new version of ``question`` holding ``data``, made current."""
    version = QuestionVersion(
        question=question,
        number=number,
        qtype=data.qtype,
        category_id=data.category_id,
        difficulty=data.difficulty,
        stem=data.stem,
        options=list(data.options),
        answer=data.answer,
        explanation=data.explanation or "",
        source=data.source,
        keep_option_order=bool(data.keep_option_order),
        note=(note or "").strip()[:500] or None,
        created_by_id=actor.id if actor is not None else None,
    )
    question.current_version = version
    question.category_id, question.qtype, question.difficulty = data.category_id, data.qtype, data.difficulty
    question.stem_key, question.stem_hash = stem_key(data.stem), stem_hash(data.stem)
    return version


def new_question(actor, data, status=Status.DRAFT):
    """Build (and add to the session) a question with its first version; no checks, no audit."""
    question = Question(status=status, created_by_id=actor.id if actor is not None else None)
    build_version(question, data, 1, actor)
    db.session.add(question)
    return question


def create_question(actor, data, status=Status.DRAFT):
    data = clean_data(data)
    validate_question(data)
    question = new_question(actor, data, status)
    db.session.flush()
    after = version_snapshot(question.current_version) | {"status": question.status_label}
    record_change(actor, "question.create", "question", question.id, label=_label(question.id, data.stem), after=after)
    return question


def same_content(version, data):
    return (
        version.qtype == data.qtype
        and version.category_id == data.category_id
        and version.difficulty == data.difficulty
        and version.stem == data.stem
        and list(version.options) == list(data.options)
        and version.answer == data.answer
        and version.explanation == (data.explanation or "")
        and version.source == data.source
        and version.keep_option_order == bool(data.keep_option_order)
    )


def update_question(actor, question, data, *, base_number=None, note=None):
    """Save an edit as a new version; returns the new version, or None when nothing changed.

    ``base_number`` is the version the editor started from: if someone saved a
    newer one meanwhile, the edit is refused rather than silently overwriting it.
    """
    current = question.current_version
    if base_number is not None and base_number != current.number:
        raise DomainError(f"试题 {question.id} 已被他人修改为第 {current.number} 版，请重新打开后再修改")
    data = clean_data(data)
    validate_question(data, exclude_id=question.id)
    if same_content(current, data):
        return None
    version = build_version(question, data, current.number + 1, actor, note)
    db.session.flush()
    record_change(
        actor,
        "question.update",
        "question",
        question.id,
        label=_label(question.id, data.stem),
        before=version_snapshot(current),
        after=version_snapshot(version),
        reason=note,
    )
    return version


def data_from_version(version):
    return QuestionData(
        qtype=version.qtype,
        stem=version.stem,
        options=list(version.options),
        answer=version.answer,
        explanation=version.explanation,
        source=version.source,
        difficulty=version.difficulty,
        category_id=version.category_id,
        keep_option_order=version.keep_option_order,
    )


def change_status(actor, question, status, reason=None):
    before = question.status_label
    question.transition(status)
    db.session.flush()
    record_change(
        actor,
        f"question.{'publish' if status == Status.PUBLISHED else 'retire'}",
        "question",
        question.id,
        label=_label(question.id, question.current_version.stem),
        before={"status": before},
        after={"status": question.status_label},
        reason=reason,
    )
    return question


def bulk_change_status(actor, stmt, status, reason=None):
    """Publish or retire every question ``stmt`` selects; returns (changed, already in that status)."""
    if status not in (Status.PUBLISHED, Status.RETIRED):
        raise DomainError("无效的状态")
    ids = list(db.session.scalars(stmt.with_only_columns(Question.id).order_by(Question.id)))
    if not ids:
        return 0, 0
    changed = []
    for question in db.session.scalars(select(Question).where(Question.id.in_(ids)).order_by(Question.id)):
        if question.status != status:
            question.transition(status)
            changed.append(question.id)
    db.session.flush()
    if changed:
        verb = "publish" if status == Status.PUBLISHED else "retire"
        record_change(
            actor,
            f"question.bulk_{verb}",
            "question",
            None,
            label=f"{len(changed)} 道试题",
            after={"status": Status.LABELS[status], "count": len(changed), "question_ids": id_ranges(changed)},
            reason=reason,
        )
    return len(changed), len(ids) - len(changed)


def id_ranges(ids):
    """1,2,3,7,9,10 -> "1-3, 7, 9-10": a compact list of ids for the audit log."""
    parts = []
    ids = sorted(ids)
    start = previous = None
    for i in [*ids, None]:
        if start is not None and (i is None or i != previous + 1):
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if i is not None and start is None:
            start = i
        previous = i
    return ", ".join(parts)


# --- drawing and overview --------------------------------------------------------------


def drawable_questions(*, category_id=None, qtype=None, difficulty=None, include_subcategories=True):
    """A select of the questions a paper may draw: published only, never drafts or retired ones.

    Draw ``Question.current_version_id`` and keep that version on the paper.
    """
    stmt = select(Question).where(Question.status == Status.PUBLISHED)
    if category_id is not None:
        ids = descendant_ids(category_id) if include_subcategories else {category_id}
        stmt = stmt.where(Question.category_id.in_(ids))
    if qtype is not None:
        stmt = stmt.where(Question.qtype == qtype)
    if difficulty is not None:
        stmt = stmt.where(Question.difficulty == difficulty)
    return stmt


def bank_overview():
    """Counts per category x type x difficulty: published (drawable) and drafts.

    Returns {"published": {(category_id, qtype, difficulty): n}, "drafts": {category_id: n},
    "retired": {category_id: n}}.
    """
    rows = db.session.execute(
        select(Question.category_id, Question.qtype, Question.difficulty, Question.status, func.count()).group_by(
            Question.category_id, Question.qtype, Question.difficulty, Question.status
        )
    ).all()
    published, drafts, retired = {}, {}, {}
    for category_id, qtype, difficulty, status, count in rows:
        if status == Status.PUBLISHED:
            published[(category_id, qtype, difficulty)] = count
        elif status == Status.DRAFT:
            drafts[category_id] = drafts.get(category_id, 0) + count
        else:
            retired[category_id] = retired.get(category_id, 0) + count
    return {"published": published, "drafts": drafts, "retired": retired}


# --- history -------------------------------------------------------------------------


CHANGE_LABELS = {
    "qtype": "题型",
    "category": "分类",
    "difficulty": "难度",
    "stem": "题干",
    "options": "选项",
    "answer": "答案",
    "explanation": "解析",
    "source": "依据",
    "option_order": "选项顺序",
}


def version_changes(previous, version):
    """What changed from ``previous`` to ``version``: [(label, before, after)] in reading order."""
    changes = []
    for key, label in CHANGE_LABELS.items():
        if key == "options":
            before = [f"{letter}. {text}" for letter, text in previous.lettered_options]
            after = [f"{letter}. {text}" for letter, text in version.lettered_options]
        elif key == "category":
            before, after = previous.category.name, version.category.name
        elif key == "qtype":
            before, after = previous.qtype_label, version.qtype_label
        elif key == "difficulty":
            before, after = previous.difficulty_label, version.difficulty_label
        elif key == "answer":
            before, after = previous.answer_text, version.answer_text
        elif key == "option_order":
            before, after = previous.option_order_label, version.option_order_label
        else:
            before, after = getattr(previous, key), getattr(version, key)
        if before != after:
            changes.append((label, before, after))
    return changes


def published_lint():
    """The bank's quality report (``bank.lint``) on the published questions, grouped by category."""
    rows = db.session.execute(
        select(Question.id, QuestionVersion, QuestionCategory.name)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .join(QuestionCategory, QuestionCategory.id == QuestionVersion.category_id)
        .where(Question.status == Status.PUBLISHED)
        .order_by(Question.id)
    ).all()
    return lint(
        Entry(data=version, file=category, question_id=question_id, edited_on=local_time(version.created_at).date())
        for question_id, version, category in rows
    )
