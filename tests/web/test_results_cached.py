"""The results JSON, the public page's body and the comparison on /results are kept per state of
the result set (app/web/results/cache.py): what they show must follow every change — an
objection lodged, an objection upheld (a corrected total), the end of the notice period — and the
JSON must stay byte for byte what jsonify gives."""

import os

from flask import jsonify
from sqlmodel import select

from app.models import Cycle
from app.models.result import Objection, ResultSet
from app.services import results_read
from app.services.files import cache_folder
from tests.web.test_results_web import _as, case  # noqa: F401  (fixture)


def _unit(payload, name):
    return next(u for c in payload["categories"] for u in c["units"] if u["unit"] == name)


def _uphold(client, session, total: str) -> None:
    """The office (signed in) upholds the one objection with a corrected total."""
    session.commit()
    obj = session.exec(select(Objection)).one()
    p = f"o{obj.id}-"
    client.post(f"/objections/{obj.id}/answer",
                data={p + "decision": "upheld", p + "answer": "经核实总分更正", p + "new_total": total,
                      p + "version": "1"})


def test_cached_outputs_follow_every_change(client, session, case, app):  # noqa: F811  (the fixture)
    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    assert client.post(f"/cycles/{cid}/results/fix").status_code == 302
    assert client.post(f"/cycles/{cid}/results/publish").status_code == 302
    client.post("/logout")

    first = client.get(f"/api/cycles/{cid}/results.json")
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert first.get_json()["objections"]["total"] == 0
    with app.test_request_context():
        rs = session.exec(select(ResultSet).where(ResultSet.cycle_id == cid)).one()
        cycle = session.get(Cycle, cid)
        assert first.get_data() == jsonify(results_read.export_payload(session, rs, cycle)).get_data()
    assert client.get(f"/api/cycles/{cid}/results.json").get_data() == first.get_data()  # from the file
    slim = client.get(f"/api/cycles/{cid}/results.json?details=0").get_json()
    assert "indicators" not in _unit(slim, "图书馆") and "indicators" in _unit(first.get_json(), "图书馆")
    assert int(first.headers["Content-Length"]) == len(first.get_data())
    old_total = _unit(first.get_json(), "图书馆")["total"]
    assert f'href="/units/{case.units["图书馆"].id}/history">图书馆' in client.get("/results").get_data(as_text=True)
    client.get(f"/cycles/{cid}/results/public")

    unit = case.units["图书馆"].id
    _as(client, "someone")
    client.post(f"/cycles/{cid}/results/units/{unit}/objection", data={"text": "年度主要工作评分有误"})
    assert client.get(f"/api/cycles/{cid}/results.json").get_json()["objections"]["open"] == 1

    _as(client, "office1")
    _uphold(client, session, "179.67")
    client.post("/logout")
    data = client.get(f"/api/cycles/{cid}/results.json").get_json()
    assert old_total != "179.67" and _unit(data, "图书馆")["total"] == "179.67"
    assert data["objections"]["upheld"] == 1 and data["objections"]["open"] == 0
    html = client.get(f"/cycles/{cid}/results/public").get_data(as_text=True)
    assert "经核实总分更正" in html and "179.67" in html
    assert "179.67" in client.get("/results").get_data(as_text=True)

    _as(client, "office1")
    client.post(f"/cycles/{cid}/results/finalise")
    client.post("/logout")
    assert client.get(f"/api/cycles/{cid}/results.json").get_json()["status"] == "final"
    assert "公示期已结束" in client.get(f"/cycles/{cid}/results/public").get_data(as_text=True)
    # one state per set is kept: the files of the older states are gone
    with app.app_context():
        kept = os.listdir(cache_folder("results"))
    states = {name.split("-")[1] for name in kept if name.split("-")[0] == str(rs.id)}
    assert len(states) == 1


def test_history_counts_the_units_of_the_category_on_every_view(client, session, case, app):  # noqa: F811
    from app.models.result import ResultRow

    cid = case.cycle.id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    client.post(f"/cycles/{cid}/results/fix")
    client.post(f"/cycles/{cid}/results/publish")
    client.post("/logout")
    session.commit()
    rs = session.exec(select(ResultSet).where(ResultSet.cycle_id == cid)).one()
    row = session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id,
                                               ResultRow.unit_id == case.units["图书馆"].id)).one()
    n = len(session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id,
                                                 ResultRow.category == row.category)).all())
    assert n > 1
    for _ in range(2):  # the second view takes the count from the worker's memo
        html = client.get(f"/units/{case.units['图书馆'].id}/history").get_data(as_text=True)
        assert f"{row.rank}/{n}</td>" in html
    assert app.extensions["results_counts"]


def test_the_sheet_counts_open_objections_and_shows_an_upheld_total(client, session, case, app):  # noqa: F811
    """The sheet's tables are kept per state of the set: an objection lodged, then upheld with a
    corrected total, shows on the next opening (the count of open ones beside 异议, the new total)."""
    cid, unit = case.cycle.id, case.units["图书馆"].id
    _as(client, "office1")
    client.get(f"/cycles/{cid}/results")
    client.post(f"/cycles/{cid}/results/fix")
    client.post(f"/cycles/{cid}/results/publish")
    page = client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    assert "条待答复" not in page and "179.67" not in page
    _as(client, "someone")
    client.post(f"/cycles/{cid}/results/units/{unit}/objection", data={"text": "年度主要工作评分有误"})
    _as(client, "office1")
    assert "异议（1 条待答复）" in client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    _uphold(client, session, "179.67")
    page = client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    assert "条待答复" not in page
    row = page.split(f'<tr data-unit="{unit}">')[1].split("</tr>")[0]
    assert '<strong class="total">179.67</strong>' in row
