"""``flask exams close-overdue`` (the sweep cron runs it every minute on exam day) and
``flask exams grade-pending`` (grades what is handed in; ``--watch`` for a dedicated worker).

The sweep also deletes the papers drawn before exam day for exams nobody can start any more."""

import time

import click
from flask.cli import with_appcontext

from ..exams.cli import exams_cli
from ..extensions import db
from .grading import grade_all_pending
from .prepared import purge_prepared
from .services import close_overdue

#: how long ``grade-pending --watch`` sleeps when nothing is pending
WATCH_SLEEP_SECONDS = 1.0


@click.command("close-overdue")
@click.option("--exam", "exam_id", type=int, help="只处理这场考试")
@with_appcontext
def close_overdue_command(exam_id):
    """Submit every attempt past its deadline plus grace, with what was saved, grade every
    hand-in still pending, and delete the prepared papers of exams whose window has closed.
    Safe to run twice."""
    closed = close_overdue(exam_id=exam_id)
    db.session.commit()
    click.echo(f"已收取 {closed} 份超时答卷")
    graded = grade_all_pending(exam_id=exam_id)
    click.echo(f"已计算 {graded} 份答卷的成绩")
    purged = purge_prepared(exam_id=exam_id)
    db.session.commit()
    if purged:
        click.echo(f"已清理 {purged} 份不再使用的预备试卷")


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
