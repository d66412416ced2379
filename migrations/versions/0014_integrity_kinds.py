"""integrity findings: the kinds "same_address" (several accounts answered from one address at
once outside the exam's declared rooms) and "timing" (one person answering question after
question within seconds of another in the same room)

Revision ID: 0014_integrity_kinds
Revises: 0013_keep_option_order

Only the check constraint on the kind changes. Existing findings keep their kind; an exam's
findings are recomputed with the new rules when an office next computes them.
"""

from alembic import op

revision = "0014_integrity_kinds"
down_revision = "0013_keep_option_order"
branch_labels = None
depends_on = None

NEW = "kind IN ('same_device', 'same_address', 'two_addresses', 'copying', 'speed', 'unit', 'timing')"
OLD = "kind IN ('same_device', 'two_addresses', 'copying', 'speed', 'unit')"


def _replace(condition):
    with op.batch_alter_table("integrity_findings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_integrity_findings_kind"), type_="check")
        batch_op.create_check_constraint("kind", condition)


def upgrade():
    _replace(NEW)


def downgrade():
    op.execute("DELETE FROM integrity_findings WHERE kind IN ('same_address', 'timing')")
    _replace(OLD)
