"""Recommendation pages: the city's count against each district's quota, a district's units and
recommendations, one recommendation's materials; recommending, handing in, attachments."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ... import access
from ...access import requires
from ...clock import local_today, utcnow
from ...cycles.models import AccreditationCycle
from ...cycles.services import cycle_for_year
from ...errors import DomainError
from ...extensions import db
from ...org.models import Unit, UnitKind
from ...web.form_errors import first_error, report
from ...web.ids import db_int, parse_id
from .. import storage
from . import services as recommend
from .forms import ApplicationForm, ConfirmForm, MaterialForm, RecommendForm, SubmitForm
from .models import Recommendation, RecommendationMaterial, RecommendationStatus

bp = Blueprint("accreditation_recommend", __name__, url_prefix="/accreditation", template_folder="templates")


def _this_year():
    return local_today().year


def _cycles():
    return db.session.scalars(select(AccreditationCycle).order_by(AccreditationCycle.year.desc())).all()


def _chosen_cycle(year=None):
    """The cycle of ``?year=`` (404 if there is none), or by default the first one still taking
    materials from this year on, else this year's (created with the notice's defaults)."""
    year = year if year is not None else request.args.get("year", type=db_int)
    cycles = _cycles()
    if year is not None:
        cycle = next((c for c in cycles if c.year == year), None)
        if cycle is None:
            abort(404)
        return cycle
    this_year = _this_year()
    upcoming = [c for c in reversed(cycles) if c.year >= this_year and recommend.is_open(c)]
    if upcoming:
        return upcoming[0]
    cycle = next((c for c in cycles if c.year == this_year), None)
    return cycle if cycle is not None else cycle_for_year(this_year)


def _settle(cycle):
    """Forfeit the cycle's drafts lazily once its deadline has passed (kept with the request's work)."""
    if not recommend.is_open(cycle):
        recommend.forfeit_overdue(cycle)


def _own_district():
    """The district a district admin recommends for (403 for an account not attached to one)."""
    district = current_user.unit
    if district is None or district.kind != UnitKind.DISTRICT:
        abort(403)
    return district


def _may_recommend_for(district_id):
    return access.can(current_user, "accreditation.recommend") and current_user.unit_id == district_id


def _cycle_info(cycle):
    return {
        "deadline": recommend.deadline_label(cycle),
        "open": recommend.is_open(cycle),
        "share": recommend.share_percent(cycle),
        "closes_at": recommend.deadline_closes_at(cycle),
    }


# --- the city's overview --------------------------------------------------------------


def _overview(cycle):
    scope = access.unit_scope(current_user)
    rows, total = recommend.district_counts(cycle, scope.id if scope is not None else None)
    return rows, total, scope


@bp.get("/recommendations")
@requires("accreditation.view")
def recommendations():
    cycle = _chosen_cycle()
    _settle(cycle)
    rows, total, scope = _overview(cycle)
    return render_template(
        "accreditation/recommend/recommendations.html",
        cycle=cycle,
        cycles=_cycles(),
        rows=rows,
        total=total,
        scope=scope,
        info=_cycle_info(cycle),
        standing=recommend.Standing,
    )


@bp.get("/recommendations/print")
@requires("accreditation.view")
def recommendations_print():
    cycle = _chosen_cycle()
    _settle(cycle)
    rows, total, scope = _overview(cycle)
    submitted = recommend.recommendations_of(
        cycle, scope.id if scope is not None else None, status=RecommendationStatus.SUBMITTED
    )
    return render_template(
        "accreditation/recommend/recommendations_print.html",
        cycle=cycle,
        rows=rows,
        total=total,
        scope=scope,
        submitted=submitted,
        info=_cycle_info(cycle),
        printed_at=utcnow(),
    )


# --- a district's page -------------------------------------------------------------------


@bp.get("/recommendations/districts/<int:district_id>")
@requires("accreditation.view")
def recommend_district(district_id):
    district = db.session.get(Unit, district_id)
    if district is None or district.kind != UnitKind.DISTRICT:
        abort(404)
    access.ensure(current_user, "accreditation.view", district)
    cycle = _chosen_cycle()
    _settle(cycle)
    units = recommend.district_units(district)
    recommendations = {r.unit_id: r for r in recommend.recommendations_of(cycle, district.id)}
    listed = {u.id for u in units}
    stopped = [r.unit for r in recommendations.values() if r.unit_id not in listed]  # units since deactivated
    names = {u.id: u.name for u in units}
    (count,), _total = recommend.district_counts(cycle, district.id)
    drafts = [r for r in recommendations.values() if r.status == RecommendationStatus.DRAFT]
    return render_template(
        "accreditation/recommend/recommend_district.html",
        cycle=cycle,
        cycles=_cycles(),
        district=district,
        units=units + stopped,
        recommendations=recommendations,
        names=names,
        count=count,
        drafts=drafts,
        problems={r.id: recommend.material_problems(r) for r in drafts},
        info=_cycle_info(cycle),
        may_recommend=_may_recommend_for(district.id),
        recommend_form=RecommendForm(year=cycle.year),
        submit_form=SubmitForm(year=cycle.year),
        max_size=storage.size_label(recommend.max_material_bytes()),
    )


def _back_to_district(cycle, district_id):
    return redirect(url_for("accreditation_recommend.recommend_district", district_id=district_id, year=cycle.year))


def _posted_cycle(form):
    try:
        year = int(form.year.data)
    except (TypeError, ValueError):
        abort(404)
    return _chosen_cycle(year)


@bp.post("/recommendations/units/<int:unit_id>")
@requires("accreditation.recommend")
def recommend_unit(unit_id):
    district = _own_district()
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    access.ensure(current_user, "accreditation.recommend", unit)
    form = RecommendForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return redirect(url_for("accreditation_recommend.recommendations"))
    cycle = _posted_cycle(form)
    try:
        recommendation = recommend.recommend_unit(current_user._get_current_object(), cycle, unit)
    except DomainError as exc:
        report(exc)
        return _back_to_district(cycle, district.id)
    flash(f"已推荐“{unit.name}”。请填写申请材料、上传附件，并在截止前报送。", "success")
    return redirect(url_for("accreditation_recommend.recommendation", recommendation_id=recommendation.id))


@bp.post("/recommendations/submit")
@requires("accreditation.recommend")
def submit_recommendations():
    district = _own_district()
    form = SubmitForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        if form.year.data and parse_id(str(form.year.data)) is not None:
            return _back_to_district(_posted_cycle(form), district.id)
        return redirect(url_for("accreditation_recommend.recommendations"))
    cycle = _posted_cycle(form)
    try:
        handed_in = recommend.submit_recommendations(current_user._get_current_object(), cycle)
    except DomainError as exc:
        report(exc)
        return _back_to_district(cycle, district.id)
    flash(f"已报送 {len(handed_in)} 个推荐单位的材料，材料已锁定。", "success")
    return _back_to_district(cycle, district.id)


# --- one recommendation -----------------------------------------------------------------------


def _recommendation(recommendation_id, permission):
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None:
        abort(404)
    access.ensure(current_user, permission, recommendation)
    return recommendation


def _editable(recommendation):
    return (
        _may_recommend_for(recommendation.district_id)
        and recommendation.status == RecommendationStatus.DRAFT
        and recommend.is_open(recommendation.cycle)
    )


def _detail(recommendation, *, application_form=None, material_form=None, status=200):
    return render_template(
        "accreditation/recommend/recommendation.html",
        rec=recommendation,
        cycle=recommendation.cycle,
        unit=recommendation.unit,
        editable=_editable(recommendation),
        info=_cycle_info(recommendation.cycle),
        problems=recommend.material_problems(recommendation),
        application_form=application_form or ApplicationForm(text=recommendation.application_text),
        material_form=material_form or MaterialForm(),
        confirm_form=ConfirmForm(),
        max_size=storage.size_label(recommend.max_material_bytes()),
        kinds=storage.describe_kinds(recommend.MATERIAL_KINDS),
        max_materials=recommend.MAX_MATERIALS,
    ), status


@bp.get("/recommendations/<int:recommendation_id>")
@requires("accreditation.view")
def recommendation(recommendation_id):
    recommendation = _recommendation(recommendation_id, "accreditation.view")
    _settle(recommendation.cycle)
    return _detail(recommendation)


def _back(recommendation):
    return redirect(url_for("accreditation_recommend.recommendation", recommendation_id=recommendation.id))


@bp.post("/recommendations/<int:recommendation_id>/application")
@requires("accreditation.recommend")
def recommendation_application(recommendation_id):
    recommendation = _recommendation(recommendation_id, "accreditation.recommend")
    form = ApplicationForm()
    if not form.validate_on_submit():
        return _detail(recommendation, application_form=form, status=400)
    try:
        changed = recommend.update_application(current_user._get_current_object(), recommendation, form.text.data)
    except DomainError as exc:
        report(exc, form)
        if form.text.errors:
            return _detail(db.session.get(Recommendation, recommendation_id), application_form=form, status=400)
        return _back(recommendation)
    flash("申请材料已保存。" if changed else "申请材料没有变化。", "success" if changed else "info")
    return _back(recommendation)


@bp.post("/recommendations/<int:recommendation_id>/materials")
@requires("accreditation.recommend")
def recommendation_upload(recommendation_id):
    recommendation = _recommendation(recommendation_id, "accreditation.recommend")
    form = MaterialForm()
    if not form.validate_on_submit():
        return _detail(recommendation, material_form=form, status=400)
    try:
        material = recommend.add_material(current_user._get_current_object(), recommendation, form.file.data)
    except DomainError as exc:
        report(exc, form)
        if form.file.errors:
            return _detail(db.session.get(Recommendation, recommendation_id), material_form=form, status=400)
        return _back(recommendation)
    flash(f"已上传“{material.filename}”（{storage.TYPES[material.file_type][2]}）。", "success")
    return _back(recommendation)


def _material(recommendation, material_id, permission):
    material = db.session.get(RecommendationMaterial, material_id)
    if material is None or material.recommendation_id != recommendation.id:
        abort(404)
    access.ensure(current_user, permission, material)
    return material


@bp.get("/recommendations/<int:recommendation_id>/materials/<int:material_id>")
@requires("accreditation.view")
def recommendation_material(recommendation_id, material_id):
    recommendation = _recommendation(recommendation_id, "accreditation.view")
    material = _material(recommendation, material_id, "accreditation.view")
    return storage.send_stored(material.storage_name, material.filename, material.content_type)


@bp.post("/recommendations/<int:recommendation_id>/materials/<int:material_id>/delete")
@requires("accreditation.recommend")
def recommendation_material_delete(recommendation_id, material_id):
    recommendation = _recommendation(recommendation_id, "accreditation.recommend")
    material = _material(recommendation, material_id, "accreditation.recommend")
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return _back(recommendation)
    name = material.filename
    try:
        recommend.remove_material(current_user._get_current_object(), material)
    except DomainError as exc:
        report(exc)
        return _back(recommendation)
    flash(f"已删除附件“{name}”。", "success")
    return _back(recommendation)


@bp.post("/recommendations/<int:recommendation_id>/remove")
@requires("accreditation.recommend")
def recommendation_remove(recommendation_id):
    recommendation = _recommendation(recommendation_id, "accreditation.recommend")
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return _back(recommendation)
    cycle, district_id, name = recommendation.cycle, recommendation.district_id, recommendation.unit.name
    try:
        recommend.remove_recommendation(current_user._get_current_object(), recommendation)
    except DomainError as exc:
        report(exc)
        return _back(recommendation)
    flash(f"已撤回对“{name}”的推荐。", "success")
    return _back_to_district(cycle, district_id)
