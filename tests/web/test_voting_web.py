"""The ballot pages (by code, by account), the office's pages, and what the logs never hold."""

import io
import logging
import re
import threading

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import LoginThrottle
from app.models.voting import Ballot, Receipt, RollEntry
from app.services import ServiceError, stages, voting
from tests.builders import factories as f

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def setup(csrf_app, engine):
    """CSRF on, as in production. 3 colleges, 3 departments (limit: floor(0.3 × 3) = 0 优秀, so
    use 0.4 → 1), a rater group with 8 codes, an office user and a voter account."""
    from sqlmodel import Session

    voting.forget_context()
    with csrf_app.app_context(), Session(engine, expire_on_commit=False) as s:
        cols = [f.unit(s, f"学院{i}", "college") for i in range(3)]
        deps = [f.unit(s, f"部门{i}", "department") for i in range(3)]
        cycle = f.cycle(s, scheme=f.voting_scheme(s))
        groups = voting.create_default_groups(s, actor_id=None, cycle=cycle)
        voting.set_excellent_share(s, actor_id=None, cycle=cycle, share=voting.Decimal("0.4"))
        voting.issue_codes(s, actor_id=None, cycle=cycle, group_id=groups[0].id, count=8, batch="大会")
        office = f.user(s, "boss", roles=["office"])
        voter = f.user(s, "tp", roles=["voter"], unit_id=deps[0].id)
        voting.add_accounts(s, actor_id=None, cycle=cycle, group_id=groups[1].id)
        s.commit()
        codes = [e.code for e in voting.codes_of_batch(s, cycle.id, "大会")]

    class Setup:
        pass

    o = Setup()
    o.app, o.engine, o.cycle, o.groups, o.cols, o.deps, o.codes = csrf_app, engine, cycle, groups, cols, deps, codes
    o.office, o.voter = office, voter
    return o


def _session(o):
    from sqlmodel import Session

    return Session(o.engine, expire_on_commit=False)


def _login(client, username):
    r = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', r.text) or re.search(
        r'csrf-token" content="([^"]+)"', r.text)
    return client.post("/login", data={"username": username, "password": f.PASSWORD, "csrf_token": token.group(1)})


def _valid(o, own=None):
    form = {}
    for units in (o.cols, o.deps):
        rest = [u for u in units if u.id != own]
        for i, u in enumerate(rest):
            form[f"u{u.id}"] = "0" if i == 0 and len(rest) >= 3 else "1"  # limit floor(0.4 × n)
    return form


def _open_ballot(o, code):
    c = o.app.test_client()
    r = c.get("/v")
    assert r.status_code == 200 and "输入测评码" in r.text
    r = c.post("/v", data={"code": code[:4].lower() + "-" + code[4:]})
    assert r.status_code == 200, r.text
    return c, r


def _count(o, model):
    with _session(o) as s:
        return len(s.execute(select(model.__table__)).all())


def test_vote_by_code_then_receipt_then_never_again(setup):
    o = setup
    c, r = _open_ballot(o, o.codes[0])
    page = r.text
    assert page.count('type="radio"') == 6 * 3
    assert "院部（3 个）" in page and "部门（3 个）" in page and "最多 1 个" in page
    assert "cdn" not in page.lower() and len(page.encode()) < 12_000
    assert r.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(page).group(1)
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 200
    receipt = re.search(r'id="receipt">([A-Z0-9-]+)<', r.text).group(1)
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", receipt)
    with _session(o) as s:
        assert s.execute(select(Receipt.code)).scalar_one() == receipt.replace("-", "")
    assert c.get("/v/done").status_code == 200
    # the same code: refused at the entry, and a replayed submission records nothing
    c2 = o.app.test_client()
    r = c2.post("/v", data={"code": o.codes[0]})
    assert r.status_code == 422 and "已投票" in r.text
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code in (302, 409)
    assert _count(o, Ballot) == 1


