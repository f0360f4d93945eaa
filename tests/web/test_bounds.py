"""Bounds and malformed input answer 4xx with a Chinese message, never 500: ids in paths above
2^63−1 or written with other digits, integers in query strings and forms (?page=, stage_id=,
versions), a JSON array posted to autosave, ballot keys and values with superscript or other
Unicode digits."""

import json

import pytest
from sqlmodel import select

from app.models import Stage
from app.models.voting import Ballot
from app.web.common import IdConverter, parse_int
from tests.builders import factories as f
from tests.web.test_route_rules import _rules
from tests.web.test_voting_web import TOKEN, _count, _open_ballot, _valid, setup  # noqa: F401  (fixture)

TOO_BIG = "9223372036854775808"  # 2^63


def test_every_route_id_uses_the_bounded_converter(app):
    for rule in _rules(app):
        for arg, conv in rule._converters.items():
            if "Integer" in type(conv).__name__ or "Number" in type(conv).__name__:
                pytest.fail(f"{rule.rule}: <{arg}> uses {type(conv).__name__}, not the id converter")
    ids = [r for r in _rules(app) if any(isinstance(c, IdConverter) for c in r._converters.values())]
    assert len(ids) > 50


@pytest.mark.parametrize("raw,expected", [("12", 12), (" 7 ", 7), ("0", 0), (12, 12), ("2147483647", 2**31 - 1),
                                          ("2147483648", None), (TOO_BIG, None), ("²", None), ("١٢", None),
                                          ("１２", None), ("-1", None), ("1.0", None), ("", None), (None, None),
                                          (True, None), ([1], None)])
def test_parse_int_takes_only_ascii_digits_in_range(raw, expected):
    assert parse_int(raw) == expected


@pytest.mark.parametrize("path", [f"/public/cycles/{TOO_BIG}/reports", "/public/cycles/99999999999999999999999/reports",
                                  "/public/cycles/١/reports", "/public/cycles/²/reports",
                                  f"/public/cycles/1/reports/{TOO_BIG}", f"/cycles/{TOO_BIG}/results/public"])
def test_ids_out_of_range_or_not_ascii_are_not_found(client, session, path):
    f.cycle(session)
    session.commit()
    r = client.get(path)
    assert r.status_code == 404 and "页面不存在" in r.text


@pytest.mark.parametrize("n", ["2147483647", "2147483648", "9223372036854775807"])
def test_ids_past_an_integer_column_are_not_found_on_either_engine(client, session, n):
    r = client.get(f"/public/cycles/{n}/reports")
    assert r.status_code == 404


@pytest.mark.parametrize(
    "query", [f"page={TOO_BIG}", "page=²", "page=0", "page=abc", f"cycle_id={TOO_BIG}", "cycle_id=²"]
)
def test_bad_integers_in_query_strings_are_400_in_chinese(client, session, query):
    f.user(session, "office1", roles=["office"])
    session.commit()
    f.login(client, "office1")
    path = "/office/users" if query.startswith("page") else "/office/audit"
    r = client.get(f"{path}?{query}")
    assert r.status_code == 400
    assert "应为" in r.text and "整数" in r.text
    assert client.get("/office/audit?page=2").status_code == 200


@pytest.mark.parametrize("stage_id", [TOO_BIG, "²", "١", "x"])
def test_stage_id_out_of_range_is_not_found(client, session, stage_id):
    f.user(session, "office1", roles=["office"])
    c = f.cycle(session)
    session.commit()
    f.login(client, "office1")
    before = [(s.id, s.opens_at, s.closes_at) for s in session.exec(select(Stage))]
    r = client.post(f"/office/cycles/{c.id}/override", data={"stage_id": stage_id, "action": "close", "reason": "测试"})
    assert r.status_code == 404
    session.expire_all()
    assert [(s.id, s.opens_at, s.closes_at) for s in session.exec(select(Stage))] == before


def _reporter(client, session):
    u = f.unit(session, "机电工程学院")
    f.user(session, "tb1", roles=[{"role": "reporter", "unit_id": u.id}], unit_id=u.id)
    c = f.cycle(session)
    session.commit()
    f.login(client, "tb1")
    return f"/report/cycles/{c.id}/units/{u.id}"


@pytest.mark.parametrize("body", [[1, 2], ["texts"], "texts", 5, None])
def test_autosave_refuses_anything_but_an_object(client, session, body):
    url = _reporter(client, session) + "/autosave"
    r = client.post(url, data=json.dumps(body), content_type="application/json")
    assert r.status_code == 400 and r.get_json()["ok"] is False
    assert "JSON" in r.get_json()["message"]


@pytest.mark.parametrize("version", ["²", TOO_BIG + "0", "1.5"])
def test_versions_written_oddly_are_400(client, session, version):
    url = _reporter(client, session)
    r = client.post(url + "/autosave", json={"texts": {"summary": "总结"}, "version": version})
    assert r.status_code == 400 and "版本号" in r.get_json()["message"]
    r = client.post(url, data={"t_summary": "总结", "v_report": version, "action": "save"})
    assert r.status_code == 400 and "版本号无效" in r.text
    r = client.post(url + "/autosave", json={"texts": {"summary": "总结"}, "version": 0})
    assert r.status_code == 200 and r.get_json()["ok"] is True


@pytest.mark.parametrize("bad", ["value", "key"])
def test_ballot_with_unicode_digits_is_refused_and_records_nothing(setup, bad):  # noqa: F811
    o = setup
    c, r = _open_ballot(o, o.codes[2])
    token = TOKEN.search(r.text).group(1)
    form = _valid(o)
    uid = o.cols[0].id
    if bad == "value":
        form[f"u{uid}"] = "²"
    else:
        form.pop(f"u{uid}")
        form["u" + str(uid).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))] = "1"
    r = c.post("/v/ballot", data={**form, "csrf_token": token})
    assert r.status_code == 422
    assert ("选票含有无效的等次" if bad == "value" else "选票含有不在本次测评范围内的单位") in r.text
    assert _count(o, Ballot) == 0
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 200 and _count(o, Ballot) == 1
