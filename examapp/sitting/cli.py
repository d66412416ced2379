"""``flask exams close-overdue`` (the sweep cron runs it every minute on exam day) and
``flask exams grade-pending`` (grades what is handed in; ``--watch`` for a dedicated worker)."""

import time

import click
from flask.cli import with_appcontext

from ..exams.cli import exams_cli
from ..extensions import db
from .grading import grade_all_pending
from .services import close_overdue

#: how long ``grade-pending --watch`` sleeps when nothing is pending
WATCH_SLEEP_SECONDS = 1.0


@click.command("close-overdue")
@click.option("--exam", "exam_id", type=int, help="只处理这场考试")
@with_appcontext
def close_overdue_command(exam_id):
    """Submit every attempt past its deadline plus grace, with what was saved, and grade every
    hand-in still pending. Safe to run twice."""
    closed = close_overdue(exam_id=exam_id)
    db.session.commit()
    click.echo(f"已收取 {closed} 份超时答卷")
    graded = grade_all_pending(exam_id=exam_id)
    click.echo(f"已计算 {graded} 份答卷的成绩")


@click.command("grade-pending")
@click.option("--exam", "exam_id", type=int, help="只处理这场考试")
@click.option("--watch", is_flag=True, help="持续运行：每秒检查一次待计算成绩的答卷")
@with_appcontext
def grade_pending_command(exam_id, watch):
    """Grade every handed-in attempt still pending (each once, also beside other graders)."""
    while True:
        graded = grade_all_pending(exam_id=exam_id)
        if not watch:
            click.echo(f"已计算 {graded} 份答卷的成绩")
            return
        if graded:
            click.echo(f"已计算 {graded} 份答卷的成绩", err=True)
        db.session.remove()  # no session (and no connection) held while sleeping
        time.sleep(WATCH_SLEEP_SECONDS)


# examapp/cli.py puts close-overdue in the group; grade-pending joins it here, with its module
exams_cli.add_command(grade_pending_command)
