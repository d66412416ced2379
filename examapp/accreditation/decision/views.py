"""The decision pages: confirming or changing a unit's decision, the accredited units of a year
(printable, exportable), and the cycles' settings. The record and index pages (``accreditation.views``)
get their four checks and proposed result from ``decision_helpers``."""

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ... import access
from ...access import requires
from ...clock import display_zone, file_stamp, local_today, utcnow
from ...cycles.models import AccreditationCycle, AccreditationRecord, Decision
from ...downloads import send_spreadsheet
from ...errors import DomainError
from ...extensions import db
from ...numbers import plain_decimal
from ...web.form_errors import report
from ...web.ids import db_int
from ..export import build_workbook
from . import services
from .forms import ChangeDecisionForm, CycleCreateForm, CycleSettingsForm, DecisionForm

bp = Blueprint("accreditation_decision", __name__, url_prefix="/accreditation", template_folder="templates")

#: the index's decision filter: value -> label ("none": not decided yet)
DECISION_FILTERS = {**Decision.LABELS, "none": "未决定"}


def _actor():
    return current_user._get_current_object()


# --- what the record and index templates show --------------------------------------------------


def record_panel(record, decision_form=None, change_form=None):
    """The four checks, the proposed result and the form the office may use, for record.html.
    A posted form that no longer fits the record (confirmed meanwhile) has its errors shown above."""
    may_decide = access.can(current_user, "accreditation.decide", record)
    recommendation = services.recommendation_of(record)
    shown = stale = None
    if may_decide and record.decision is None:
        shown, stale = decision_form or DecisionForm(), change_form
    elif may_decide:
        shown, stale = change_form or ChangeDecisionForm(), decision_form
    return {
        "recommendation": recommendation,
        "proposed": services.proposed_result(record, recommendation),
        "may_decide": may_decide,
        "decision_form": shown if record.decision is None else None,
        "change_form": shown if record.decision is not None else None,
        "notices": [error for errors in (stale.errors.values() if stale else []) for error in errors],
        "choices": Decision.LABELS,
        #: where the exam that will give 四考试 its verdict is waiting to be sealed
        "exam_to_seal": services.exam_awaiting_seal(record) if access.can(current_user, "results.view") else None,
    }


def index_rows(records):
    """[(record, unit, proposed)] of the index, filtered by the request's ``decision``."""
    wanted = request.args.get("decision")
    wanted = wanted if wanted in DECISION_FILTERS else None
    if wanted == "none":
        records = [(r, u) for r, u in records if r.decision is None]
    elif wanted:
        records = [(r, u) for r, u in records if r.decision == wanted]
    recommendations = services.recommendations_of([r for r, _ in records])
    return [(r, u, services.proposed_result(r, recommendations.get(r.id))) for r, u in records]


def decision_helpers():
    """The helpers record.html and index.html use (a context processor of the record pages' blueprint
    and of this one, whose refused decisions show record.html again)."""
    return {
        "record_panel": record_panel,
        "index_rows": index_rows,
        "decision_filters": DECISION_FILTERS,
        "check_names": [name for name, _, _ in services.CHECKS] + [services.EXAM_CHECK],
    }


bp.context_processor(decision_helpers)


# --- confirming and changing a decision --------------------------------------------------------


def _record(record_id):
    record = db.session.get(AccreditationRecord, record_id)
    if record is None:
        abort(404)
    access.ensure(current_user, "accreditation.decide", record)
    return record


def _decide(record, form, action, done):
    if form.validate_on_submit():
        try:
            action()
        except DomainError as exc:
            report(exc, form)
        else:
            flash(done(), "success")
            return redirect(url_for("accreditation.record", record_id=record.id) + "#decision")
    forms = (
        {"decision_form": form}
        if isinstance(form, DecisionForm) and not isinstance(form, ChangeDecisionForm)
        else {"change_form": form}
    )
    return render_template("accreditation/record.html", record=record, unit=record.unit, **forms), 400


@bp.post("/records/<int:record_id>/decision")
@requires("accreditation.decide")
def decide(record_id):
    record = _record(record_id)
    form = DecisionForm()
    return _decide(
        record,
        form,
        lambda: services.confirm_decision(_actor(), record, form.decision.data, form.comment.data),
        lambda: f"已确认验收决定：{record.decision_label}",
    )


@bp.post("/records/<int:record_id>/decision/change")
@requires("accreditation.decide")
def change_decision(record_id):
    record = _record(record_id)
    before = record.decision_label
    form = ChangeDecisionForm()
    return _decide(
        record,
        form,
        lambda: services.change_decision(_actor(), record, form.decision.data, form.comment.data, form.reason.data),
        lambda: f"验收决定已变更：{before} → {record.decision_label}",
    )


