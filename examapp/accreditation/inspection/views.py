"""二看 pages: a unit's checklist (view, record, print) and its items' photos."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import access
from ...access import requires
from ...clock import local_today, utcnow
from ...cycles.models import AccreditationRecord
from ...errors import DomainError
from ...extensions import db
from ...web.form_errors import first_error, report
from .. import storage
from ..checklist import CHECKLIST_LABELS, SECTIONS
from . import services as service
from .forms import PhotoForm, RemovePhotoForm, answers, field_name, form_data, inspection_form
from .models import InspectionItem

bp = Blueprint("accreditation_inspection", __name__, url_prefix="/accreditation", template_folder="templates")


def _record(record_id, permission):
    record = db.session.get(AccreditationRecord, record_id)
    if record is None:
        abort(404)
    access.ensure(current_user, permission, record)
    return record


def _items(record):
    try:
        return service.items_for(record)
    except DomainError:
        abort(404)


def _page_context(record):
    inspection = service.inspection_of(record)
    recorded = {row.code: row for row in inspection.items} if inspection is not None else {}
    return {
        "record": record,
        "unit": record.unit,
        "inspection": inspection,
        "recorded": recorded,
        "failures": service.failing_items(inspection) if inspection is not None and inspection.items else [],
        "checklist_label": CHECKLIST_LABELS[service.checklist_kind(record.unit)],
        "sections": SECTIONS,
    }


@bp.get("/records/<int:record_id>/inspection")
@requires("accreditation.view")
def inspection(record_id):
    record = _record(record_id, "accreditation.view")
    items = _items(record)
    context = _page_context(record)
    shown = (
        service.recorded_items(context["inspection"])
        if context["inspection"] is not None and context["inspection"].items
        else [(item, None) for item in items]
    )
    return render_template(
        "accreditation/inspection/inspection.html",
        items=shown,
        photo_form=PhotoForm(),
        remove_form=RemovePhotoForm(),
        may_record=access.can(current_user, "accreditation.check", record) and record.decision is None,
        **context,
    )


@bp.route("/records/<int:record_id>/inspection/edit", methods=["GET", "POST"])
@requires("accreditation.check")
def inspection_edit(record_id):
    record = _record(record_id, "accreditation.check")
    items = _items(record)
    current = service.inspection_of(record)
    initial = form_data(current, items)
    initial.setdefault("inspected_on", local_today())
    form = inspection_form(items, data=initial)
    if record.decision is not None:
        flash("该单位的验收决定已确认，不能再修改检查记录。", "warning")
        return redirect(url_for("accreditation_inspection.inspection", record_id=record.id))
    if form.validate_on_submit():
        try:
            service.record_inspection(
                current_user._get_current_object(),
                record,
                inspected_on=form.inspected_on.data,
                answers=answers(form, items),
                note=form.note.data,
                today=local_today(),
            )
        except DomainError as exc:
            report(exc, form, fields={exc.field: field_name(exc.field, items)} if exc.field else None)
        else:
            failures = service.failing_items(service.inspection_of(record))
            if failures:
                flash(f"已记录二看检查：{len(failures)} 项不符合标准。", "warning")
            else:
                flash("已记录二看检查：全部项目符合标准。", "success")
            return redirect(url_for("accreditation_inspection.inspection", record_id=record.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "accreditation/inspection/inspection_form.html",
        form=form,
        items=items,
        record=record,
        unit=record.unit,
        inspection=current,
        checklist_label=CHECKLIST_LABELS[service.checklist_kind(record.unit)],
        sections=SECTIONS,
    ), status


@bp.get("/records/<int:record_id>/inspection/print")
@requires("accreditation.view")
def inspection_print(record_id):
    """The checklist on paper: filled in when recorded, blank (for the visit) otherwise."""
    record = _record(record_id, "accreditation.view")
    items = _items(record)
    context = _page_context(record)
    recorded = context["recorded"]
    shown = [(item, recorded.get(item.code)) for item in items] if not recorded else None
    if shown is None:
        shown = service.recorded_items(context["inspection"])
    return render_template(
        "accreditation/inspection/inspection_print.html", items=shown, printed_at=utcnow(), **context
    )


# --- photos ------------------------------------------------------------------------


def _item(item_id, permission):
    row = db.session.get(InspectionItem, item_id)
    if row is None:
        abort(404)
    access.ensure(current_user, permission, row.inspection)
    return row


@bp.get("/inspection-items/<int:item_id>/photo")
@requires("accreditation.view")
def inspection_photo(item_id):
    row = _item(item_id, "accreditation.view")
    if not row.photo_name:
        abort(404)
    return storage.send_stored(row.photo_name, service.photo_download_name(row), row.photo_type)


@bp.post("/inspection-items/<int:item_id>/photo")
@requires("accreditation.check")
def inspection_photo_upload(item_id):
    row = _item(item_id, "accreditation.check")
    back = redirect(url_for("accreditation_inspection.inspection", record_id=row.inspection.record_id))
    form = PhotoForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return back
    try:
        service.ensure_open(row.inspection.record)
        stored = storage.store_upload(
            form.photo.data,
            allowed_kinds=set(service.PHOTO_KINDS),
            max_bytes=service.max_photo_bytes(current_app.config),
        )
        service.attach_photo(current_user._get_current_object(), row, stored)
    except DomainError as exc:
        report(exc)
        return back
    flash("照片已上传。", "success")
    return back


@bp.post("/inspection-items/<int:item_id>/photo/remove")
@requires("accreditation.check")
def inspection_photo_remove(item_id):
    row = _item(item_id, "accreditation.check")
    back = redirect(url_for("accreditation_inspection.inspection", record_id=row.inspection.record_id))
    form = RemovePhotoForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return back
    try:
        service.remove_photo(current_user._get_current_object(), row)
    except DomainError as exc:
        report(exc)
        return back
    flash("照片已删除。", "success")
    return back
