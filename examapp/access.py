"""The one place that decides whether a user may do something.

Every view declares what it needs with ``@requires(...)``; a guard run before
every request refuses any endpoint that declares nothing (deny by default).
Object checks (``ensure``) and list scoping (``unit_scope``) live here too, so
a district admin's reach is computed in exactly one way.
"""

from functools import wraps

from flask import abort, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user

from .extensions import login_manager
from .roles import Role

PUBLIC = "public"
AUTHENTICATED = "authenticated"

#: permission -> roles that hold it (objects are then checked against scope)
PERMISSIONS = {
    "units.view": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN, Role.OFFICE},
    "units.edit": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN},
    "staff.view": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN, Role.OFFICE},
    "staff.edit": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN},
    "audit.view": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN, Role.OFFICE},
    #: the question bank holds the answer key: exam admins only
    "bank.manage": {Role.EXAM_ADMIN},
    #: setting up exams: settings, papers, rosters, publishing, paperwork
    "exams.manage": {Role.EXAM_ADMIN},
    #: seeing exams and their rosters (district admins: their own district's part)
    "exams.view": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN, Role.OFFICE},
    #: the live monitor and its corrections (extra time, reopen, void)
    "exams.monitor": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN},
    #: sitting one's own exams
    "sitting.sit": {Role.EXAMINEE},
    #: printing admission tickets issues first-login passwords
    "exams.paperwork": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN},
    #: unit scores and reports (district admins: their own district's part)
    "results.view": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN, Role.OFFICE},
    #: sealing an exam's results into the accreditation record: the leadership-group office
    "results.seal": {Role.OFFICE},
    #: excusing an absence (a correction after the seal): administrators of the person's district
    "results.excuse": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN},
    #: regrading with a corrected key: those who keep the bank
    "results.regrade": {Role.EXAM_ADMIN},
    #: accepting or rejecting answers delivered after the deadline (late deliveries), city-wide
    "results.late_review": {Role.EXAM_ADMIN, Role.OFFICE},
    #: confirming or declining a correction after the seal that changes a unit's standing
    "results.confirm": {Role.OFFICE},
    #: the accreditation records of the cycles (district admins: their own district)
    "accreditation.view": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN, Role.OFFICE},
    #: recommending the district's units for the cycle and handing in their materials
    "accreditation.recommend": {Role.DISTRICT_ADMIN},
    #: recording the hearing, the inspection and the on-site check (the office's inspection team)
    "accreditation.check": {Role.OFFICE},
    #: confirming (or, with a reason, changing) a unit's final decision; a cycle's settings
    "accreditation.decide": {Role.OFFICE},
    #: integrity findings (impersonation, collusion) of exams: the office and exam admins
    "integrity.view": {Role.EXAM_ADMIN, Role.OFFICE},
    #: marking a finding reviewed: the office
    "integrity.review": {Role.OFFICE},
    #: practising the bank and sitting mock exams (one's own; never while an exam is in progress)
    "practice.use": {Role.EXAMINEE},
    #: which categories are open for practice, and the city-wide switch for an exam day
    "practice.manage": {Role.EXAM_ADMIN},
    #: unit readiness (district admins: their own district)
    "readiness.view": {Role.EXAM_ADMIN, Role.DISTRICT_ADMIN, Role.OFFICE},
}

#: endpoints a user who must change the password may still reach
_PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static"}
#: the session key of a login made with an exam's 登录码 (``auth.tickets``): that exam's id
TICKET_EXAM_KEY = "_ticket_exam"
#: besides its exam's pages (``sitting.*``), what a 登录码 login reaches before the password is changed
_TICKET_LOGIN_ENDPOINTS = {"home.home"}


def mark_ticket_login(exam_id):
    """Remember in the session that this login was made with ``exam_id``'s 登录码."""
    session[TICKET_EXAM_KEY] = exam_id


def ticket_login_exam_id():
    """The exam whose 登录码 this session logged in with, or None."""
    exam_id = session.get(TICKET_EXAM_KEY)
    return exam_id if isinstance(exam_id, int) else None


def _waits_for_password_change(endpoint):
    """A first-login password not yet changed keeps everything behind the change, except the exam
    of a 登录码 login: its pages, the lobby and logging out (the code proves the ticket, and the
    person sits at once; the password is changed at their next password login)."""
    if endpoint in _PASSWORD_CHANGE_ENDPOINTS:
        return False
    exam_page = endpoint.startswith("sitting.") or endpoint in _TICKET_LOGIN_ENDPOINTS
    ticket_exam = ticket_login_exam_id()
    if endpoint == "sitting.start" and (request.view_args or {}).get("exam_id") != ticket_exam:
        return True  # another exam's start page: only the code's own exam is open
    # an attempt's pages check that the attempt is of the code's exam where they load it
    # (sitting.views._own_attempt), without a statement here
    return not (exam_page and ticket_exam is not None)


def requires(permission):
    """Declare what a view needs; the guard enforces it before the view runs."""
    if permission not in PERMISSIONS and permission not in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view):
        view.access_permission = permission

        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.access_permission = permission
        return wrapper

    return decorator


