"""``flask exams close-overdue``: the sweep cron runs every minute on exam day."""

import click
from flask.cli import with_appcontext

from ..extensions import db
from .services import close_overdue


@click.command("close-overdue")
@click.option("--exam", "exam_id", type=int, help="只处理这场考试")
@with_appcontext
def close_overdue_command(exam_id):
    """Submit every attempt past its deadline plus grace, with what was saved. Safe to run twice."""
    closed = close_overdue(exam_id=exam_id)
    db.session.commit()
    click.echo(f"已收取 {closed} 份超时答卷")
