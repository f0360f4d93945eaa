"""方案测算 (what-if): the simulated demo cycle recomputed under a draft with other weights,
checked against an independent recomputation written here from the raw stored inputs (ballot
counts, leader ratings, the published target scores), not through the results service."""

import copy
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.models import AuditEntry, Cycle, Scheme
from app.models.result import ResultRow, ResultSet
from app.services import ServiceError, StaleData, leader_eval, results, voting, whatif
from tests.builders import factories as f


def _q2(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def published(app, session):
    out = app.test_cli_runner().invoke(args=["kpi", "simulate", "--voters", "12", "--seed", "5",
                                             "--cycle-name", "测算周期"])
    assert out.exit_code == 0, out.output
    cycle = session.exec(select(Cycle).where(Cycle.name == "测算周期")).one()
    office = f.user(session, "whatif_office", roles=("office",))
    session.commit()
    return cycle, office


def _dump(session) -> str:
    """Every stored result row and result set, as text (the byte-identity check)."""
    rows = []
    for table in ("result_set", "result_row", "result_override", "cycle"):
        for r in session.execute(text(f"SELECT * FROM {table} ORDER BY id")):
            rows.append(f"{table}:{tuple(r)!r}")
    return "\n".join(rows)


def _draft(session, cycle, office, change) -> Scheme:
    base = session.get(Scheme, cycle.scheme_id)
    data = copy.deepcopy(base.data)
    change(data)
    return whatif.schemes.save_scheme_version(session, actor_id=office.id, data=data, source="测试草案")


def _reweight(data):
    """民主测评 +10 (院部 20 → 30, 部门 70 → 80), 领导班子评价 30 → 20 (正职 15 + 副职 5);
    院部优秀名额 2 → 3."""
    for cat in data["categories"]:
        for m in cat["components"]:
            if m["kind"] == "democratic":
                m["points"] += 10
            if m["kind"] == "leader":
                m["parts"] = {"principal": 15, "deputy": 5}
                m["points"] = 20
    data["grading"]["quotas"]["college"] = 3


def _independent(session, cycle, rs, data):
    """Totals, ranks and grades of the draft ``data`` from the raw inputs, by hand."""
    levels = {x["name"]: Decimal(str(x["value"])) for x in data["ballot"]["levels"]}
    counts = voting.ballot_counts(session, cycle)
    ratings = leader_eval.leader_ratings(session, cycle)
    gi = rs.data["grading_inputs"]
    out = {}
    stored = list(session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)))
    for r in stored:
        cat = next(c for c in data["categories"] if c["key"] == r.category)
        comp = {m["kind"]: m for m in cat["components"]}
        n = s = Decimal(0)
        for groups in (counts.get(r.unit_id) or {}).values():
            for level, k in groups.items():
                n += k
                s += k * levels[level]
        dem = _q2(s / n / 100 * Decimal(str(comp["democratic"]["points"]))) if n else Decimal(0)
        lead = Decimal(0)
        for part, pts in comp["leader"]["parts"].items():
            vals = [Decimal(str(v)) for v in (ratings.get(r.unit_id) or {}).get(part) or []]
            if vals:
                lead += _q2(sum(vals) / len(vals) / 100 * Decimal(str(pts)))
        out[r.unit_id] = {"name": r.unit_name, "cat": r.category, "dem": dem, "lead": lead, "target": r.target,
                          "total": dem + lead + r.target}
    for cat in data["categories"]:
        mine = sorted((u for u in out.values() if u["cat"] == cat["key"]),
                      key=lambda u: (-u["total"], -u["target"], -u["lead"], -u["dem"]))
        for i, u in enumerate(mine, start=1):
            u["rank"] = i
        quota = data["grading"]["quotas"][cat["key"]]
        left = quota
        for u in mine:
            uid = next(k for k, v in out.items() if v is u)
            ok = gi["applications"].get(str(uid)) and not gi["vetoes"].get(str(uid))
            u["grade"] = "优秀" if ok and left > 0 else "合格"
            if u["grade"] == "优秀":
                left -= 1
    return out


def test_reweighted_demo_cycle_matches_an_independent_recomputation(published, session):
    cycle, office = published
    rs = results.get_set(session, cycle.id)
    draft = _draft(session, cycle, office, _reweight)
    session.commit()
    before = _dump(session)
    wi = whatif.run(session, actor_id=office.id, cycle=cycle, draft=draft)
    session.commit()
    assert _dump(session) == before  # nothing published (nor the cycle) changed
    expect = _independent(session, cycle, rs, draft.data)
    assert len(wi.rows) == 25 and not wi.missing
    totals = {k for k in (round(v["total"], 2) for v in expect.values())}
    assert len(totals) == 25  # no ties: ranks and grades are unambiguous
    for row in wi.rows:
        e = expect[row.unit_id]
        assert row.whatif_total == e["total"], row.unit_name
        assert row.whatif_rank == e["rank"], row.unit_name
        assert row.whatif_grade == e["grade"], row.unit_name
        parts = {p.key: p for p in row.parts}
        dem_old = 20 if row.category == "college" else 70
        assert parts["democratic"].whatif == e["dem"] and parts["democratic"].whatif_max == dem_old + 10
        assert parts["leader"].whatif == e["lead"]
        pub = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id,
                                                   ResultRow.unit_id == row.unit_id)).one()
        assert (row.published_total, row.published_rank, row.published_grade) == (pub.total, pub.rank, pub.grade)
        assert f"民主测评权重由{dem_old}改为{dem_old + 10}" in row.reason
    changed = [r for r in wi.rows if r.grade_changed]
    assert changed, "the third 优秀 place of 院部 must change some grade"
    assert wi.rows[:len(changed)] == changed  # grade changes first
    assert all("等次由" in r.reason for r in changed)
    assert any("院部优秀名额由2名改为3名" in r.reason for r in changed)


