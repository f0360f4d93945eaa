"""Set-up and operations: migrations, demo data, the scheduler, users."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db


def alembic_config():
    from pathlib import Path

    from alembic.config import Config as AlembicConfig

    root = Path(__file__).resolve().parents[2]
    cfg = AlembicConfig(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.attributes["database_url"] = current_app.config["DATABASE_URL"]
    return cfg


@click.command("db-upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision):
    """应用数据库迁移（升级到最新结构）。"""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    click.echo("数据库已升级到最新结构。")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="只在数据库没有任何单位时加载。")
@click.option("--quiet", is_flag=True)
@with_appcontext
def seed_demo(if_empty, quiet):
    """加载演示数据（连云港职业技术学院的院部、部门、各角色演示账号与 2018-2019 学年周期）。可重复执行。"""
    from sqlmodel import Session, func, select

    from app.models import Unit
    from seeds.demo import DEMO_PASSWORD, load_demo

    with Session(db.writer) as session:
        if if_empty and session.exec(select(func.count()).select_from(Unit)).one() > 0:
            if not quiet:
                click.echo("数据库已有数据，跳过演示数据。")
            print_logins(DEMO_PASSWORD)
            return
        summary = load_demo(session)
        session.commit()
    click.echo(f"演示数据已就绪：{summary}")
    print_logins(DEMO_PASSWORD)


@click.command("seed-university")
@click.option("--units", type=click.IntRange(25, 2000), default=250, show_default=True, help="单位数（两类各半）。")
@click.option("--staff", type=click.IntRange(1, 100000), default=3000, show_default=True, help="账号数。")
@click.option("--history", type=click.IntRange(0, 30), default=10, show_default=True,
              help="已公示结果的往年周期数。")
@click.option("--codes", type=click.IntRange(0, 100000), default=5000, show_default=True, help="测评码数。")
@click.option("--if-empty", is_flag=True, help="数据库已有单位时跳过（不报错）。")
@with_appcontext
def seed_university(units, staff, history, codes, if_empty):
    """生成一所“大型高校”（演示数据的十倍：250 个单位、3000 个账号、5000 个测评码、十个已公示的往年周期、
    每个单位的自查报告与佐证和绩效目标表），用于在真实规模下试用与测量。只用于空数据库。"""
    from sqlmodel import Session, func, select

    from app.models import Unit
    from seeds.demo import DEMO_PASSWORD
    from seeds.university import build

    with Session(db.writer) as session:
        if session.exec(select(func.count()).select_from(Unit)).one() > 0:
            if if_empty:
                click.echo("数据库已有数据，跳过生成。")
                print_logins(DEMO_PASSWORD)
                return
            raise click.ClickException("数据库已有单位，未生成。请用一个新的数据库"
                                       "（如 KPI_INSTANCE_PATH 指向新的文件夹），或使用 make run-university。")
    for name, secs in build(units, staff, history, codes).items():
        click.echo(f"{name}: {secs:.1f} s")
    print_logins(DEMO_PASSWORD)
    click.echo("生成的账号：sim_tb_<单位编号>（各单位填报员）、sim_tp_<n>（教职工），密码均为 secret123。")


def print_logins(password: str) -> None:
    from seeds.demo import DEMO_LOGINS

    click.echo(f"演示账号（密码均为 {password}）：")
    for username, label in DEMO_LOGINS:
        click.echo(f"  {username:<14} {label}")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="只运行一轮到期任务后退出。")
@with_appcontext
def scheduler(once):
    """运行定时任务进程（提醒、关闭异议期）。整个部署只需一个；多开也不会重复执行。"""
    from app.jobs import JOBS, load_jobs, run_job

    app = current_app._get_current_object()
    if once:
        load_jobs()
        for name in JOBS:
            click.echo(f"{name}: {run_job(db.engine, name, tick_seconds=app.config['SCHEDULER_TICK_SECONDS'])}")
        return
    from app.jobs.runner import build_scheduler

    sched = build_scheduler(app, blocking=True)
    click.echo(f"定时任务进程已启动（每 {app.config['SCHEDULER_TICK_SECONDS']} 秒检查一次）。")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        sys.exit(0)


@click.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, help="角色：office/reporter/scorer/leader/group/voter")
@click.option("--unit", "unit_name", default=None, help="绑定单位名称（填报员、评分员）")
@click.option("--rank", default=None, type=click.Choice(["principal", "deputy"]), help="校领导职别")
@click.option("--email", default=None, help="电子邮箱")
@click.option("--employee-no", default=None, help="工号（统一身份认证按工号对应账号）")
@with_appcontext
def create_user(username, display_name, password, roles, unit_name, rank, email, employee_no):
    """创建用户并分配角色，例如：kpi create-user admin --name 管理员 --role office"""
    from sqlmodel import Session, select

    from app.models import Unit
    from app.services import ServiceError, accounts

    with Session(db.writer) as session:
        unit_id = None
        if unit_name:
            unit = session.exec(select(Unit).where(Unit.name == unit_name)).first()
            if unit is None:
                raise click.ClickException(f"单位「{unit_name}」不存在。")
            unit_id = unit.id
        try:
            accounts.create_user(session, actor_id=None, username=username, display_name=display_name,
                                 password=password, unit_id=unit_id, must_change_password=False,
                                 email=email, employee_no=employee_no,
                                 roles=[{"role": r, "unit_id": unit_id, "leader_rank": rank} for r in roles])
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        session.commit()
    click.echo(f"已创建用户 {username}。")


commands = [db_upgrade, seed_demo, seed_university, scheduler, create_user]
