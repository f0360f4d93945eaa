"""Scoring pages: a scorer's grid and cell, other owners out of reach, stale refusal, preview,
the office's progress view, home tasks."""

import pytest
from sqlmodel import select

from app.models.score import ScoreEntry
from app.services import reports
from tests.builders import factories as f
from tests.builders.report_world import World


@pytest.fixture
def w(session):
    return World(session)


def submit(session, w, unit, user, facts):
    kw = dict(actor_id=user.id, allowed_units={unit.id}, cycle=w.cycle, unit=unit)
    v = reports.save_draft(session, **kw, texts={"summary": "总结"}, report_version=0,
                           entries={c: {"facts": fx, "narrative": "说明" + c, "version": 0} for c, fx in facts.items()})
    reports.submit(session, **kw, expected_version=v["report"])
    session.commit()


def cell_url(w, key, unit, code, suffix=""):
    return f"/scoring/cycles/{w.cycle.id}/owners/{key}/units/{unit.id}/{code}{suffix}"


def test_scorer_grid_and_cell(client, session, w):
    submit(session, w, w.c1, w.tb1, {"B1": {"trainees": "800", "students": "1000"}})
    f.login(client, "pf_jwc")
    r = client.get(f"/scoring/cycles/{w.cycle.id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/owners/{w.jwc.id}")
    html = client.get(f"/scoring/cycles/{w.cycle.id}/owners/{w.jwc.id}").get_data(as_text=True)
    assert "A1 教学运行" in html and "B1 社会培训" in html and "A2 师德师风" not in html and "师德师风" not in html
    html = client.get(cell_url(w, w.jwc.id, w.c1, "B1")).get_data(as_text=True)
    assert "说明B1" in html and "单位填报：800" in html and "计分规则" in html
    r = client.post(cell_url(w, w.jwc.id, w.c1, "B1"), data={"version": "0", "f_trainees": "800",
                                                             "f_students": "1000"}, follow_redirects=True)
    assert "得 1 分" in r.get_data(as_text=True)
    # correction without a reason: refused, the typed value kept
    r = client.post(cell_url(w, w.jwc.id, w.c1, "B1"), data={"version": "1", "f_trainees": "1200",
                                                             "f_students": "1000"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "更正理由" in page and 'value="1200"' in page
    r = client.post(
        cell_url(w, w.jwc.id, w.c1, "B1"),
        data={"version": "1", "f_trainees": "1200", "f_students": "1000", "r_trainees": "补录继续教育培训名单"},
        follow_redirects=True,
    )
    assert "得 2 分" in r.get_data(as_text=True)
    client.post("/logout")
    # the unit sees the correction and its reason
    f.login(client, "tb1")
    html = client.get(f"/report/cycles/{w.cycle.id}/units/{w.c1.id}").get_data(as_text=True)
    assert "评分部门更正" in html and "补录继续教育培训名单" in html


def test_scorer_cannot_reach_other_owners(client, session, w):
    f.login(client, "pf_jwc")
    assert client.get(f"/scoring/cycles/{w.cycle.id}/owners/{w.zzb.id}").status_code == 404
    assert client.get(f"/scoring/cycles/{w.cycle.id}/owners/office").status_code == 404
    assert client.get(cell_url(w, w.zzb.id, w.c1, "A2")).status_code == 404
    # an indicator of another owner through one's own owner key
    assert client.get(cell_url(w, w.jwc.id, w.c1, "A2")).status_code == 404
    assert client.post(cell_url(w, w.zzb.id, w.c1, "A2"), data={"version": "0", "f_count": "3"}).status_code == 404
    assert client.post(cell_url(w, w.jwc.id, w.c1, "A2"), data={"version": "0", "f_count": "3"}).status_code == 404
    assert client.post(cell_url(w, "office", w.jwc, "C1", "/preview"), data={"f_points": "1"}).status_code == 404
    assert client.get(f"/scoring/cycles/{w.cycle.id}/owners/{w.zzb.id}/template.xlsx").status_code == 404
    # not a scorer at all
    client.post("/logout")
    f.login(client, "tb1")
    assert client.get(f"/scoring/cycles/{w.cycle.id}/owners/{w.jwc.id}").status_code == 403
    session.commit()
    assert session.exec(select(ScoreEntry)).all() == []


def test_stale_cell_form_is_refused(client, session, w):
    f.login(client, "pf_jwc")
    u = cell_url(w, w.jwc.id, w.c2, "A1")
    assert client.post(u, data={"version": "0", "f_points": "1"}).status_code == 302
    r = client.post(u, data={"version": "0", "f_points": "0.5", "f_reason": "迟交"})
    assert r.status_code == 409 and "已被他人修改" in r.get_data(as_text=True)
    session.commit()
    assert session.exec(select(ScoreEntry)).one().judgment == {"points": "1"}


def test_preview_returns_points_and_explanation(client, session, w):
    f.login(client, "pf_jwc")
    r = client.post(cell_url(w, w.jwc.id, w.c1, "B1", "/preview"), data={"f_trainees": "1000", "f_students": "1000"})
    j = r.get_json()
    assert j["ok"] and j["points"] == "2" and "100" in j["explanation"]
    j = client.post(cell_url(w, w.jwc.id, w.c1, "A1", "/preview"), data={"f_points": "0.5"}).get_json()
    assert j["status"] == "error" and "理由" in j["error"]


def test_office_scores_its_own_and_sees_progress(client, session, w):
    f.login(client, "office")
    html = client.get(f"/scoring/cycles/{w.cycle.id}").get_data(as_text=True)
    assert "目标办" in html and "教务处" in html and "按被考核单位" in html
    r = client.post(cell_url(w, "office", w.jwc, "C1"), data={"version": "0", "f_points": "9",
                                                              "f_reason": "作风建设材料不全"}, follow_redirects=True)
    assert "得 9 分" in r.get_data(as_text=True)
    # the office may look at a department's grid but not score it
    assert client.get(f"/scoring/cycles/{w.cycle.id}/owners/{w.jwc.id}").status_code == 200
    assert client.post(cell_url(w, w.jwc.id, w.c1, "A1"), data={"version": "0", "f_points": "1"}).status_code == 404


def test_scorer_home_task(client, session, w):
    f.login(client, "pf_zzb")
    html = client.get("/").get_data(as_text=True)
    assert "党委组织部负责指标的目标考核评分（已完成 0/3）" in html


def test_pages_say_when_the_cycle_has_no_usable_scheme(client, session, w):
    """No snapshot: the scoring and report pages say so and show no indicators; an invalid
    snapshot is never hidden: the page names the problem (409) and nothing is shown from it."""
    from app.models import Cycle

    bare = f.cycle(session, name="无方案周期")
    session.commit()
    f.login(client, "office")
    html = client.get(f"/scoring/cycles/{bare.id}").get_data(as_text=True)
    assert "本周期尚未指定考核方案，没有指标可评分" in html
    client.post("/logout")
    f.login(client, "tb1")
    html = client.get(f"/report/cycles/{bare.id}/units/{w.c1.id}").get_data(as_text=True)
    assert "本周期尚未指定考核方案，暂无指标" in html

    cycle = session.get(Cycle, w.cycle.id)
    broken = dict(cycle.scheme_data)
    broken["normalisation"] = "sometimes"
    cycle.scheme_data = broken
    session.commit()
    r = client.get(f"/report/cycles/{cycle.id}/units/{w.c1.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "考核方案快照有误" in html and "A1 教学运行" not in html
    client.post("/logout")
    f.login(client, "pf_jwc")
    r = client.get(f"/scoring/cycles/{cycle.id}/owners/{w.jwc.id}")
    assert r.status_code == 409 and "考核方案快照有误" in r.get_data(as_text=True)
