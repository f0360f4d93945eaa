"""The stage registry: one entry per stage kind, complete from the services alone; the reminders
job finds who is pending in every stage without any web module imported."""

import json
import subprocess
import sys
from pathlib import Path

from app.models import ROLE_LABELS
from app.services import stage_kinds
from app.services.stage_kinds import KINDS, pending_people
from app.services.stages import STAGE_LABELS
from tests.builders import factories as f

ROOT = Path(__file__).resolve().parents[2]


def test_every_stage_kind_has_one_entry_in_order():
    assert list(KINDS) == list(STAGE_LABELS)
    for key, kind in KINDS.items():
        assert kind.key == key and kind.label == STAGE_LABELS[key]
        assert kind.roles and set(kind.roles) <= set(ROLE_LABELS), key
        assert set(kind.tasks) <= set(ROLE_LABELS), key
        assert kind.pending is None or kind.pending.__module__.startswith("app.services."), key
        assert kind.office_page.endpoint and kind.office_page.title, key
        assert kind.task_for("office") is kind.tasks.get("office", kind.office_page)


def test_a_stage_without_a_pending_function_reminds_every_active_member_of_its_roles(session):
    cycle = f.cycle(session)
    g1 = f.user(session, "g1", roles=["group"])
    g2 = f.user(session, "g2", roles=["group"])
    gone = f.user(session, "g3", roles=["group"])
    gone.active = False
    office = f.user(session, "o1", roles=["office"])
    session.flush()
    assert KINDS["deliberation"].pending is None and KINDS["publication"].pending is None
    assert pending_people(session, cycle, "deliberation") == {g1.id, g2.id}
    assert pending_people(session, cycle, "publication") == {office.id}
    assert pending_people(session, cycle, "no_such_kind") == set()
    assert stage_kinds.acting_people(session, "no_such_kind") == set()


# Run in a fresh interpreter that imports the services and the reminders job only: a world with,
# in every stage, some people finished and some not; then the job itself.
SCRIPT = r'''
import json, sys
from datetime import date, timedelta

from flask import Flask
from sqlmodel import Session, SQLModel, select

import app.models
from app.extensions import make_engine
from app.jobs import reminders
from app.models import Notice, Stage
from app.models.award import AwardApplication
from app.models.base import utcnow
from app.models.leader import LeaderSheet
from app.models.report import SelfReport
from app.models.voting import RaterGroup, RollEntry
from app.services import awards
from app.services.stage_kinds import KINDS, pending_people
from config import TestConfig
from tests.builders import factories as f
from tests.builders.report_world import World

app.models.load_all()
engine = make_engine(sys.argv[1])
SQLModel.metadata.create_all(engine)
flask_app = Flask("reminders-alone")
flask_app.config.from_object(TestConfig)
with flask_app.app_context(), Session(engine, expire_on_commit=False) as s:
    w = World(s)
    people = {name: getattr(w, name).id for name in ("office", "tb1", "tb2", "tb3", "tb_jwc", "pf_jwc", "pf_zzb",
                                                     "pf_kjc")}
    for name, roles in [("v1", ["voter"]), ("v2", ["voter"]), ("l1", [{"role": "leader", "leader_rank": "principal"}]),
                        ("l2", [{"role": "leader", "leader_rank": "deputy"}]), ("g1", ["group"]), ("g2", ["group"])]:
        people[name] = f.user(s, name, roles=roles).id
    cid = w.cycle.id
    s.add(SelfReport(cycle_id=cid, unit_id=w.c1.id, status="submitted", submitted_at=utcnow()))
    group = RaterGroup(cycle_id=cid, key="cadre", name="中层干部")
    s.add(group)
    s.flush()
    s.add(RollEntry(cycle_id=cid, group_id=group.id, user_id=people["v1"], voted=True))
    s.add(RollEntry(cycle_id=cid, group_id=group.id, user_id=people["v2"]))
    s.add(LeaderSheet(cycle_id=cid, leader_id=people["l1"], rank="principal", finished=True, finished_at=utcnow()))
    application = AwardApplication(cycle_id=cid, unit_id=w.c2.id, title="教学成果奖", level="省级",
                                   achieved_on=date(2019, 5, 1), issuer="省教育厅", status="accepted")
    s.add(application)
    s.flush()
    awards.vote(s, actor_id=people["g1"], application=application, approve=True)
    now = utcnow()
    for stage in s.exec(select(Stage).where(Stage.cycle_id == cid)):
        stage.closes_at = now + timedelta(hours=12)
        s.add(stage)
    s.commit()
    pending = {kind: sorted(pending_people(s, w.cycle, kind)) for kind in KINDS}
    summary = reminders.send_reminders(s, now)
    s.commit()
    notices = sorted((n.title.split("「")[1].split("」")[0], n.user_id) for n in s.exec(select(Notice)))
print(json.dumps({"people": people, "pending": pending, "notices": notices, "summary": summary,
                  "web": sorted(m for m in sys.modules if m == "app.web" or m.startswith("app.web."))}))
'''


def test_reminders_find_the_pending_people_of_every_stage_without_the_web(tmp_path):
    out = subprocess.run([sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'alone.db'}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                                            "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["web"] == []
    p = got["people"]
    expected = {
        "self_report": {"tb2", "tb3", "tb_jwc"},  # tb1's unit has submitted
        "democratic": {"v2"},  # v1 has voted
        "scoring": {"pf_jwc", "pf_zzb", "pf_kjc", "office"},  # nothing scored; the office owns indicators too
        "leader": {"l2"},  # l1 has finished
        "award": {"g2"},  # g1 has voted on the one application under review
        "deliberation": {"g1", "g2"},
        "publication": {"office"},
    }
    assert set(got["pending"]) == set(STAGE_LABELS)
    for kind, names in expected.items():
        assert got["pending"][kind] == sorted(p[n] for n in names), kind
    # the job reminded exactly them, once for each of the two reminder offsets (72 h and 24 h)
    want = sorted((STAGE_LABELS[kind], p[n]) for kind, names in expected.items() for n in names for _ in (72, 24))
    assert sorted(tuple(n) for n in got["notices"]) == want
    assert got["summary"] == f"发送提醒 {len(want)} 条"
