"""``flask report unit-scores EXAM_ID --out FILE.xlsx``: the same workbook as the results page's export."""

from pathlib import Path

import click
from flask.cli import AppGroup

from ..clock import display_zone
from ..exams.models import Exam, ExamStatus
from ..extensions import db

report_cli = AppGroup("report", help="报表：导出单位成绩")


@report_cli.command("unit-scores")
@click.argument("exam_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="输出的 .xlsx 文件")
@click.option("--district", "district_code", default=None, help="只导出这个区县（单位编码）")
def unit_scores_command(exam_id, out, district_code):
    """Write the exam's results workbook (units, people, districts)."""
    from ..org.services import get_unit_by_code
    from .export import build_workbook

    exam = db.session.get(Exam, exam_id)
    if exam is None or exam.status == ExamStatus.DRAFT:
        raise click.ClickException(f"没有编号为 {exam_id} 的已发布考试")
    district_id = None
    if district_code:
        district = get_unit_by_code(district_code)
        if district is None or district.kind != "district":
            raise click.ClickException(f"没有编码为 {district_code} 的区县")
        district_id = district.id
    if not out.lower().endswith(".xlsx"):
        raise click.ClickException("输出文件应以 .xlsx 结尾")
    data = build_workbook(exam, display_zone(), district_id)
    db.session.commit()  # the hand-ins the workbook graded first
    Path(out).write_bytes(data)
    state = "已封存" if exam.status == ExamStatus.SEALED else f"未封存（{exam.status_label}），实时数据"
    click.echo(f"已写入 {out}（{len(data)} 字节；{state}）")
