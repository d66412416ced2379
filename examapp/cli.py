"""Command-line tools: ``flask demo load``, ``flask users ...``."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .auth.models import Role, User
from .auth.passwords import hash_password
from .auth.services import password_problem
from .errors import DomainError
from .extensions import db
from .org.models import Unit

demo_cli = AppGroup("demo", help="演示数据")
users_cli = AppGroup("users", help="账号管理")


@demo_cli.command("load")
def demo_load():
    """Load the demo units and accounts, and the question bank, if the database is empty."""
    from .bank.cli import load_command
    from .demo import has_data, load_demo

    if has_data():
        click.echo("数据库中已有数据，跳过演示数据加载。")
        return
    accounts = load_demo()
    db.session.commit()
    bank_dir = Path(current_app.root_path).parent / "question_bank"
    if bank_dir.is_dir():
        click.echo("加载题库 question_bank/：")
        click.get_current_context().invoke(load_command, directory=bank_dir, dry_run=False)
        from .demo import create_demo_exam, create_past_demo_exam

        exam = create_demo_exam()
        db.session.commit()
        click.echo(f"已创建演示考试“{exam.title}”（金水区考生，开放 7 天）")
        from .demo.practice import create_practice_history

        mocks, answers = create_practice_history(exam)
        db.session.commit()
        click.echo(
            f"已为金水区考生生成练习和模拟考试记录（模拟考试 {mocks} 次，练习 {answers} 题），可在“考试准备”页查看"
        )
        past = create_past_demo_exam()
        db.session.commit()
        click.echo(f"已创建已结束的演示考试“{past.title}”（二七区，模拟作答，可由领导小组办公室封存）")
        from .demo.integrity import create_integrity_demo_exam

        sitting, planted = create_integrity_demo_exam()
        db.session.commit()
        (source, copier), (stand_in, stood_for) = planted["copying"], planted["stand_in"]
        click.echo(
            f"已创建诚信分析演示考试“{sitting.title}”（管城回族区）：预置{copier.name}抄袭{source.name}的错误答案、"
            f"{stand_in.name}替{'、'.join(p.name for p in stood_for)}答题，诚信疑点已计算，可在考试的“诚信疑点”页查看"
        )
    from .demo import open_demo_cycle

    cycle = open_demo_cycle()
    db.session.commit()
    click.echo(
        f"演示：{cycle.name}的推荐材料截止日期为 {cycle.materials_deadline:%Y-%m-%d}"
        "（通知规定为 10 月 31 日，演示数据延后以便走完推荐到验收决定的全过程）"
    )
    click.echo("已加载演示数据。演示账号（密码只显示这一次，请记下）：")
    for username, role, password in accounts:
        click.echo(f"  {role:<10} 用户名 {username:<10} 密码 {password}")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", required=True, help="姓名")
@click.option("--role", type=click.Choice(Role.ALL), required=True)
@click.option("--unit", "unit_code", required=True, help="所属单位编码")
@click.password_option("--password", help="初始密码（会提示输入）")
def users_create(username, name, role, unit_code, password):
    """Create an account (for example the first exam admin in production)."""
    from .staff.services import create_user

    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"单位编码“{unit_code}”不存在")
    problem = password_problem(password, username)
    if problem:
        raise click.ClickException(problem)
    try:
        user, _ = create_user(None, username=username, name=name, role=role, unit=unit, password=password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"已创建账号 {user.username}（{user.role_label}）")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option("--password")
@click.option("--must-change/--no-must-change", default=True, help="下次登录时是否必须修改密码")
def users_set_password(username, password, must_change):
    """Set an account's password and end its sessions."""
    from .audit.services import record_change
    from .staff.services import district_id_of_user

    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"账号“{username}”不存在")
    problem = password_problem(password, user.username)
    if problem:
        raise click.ClickException(problem)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.end_other_sessions()
    record_change(
        None,
        "user.password_reset",
        "user",
        user.id,
        label=f"{user.username} {user.name}",
        reason="命令行设置密码",
        district_id=district_id_of_user(user),
    )
    db.session.commit()
    click.echo(f"已设置 {user.username} 的密码")


def register(app):
    from .exams.cli import exams_cli
    from .sitting.cli import close_overdue_command

    exams_cli.add_command(close_overdue_command)
    app.cli.add_command(exams_cli)
    from .bank.cli import bank_cli
    from .results.cli import report_cli

    app.cli.add_command(report_cli)
    from .audit.cli import audit_cli

    app.cli.add_command(audit_cli)
    from .accreditation.cli import accreditation_cli

    app.cli.add_command(accreditation_cli)
    from .integrity.cli import integrity_cli

    app.cli.add_command(integrity_cli)

    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(bank_cli)
