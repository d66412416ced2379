from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import access
from ..audit.labels import register_value_labels
from ..db_types import UTCDateTime
from ..extensions import db
from ..models_base import TimestampMixin
from ..roles import Role
from .passwords import hash_generated_password, hash_password, is_password


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('examinee', 'district_admin', 'exam_admin', 'office')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name, stored lower-case
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_enabled: Mapped[bool] = mapped_column(default=True, nullable=False)
    must_change_password: Mapped[bool] = mapped_column(default=True, nullable=False)
    #: bumped whenever every other session of this account must end
    session_epoch: Mapped[int] = mapped_column(default=0, nullable=False)
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[object | None] = mapped_column(UTCDateTime)

    unit = relationship("Unit")

    def __repr__(self):
        return f"<User {self.username} {self.role}>"

    # Flask-Login: the id carries the epoch, so bumping it ends old sessions.
    def get_id(self):
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self):
        return self.is_enabled

    @property
    def role_label(self):
        return Role.LABELS[self.role]

    def set_password(self, password, generated=False):
        """Hash a password the way ``auth.passwords`` decides (argon2id, or PBKDF2 for generated ones)."""
        self.password_hash = hash_generated_password(password) if generated else hash_password(password)

    def check_password(self, password):
        return is_password(self.password_hash, password)

    def end_other_sessions(self):
        self.session_epoch = (self.session_epoch or 0) + 1


class UserSession(db.Model):
    """One login: its random id travels in the signed session cookie, and the row lives as long as the login.

    Loading the user for a request joins this row (one statement, the exam's save path counts
    them): logging out deletes it, so a cookie captured before the logout opens nothing after
    it, while the same person's logins elsewhere continue. Ending every login at once (the
    account page's "退出所有设备", a password change, a disabled account, a changed role) also
    bumps ``User.session_epoch``, which Flask-Login's id carries.
    """

    __tablename__ = "user_sessions"

    #: ``secrets.token_urlsafe(32)``; the cookie carrying it is signed with the app's secret key
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)


@access.object_rule(User)
def _user_rule(user, permission, person):
    if not access.unit_in_scope(user, person.unit):
        return "hidden"
    if permission == "staff.edit" and user.role == Role.DISTRICT_ADMIN:
        return True if person.role == Role.EXAMINEE else "forbidden"
    return True


register_value_labels("user", "role", Role.LABELS)
