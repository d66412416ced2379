"""What the exam pages read: roster counts and lists, always scoped to the viewer's reach."""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager
from wtforms.fields.choices import SelectChoice

from .. import access
from ..auth.models import User
from ..bank.content import Difficulty, QType
from ..bank.services import bank_overview, category_tree, descendant_ids
from ..extensions import db
from ..org.models import Unit, UnitKind
from .models import RosterEntry


def roster_counts(exam_ids, user):
    """{exam id: roster rows the user may see} (a district admin: their district's rows)."""
    if not exam_ids:
        return {}
    stmt = select(RosterEntry.exam_id, func.count()).where(RosterEntry.exam_id.in_(exam_ids))
    stmt = access.scope_roster(stmt, user, RosterEntry)
    return dict(db.session.execute(stmt.group_by(RosterEntry.exam_id)).all())


def roster_unit_counts(exam, user):
    """[(unit, people)] for every unit holding roster rows in its subtree, parents first (no city).

    Counts are by the frozen unit of each row, so a later transfer does not move anyone.
    """
    stmt = select(RosterEntry.unit_id, func.count()).where(RosterEntry.exam_id == exam.id)
    stmt = access.scope_roster(stmt, user, RosterEntry).group_by(RosterEntry.unit_id)
    direct = dict(db.session.execute(stmt).all())
    if not direct:
        return []
    paths = dict(db.session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(list(direct)))).all())
    totals = {}
    for unit_id, people in direct.items():
        for ancestor in (int(part) for part in paths[unit_id].strip("/").split("/")):
            totals[ancestor] = totals.get(ancestor, 0) + people
    units = db.session.scalars(
        select(Unit).where(Unit.id.in_(list(totals)), Unit.kind != UnitKind.CITY).order_by(Unit.path)
    ).all()
    return [(unit, totals[unit.id]) for unit in units if access.can(user, "units.view", unit)]


def district_names(ids):
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


def roster_statement(exam, user, *, q="", unit=None):
    """Roster rows of ``exam`` the user may see, optionally searched and limited to a unit's subtree."""
    stmt = (
        select(RosterEntry)
        .join(RosterEntry.user)
        .join(RosterEntry.unit)
        .where(RosterEntry.exam_id == exam.id)
        .options(contains_eager(RosterEntry.user), contains_eager(RosterEntry.unit))
    )
    stmt = access.scope_roster(stmt, user, RosterEntry)
    q = (q or "").strip()[:64]
    if q:
        # % and _ are searched for as themselves, not as wildcards
        stmt = stmt.where(or_(User.name.contains(q, autoescape=True), User.username.contains(q, autoescape=True)))
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    return stmt.order_by(Unit.path, User.username)


def roster_in_unit(exam, user, unit):
    """Every roster row under ``unit`` the user may see, for paperwork (tickets, sign-in sheets)."""
    return db.session.scalars(
        roster_statement(exam, user, unit=unit).options(contains_eager(RosterEntry.user).selectinload(User.unit))
    ).all()


def unit_choices(user, kinds=(UnitKind.DISTRICT, *UnitKind.ASSESSED)):
    """Active units of ``kinds`` within the user's reach, indented by depth, as select choices."""
    stmt = select(Unit).where(Unit.is_active.is_(True), Unit.kind.in_(kinds)).order_by(Unit.path)
    stmt = access.scope_units(stmt, user, Unit)
    return [SelectChoice(u.id, f"{'　' * max(u.depth - 1, 0)}{u.labelled_name}") for u in db.session.scalars(stmt)]


def bank_availability():
    """Published questions per category (its subcategories included) x type x difficulty.

    Returns (rows, qtypes, difficulties): rows are (category, depth, {qtype: {difficulty: n}}).
    """
    published = bank_overview()["published"]
    rows = []
    for category, depth in category_tree():
        ids = descendant_ids(category.id)
        cells = {t: {d: sum(published.get((c, t, d), 0) for c in ids) for d in Difficulty.ALL} for t in QType.ALL}
        rows.append((category, depth, cells))
    return rows, QType.LABELS, Difficulty.LABELS


def unit_full_names(units):
    """{unit id: "金水区 / 经八路街道 / 红专路社区"} (the city left out), in one query."""
    units = {u.id: u for u in units}
    ancestor_ids = {a for u in units.values() for a in u.ancestor_ids[1:]}
    names = (
        dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ancestor_ids))).all())
        if ancestor_ids
        else {}
    )
    return {
        unit_id: " / ".join([*(names[a] for a in u.ancestor_ids[1:] if a in names), u.name])
        for unit_id, u in units.items()
    }