def test_rule_breaking_ballot_is_refused_with_the_reason_and_nothing_recorded(setup):
    o = setup
    c, r = _open_ballot(o, o.codes[1])
    token = TOKEN.search(r.text).group(1)
    bad = {**_valid(o), f"u{o.cols[1].id}": "0"}  # two 优秀 among 3 colleges (limit 1)
    r = c.post("/v/ballot", data={**bad, "csrf_token": token})
    assert r.status_code == 422
    assert "院部：「优秀」最多可评1个单位（40%），现评了2个" in r.text
    assert "未作任何记录" in r.text
    # the voter's choices are kept on the page so they can fix one
    assert re.search(rf'name="u{o.cols[1].id}" value="0" checked', r.text)
    incomplete = {k: v for k, v in _valid(o).items() if k != f"u{o.deps[2].id}"}
    r = c.post("/v/ballot", data={**incomplete, "csrf_token": token})
    assert r.status_code == 422 and "以下单位尚未测评：部门2" in r.text
    assert _count(o, Ballot) == 0 and _count(o, Receipt) == 0
    with _session(o) as s:
        assert s.execute(select(RollEntry.voted).where(RollEntry.code == o.codes[1])).scalar_one() is False
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 200 and _count(o, Ballot) == 1


def test_a_ballot_that_could_not_be_saved_says_so_and_can_be_sent_again(setup, monkeypatch):
    """The write gave up (e.g. the office changed the stage again and again meanwhile): the voter
    is told nothing was recorded, keeps the code, and the next submission counts."""
    o = setup
    c, r = _open_ballot(o, o.codes[2])
    token = TOKEN.search(r.text).group(1)
    real = voting.cast_ballot

    def gives_up(*a, **kw):
        raise ServiceError("目标办正在调整民主测评的时间，请稍后重新提交选票。")

    monkeypatch.setattr(voting, "cast_ballot", gives_up)
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 503 and "请稍后重新提交选票" in r.text
    assert _count(o, Ballot) == 0
    monkeypatch.setattr(voting, "cast_ballot", real)
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 200 and 'id="receipt"' in r.text and _count(o, Ballot) == 1


def test_ballot_without_csrf_token_is_refused(setup):
    o = setup
    c, _r = _open_ballot(o, o.codes[2])
    assert c.post("/v/ballot", data=_valid(o)).status_code == 400
    assert _count(o, Ballot) == 0


def test_unknown_and_voided_codes(setup):
    o = setup
    c = o.app.test_client()
    r = c.post("/v", data={"code": "ZZZZ-ZZZZ"})
    assert r.status_code == 422 and "测评码无效" in r.text
    with _session(o) as s:
        entry = s.execute(select(RollEntry).where(RollEntry.code == o.codes[3])).scalar_one()
        voting.void_and_replace(s, actor_id=None, cycle=o.cycle, entry_id=entry.id, reason="遗失")
        s.commit()
    assert c.post("/v", data={"code": o.codes[3]}).status_code == 422


def test_guessing_codes_locks_the_address_until_the_office_lifts_it(setup):
    """Wrong codes are counted per address (under a keyed hash, never the address itself); past
    the limit that address cannot try any code, a right one included, in any worker; the office
    sees how many addresses are locked and can lift the locks."""
    o = setup
    o.app.config["VOTE_CODE_MAX_FAILURES"] = 3
    voting.forget_code_locks()
    try:
        c = o.app.test_client()
        for guess in ("AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC"):
            assert c.post("/v", data={"code": guess}).status_code == 422
        r = c.post("/v", data={"code": o.codes[5]})
        assert r.status_code == 429 and "错误测评码过多" in r.text
        voting.forget_code_locks()  # another worker: it reads the lock from the database
        assert o.app.test_client().post("/v", data={"code": o.codes[5]}).status_code == 429
        with _session(o) as s:
            keys = [row.key for row in s.execute(select(LoginThrottle)).scalars()]
            assert keys and all(k.startswith("v:") and "127.0.0.1" not in k for k in keys)
            assert voting.voter_by_code(o.engine, o.codes[5]).voted is False
        office = o.app.test_client()
        _login(office, "boss")
        page = office.get(f"/voting/cycles/{o.cycle.id}").text
        assert "有 1 个网络地址" in page
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.split("code-locks/lift")[1]).group(1)
        r = office.post(f"/voting/cycles/{o.cycle.id}/code-locks/lift", data={"csrf_token": token},
                        follow_redirects=True)
        assert "已解除锁定" in r.text and "有 1 个网络地址" not in r.text
        assert c.post("/v", data={"code": o.codes[5]}).status_code == 200
    finally:
        voting.forget_code_locks()


