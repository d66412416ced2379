"""``flask accreditation forfeit-overdue``: the sweep that records recommendations not handed in
by their cycle's deadline as forfeited (the pages do the same lazily when opened)."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..cycles.models import AccreditationCycle
from ..extensions import db
from .recommend.services import deadline_label, forfeit_all_overdue, forfeit_overdue, is_open

accreditation_cli = AppGroup("accreditation", help="验收：推荐材料逾期处理等")


@accreditation_cli.command("forfeit-overdue")
@click.option("--year", type=int, default=None, help="只处理这一验收年度（默认：所有已过截止日期的年度）")
def forfeit_overdue_command(year):
    """Mark every draft recommendation past its cycle's deadline as forfeited (idempotent)."""
    if year is not None:
        cycle = db.session.scalar(select(AccreditationCycle).where(AccreditationCycle.year == year))
        if cycle is None:
            raise click.ClickException(f"没有 {year} 年的验收年度")
        if is_open(cycle):
            click.echo(f"{year} 年推荐材料报送尚未截止（{deadline_label(cycle)}），无需处理。")
            return
        done = {year: forfeit_overdue(cycle)}
    else:
        done = forfeit_all_overdue()
    db.session.commit()
    if not done:
        click.echo("没有已过截止日期的验收年度。")
    for cycle_year, count in done.items():
        click.echo(
            f"{cycle_year} 年：{count} 个推荐逾期未报，记为放弃验收"
            if count
            else f"{cycle_year} 年：没有逾期未报的推荐"
        )
