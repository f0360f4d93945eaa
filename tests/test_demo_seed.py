"""The demo data: the organisation of the source document, every role, a live cycle; idempotent."""

from sqlmodel import func, select

from app.models import Cycle, RoleMembership, Scheme, Stage, Unit, User
from app.services import stages
from seeds.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from tests.builders import factories as f


def _counts(s):
    return tuple(s.exec(select(func.count()).select_from(m)).one() for m in (Unit, User, RoleMembership, Cycle, Scheme))


def test_demo_loads_once_and_again_changes_nothing(session):
    load_demo(session)
    session.commit()
    first = _counts(session)
    load_demo(session)
    session.commit()
    assert _counts(session) == first
    units = session.exec(select(Unit)).all()
    assert len(units) == 25
    assert sorted({u.subtype for u in units}) == [
        "二级学院", "基础课教学部", "思想政治教学部", "继续教育学院", "职能部门"
    ]
    assert len([u for u in units if u.category == "department"]) == 14
    cycle = session.exec(select(Cycle)).one()
    assert cycle.scheme_data.get("name")  # the seed scheme is snapshotted
    # the work stages are open now, so the demo is live
    open_kinds = {s.kind for s, st in stages.cycle_timeline(session, cycle) if st.is_open}
    assert {"self_report", "democratic", "scoring", "leader", "award"} <= open_kinds
    assert session.exec(select(func.count()).select_from(Stage)).one() == 7


def test_every_demo_login_reaches_its_home_page(app, session):
    load_demo(session)
    session.commit()
    roles = set(session.exec(select(RoleMembership.role).distinct()).all())
    assert roles == {"office", "reporter", "scorer", "leader", "group", "voter"}
    for username, _label in DEMO_LOGINS:
        client = app.test_client()
        assert f.login(client, username, DEMO_PASSWORD).status_code == 302, username
        page = client.get("/")
        assert page.status_code == 200, username
        assert "您好" in page.get_data(as_text=True)