# --- the accredited units of a year ------------------------------------------------------------


def _cycles():
    return db.session.scalars(select(AccreditationCycle).order_by(AccreditationCycle.year.desc())).all()


def _accredited():
    """(cycles, the chosen cycle or None, its accredited units in the user's reach, the scope's name)."""
    cycles = _cycles()
    year = request.args.get("year", type=db_int)
    cycle = next((c for c in cycles if c.year == year), None if year else (cycles[0] if cycles else None))
    if year and cycle is None:
        abort(404)
    scope = access.unit_scope(current_user)
    units = services.accredited_units(cycle, scope.id if scope is not None else None) if cycle else []
    return cycles, cycle, units, (scope.name if scope is not None else None)


@bp.get("/accredited")
@requires("accreditation.view")
def accredited():
    cycles, cycle, units, scope_name = _accredited()
    return render_template(
        "accreditation/decision/accredited.html",
        cycles=cycles,
        cycle=cycle,
        units=units,
        scope_name=scope_name,
        printed_at=utcnow(),
    )


@bp.get("/accredited.xlsx")
@requires("accreditation.view")
def accredited_export():
    _cycles_, cycle, units, scope_name = _accredited()
    if cycle is None:
        abort(404)
    data = build_workbook(cycle, units, display_zone(), scope_name=scope_name, made_at=utcnow())
    return send_spreadsheet(data, "xlsx", f"accredited-{cycle.year}-{file_stamp()}")


# --- the cycles and their settings ------------------------------------------------------------


def _cycles_page(create_form, status=200):
    cycles = _cycles()
    if create_form.year.data is None and not create_form.errors:
        create_form.year.data = (cycles[0].year + 1) if cycles else local_today().year
    return render_template(
        "accreditation/decision/cycles.html",
        cycles=cycles,
        create_form=create_form,
        defaults=services.notice_defaults(),
        show=services.show_setting,
    ), status


@bp.get("/cycles")
@requires("accreditation.decide")
def cycles():
    return _cycles_page(CycleCreateForm(formdata=None))


@bp.post("/cycles")
@requires("accreditation.decide")
def cycle_create():
    form = CycleCreateForm()
    if form.validate_on_submit():
        try:
            cycle = services.create_cycle(_actor(), form.year.data, local_today())
        except DomainError as exc:
            report(exc, form)
        else:
            flash(f"已新建 {cycle.year} 年度，各项标准取郑政办〔2005〕27号的默认值，可在下方修改。", "success")
            return redirect(url_for("accreditation_decision.cycle_settings", year=cycle.year))
    return _cycles_page(form, 400)


def _settings_data(cycle):
    data = {name: getattr(cycle, name) for name in services.SETTINGS}
    for name in services.PERCENT_SETTINGS:
        data[name] = _percent(data[name])
    data["threshold"] = plain_decimal(data["threshold"])
    data["street_hall_area"], data["community_office_area"] = (
        plain_decimal(data["street_hall_area"]),
        plain_decimal(data["community_office_area"]),
    )
    return data


def _percent(fraction):
    return plain_decimal(fraction * 100)


def _fraction(percent, places):
    return (percent / 100).quantize(Decimal(1).scaleb(-places))


@bp.route("/cycles/<int:year>/settings", methods=["GET", "POST"])
@requires("accreditation.decide")
def cycle_settings(year):
    cycle = db.session.scalar(select(AccreditationCycle).where(AccreditationCycle.year == year))
    if cycle is None:
        abort(404)
    form = CycleSettingsForm(data=_settings_data(cycle)) if request.method == "GET" else CycleSettingsForm()
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.SETTINGS}
        values["recommendation_share"] = _fraction(values["recommendation_share"], 3)
        values["sample_share"] = _fraction(values["sample_share"], 3)
        values["satisfaction_required"] = _fraction(values["satisfaction_required"], 3)
        values["completion_required"] = _fraction(values["completion_required"], 4)
        try:
            services.update_cycle(_actor(), cycle, values, form.reason.data)
        except DomainError as exc:
            report(exc, form)
        else:
            flash(f"{cycle.year} 年度的设置已保存，修改已记入操作日志。", "success")
            return redirect(url_for("accreditation_decision.cycle_settings", year=cycle.year))
    locked = services.threshold_locked(cycle)
    return render_template(
        "accreditation/decision/cycle_settings.html",
        cycle=cycle,
        form=form,
        defaults=services.notice_defaults(),
        show=services.show_setting,
        threshold_locked=locked,
    ), (400 if request.method == "POST" else 200)