def test_behind_a_proxy_each_phone_address_is_counted_apart(setup, schema, tmp_path):
    """KPI_PROXY_HOPS=1 (nginx in front): the address is the one nginx saw, so one guesser does
    not lock the others out."""
    from app import create_app
    from config import TestConfig

    class Behind(TestConfig):
        DATABASE_URL = schema
        INSTANCE_PATH = str(tmp_path / "proxied")
        PROXY_HOPS = 1
        VOTE_CODE_MAX_FAILURES = 2

    app = create_app(Behind)
    voting.forget_code_locks()
    try:
        c = app.test_client()
        guesser = {"X-Forwarded-For": "10.0.0.66"}
        for guess in ("AAAA-AAAA", "BBBB-BBBB"):
            assert c.post("/v", data={"code": guess}, headers=guesser).status_code == 422
        assert c.post("/v", data={"code": setup.codes[6]}, headers=guesser).status_code == 429
        r = app.test_client().post("/v", data={"code": setup.codes[6]}, headers={"X-Forwarded-For": "10.0.0.7"})
        assert r.status_code == 200 and "csrf_token" in r.text
    finally:
        voting.forget_code_locks()


def test_concurrent_duplicate_posts_of_one_code_record_one_ballot(setup):
    """Twelve phones with the same code: all open the ballot, then all submit at once."""
    o = setup
    phones = []
    for _ in range(12):
        c, r = _open_ballot(o, o.codes[4])
        phones.append((c, TOKEN.search(r.text).group(1)))
    barrier = threading.Barrier(len(phones))
    statuses = []

    def go(c, token):
        barrier.wait()
        statuses.append(c.post("/v/ballot", data={**_valid(o), "csrf_token": token}).status_code)

    threads = [threading.Thread(target=go, args=p) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 11
    assert _count(o, Ballot) == 1 and _count(o, Receipt) == 1


def test_account_voter_home_task_ballot_without_own_unit(setup):
    o = setup
    c = o.app.test_client()
    assert _login(c, "tp").status_code == 302
    home = c.get("/")
    assert "参加民主测评（投票）" in home.text
    r = c.get(f"/v/cycles/{o.cycle.id}")
    assert r.status_code == 200
    assert f'name="u{o.deps[0].id}"' not in r.text  # own unit left out
    token = TOKEN.search(r.text).group(1)
    with_own = {**_valid(o, own=o.deps[0].id), f"u{o.deps[0].id}": "1"}
    r = c.post(f"/v/cycles/{o.cycle.id}", data={**with_own, "csrf_token": token})
    assert r.status_code == 422 and "不能对本单位进行测评" in r.text
    r = c.post(f"/v/cycles/{o.cycle.id}", data={**_valid(o, own=o.deps[0].id), "csrf_token": token})
    assert r.status_code == 200 and 'id="receipt"' in r.text
    r = c.get(f"/v/cycles/{o.cycle.id}")
    assert "已参加本周期的民主测评" in r.text
    assert _count(o, Ballot) == 1


def test_office_pages_turnout_slips_tally_export_publish(setup):
    o = setup
    # four ballots by code, then one more: 5 voters in the cadre group
    for code in o.codes[:5]:
        c, r = _open_ballot(o, code)
        assert c.post("/v/ballot", data={**_valid(o), "csrf_token": TOKEN.search(r.text).group(1)}).status_code == 200
    office = o.app.test_client()
    assert _login(office, "boss").status_code == 302
    r = office.get(f"/voting/cycles/{o.cycle.id}")
    assert r.status_code == 200 and "投票率" in r.text
    assert office.get(f"/voting/cycles/{o.cycle.id}/turnout.json").json["voted"] == 5
    # during the vote: turnout only, no tally
    r = office.get(f"/voting/cycles/{o.cycle.id}/tally")
    assert r.status_code == 302
    assert office.get(f"/voting/cycles/{o.cycle.id}/tally.xlsx").status_code == 302
    # slips: inline SVG QR codes, 8 per A4 page, the code in the fragment of the address
    r = office.get(f"/voting/cycles/{o.cycle.id}/slips?batch=大会")
    assert r.status_code == 200
    assert r.text.count("<svg") == 3 and r.text.count('class="page"') == 1  # the 3 unused codes
    assert voting.pretty_code(o.codes[7]) in r.text and "/v" in r.text
    codes_page = office.get(f"/voting/cycles/{o.cycle.id}/codes?batch=大会")
    # without a batch, or with an unknown one: back to the dashboard with a message, not a 404
    r = office.get(f"/voting/cycles/{o.cycle.id}/codes", follow_redirects=True)
    assert r.status_code == 200 and "已生成的批次" in r.text and "请在「已生成的批次」中选择一个批次" in r.text
    r = office.get(f"/voting/cycles/{o.cycle.id}/codes?batch=无此批次", follow_redirects=True)
    assert r.status_code == 200 and "没有名为「无此批次」的测评码批次" in r.text
    assert codes_page.status_code == 200 and "作废" in codes_page.text
    # close, then tally, export, publish
    with _session(o) as s:
        stage = stages.get_stage(s, o.cycle.id, "democratic")
        stages.override_stage(s, actor_id=None, stage=stage, action="close", reason="会议结束")
        s.commit()
    r = office.get(f"/voting/cycles/{o.cycle.id}/tally")
    assert r.status_code == 200 and 'id="ballots">5<' in r.text
    x = office.get(f"/voting/cycles/{o.cycle.id}/tally.xlsx")
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.data))
    ws = wb["计票结果"]
    totals = [row for row in ws.iter_rows(values_only=True) if row[1] == "合计"]
    assert len(totals) == 6
    first = next(t for t in totals if t[0] == "学院0")
    assert first[2:6] == (5, 0, 0, 5) and first[7] == 18.0  # 5 × 优秀 → 90 → 20 × 0.9
    assert wb["投票率"]["C2"].value == 5 and wb["投票率"]["A1"].value == "测评人员类别"  # no internal code column
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', r.text)
    token = token.group(1) or token.group(2)
    r = office.post(f"/voting/cycles/{o.cycle.id}/publish", data={"csrf_token": token})
    assert r.status_code == 302
    pub = o.app.test_client().get(f"/public/cycles/{o.cycle.id}/voting")
    assert pub.status_code == 200 and "回执码（5 个）" in pub.text
    with _session(o) as s:
        for code in s.execute(select(Receipt.code)).scalars():
            assert voting.pretty_code(code) in pub.text
        assert voting.state(s, o.cycle.id).sealed_at is not None


