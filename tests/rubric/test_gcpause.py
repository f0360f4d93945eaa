"""The engine holds the cyclic collector only while it computes, and gives it back as it was."""

import gc
import threading

import pytest

from app.rubric.gcpause import collector_held


def test_held_inside_and_restored_after():
    seen = []

    @collector_held
    def work():
        seen.append(gc.isenabled())
        return 42

    assert gc.isenabled()
    assert work() == 42
    assert seen == [False]
    assert gc.isenabled()


def test_restored_after_an_error_and_nested():
    @collector_held
    def inner():
        assert not gc.isenabled()
        raise ValueError("坏")

    @collector_held
    def outer():
        with pytest.raises(ValueError):
            inner()
        return gc.isenabled()  # still held: the outer call has not returned

    assert outer() is False
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    gc.disable()
    try:
        collector_held(lambda: None)()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_threads_give_it_back_once_the_last_leaves():
    inside, release = threading.Barrier(3), threading.Event()

    @collector_held
    def hold():
        inside.wait()
        release.wait()

    ts = [threading.Thread(target=hold) for _ in range(2)]
    for t in ts:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for t in ts:
        t.join()
    assert gc.isenabled()


def test_the_engine_computes_with_it_held(monkeypatch):
    import json
    from pathlib import Path

    from app.rubric import compute, engine, load_scheme
    from app.rubric.synthetic import synthetic_cycle

    root = Path(__file__).resolve().parents[2]
    scheme = load_scheme(json.loads((root / "seeds" / "scheme_lianyungang_2018.json").read_text("utf-8")))
    cyc = synthetic_cycle(scheme, 3, 3, seed=1)
    seen = []
    real = engine.democratic_component

    def spy(*a, **k):
        seen.append(gc.isenabled())
        return real(*a, **k)

    monkeypatch.setattr(engine, "democratic_component", spy)
    res = compute(scheme, cyc.units, cyc.facts, cyc.ballots, cyc.leader_ratings)
    assert len(res.units) == 6 and seen and not any(seen)
    assert gc.isenabled()
