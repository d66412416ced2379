"""integrity findings and the runs that computed them

Revision ID: 0007_integrity
Revises: 0006_accreditation_checks
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_integrity"
down_revision = "0006_accreditation_checks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "integrity_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("attempt_ids", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holds", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('same_device', 'two_addresses', 'copying', 'speed', 'unit')",
            name=op.f("ck_integrity_findings_kind"),
        ),
        sa.CheckConstraint("level IN ('high', 'medium', 'low')", name=op.f("ck_integrity_findings_level")),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_integrity_findings_exam_id_exams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_integrity_findings_reviewed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_findings")),
        sa.UniqueConstraint("exam_id", "key", name="uq_integrity_findings_exam_id_key"),
    )
    with op.batch_alter_table("integrity_findings", schema=None) as batch_op:
        batch_op.create_index("ix_integrity_findings_exam_strength", ["exam_id", "strength"], unique=False)

    op.create_table(
        "integrity_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_integrity_runs_exam_id_exams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["computed_by_id"], ["users.id"], name=op.f("fk_integrity_runs_computed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_runs")),
    )
    with op.batch_alter_table("integrity_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integrity_runs_exam_id"), ["exam_id"], unique=False)


def downgrade():
    with op.batch_alter_table("integrity_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integrity_runs_exam_id"))
    op.drop_table("integrity_runs")
    with op.batch_alter_table("integrity_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_integrity_findings_exam_strength")
    op.drop_table("integrity_findings")
