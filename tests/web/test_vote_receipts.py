"""Receipts after a crash: a ballot stored while the receipt page never reached the phone. The
voter who enters the spent code again (or reloads the ballot) sees that the ballot was recorded
and, once published, counted, without any of its content; the receipt page says so."""

from sqlalchemy import select

from app.models.voting import Ballot, RollEntry
from app.services import stages, voting
from app.services.vote_status import NO_RECEIPT
from tests.web.test_voting_web import TOKEN, _count, _open_ballot, _session, _valid, setup  # noqa: F401  (fixture)


def _crash_after_the_cast(o, code):
    """The ballot is written (as cast_ballot does for a POST), but no response is delivered."""
    with _session(o) as s:
        entry = s.execute(select(RollEntry).where(RollEntry.code == code)).scalar_one()
        roll_id, group = entry.id, next(g for g in o.groups if g.id == entry.group_id)
    choices = {int(k[1:]): int(v) for k, v in _valid(o).items()}
    voting.cast_ballot(o.engine, cycle_id=o.cycle.id, roll_id=roll_id, group_key=group.key, choices=choices)


def test_a_spent_code_shows_that_its_ballot_was_recorded(setup):  # noqa: F811
    o = setup
    c, r = _open_ballot(o, o.codes[4])  # the phone has the ballot open
    _crash_after_the_cast(o, o.codes[4])
    assert _count(o, Ballot) == 1
    # the same phone reloads the ballot page
    r = c.get("/v/ballot")
    assert r.status_code == 409 and "您的选票已记录（投票成功）" in r.text and NO_RECEIPT in r.text
    # or submits again: nothing more is recorded, and the status is shown
    c, r = _open_ballot(o, o.codes[5])
    token = TOKEN.search(r.text).group(1)
    _crash_after_the_cast(o, o.codes[5])
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 409 and "您的选票已记录" in r.text
    assert _count(o, Ballot) == 2
    # another phone, the code typed in: the entry page says it was recorded, with nothing of the ballot
    r = o.app.test_client().post("/v", data={"code": o.codes[4]})
    assert r.status_code == 422 and "已投票" in r.text
    status = r.text.split('id="ballot-status"', 1)[1].split("</div>", 1)[0]
    assert "您的选票已记录" in status and "测评结束后计入" in status
    assert "优秀" not in r.text and "学院0" not in r.text and 'type="radio"' not in r.text


def test_after_publication_it_says_counted(setup):  # noqa: F811
    o = setup
    for code in o.codes[:5]:  # publication needs at least 5 ballots
        _crash_after_the_cast(o, code)
    with _session(o) as s:
        stages.override_stage(s, actor_id=None, stage=stages.get_stage(s, o.cycle.id, "democratic"),
                              action="close", reason="会议结束")
        s.commit()
        voting.publish(s, actor_id=o.office.id, cycle=o.cycle)
        s.commit()
    r = o.app.test_client().post("/v", data={"code": o.codes[4]})
    assert r.status_code == 422
    assert "已计入「2018-2019学年」民主测评的计票结果（结果已公布）" in r.text


def test_unspent_and_wrong_codes_show_no_status(setup):  # noqa: F811
    o = setup
    r = o.app.test_client().post("/v", data={"code": "ZZZZZZZZ"})
    assert r.status_code == 422 and 'id="ballot-status"' not in r.text
    c, r = _open_ballot(o, o.codes[7])
    assert 'id="ballot-status"' not in r.text


def test_the_receipt_page_says_how_to_check_without_a_receipt(setup):  # noqa: F811
    o = setup
    c, r = _open_ballot(o, o.codes[0])
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": TOKEN.search(r.text).group(1)})
    assert r.status_code == 200 and 'id="receipt"' in r.text
    assert "没有看到回执码" in r.text and "您的选票已记录" in r.text
