"""Does the bank measure knowledge? Rules a bank claims, checked on files and on the published bank.

A closed-book exam at a 95-point line measures little when the keys can be guessed: a 多选 whose
key is "every option but one" (with one absurd option) or two questions that answer each other.
``lint`` reads questions (from files being loaded, or the published bank) and reports:

- the share of 多选 keyed "all options but one" (at most 30 % per file), and the key-size spread;
- near-duplicate clusters: stems that read almost the same and have the same key (for 判断 any
  key: a true and a false version answer each other);
- a 依据 that names no article (第…条/款/项) or, for the notice, no section and item;
- fill-in blanks with a single accepted answer that is more than a number (a note: the grading
  rule folds numerals, width and units, but not synonyms);
- questions whose cited law was amended after the question was last edited (the published bank
  only: files carry no edit date; a question loaded from a file counts as edited when it was loaded);
- 单选/多选 whose options are numbers or end in "以上都…" but are shuffled with the exam's other
  questions (a file row left blank in 选项顺序 is fixed by the import; one that says 否 is reported).

The first three are rules the bank claims: they are errors (``flask bank lint`` exits 1). The last
three are notes for an editor to look at.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from .content import BLANK_PATTERN, LETTERS, QType, comparable, needs_fixed_order

#: at most this share of a file's 多选 may be keyed "all options but one"
ALL_BUT_ONE_LIMIT = Fraction(3, 10)
#: stems at least this similar (bigram Jaccard, punctuation and blanks aside) are near-duplicates
SIMILARITY = 0.8

#: an article, paragraph or item of a law (第五十条, 第三款, 第2项), or a section/item of the notice
_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千0-9]+[条款项]")
_NOTICE = "郑政办〔2005〕27号"
#: a section of the notice or its standard (三、 / 第三部分 / （二）) or a numbered item (第2条, 2.)
_NOTICE_ITEM = re.compile(
    r"[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分|（[一二三四五六七八九十]+）|第[0-9一二三四五六七八九十]+条"
)
#: documents organised in articles (第…条); others (意见, 通知, 决定) are cited by section
_ARTICLED = ("法", "条例", "规定", "办法", "细则", "规则", "标准")
_SECTION = re.compile(r"[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|第[一二三四五六七八九十]+部分")
_LISTED_SECTION = re.compile(r"附件.{0,3}(一|二)、|附件.{0,3}第(一|二)部分")
_LISTED_ITEM = re.compile(r"第[0-9一二三四五六七八九十]+[条项]|[0-9]+[.．]")
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)
_NUMBER = re.compile(r"^[0-9零〇一二两三四五六七八九十百千万.．%％]+$")

#: when each law a question may cite was last amended (the version in force), by its name in 《》
LAW_AMENDED = {
    "中华人民共和国社会保险法": date(2018, 12, 29),
    "中华人民共和国劳动法": date(2018, 12, 29),
    "中华人民共和国劳动合同法": date(2012, 12, 28),
    "中华人民共和国就业促进法": date(2015, 4, 24),
    "中华人民共和国老年人权益保障法": date(2018, 12, 29),
    "中华人民共和国劳动争议调解仲裁法": date(2007, 12, 29),
    "中华人民共和国劳动合同法实施条例": date(2008, 9, 18),
    "工伤保险条例": date(2010, 12, 20),
    "保障农民工工资支付条例": date(2019, 12, 30),
    "就业服务与就业管理规定": date(2022, 1, 7),
    "劳动保障监察条例": date(2004, 11, 1),
    "失业保险条例": date(1999, 1, 22),
    "禁止使用童工规定": date(2002, 10, 1),
    "劳务派遣暂行规定": date(2014, 1, 24),
}

RULE_LABELS = {
    "all_but_one": "多选答案“除一项外全选”过多",
    "near_duplicate": "近似重复的试题",
    "source_article": "依据未写明条款",
    "blank_variants": "填空只有一种答案写法",
    "amended_law": "所引法律在试题最后修改后又有修订",
    "option_order": "建议选项顺序固定",
}
#: rules the bank claims: breaking one is an error
CLAIMED = ("all_but_one", "near_duplicate", "source_article")


@dataclass(frozen=True)
class Entry:
    """One question to check: its content and where it is (a file's row, or a question id)."""

    data: object  # QuestionData or anything with qtype, stem, options, answer, source
    file: str | None = None
    row: int | None = None
    question_id: int | None = None
    edited_on: date | None = None

    def where(self):
        if self.question_id is not None:
            return f"试题 {self.question_id}"
        return f"{self.file} 第 {self.row} 行" if self.file else f"第 {self.row} 行"


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    #: the question, when the published bank was checked (files have rows instead)
    question_id: int | None = None

    @property
    def is_error(self):
        return self.rule in CLAIMED

    def as_text(self):
        if self.question_id is not None:
            return f"试题 {self.question_id}：{self.message}"
        place = "".join(
            [
                f"{self.file}：" if self.file else "",
                f"第 {self.row} 行" if self.row else "",
                f"“{self.column}”列" if self.column else "",
            ]
        )
        return f"{place}：{self.message}" if place else self.message


@dataclass
class Report:
    questions: int = 0
    multiple: int = 0
    all_but_one: int = 0
    #: {(key size, option count): number of 多选}
    key_sizes: Counter = field(default_factory=Counter)
    #: groups of near-duplicate entries
    clusters: list = field(default_factory=list)
    findings: list = field(default_factory=list)

    @property
    def errors(self):
        return [f for f in self.findings if f.is_error]

    @property
    def notes(self):
        return [f for f in self.findings if not f.is_error]

    @property
    def all_but_one_share(self):
        return Fraction(self.all_but_one, self.multiple) if self.multiple else Fraction(0)

    def counts(self):
        return Counter(f.rule for f in self.findings)


def lint(entries):
    """A Report on ``entries`` (an iterable of Entry)."""
    entries = list(entries)
    report = Report(questions=len(entries))
    _check_multiple(entries, report)
    _check_duplicates(entries, report)
    for entry in entries:
        _check_source(entry, report)
        _check_blanks(entry, report)
        _check_amended(entry, report)
        _check_option_order(entry, report)
    report.findings.sort(key=lambda f: (not f.is_error, f.file or "", f.row or 0, f.rule))
    return report


# --- 多选 keys ---------------------------------------------------------------------------


def is_all_but_one(data):
    options = len(data.options or ())
    return data.qtype == QType.MULTIPLE and options >= 3 and len(data.answer or "") == options - 1


def _check_multiple(entries, report):
    by_file = defaultdict(list)
    for entry in entries:
        if entry.data.qtype != QType.MULTIPLE:
            continue
        report.multiple += 1
        report.key_sizes[(len(entry.data.answer or ""), len(entry.data.options or ()))] += 1
        by_file[entry.file].append(entry)
    for file, group in sorted(by_file.items(), key=lambda item: item[0] or ""):
        flagged = [e for e in group if is_all_but_one(e.data)]
        report.all_but_one += len(flagged)
        share = Fraction(len(flagged), len(group))
        if share > ALL_BUT_ONE_LIMIT:
            places = "、".join(str(e.row if e.row is not None else e.question_id) for e in flagged)
            where = "行" if flagged[0].row is not None else "题"
            report.findings.append(
                Finding(
                    "all_but_one",
                    f"{len(group)} 道多选中有 {len(flagged)} 道（{_percent(share)}）的答案是“除一项外全选”，"
                    f"超过 {_percent(ALL_BUT_ONE_LIMIT)}：第 {places} {where}",
                    file=file,
                    column="答案",
                )
            )


def _percent(share):
    return f"{round(float(share) * 100)}%"


# --- near-duplicates ----------------------------------------------------------------------


def stem_shape(stem):
    """The stem as compared for near-duplicates: no blanks, punctuation, spaces, width or case."""
    return _PUNCTUATION.sub("", BLANK_PATTERN.sub("", comparable(stem)))


def _bigrams(text):
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def similarity(a, b):
    """Bigram Jaccard similarity of two stems' shapes (1.0: the same words)."""
    x, y = _bigrams(stem_shape(a)), _bigrams(stem_shape(b))
    return len(x & y) / len(x | y) if x | y else 1.0


def key_of(data):
    """The key as what it says, not where it sits: the correct options' texts, T/F, or the blanks."""
    if data.qtype in QType.CHOICE:
        options = data.options or []
        return frozenset(
            comparable(options[LETTERS.index(letter)]) for letter in data.answer if LETTERS.index(letter) < len(options)
        )
    if data.qtype == QType.BLANK:
        return tuple(frozenset(comparable(a) for a in alternatives) for alternatives in data.answer or [])
    return data.answer


def _same_question(a, b):
    if a.data.qtype != b.data.qtype:
        return False
    if similarity(a.data.stem, b.data.stem) < SIMILARITY:
        return False
    # a true and a false version of one statement answer each other whatever their keys
    return a.data.qtype == QType.JUDGE or key_of(a.data) == key_of(b.data)


def _check_duplicates(entries, report):
    parent = list(range(len(entries)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    shapes = [_bigrams(stem_shape(e.data.stem)) for e in entries]
    by_type = defaultdict(list)
    for i, entry in enumerate(entries):
        by_type[entry.data.qtype].append(i)
    for indexes in by_type.values():
        # Jaccard >= s needs the smaller set to hold at least s of the larger: compare neighbours in size only
        indexes.sort(key=lambda i: len(shapes[i]))
        for position, i in enumerate(indexes):
            for j in indexes[position + 1 :]:
                if len(shapes[i]) < SIMILARITY * len(shapes[j]):
                    break
                union = len(shapes[i] | shapes[j])
                if len(shapes[i] & shapes[j]) < SIMILARITY * union:
                    continue
                if _same_question(entries[i], entries[j]):
                    parent[root(max(i, j))] = root(min(i, j))
    groups = defaultdict(list)
    for i, entry in enumerate(entries):
        groups[root(i)].append(entry)
    for group in groups.values():
        if len(group) < 2:
            continue
        report.clusters.append(group)
        first, others = group[0], group[1:]
        report.findings.append(
            Finding(
                "near_duplicate",
                f"与{'、'.join(o.where() for o in others)}题干几乎相同且答案相同，一张试卷中可能互相提示",
                file=first.file,
                row=first.row,
                question_id=first.question_id,
                column="题干",
            )
        )


# --- 依据 ------------------------------------------------------------------------------------


def names_an_article(source):
    """Every document a 依据 cites names its article (or, for the notice, its section and item)."""
    text = (source or "").strip()
    if not text:
        return False
    cited = 0
    for segment in re.split(r"(?=《)|(?=郑政办〔2005〕27号)", text):
        if segment.startswith("《"):
            cited += 1
            if not _cites_a_part(segment):
                return False
        elif segment.startswith(_NOTICE):
            cited += 1
            if not _notice_item(segment[len(_NOTICE) :]):
                return False
    return cited > 0 or bool(_ARTICLE.search(text))


def _cites_a_part(segment):
    """A law, regulation or rules (法/条例/规定/办法/细则) by article; an opinion or notice of the
    State Council (意见/通知/决定) has no articles, so by its section (二、, （一）)."""
    title = segment[1 : segment.find("》")] if "》" in segment else segment
    if _ARTICLE.search(segment):
        return True
    if re.sub(r"[（(][^）)]*[）)]$", "", title).endswith(_ARTICLED):  # 《…办法（试行）》 is still 办法
        return False
    return bool(_SECTION.search(segment[len(title) + 2 :]))


def _notice_item(part):
    if not _NOTICE_ITEM.search(part):
        return False
    # sections 一 and 二 of the standard are numbered lists: name the item too
    if _LISTED_SECTION.search(part):
        return bool(_LISTED_ITEM.search(part))
    return True


def _check_source(entry, report):
    if not names_an_article(entry.data.source):
        text = (entry.data.source or "").strip()
        report.findings.append(
            Finding(
                "source_article",
                f"依据“{text}”没有写明条款（如“第五十条”，或通知的第几部分第几条）" if text else "依据为空",
                file=entry.file,
                row=entry.row,
                question_id=entry.question_id,
                column="依据",
            )
        )


# --- 填空 --------------------------------------------------------------------------------------


def _check_blanks(entry, report):
    if entry.data.qtype != QType.BLANK:
        return
    for number, alternatives in enumerate(entry.data.answer or [], start=1):
        if len(alternatives) == 1 and not _NUMBER.match(comparable(alternatives[0])):
            report.findings.append(
                Finding(
                    "blank_variants",
                    f"第 {number} 空只接受“{alternatives[0]}”一种写法，请确认没有其他正确说法",
                    file=entry.file,
                    row=entry.row,
                    question_id=entry.question_id,
                    column="答案",
                )
            )


# --- amended laws --------------------------------------------------------------------------------


def cited_laws(source):
    """The laws named in 《》 in a 依据."""
    return re.findall(r"《([^》]+)》", source or "")


def _check_amended(entry, report):
    if entry.edited_on is None:
        return
    for law in cited_laws(entry.data.source):
        amended = LAW_AMENDED.get(law)
        if amended is not None and amended > entry.edited_on:
            report.findings.append(
                Finding(
                    "amended_law",
                    f"《{law}》于 {_day(amended)} 修订，晚于这道题最后一次修改（{_day(entry.edited_on)}），请核对",
                    file=entry.file,
                    row=entry.row,
                    question_id=entry.question_id,
                    column="依据",
                )
            )


def _check_option_order(entry, report):
    data = entry.data
    if not data.keep_option_order and needs_fixed_order(data.qtype, data.options):
        report.findings.append(
            Finding(
                "option_order",
                "选项为数字或含“以上都…”，建议设为选项顺序固定",
                file=entry.file,
                row=entry.row,
                question_id=entry.question_id,
                column="选项顺序",
            )
        )


def _day(value):
    return f"{value.year}年{value.month}月{value.day}日"


def summary_lines(report, group="文件"):
    """The report's figures as lines an editor reads (the command line by file, the overview page by 分类)."""
    lines = [f"试题 {report.questions} 道，其中多选 {report.multiple} 道。"]
    if report.multiple:
        lines.append(
            f"多选答案为“除一项外全选”的 {report.all_but_one} 道，占 {_percent(report.all_but_one_share)}"
            f"（每个{group}不超过 {_percent(ALL_BUT_ONE_LIMIT)}）。"
        )
        spread = "，".join(
            f"{options} 个选项选 {size} 项 {count} 道" for (size, options), count in sorted(report.key_sizes.items())
        )
        lines.append(f"多选答案项数分布：{spread}。")
    lines.append(f"近似重复的试题 {len(report.clusters)} 组。")
    counts = report.counts()
    lines.append("；".join(f"{RULE_LABELS[rule]} {counts.get(rule, 0)} 处" for rule in RULE_LABELS) + "。")
    return lines
