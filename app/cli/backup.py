"""``flask --app wsgi kpi backup OUT`` and ``kpi restore IN``: see app.services.backup.

A backup is safe while the server runs and during an open vote; a restore goes into an EMPTY
database (``KPI_DATABASE_URL``) and only when the backup's migration version is the code's."""

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False))
@with_appcontext
def backup_cmd(out):
    """备份整个数据库到文件 OUT（SQLite：.sqlite 文件；PostgreSQL：.tar 备份包）。系统运行中、投票进行中都可以备份。"""
    from app.services.backup import BackupError, make_backup

    try:
        info = make_backup(db.engine, out)
    except BackupError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"已备份到 {info.path}（{info.size // 1024} KB，数据库版本 {info.revision or '未知'}）。")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_cmd(src):
    """把备份文件 SRC 恢复到 KPI_DATABASE_URL 指向的空数据库（备份的数据库版本须与本程序一致）。"""
    from app.services.backup import BackupError, restore_backup

    url = current_app.config["DATABASE_URL"]
    db.dispose_all()  # no pooled connection of this process holds the target open
    try:
        info = restore_backup(url, src)
    except BackupError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"已恢复（数据库版本 {info.revision}）。")


commands = [backup_cmd, restore_cmd]
