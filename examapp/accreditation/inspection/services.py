"""二看 (inspection): record the checklist of one unit, judge every item, keep the history.

The checklist comes from ``checklist.py``; each recorded item keeps the threshold it was judged
against. Recording again (allowed until the office confirms the decision) updates the items and
appends a new record entry; earlier entries are never changed.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import has_request_context, url_for
from sqlalchemy import select

from ...audit.services import record_change, register_actions
from ...clock import utcnow
from ...cycles.services import add_entry
from ...errors import DomainError
from ...extensions import db
from ...org.models import UnitKind
from ...reasons import MAX_REASON_LENGTH, too_long
from .. import storage
from ..checklist import COMMUNITY, NUMBER, SPECS, STREET, ChecklistItem, checklist, format_number, judge
from ..outcomes import CheckOutcome
from .models import Inspection, InspectionItem

NAME = "二看"
#: a measured value above this is a typing error (10 digits, 2 decimals in the column)
MAX_VALUE = Decimal("99999999.99")

register_actions(
    {
        "accreditation.inspection": "记录二看检查",
        "accreditation.inspection_photo": "上传二看照片",
        "accreditation.inspection_photo_remove": "删除二看照片",
    }
)
#: what a checklist photo may be
PHOTO_KINDS = ("image",)


@dataclass
class Answer:
    """What the inspector recorded for one item."""

    value: Decimal | None = None
    checked: bool | None = None
    note: str = ""


def checklist_kind(unit):
    """Which checklist applies to ``unit``: a street / township office or a community."""
    if unit.kind in (UnitKind.STREET, UnitKind.TOWNSHIP):
        return STREET
    if unit.kind == UnitKind.COMMUNITY:
        return COMMUNITY
    raise DomainError("只有街道、乡镇和社区参加验收，该单位没有二看检查表")


def items_for(record):
    """The checklist of ``record``'s unit with its cycle's thresholds."""
    return checklist(record.cycle, checklist_kind(record.unit))


def inspection_of(record):
    return db.session.scalar(select(Inspection).where(Inspection.record_id == record.id))


def _check_value(item, answer):
    """The problem with a recorded answer, or None (the form says the same, field by field)."""
    if item.kind != NUMBER:
        if answer.checked is None:
            return f"“{item.label}”：请选择“是”或“否”"
        return None
    value = answer.value
    if value is None:
        if item.alternative and answer.checked:
            return None
        return f"“{item.label}”：请填写实测值" + (f"，或勾选“{item.alternative}”" if item.alternative else "")
    if not value.is_finite() or value < 0:
        return f"“{item.label}”：实测值不能为负数"
    if value > MAX_VALUE:
        return f"“{item.label}”：实测值过大"
    if value != value.quantize(Decimal("0.01")):
        return f"“{item.label}”：实测值最多两位小数"
    if item.integral and value != value.to_integral_value():
        return f"“{item.label}”：请填写整数"
    return None


def _snapshot(inspection):
    if inspection is None or not inspection.items:
        return None
    return {
        "inspected_on": inspection.inspected_on.isoformat() if inspection.inspected_on else None,
        "passed": inspection.passed,
        "failed": sorted(i.code for i in inspection.items if not i.passed),
        "values": {i.code: format_number(i.value) for i in inspection.items if i.value is not None},
    }


def ensure_open(record):
    if record.decision is not None:
        raise DomainError("该单位的验收决定已确认，不能再修改检查记录")


def record_inspection(actor, record, *, inspected_on, answers, note="", today=None):
    """Record (or record again) the checklist of ``record``'s unit.

    ``answers``: {item code: Answer} for every item of the unit's checklist. Raises DomainError
    (nothing changed) on a missing or invalid answer, a date in the future, or after the decision.
    """
    ensure_open(record)
    kind = checklist_kind(record.unit)
    items = checklist(record.cycle, kind)
    if not isinstance(inspected_on, date):
        raise DomainError("请填写检查日期", field="inspected_on")
    if today is not None and inspected_on > today:
        raise DomainError("检查日期不能晚于今天", field="inspected_on")
    note = (note or "").strip()
    if len(note) > MAX_REASON_LENGTH:
        raise DomainError(too_long("检查意见"), field="note")
    for item in items:
        answer = answers.get(item.code)
        if answer is None:
            raise DomainError(f"“{item.label}”：请填写检查结果", field=item.code)
        problem = _check_value(item, answer)
        if problem:
            raise DomainError(problem, field=item.code)
        if len((answer.note or "").strip()) > MAX_REASON_LENGTH:
            raise DomainError(f"“{item.label}”：{too_long('备注')}", field=item.code)

    inspection = inspection_of(record)
    before = _snapshot(inspection)
    if inspection is None:
        inspection = Inspection(record_id=record.id, record=record, checklist=kind)
        db.session.add(inspection)
    inspection.checklist, inspection.inspected_on, inspection.note = kind, inspected_on, note
    inspection.recorded_by_id = actor.id if actor is not None else None
    inspection.updated_at = utcnow()
    existing = {i.code: i for i in inspection.items}
    wanted = {item.code for item in items}
    for code, stale in existing.items():
        if code not in wanted:  # the unit changed kind since the last recording
            inspection.items.remove(stale)
            db.session.delete(stale)
    db.session.flush()
    failures = []
    for item in items:
        answer = answers[item.code]
        row = existing.get(item.code)
        if row is None:
            row = InspectionItem(code=item.code)
            inspection.items.append(row)
        if item.kind == NUMBER:
            row.value, row.threshold = answer.value, item.threshold
            row.checked = bool(answer.checked) if item.alternative else None
        else:
            row.value, row.threshold, row.checked = None, None, bool(answer.checked)
        verdict = judge(item, value=row.value, checked=row.checked)
        row.passed, row.note = verdict.passed, (answer.note or "").strip()
        if not verdict.passed:
            failures.append(_failure_text(verdict.failure, row.note))
    inspection.passed = not failures
    db.session.flush()

    if failures:
        text = f"二看不合格：{len(failures)} 项不符合标准——" + "；".join(failures)
    else:
        text = f"二看合格：{len(items)} 项均符合标准"
    add_entry(record, actor, "inspection", status="passed" if not failures else "failed", text=text)
    record_change(
        actor,
        "accreditation.inspection",
        "inspection",
        inspection.id,
        label=f"{record.unit.name} · {record.cycle.year} 年二看",
        before=before,
        after=_snapshot(inspection),
        district_id=record.district_id,
    )
    return inspection


# --- photos ----------------------------------------------------------------------


def max_photo_bytes(config):
    """The cap of one photo: ACCREDITATION_MAX_FILE_BYTES, by default the upload cap."""
    return int(config.get("ACCREDITATION_MAX_FILE_BYTES") or config.get("UPLOAD_MAX_BYTES") or 8 * 1024 * 1024)


def _item_label(row):
    spec = next((s for s in SPECS.get(row.inspection.checklist, ()) if s.code == row.code), None)
    return spec.label if spec else row.code


def attach_photo(actor, row, stored):
    """Keep ``stored`` (a ``storage.StoredFile``, images only) as the photo of checklist item ``row``;
    a photo it had before is removed once this commits."""
    record = row.inspection.record
    ensure_open(record)
    if stored.file_type not in storage.allowed_types(PHOTO_KINDS):
        raise DomainError("照片只能是图片（PNG、JPEG）")
    before = {"photo": row.photo_name}
    if row.photo_name:
        storage.delete_after_commit(row.photo_name)
    row.photo_name, row.photo_type = stored.storage_name, stored.content_type
    db.session.flush()
    record_change(
        actor,
        "accreditation.inspection_photo",
        "inspection_item",
        row.id,
        label=f"{record.unit.name} · 二看 · {_item_label(row)}",
        before=before,
        after={"photo": stored.storage_name, "filename": stored.filename, "size": stored.size, "sha256": stored.sha256},
        district_id=record.district_id,
    )


def remove_photo(actor, row):
    record = row.inspection.record
    ensure_open(record)
    if not row.photo_name:
        raise DomainError("该项目没有照片")
    storage.delete_after_commit(row.photo_name)
    before = {"photo": row.photo_name}
    row.photo_name = row.photo_type = None
    db.session.flush()
    record_change(
        actor,
        "accreditation.inspection_photo_remove",
        "inspection_item",
        row.id,
        label=f"{record.unit.name} · 二看 · {_item_label(row)}",
        before=before,
        after={"photo": None},
        district_id=record.district_id,
    )


def photo_download_name(row):
    extension = {"image/png": "png", "image/jpeg": "jpg"}.get(row.photo_type, "bin")
    record = row.inspection.record
    return f"{record.unit.name}-二看-{_item_label(row)}.{extension}"


def _failure_text(failure, note):
    return f"{failure}（备注：{note}）" if note else failure


def recorded_items(inspection):
    """[(ChecklistItem with the recorded threshold, InspectionItem)] in the checklist's order."""
    specs = {spec.code: spec for spec in SPECS.get(inspection.checklist, ())}
    rows = {row.code: row for row in inspection.items}
    ordered = [code for code in specs if code in rows] + [code for code in rows if code not in specs]
    result = []
    for code in ordered:
        row = rows[code]
        spec = specs.get(code)
        if spec is None:
            continue  # an item the current checklist no longer has: kept in the database, not judged
        result.append((ChecklistItem(spec, row.threshold), row))
    return result


def failing_items(inspection):
    """Every failing item, each in a sentence ("办事大厅面积 59.99 m²，低于 60 m²")."""
    failures = []
    for item, row in recorded_items(inspection):
        if not row.passed:
            verdict = judge(item, value=row.value, checked=row.checked, threshold=row.threshold)
            failures.append(_failure_text(verdict.failure or f"{item.label}：不符合标准", row.note))
    return failures


def _url(record):
    return url_for("accreditation_inspection.inspection", record_id=record.id) if has_request_context() else None


def outcome(record):
    """二看 for the record page and the decision."""
    inspection = inspection_of(record)
    url = _url(record)
    if inspection is None or inspection.passed is None:
        return CheckOutcome(NAME, None, "尚未检查", ["二看（硬件、制度、台帐）尚未检查"], url)
    when = inspection.inspected_on.strftime("%Y-%m-%d") if inspection.inspected_on else ""
    if inspection.passed:
        count = len(inspection.items)
        return CheckOutcome(NAME, True, f"{count} 项均符合标准（{when} 检查）", [], url)
    failures = failing_items(inspection)
    return CheckOutcome(NAME, False, f"{len(failures)} 项不符合标准（{when} 检查）", failures, url)
