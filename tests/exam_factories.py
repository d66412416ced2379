"""Exams for tests: a small published bank, a 100-point blueprint, a roster, built through the services."""

from datetime import timedelta

from sqlalchemy import func, select

from examapp.bank.content import Difficulty, QType
from examapp.bank.models import Question, Status
from examapp.clock import utcnow
from examapp.exams.services import ExamSettings, add_to_roster, create_exam, publish_exam, set_blueprint
from examapp.extensions import db

from . import bank_factories as bank

#: a blueprint the small bank below fills: 4x10 + 2x15 + 3x10 = 100 points
BLUEPRINT = [
    {"qtype": QType.SINGLE, "count": 4, "points": "10"},
    {"qtype": QType.MULTIPLE, "count": 2, "points": "15"},
    {"qtype": QType.JUDGE, "count": 3, "points": "10"},
]


def small_bank(per_type=6, category_name="社会保险"):
    """``per_type`` published questions of each type but 填空 in one category; returns the category."""
    category = bank.category(category_name)
    for i in range(per_type):
        bank.question(
            category, status=Status.PUBLISHED, stem=f"{category_name}单选题{i}：应当在（  ）内办理？", answer="B"
        )
        bank.question(
            category,
            status=Status.PUBLISHED,
            qtype=QType.MULTIPLE,
            stem=f"{category_name}多选题{i}：包括（  ）。",
            options=["甲", "乙", "丙", "丁"],
            answer="ACD",
        )
        bank.question(
            category,
            status=Status.PUBLISHED,
            qtype=QType.JUDGE,
            stem=f"{category_name}判断题{i}：这句话是对的。",
            options=[],
            answer="T",
            difficulty=Difficulty.MEDIUM,
        )
    return category


def shared_small_bank():
    """The small bank's category, made once per database (browser tests share one database)."""
    category = bank.category("社会保险")
    if not db.session.scalar(select(func.count()).select_from(Question).where(Question.category_id == category.id)):
        small_bank()
    return category


def settings(**overrides):
    now = utcnow()
    values = {
        "title": "2026 年度劳动保障业务知识闭卷考试",
        "instructions": "闭卷作答，独立完成。",
        "opens_at": now - timedelta(minutes=10),
        "closes_at": now + timedelta(hours=2),
        "duration_minutes": 60,
        "cycle_year": 2026,
    }
    values.update(overrides)
    return ExamSettings(**values)


def blueprint_rows(category, rows=BLUEPRINT):
    return [dict(row, category_id=category.id) for row in rows]


def exam(world=None, *, publish=False, category=None, units=None, actor=None, **overrides):
    """A draft (or published) exam with the blueprint above and the world's examinees on its roster."""
    category = category or small_bank()
    created = create_exam(actor, settings(**overrides))
    set_blueprint(actor, created, blueprint_rows(category))
    if world is not None:
        add_to_roster(actor, created, units=units or [db.session.merge(world.city)])
    if publish:
        publish_exam(actor, created)
    db.session.flush()
    return created
