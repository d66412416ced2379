"""Test data built through the real services (so audit and paths are right)."""

from dataclasses import dataclass, field
from itertools import count

from examapp.auth.models import Role
from examapp.extensions import db
from examapp.org.models import UnitKind
from examapp.org.services import create_unit
from examapp.staff.services import create_user

_seq = count(1)
_hashes = {}


def password_hash(password):
    """The real hash of a chosen password (argon2id at the app's settings), computed once per run."""
    from examapp.auth.passwords import current_hasher, hash_password

    key = (password, current_hasher())
    if key not in _hashes:
        _hashes[key] = hash_password(password)
    return _hashes[key]


@dataclass
class World:
    city: object
    districts: dict = field(default_factory=dict)
    streets: dict = field(default_factory=dict)
    communities: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)


class Factory:
    """Builds committed rows in a short app context of its own.

    Objects come back detached with their columns loaded; tests read ids and
    names from them, and query again inside ``app.app_context()`` for more.
    """

    def __init__(self, app):
        self.app = app

    def unit(self, kind, parent=None, code=None, name=None):
        with self.app.app_context():
            unit = self._unit(kind, parent, code, name)
            db.session.commit()
            return unit

    def user(self, role, unit, **kwargs):
        with self.app.app_context():
            user = self._user(role, unit, **kwargs)
            db.session.commit()
            return user

    def world(self):
        with self.app.app_context():
            world = self._world()
            db.session.commit()
            return world

    def _unit(self, kind, parent=None, code=None, name=None):
        n = next(_seq)
        if parent is not None and parent not in db.session:
            parent = db.session.merge(parent, load=False)
        return create_unit(None, code=code or f"T{n:05d}", name=name or f"测试单位{n}", kind=kind, parent=parent)

    def _user(self, role, unit, username=None, password=None, must_change=False, name=None):
        from .conftest import TEST_PASSWORD

        n = next(_seq)
        if unit not in db.session:
            unit = db.session.merge(unit, load=False)
        user, _ = create_user(
            None,
            username=username or f"user{n}",
            name=name or f"测试人员{n}",
            role=role,
            unit=unit,
        )
        user.password_hash = password_hash(password or TEST_PASSWORD)
        user.must_change_password = must_change
        db.session.flush()
        return user

    def _world(self):
        city = self._unit(UnitKind.CITY, code="410100", name="郑州市")
        w = World(city=city)
        for key, code, name in (("a", "410105", "金水区"), ("b", "410103", "二七区")):
            district = self._unit(UnitKind.DISTRICT, city, code=code, name=name)
            street = self._unit(UnitKind.STREET, district, code=f"{code}01", name=f"{name}第一街道")
            community = self._unit(UnitKind.COMMUNITY, street, code=f"{code}01001", name=f"{name}第一社区")
            w.districts[key], w.streets[key], w.communities[key] = district, street, community
        w.accounts = {
            "exam_admin": self._user(Role.EXAM_ADMIN, city, username="admin"),
            "office": self._user(Role.OFFICE, city, username="office"),
            "district_admin": self._user(Role.DISTRICT_ADMIN, w.districts["a"], username="jinshui"),
            "district_admin_b": self._user(Role.DISTRICT_ADMIN, w.districts["b"], username="erqi"),
            "examinee": self._user(Role.EXAMINEE, w.communities["a"], username="kaosheng"),
            "examinee_b": self._user(Role.EXAMINEE, w.communities["b"], username="kaosheng2"),
        }
        return w
