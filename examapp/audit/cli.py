"""``flask audit verify``: check the hash chains of the audit log and the accreditation records."""

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="操作日志：校验哈希链")


@audit_cli.command("verify")
def verify_command():
    """Recompute every chained entry; exit status 1 and the first broken entry if any."""
    from .chain import chains, verify_chain

    broken = False
    for name, label, model in chains():
        count, problem = verify_chain(name, model)
        if problem is None:
            click.echo(f"{label}：{count} 条记录，哈希链完整")
            continue
        broken = True
        entry_id, reason = problem
        where = f"第一处异常在编号 {entry_id} 的记录" if entry_id is not None else "异常在链尾"
        click.echo(f"{label}：哈希链被破坏。{where}：{reason}（已检查 {count} 条）", err=True)
    if broken:
        raise SystemExit(1)
