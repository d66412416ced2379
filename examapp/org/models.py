from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import access
from ..audit.labels import register_value_labels
from ..extensions import db
from ..models_base import TimestampMixin
from ..roles import Role


class UnitKind:
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    TOWNSHIP = "township"
    COMMUNITY = "community"

    ALL = (CITY, DISTRICT, STREET, TOWNSHIP, COMMUNITY)
    LABELS = {
        CITY: "市",
        DISTRICT: "区",
        STREET: "街道",
        TOWNSHIP: "乡镇",
        COMMUNITY: "社区",
    }
    #: the kind a unit of each kind must sit under
    PARENT_KINDS = {
        CITY: (),
        DISTRICT: (CITY,),
        STREET: (DISTRICT,),
        TOWNSHIP: (DISTRICT,),
        COMMUNITY: (STREET, TOWNSHIP),
    }
    #: the units whose staff are examined and whose average decides eligibility
    ASSESSED = (STREET, TOWNSHIP, COMMUNITY)

    @classmethod
    def from_label(cls, label):
        for kind, text in cls.LABELS.items():
            if text == label:
                return kind
        return None


class Unit(TimestampMixin, db.Model):
    __tablename__ = "units"
    __table_args__ = (CheckConstraint("kind IN ('city', 'district', 'street', 'township', 'community')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: materialised path of ids, "/1/4/17/", for subtree queries
    path: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)

    parent = relationship("Unit", remote_side=[id], back_populates="children")
    children = relationship("Unit", back_populates="parent", order_by="Unit.code")

    def __repr__(self):
        return f"<Unit {self.code} {self.name}>"

    @property
    def kind_label(self):
        return UnitKind.LABELS[self.kind]

    @property
    def kind_hint(self):
        """What a list of units writes after the name: "街道", "社区"; nothing for a 区县,
        whose name already says it ("中牟县", not "中牟县（区）")."""
        return "" if self.kind in (UnitKind.CITY, UnitKind.DISTRICT) else self.kind_label

    @property
    def labelled_name(self):
        """The name as a choice in a list of units: "青年路街道（街道）", "中牟县"."""
        return f"{self.name}（{self.kind_hint}）" if self.kind_hint else self.name

    @property
    def is_assessed(self):
        return self.kind in UnitKind.ASSESSED

    @property
    def depth(self):
        return self.path.count("/") - 2

    @property
    def ancestor_ids(self):
        return [int(part) for part in self.path.strip("/").split("/")[:-1]]

    def is_within(self, other):
        """True when this unit is ``other`` or lies under it."""
        return self.path.startswith(other.path)

    @property
    def district(self):
        """The district this unit belongs to (itself for a district), or None."""
        if self.kind == UnitKind.DISTRICT:
            return self
        if self.kind == UnitKind.CITY:
            return None
        ids = self.ancestor_ids
        if len(ids) < 2:
            return None
        return db.session.get(Unit, ids[1])

    @property
    def full_name(self):
        ids = self.ancestor_ids[1:]
        names = []
        if ids:
            rows = db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()
            by_id = dict(rows)
            names = [by_id[i] for i in ids if i in by_id]
        return " / ".join([*names, self.name])


# --- access rules -------------------------------------------------------------


@access.object_rule(Unit)
def _unit_rule(user, permission, unit):
    if not access.unit_in_scope(user, unit):
        return "hidden"
    if permission == "units.edit" and user.role == Role.DISTRICT_ADMIN:
        # A district admin keeps the units under the district, not the district itself.
        return True if unit.id != user.unit_id else "forbidden"
    return True


def may_place_unit(user, kind, parent):
    """May ``user`` hold a unit of ``kind`` under ``parent``?"""
    if not access.has_role_permission(user, "units.edit"):
        return False
    if user.role == Role.DISTRICT_ADMIN:
        if kind in (UnitKind.CITY, UnitKind.DISTRICT):
            return False
        return parent is not None and access.unit_in_scope(user, parent)
    return True


register_value_labels("unit", "kind", UnitKind.LABELS)
