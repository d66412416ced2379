"""三查 pages: target, the re-employed list (import, template), the draw, the findings, print and export.

ID numbers appear only masked (``ReemployedPerson.masked_id_number``) on every page and in every export.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ... import access
from ...access import requires
from ...clock import display_zone, file_stamp, utcnow
from ...cycles.models import AccreditationRecord
from ...downloads import send_spreadsheet
from ...errors import DomainError
from ...extensions import db
from ...numbers import percent
from ...spreadsheets import DATE, DATETIME, INTEGER, SpreadsheetError, made_at_line, read_table
from ...web.form_errors import first_error, report
from ...web.ids import db_int
from ...web.transaction import fail
from . import services as service
from .forms import DrawForm, ImportForm, TargetForm, VerifyForm, findings
from .models import ReemployedPerson, Verification
from .people_sheet import COLUMNS, template_workbook, write_sheets

bp = Blueprint("accreditation_onsite", __name__, url_prefix="/accreditation", template_folder="templates")

LIST_PAGE_SIZE = 100
VERIFY_PAGE_SIZE = 100


def _record(record_id, permission):
    record = db.session.get(AccreditationRecord, record_id)
    if record is None or not record.unit.is_assessed:
        abort(404)
    access.ensure(current_user, permission, record)
    return record


def _back(record):
    return redirect(url_for("accreditation_onsite.onsite", record_id=record.id))


def _people_page(check, page, per_page, sampled_only=False):
    query = select(ReemployedPerson).where(ReemployedPerson.check_id == check.id)
    if sampled_only:
        query = query.where(ReemployedPerson.sample_order.is_not(None)).order_by(ReemployedPerson.sample_order)
    else:
        query = query.order_by(ReemployedPerson.row_no, ReemployedPerson.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def _render(record, *, target_form=None, import_form=None, problems=(), status=200):
    check = service.check_of(record)
    context = {"record": record, "unit": record.unit, "check": check, "problems": list(problems)}
    if check is not None:
        size, wanted, listed = service.planned_sample(check)
        context.update(
            size=size,
            wanted=wanted,
            listed=listed,
            completion=service.completion(check),
            reproduced=service.draw_is_reproduced(check) if check.sample_seed else None,
            people=_people_page(check, request.args.get("page", 1, type=db_int), LIST_PAGE_SIZE),
        )
    may_record = access.can(current_user, "accreditation.check", record) and record.decision is None
    return render_template(
        "accreditation/onsite/onsite.html",
        may_record=may_record,
        draw_form=DrawForm(),
        target_form=target_form or TargetForm(data={"target": check.target if check else None}),
        import_form=import_form or ImportForm(),
        required=service.required_text(record),
        share=percent(record.cycle.sample_share),
        **context,
    ), status


@bp.get("/records/<int:record_id>/onsite")
@requires("accreditation.view")
def onsite(record_id):
    return _render(_record(record_id, "accreditation.view"))


@bp.post("/records/<int:record_id>/onsite/target")
@requires("accreditation.check")
def onsite_target(record_id):
    record = _record(record_id, "accreditation.check")
    form = TargetForm()
    if not form.validate_on_submit():
        return _render(record, target_form=form, status=400)
    try:
        service.set_target(current_user._get_current_object(), record, form.target.data)
    except DomainError as exc:
        report(exc, form, default="target")
        return _render(record, target_form=form, status=400)
    flash(f"已设置年度目标任务数：{form.target.data} 人。", "success")
    return _back(record)


@bp.post("/records/<int:record_id>/onsite/import")
@requires("accreditation.check")
def onsite_import(record_id):
    record = _record(record_id, "accreditation.check")
    form = ImportForm()
    if not form.validate_on_submit():
        return _render(record, import_form=form, status=400)
    check = service.check_of(record)
    if check is None:
        form.file.errors.append("请先填写年度目标任务数，再导入名单")
        return _render(record, import_form=form, status=400)
    upload = form.file.data
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    try:
        rows = read_table(
            upload.filename,
            upload.read(limit + 1),
            COLUMNS,
            max_bytes=limit,
            max_rows=current_app.config["UPLOAD_MAX_ROWS"],
        )
        count = service.import_people(current_user._get_current_object(), check, upload.filename, rows)
    except SpreadsheetError as exc:
        fail()
        return _render(record, import_form=form, problems=exc.problems, status=422)
    except DomainError as exc:
        report(exc, form, default="file")
        return _render(record, import_form=form, status=400)
    flash(f"已导入再就业人员名单：{count} 人（替换了原有名单）。", "success")
    return _back(record)


@bp.get("/onsite/template.xlsx")
@requires("accreditation.check")
def onsite_template():
    return send_spreadsheet(template_workbook(), "xlsx", "reemployed_template")


@bp.post("/records/<int:record_id>/onsite/draw")
@requires("accreditation.check")
def onsite_draw(record_id):
    record = _record(record_id, "accreditation.check")
    form = DrawForm()
    check = service.check_of(record)
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return _back(record)
    if check is None:
        flash("请先填写年度目标任务数并导入名单，再抽样。", "danger")
        return _back(record)
    try:
        drawn = service.draw_sample(current_user._get_current_object(), check)
    except DomainError as exc:
        report(exc)
        return _back(record)
    flash(f"已抽样：抽取 {len(drawn)} 人，随机种子已记录。", "success")
    return _back(record)


@bp.route("/records/<int:record_id>/onsite/verify", methods=["GET", "POST"])
@requires("accreditation.check")
def onsite_verify(record_id):
    record = _record(record_id, "accreditation.check")
    check = service.check_of(record)
    if check is None or check.sample_seed is None:
        flash("尚未抽样，不能记录核实结果。", "warning")
        return _back(record)
    if record.decision is not None:
        flash("该单位的验收决定已确认，不能再修改三查记录。", "warning")
        return _back(record)
    page_no = request.values.get("page", 1, type=db_int)
    page = _people_page(check, page_no, VERIFY_PAGE_SIZE, sampled_only=True)
    form = VerifyForm()
    errors, posted = {}, None
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(first_error(form), "danger")
            return redirect(url_for("accreditation_onsite.onsite_verify", record_id=record.id, page=page.page))
        results, errors = findings(request.form, page.items)
        posted = request.form
        if not errors:
            try:
                changed = service.record_verifications(current_user._get_current_object(), check, results)
            except DomainError as exc:
                report(exc)
            else:
                result = service.completion(check)
                message = f"已保存 {changed} 人的核实结果" if changed else "核实结果没有变化"
                if result.is_complete:
                    message += "；抽样人员已全部核实：" + service.completion_text(result, record)
                flash(message + "。", "success")
                next_page = page.page + 1 if page.has_next and request.form.get("next") else page.page
                return redirect(url_for("accreditation_onsite.onsite_verify", record_id=record.id, page=next_page))
    return render_template(
        "accreditation/onsite/onsite_verify.html",
        record=record,
        unit=record.unit,
        check=check,
        page=page,
        form=form,
        errors=errors,
        posted=posted,
        labels=Verification.LABELS,
        completion=service.completion(check),
    ), (400 if request.method == "POST" else 200)


@bp.get("/records/<int:record_id>/onsite/print")
@requires("accreditation.view")
def onsite_print(record_id):
    """The sample on paper, for the visits (with blank columns when not yet verified), or its findings."""
    record = _record(record_id, "accreditation.view")
    check = service.check_of(record)
    if check is None or check.sample_seed is None:
        flash("尚未抽样，没有可打印的抽样名单。", "warning")
        return _back(record)
    sample = db.session.scalars(
        select(ReemployedPerson)
        .where(ReemployedPerson.check_id == check.id, ReemployedPerson.sample_order.is_not(None))
        .order_by(ReemployedPerson.sample_order)
    ).all()
    return render_template(
        "accreditation/onsite/onsite_print.html",
        record=record,
        unit=record.unit,
        check=check,
        sample=sample,
        completion=service.completion(check),
        printed_at=utcnow(),
        required=service.required_text(record),
    )


def _export_rows(people, zone):
    return [
        {
            "抽样序号": p.sample_order,
            "行号": p.row_no,
            "姓名": p.name,
            "身份证号": p.masked_id_number,
            "就业单位": p.employer,
            "就业日期": p.reemployed_on,
            "核实结果": p.verification_label if p.sample_order else "未抽中",
            "核实备注": p.note,
            "核实人": p.verified_by.name if p.verified_by else "",
            "核实时间": p.verified_at,
        }
        for p in people
    ]


SAMPLE_COLUMNS = [
    "抽样序号",
    "行号",
    "姓名",
    "身份证号",
    "就业单位",
    "就业日期",
    "核实结果",
    "核实备注",
    "核实人",
    "核实时间",
]
LIST_COLUMNS = ["行号", "姓名", "身份证号", "就业单位", "就业日期", "抽样序号"]
#: what the numeric and date columns of the export hold (the rest are text)
EXPORT_KINDS = {"抽样序号": INTEGER, "行号": INTEGER, "就业日期": DATE, "核实时间": DATETIME}


@bp.get("/records/<int:record_id>/onsite/export.xlsx")
@requires("accreditation.view")
def onsite_export(record_id):
    """The check as a workbook: the sample with its findings, and the whole list; ID numbers masked."""
    record = _record(record_id, "accreditation.view")
    check = service.check_of(record)
    if check is None:
        flash("尚未录入三查，没有可导出的内容。", "warning")
        return _back(record)
    zone = display_zone()
    people = db.session.scalars(
        select(ReemployedPerson).where(ReemployedPerson.check_id == check.id).order_by(ReemployedPerson.row_no)
    ).all()
    sample = sorted((p for p in people if p.sample_order), key=lambda p: p.sample_order)
    result = service.completion(check)
    lines = [
        f"{record.cycle.name} · 三查（实地检查就业再就业人员）",
        f"单位：{record.unit.name}（{record.unit.code}）；年度目标任务数：{check.target}；上报名单：{len(people)} 人",
    ]
    if check.sample_seed:
        drawn_at = check.drawn_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        lines.append(
            f"抽样：{check.sample_size} 人；随机种子：{check.sample_seed}；抽样时间：{drawn_at}；"
            f"抽样人：{check.drawn_by.name if check.drawn_by else '—'}"
        )
    else:
        lines.append("尚未抽样")
    lines.append(
        "结果：" + service.completion_text(result, record) + ("，合格" if result.passed else "，不合格")
        if result.is_complete
        else f"结果：抽样核实未完成（已记录 {result.recorded}／{result.sampled} 人）"
    )
    lines.append("身份证号已遮蔽（仅显示前 6 位和后 4 位）；" + made_at_line(zone=zone))
    data = write_sheets(
        lines,
        [
            ("抽样核实", SAMPLE_COLUMNS, _export_rows(sample, zone)),
            ("上报名单", LIST_COLUMNS, _export_rows(people, zone)),
        ],
        kinds=EXPORT_KINDS,
        zone=zone,
    )
    return send_spreadsheet(data, "xlsx", f"onsite-{record.unit.code}-{record.cycle.year}-{file_stamp()}")
