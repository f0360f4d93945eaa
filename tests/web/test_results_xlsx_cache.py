"""The results workbook kept under the instance folder: a second download is served from the
file without building, and any change of what the workbook shows gives a new file (the old one of
the same result set removed)."""

import io
import os

from openpyxl import load_workbook

from app.services import files
from app.sheets import results as sheets_results
from tests.web.test_results_web import _publish, _rs, case  # noqa: F401  (fixture)


def _cached(client, rs_id):
    with client.application.app_context():
        where = files.cache_folder("results")
    return sorted(n for n in os.listdir(where) if n.startswith(f"{rs_id}-") and n.endswith("-xlsx"))


def test_second_download_comes_from_the_file_and_a_change_makes_a_new_one(client, session, case, monkeypatch):  # noqa: F811
    _publish(client, session, case)
    client.post("/logout")
    rs = _rs(session, case)
    url = f"/cycles/{case.cycle.id}/results.xlsx"
    first = client.get(url)
    assert first.status_code == 200
    assert len(_cached(client, rs.id)) == 1

    real = sheets_results.build_workbook

    def no_build(payload):
        raise AssertionError("built again although nothing changed")

    monkeypatch.setattr(sheets_results, "build_workbook", no_build)
    again = client.get(url)
    assert again.status_code == 200 and again.data == first.data
    assert load_workbook(io.BytesIO(again.data))["院部汇总"]["A1"].value.startswith(case.cycle.name)

    built = []
    monkeypatch.setattr(sheets_results, "build_workbook", lambda payload: built.append(1) or real(payload))
    case.cycle.name = "二〇二六年度（更正）"
    session.add(case.cycle)
    session.commit()
    changed = client.get(url)
    assert changed.status_code == 200 and built == [1]
    wb = load_workbook(io.BytesIO(changed.data))
    assert wb["院部汇总"]["A1"].value.startswith("二〇二六年度（更正）综合目标考核结果")
    assert len(_cached(client, rs.id)) == 1  # the earlier version is gone
    assert client.get(url).data == changed.data and built == [1]


def test_the_cache_is_not_a_way_around_visibility(client, session, case):  # noqa: F811
    from tests.web.test_results_web import _as

    _as(client, "office1")
    client.get(f"/cycles/{case.cycle.id}/results")
    assert client.get(f"/cycles/{case.cycle.id}/results.xlsx").status_code == 200  # office: before publication
    client.post("/logout")
    assert client.get(f"/cycles/{case.cycle.id}/results.xlsx").status_code == 404
