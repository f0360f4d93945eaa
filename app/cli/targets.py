"""``flask --app wsgi kpi targets ...``: budget-performance target tables from the command line.

* ``targets import IN.xlsx --unit UNIT --year YEAR [--project P] [--dry-run] [--json]`` reads a
  workbook; without ``--dry-run`` it saves it as the unit's table for the year (a new revision
  when one exists, see ``app.services.targets``). With ``--json`` stdout gets one JSON object per
  line and per indicator (``ReadResult.to_json()``: position, levels, function, key_work, name,
  and for ``half_year`` / ``full_year`` the original ``text``, ``kind``, ``operator``,
  ``quantity``, ``unit`` or ``level``, plus weight, rule, sheet and row); the summary goes to
  stderr. Anything that cannot be read is printed on stderr naming the sheet, row and cell, the
  exit status is 1 and nothing is saved.
  A workbook of several projects (each sheet under its own 项目名称; with ``--projects`` every
  sheet, named by the sheet) is imported as one project table per sheet, all or nothing.
* ``targets export --unit UNIT --year YEAR OUT.xlsx`` writes the stored table in the source layout;
  ``--all-projects`` writes the unit's project tables of the year and their money instead.
* ``targets selfeval --unit UNIT --year YEAR OUT.xlsx`` writes the year-end 项目支出绩效自评表
  (read by ``kpi score-sheet``).
* ``targets score --unit UNIT --year YEAR [--json]`` prints the year-end score and grade.
* ``targets checkpoint YEAR half_year|full_year open|close`` opens or closes a checkpoint.

UNIT is the unit's name, short name or id.
"""

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlmodel import Session

from app.extensions import db
from app.services import ServiceError
from app.services import target_projects as psvc
from app.services import target_reports as ysvc
from app.services import targets as svc

YEAR = click.IntRange(2000, 2100)


@click.group("targets")
def targets():
    """预算绩效目标表：导入、导出、年终自评表与得分。"""


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _row_line(row) -> str:
    """One indicator of the dry run: its path (a 职能 that is also the 二级 cell once), 对应项目,
    name, half-year and full-year values."""
    parts: list[str] = []
    for x in (row.level1, row.level2, row.function, row.key_work):
        if x and x not in parts:
            parts.append(x)
    project = f"（对应项目：{row.related_project}）" if row.related_project else ""
    half = row.half_year.text if row.half_year else ""
    full = row.full_year.text if row.full_year else ""
    return f"{' / '.join(parts)} · {row.name}{project} | 半年 {half or '—'} | 全年 {full or '—'}"


def _table(session: Session, unit: str, year: int, project: str | None):
    u = svc.find_unit(session, unit)
    rec = svc.find_table(session, u.id, year, project)
    if rec is None:
        raise ServiceError(f"{u.name} {year} 年度{('项目「' + project + '」') if project else ''}没有绩效目标表。")
    return u, rec


@targets.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--unit", required=True, help="单位名称、简称或编号。")
@click.option("--year", required=True, type=YEAR, help="年度。")
@click.option("--project", default="", help="项目名称（项目目标表；不填为单位整体目标表）。")
@click.option("--dry-run", is_flag=True, help="只读取并显示识别结果，不保存。")
@click.option("--json", "as_json", is_flag=True, help="每个指标输出一行 JSON。")
@click.option("--projects", "force_projects", is_flag=True,
              help="每个工作表是一个项目（未写“项目名称”时以工作表名作为项目名称）。")
@with_appcontext
def import_cmd(path, unit, year, project, dry_run, as_json, force_projects):
    """导入绩效目标表工作簿（.xlsx）。"""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        _fail(f"无法读取文件「{path}」：{exc.strerror or exc}")
    with Session(db.writer) as session:
        try:
            u = svc.find_unit(session, unit)
            projects = None if project else psvc.preview_projects(session, data=data, unit=u, year=year,
                                                                  force=force_projects)
            if projects is not None:
                _import_projects(session, projects, u, year, data, Path(path).name, dry_run, force_projects)
                return
            preview = svc.preview_import(session, data=data, unit=u, year=year, project=project)
        except ServiceError as exc:
            _fail(exc.message)
        if not preview.ok:
            for message in preview.errors:
                click.echo(message, err=True)
            _fail(f"导入被拒绝（{len(preview.errors)} 处错误），未保存任何内容。")
        if as_json:
            for obj in preview.result.to_json():
                click.echo(json.dumps(obj, ensure_ascii=False))
        else:
            for label, value in preview.result.info.items():
                click.echo(f"表头上方 · {label}：{' '.join(value.split())}")
            notes = preview.result.row_warnings or [[] for _ in preview.result.rows]
            for row, loc, warns in zip(preview.result.rows, preview.result.locations, notes, strict=True):
                click.echo(f"{row.position:>3}. [{loc.sheet}!{loc.row}] {_row_line(row)}")
                for w in warns:
                    click.echo(f"     提示：{w}")
        out = click.echo if not as_json else (lambda m: click.echo(m, err=True))
        for w in preview.warnings:
            out(f"提示：{w}")
        if dry_run:
            out(f"试运行：识别 {len(preview.result.rows)} 个指标，未保存。")
            return
        try:
            rec = svc.import_table(session, actor_id=None, unit=u, year=year, data=data, filename=Path(path).name,
                                   project=project)
        except ServiceError as exc:
            session.rollback()
            _fail(exc.message)
        session.commit()
        out(f"已保存：{svc.label_of(rec, u)}（第 {rec.revision} 版，{len(preview.result.rows)} 个指标）。")


