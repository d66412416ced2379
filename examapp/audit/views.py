from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..access import requires
from ..extensions import db
from ..web.ids import db_int
from .labels import REFUSAL_ACTION, change_rows
from .models import AuditEntry
from .refusals import write_noted_refusal
from .services import ACTION_LABELS

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
bp.after_app_request(write_noted_refusal)


@bp.get("/")
@requires("audit.view")
def index():
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    scope = access.unit_scope(current_user)
    if scope is not None:
        stmt = stmt.where(AuditEntry.district_id == scope.id)
    action = request.args.get("action", "")
    if action in ACTION_LABELS:
        stmt = stmt.where(AuditEntry.action == action)
    actor = request.args.get("actor", "").strip().lower()
    if actor:
        stmt = stmt.where(AuditEntry.actor_username == actor)
    page = request.args.get("page", 1, type=db_int)
    pagination = db.paginate(stmt, page=page, per_page=50, error_out=False)
    return render_template(
        "audit/index.html",
        pagination=pagination,
        labels=ACTION_LABELS,
        args=request.args,
        change_rows=change_rows,
        refusal_action=REFUSAL_ACTION,
    )
