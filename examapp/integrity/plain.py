"""A sitting as plain data: the file ``flask integrity analyse-file`` reads, and its findings.

The analysis (``analysis.analyse``) is a pure function of a ``Sitting``; this module builds
one from a JSON document (docs/integrity.md, "The plain-data file"), so anyone can run the
checks on a sitting without the database, and ``exam_data`` writes an exam's sitting in
the same shape (``flask integrity export-file``). Unknown keys are ignored; anything
malformed is refused with the place it was found, and nothing is analysed.

    {"rooms": ["10.1.0.0/24", ...],
     "items": [{"id", "qtype": "single|multiple|judge|blank", "key", "points"}],
     "attempts": [{"id", "person", "unit", "district", "score", "started_at", "submitted_at",
       "answers": [{"item", "response", "first_answered_at", "answered_at", "saves"}],
       "sightings": [{"at", "kind", "address", "browser", "device", "tab"}]}]}
"""

import ipaddress
import math
from datetime import UTC, datetime, timedelta

import numpy as np

from ..bank.content import judge_value
from ..bank.grading import grade_response, normalise_blank
from ..errors import DomainError
from .analysis import AttemptInfo, Sighting, Sitting

QTYPES = ("single", "multiple", "judge", "blank")
SIGHTING_KINDS = ("opened", "reopened", "takeover", "address_changed")
#: an attempt's deadline when the file gives none: this long after its start
DEFAULT_MINUTES = 120


class PlainDataError(DomainError):
    """The file is not a sitting: the message says where and what."""


def canonical(qtype, response):
    """A response as a comparable string, or None when nothing was answered."""
    if response is None:
        return None
    if qtype == "blank":
        parts = response if isinstance(response, list) else [response]
        parts = [normalise_blank(p) if isinstance(p, str) else "" for p in parts]
        return "|".join(parts) if any(parts) else None
    if isinstance(response, list):
        response = "".join(sorted(str(p) for p in response))
    return str(response) or None


def _fail(where, what):
    raise PlainDataError(f"{where}：{what}")


def _object(value, where):
    if not isinstance(value, dict):
        _fail(where, "应为一个对象（{…}）")
    return value


def _list(value, where, *, optional=False):
    if value is None and optional:
        return []
    if not isinstance(value, list):
        _fail(where, "应为一个列表（[…]）")
    return value


def _identifier(value, where, *, optional=False):
    """An id: a whole number (a number written as text, "12", is taken too)."""
    if value is None and optional:
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        _fail(where, "应为整数编号（0 及以上，不超过 19 位）")
    return value


