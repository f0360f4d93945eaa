"""Small rater groups stay hidden everywhere counts appear (complementary suppression): a group of
fewer than 5 voters on a unit is never shown on its own, and neither can it be recovered as the
unit's total minus the groups shown — on the result page, in the JSON and in the results workbook.
With weighted groups the merged lines and the per-level totals are withheld as well, since with the
published points they would give the hidden group back."""

import io
from decimal import Decimal
from itertools import combinations

import pytest
from openpyxl import load_workbook

from app.services import results
from tests.builders import factories as f
from tests.builders.results_case import build_case

LEVELS = ("优秀", "合格", "不合格")
STAFF = {"优秀": 0, "合格": 1, "不合格": 2}  # 3 voters: below the 5 of MIN_GROUP
RETIRED = {"优秀": 2, "合格": 3, "不合格": 1}  # 6 voters


@pytest.fixture(params=[False, True], ids=["plain-mean", "weighted"])
def world(request, session, monkeypatch):
    c = build_case(session)
    for per in c.inputs.ballots.values():
        per["retired"] = dict(RETIRED)
        per["staff"] = dict(STAFF)
    if request.param:
        c.inputs.group_weights = {"cadre": Decimal("0.5"), "retired": Decimal("0.3"), "staff": Decimal("0.2")}
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    return c, request.param


def _publish(client, case):
    client.post("/logout")
    f.login(client, "office1")
    client.get(f"/cycles/{case.cycle.id}/results")
    assert client.post(f"/cycles/{case.cycle.id}/results/fix").status_code == 302
    assert client.post(f"/cycles/{case.cycle.id}/results/publish").status_code == 302
    client.post("/logout")


def _recoverable(lines: list[dict], total: dict | None, secret: dict) -> bool:
    """Whether ``secret`` (the small group's counts) is one of the lines, or the total minus any
    combination of the lines shown."""
    vecs = [tuple(line["counts"].get(lv, 0) for lv in LEVELS) for line in lines]
    want = tuple(secret[lv] for lv in LEVELS)
    if want in vecs:
        return True
    if total is None:
        return False
    t = tuple(total.get(lv, 0) for lv in LEVELS)
    for k in range(len(vecs) + 1):
        for combo in combinations(vecs, k):
            if tuple(t[i] - sum(v[i] for v in combo) for i in range(len(LEVELS))) == want:
                return True
    return False


def test_small_group_cannot_be_recovered_from_page_json_or_workbook(client, world):
    case, weighted = world
    _publish(client, case)
    cid = case.cycle.id
    data = client.get(f"/api/cycles/{cid}/results.json").get_json()
    units = [u for cat in data["categories"] for u in cat["units"]]
    assert len(units) == len(case.units)
    recovered = 0
    for u in units:
        b = u["ballots"]
        assert b["ballots"] == sum(case.inputs.ballots[u["unit_id"]]["cadre"].values()) + 9
        assert all(line["ballots"] >= 5 for line in b["lines"])
        recovered += _recoverable(b["lines"], b["total"], STAFF)
        if weighted:  # no merged line, no totals: the points would solve them
            cadre = sum(case.inputs.ballots[u["unit_id"]]["cadre"].values())
            assert b["total"] is None and [line["ballots"] for line in b["lines"]] == [cadre]
        else:  # cadres alone; the 3 staff merged with the 6 retired; the total shown
            assert [line["ballots"] for line in b["lines"]][1:] == [9]
            assert b["total"] is not None and "合并显示" in b["note"]
    assert recovered == 0

    wb = load_workbook(io.BytesIO(client.get(f"/cycles/{cid}/results.xlsx").data))
    ws = wb["测评票数"]
    header = [c.value for c in ws[1]]
    lv_cols = [header.index(lv) for lv in LEVELS]
    by_unit: dict[str, list] = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        by_unit.setdefault(row[1], []).append(row)
    assert set(by_unit) == set(case.units)
    for rows in by_unit.values():
        lines = [{"counts": dict(zip(LEVELS, (r[i] for i in lv_cols), strict=True))} for r in rows if r[2] != "合计"]
        total_row = next(r for r in rows if r[2] == "合计")
        total = None if weighted else dict(zip(LEVELS, (total_row[i] for i in lv_cols), strict=True))
        if weighted:
            assert all(total_row[i] == "—" for i in lv_cols)
        assert not _recoverable(lines, total, STAFF)
        assert "staff" not in {r[2] for r in rows}  # group labels, never internal keys

    unit = case.units["基础课教学部"]
    page = client.get(f"/cycles/{cid}/results/units/{unit.id}").get_data(as_text=True)
    assert "民主测评票数" in page and "不足5人" in page
    staff_row = "".join(f'<td class="num" data-label="{lv}">{STAFF[lv]}</td>' for lv in LEVELS)
    assert staff_row not in page
