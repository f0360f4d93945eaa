"""Stale tabs (issue #13 defect 4): a state-changing form posts the version of the object it was
rendered from; a post from a page rendered before the object changed is refused with a Chinese
message and changes nothing, and a post from a fresh page works. (A post without a version is
not checked, as before.)"""

import pytest
from sqlmodel import select

from app.models.result import ResultRow, ResultSet
from app.services import results
from tests.builders import factories as f
from tests.builders.results_case import build_case


def _as(client, name):
    client.post("/logout")
    assert f.login(client, name).status_code == 302


# ----------------------------------------------------------------------------- results


@pytest.fixture
def case(session, monkeypatch):
    c = build_case(session)
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    return c


def _rs(session, case) -> ResultSet:
    session.commit()
    session.expire_all()
    return session.exec(select(ResultSet).where(ResultSet.cycle_id == case.cycle.id)).one()


def _leader_changes(session, case):
    rs = _rs(session, case)
    row = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)).first()
    results.add_override(session, actor_id=case.group.id, cycle=case.cycle, unit_id=row.unit_id, kind="grade",
                         value="合格" if row.grade == "优秀" else "优秀", reason="领导小组审议")
    session.commit()


def test_recompute_from_a_page_opened_before_a_change_is_refused(client, session, case):
    cid = case.cycle.id
    _as(client, "office1")
    assert 'name="version"' in client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    seen = _rs(session, case).version
    _leader_changes(session, case)
    r = client.post(f"/cycles/{cid}/results/recompute", data={"version": seen}, follow_redirects=True)
    assert "已有变化" in r.get_data(as_text=True) and "未重新计算" in r.get_data(as_text=True)
    r = client.post(f"/cycles/{cid}/results/recompute", data={"version": _rs(session, case).version},
                    follow_redirects=True)
    assert "已重新计算" in r.get_data(as_text=True)


def test_finalise_from_a_page_opened_before_an_objection_correction_is_refused(client, session, case):
    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    client.post(f"/cycles/{cid}/results/fix")
    client.post(f"/cycles/{cid}/results/publish")
    assert _rs(session, case).status == "published"
    page = client.get(f"/cycles/{cid}/objections").get_data(as_text=True)
    seen = _rs(session, case).version
    assert f'name="version" value="{seen}"' in page
    # another officer corrects a result (as an upheld objection does): the set's version moves on
    rs = _rs(session, case)
    row = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)).first()
    results.apply_override(session, rs=rs, cycle=case.cycle, row=row, kind="grade",
                           value="合格" if row.grade == "优秀" else "优秀", reason="异议更正",
                           actor_id=case.office.id, source="deliberation")
    session.commit()
    r = client.post(f"/cycles/{cid}/results/finalise", data={"version": seen}, follow_redirects=True)
    assert "未结束公示" in r.get_data(as_text=True)
    assert _rs(session, case).status == "published"
    client.post(f"/cycles/{cid}/results/finalise", data={"version": _rs(session, case).version})
    assert _rs(session, case).status == "final"
