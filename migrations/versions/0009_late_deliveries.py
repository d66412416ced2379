"""late deliveries, the tab a page lives in, departure durations

Revision ID: 0009_late_deliveries
Revises: 0008_answer_timing

Answers a page gave before an attempt closed but delivered after it (a link down across
the deadline) are kept apart in ``late_deliveries`` for an administrator to accept or not.
``attempts.live_tab`` is the browser tab (a per-tab id the page keeps) holding the live
token: a reload in the same tab is told from another tab or PC by it. A departure's
``duration_ms`` is filled when the page reports the examinee's return.
"""

from alembic import op
import sqlalchemy as sa


revision = "0009_late_deliveries"
down_revision = "0008_answer_timing"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.add_column(sa.Column("live_tab", sa.String(length=64), nullable=True))
    with op.batch_alter_table("attempt_events") as batch_op:
        batch_op.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
    op.create_table(
        "late_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("online_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name=op.f("ck_late_deliveries_status")),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_late_deliveries_attempt_id_attempts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_late_deliveries_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_deliveries")),
        sa.UniqueConstraint("attempt_id", "seq", name="uq_late_deliveries_attempt_id_seq"),
    )
    with op.batch_alter_table("late_deliveries") as batch_op:
        batch_op.create_index("ix_late_deliveries_attempt_id", ["attempt_id"], unique=False)


def downgrade():
    with op.batch_alter_table("late_deliveries") as batch_op:
        batch_op.drop_index("ix_late_deliveries_attempt_id")
    op.drop_table("late_deliveries")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch operation would copy and drop
    # the attempts table, and the drop would cascade to every attempt's items and events.
    op.execute("ALTER TABLE attempt_events DROP COLUMN duration_ms")
    op.execute("ALTER TABLE attempts DROP COLUMN live_tab")
