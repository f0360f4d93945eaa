"""``flask --app wsgi kpi score-sheet IN.xlsx --out OUT.xlsx [--json]``.

Scores a workbook of 项目支出绩效自评表 sheets (see ``app.sheets.selfeval``) and writes an
annotated copy. Needs no database.

With ``--json`` one JSON object per line goes to stdout, in sheet order; each project's
indicator lines come before its project line:

* indicator: ``{"sheet", "project", "indicator", "rate", "score", "flags", "rule", "cell"}``
* project: ``{"sheet", "project", "execution_score", "total", "grade", "flags"}``

Numbers are strings with exactly 2 decimals: ``score``, ``execution_score`` and ``total`` in
points ("9.46"), ``rate`` in percent ("97.86" means 97.86 %, null when it cannot be determined).
``flags`` is a list of Chinese messages (project ``flags`` cover the budget-execution line and the
total). Without ``--json`` a short summary is printed instead.

Sheets that cannot be read are reported on stderr (naming sheet and cell) and the others are
scored; the exit status is 0 then. It is 1 when the input file itself cannot be opened or the
output cannot be written.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import click

from app.rubric.selfeval import SATISFACTION_BELOW, SelfEvalConfig
from app.sheets.safety import UnsafeWorkbook
from app.sheets.selfeval import ProjectResult, WorkbookResult, score_file

CENT = Decimal("0.01")


def _two(d: Decimal | None) -> str | None:
    return None if d is None else str(Decimal(d).quantize(CENT, rounding=ROUND_HALF_UP))


def json_lines(result: WorkbookResult) -> list[dict]:
    """The JSON records described in the module docstring."""
    lines: list[dict] = []
    for p in result.projects:
        for ind in p.indicators:
            lines.append({
                "sheet": p.sheet,
                "project": p.project,
                "indicator": ind.name,
                "rate": _two(ind.rate * 100) if ind.rate is not None else None,
                "score": _two(ind.score.points),
                "flags": list(ind.flags),
                "rule": ind.rule,
                "cell": ind.score_cell,
            })
        lines.append(_project_line(p))
    return lines


def _project_line(p: ProjectResult) -> dict:
    return {
        "sheet": p.sheet,
        "project": p.project,
        "execution_score": _two(p.execution_score),
        "total": _two(p.total),
        "grade": p.grade,
        "flags": [*p.execution_flags, *p.total_flags],
    }


@click.command("score-sheet")
@click.argument("in_path", metavar="IN.xlsx", type=click.Path(dir_okay=False))
@click.option("--out", "out_path", metavar="OUT.xlsx", type=click.Path(dir_okay=False),
              help="写出带得分和批注的工作簿副本。")
@click.option("--json", "as_json", is_flag=True, help="每行输出一个 JSON 对象（指标行与项目行）。")
@click.option("--satisfaction-below", type=click.Choice(SATISFACTION_BELOW), default="proportional",
              show_default=True, help="满意度未达到目标值时的赋分方式。")
def score_sheet(in_path: str, out_path: str | None, as_json: bool, satisfaction_below: str) -> None:
    """为项目支出绩效自评表计算完成率、指标得分、预算执行得分和总分。"""
    config = SelfEvalConfig(satisfaction_below=satisfaction_below)
    try:
        result = score_file(in_path, out_path, config=config)
    except UnsafeWorkbook as exc:
        click.echo(f"无法打开「{in_path}」：{exc}", err=True)
        raise SystemExit(1) from exc
    except OSError as exc:
        click.echo(f"无法写出「{out_path}」：{exc.strerror or exc}", err=True)
        raise SystemExit(1) from exc

    for err in result.errors:
        click.echo(str(err), err=True)
    if as_json:
        for line in json_lines(result):
            click.echo(json.dumps(line, ensure_ascii=False))
    else:
        for p in result.projects:
            flagged = sum(1 for i in p.indicators if i.flags) + (1 if p.execution_flags else 0)
            click.echo(f"{p.sheet}\t{p.project}\t预算执行 {_two(p.execution_score)}\t总分 {_two(p.total)}\t"
                       f"{p.grade}\t提示 {flagged} 条")
        click.echo(f"已评分 {len(result.projects)} 张表，{len({e.sheet for e in result.errors})} 张表无法读取"
                   + (f"；结果已写入 {out_path}" if out_path else ""))


commands = [score_sheet]
