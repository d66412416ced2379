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


def upgrade():
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("live_session_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("live_epoch", sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f("ck_attempts_state"), type_="check")
        batch_op.create_check_constraint("state", NEW_STATES)
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ticket_code_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ticket_code_issued_at", sa.DateTime(timezone=True), nullable=True))
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
    op.drop_table("prepared_items")
    with op.batch_alter_table("prepared_papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prepared_papers_exam_id"))
    op.drop_table("prepared_papers")
    with op.batch_alter_table("roster_entries", schema=None) as batch_op:
        batch_op.drop_column("ticket_code_issued_at")
        batch_op.drop_column("ticket_code_hash")
    # an attempt still being graded is graded by the sweep before a downgrade; none may remain
    op.execute("UPDATE attempts SET state = 'submitted' WHERE state = 'grading' AND score IS NOT NULL")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_attempts_state"), type_="check")
        batch_op.create_check_constraint("state", OLD_STATES)
        batch_op.drop_column("live_epoch")
        batch_op.drop_column("live_session_id")