def _time(value, where, *, optional=False):
    if value is None and optional:
        return None
    if not isinstance(value, str):
        _fail(where, "应为带时区的时间，如 2026-11-10T09:00:00+08:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(where, f"“{value[:40]}”不是时间，应如 2026-11-10T09:00:00+08:00")
    if moment.tzinfo is None:
        _fail(where, f"“{value[:40]}”没有时区，应如 2026-11-10T09:00:00+08:00")
    return moment.astimezone(UTC)


def _number(value, where, *, optional=False):
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(where, "应为数字")
    return float(value)


def _text(value, where):
    if value is None:
        return None
    if not isinstance(value, str):
        _fail(where, "应为文字")
    return value


def _key(qtype, key, where):
    """The key in the bank's own terms: "B", "ACD", "T"/"F", [[alternatives of blank 1], ...]."""
    if qtype == "judge":
        value = judge_value(key)
        if value is None:
            _fail(where, "判断题的答案应为 T/F（或 对/错）")
        return value
    if qtype == "blank":
        blanks = key if isinstance(key, list) else [key]
        answer = []
        for blank in blanks:
            alternatives = blank if isinstance(blank, list) else [blank]
            if not alternatives or not all(isinstance(a, str) and a.strip() for a in alternatives):
                _fail(where, "填空题的答案应为每空一个文字（或一组可接受的文字）")
            answer.append(alternatives)
        if not answer:
            _fail(where, "填空题至少有一个空")
        return answer
    letters = "".join(key) if isinstance(key, list) and all(isinstance(k, str) for k in key) else key
    if not isinstance(letters, str) or not letters.isascii() or not letters.isalpha() or not letters:
        _fail(where, "选择题的答案应为选项字母，如 B 或 ACD")
    letters = "".join(sorted(set(letters.upper())))
    if qtype == "single" and len(letters) != 1:
        _fail(where, "单选题的答案应为一个字母")
    return letters


def _rooms(value):
    rooms = []
    for i, text in enumerate(_list(value, "rooms", optional=True)):
        if not isinstance(text, str):
            _fail(f"rooms[{i}]", "应为地址或网段文字，如 10.1.0.0/24")
        try:
            rooms.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            _fail(f"rooms[{i}]", f"“{text[:40]}”不是地址或网段")
    return rooms


def _items(value):
    items = {}
    for i, raw in enumerate(_list(value, "items")):
        where = f"items[{i}]"
        item = _object(raw, where)
        item_id = _identifier(item.get("id"), f"{where}.id")
        if item_id in items:
            _fail(f"{where}.id", f"题目 {item_id} 重复")
        qtype = item.get("qtype")
        if qtype not in QTYPES:
            _fail(f"{where}.qtype", "应为 single、multiple、judge 或 blank")
        points = _number(item.get("points", 1), f"{where}.points")
        if points < 0:
            _fail(f"{where}.points", "不能为负数")
        items[item_id] = (qtype, _key(qtype, item.get("key"), f"{where}.key"), points)
    return items


class _Builder:
    """Accumulates the answered items as the analysis's arrays, graded once per distinct response."""

    def __init__(self, items):
        self.items = items
        self.codes, self.graded = {}, {}
        self.attempt, self.version, self.response, self.wrong, self.first_at = [], [], [], [], []

    def add(self, index, item_id, response, first_at):
        qtype, key, _points = self.items[item_id]
        text = canonical(qtype, response)
        if text is None:
            return
        code = self.codes.setdefault((item_id, text), len(self.codes))
        wrong = self.graded.get(code)
        if wrong is None:
            try:
                wrong = grade_response(qtype, key, response, 1) != 1
            except (TypeError, ValueError):
                wrong = True  # a response the bank cannot read is not the key
            self.graded[code] = wrong
        self.attempt.append(index)
        self.version.append(item_id)
        self.response.append(code)
        self.wrong.append(wrong)
        self.first_at.append(first_at.timestamp() if first_at is not None else math.nan)


def _response(qtype, value, where):
    if value is None:
        return None
    if qtype == "blank":
        parts = value if isinstance(value, list) else [value]
        if not all(isinstance(p, str) for p in parts):
            _fail(where, "填空题的作答应为文字或文字列表")
        return parts
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return value
    if isinstance(value, bool) and qtype == "judge":
        return "T" if value else "F"
    if not isinstance(value, str):
        _fail(where, "应为文字（选择题为选项字母）")
    return value


def _sightings(raw, attempt_id, where):
    found = []
    for k, row in enumerate(_list(raw, where, optional=True)):
        place = f"{where}[{k}]"
        row = _object(row, place)
        kind = row.get("kind")
        if kind not in SIGHTING_KINDS:
            _fail(f"{place}.kind", "应为 opened、reopened、takeover 或 address_changed")
        found.append(
            Sighting(
                attempt_id=attempt_id,
                kind=kind,
                at=_time(row.get("at"), f"{place}.at"),
                address=_text(row.get("address"), f"{place}.address"),
                user_agent=_text(row.get("browser"), f"{place}.browser"),
                device=_text(row.get("device"), f"{place}.device"),
                tab=_text(row.get("tab"), f"{place}.tab"),
            )
        )
    return found


def sitting_from_data(data, now=None):
    """A ``Sitting`` from the plain-data document ``data`` (parsed JSON). PlainDataError if malformed."""
    data = _object(data, "文件")
    rooms = _rooms(data.get("rooms"))
    items = _items(data.get("items"))
    threshold = _number(data.get("threshold", 95), "threshold")
    builder = _Builder(items)
    attempts, sightings, seen, latest = [], [], set(), []
    for i, raw in enumerate(_list(data.get("attempts"), "attempts")):
        where = f"attempts[{i}]"
        row = _object(raw, where)
        attempt_id = _identifier(row.get("id"), f"{where}.id")
        if attempt_id in seen:
            _fail(f"{where}.id", f"答卷 {attempt_id} 重复")
        seen.add(attempt_id)
        started_at = _time(row.get("started_at"), f"{where}.started_at")
        submitted_at = _time(row.get("submitted_at"), f"{where}.submitted_at", optional=True)
        first, last = None, None
        answered = set()
        for k, answer in enumerate(_list(row.get("answers"), f"{where}.answers", optional=True)):
            place = f"{where}.answers[{k}]"
            answer = _object(answer, place)
            item_id = answer.get("item")
            if (
                isinstance(item_id, str)
                and item_id.strip().isascii()
                and item_id.strip().isdigit()
                and len(item_id.strip()) < 19
            ):
                item_id = int(item_id.strip())
            if isinstance(item_id, bool) or item_id not in items:
                _fail(f"{place}.item", f"题目 {item_id!r} 不在 items 中")
            if item_id in answered:
                _fail(f"{place}.item", f"题目 {item_id} 在同一份答卷中出现两次")
            answered.add(item_id)
            first_at = _time(answer.get("first_answered_at"), f"{place}.first_answered_at", optional=True)
            answered_at = _time(answer.get("answered_at"), f"{place}.answered_at", optional=True) or first_at
            _number(answer.get("saves", 1), f"{place}.saves")
            response = _response(items[item_id][0], answer.get("response"), f"{place}.response")
            if response is None:
                continue
            builder.add(i, item_id, response, first_at)
            if first_at is not None and (first is None or first_at < first):
                first = first_at
            if answered_at is not None and (last is None or answered_at > last):
                last = answered_at
        deadline_at = _time(row.get("deadline_at"), f"{where}.deadline_at", optional=True)
        state = row.get("state") if row.get("state") in ("in_progress", "submitted", "voided") else None
        attempts.append(
            AttemptInfo(
                id=attempt_id,
                user_id=_identifier(row.get("person", attempt_id), f"{where}.person"),
                unit_id=_identifier(row.get("unit"), f"{where}.unit"),
                district_id=_identifier(row.get("district"), f"{where}.district", optional=True),
                state=state or ("submitted" if submitted_at is not None else "in_progress"),
                started_at=started_at,
                deadline_at=deadline_at or (started_at + timedelta(minutes=DEFAULT_MINUTES)),
                submitted_at=submitted_at,
                score=_number(row.get("score"), f"{where}.score", optional=True),
                last_answer_at=last,
                first_answer_at=first,
            )
        )
        sightings.extend(_sightings(row.get("sightings"), attempt_id, f"{where}.sightings"))
        latest.extend(t for t in (started_at, submitted_at, last) if t is not None)
    if now is None:
        now = max([*latest, *(s.at for s in sightings)], default=datetime.now(UTC))
    return Sitting(
        attempts=attempts,
        item_attempt=np.array(builder.attempt, dtype=np.int64),
        item_version=np.array(builder.version, dtype=np.int64),
        item_response=np.array(builder.response, dtype=np.int64),
        item_wrong=np.array(builder.wrong, dtype=bool),
        item_first_at=np.array(builder.first_at, dtype=np.float64),
        sightings=sightings,
        now=now,
        threshold=threshold,
        rooms=rooms,
    )


def findings_data(drafts):
    """The findings as the plain-data command prints them."""
    return {
        "findings": [
            {
                "kind": d.kind,
                "attempts": list(d.attempt_ids),
                "unit": d.unit_ids[0] if d.kind == "unit" and d.unit_ids else None,
                "strength": round(float(d.strength), 3),
                "level": {"high": "高", "medium": "中", "low": "低"}[d.level],
            }
            for d in drafts
        ]
    }
