"""``flask integrity report EXAM_ID --out FILE.xlsx``, ``flask integrity sweep`` (cron, after exams
end), and the plain-data seam: ``flask integrity analyse-file SITTING.json`` runs the analysis on
a file (no database), ``flask integrity export-file EXAM_ID --out SITTING.json`` writes an exam's
sitting as such a file (docs/integrity.md, "The plain-data file")."""

import json
import sys
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


@integrity_cli.command("analyse-file")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, allow_dash=True))
def analyse_file_command(path):
    """Run the analysis on a plain-data sitting (JSON) and print its findings as JSON."""
    from .analysis import analyse
    from .plain import PlainDataError, findings_data, sitting_from_data

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"文件不是有效的 JSON：{exc}") from exc
    try:
        sitting = sitting_from_data(data)
    except PlainDataError as exc:
        raise click.ClickException(exc.message) from exc
    drafts, _stats = analyse(sitting)
    click.echo(json.dumps(findings_data(drafts), ensure_ascii=False, indent=2))


@integrity_cli.command("export-file")
@click.argument("exam_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出的 .json 文件")
def export_file_command(exam_id, out):
    """Write the exam's sitting as a plain-data file (ids only, no names)."""
    from .signals import exam_data

    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.is_draft:
        raise click.ClickException(f"没有编号为 {exam_id} 的已发布考试")
    data = exam_data(exam)
    Path(out).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    click.echo(f"已写入 {len(data['attempts'])} 份答卷、{len(data['items'])} 道题到 {out}")
