"""admission tickets: a ticket number (准考证号), room and seat per roster row

Revision ID: 0012_admission_tickets
Revises: 0011_pending_corrections

Every roster row gets a ticket number unique across exams: the year the exam opens (Beijing
time), the exam id in at least four digits and a five-digit sequence in the order the rows were
added (``exams.models.ticket_number_for``). Existing rows are numbered here; new ones when added.
A person may log in with it instead of the username. Room and seat are printed on the ticket.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0012_admission_tickets"
down_revision = "0011_pending_corrections"
branch_labels = None
depends_on = None

#: the display zone of the deployment (``examapp.clock.DEFAULT_DISPLAY_TIMEZONE``)
BEIJING = ZoneInfo("Asia/Shanghai")


def _year(opens_at):
    if isinstance(opens_at, str):  # SQLite without type information
        opens_at = datetime.fromisoformat(opens_at)
    if opens_at.tzinfo is None:
        opens_at = opens_at.replace(tzinfo=UTC)
    return opens_at.astimezone(BEIJING).year


def upgrade():
    # Added NOT NULL with a placeholder default, numbered, then the default goes where it can.
    # Nothing here copies the table (a batch "move and copy" on SQLite): dropping the old copy
    # fails on the attempts that reference its rows.
    op.add_column("roster_entries", sa.Column("ticket_number", sa.String(length=20), server_default="", nullable=False))
    op.add_column("roster_entries", sa.Column("room", sa.String(length=40), nullable=True))
    op.add_column("roster_entries", sa.Column("seat", sa.String(length=20), nullable=True))

    bind = op.get_bind()
    roster = sa.table(
        "roster_entries", sa.column("id", sa.Integer), sa.column("exam_id", sa.Integer), sa.column("ticket_number")
    )
    exams = sa.table("exams", sa.column("id", sa.Integer), sa.column("opens_at", sa.DateTime(timezone=True)))
    years = {exam_id: _year(opens_at) for exam_id, opens_at in bind.execute(sa.select(exams.c.id, exams.c.opens_at))}
    sequence = {}
    numbers = []
    for entry_id, exam_id in bind.execute(sa.select(roster.c.id, roster.c.exam_id).order_by(roster.c.id)):
        sequence[exam_id] = sequence.get(exam_id, 0) + 1
        numbers.append({"entry_id": entry_id, "number": f"{years[exam_id]:04d}{exam_id:04d}{sequence[exam_id]:05d}"})
    if numbers:
        bind.execute(
            roster.update().where(roster.c.id == sa.bindparam("entry_id")).values(ticket_number=sa.bindparam("number")),
            numbers,
        )

    if bind.dialect.name != "sqlite":
        # SQLite keeps the unused default: removing it would copy the table (see above)
        op.alter_column("roster_entries", "ticket_number", existing_type=sa.String(length=20), server_default=None)
    op.create_index("uq_roster_entries_ticket_number", "roster_entries", ["ticket_number"], unique=True)


def downgrade():
    op.drop_index("uq_roster_entries_ticket_number", table_name="roster_entries")
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the reason given in upgrade()
    op.execute("ALTER TABLE roster_entries DROP COLUMN seat")
    op.execute("ALTER TABLE roster_entries DROP COLUMN room")
    op.execute("ALTER TABLE roster_entries DROP COLUMN ticket_number")
