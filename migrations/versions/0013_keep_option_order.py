"""keep option order: a 单选/多选 version may keep its options in their written order (选项顺序固定)

Revision ID: 0013_keep_option_order
Revises: 0012_admission_tickets

Options that are numbers (90 / 98 / 120 / 128) or end in "以上都…" read wrongly when shuffled. A
version marked so is drawn unshuffled even when the exam shuffles options. Existing choice versions
whose options look so are marked here, with a frozen copy of the rule the import applies
(``bank.content.needs_fixed_order``), so a bank loaded before agrees with the shipped files.
Papers already drawn keep the option order they were drawn with.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0013_keep_option_order"
down_revision = "0012_admission_tickets"
branch_labels = None
depends_on = None

_AMOUNT = (
    r"(?:百分之|千分之|万分之)?[0-9零〇一二两三四五六七八九十百千万.点%]+"
    r"(?:个)?(?:工作日|小时|分钟|平方米|万元|周岁|天|日|月|年|周|岁|元|倍|人|次|名|项|台|%)?"
)
_NUMBER_OPTION = re.compile(
    rf"^(?:不超过|不少于|不低于|不高于|至少|约)?{_AMOUNT}(?:以上{_AMOUNT}以下|以上|以下|以内|内)?$"
    r"|^[0-9]{4}年[0-9]{1,2}月(?:[0-9]{1,2}日)?$"
)
_ABOUT_THE_OTHERS = re.compile(r"^以上(?:都|均|皆|选项|各项)")


def _needs_fixed_order(options):
    if not isinstance(options, list) or len(options) < 2:
        return False
    keys = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(o)).casefold()) for o in options]
    return all(_NUMBER_OPTION.match(key) for key in keys) or bool(_ABOUT_THE_OTHERS.match(keys[-1]))


def upgrade():
    # A plain ADD COLUMN with a server default: nothing copies the table (see 0012)
    op.add_column(
        "question_versions",
        sa.Column("keep_option_order", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    bind = op.get_bind()
    versions = sa.table(
        "question_versions",
        sa.column("id", sa.Integer),
        sa.column("qtype", sa.String),
        sa.column("options", sa.JSON),
        sa.column("keep_option_order", sa.Boolean),
    )
    kept = [
        {"version_id": version_id}
        for version_id, options in bind.execute(
            sa.select(versions.c.id, versions.c.options).where(versions.c.qtype.in_(("single", "multiple")))
        )
        if _needs_fixed_order(options)
    ]
    if kept:
        bind.execute(
            versions.update().where(versions.c.id == sa.bindparam("version_id")).values(keep_option_order=True), kept
        )


def downgrade():
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the reason given in upgrade()
    op.execute("ALTER TABLE question_versions DROP COLUMN keep_option_order")
