from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from .. import access
from ..access import requires
from ..auth.models import User
from ..downloads import send_table
from ..errors import DomainError
from ..extensions import db
from ..imports.flow import ImportFlow
from ..spreadsheets import made_at_line
from ..web.form_errors import report
from ..web.ids import parse_id
from . import importing
from .forms import UnitForm, UnitStatusForm
from .models import Unit, UnitKind
from .services import create_unit, set_unit_active, update_unit

bp = Blueprint("org", __name__, url_prefix="/units", template_folder="templates")

# The service's names for the unit form's fields.
UNIT_FIELDS = {"parent": "parent_id"}

unit_import = ImportFlow(
    kind="units",
    title="导入单位",
    columns=importing.COLUMNS,
    check_rows=importing.check_rows,
    apply_plan=importing.apply_plan,
    example_rows=[
        {"单位编码": "410105001", "单位名称": "经八路街道", "类型": "街道", "上级单位编码": "410105"},
        {"单位编码": "410105001001", "单位名称": "红专路社区", "类型": "社区", "上级单位编码": "410105001"},
    ],
    preview_columns=[("单位编码", "code"), ("单位名称", "name"), ("上级单位编码", "parent_code")],
    upload_endpoint="org.import_units",
    preview_endpoint="org.import_preview",
    template_endpoint="org.import_template",
    back_endpoint="org.index",
)


def _get_unit(unit_id, permission):
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    access.ensure(current_user, permission, unit)
    return unit


def _parent_choices(kind=None, exclude=None):
    stmt = select(Unit).where(Unit.kind != UnitKind.COMMUNITY, Unit.is_active.is_(True)).order_by(Unit.path)
    stmt = access.scope_units(stmt, current_user, Unit)
    choices = []
    for unit in db.session.scalars(stmt):
        if exclude is not None and unit.is_within(exclude):
            continue
        if kind is not None and unit.kind not in UnitKind.PARENT_KINDS[kind]:
            continue
        indent = "　" * unit.depth
        hint = f"{unit.kind_hint} {unit.code}" if unit.kind_hint else unit.code
        choices.append(SelectChoice(unit.id, f"{indent}{unit.name}（{hint}）"))
    return choices


@bp.get("/")
@requires("units.view")
def index():
    q = request.args.get("q", "").strip()
    show_inactive = request.args.get("inactive") == "1"
    stmt = access.scope_units(select(Unit), current_user, Unit).order_by(Unit.path)
    if not show_inactive:
        stmt = stmt.where(Unit.is_active.is_(True))
    units = db.session.scalars(stmt).all()
    staff = dict(
        db.session.execute(
            select(User.unit_id, func.count()).where(User.is_enabled.is_(True)).group_by(User.unit_id)
        ).all()
    )
    matches = None
    if q:
        found = db.session.scalars(
            access.scope_units(
                select(Unit).where(or_(Unit.name.contains(q, autoescape=True), Unit.code.contains(q, autoescape=True))),
                current_user,
                Unit,
            )
            .order_by(Unit.path)
            .limit(200)
        ).all()
        matches = found
    # children by parent for the nested rendering
    children = {}
    ids = {u.id for u in units}
    roots = []
    for unit in units:
        if unit.parent_id in ids:
            children.setdefault(unit.parent_id, []).append(unit)
        else:
            roots.append(unit)
    return render_template(
        "org/index.html", roots=roots, children=children, staff=staff, q=q, matches=matches, show_inactive=show_inactive
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("units.edit")
def create():
    form = UnitForm()
    kind = form.kind.data if form.kind.data in UnitKind.ALL else None
    form.parent_id.choices = _parent_choices()
    if request.method == "GET" and (parent_id := parse_id(request.args.get("parent"))) is not None:
        form.parent_id.data = parent_id
    if current_user.role == "district_admin":
        form.kind.choices = [c for c in form.kind.choices if c.value != UnitKind.DISTRICT]
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent_id.data)
        try:
            unit = create_unit(current_user, code=form.code.data, name=form.name.data, kind=kind, parent=parent)
        except DomainError as exc:
            report(exc, form, fields=UNIT_FIELDS, default="name")
        else:
            flash(f"已新建单位“{unit.name}”", "success")
            return redirect(url_for("org.detail", unit_id=unit.id))
    status = 400 if request.method == "POST" else 200
    return render_template("org/form.html", form=form, unit=None), status


@bp.get("/<int:unit_id>")
@requires("units.view")
def detail(unit_id):
    unit = _get_unit(unit_id, "units.view")
    people = db.session.scalars(
        select(User).where(User.unit_id == unit.id).order_by(User.is_enabled.desc(), User.username)
    ).all()
    children = db.session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.code)).all()
    subtree_staff = db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(User.unit)
        .where(Unit.path.startswith(unit.path, autoescape=True), User.is_enabled.is_(True))
    )
    return render_template(
        "org/detail.html",
        unit=unit,
        people=people,
        children=children,
        subtree_staff=subtree_staff,
        status_form=UnitStatusForm(),
    )


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@requires("units.edit")
def edit(unit_id):
    unit = _get_unit(unit_id, "units.edit")
    form = UnitForm(obj=unit)
    form.kind.data = unit.kind
    form.parent_id.choices = _parent_choices(kind=unit.kind, exclude=unit)
    if request.method == "GET":
        form.parent_id.data = unit.parent_id
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent_id.data)
        try:
            update_unit(
                current_user, unit, code=form.code.data, name=form.name.data, parent=parent, reason=form.reason.data
            )
        except DomainError as exc:
            report(exc, form, fields=UNIT_FIELDS, default="name")
        else:
            flash("单位信息已保存", "success")
            return redirect(url_for("org.detail", unit_id=unit.id))
    status = 400 if request.method == "POST" else 200
    return render_template("org/form.html", form=form, unit=unit), status


@bp.post("/<int:unit_id>/status")
@requires("units.edit")
def set_status(unit_id):
    unit = _get_unit(unit_id, "units.edit")
    form = UnitStatusForm()
    activate = request.form.get("active") == "1"
    if not form.validate_on_submit():
        flash("；".join(form.reason.errors) or "请填写原因", "danger")
        return redirect(url_for("org.detail", unit_id=unit.id))
    try:
        set_unit_active(current_user, unit, activate, reason=form.reason.data)
    except DomainError as exc:
        report(exc)
    else:
        flash("单位已启用" if activate else "单位已停用", "success")
    return redirect(url_for("org.detail", unit_id=unit.id))


@bp.route("/import", methods=["GET", "POST"])
@requires("units.edit")
def import_units():
    return unit_import.upload()


@bp.route("/import/<token>", methods=["GET", "POST"])
@requires("units.edit")
def import_preview(token):
    def done(created, batch):
        flash(f"导入完成：新建 {created} 个单位", "success")
        return redirect(url_for("org.index"))

    return unit_import.preview(token, done)


@bp.get("/import/template.<fmt>")
@requires("units.edit")
def import_template(fmt):
    return unit_import.template_response(fmt)


@bp.get("/export.<fmt>")
@requires("units.view")
def export(fmt):
    """The units in scope; the xlsx has a title block above the header, which the import skips."""
    rows = importing.export_rows(current_user)
    scope = access.unit_scope(current_user)
    lines = [
        "单位名单",
        f"范围：{scope.name if scope is not None else '全市'}；共 {len(rows)} 个单位（可修改后按“导入单位”导入）",
        made_at_line(),
    ]
    return send_table(importing.COLUMNS, rows, fmt, "units", sheet_name="单位名单", title_lines=lines)