def _import_projects(session, projects, u, year, data, name, dry_run, force) -> None:
    if not projects.ok:
        for message in projects.all_errors:
            click.echo(message, err=True)
        _fail(f"导入被拒绝（{len(projects.all_errors)} 处错误），未保存任何内容。")
    for part in projects.parts:
        click.echo(f"项目「{part.project}」（工作表「{part.sheet}」）：{len(part.preview.table.rows)} 个指标")
        for w in part.preview.warnings:
            click.echo(f"  提示：{w}")
    if dry_run:
        click.echo(f"试运行：识别 {len(projects.parts)} 个项目，未保存。")
        return
    try:
        recs = psvc.import_projects(session, actor_id=None, unit=u, year=year, data=data, filename=name, force=force)
    except ServiceError as exc:
        session.rollback()
        _fail(exc.message)
    session.commit()
    click.echo(f"已保存 {len(recs)} 个项目：" + "、".join(f"{r.project}（第 {r.revision} 版）" for r in recs) + "。")


@targets.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--unit", required=True)
@click.option("--year", required=True, type=YEAR)
@click.option("--project", default="")
@click.option("--all-projects", is_flag=True, help="导出本单位该年度全部项目目标表及项目资金。")
@with_appcontext
def export_cmd(out, unit, year, project, all_projects):
    """按原表样式导出绩效目标表。"""
    with Session(db.writer) as session:
        try:
            if all_projects:
                u = svc.find_unit(session, unit)
                data = psvc.projects_workbook(session, u, year)
                label = f"{u.name} {year} 年度全部项目"
            else:
                u, rec = _table(session, unit, year, project)
                data = svc.export_workbook(rec)
                label = svc.label_of(rec, u)
        except ServiceError as exc:
            _fail(exc.message)
    _write(out, data)
    click.echo(f"已导出 {label} 到 {out}")


@targets.command("selfeval")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--unit", required=True)
@click.option("--year", required=True, type=YEAR)
@click.option("--project", default="")
@with_appcontext
def selfeval_cmd(out, unit, year, project):
    """导出年终《项目支出绩效自评表》（含全年实际值与得分）。"""
    with Session(db.writer) as session:
        try:
            u, rec = _table(session, unit, year, project)
        except ServiceError as exc:
            _fail(exc.message)
        data = ysvc.selfeval_workbook(session, rec)
    _write(out, data)
    click.echo(f"已导出 {svc.label_of(rec, u)} 的绩效自评表到 {out}")


@targets.command("score")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=YEAR)
@click.option("--project", default="")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def score_cmd(unit, year, project, as_json):
    """显示年终得分与等级（按全年实际值）。"""
    with Session(db.writer) as session:
        try:
            u, rec = _table(session, unit, year, project)
        except ServiceError as exc:
            _fail(exc.message)
        ye = ysvc.year_end_score(session, rec)
    if as_json:
        click.echo(json.dumps({
            "unit": u.name, "year": year, "project": rec.project, "total": str(ye.total), "grade": ye.grade,
            "complete": ye.score.complete,
            "execution": None if ye.execution is None else str(ye.execution.points),
            "rows": [{"position": r.position, "name": r.name, "weight": str(r.weight), "points": str(r.points),
                      "rule": r.rule, "rate": None if r.rate is None else str(r.rate), "flags": list(r.flags)}
                     for r in ye.score.rows],
        }, ensure_ascii=False))
        return
    click.echo(f"{svc.label_of(rec, u)}：总分 {ye.total}，等级 {ye.grade}")
    for r in ye.score.shortfalls:
        click.echo(f"  扣分：第 {r.position} 项 {r.name}  {r.points}/{r.weight}  {r.explanation}")


@targets.command("checkpoint")
@click.argument("year", type=YEAR)
@click.argument("kind", type=click.Choice(["half_year", "full_year"]))
@click.argument("action", type=click.Choice(["open", "close"]))
@with_appcontext
def checkpoint_cmd(year, kind, action):
    """发起（open）或截止（close）某年度的半年 / 全年实际值填报。"""
    with Session(db.writer) as session:
        svc.set_checkpoint(session, actor_id=None, year=year, kind=kind,
                           status="open" if action == "open" else "closed")
        session.commit()
    click.echo(f"{year} 年{'半年' if kind == 'half_year' else '全年'}填报已{'开放' if action == 'open' else '截止'}。")


def _write(out: str, data: bytes) -> None:
    try:
        Path(out).write_bytes(data)
    except OSError as exc:
        _fail(f"无法写入「{out}」：{exc.strerror or exc}")


commands = [targets]
