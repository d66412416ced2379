from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from .. import access
from ..access import AUTHENTICATED, PUBLIC, requires
from ..audit.models import AuditEntry
from ..auth.models import Role, User
from ..extensions import db
from ..org.models import Unit
from .office import office_pending_work

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@requires(AUTHENTICATED)
def home():
    user = current_user
    if user.role == Role.EXAMINEE:
        from ..sitting.queries import lobby

        return render_template("home/home_examinee.html", lobby=lobby(user))
    scope = access.unit_scope(user)
    recent = _recent_entries(user, scope)
    if user.role == Role.OFFICE:
        # the office's home is what waits for it, not how many accounts there are
        return render_template("home/home_office.html", pending=office_pending_work(), recent=recent, scope=scope)
    unit_stmt = access.scope_units(select(Unit.kind, func.count()).where(Unit.is_active.is_(True)), user, Unit)
    unit_counts = dict(db.session.execute(unit_stmt.group_by(Unit.kind)).all())
    staff_stmt = access.scope_units(
        select(User.role, func.count()).join(User.unit).where(User.is_enabled.is_(True)), user, Unit
    )
    staff_counts = dict(db.session.execute(staff_stmt.group_by(User.role)).all())
    template = {
        Role.EXAM_ADMIN: "home/home_exam_admin.html",
        Role.DISTRICT_ADMIN: "home/home_district_admin.html",
    }[user.role]
    return render_template(template, unit_counts=unit_counts, staff_counts=staff_counts, recent=recent, scope=scope)


def _recent_entries(user, scope):
    if not access.can(user, "audit.view"):
        return []
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(8)
    if scope is not None:
        stmt = stmt.where(AuditEntry.district_id == scope.id)
    return db.session.scalars(stmt).all()


@bp.get("/healthz")
@requires(PUBLIC)
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
