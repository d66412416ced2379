from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..forms import BaseForm
from .services import password_problem


class LoginForm(BaseForm):
    username = StringField(
        "用户名或准考证号",
        validators=[DataRequired("请输入用户名或准考证号"), Length(max=64)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "密码",
        validators=[DataRequired("请输入密码"), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        "当前密码", validators=[DataRequired("请输入当前密码")], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        "新密码", validators=[DataRequired("请输入新密码")], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        "再次输入新密码",
        validators=[DataRequired("请再次输入新密码"), EqualTo("new_password", "两次输入的新密码不一致")],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, username="", **kwargs):
        super().__init__(**kwargs)
        self._username = username

    def validate_new_password(self, field):
        problem = password_problem(field.data or "", self._username)
        if problem:
            raise ValidationError(problem)