def test_small_electorate_shows_no_tally(setup):
    o = setup
    c, r = _open_ballot(o, o.codes[0])
    c.post("/v/ballot", data={**_valid(o), "csrf_token": TOKEN.search(r.text).group(1)})
    with _session(o) as s:
        stage = stages.get_stage(s, o.cycle.id, "democratic")
        stages.override_stage(s, actor_id=None, stage=stage, action="close", reason="结束")
        s.commit()
    office = o.app.test_client()
    _login(office, "boss")
    r = office.get(f"/voting/cycles/{o.cycle.id}/tally", follow_redirects=True)
    assert "不显示计票结果" in r.text


def test_the_code_never_reaches_a_log(setup, caplog):
    """Neither the code nor the receipt appears in any log record of a whole visit."""
    o = setup
    caplog.set_level(logging.DEBUG)
    c, r = _open_ballot(o, o.codes[6])
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": TOKEN.search(r.text).group(1)})
    receipt = re.search(r'id="receipt">([A-Z0-9-]+)<', r.text).group(1)
    text = "\n".join(rec.getMessage() for rec in caplog.records)
    for secret in (o.codes[6], voting.pretty_code(o.codes[6]), receipt, receipt.replace("-", "")):
        assert secret not in text
    # the slip's QR address is <base>/v#<code>: the code sits after '#', which browsers never send
    from app.web.voting.routes import slip_base_url

    with o.app.test_request_context("/"):
        assert slip_base_url().endswith("/v")


