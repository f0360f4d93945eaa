"""The what-if pages without a browser: office only, a cycle without published results and a
bad parameter refused in Chinese, the draft form's stale check and its kept entries."""

import html

from sqlmodel import func, select

from app.models import Scheme
from app.services import schemes
from tests.builders import factories as f


def _count(session):
    session.expire_all()
    return session.exec(select(func.count()).select_from(Scheme)).one()


def test_only_the_office_may_use_it(client, session):
    scheme = schemes.seed_scheme(session)
    u = f.unit(session, "经管学院")
    f.user(session, "rep", roles=["group", {"role": "reporter", "unit_id": u.id}], unit_id=u.id)
    session.commit()
    urls = ("/office/schemes/whatif", f"/office/schemes/whatif.xlsx?draft={scheme.id}&cycle=1",
            f"/office/schemes/{scheme.id}/draft")
    for url in urls:
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    f.login(client, "rep")
    for url in urls:
        assert client.get(url).status_code == 403, url
    r = client.post(f"/office/schemes/{scheme.id}/draft", data={"latest_version": "1", "quota.college": "5"})
    assert r.status_code == 403 and _count(session) == 1


def test_unfinished_cycle_and_bad_parameters_are_refused_in_chinese(client, session):
    f.user(session, "boss", roles=["office"])
    scheme = schemes.seed_scheme(session)
    cycle = f.cycle(session, scheme=scheme)
    session.commit()
    f.login(client, "boss")
    page = client.get("/office/schemes/")
    assert "/office/schemes/whatif" in page.get_data(as_text=True)
    assert f"/office/schemes/{scheme.id}/draft" in client.get(f"/office/schemes/{scheme.id}").get_data(as_text=True)
    r = client.get(f"/office/schemes/whatif?draft={scheme.id}&cycle={cycle.id}")
    assert r.status_code == 422
    assert "尚未计算结果，只有已公示或已确定最终结果的周期才能做方案测算" in html.unescape(r.get_data(as_text=True))
    r = client.get("/office/schemes/whatif?draft=abc&cycle=1")
    assert r.status_code == 400 and "方案版本" in html.unescape(r.get_data(as_text=True))
    r = client.get(f"/office/schemes/whatif.xlsx?draft={scheme.id}&cycle={cycle.id}")
    assert r.status_code == 302  # back to the page, with the message
    r = client.get("/office/schemes/whatif.xlsx", follow_redirects=True)
    assert "所选的方案版本或考核周期不存在，请重新选择" in html.unescape(r.get_data(as_text=True))


def test_draft_form_keeps_entries_and_checks_staleness(client, session):
    f.user(session, "boss", roles=["office"])
    scheme = schemes.seed_scheme(session)
    session.commit()
    f.login(client, "boss")
    page = client.get(f"/office/schemes/{scheme.id}/draft").get_data(as_text=True)
    assert 'name="points.college.democratic"' in page and 'name="quota.department"' in page
    r = client.post(f"/office/schemes/{scheme.id}/draft", data={"latest_version": "1", "quota.college": "两"})
    text = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422 and "院部优秀名额应为数字" in text and 'value="两"' in text
    assert _count(session) == 1
    r = client.post(f"/office/schemes/{scheme.id}/draft", data={"latest_version": "1", "quota.college": "3"})
    assert r.status_code == 302 and "/office/schemes/whatif?draft=" in r.headers["Location"]
    assert _count(session) == 2
    r = client.post(f"/office/schemes/{scheme.id}/draft", data={"latest_version": "1", "quota.college": "4"})
    assert r.status_code == 409 and "数据已被他人修改" in html.unescape(r.get_data(as_text=True))
    assert _count(session) == 2
    assert scheme.data["grading"]["quotas"]["college"] == 2
