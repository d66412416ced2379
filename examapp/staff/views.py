from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from .. import access
from ..access import requires
from ..auth.models import Role, User
from ..downloads import send_table
from ..errors import DomainError
from ..extensions import db
from ..imports.flow import ImportFlow
from ..org.models import Unit
from ..spreadsheets import made_at_line
from ..web.form_errors import report
from ..web.ids import db_int, parse_id
from . import importing
from .forms import ReasonForm, StaffForm
from .services import create_user, reset_password, set_user_enabled, update_user

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")

# The service's names for the person form's fields.
STAFF_FIELDS = {"unit": "unit_id"}
PER_PAGE = 50

staff_import = ImportFlow(
    kind="staff",
    title="导入人员",
    columns=importing.COLUMNS,
    check_rows=importing.check_rows,
    apply_plan=importing.apply_plan,
    example_rows=[
        {
            "姓名": "张伟",
            "用户名": "zhangwei01",
            "所属单位编码": "410105001001",
            "角色": "考生",
            "手机号": "13800000000",
        },
    ],
    preview_columns=[("姓名", "name"), ("用户名", "username"), ("所属单位", "unit_name")],
    upload_endpoint="staff.import_staff",
    preview_endpoint="staff.import_preview",
    template_endpoint="staff.import_template",
    back_endpoint="staff.index",
)


def _get_user(user_id, permission):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    access.ensure(current_user, permission, user)
    return user


def _unit_choices():
    stmt = access.scope_units(select(Unit).where(Unit.is_active.is_(True)), current_user, Unit).order_by(Unit.path)
    return [SelectChoice(u.id, f"{'　' * u.depth}{u.labelled_name}") for u in db.session.scalars(stmt)]


def _filtered_statement():
    """The staff list query with the request's filters, scoped to the user."""
    stmt = access.scope_units(select(User).join(User.unit), current_user, Unit)
    q = request.args.get("q", "").strip()
    if q:
        # % and _ are searched for as themselves, not as wildcards
        stmt = stmt.where(
            or_(
                User.name.contains(q, autoescape=True),
                User.username.contains(q, autoescape=True),
                User.phone.contains(q, autoescape=True),
            )
        )
    unit_id = parse_id(request.args.get("unit", ""))
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or not access.can(current_user, "units.view", unit):
            abort(404)
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    role = request.args.get("role", "")
    if role in Role.ALL:
        stmt = stmt.where(User.role == role)
    status = request.args.get("status", "")
    if status == "enabled":
        stmt = stmt.where(User.is_enabled.is_(True))
    elif status == "disabled":
        stmt = stmt.where(User.is_enabled.is_(False))
    return stmt.options(joinedload(User.unit)).order_by(Unit.path, User.username)


@bp.get("/")
@requires("staff.view")
def index():
    page = request.args.get("page", 1, type=db_int)
    pagination = db.paginate(_filtered_statement(), page=page, per_page=PER_PAGE, error_out=False)
    return render_template(
        "staff/index.html", pagination=pagination, units=_unit_choices(), roles=Role.LABELS, args=request.args
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("staff.edit")
def create():
    form = StaffForm()
    form.role.choices = [SelectChoice(r, Role.LABELS[r]) for r in access.roles_assignable_by(current_user)]
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            user, password = create_user(
                current_user,
                username=form.username.data,
                name=form.name.data,
                role=form.role.data,
                unit=unit,
                phone=form.phone.data,
            )
        except DomainError as exc:
            report(exc, form, fields=STAFF_FIELDS, default="name")
        else:
            return render_template("staff/password_issued.html", issued=[(user, password)], title="账号已创建")
    status = 400 if request.method == "POST" else 200
    return render_template("staff/form.html", form=form, person=None), status


@bp.get("/<int:user_id>")
@requires("staff.view")
def detail(user_id):
    person = _get_user(user_id, "staff.view")
    return render_template("staff/detail.html", person=person, reason_form=ReasonForm())


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@requires("staff.edit")
def edit(user_id):
    person = _get_user(user_id, "staff.edit")
    form = StaffForm(obj=person)
    form.username.data = person.username
    form.role.choices = [SelectChoice(r, Role.LABELS[r]) for r in access.roles_assignable_by(current_user)]
    form.unit_id.choices = _unit_choices()
    if request.method == "GET":
        form.unit_id.data = person.unit_id
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            update_user(
                current_user,
                person,
                name=form.name.data,
                role=form.role.data,
                unit=unit,
                phone=form.phone.data,
                reason=form.reason.data,
            )
        except DomainError as exc:
            report(exc, form, fields=STAFF_FIELDS, default="name")
        else:
            flash("人员信息已保存", "success")
            return redirect(url_for("staff.detail", user_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/form.html", form=form, person=person), status


@bp.post("/<int:user_id>/status")
@requires("staff.edit")
def set_status(user_id):
    person = _get_user(user_id, "staff.edit")
    form = ReasonForm()
    enable = request.form.get("enabled") == "1"
    if not form.validate_on_submit():
        flash("请填写原因", "danger")
        return redirect(url_for("staff.detail", user_id=person.id))
    try:
        set_user_enabled(current_user, person, enable, reason=form.reason.data)
    except DomainError as exc:
        report(exc)
    else:
        flash("账号已启用" if enable else "账号已停用，其所有登录已失效", "success")
    return redirect(url_for("staff.detail", user_id=person.id))


@bp.post("/<int:user_id>/reset-password")
@requires("staff.edit")
def reset(user_id):
    person = _get_user(user_id, "staff.edit")
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("请填写重置原因", "danger")
        return redirect(url_for("staff.detail", user_id=person.id))
    password = reset_password(current_user, person, reason=form.reason.data)
    return render_template("staff/password_issued.html", issued=[(person, password)], title="密码已重置")


@bp.route("/import", methods=["GET", "POST"])
@requires("staff.edit")
def import_staff():
    return staff_import.upload()


@bp.route("/import/<token>", methods=["GET", "POST"])
@requires("staff.edit")
def import_preview(token):
    def done(created, batch):
        return render_template(
            "staff/password_issued.html", issued=created, title=f"导入完成：新建 {len(created)} 个账号"
        )

    return staff_import.preview(token, done)


@bp.get("/import/template.<fmt>")
@requires("staff.edit")
def import_template(fmt):
    return staff_import.template_response(fmt)


@bp.get("/export.<fmt>")
@requires("staff.view")
def export(fmt):
    """The people the list shows; the xlsx has a title block above the header, which the import skips."""
    rows = importing.export_rows(current_user, _filtered_statement())
    scope = access.unit_scope(current_user)
    lines = [
        "人员名单",
        f"范围：{scope.name if scope is not None else '全市'}；共 {len(rows)} 人（可修改后按“导入人员”导入）",
        made_at_line(),
    ]
    return send_table(importing.COLUMNS, rows, fmt, "staff", sheet_name="人员名单", title_lines=lines)
