"""logins kept on the server, so that logging out ends one

Revision ID: 0010_sessions
Revises: 0009_late_deliveries

A row per login; its random id travels in the signed session cookie and loading the user
for a request joins it. Logging out deletes the row: a cookie captured before then opens
nothing afterwards. Existing cookies carry no such id and end at the upgrade (everyone logs
in once more).
"""

from alembic import op
import sqlalchemy as sa


revision = "0010_sessions"
down_revision = "0009_late_deliveries"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.create_index("ix_user_sessions_user_id", ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.drop_index("ix_user_sessions_user_id")
    op.drop_table("user_sessions")
