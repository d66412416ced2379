"""``flask exams close-overdue``: the sweep cron runs every minute on exam day."""

import click
from flask.cli import AppGroup

from ..extensions import db

exams_cli = AppGroup("exams", help="考试：收取超时答卷等")


@exams_cli.command("close-overdue")
@click.option("--exam", "exam_id", type=int, help="只处理这场考试")
def close_overdue_command(exam_id):
    """Submit every attempt past its deadline plus grace, with what was saved. Safe to run twice."""
    from ..sitting.services import close_overdue

    closed = close_overdue(exam_id=exam_id)
    db.session.commit()
    click.echo(f"已收取 {closed} 份超时答卷")
