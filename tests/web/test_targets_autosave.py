"""The autosave of a target table's actuals page: one row saved as JSON with the page's checks (a stale
version refused, an unreadable value refused), nothing for other units' reporters; the page groups the rows
in sections with their progress."""

from sqlmodel import select

from app.models.targets import TargetActual
from tests.web.test_targets_web import _checkpoint, _import, _login, _text, org, small_workbook  # noqa: F401


def test_autosave_one_row(app, session, org):  # noqa: F811
    office = _login(app, "office1")
    tid = _import(office, org["unit"].id, small_workbook())
    assert _checkpoint(office, "full_year", "open").status_code == 302
    rep = _login(app, "rep")
    url = f"/targets/tables/{tid}/fill/full_year/autosave"
    html = _text(rep.get(f"/targets/tables/{tid}/fill/full_year"))
    assert 'data-autosave="' + url in html and 'data-tsec="tsec-1"' in html
    r = rep.post(url, json={"position": 1, "text": "12", "note": "", "version": 0})
    assert r.status_code == 200 and r.json == {"ok": True, "version": 1, "filled": True}
    r = rep.post(url, json={"position": 1, "text": "13", "note": "", "version": 0})  # an older tab
    assert r.status_code == 409 and r.json["stale"] is True and "已被他人修改" in r.json["message"]
    assert rep.post(url, json={"text": "1"}).status_code == 400
    session.expire_all()
    rows = session.exec(select(TargetActual).where(TargetActual.table_id == tid)).all()
    assert [(a.position, a.text, a.version) for a in rows] == [(1, "12", 1)]
    html = _text(rep.get(f"/targets/tables/{tid}/fill/full_year"))
    assert 'value="12"' in html and "已填 <span data-tsec-progress>1/" in html
    other = _login(app, "rep2")
    assert other.post(url, json={"position": 1, "text": "99", "version": 1}).status_code == 404
