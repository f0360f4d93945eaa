"""``flask --app wsgi kpi score-sheet IN.xlsx --out OUT.xlsx [--json]``.

Scores a workbook of 项目支出绩效自评表 sheets (see ``app.sheets.selfeval``) and writes an
annotated copy. Needs no database.

With ``--json`` one JSON object per line goes to stdout, in sheet order; each project's
indicator lines come before its project line:

* indicator: ``{"sheet", "project", "indicator", "rate", "score", "flags", "rule", "cell"}``
* project: ``{"sheet", "project", "execution_score", "total", "grade", "flags", "provisional", "conventions"}``

Numbers are strings with exactly 2 decimals: ``score``, ``execution_score`` and ``total`` in
points ("9.46"), ``rate`` in percent ("97.86" means 97.86 %, null when it cannot be determined).
``flags`` is a list of Chinese messages (project ``flags`` cover the budget-execution line and the
total). An indicator that cannot be scored has ``"score": null`` and says why in its flags; a
sheet without a budget block has ``"execution_score": null``; then the project's ``provisional``
lists the reasons (empty when the total is final). ``conventions`` are the readings used (see the
options). Without ``--json`` a short summary is printed instead.

A sheet is refused only when nothing in it can be used (no header row, no indicator rows); each
cell that cannot be read is reported on stderr (naming sheet and cell) and its row is scored from
a typed rate or left unscored. The exit status is 0 then. It is 1 when the input file itself
cannot be opened or the output cannot be written.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import click

from app.rubric.selfeval import SATISFACTION_BELOW, SATISFACTION_LINE, RuleError, SelfEvalConfig
from app.rubric.values import CEILING_MONEY
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
                "score": _two(ind.score.points) if ind.score is not None else None,
                "flags": list(ind.flags),
                "rule": ind.rule,
                "cell": ind.score_cell,
            })
        lines.append(_project_line(p, result.conventions))
    return lines


def _project_line(p: ProjectResult, conventions: list[str] | None = None) -> dict:
    return {
        "sheet": p.sheet,
        "project": p.project,
        "execution_score": _two(p.execution_score),
        "total": _two(p.total),
        "grade": p.grade,
        "flags": [*p.execution_flags, *p.total_flags],
        "provisional": list(p.provisional),
        "conventions": conventions or [],
    }


@click.command("score-sheet")
@click.argument("in_path", metavar="IN.xlsx", type=click.Path(dir_okay=False))
@click.option("--out", "out_path", metavar="OUT.xlsx", type=click.Path(dir_okay=False),
              help="写出带得分和批注的工作簿副本。")
@click.option("--json", "as_json", is_flag=True, help="每行输出一个 JSON 对象（指标行与项目行）。")
@click.option("--satisfaction-below", type=click.Choice(SATISFACTION_BELOW), default="proportional",
              show_default=True, help="满意度未达到目标值时的赋分方式。")
@click.option("--satisfaction-line", default=str(SATISFACTION_LINE * 100), show_default=True,
              help="满意度目标为100%时，实际达到该百分数即视为达到（off：只有100%才算达到）。")
@click.option("--ceiling-money", type=click.Choice(CEILING_MONEY), default="reason", show_default=True,
              help="限额内少花的资金：reason 未写偏差原因视为完成、写了按实际÷目标；"
                   "ratio 一律实际÷目标；met 一律视为完成。")
@click.option("--bare-wan", type=click.Choice(("money", "count")), default="money", show_default=True,
              help="限额目标中单写的「万」按金额还是按数量理解。")
def score_sheet(in_path: str, out_path: str | None, as_json: bool, satisfaction_below: str, satisfaction_line: str,
                ceiling_money: str, bare_wan: str) -> None:
    """为项目支出绩效自评表计算完成率、指标得分、预算执行得分和总分。"""
    try:
        line = None if satisfaction_line.strip().lower() in ("off", "none", "") else \
            Decimal(satisfaction_line.strip().rstrip("%")) / 100
        config = SelfEvalConfig(satisfaction_below=satisfaction_below, satisfaction_line=line,
                                ceiling_money=ceiling_money, bare_wan_money=bare_wan == "money")
    except (ArithmeticError, RuleError) as exc:
        raise click.BadParameter(f"满意度达标线「{satisfaction_line}」应为 0 到 100 之间的百分数或 off：{exc}") from exc
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
    for notice in result.notices:
        click.echo(f"提示：{notice}", err=True)
    if as_json:
        for line in json_lines(result):
            click.echo(json.dumps(line, ensure_ascii=False))
    else:
        for p in result.projects:
            flagged = sum(1 for i in p.indicators if i.flags) + (1 if p.execution_flags else 0)
            unscored = sum(1 for i in p.indicators if i.score is None)
            click.echo(f"{p.sheet}\t{p.project}\t预算执行 {_two(p.execution_score) or '空缺'}\t"
                       f"总分 {_two(p.total)}{'（暂定）' if p.provisional else ''}\t{p.grade}\t提示 {flagged} 条"
                       + (f"\t未评分 {unscored} 行" if unscored else ""))
        if result.projects:
            click.echo("核算口径：" + "；".join(result.conventions))
        click.echo(f"已评分 {len(result.projects)} 张表，{len({e.sheet for e in result.errors})} 张表无法读取"
                   + (f"；结果已写入 {out_path}" if out_path else ""))


commands = [score_sheet]
