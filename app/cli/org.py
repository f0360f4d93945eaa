"""``flask --app wsgi kpi org ...``: the organisation workbook from the command line.

* ``kpi org export OUT.xlsx`` — the active units and people as the office's workbook;
* ``kpi org import IN.xlsx [--dry-run] [--slips SLIPS.html]`` — the same preview as the office's
  page (what would be created, changed, deactivated), then the import; errors name sheet, row
  and column and the exit status is 1. New accounts get random initial passwords, written only
  to the printable slips file (``--slips``, required when accounts are created).
"""

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db


@click.group("org", help="组织机构：从 Excel 导入单位与人员、导出为 Excel。")
def org():
    pass


def _session():
    from sqlmodel import Session

    return Session(db.writer)


@org.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@with_appcontext
def export_cmd(out):
    """把现有（在用的）单位与人员导出为组织机构工作簿。"""
    from app.services import org_import
    from app.sheets.org import org_workbook

    with _session() as s:
        units, people = org_import.export_rows(s)
    Path(out).write_bytes(org_workbook(units, people).getvalue())
    click.echo(f"已导出 {len(units)} 个单位、{len(people)} 人到 {out}。")


def _print_plan(plan) -> None:
    from app.services.org_import import ACTION_LABELS

    sections = (("单位", plan.units, plan.unchanged_units), ("人员", plan.people, plan.unchanged_people))
    for title, items, unchanged in sections:
        counts = "，".join(f"{label} {plan.count('units' if title == '单位' else 'people', a)}"
                          for a, label in ACTION_LABELS.items())
        click.echo(f"{title}：{counts}，不变 {unchanged}")
        for c in items:
            where = f"（第 {c.row} 行）" if c.row else ""
            details = "：" + "；".join(c.details) if c.details else ""
            click.echo(f"  {ACTION_LABELS[c.action]} {c.label}{where}{details}")
    if plan.kept:
        click.echo("不在工作簿中、保持不变的目标办账号：" + "、".join(plan.kept))


def write_slips(path: str, items, *, title: str) -> None:
    """The printable slips page (the office's template) as a file readable only by its owner."""
    from app.web.office.orgimport import slips_response

    base = current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000/"
    with current_app.test_request_context("/", base_url=base):
        html = slips_response(items, title=title).get_data()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(html)


@org.command("import")
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只检查并列出将要做的变化，不保存。")
@click.option("--slips", type=click.Path(dir_okay=False), default=None,
              help="新账号初始密码条（可打印的 HTML 文件）的保存位置；有新账号时必填。")
@with_appcontext
def import_cmd(src, dry_run, slips):
    """从组织机构工作簿导入单位与人员：工作簿中没有的单位和人员被停用（不删除）。"""
    from app.services import ServiceError, org_import

    data = Path(src).read_bytes()
    with _session() as s:
        plan = org_import.preview(s, data=data, actor_id=None)
        if not plan.ok:
            click.echo(f"工作簿有错误，未保存（{len(plan.problems)} 处）：", err=True)
            for p in plan.problems:
                click.echo(f"  - {p}", err=True)
            raise SystemExit(1)
        _print_plan(plan)
        if dry_run or not plan.has_changes:
            click.echo("（试运行，未保存。）" if dry_run else "没有需要保存的变化。")
            return
        if plan.new_accounts and not slips:
            raise click.ClickException(
                f"将新建 {plan.new_accounts} 个账号：请用 --slips 指定初始密码条文件的保存位置。"
            )
        try:
            outcome = org_import.apply_import(s, actor_id=None, data=data, expected_fingerprint=plan.fingerprint,
                                              filename=os.path.basename(src))
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        if outcome.accounts:
            write_slips(slips, [(a.user, a.password, a.unit_name) for a in outcome.accounts], title="新账号初始密码")
        try:
            s.commit()
        except Exception:
            if outcome.accounts:
                os.remove(slips)  # the passwords on it were never saved
            raise
    click.echo("已导入。" + (f"{len(outcome.accounts)} 个新账号的初始密码条：{slips}（打印后请删除该文件）"
                          if outcome.accounts else ""))


commands = [org]
