"""A row (one unit, all its indicators) or a column (one indicator, all units) of the scoring grid on one
page: all or nothing, each refused cell's reason beside it, correction reasons and the rule's own checks
required as for one cell, stale versions refused, every saved cell audited."""

import pytest
from sqlmodel import select

from app.models import AuditEntry
from app.models.score import ScoreEntry
from tests.builders import factories as f
from tests.builders.report_world import World
from tests.web.test_scoring_web import submit


@pytest.fixture
def w(session):
    w = World(session)
    submit(session, w, w.c1, w.tb1, {"B1": {"trainees": "800", "students": "1000"}})
    return w


def col(w, code="B1"):
    return f"/scoring/cycles/{w.cycle.id}/owners/{w.jwc.id}/indicators/{code}"


def row(w, unit):
    return f"/scoring/cycles/{w.cycle.id}/owners/{w.jwc.id}/units/{unit.id}"


def b1(unit, trainees, students, reason="", version=0, confirm=False):
    p = f"{unit.id}|B1"
    data = {f"v|{p}": str(version), f"f|{p}|trainees": trainees, f"f|{p}|students": students,
            f"r|{p}|trainees": reason}
    if confirm:
        data[f"c|{p}"] = "1"
    return data


def entries(session):
    session.commit()
    return {(e.unit_id, e.indicator_code): e for e in session.exec(select(ScoreEntry))}


def test_column_all_or_nothing_with_the_reason_beside_the_cell(client, session, w):
    f.login(client, "pf_jwc")
    html = client.get(col(w)).get_data(as_text=True)
    assert "B1 社会培训 · 全部单位" in html and html.count('class="card batch-cell') == 3
    assert "单位填报：800" in html
    grid = client.get(f"/scoring/cycles/{w.cycle.id}/owners/{w.jwc.id}").get_data(as_text=True)
    assert col(w) in grid and row(w, w.c1) in grid
    # 机电's reported 800 corrected without a reason; 信息 newly entered (no report, so no reason needed)
    data = {**b1(w.c1, "1200", "1000"), **b1(w.c2, "500", "1000"), **b1(w.c3, "", "")}
    r = client.post(col(w), data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "有 1 项需要修改，本页的所有修改均未保存" in html
    cell = html.split(f'id="cell-{w.c1.id}-B1"')[1].split("</section>")[0]
    assert "须填写更正理由" in cell and 'value="1200"' in cell  # the typed value kept
    assert "须填写更正理由" not in html.split(f'id="cell-{w.c2.id}-B1"')[1].split("</section>")[0]
    assert entries(session) == {}  # nothing saved, not even the valid cell
    data[f"r|{w.c1.id}|B1|trainees"] = "补录继续教育培训名单"
    r = client.post(col(w), data=data, follow_redirects=True)
    assert "已保存 2 项评分" in r.get_data(as_text=True)
    es = entries(session)
    assert set(es) == {(w.c1.id, "B1"), (w.c2.id, "B1")}  # the empty, unconfirmed 继续教育 cell is left alone
    e1 = es[(w.c1.id, "B1")]
    assert e1.correction_reasons == {"trainees": "补录继续教育培训名单"} and e1.confirmed
    audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "score_entry")).all()
    assert {a.entity_id for a in audit} == {f"{w.c1.id}:B1", f"{w.c2.id}:B1"}


def test_row_keeps_the_rules_reason_and_refuses_a_stale_cell(client, session, w):
    f.login(client, "pf_jwc")
    html = client.get(row(w, w.c1)).get_data(as_text=True)
    assert "A1</span> 教学运行" in html and "B1</span> 社会培训" in html and "师德师风" not in html
    a1 = f"{w.c1.id}|A1"
    # judged points below the maximum without a reason: the rule refuses; B1 confirmed as reported
    data = {f"v|{a1}": "0", f"f|{a1}|points": "0.5", f"f|{a1}|reason": "", **b1(w.c1, "800", "1000", confirm=True)}
    r = client.post(row(w, w.c1), data=data)
    assert r.status_code == 422
    cell = r.get_data(as_text=True).split(f'id="cell-{w.c1.id}-A1"')[1].split("</section>")[0]
    assert "batch-error" in cell and "理由" in cell
    assert entries(session) == {}
    data[f"f|{a1}|reason"] = "教学事故一次"
    assert client.post(row(w, w.c1), data=data).status_code == 302
    es = entries(session)
    assert es[(w.c1.id, "B1")].confirmed and es[(w.c1.id, "B1")].corrections == {}
    assert es[(w.c1.id, "A1")].judgment["points"] is not None
    # a tab opened before that save: stale versions, nothing saved
    data2 = {f"v|{a1}": "0", f"f|{a1}|points": "1", f"f|{a1}|reason": "", **b1(w.c1, "900", "1000", "复核")}
    r = client.post(row(w, w.c1), data=data2)
    assert r.status_code == 409 and "已被他人修改" in r.get_data(as_text=True)
    es2 = entries(session)
    assert es2[(w.c1.id, "A1")].version == 1 and es2[(w.c1.id, "B1")].corrections == {}


def test_other_owners_and_readers_cannot_save(client, session, w):
    f.login(client, "pf_zzb")
    assert client.get(col(w)).status_code == 404
    assert client.post(col(w), data=b1(w.c1, "900", "1000", "x")).status_code == 404
    client.post("/logout")
    f.login(client, "office")  # the office sees every grid but scores only its own indicators
    assert client.get(col(w)).status_code == 200
    assert client.post(col(w), data=b1(w.c1, "900", "1000", "x")).status_code == 404
    assert client.get(f"/scoring/cycles/{w.cycle.id}/owners/{w.jwc.id}/indicators/A2").status_code == 404
    assert entries(session) == {}
