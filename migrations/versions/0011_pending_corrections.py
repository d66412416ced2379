"""corrections after the seal that wait for the office's confirmation

Revision ID: 0011_pending_corrections
Revises: 0009_late_deliveries

After an exam's results are sealed, a correction (an excusal, its withdrawal, a regrade, an
accepted late delivery) that would change a unit's standing is not applied at once: it is
kept in ``pending_corrections`` with what to apply, until the leadership-group office
confirms or rejects it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_pending_corrections"
# committed as "0009_late_deliveries"; chained after the uncommitted 0010 here, so one head
down_revision = "0010_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("standings", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected')", name=op.f("ck_pending_corrections_status")
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_pending_corrections_exam_id_exams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["district_id"], ["units.id"], name=op.f("fk_pending_corrections_district_id_units")),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_pending_corrections_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_pending_corrections_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_corrections")),
    )
    with op.batch_alter_table("pending_corrections") as batch_op:
        batch_op.create_index("ix_pending_corrections_exam_id", ["exam_id"], unique=False)
        batch_op.create_index("ix_pending_corrections_status", ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("pending_corrections") as batch_op:
        batch_op.drop_index("ix_pending_corrections_status")
        batch_op.drop_index("ix_pending_corrections_exam_id")
    op.drop_table("pending_corrections")
