"""``flask --app wsgi kpi simulate``: a complete cycle for the demo organisation with random but
valid inputs, written THROUGH THE SAME SERVICES the web uses, run to publication.

Steps (each through its workflow's service, as the person who does it on the web):
self-reports (units' reporters: facts and summary, submitted) → target scoring (each indicator's
owner: confirms the facts, gives the judged points with reasons) → democratic rating (codes issued
to the rater groups, ballots cast and checked against the scheme's rules) → leader evaluation
(every leader's sheet, finished) → excellence applications (units apply, the leadership group
decides) and vetoes (the office records one) → contribution awards (units apply, the office
pre-checks, the group votes) → stages 1–5 closed by the office (recorded overrides) → results
computed, fixed (定稿) and published (公示). Prints the result summary.

No table is written directly.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session, select

from app.extensions import db as database
from app.extensions import write_bind
from app.models import Cycle, RoleMembership, Stage, User
from app.models.base import utcnow
from app.services import awards, eligibility, leader_eval, reports, results, results_read, scoring, voting


def _user(s: Session, username: str) -> User | None:
    return s.exec(select(User).where(User.username == username)).first()


def _users_with(s: Session, role: str) -> list[tuple[User, RoleMembership]]:
    return list(s.exec(select(User, RoleMembership).join(RoleMembership, RoleMembership.user_id == User.id)
                       .where(RoleMembership.role == role, User.active == True)))  # noqa: E712


def _value(field, rng: random.Random, cycle: Cycle, points: Decimal):
    """A random value for one rule field (facts and judgments)."""
    kind = field.kind
    if kind == "bool":
        return rng.random() < 0.8
    if kind == "level":
        choices = list(field.choices or [])
        return rng.choice(choices[: max(1, len(choices))]) if choices else ""
    if kind == "date":
        span = (cycle.period_end - cycle.period_start).days
        return (cycle.period_start + timedelta(days=rng.randint(0, span))).isoformat()
    if kind == "text":
        return "模拟数据：按计划完成" if field.name != "reason" else ""
    lo = field.min if field.min is not None else Decimal(0)
    if field.name == "points":  # judged points: mostly near the maximum
        hi = points
        v = hi - (hi * Decimal(rng.choice([0, 0, 0, 5, 10, 20])) / 100)
        return str(max(lo, v.quantize(Decimal("0.5"))))
    # modest magnitudes (counts, amounts, headcounts); never 0 so that ratios have a denominator
    lo = max(lo, Decimal(1))
    hi = field.max if field.max is not None else lo + Decimal(rng.choice([2, 4, 8, 15]))
    if kind == "int":
        return str(rng.randint(int(lo), max(int(lo), int(hi))))
    return str((lo + (hi - lo) * Decimal(rng.random())).quantize(Decimal("0.01")))


def _stage_times(s: Session, cycle: Cycle) -> None:
    now = utcnow().replace(microsecond=0)
    for st in s.exec(select(Stage).where(Stage.cycle_id == cycle.id)):
        if st.kind == "publication":
            st.opens_at, st.closes_at = now - timedelta(minutes=5), now + timedelta(days=7)
        else:
            st.opens_at, st.closes_at = now - timedelta(days=1), now + timedelta(days=3)
        s.add(st)


@click.command("simulate")
@click.option("--voters", default=60, show_default=True, help="测评人数（按测评人员类别平均分配测评码）。")
@click.option("--seed", default=None, type=int, help="随机数种子（相同种子得到相同的模拟数据）。")
@click.option("--cycle-name", default=None, help="模拟周期名称，默认“模拟周期-时间戳”。")
@with_appcontext
def simulate(voters: int, seed: int | None, cycle_name: str | None) -> None:
    """模拟一个完整考核周期（演示单位、随机有效数据），经由与网页相同的业务服务，直至结果公示。"""
    from app.services import ServiceError, org, stages
    from seeds.demo import load_demo, load_scheme

    rng = random.Random(seed)
    engine = database.engine_for(current_app.config["DATABASE_URL"])
    t0 = time.perf_counter()
    timings = {}

    def step(name):
        timings[name] = time.perf_counter()

    with Session(write_bind(engine), expire_on_commit=False) as s:
        click.echo(load_demo(s))
        scheme = load_scheme(s)
        if scheme is None:
            raise click.ClickException("缺少考核方案（seeds/scheme_lianyungang_2018.json）。")
        office = _user(s, "office")
        last = s.exec(select(Cycle).order_by(Cycle.period_start.desc())).first()
        start = date(last.period_start.year + 1, 9, 1) if last else date(2018, 9, 1)
        name = cycle_name or f"模拟周期-{utcnow().strftime('%Y%m%d%H%M%S')}"
        cycle = stages.create_cycle(s, actor_id=office.id, name=name, period_start=start,
                                    period_end=date(start.year + 1, 8, 31), scheme=scheme)
        _stage_times(s, cycle)
        s.commit()
        units = sorted(org.active_units(s), key=lambda u: u.position)
        reporters = {m.unit_id: u for u, m in _users_with(s, "reporter") if m.unit_id}
        click.echo(f"周期「{cycle.name}」（{cycle.period_start} 至 {cycle.period_end}），{len(units)} 个单位。")

        # 1 self-reports
        step("自查自评")
        n_rep = 0
        for unit in units:
            rep = reporters.get(unit.id)
            if rep is None:
                continue
            entries = {}
            for leaf in reports.leaves_for_unit(cycle, unit):
                facts = {f.name: _value(f, rng, cycle, leaf.points) for f in leaf.fact_fields}
                entries[leaf.code] = {"facts": facts, "narrative": "模拟：完成情况见佐证材料。", "version": 0}
            try:
                reports.save_draft(s, actor_id=rep.id, allowed_units={unit.id}, cycle=cycle, unit=unit,
                                   texts={"summary": f"{unit.name}{cycle.name}自查自评报告（模拟）。"},
                                   report_version=0, entries=entries)
                report = reports.find_report(s, cycle.id, unit.id)
                reports.submit(s, actor_id=rep.id, allowed_units={unit.id}, cycle=cycle, unit=unit,
                               expected_version=report.version)
                s.commit()
                n_rep += 1
            except ServiceError as exc:
                s.rollback()
                click.echo(f"  自查报告未提交：{unit.name}：{exc.message}")
        click.echo(f"自查报告：{n_rep} 个单位已提交。")

        # 2 target scoring, by each indicator's owner
        step("目标考核评分")
        scorers = {}
        for u, m in _users_with(s, "scorer"):
            scorers.setdefault(str(m.unit_id), u)
        ctx = scoring.CycleScoring(s, cycle)
        saved = refused = 0
        for leaf in ctx.leaves:
            key = scoring.owner_key_of(s, cycle, leaf.code)
            actor = scorers.get(key) if key != scoring.OFFICE_KEY else office
            actor = actor or office
            for unit in ctx.population.get(leaf.code, []):
                values = dict(ctx.reported_facts(unit.id, leaf.code))
                for f in leaf.fact_fields:
                    values.setdefault(f.name, _value(f, rng, cycle, leaf.points))
                judgment = {f.name: _value(f, rng, cycle, leaf.points) for f in leaf.judgment_fields}
                values.update(judgment)
                if any(f.name == "reason" for f in leaf.judgment_fields):
                    values["reason"] = "模拟：部分工作未达预期"
                cell = scoring.CellInput(unit_id=unit.id, code=leaf.code, values=values, reasons={}, version=0)
                try:
                    scoring.save_cell(s, actor_id=actor.id, owner_keys={key}, cycle=cycle, cell=cell, ctx=ctx)
                    saved += 1
                except ServiceError:
                    # a random value the rule refuses (e.g. off its step): give the full mark instead
                    s.rollback()
                    ctx = scoring.CycleScoring(s, cycle)
                    for f in leaf.judgment_fields:
                        if f.name == "points":
                            values["points"] = str(leaf.points)
                        elif f.kind in ("int", "decimal"):
                            values[f.name] = "0"
                    try:
                        scoring.save_cell(s, actor_id=actor.id, owner_keys={key}, cycle=cycle,
                                          cell=scoring.CellInput(unit_id=unit.id, code=leaf.code, values=values,
                                                                 reasons={}, version=0), ctx=ctx)
                        saved += 1
                    except ServiceError as exc:
                        s.rollback()
                        ctx = scoring.CycleScoring(s, cycle)
                        refused += 1
                        if refused <= 5:
                            click.echo(f"  评分未保存：{unit.name} {leaf.code}：{exc.message}")
            s.commit()
        click.echo(f"目标考核评分：{saved} 项已保存" + (f"，{refused} 项未能生成有效数据" if refused else "") + "。")

        # 3 democratic rating
        step("民主测评")
        groups = voting.groups_of(s, cycle.id) or voting.create_default_groups(s, actor_id=office.id, cycle=cycle)
        s.commit()
        per_group = max(1, voters // max(1, len(groups)))
        codes = []
        for g in groups:
            batch, _n = voting.issue_codes(s, actor_id=office.id, cycle=cycle, group_id=g.id, count=per_group,
                                           batch=f"模拟-{g.key}")
            codes += [e.code for e in voting.codes_of_batch(s, cycle.id, batch)]
        s.commit()
        voting.forget_context(cycle.id)
        bctx = voting.ballot_context(engine, cycle.id, fresh=True)
        cast = 0
        levels = bctx.policy.level_names
        for code in codes:
            voter = voting.voter_by_code(engine, code)
            form = {}
            for _cat, rows in bctx.units_for(voter.unit_id).items():
                limit = bctx.policy.excellent_limit(len(rows))
                n_exc = 0
                for row in rows:
                    lv = rng.choices(range(len(levels)), weights=[5, 4, 1][: len(levels)] + [1] * (len(levels) - 3))[0]
                    if lv == 0 and limit is not None and n_exc >= limit:
                        lv = 1
                    n_exc += lv == 0
                    form[f"u{row.id}"] = str(lv)
            choices, errors = voting.check_choices(bctx, voter.unit_id, form)
            if errors:
                click.echo(f"  测评票无效（不应发生）：{errors[0]}")
                continue
            voting.cast_ballot(engine, cycle_id=cycle.id, roll_id=voter.roll_id, group_key=voter.group_key,
                               choices=choices, ctx=bctx)
            cast += 1
        click.echo(f"民主测评：{len(groups)} 类测评人员，发放测评码 {len(codes)} 个，投票 {cast} 张。")

        # 4 leader evaluation
        step("领导班子评价")
        n_leaders = 0
        for user, rank in leader_eval.leaders(s):
            entries = [leader_eval.Entry(unit_id=u.id, score=str(rng.randint(70, 98)))
                       for u in org.active_units(s)]
            leader_eval.save_ratings(s, actor_id=user.id, rank=rank, cycle=cycle, entries=entries,
                                     expected_version=0, finish=True)
            s.commit()
            n_leaders += 1
        click.echo(f"领导班子评价：{n_leaders} 位校领导已完成评分。")

        # 5 excellence applications, vetoes, contribution awards
        step("优秀申报与突出贡献奖")
        group_users = [u for u, _m in _users_with(s, "group")]
        decider = group_users[0] if group_users else office
        n_app = n_acc = 0
        for unit in units:
            rep = reporters.get(unit.id)
            if rep is None or rng.random() > 0.6:
                continue
            app_ = eligibility.submit_application(s, actor_id=rep.id, actor_units={unit.id}, cycle=cycle,
                                                  unit_id=unit.id, condition=rng.choice(["innovation", "breakthrough"]),
                                                  title=f"{unit.name}年度创新工作（模拟）",
                                                  description="模拟：工作内容及成效。", links=[])
            accept = rng.random() < 0.8
            eligibility.decide_application(s, actor_id=decider.id,
                                           actor_roles={"group"} if group_users else {"office"},
                                           application=app_, accept=accept,
                                           reason="模拟：材料翔实，予以认定" if accept else "模拟：成效不够突出")
            n_app += 1
            n_acc += accept
        veto_unit = rng.choice(units)
        cond_key, _text = eligibility.veto_conditions(cycle)[0]
        eligibility.record_veto(s, actor_id=office.id, cycle=cycle, unit_id=veto_unit.id, condition=cond_key,
                                other_text="", reason="模拟：经核实存在该情形", links=[])
        n_awards = 0
        for unit in rng.sample(units, k=min(3, len(units))):
            rep = reporters.get(unit.id)
            if rep is None:
                continue
            a = awards.apply(s, actor_id=rep.id, actor_units={unit.id}, cycle=cycle, unit_id=unit.id,
                             title=f"{unit.name}获省级荣誉（模拟）", level=rng.choice(["国家级", "省级"]),
                             achieved_on=cycle.period_start + timedelta(days=rng.randint(30, 300)),
                             issuer="江苏省教育厅（模拟）")
            awards.precheck(s, actor_id=office.id, application=a, accept=True, reason="模拟：材料齐全",
                            expected_version=a.version)
            for member in awards.group_members(s):
                awards.vote(s, actor_id=member.id, application=a, approve=rng.random() < 0.75)
            n_awards += 1
        s.commit()
        click.echo(
            f"优秀申报 {n_app} 个（认定 {n_acc} 个）；否决情形 1 个（{veto_unit.name}）；"
            f"突出贡献奖申报 {n_awards} 个。"
        )

        # 6 the office closes stages 1-5 (recorded overrides), so awards are decided and entries locked
        step("结束各阶段")
        for st in s.exec(select(Stage).where(Stage.cycle_id == cycle.id)):
            if st.kind not in ("deliberation", "publication"):
                stages.override_stage(s, actor_id=office.id, stage=st, action="close", reason="模拟：本阶段工作完成")
        s.commit()

        # 7 results: compute, fix, publish
        step("结果计算、定稿、公示")
        results.refresh(s, cycle=cycle, actor_id=office.id)
        rs = results.fix(s, actor_id=office.id, cycle=cycle, accept_provisional_reason="模拟周期：部分数据按规则暂定")
        results.publish(s, actor_id=office.id, cycle=cycle)
        s.commit()
        step("end")

        click.echo("")
        click.echo(f"==== {cycle.name} 考核结果（{rs.status_label if rs.status != 'fixed' else '公示中'}）====")
        for t in results_read.category_tables(s, rs):
            click.echo(f"-- {t['name']}（优秀名额 {t['quota']}）")
            click.echo("名次  单位                     民主测评  目标考核  领导评价     总分  等次")
            for r in t["rows"]:
                mark = "  连续末位" if "last_place_consecutive" in (r.flags or []) else ""
                click.echo(f"{r.rank:>3}  {r.unit_name:<20}{r.democratic:>9}{r.target:>9}{r.leader:>9}"
                           f"{r.total:>9}  {r.grade}{mark}")
        for w in rs.data.get("warnings") or []:
            click.echo(f"提示：{w}")
        awarded = [a for a in rs.data.get("awards") or [] if a.get("decided") == "awarded"]
        click.echo(f"突出贡献奖：{'、'.join(a['unit_name'] for a in awarded) or '无'}")
        names = list(timings)
        parts = [f"{n} {timings[names[i + 1]] - timings[n]:.2f}s" for i, n in enumerate(names[:-1])]
        click.echo("用时：" + "；".join(parts) + f"；合计 {time.perf_counter() - t0:.2f}s")
        click.echo(f"公示页面：/cycles/{cycle.id}/results/public  JSON：/api/cycles/{cycle.id}/results.json")


commands = [simulate]
