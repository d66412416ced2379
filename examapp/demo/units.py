"""Loading the demo data the first time the app runs."""

from sqlalchemy import func, select

from ..auth.models import Role, User
from ..auth.services import generate_password
from ..extensions import db
from ..org.models import Unit, UnitKind
from ..org.services import create_unit
from ..staff.services import create_user
from .data import CITY, DISTRICTS, GIVEN, SURNAMES

DEMO_ACCOUNTS = [
    # username, name, role, unit code
    ("admin", "刘建华", Role.EXAM_ADMIN, CITY[0]),
    ("office", "陈国平", Role.OFFICE, CITY[0]),
    ("jinshui", "赵丽", Role.DISTRICT_ADMIN, "410105"),
    ("erqi", "王芳", Role.DISTRICT_ADMIN, "410103"),
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

    from ..clock import utcnow
    from ..exams.models import ReleaseMode

    now = utcnow()
    return _published_demo_exam(
        f"{now.year} 年度劳动保障业务知识闭卷考试（演示）",
        "410105",
        now - timedelta(hours=1),
        now + timedelta(days=7),
        ReleaseMode.ON_SUBMIT,
    )


def _published_demo_exam(title, district_code, opens_at, closes_at, release_mode):
    """A published 100-point demo exam of the loaded bank with a district's staff on its roster."""
    from ..exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint

    exam = create_exam(
        None,
        ExamSettings(
            title=title,
            instructions="本次考试为闭卷考试，满分 100 分，时长 60 分钟。\n请独立作答，不得查阅资料或与他人交流。",
            opens_at=opens_at,
            closes_at=closes_at,
            duration_minutes=60,
            release_mode=release_mode,
            cycle_year=opens_at.year,
        ),
    )
    set_blueprint(None, exam, _demo_rows())
    add_to_roster(None, exam, units=[db.session.scalar(select(Unit).where(Unit.code == district_code))])
    publish_exam(None, exam)
    return exam


#: the past demo exam: the scores of each unit's staff, in turn (averages a little above and below 95:
#: 98, 97 (one excused), 95 exactly, 94.5, 95.5, 48 (one absent unexcused), 94, 99, 96, 92.5)
PAST_UNIT_SCORES = [(99, 97), (97, 97), (95, 95), (96, 93), (97, 94), (96, 96), (96, 92), (100, 98), (97, 95), (94, 91)]


def _wrong(version):
    """A response that a version's key does not accept."""
    if version.qtype == "single":
        return next(letter for letter in "ABCD" if letter != version.answer)
    if version.qtype == "multiple":
        return version.answer[:1]  # a correct subset: wrong under all-or-nothing
    if version.qtype == "judge":
        return "F" if version.answer == "T" else "T"
    return ["不知道"] * len(version.answer)


def _answer_to(attempt, target, rng):
    """Answer every item, getting wrong just enough of them to score about ``target``."""
    from decimal import Decimal

    items = list(attempt.items)
    rng.shuffle(items)
    lost, allowed = Decimal("0"), Decimal("100") - Decimal(str(target))
    for item in items:
        version = item.version
        if lost + item.points <= allowed:
            item.response, lost = _wrong(version), lost + item.points
        else:
            item.response = version.answer if version.qtype != "blank" else [alts[0] for alts in version.answer]
        item.response_seq = 1


def create_past_demo_exam():
    """A closed demo exam of 二七区 from a month ago, with simulated attempts: units just above and
    just below 95, an excused absence and an unexcused one. The office can seal it."""
    import random
    from datetime import timedelta

    from ..clock import utcnow
    from ..exams.models import ReleaseMode, RosterEntry
    from ..exams.services import close_exam
    from ..sitting.services import start_attempt, submit_attempt

    rng = random.Random(2005)  # the same figures on every machine
    now = utcnow()
    # opened now so that the attempts can be made; moved a month back once they are
    exam = _published_demo_exam(
        f"{now.year} 年度劳动保障业务知识闭卷考试（二七区，演示·已结束）",
        "410103",
        now - timedelta(minutes=5),
        now + timedelta(hours=1),
        ReleaseMode.ON_SEAL,
    )
    exam.is_demo = True
    entries = db.session.scalars(
        select(RosterEntry).where(RosterEntry.exam_id == exam.id).order_by(RosterEntry.unit_id, RosterEntry.id)
    ).all()
    by_unit = {}
    for entry in entries:
        by_unit.setdefault(entry.unit_id, []).append(entry)
    started = now - timedelta(days=30)
    for number, (_unit_id, members) in enumerate(sorted(by_unit.items())):
        scores = PAST_UNIT_SCORES[number % len(PAST_UNIT_SCORES)]
        for index, entry in enumerate(members):
            if number == 1 and index == len(members) - 1:
                from ..results.services import excuse_absence

                excuse_absence(None, entry, "考试当日因公外出（演示数据）")
                continue
            if number == 5 and index == len(members) - 1:
                continue  # an unexcused absence: counts as 0
            attempt = start_attempt(exam, entry.user, seed=rng.randrange(1 << 30))
            _answer_to(attempt, scores[index % len(scores)], rng)
            submit_attempt(attempt, "examinee")
            begun = started + timedelta(minutes=rng.randrange(0, 20))
            attempt.started_at, attempt.submitted_at = begun, begun + timedelta(minutes=rng.randrange(30, 58))
            attempt.deadline_at = begun + timedelta(minutes=60)
    exam.opens_at, exam.closes_at = started, started + timedelta(hours=2)
    db.session.flush()
    close_exam(None, exam)
    exam.closed_at = started + timedelta(hours=2)
    return exam


def _demo_rows():
    from ..bank.services import get_category_by_name

    rows = []
    for name, counts in DEMO_BLUEPRINT:
        category = get_category_by_name(name)
        for qtype, count, points in zip(("single", "multiple", "judge", "blank"), counts, (1, 2, 1, 1), strict=True):
            if count:
                rows.append({"category_id": category.id, "qtype": qtype, "count": count, "points": points})
    return rows


def open_demo_cycle(days=14):
    """This year's accreditation cycle, its materials deadline moved to ``days`` from today when it has
    passed, so that the demo can be walked from recommendation to decision at any time of the year
    (the notice's default, 31 October, stays the default of every real cycle)."""
    from datetime import timedelta

    from ..clock import local_today
    from ..cycles.services import cycle_for_year

    today = local_today()
    cycle = cycle_for_year(today.year)
    if cycle.materials_deadline < today:
        cycle.materials_deadline = today + timedelta(days=days)
    db.session.flush()
    return cycle
