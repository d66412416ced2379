"""Fill-in answers after a sitting: what was written in each blank, and accepting a correct variant.

A correct answer marked wrong can cost a unit its eligibility. After an exam ends, an exam admin
sees, for each blank of a 填空 question, the distinct answers given (as the grading rule compares
them), how many gave each and whether it was graded right. Marking one as correct (with a reason)
adds it to the blank's accepted answers in the question's next version and regrades the exam's
attempts with that version: directly before the seal; after the seal through the correction flow,
which waits for the office when a unit's standing would change.
"""

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from ..audit.services import record_change, register_actions
from ..bank.content import QType
from ..bank.grading import blank_contexts, blank_form, blank_matches
from ..bank.models import QuestionVersion
from ..bank.services import data_from_version, update_question
from ..errors import DomainError
from ..exams.models import ExamStatus
from ..extensions import db
from ..sitting.models import Attempt, AttemptItem, AttemptState
from . import corrections
from .services import _require_reason as require_reason

register_actions({"question.accept_variant": "接受填空答案的其他写法"})

#: how many distinct answers of one blank the page lists
SHOWN = 50
#: the longest variant accepted (a blank's answer is a word or a figure)
MAX_VARIANT = 100


@dataclass
class BlankAnswer:
    """One distinct answer of a blank, as the rule compares it, with its most common spelling."""

    text: str
    count: int
    right: bool
    spellings: Counter = field(default_factory=Counter)


@dataclass
class BlankReview:
    version: QuestionVersion
    key_version: QuestionVersion
    #: one list per blank, most frequent first
    blanks: list
    submitted: int

    @property
    def key(self):
        return self.key_version.answer


def key_version_of(exam_id, version):
    """The version whose key the exam's items of ``version`` are graded with now (a regrade moves it)."""
    key_id = db.session.scalar(
        select(AttemptItem.key_version_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(
            Attempt.exam_id == exam_id,
            Attempt.state == AttemptState.SUBMITTED,
            AttemptItem.question_version_id == version.id,
        )
        .limit(1)
    )
    return version if key_id is None else db.session.get(QuestionVersion, key_id)


def review(exam, version):
    """The blanks of ``version`` in ``exam``'s submitted attempts; None unless it is a 填空 the exam used."""
    if version is None or version.qtype != QType.BLANK:
        return None
    responses = db.session.scalars(
        select(AttemptItem.response)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(
            Attempt.exam_id == exam.id,
            Attempt.state == AttemptState.SUBMITTED,
            AttemptItem.question_version_id == version.id,
        )
    ).all()
    key_version = key_version_of(exam.id, version)
    count = len(key_version.answer)
    contexts = blank_contexts(key_version.stem, count)
    groups = [{} for _ in range(count)]
    for response in responses:
        parts = [response] if isinstance(response, str) else response if isinstance(response, list) else []
        for index in range(count):
            given = parts[index] if index < len(parts) and isinstance(parts[index], str) else ""
            shown = given.strip()
            before, after = contexts[index]
            folded = blank_form(given, before, after)
            entry = groups[index].get(folded)
            if entry is None:
                right = bool(folded) and blank_matches(given, key_version.answer[index], before, after)
                entry = groups[index][folded] = BlankAnswer(text=shown, count=0, right=right)
            entry.count += 1
            entry.spellings[shown] += 1
    blanks = []
    for group in groups:
        answers = sorted(group.values(), key=lambda a: (-a.count, a.text))
        for answer in answers:
            answer.text = answer.spellings.most_common(1)[0][0]
        blanks.append(answers[:SHOWN])
    return BlankReview(version=version, key_version=key_version, blanks=blanks, submitted=len(responses))


def accept_variant(actor, exam, version, blank, text, reason):
    """Accept ``text`` as a correct answer of blank number ``blank`` (1-based) and regrade the exam.

    Returns the correction's Outcome (applied, or proposed to the office after the seal)."""
    if exam.status not in (ExamStatus.CLOSED, ExamStatus.SEALED):
        raise DomainError("考试结束后才能接受填空答案的其他写法")
    if version is None or version.qtype != QType.BLANK:
        raise DomainError("这道题不是填空题")
    key_version = key_version_of(exam.id, version)
    answer = [list(alternatives) for alternatives in key_version.answer]
    if not isinstance(blank, int) or not 1 <= blank <= len(answer):
        raise DomainError(f"这道题只有 {len(answer)} 个空", field="blank")
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise DomainError("请选择要判为正确的答案", field="text")
    if len(text) > MAX_VARIANT or any(sep in text for sep in "|｜;；"):
        raise DomainError("答案不能超过 100 个字，也不能含有“|”或“;”", field="text")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise DomainError("答案中不能含有控制字符", field="text")
    reason = require_reason(reason)
    contexts = blank_contexts(key_version.stem, len(answer))
    before, after = contexts[blank - 1]
    if not blank_form(text, before, after):
        raise DomainError("这个答案去掉标点和题干已印出的字后是空的，不能作为标准答案", field="text")
    if blank_matches(text, answer[blank - 1], before, after):
        raise DomainError(f"“{text}”在第 {blank} 空已经判为正确", field="text")
    question = key_version.question
    current = question.current_version
    if current.id != key_version.id:
        # The exam is regraded with the version written here: it may differ from the key the exam
        # is graded with only in this blank's accepted answers, or the other blanks would change too.
        same_elsewhere = (
            current.qtype == QType.BLANK
            and current.stem == key_version.stem
            and len(current.answer) == len(answer)
            and all(
                {blank_form(a, *contexts[i]) for a in current.answer[i]}
                == {blank_form(a, *contexts[i]) for a in answer[i]}
                for i in range(len(answer))
                if i != blank - 1
            )
        )
        if not same_elsewhere:
            raise DomainError(
                f"试题 {question.id} 在本场考试后已改为第 {current.number} 版，题干或其他空的答案不同；"
                "请在题库中修改后，在成绩页面“按更正的答案重新评分”"
            )
        answer = [list(alternatives) for alternatives in current.answer]
    for other, alternatives in enumerate(answer, start=1):
        if other != blank and blank_matches(text, alternatives, *contexts[other - 1]):
            raise DomainError(
                f"“{text}”是第 {other} 空的答案，不能同时作为第 {blank} 空的答案（两空的答案会分不清）", field="text"
            )
    new_version = current
    if not blank_matches(text, answer[blank - 1], before, after):  # the newest version may accept it already
        answer[blank - 1].append(text)
        data = data_from_version(current)
        data.answer = answer
        new_version = update_question(
            actor, question, data, base_number=current.number, note=f"接受第 {blank} 空的答案“{text}”：{reason}"
        )
        db.session.flush()
    outcome = corrections.correct(
        actor, exam, "regrade", {"version_id": version.id, "key_version_id": new_version.id}, reason
    )
    # The bank keeps the accepted answer either way (the admin judged it correct); the exam's
    # regrade is applied now, or waits for the office when it would change a unit's standing.
    record_change(
        actor,
        "question.accept_variant",
        "question",
        question.id,
        label=f"{exam.title}：第 {question.id} 题第 {blank} 空",
        before={"key": key_version.answer, "key_version_id": key_version.id},
        after={
            "key": new_version.answer,
            "key_version_id": new_version.id,
            "accepted": text,
            "regrade": "待领导小组办公室确认" if outcome.proposed else "已重新评分",
        },
        reason=reason,
    )
    return outcome
