"""Loading the demo data the first time the app runs."""

from sqlalchemy import func, select

from .auth.models import Role, User
from .auth.services import generate_password
from .demo_data import CITY, DISTRICTS, GIVEN, SURNAMES
from .extensions import db
from .org.models import Unit, UnitKind
from .org.services import create_unit
from .staff.services import create_user

DEMO_ACCOUNTS = [
    # username, name, role, unit code
    ("admin", "刘建华", Role.EXAM_ADMIN, CITY[0]),
    ("office", "陈国平", Role.OFFICE, CITY[0]),
    ("jinshui", "赵丽", Role.DISTRICT_ADMIN, "410105"),
    ("kaosheng", "张伟", Role.EXAMINEE, "41010501001"),
]


def has_data():
    return db.session.scalar(select(func.count()).select_from(Unit)) > 0


def load_demo(passwords=None, examinees_per_community=2):
    """Create the unit tree, one account per role and a few examinees.

    Returns [(username, role, password)] of the demo accounts. ``passwords``
    maps username -> fixed password (tests); otherwise passwords are random.
    """
    passwords = passwords or {}
    city = create_unit(None, code=CITY[0], name=CITY[1], kind=UnitKind.CITY, parent=None)
    communities = []
    for code, name, streets in DISTRICTS:
        district = create_unit(None, code=code, name=name, kind=UnitKind.DISTRICT, parent=city)
        for i, (street_name, kind, community_names) in enumerate(streets, start=1):
            street = create_unit(None, code=f"{code}{i:02d}", name=street_name, kind=kind, parent=district)
            for j, community_name in enumerate(community_names, start=1):
                communities.append(
                    create_unit(
                        None,
                        code=f"{street.code}{j:03d}",
                        name=community_name,
                        kind=UnitKind.COMMUNITY,
                        parent=street,
                    )
                )
    accounts = []
    for username, name, role, unit_code in DEMO_ACCOUNTS:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        password = passwords.get(username) or generate_password(12)
        create_user(None, username=username, name=name, role=role, unit=unit, password=password)
        accounts.append((username, Role.LABELS[role], password))
    n = 0
    for community in communities:
        for _ in range(examinees_per_community):
            person = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
            user, _password = create_user(
                None,
                username=f"ks{community.code}{n % 100:02d}",
                name=person,
                role=Role.EXAMINEE,
                unit=community,
            )
            n += 1
    db.session.flush()
    return accounts


def demo_account_count():
    return db.session.scalar(select(func.count()).select_from(User))