def endpoint_permission(app, endpoint):
    if endpoint == "static":
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_permission", None)


def has_role_permission(user, permission):
    if permission == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if permission == AUTHENTICATED:
        return True
    return user.role in PERMISSIONS[permission]


def guard():
    """before_request hook: enforce the declared permission of the endpoint."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # routing failed; the 404/405 handler answers
    permission = endpoint_permission(current_app, endpoint)
    if permission is None:
        current_app.logger.error("endpoint %s declares no access rule", endpoint)
        abort(403)
    if permission == PUBLIC:
        return None
    if not current_user.is_authenticated:
        accept = request.accept_mimetypes
        # only a request that asks for JSON over HTML (the exam page's fetch): an old browser whose
        # navigation accepts */* is still sent to the login page
        if request.is_json or accept["application/json"] > accept["text/html"]:
            # a page's JSON request (a save) is told plainly, so the page keeps what it holds
            # and asks the person to log in again instead of following a redirect
            return jsonify({"status": 401, "reason": "login", "error": "登录已失效，请重新登录"}), 401
        return login_manager.unauthorized()
    if current_user.must_change_password and _waits_for_password_change(endpoint):
        if request.method == "GET":
            return redirect(url_for("auth.change_password"))
        abort(403)
    if not has_role_permission(current_user, permission):
        _refuse(current_user, permission, None, 403)
    return None


# --- scope -----------------------------------------------------------------


def unit_scope(user):
    """The unit whose subtree ``user`` may reach, or None for the whole city."""
    if user.role == Role.DISTRICT_ADMIN:
        return user.unit
    if user.role in (Role.EXAM_ADMIN, Role.OFFICE):
        return None
    return user.unit


def scope_units(stmt, user, unit_model):
    """Restrict a select over ``unit_model`` to what ``user`` may see."""
    scope = unit_scope(user)
    if scope is None:
        return stmt
    return stmt.where(unit_model.path.startswith(scope.path, autoescape=True))


def scope_roster(stmt, user, entry_model):
    """Restrict a select over roster entries to the user's district (city-wide roles see all)."""
    scope = unit_scope(user)
    if scope is None:
        return stmt
    return stmt.where(entry_model.district_id == scope.id)


def can(user, permission, obj=None):
    """May ``user`` exercise ``permission`` on ``obj`` (or at all, when None)?"""
    if not has_role_permission(user, permission):
        return False
    if obj is None:
        return True
    return _object_allowed(user, permission, obj) is True


#: model class -> rule(user, permission, obj): True, "hidden" (outside the user's reach) or
#: "forbidden" (visible, not allowed). Each feature registers the rules of its own models.
_OBJECT_RULES = {}


def object_rule(*models):
    """Register the object-access rule of ``models`` (a decorator, used beside the models)."""

    def decorator(rule):
        for model in models:
            if model in _OBJECT_RULES:
                raise ValueError(f"{model.__name__} already has an access rule")
            _OBJECT_RULES[model] = rule
        return rule

    return decorator


def _object_allowed(user, permission, obj):
    """True, or "hidden" (outside the user's reach) or "forbidden" (visible, not allowed)."""
    for cls in type(obj).__mro__:
        rule = _OBJECT_RULES.get(cls)
        if rule is not None:
            return rule(user, permission, obj)
    raise TypeError(f"no access rule for {type(obj).__name__}")


def unit_in_scope(user, unit):
    """Is ``unit`` within the part of the city ``user`` may reach?"""
    scope = unit_scope(user)
    return scope is None or unit.is_within(scope)


def district_in_scope(user, district_id):
    """The rule of everything reached through its district (a roster row, an accreditation record,
    an audit entry): True, or "hidden" outside a district admin's own district."""
    scope = unit_scope(user)
    return True if scope is None or district_id == scope.id else "hidden"


def _refuse(user, permission, obj, status):
    """Abort with ``status``; the refusal goes to the audit log (rate-limited, ``audit.refusals``,
    which the app factory hands in as ``refusal_recorder``)."""
    recorder = current_app.extensions.get("refusal_recorder")
    if recorder is not None:
        recorder(user, permission, obj, status)
    abort(status)


def ensure(user, permission, obj=None):
    """Abort with 403, or 404 for an object outside the user's reach; either is audited."""
    if not has_role_permission(user, permission):
        _refuse(user, permission, obj, 403)
    if obj is None:
        return
    verdict = _object_allowed(user, permission, obj)
    if verdict == "hidden":
        _refuse(user, permission, obj, 404)
    if verdict != True:  # noqa: E712 - the verdict is True or a reason string
        _refuse(user, permission, obj, 403)


def roles_assignable_by(user):
    """Roles ``user`` may give to an account."""
    if user.role == Role.EXAM_ADMIN:
        return list(Role.ALL)
    if user.role == Role.DISTRICT_ADMIN:
        return [Role.EXAMINEE]
    return []
