"""``flask integrity report EXAM_ID --out FILE.xlsx`` and ``flask integrity sweep`` (cron, after exams end)."""

from pathlib import Path

import click
from flask.cli import AppGroup

from ..clock import display_zone
from ..errors import DomainError
from ..exams.models import Exam
from ..extensions import db

integrity_cli = AppGroup("integrity", help="考试诚信：计算疑点并导出")


@integrity_cli.command("report")
@click.argument("exam_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出的 .xlsx 文件")
def report_command(exam_id, out):
    """Compute the exam's findings (keeping reviews) and write them to a workbook."""
    from . import queries
    from .export import build_workbook
    from .services import compute_findings

    if not out.lower().endswith(".xlsx"):
        raise click.ClickException("输出文件应以 .xlsx 结尾")
    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.is_draft:
        raise click.ClickException(f"没有编号为 {exam_id} 的已发布考试")
    try:
        run = compute_findings(exam)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    findings, _ = queries.list_findings(exam.id)
    units = queries.unit_names({u for f in findings for u in f.unit_ids})
    data = build_workbook(findings, units, display_zone(), exam=exam)
    Path(out).write_bytes(data)
    click.echo(f"已计算 {run.attempts} 份答卷（{run.seconds:.1f} 秒），{len(findings)} 个疑点，已写入 {out}")


@integrity_cli.command("sweep")
def sweep_command():
    """Compute the findings of every exam that ended since its findings were last computed."""
    from .services import compute_findings, exams_due

    done = 0
    for exam in exams_due():
        run = compute_findings(exam)
        db.session.commit()
        done += 1
        click.echo(f"{exam.title}：{run.attempts} 份答卷，{run.findings} 个疑点")
    click.echo(f"已计算 {done} 场考试")
