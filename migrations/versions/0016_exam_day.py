"""exam day at city scale: the live page's login, the grading state, ticket login codes and
papers drawn before exam day

Revision ID: 0016_exam_day
Revises: 0015_practice

- ``attempts.live_session_id`` / ``live_epoch``: the login the live page was opened under (its
  saves carry the page's token and no session cookie, and stop when that login ends);
- the attempt state ``grading``: handed in, the score follows within seconds;
- ``roster_entries.ticket_code_hash`` / ``ticket_code_issued_at``: the exam-day login code;
- ``prepared_papers`` / ``prepared_items``: papers drawn before the start.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_exam_day"
down_revision = "0015_practice"
branch_labels = None
depends_on = None

NEW_STATES = "state IN ('in_progress', 'grading', 'submitted', 'voided')"
OLD_STATES = "state IN ('in_progress', 'submitted', 'voided')"


def _replace_state_check(old, new):
    """Swap the attempts' check on its state. On SQLite, where a changed check would mean copying
    the table (and dropping the old copy fails on the rows that reference it), the check's text is
    rewritten in the schema in place, the way SQLite documents for changing a CHECK constraint."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table("attempts", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_attempts_state"), type_="check")
            batch_op.create_check_constraint("state", new)
        return
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'attempts'").scalar()
    if old not in sql:
        raise RuntimeError("the attempts table's state check is not the one expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'attempts'", (sql.replace(old, new),)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    # plain ALTER TABLE ... ADD COLUMN: nothing here copies a table on SQLite (see 0012)
    op.add_column("attempts", sa.Column("live_session_id", sa.String(length=64), nullable=True))
    op.add_column("attempts", sa.Column("live_epoch", sa.Integer(), nullable=True))
    _replace_state_check(OLD_STATES, NEW_STATES)
    op.add_column("roster_entries", sa.Column("ticket_code_hash", sa.String(length=64), nullable=True))
    op.add_column("roster_entries", sa.Column("ticket_code_issued_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "prepared_papers",
        sa.Column("roster_entry_id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_prepared_papers_exam_id_exams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["roster_entry_id"],
            ["roster_entries.id"],
            name=op.f("fk_prepared_papers_roster_entry_id_roster_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("roster_entry_id", name=op.f("pk_prepared_papers")),
    )
    with op.batch_alter_table("prepared_papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prepared_papers_exam_id"), ["exam_id"], unique=False)
    op.create_table(
        "prepared_items",
        sa.Column("roster_entry_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_version_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("option_order", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_version_id"],
            ["question_versions.id"],
            name=op.f("fk_prepared_items_question_version_id_question_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["roster_entry_id"],
            ["prepared_papers.roster_entry_id"],
            name=op.f("fk_prepared_items_roster_entry_id_prepared_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("roster_entry_id", "position", name=op.f("pk_prepared_items")),
    )


def downgrade():
    # a hand-in still being graded is graded first (``flask exams grade-pending``); none may remain
    pending = op.get_bind().exec_driver_sql("SELECT count(*) FROM attempts WHERE state = 'grading'").scalar()
    if pending:
        raise RuntimeError(f"{pending} hand-ins are still being graded: run `flask exams grade-pending` first")
    op.drop_table("prepared_items")
    op.drop_index(op.f("ix_prepared_papers_exam_id"), table_name="prepared_papers")
    op.drop_table("prepared_papers")
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): nothing copies a table
    op.execute("ALTER TABLE roster_entries DROP COLUMN ticket_code_issued_at")
    op.execute("ALTER TABLE roster_entries DROP COLUMN ticket_code_hash")
    _replace_state_check(NEW_STATES, OLD_STATES)
    op.execute("ALTER TABLE attempts DROP COLUMN live_epoch")
    op.execute("ALTER TABLE attempts DROP COLUMN live_session_id")