def test_same_scheme_reproduces_the_published_results_and_wrong_inputs_are_refused(published, session):
    cycle, office = published
    draft = session.get(Scheme, cycle.scheme_id)
    wi = whatif.run(session, actor_id=office.id, cycle=cycle, draft=draft)
    assert not wi.changed_grades and not wi.missing and not wi.notes
    assert all(r.whatif_total == r.published_total and r.whatif_rank == r.published_rank for r in wi.rows)
    assert all(r.reason == "总分、排名、等次均未变。" for r in wi.rows)
    _refusals(session, cycle, office)


def test_missing_inputs_are_named_not_invented(published, session):
    cycle, office = published

    def new_indicator(data):
        cat = next(c for c in data["categories"] if c["key"] == "college")
        target = next(m for m in cat["components"] if m["kind"] == "target")
        leaf = next(x for root in target["indicators"] for x in _leaves(root) if Decimal(str(x["points"])) >= 1
                    and not x.get("applies_to") and not x.get("applies_to_units"))
        parent = next(p for root in target["indicators"] for p in [_parent_of(root, leaf["code"])] if p)
        assert not parent.get("max_by_subtype")
        extra = copy.deepcopy(leaf)
        extra["code"], extra["name"], extra["points"] = "ZZ9", "新增测算指标", 0.5
        leaf["points"] = float(Decimal(str(leaf["points"])) - Decimal("0.5"))
        parent["children"].append(extra)

    draft = _draft(session, cycle, office, new_indicator)
    wi = whatif.run(session, actor_id=office.id, cycle=cycle, draft=draft)
    assert any("ZZ9「新增测算指标」：本周期没有评分数据" in m for m in wi.missing), wi.missing


def _leaves(n):
    if n.get("children"):
        for c in n["children"]:
            yield from _leaves(c)
    else:
        yield n


def _parent_of(n, leaf_code):
    for c in n.get("children") or []:
        if c.get("code") == leaf_code:
            return n
        found = _parent_of(c, leaf_code)
        if found:
            return found
    return None


def _refusals(session, cycle, office):
    reporter = f.user(session, "whatif_group", roles=("group",))
    draft = session.get(Scheme, cycle.scheme_id)
    with pytest.raises(ServiceError, match="权限"):
        whatif.run(session, actor_id=reporter.id, cycle=cycle, draft=draft)
    alien = f.voting_scheme_data()
    alien["key"] = "other-college"
    alien["categories"] = alien["categories"][:1]
    alien["categories"][0]["subtypes"] = ["二级学院"]
    alien["grading"]["quotas"] = {"college": 2}
    other = f.scheme(session, alien)
    with pytest.raises(ServiceError, match="不适用于周期「测算周期」") as refused:
        whatif.run(session, actor_id=office.id, cycle=cycle, draft=other)
    assert "没有单位类别「部门」" in refused.value.message
    assert "院部没有单位类型「基础课教学部」" in refused.value.message
    # another family that does fit the units is computed, its indicators without data named
    fits = whatif.run(session, actor_id=office.id, cycle=cycle, draft=f.scheme(session, f.voting_scheme_data()))
    assert any("草案属于方案「test-voting」" in n for n in fits.notes)
    assert any("指标 C1「工作目标」：本周期没有评分数据" in m for m in fits.missing), fits.missing
    rs = session.exec(select(ResultSet).where(ResultSet.cycle_id == cycle.id)).one()
    fresh = f.cycle(session, name="未结束的周期", scheme=session.get(Scheme, cycle.scheme_id))
    with pytest.raises(ServiceError, match="尚未计算结果，只有已公示"):
        whatif.run(session, actor_id=office.id, cycle=fresh, draft=draft)
    assert rs.status == "published"


def test_make_draft_saves_a_new_audited_version(session):
    office = f.user(session, "whatif_office", roles=("office",))
    base = whatif.schemes.seed_scheme(session)
    before = copy.deepcopy(base.data)
    form = {"points.college.democratic": "30", "part.college.leader.principal": "15",
            "part.college.leader.deputy": "5", "points.department.democratic": "80",
            "part.department.leader.principal": "15", "part.department.leader.deputy": "5",
            "quota.college": "3", "level.0": "95", "share": "30"}
    new = whatif.make_draft(session, actor_id=office.id, base=base, expected_latest=base.version, form=form)
    assert new.version == base.version + 1 and new.id != base.id
    assert base.data == before  # the version in use is untouched
    college = next(c for c in new.data["categories"] if c["key"] == "college")
    comps = {m["kind"]: m for m in college["components"]}
    assert comps["democratic"]["points"] == 30 and comps["leader"]["points"] == 20
    assert new.data["grading"]["quotas"]["college"] == 3
    assert new.data["ballot"]["levels"][0]["value"] == 95 and new.data["ballot"]["max_excellent_share"] == 0.3
    audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "scheme",
                                                  AuditEntry.entity_id == str(new.id))).one()
    assert "方案测算草案" in json.dumps(audit.new_value, ensure_ascii=False)
    with pytest.raises(StaleData):  # the form was rendered before the new version
        whatif.make_draft(session, actor_id=office.id, base=base, expected_latest=base.version, form=form)
    with pytest.raises(ServiceError, match="「院部」：各组成部分分值合计 195，与总分"):  # one category changed
        whatif.make_draft(session, actor_id=office.id, base=new, expected_latest=new.version,
                          form={"points.college.democratic": "25"})
    with pytest.raises(ServiceError, match="应为数字"):
        whatif.make_draft(session, actor_id=office.id, base=new, expected_latest=new.version,
                          form={"quota.college": "三"})
