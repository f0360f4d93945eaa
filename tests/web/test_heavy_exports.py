"""Heavy exports (app/web/heavy.py): one at a time per worker; a request that finds no free slot
within HEAVY_WAIT seconds gets a 503 with a Chinese message (JSON for the API), and the export
works again once the slot is free."""

import threading

import pytest

from app.services import results
from app.web import heavy
from tests.builders import factories as f
from tests.builders.results_case import build_case


@pytest.fixture
def published(client, session, monkeypatch):
    c = build_case(session)
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    assert f.login(client, "office1").status_code == 302
    client.get(f"/cycles/{c.cycle.id}/results")
    client.post(f"/cycles/{c.cycle.id}/results/fix")
    client.post(f"/cycles/{c.cycle.id}/results/publish")
    client.post("/logout")
    return c


def _hold_slot(app, held, release):
    with app.app_context(), heavy.slot():
        held.set()
        release.wait(10)


def test_busy_exports_get_503_then_work(client, app, published):
    cid = published.cycle.id
    app.config["HEAVY_WAIT"] = 0.05
    held, release = threading.Event(), threading.Event()
    t = threading.Thread(target=_hold_slot, args=(app, held, release))
    t.start()
    try:
        assert held.wait(10)
        r = client.get(f"/cycles/{cid}/results.xlsx")
        assert r.status_code == 503 and r.headers["Retry-After"] == "10"
        assert "请稍候再试" in r.get_data(as_text=True)
        r = client.get(f"/api/cycles/{cid}/results.json")
        assert r.status_code == 503 and r.get_json()["error"] == "busy" and "请稍候再试" in r.get_json()["message"]
    finally:
        release.set()
        t.join()
    r = client.get(f"/cycles/{cid}/results.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert client.get(f"/api/cycles/{cid}/results.json").get_json()["status"] == "published"


def test_exports_wait_for_their_turn(client, app, published):
    cid = published.cycle.id
    app.config["HEAVY_WAIT"] = 10
    held, release = threading.Event(), threading.Event()
    t = threading.Thread(target=_hold_slot, args=(app, held, release))
    t.start()
    assert held.wait(10)
    threading.Timer(0.2, release.set).start()
    r = client.get(f"/cycles/{cid}/results.xlsx")  # waits until the other export is done
    t.join()
    assert r.status_code == 200 and r.data[:2] == b"PK"
