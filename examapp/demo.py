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


#: the demo paper: 30 单选 x1 + 20 多选 x2 + 20 判断 x1 + 10 填空 x1 = 100 points, over every category
DEMO_BLUEPRINT = [
    # category, (单选, 多选, 判断, 填空)
    ("示范社区标准", (10, 6, 6, 4)),
    ("就业再就业政策", (4, 3, 3, 1)),
    ("社会保险", (4, 3, 3, 1)),
    ("劳动关系与劳动合同", (4, 3, 3, 2)),
    ("劳动保障监察", (3, 2, 2, 1)),
    ("离退休人员社会化管理", (3, 2, 2, 1)),
    ("办理程序与服务规范", (2, 1, 1, 0)),
]


def create_demo_exam():
    """A published exam open for a week with 金水区 on its roster, drawn from the loaded bank."""
    from datetime import timedelta

    from .bank.services import get_category_by_name
    from .clock import utcnow
    from .exams.models import ReleaseMode
    from .exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint

    now = utcnow()
    exam = create_exam(None, ExamSettings(
        title=f"{now.year} 年度劳动保障业务知识闭卷考试（演示）",
        instructions="本次考试为闭卷考试，满分 100 分，时长 60 分钟。\n请独立作答，不得查阅资料或与他人交流。",
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7), duration_minutes=60,
        release_mode=ReleaseMode.ON_SUBMIT, cycle_year=now.year,
    ))
    rows = []
    for name, counts in DEMO_BLUEPRINT:
        category = get_category_by_name(name)
        for qtype, count, points in zip(("single", "multiple", "judge", "blank"), counts, (1, 2, 1, 1), strict=True):
            if count:
                rows.append({"category_id": category.id, "qtype": qtype, "count": count, "points": points})
    set_blueprint(None, exam, rows)
    add_to_roster(None, exam, units=[db.session.scalar(select(Unit).where(Unit.code == "410105"))])
    publish_exam(None, exam)
    return exam
