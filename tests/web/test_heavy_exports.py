"""Heavy exports (app/web/heavy.py): one at a time per worker; a request that finds no free slot
within HEAVY_WAIT seconds gets a 503 with a Chinese message (JSON for the API), and the export
works again once the slot is free."""

import threading
from contextlib import contextmanager

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


@contextmanager
def _slot_taken(app):
    """Another thread holds the worker's heavy slot for the duration of the block."""
    held, release = threading.Event(), threading.Event()
    t = threading.Thread(target=_hold_slot, args=(app, held, release))
    t.start()
    try:
        assert held.wait(10)
        yield
    finally:
        release.set()
        t.join()


def test_busy_exports_get_503_then_work(client, app, published):
    cid = published.cycle.id
    app.config["HEAVY_WAIT"] = 0.05
    with _slot_taken(app):
        r = client.get(f"/cycles/{cid}/results.xlsx")
        assert r.status_code == 503 and r.headers["Retry-After"] == "10"
        assert "请稍候再试" in r.get_data(as_text=True)
        r = client.get(f"/api/cycles/{cid}/results.json")
        assert r.status_code == 503 and r.get_json()["error"] == "busy" and "请稍候再试" in r.get_json()["message"]
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


def test_the_tidier_collects_reference_cycles_left_behind():
    import gc
    import time
    import weakref

    class Node:
        pass

    gc.disable()  # only the tidier may collect here
    stop = threading.Event()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: freed only by a collection
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None
        tidier = heavy.start_tidier(every=0.05, grow_mb=-1e9, stop=stop)  # any size counts as grown
        deadline = time.time() + 5
        while gone() is not None and time.time() < deadline:
            time.sleep(0.05)
        assert gone() is None
    finally:
        stop.set()
        tidier.join(5)
        gc.enable()


def test_count_requests_tracks_requests_in_flight():
    seen = []

    def inner(environ, start_response):
        seen.append(heavy._in_flight)
        start_response("200 OK", [])
        return [b"ok"]

    app = heavy.CountRequests(inner)
    before = heavy._in_flight
    assert app({}, lambda *a: None) == [b"ok"]
    assert seen == [before + 1] and heavy._in_flight == before


def test_a_slot_inside_a_slot_of_the_same_thread_does_not_wait(app):
    app.config["HEAVY_WAIT"] = 0.05
    with app.app_context():
        with heavy.slot():
            with heavy.slot():  # a PDF of a ZIP archive: runs in the slot already held
                inner = True
        assert inner
        with heavy.slot():  # released: free again
            pass


def test_org_export_is_built_in_a_slot_and_read_back_without_one(client, session, app):
    """The first organisation export waits for a heavy slot (503 when none frees up); once kept,
    the same export is read while another export holds the slot."""
    f.user(session, "boss", roles=["office"])
    f.unit(session, "数学学院")
    session.commit()
    assert f.login(client, "boss").status_code == 302
    app.config["HEAVY_WAIT"] = 0.05
    with _slot_taken(app):
        r = client.get("/office/org/export.xlsx")
        assert r.status_code == 503 and "请稍候再试" in r.get_data(as_text=True)
    first = client.get("/office/org/export.xlsx")
    assert first.status_code == 200 and first.data[:2] == b"PK"
    with _slot_taken(app):
        again = client.get("/office/org/export.xlsx")
        assert again.status_code == 200 and again.data == first.data
