"""``flask bank import|export|load|lint``: the question bank from the command line.

Problems go to stderr, one per line with file, row and column, and the exit
status is 1; nothing is written unless every row of every file is good.
"""

from collections import Counter
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..spreadsheets import SpreadsheetError, read_table, write_table
from .content import QType
from .importing import COLUMNS, Existing, RowProblem, apply_plan, check_rows, export_rows, parse_row
from .lint import Entry, lint, summary_lines
from .models import Question, Status

bank_cli = AppGroup("bank", help="题库：导入、导出、加载题库文件")

#: --status of ``flask bank export``
EXPORT_STATUSES = {
    "active": (Status.DRAFT, Status.PUBLISHED),
    "published": (Status.PUBLISHED,),
    "draft": (Status.DRAFT,),
    "retired": (Status.RETIRED,),
    "all": Status.ALL,
}
BANK_SUFFIXES = (".csv", ".xlsx")


def read_bank_file(path):
    """Rows of a question file, under the same size, row and safety limits as an upload."""
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    return read_table(path.name, data, COLUMNS, max_bytes=max_bytes, max_rows=current_app.config["UPLOAD_MAX_ROWS"])


def _fail(problems):
    db.session.rollback()
    for problem in problems:
        click.echo(problem.as_text(), err=True)
    click.echo(f"共 {len(problems)} 处问题，没有导入任何试题。", err=True)
    raise click.exceptions.Exit(1)


def _warn(warnings):
    for warning in warnings:
        click.echo(f"提示：{warning.as_text()}", err=True)


def _type_summary(items):
    counts = Counter(item.data.qtype for item in items)
    return "，".join(f"{QType.LABELS[t]} {counts[t]}" for t in QType.ALL if counts[t])


def _bank_files(path):
    """The question files of a folder (or the one file), refused when there is none."""
    if path.is_file():
        return [path]
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in BANK_SUFFIXES and not p.name.startswith((".", "~$"))
    )
    if not files:
        raise click.ClickException(f"{path} 中没有 .csv 或 .xlsx 文件")
    return files


def _read_files(files):
    """(rows of every file, each naming its file; problems of files that cannot be read)."""
    rows, problems = [], []
    for path in files:
        try:
            file_rows = read_bank_file(path)
        except SpreadsheetError as exc:
            problems += [RowProblem(p.message, p.row, p.column, path.name) for p in exc.problems]
            continue
        for row in file_rows:
            row["_file"] = path.name
        rows += file_rows
    return rows, problems


@bank_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并列出问题，不写入")
@click.option("--publish", is_flag=True, help="导入后直接发布（默认作为草稿导入）")
def import_command(path, dry_run, publish):
    """Import one .xlsx or .csv file, all or nothing (an existing question is a problem)."""
    try:
        rows = read_bank_file(path)
    except SpreadsheetError as exc:
        _fail([RowProblem(p.message, p.row, p.column, path.name) for p in exc.problems])
    plan, problems = check_rows(None, rows)
    if problems:
        _fail([RowProblem(p.message, p.row, p.column, path.name) for p in problems])
    _warn(plan.warnings)
    summary = f"{len(plan.to_create)} 道试题（{_type_summary(plan.to_create)}）"
    if plan.new_categories:
        summary += f"，新建分类：{'、'.join(plan.new_categories)}"
    if dry_run:
        click.echo(f"检查通过，未写入：{path.name} 可导入 {summary}")
        return
    status = Status.PUBLISHED if publish else Status.DRAFT
    apply_plan(None, plan, path.name, status=status)
    db.session.commit()
    click.echo(f"已导入 {summary}，状态：{Status.LABELS[status]}")


@bank_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--status",
    "which",
    type=click.Choice(list(EXPORT_STATUSES)),
    default="active",
    show_default=True,
    help="导出哪些试题：active 为草稿和已发布",
)
def export_command(path, which):
    """Export questions to a .xlsx or .csv file in the import format."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise click.ClickException("文件扩展名须为 .xlsx 或 .csv")
    rows = export_rows(select(Question).where(Question.status.in_(EXPORT_STATUSES[which])))
    path.write_bytes(write_table(list(COLUMNS), rows, fmt, sheet_name="试题"))
    click.echo(f"已导出 {len(rows)} 道试题到 {path}")


@bank_cli.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并列出问题，不写入")
def load_command(directory, dry_run):
    """Load every .csv/.xlsx file of a folder as published questions; safe to run again.

    A question already in the bank with identical content is skipped; one with
    the same stem and options but different content is an error.
    """
    files = _bank_files(directory)
    rows, problems = _read_files(files)
    if problems:
        _fail(problems)
    plan, problems = check_rows(None, rows, existing=Existing.SKIP_IDENTICAL)
    if problems:
        _fail(problems)
    _warn(plan.warnings)
    for path in files:
        created = sum(1 for i in plan.to_create if i.file == path.name)
        skipped = sum(1 for i in plan.skipped if i.file == path.name)
        click.echo(f"  {path.name}：新建 {created}，跳过 {skipped}")
    summary = f"新建 {len(plan.to_create)} 道试题，跳过 {len(plan.skipped)} 道（已存在且内容相同）"
    if plan.new_categories:
        summary += f"，新建分类：{'、'.join(plan.new_categories)}"
    if dry_run:
        click.echo(f"检查通过，未写入：{len(files)} 个文件，将{summary}")
        return
    if plan.to_create:
        apply_plan(None, plan, f"{directory.name}/（{len(files)} 个文件）", status=Status.PUBLISHED)
        db.session.commit()
    click.echo(f"已加载 {len(files)} 个文件：{summary}")


@bank_cli.command("lint")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--notes/--no-notes", default=True, help="同时列出提示（不影响退出状态）")
def lint_command(path, notes):
    """Check question files against the rules the bank claims; exit 1 when one is broken.

    Reports the share of 多选 keyed "all options but one" and the key-size spread,
    near-duplicate clusters, 依据 without an article, and (as notes) blanks with one answer.
    """
    files = _bank_files(path)
    rows, problems = _read_files(files)
    entries = []
    for raw in rows:
        data, _category, row_problems = parse_row(raw)
        problems += row_problems
        if data is not None and not row_problems:
            entries.append(Entry(data=data, file=raw["_file"], row=raw["_row"]))
    report = lint(entries)
    for line in summary_lines(report):
        click.echo(line)
    for problem in problems:
        click.echo(f"错误：{problem.as_text()}", err=True)
    for finding in report.errors:
        click.echo(f"错误：{finding.as_text()}", err=True)
    if notes:
        for finding in report.notes:
            click.echo(f"提示：{finding.as_text()}")
    failed = len(problems) + len(report.errors)
    if failed:
        click.echo(f"共 {failed} 处不符合题库规则。", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"检查通过：{len(files)} 个文件，{report.questions} 道试题符合题库规则。")
