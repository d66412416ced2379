"""What a question is made of, apart from the database: types, answers and their checks.

Pure functions only. The importer, the authoring form and the grader all read
answers through this module, so "B", "acd", "√" and "4;四|24;二十四" mean the
same thing wherever they are typed.

Canonical answers (as stored on a question version):

- 单选 ``"B"``; 多选 ``"ACD"`` (letters sorted, at least two);
- 判断 ``"T"`` or ``"F"``;
- 填空 a list with one list of accepted alternatives per blank: ``[["4", "四"], ["24", "二十四"]]``.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

LETTERS = "ABCDEF"
MAX_OPTIONS = len(LETTERS)

MAX_STEM = 2000
MAX_OPTION = 500
MAX_EXPLANATION = 4000
MAX_SOURCE = 500
MAX_CATEGORY = 64

#: a blank in a 填空 stem: a run of three or more underscores (``____`` by convention)
BLANK_PATTERN = re.compile(r"[_＿]{3,}")
#: separators between letters of a choice answer ("A,C", "A、C", "A C")
_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/]+")
_BLANK_SEPARATOR = re.compile(r"[|｜]")
_ALTERNATIVE_SEPARATOR = re.compile(r"[;；]")
_WHITESPACE = re.compile(r"\s+")


class QType:
    SINGLE = "single"
    MULTIPLE = "multiple"
    JUDGE = "judge"
    BLANK = "blank"

    ALL = (SINGLE, MULTIPLE, JUDGE, BLANK)
    CHOICE = (SINGLE, MULTIPLE)
    LABELS = {SINGLE: "单选", MULTIPLE: "多选", JUDGE: "判断", BLANK: "填空"}

    @classmethod
    def from_label(cls, label):
        label = (label or "").strip().removesuffix("题")
        for qtype, text in cls.LABELS.items():
            if text == label:
                return qtype
        return None


class Difficulty:
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"

    ALL = (EASY, MEDIUM, HARD)
    LABELS = {EASY: "易", MEDIUM: "中", HARD: "难"}
    #: what an import accepts beside the labels themselves
    ALIASES = {"简单": EASY, "容易": EASY, "中等": MEDIUM, "一般": MEDIUM, "困难": HARD, "较难": HARD}

    @classmethod
    def from_label(cls, label):
        label = (label or "").strip()
        for difficulty, text in cls.LABELS.items():
            if text == label:
                return difficulty
        return cls.ALIASES.get(label)


JUDGE_TRUE = "T"
JUDGE_FALSE = "F"
JUDGE_LABELS = {JUDGE_TRUE: "对", JUDGE_FALSE: "错"}
_JUDGE_WORDS = {
    "对": JUDGE_TRUE,
    "正确": JUDGE_TRUE,
    "√": JUDGE_TRUE,
    "✓": JUDGE_TRUE,
    "✔": JUDGE_TRUE,
    "T": JUDGE_TRUE,
    "TRUE": JUDGE_TRUE,
    "错": JUDGE_FALSE,
    "错误": JUDGE_FALSE,
    "×": JUDGE_FALSE,
    "✗": JUDGE_FALSE,
    "✘": JUDGE_FALSE,
    "X": JUDGE_FALSE,
    "F": JUDGE_FALSE,
    "FALSE": JUDGE_FALSE,
}


@dataclass
class QuestionData:
    """Everything a version holds, as plain values (the category by id, or by name in an import)."""

    qtype: str
    stem: str
    options: list = field(default_factory=list)
    answer: object = None
    explanation: str = ""
    source: str = ""
    difficulty: str = Difficulty.MEDIUM
    category_id: int | None = None
    #: 单选/多选 only: show the options in their written order even when the exam shuffles options
    keep_option_order: bool = False


# --- normalising ---------------------------------------------------------------


def fold_width(text):
    """Full-width letters, digits and punctuation as their half-width forms (NFKC)."""
    return unicodedata.normalize("NFKC", text or "")


def comparable(text):
    """A form for comparing free text: half-width, lower case, no whitespace at all."""
    return _WHITESPACE.sub("", fold_width(text).casefold())


def stem_key(stem):
    """The normalised stem two questions share when they ask the same thing."""
    return BLANK_PATTERN.sub("____", comparable(stem))


def stem_hash(stem):
    return hashlib.sha256(stem_key(stem).encode("utf-8")).hexdigest()


def option_key(options):
    """The option set, order and spelling aside (options are shuffled for each examinee)."""
    return tuple(sorted(comparable(o) for o in options))


#: an option that is a number, perhaps with a unit or a range: 90, 1.5倍, 三十日, 6个月, 百分之六十,
#: 2000元以上2万元以下, or a date (2011年7月1日)
_AMOUNT = (
    r"(?:百分之|千分之|万分之)?[0-9零〇一二两三四五六七八九十百千万.点%]+"
    r"(?:个)?(?:工作日|小时|分钟|平方米|万元|周岁|天|日|月|年|周|岁|元|倍|人|次|名|项|台|%)?"
)
_NUMBER_OPTION = re.compile(
    rf"^(?:不超过|不少于|不低于|不高于|至少|约)?{_AMOUNT}(?:以上{_AMOUNT}以下|以上|以下|以内|内)?$"
    r"|^[0-9]{4}年[0-9]{1,2}月(?:[0-9]{1,2}日)?$"
)
#: a last option that speaks of the ones before it: 以上都是, 以上均不正确, 以上皆非, 以上选项都对
_ABOUT_THE_OTHERS = re.compile(r"^以上(?:都|均|皆|选项|各项)")


def needs_fixed_order(qtype, options):
    """Options whose order carries meaning: all numbers (read in order), or a last "以上都…"."""
    if qtype not in QType.CHOICE or len(options or ()) < 2:
        return False
    keys = [comparable(option) for option in options]
    return all(_NUMBER_OPTION.match(key) for key in keys) or bool(_ABOUT_THE_OTHERS.match(keys[-1]))


def blank_count(stem):
    return len(BLANK_PATTERN.findall(stem or ""))


def split_stem(stem):
    """The text around the blanks of a 填空 stem: n blanks give n + 1 segments."""
    return BLANK_PATTERN.split(stem or "")


def judge_value(text):
    """ "T" or "F" for any accepted spelling of 对/错, or None."""
    if isinstance(text, bool):
        return JUDGE_TRUE if text else JUDGE_FALSE
    if not isinstance(text, str):
        return None
    return _JUDGE_WORDS.get(fold_width(text).strip().upper())


def letters_of(text):
    """The letters of a choice answer in the order written, or None if anything else is in it."""
    cleaned = _LETTER_SEPARATORS.sub("", fold_width(text).upper())
    if not cleaned.isascii() or not cleaned.isalpha():
        return None
    return list(cleaned)


# --- parsing answers as people write them -----------------------------------------


def parse_answer(qtype, text, option_count=None):
    """Read an answer written as in the import format; returns (canonical, problem or None)."""
    text = (text or "").strip()
    if not text:
        return None, "答案不能为空"
    if qtype in QType.CHOICE:
        return _parse_choice(qtype, text, option_count)
    if qtype == QType.JUDGE:
        value = judge_value(text)
        if value is None:
            return None, f"判断题答案“{text}”无法识别，应为 对 或 错（也可写 正确/错误、√/×、T/F）"
        return value, None
    if qtype == QType.BLANK:
        return parse_blanks(_BLANK_SEPARATOR.split(text))
    return None, "题型无效"


def _parse_choice(qtype, text, option_count):
    letters = letters_of(text)
    if not letters:
        return None, f"答案“{text}”应为选项字母，如 B 或 ACD"
    repeated = sorted({c for c in letters if letters.count(c) > 1})
    if repeated:
        return None, f"答案“{text}”中字母 {''.join(repeated)} 重复"
    problem = letters_problem(qtype, letters, option_count)
    if problem:
        return None, problem
    return "".join(sorted(letters)), None


def letters_problem(qtype, letters, option_count):
    """Why a set of answer letters does not fit the question, or None."""
    if not letters:
        return "请选择正确答案"
    limit = LETTERS[:option_count] if option_count else LETTERS
    outside = sorted(c for c in set(letters) if c not in limit)
    if outside:
        if option_count:
            return f"答案中的 {''.join(outside)} 超出了选项范围（本题只有 A–{LETTERS[option_count - 1]}）"
        return f"答案中的 {''.join(outside)} 不是有效的选项字母（A–F）"
    if qtype == QType.SINGLE and len(letters) != 1:
        return "单选题只能有一个答案"
    if qtype == QType.MULTIPLE and len(letters) < 2:
        return "多选题的答案至少要有两个选项；只有一个正确选项的请改为单选题"
    return None


def parse_blanks(blank_texts):
    """One text per blank, alternatives separated by ``;``; returns (canonical, problem or None)."""
    blanks = []
    for number, text in enumerate(blank_texts, start=1):
        alternatives = []
        for alternative in _ALTERNATIVE_SEPARATOR.split(text or ""):
            alternative = alternative.strip()
            if alternative and comparable(alternative) not in {comparable(a) for a in alternatives}:
                alternatives.append(alternative)
        if not alternatives:
            return None, f"第 {number} 空没有答案"
        if any(_BLANK_SEPARATOR.search(a) for a in alternatives):
            return None, f"第 {number} 空的答案中不能含有“|”"
        blanks.append(alternatives)
    if not blanks:
        return None, "答案不能为空"
    return blanks, None


def format_answer(qtype, answer):
    """The answer written as in the import format (the inverse of ``parse_answer``)."""
    if answer is None:
        return ""
    if qtype == QType.JUDGE:
        return JUDGE_LABELS.get(answer, "")
    if qtype == QType.BLANK:
        return "|".join(";".join(alternatives) for alternatives in answer)
    return answer


def collect_options(cells):
    """Options from the cells 选项A…选项F: an empty cell ends the list.

    Returns (options, [(index, problem)]) where index is the offending cell.
    """
    options, problems = [], []
    ended_at = None
    for index, cell in enumerate(cells):
        cell = (cell or "").strip()
        if not cell:
            if ended_at is None:
                ended_at = index
            continue
        if ended_at is not None:
            problems.append(
                (
                    index,
                    f"选项{LETTERS[ended_at]}是空的，空单元格表示选项到此结束，其后的选项{LETTERS[index]}不能有内容",
                )
            )
            continue
        options.append(cell)
    return options, problems


# --- checking a whole question ------------------------------------------------------


def check_question(data):
    """Every problem with ``data``, as [(field, message)].

    ``field`` is one of qtype, stem, options, option_A … option_F, answer,
    explanation, source, difficulty, category.
    """
    problems = []
    add = problems.append
    if data.qtype not in QType.ALL:
        add(("qtype", "题型无效，应为 单选、多选、判断 或 填空"))
    if not data.stem:
        add(("stem", "题干不能为空"))
    elif len(data.stem) > MAX_STEM:
        add(("stem", f"题干不能超过 {MAX_STEM} 个字"))
    if data.difficulty not in Difficulty.ALL:
        add(("difficulty", "难度无效，应为 易、中 或 难"))
    if not data.source:
        add(("source", "依据（政策文件及条款）不能为空"))
    elif len(data.source) > MAX_SOURCE:
        add(("source", f"依据不能超过 {MAX_SOURCE} 个字"))
    if len(data.explanation or "") > MAX_EXPLANATION:
        add(("explanation", f"解析不能超过 {MAX_EXPLANATION} 个字"))
    if data.qtype in QType.CHOICE:
        problems.extend(_check_options(data.options))
        problems.extend(_check_choice_answer(data))
    elif data.qtype in (QType.JUDGE, QType.BLANK):
        if data.options:
            add(("options", f"{QType.LABELS[data.qtype]}题不需要填写选项"))
        if data.qtype == QType.JUDGE and data.answer not in JUDGE_LABELS:
            add(("answer", "请给出判断题的答案：对 或 错"))
        if data.qtype == QType.BLANK:
            problems.extend(_check_blanks(data))
    return problems


def _check_options(options):
    problems = []
    if len(options) < 2:
        problems.append(("options", "单选、多选题至少要有两个选项"))
    if len(options) > MAX_OPTIONS:
        problems.append(("options", f"选项最多 {MAX_OPTIONS} 个（A–F）"))
    seen = {}
    for index, option in enumerate(options[:MAX_OPTIONS]):
        letter = LETTERS[index]
        if len(option) > MAX_OPTION:
            problems.append((f"option_{letter}", f"选项{letter}不能超过 {MAX_OPTION} 个字"))
        key = comparable(option)
        if key in seen:
            problems.append((f"option_{letter}", f"选项{letter}与选项{seen[key]}相同"))
        seen.setdefault(key, letter)
    return problems


def _check_choice_answer(data):
    answer = data.answer
    if not isinstance(answer, str) or not answer:
        return [("answer", "请给出正确答案")]
    letters = list(answer)
    if len(set(letters)) != len(letters):
        return [("answer", "答案中有重复的字母")]
    problem = letters_problem(data.qtype, letters, len(data.options) if data.options else None)
    return [("answer", problem)] if problem else []


def _check_blanks(data):
    problems = []
    blanks = blank_count(data.stem)
    if data.stem and blanks == 0:
        problems.append(("stem", "填空题的题干中没有空，请用 ____（四个下划线）标出每个空"))
    answer = data.answer
    if not isinstance(answer, list) or not answer or not all(isinstance(a, list) and a for a in answer):
        problems.append(("answer", "请给出每个空的答案"))
    elif blanks and len(answer) != blanks:
        problems.append(("answer", f"题干有 {blanks} 个空，答案却有 {len(answer)} 个（各空的答案用 | 分隔）"))
    else:
        for number, alternatives in enumerate(answer, start=1):
            for alternative in alternatives:
                if not isinstance(alternative, str) or not alternative.strip():
                    problems.append(("answer", f"第 {number} 空有空白的答案"))
                elif _BLANK_SEPARATOR.search(alternative) or _ALTERNATIVE_SEPARATOR.search(alternative):
                    problems.append(("answer", f"第 {number} 空的答案中不能含有“|”或“;”"))
    return problems
