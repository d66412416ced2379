"""Unit readiness: the districts' summary, each unit's forecast, a unit's people, the export, the print."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..access import requires, unit_scope
from ..clock import display_zone
from ..downloads import send_spreadsheet
from ..extensions import db
from ..org.models import Unit
from ..web.ids import db_int
from . import report
from .export import build_workbook
from .queries import district_of_path

bp = Blueprint("readiness", __name__, template_folder="templates", url_prefix="/readiness")


def _readiness():
    """The report of the user's scope; a city-wide role may narrow it to one district (?district=)."""
    district_id = request.args.get("district", type=db_int)
    scope = unit_scope(current_user)
    if scope is not None:
        district_id = scope.id
    result = report.build(scope, district_id=district_id)
    if district_id is not None and not result.districts:
        abort(404)
    return result, district_id


@bp.get("")
@requires("readiness.view")
def index():
    result, district_id = _readiness()
    return render_template("readiness/index.html", r=result, district_id=district_id, at_risk=report.AT_RISK)


@bp.get("/units/<int:unit_id>")
@requires("readiness.view")
def unit(unit_id):
    unit = db.session.get(Unit, unit_id)
    if unit is None or not unit.is_assessed:
        abort(404)
    # only the unit's district is read (its people's levels are judged against their district)
    result = report.build(unit_scope(current_user), district_id=district_of_path(unit.path))
    row = next((u for u in result.units if u.unit_id == unit_id), None)
    if row is None:
        abort(404)  # not an assessed unit, or outside the user's district
    unit_weak = report.attach_categories([row])
    people = sorted(row.people, key=lambda p: (p.excused, p.expected if p.expected is not None else 999, p.username))
    return render_template(
        "readiness/unit.html", row=row, people=people, weak=unit_weak[row.unit_id], made_at=result.made_at
    )


@bp.get("/export.xlsx")
@requires("readiness.view")
def export():
    result, district_id = _readiness()
    unit_weak = report.attach_categories(result.units)
    data = build_workbook(result, unit_weak, display_zone())
    return send_spreadsheet(data, "xlsx", f"readiness-{district_id or 'city'}")


@bp.get("/print")
@requires("readiness.view")
def print_page():
    result, district_id = _readiness()
    return render_template("readiness/print.html", r=result, district_id=district_id, at_risk=report.AT_RISK)
