"""``flask --app wsgi kpi scheme ...``: schemes in Excel from the command line.

* ``kpi scheme export [--code CODE] [--version N] OUT.xlsx`` — a saved version (default: the
  newest version of the newest scheme) as the office's workbook; ``--json FILE`` exports a
  scheme file instead of the database;
* ``kpi scheme import IN.xlsx [--dry-run]`` — save the workbook (or a ``kpi-scheme/1`` .json)
  as a new version; errors name sheet, row and column and the exit status is 1;
* ``kpi scheme validate FILE.json|FILE.xlsx`` — check only, nothing is saved;
* ``kpi scheme seed`` — put the seed scheme (seeds/scheme_lianyungang_2018.json) in the database;
* ``kpi scheme list`` — the saved schemes and versions.
"""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.extensions import db


@click.group("scheme", help="考核方案：导出为 Excel、从 Excel 导入新版本、检查方案文件。")
def scheme():
    pass


def _session():
    from sqlmodel import Session

    return Session(db.writer)


def _fail(errors, title: str) -> None:
    click.echo(f"{title}（{len(errors)} 处）：", err=True)
    for e in errors:
        click.echo(f"  - {e}", err=True)
    raise SystemExit(1)


def _read_any(path: str):
    """(data | None, errors) from a .json scheme or an .xlsx workbook."""
    from app.sheets.scheme import import_scheme, validate_safely

    p = Path(path)
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return None, [f"无法读取 JSON 文件「{path}」：{exc}"]
        errors = validate_safely(data)
        return (None, [str(e) for e in errors]) if errors else (data, [])
    try:
        content = p.read_bytes()
    except OSError as exc:
        return None, [f"无法打开文件「{path}」：{exc.strerror or exc}"]
    data, problems = import_scheme(content)
    return data, [str(x) for x in problems]


def _count(data) -> int:
    n = 0
    stack = [i for c in data["categories"] for m in c["components"] for i in m.get("indicators") or []]
    while stack:
        x = stack.pop()
        n += 1
        stack.extend(x.get("children") or [])
    return n


@scheme.command("export")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--code", default=None, help="方案标识（默认：最近保存的方案）")
@click.option("--version", "version", type=int, default=None, help="版本号（默认：最新版本）")
@click.option("--json", "json_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="改为导出这个 kpi-scheme/1 JSON 文件（不读数据库）")
@with_appcontext
def export_cmd(out, code, version, json_file):
    """把考核方案导出为可在 Excel 中修改的工作簿。"""
    from sqlmodel import select

    from app.models import Scheme
    from app.sheets.scheme import export_scheme

    if json_file:
        data, errors = _read_any(json_file)
        if data is None:
            _fail(errors, "方案文件有误，未导出")
        label = f"{data['name']} 第 {data['version']} 版"
    else:
        with _session() as s:
            q = select(Scheme)
            if code:
                q = q.where(Scheme.code == code)
            elif version is None:
                newest = s.exec(select(Scheme).order_by(Scheme.created_at.desc(), Scheme.id.desc())).first()
                q = q.where(Scheme.code == (newest.code if newest else ""))
            if version is not None:
                q = q.where(Scheme.version == version)
            found = s.exec(q.order_by(Scheme.version.desc(), Scheme.created_at.desc())).first()
            if found is None:
                want = f"「{code}」" if code else ""
                raise click.ClickException(
                    f"数据库中没有方案{want}{f'第 {version} 版' if version else ''}。"
                    "可先运行 kpi scheme seed 或 kpi scheme list 查看。"
                )
            data, label = found.data, f"{found.name}（{found.code}）第 {found.version} 版"
    Path(out).write_bytes(export_scheme(data))
    click.echo(f"已导出 {label} → {out}")


@scheme.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只检查，不保存")
@with_appcontext
def import_cmd(path, dry_run):
    """把修改后的工作簿（或 JSON）另存为该方案的新版本。"""
    from app.services import ServiceError, schemes

    data, errors = _read_any(path)
    if data is None:
        _fail(errors, "文件有误，未保存")
    if dry_run:
        click.echo(f"检查通过：{data['name']}（{data['key']}），{_count(data)} 个指标节点。未保存（--dry-run）。")
        with _session() as s:
            latest = schemes.latest_version(s, data["key"].strip())
            if latest is not None:
                changes = schemes.scheme_changes(latest.data, {**data, "version": latest.version})
                click.echo(f"与数据库中第 {latest.version} 版相比改动 {len(changes)} 处：")
                for c in changes:
                    click.echo(f"  - {c}")
        return
    with _session() as s:
        try:
            saved = schemes.save_scheme_version(s, actor_id=None, data=data, source=f"命令行 {Path(path).name}")
        except schemes.SchemeRefused as exc:
            s.rollback()
            _fail(exc.errors, "方案有误，未保存")
        except ServiceError as exc:
            s.rollback()
            raise click.ClickException(exc.message) from exc
        prev = schemes.previous_version(s, saved)
        changes = schemes.scheme_changes(prev.data, saved.data) if prev is not None else []
        s.commit()
        click.echo(f"已保存为方案「{saved.code}」第 {saved.version} 版（{saved.name}）"
                   + (f"，与第 {prev.version} 版相比改动 {len(changes)} 处。" if prev is not None else "。"))
        for c in changes:
            click.echo(f"  - {c}")


@scheme.command("validate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def validate_cmd(path):
    """检查方案文件（.json 或 .xlsx），不保存。"""
    data, errors = _read_any(path)
    if data is None:
        _fail(errors, "方案有误")
    click.echo(f"方案有效：{data['name']}（{data['key']} 第 {data['version']} 版），{_count(data)} 个指标节点。")


@scheme.command("seed")
@with_appcontext
def seed_cmd():
    """把种子方案（连云港职业技术学院 2018）存入数据库（已存在则不变）。"""
    from app.services import schemes

    with _session() as s:
        saved = schemes.seed_scheme(s)
        s.commit()
        click.echo(f"方案「{saved.code}」第 {saved.version} 版已在数据库中（{saved.name}）。")


@scheme.command("list")
@with_appcontext
def list_cmd():
    """列出数据库中的方案及其版本。"""
    from app.services import schemes

    with _session() as s:
        groups = schemes.scheme_versions(s)
        if not groups:
            click.echo("数据库中还没有考核方案。")
        for code, versions in groups:
            click.echo(f"{code}：{versions[0].name}")
            for v in versions:
                click.echo(f"  第 {v.version} 版  id={v.id}  {v.created_at:%Y-%m-%d %H:%M} UTC")


commands = [scheme]