def test_healthz_is_bare(setup):
    r = setup.app.test_client().get("/healthz")
    assert r.status_code == 200 and r.text == "ok"


def test_worker_warm_up_renders_the_open_cycles_ballot_pages(setup):
    from app.web.vote import routes

    routes._page_cache.clear()
    assert routes.warm(setup.app) == "1 cycle(s)"
    # one page for every voter, spliced per own unit (vote.pages)
    assert len([k for k in routes._page_cache if k[0] != "done"]) == 1
    c, r = _open_ballot(setup, setup.codes[0])
    assert r.status_code == 200 and 'name="csrf_token"' in r.text


def test_a_cycle_without_a_scheme_says_so_and_takes_no_ballot(csrf_app, engine):
    """No scheme assigned: the office's page says that no ballot can be cast and why, and a code
    or an account on the roll gets the same explanation instead of a ballot."""
    from sqlmodel import Session

    voting.forget_context()
    with csrf_app.app_context(), Session(engine, expire_on_commit=False) as s:
        f.unit(s, "学院0", "college")
        cycle = f.cycle(s)
        group = voting.save_group(s, actor_id=None, cycle=cycle, key="cadre", name="中层干部", weight=None)
        voting.issue_codes(s, actor_id=None, cycle=cycle, group_id=group.id, count=1, batch="大会")
        f.user(s, "boss", roles=["office"])
        f.user(s, "tp", roles=["voter"])
        voting.add_accounts(s, actor_id=None, cycle=cycle, group_id=group.id)
        s.commit()
        code = voting.codes_of_batch(s, cycle.id, "大会")[0].code
    office = csrf_app.test_client()
    _login(office, "boss")
    page = office.get(f"/voting/cycles/{cycle.id}").text
    assert 'id="no-rules"' in page and "本周期不能进行民主测评投票" in page
    assert "尚未指定考核方案" in page
    assert "按方案创建类别" not in page
    r = csrf_app.test_client().post("/v", data={"code": code})
    assert r.status_code == 409 and "尚未指定考核方案" in r.text and "不能投票" in r.text
    assert 'id="ballot"' not in r.text
    voter = csrf_app.test_client()
    _login(voter, "tp")
    r = voter.get(f"/v/cycles/{cycle.id}")
    assert r.status_code == 409 and "尚未指定考核方案" in r.text and 'id="ballot"' not in r.text


def test_a_ballot_sent_after_the_rules_went_away_is_refused(setup):
    """The ballot page was shown, then the cycle's scheme became unusable: the submission is
    refused with the reason and nothing is recorded."""
    from app.models import Cycle

    o = setup
    c, r = _open_ballot(o, o.codes[0])
    token = TOKEN.search(r.text).group(1)
    with _session(o) as s:
        cycle = s.get(Cycle, o.cycle.id)
        cycle.scheme_data = {}
        s.add(cycle)
        s.commit()
    voting.forget_context()
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 409 and "尚未指定考核方案" in r.text
    assert _count(o, Ballot) == 0


def test_excellent_cap_is_percent_in_the_field_the_check_and_the_value_shown_back(setup):
    """「每类最多 %」: 130 and 0.3 are refused with a message in percent and change nothing; 30 is 30 %."""
    o = setup
    office = o.app.test_client()
    assert _login(office, "boss").status_code == 302
    url = f"/voting/cycles/{o.cycle.id}"

    def post(value):
        token = TOKEN.search(office.get(url).text).group(1)
        return office.post(f"{url}/share", data={"share": value, "csrf_token": token}, follow_redirects=True)

    def stored():
        with _session(o) as s:
            return voting.state(s, o.cycle.id).max_excellent_share

    r = post("130")
    assert "0 到 100 之间的百分比" in r.text and stored() == voting.Decimal("0.4")
    r = post("0.3")
    assert "0.3 表示 0.3%" in r.text and "请填写 30" in r.text and stored() == voting.Decimal("0.4")
    r = post("abc")
    assert "请填写百分比数字" in r.text and stored() == voting.Decimal("0.4")
    r = post("30%")
    assert "已保存本周期的优秀票比例上限" in r.text and stored() == voting.Decimal("0.3")
    assert 'value="30.0"' in office.get(url).text
