"""一听: the hearing page of a unit's record, the questionnaire's QR code, and the residents' public page."""

import re
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ... import access
from ...access import requires
from ...cycles.models import CHECK_LABELS, AccreditationRecord
from ...errors import DomainError
from ...extensions import db
from ...web.form_errors import report
from ...web.transaction import fail
from . import services
from .forms import HearingForm, QuestionnaireForm, QuestionnaireSwitchForm
from .models import Answer, SatisfactionSource

bp = Blueprint("accreditation_hearing", __name__, url_prefix="/accreditation", template_folder="templates")

#: the device cookie: a random value the browser keeps; its keyed hash is the response's device key
DEVICE_COOKIE = "examapp_device"
DEVICE_COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
_DEVICE_VALUE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def _record(record_id, permission="accreditation.view"):
    record = db.session.get(AccreditationRecord, record_id)
    if record is None:
        abort(404)
    access.ensure(current_user, permission, record)
    return record


def questionnaire_url(token):
    """The link residents open; QUESTIONNAIRE_BASE_URL (e.g. http://10.1.2.3) when the server is
    reached under another address than the office's own."""
    base = current_app.config.get("QUESTIONNAIRE_BASE_URL")
    if base:
        return base.rstrip("/") + url_for("accreditation_hearing.questionnaire", token=token)
    return url_for("accreditation_hearing.questionnaire", token=token, _external=True)


def _page(record, form, status=200):
    hearing = services.hearing_of(record)
    may_check = access.can(current_user, "accreditation.check", record)
    live = services.response_counts(hearing)
    entries = [e for e in record.entries if e.kind == "hearing"]
    return (
        render_template(
            "accreditation/hearing/hearing.html",
            record=record,
            unit=record.unit,
            cycle=record.cycle,
            hearing=hearing,
            form=form,
            switch_form=QuestionnaireSwitchForm(),
            may_check=may_check,
            live=live,
            live_rate=services.percent_shown(live.rate) if live.asked else "—",
            recorded=services.recorded_counts(hearing),
            verdict=services.current_verdict(hearing, record.cycle),
            comments=services.recent_comments(hearing),
            entries=entries,
            check_labels=CHECK_LABELS,
            answers=Answer,
            sources=SatisfactionSource,
            percent=services.percent_shown,
            line=services.required_shown(record.cycle.satisfaction_required),
            link=questionnaire_url(hearing.questionnaire_token)
            if may_check and hearing and hearing.questionnaire_token
            else None,
        ),
        status,
    )


def _prefilled_form(record):
    hearing = services.hearing_of(record)
    form = HearingForm()
    if hearing is not None and hearing.is_recorded:
        form.report_date.data, form.report_summary.data = hearing.report_date, hearing.report_summary
        form.source.data = hearing.source
        if hearing.source == SatisfactionSource.SURVEY:
            form.asked.data, form.satisfied.data = hearing.asked, hearing.satisfied
            form.basically_satisfied.data, form.dissatisfied.data = hearing.basically_satisfied, hearing.dissatisfied
    elif hearing is not None and hearing.questionnaire_token:
        form.source.data = SatisfactionSource.QUESTIONNAIRE
    return form


@bp.get("/records/<int:record_id>/hearing")
@requires("accreditation.view")
def hearing(record_id):
    record = _record(record_id)
    return _page(record, _prefilled_form(record))


@bp.post("/records/<int:record_id>/hearing")
@requires("accreditation.check")
def hearing_record(record_id):
    record = _record(record_id, "accreditation.check")
    form = HearingForm()
    if not form.validate_on_submit():
        return _page(record, form, 400)
    try:
        hearing, entry = services.record_hearing(
            current_user._get_current_object(),
            record,
            report_date=form.report_date.data,
            report_summary=form.report_summary.data,
            source=form.source.data,
            counts=form.counts() if form.source.data == SatisfactionSource.SURVEY else None,
            reason=form.reason.data,
        )
    except DomainError as exc:
        report(exc, form, default="report_summary")
        return _page(_record(record_id, "accreditation.check"), form, 400)
    if entry is None:
        flash("一听记录没有变化", "info")
    else:
        flash(f"已记录一听：{entry.text}", "success" if hearing.passed else "warning")
    return redirect(url_for("accreditation_hearing.hearing", record_id=record.id))


@bp.post("/records/<int:record_id>/hearing/questionnaire/open")
@requires("accreditation.check")
def hearing_open_questionnaire(record_id):
    record = _record(record_id, "accreditation.check")
    if QuestionnaireSwitchForm().validate_on_submit():
        try:
            services.open_questionnaire(current_user._get_current_object(), record)
        except DomainError as exc:
            fail()
            flash(exc.message, "warning")
        else:
            flash("居民问卷已开启：打印二维码张贴或发给居民，居民扫码即可填写", "success")
    return redirect(url_for("accreditation_hearing.hearing", record_id=record.id))


