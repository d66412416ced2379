"""answer timing per item: the first answer and the number of saves

Revision ID: 0008_answer_timing
Revises: 0007_integrity

Items saved before this revision get one save when they were ever saved, and their last
answer time as their first when they hold an answer: the order of answering of an older
sitting is approximate.
"""

from alembic import op
import sqlalchemy as sa


revision = "0008_answer_timing"
down_revision = "0007_integrity"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attempt_items") as batch_op:
        batch_op.add_column(sa.Column("first_answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("save_count", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.execute("UPDATE attempt_items SET save_count = 1 WHERE response_seq > 0")
    # an answer that is there (a cleared one is stored as SQL NULL or as JSON null)
    op.execute(
        "UPDATE attempt_items SET first_answered_at = answered_at "
        "WHERE response_seq > 0 AND answered_at IS NOT NULL "
        "AND response IS NOT NULL AND CAST(response AS TEXT) <> 'null'"
    )


def downgrade():
    with op.batch_alter_table("attempt_items") as batch_op:
        batch_op.drop_column("save_count")
        batch_op.drop_column("first_answered_at")
