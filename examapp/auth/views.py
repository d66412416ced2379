from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..access import AUTHENTICATED, PUBLIC, mark_ticket_login, requires
from ..errors import DomainError
from ..web.form_errors import report
from .forms import ChangePasswordForm, LoginForm
from .services import LoginRefused, change_own_password, check_login, end_every_session, end_session

bp = Blueprint("auth", __name__, template_folder="templates")


def safe_next(target):
    """Only a path on this site; anything else becomes the home page."""
    if not target or not isinstance(target, str):
        return url_for("home.home")
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return url_for("home.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@requires(PUBLIC)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        try:
            result = check_login(form.username.data, form.password.data, request.remote_addr)
        except DomainError as exc:
            status = 429 if not isinstance(exc, LoginRefused) else 401
            form.password.errors.append(exc.message)
        else:
            user = result.user
            session.clear()  # a new session at login: nothing of the old one survives
            if result.ticket_exam_id is not None:
                mark_ticket_login(result.ticket_exam_id)  # before the login: its session row sees it
            login_user(user)
            session.permanent = True
            if result.ticket_exam_id is not None:
                # a 登录码 opens its exam: straight to its start page, the password change can wait
                return redirect(url_for("sitting.start", exam_id=result.ticket_exam_id))
            if user.must_change_password:
                flash("首次登录或密码已被重置，请先设置新密码", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(form.next.data))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@requires(AUTHENTICATED)
def logout():
    # the login's server-side row goes: a copy of this cookie opens nothing afterwards
    end_session(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.post("/account/logout-everywhere")
@requires(AUTHENTICATED)
def logout_everywhere():
    end_every_session(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("已退出所有设备上的登录，请重新登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(AUTHENTICATED)
def change_password():
    form = ChangePasswordForm(username=current_user.username)
    if form.validate_on_submit():
        try:
            user = change_own_password(
                current_user._get_current_object(), form.current_password.data, form.new_password.data
            )
        except DomainError as exc:
            report(exc, form, default="new_password")
        else:
            # Other sessions end with the epoch bump; this one continues under the new id
            # (and keeps its server-side row).
            login_user(user)
            flash("密码已修改，其他设备上的登录已失效", "success")
            return redirect(url_for("home.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status