@bp.post("/records/<int:record_id>/hearing/questionnaire/close")
@requires("accreditation.check")
def hearing_close_questionnaire(record_id):
    record = _record(record_id, "accreditation.check")
    if QuestionnaireSwitchForm().validate_on_submit():
        try:
            services.close_questionnaire(current_user._get_current_object(), record)
        except DomainError as exc:
            fail()
            flash(exc.message, "warning")
        else:
            flash("居民问卷已关闭，不再接收答卷", "success")
    return redirect(url_for("accreditation_hearing.hearing", record_id=record.id))


def _questionnaire_hearing(record):
    hearing = services.hearing_of(record)
    if hearing is None or hearing.questionnaire_token is None:
        abort(404)
    return hearing


@bp.get("/records/<int:record_id>/hearing/questionnaire/print")
@requires("accreditation.check")
def hearing_questionnaire_print(record_id):
    record = _record(record_id, "accreditation.check")
    hearing = _questionnaire_hearing(record)
    return render_template(
        "accreditation/hearing/questionnaire_print.html",
        record=record,
        unit=record.unit,
        hearing=hearing,
        link=questionnaire_url(hearing.questionnaire_token),
        question=services.QUESTION,
        answers=Answer,
    )


@bp.get("/records/<int:record_id>/hearing/questionnaire/qr.svg")
@requires("accreditation.check")
def hearing_qr(record_id):
    record = _record(record_id, "accreditation.check")
    hearing = _questionnaire_hearing(record)
    response = make_response(services.qr_svg(questionnaire_url(hearing.questionnaire_token)))
    response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the residents' page: public, no login ------------------------------------------


def _device_cookie():
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if _DEVICE_VALUE.fullmatch(value) else None


def _public(html, status=200, new_device=None):
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    if new_device:
        response.set_cookie(
            DEVICE_COOKIE,
            new_device,
            max_age=DEVICE_COOKIE_MAX_AGE,
            path=f"{request.script_root}{bp.url_prefix}/q/",
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def _closed():
    return _public(render_template("accreditation/hearing/questionnaire_closed.html"), 404)


def _questionnaire_page(hearing, form, *, status=200, message=None, done=False, new_device=None):
    html = render_template(
        "accreditation/hearing/questionnaire.html",
        hearing=hearing,
        unit=hearing.record.unit,
        form=form,
        question=services.QUESTION,
        message=message,
        done=done,
    )
    return _public(html, status, new_device)


@bp.get("/q/<token>")
@requires(access.PUBLIC)
def questionnaire(token):
    hearing = services.open_questionnaire_by_token(token)
    if hearing is None:
        return _closed()
    device = _device_cookie()
    if device is not None and services.has_responded(hearing, services.device_key(hearing, device)):
        # right after submitting, the page thanks (the flashed message) instead of refusing
        message = None if get_flashed_messages() else services.ALREADY_RESPONDED
        return _questionnaire_page(hearing, None, message=message, done=True)
    return _questionnaire_page(
        hearing, QuestionnaireForm(), new_device=secrets.token_urlsafe(32) if device is None else None
    )


@bp.post("/q/<token>")
@requires(access.PUBLIC)
def questionnaire_submit(token):
    hearing = services.open_questionnaire_by_token(token)
    if hearing is None:
        return _closed()
    form = QuestionnaireForm()
    if not form.validate_on_submit():
        return _questionnaire_page(hearing, form, status=400)
    device = _device_cookie()
    if device is None:
        # No device cookie (cookies blocked, or the page was not opened first): give one and ask again.
        return _questionnaire_page(
            hearing,
            form,
            status=400,
            new_device=secrets.token_urlsafe(32),
            message="请允许浏览器保存 Cookie（用于确认每台设备只提交一次），然后再点一次“提交”。",
        )
    try:
        services.submit_response(
            hearing,
            answer=form.answer.data,
            comment=form.comment.data,
            device=services.device_key(hearing, device),
            address=request.remote_addr,
        )
    except services.AlreadyResponded as exc:
        fail()
        return _questionnaire_page(hearing, None, status=409, message=exc.message, done=True)
    except services.TooManyResponses as exc:
        fail()
        return _questionnaire_page(hearing, form, status=429, message=exc.message)
    except DomainError as exc:
        if exc.field is None:  # the questionnaire closed meanwhile
            fail()
            return _closed()
        report(exc, form)
        return _questionnaire_page(hearing, form, status=400)
    flash("提交成功，感谢您的参与！", "success")
    return redirect(url_for("accreditation_hearing.questionnaire", token=token), 303)
