"""A cycle under the six-part seed scheme (seeds/scheme_university_6.json) with two colleges, the
教务处 (owner of 教学工作) with its scorer, and the office: for the entry pages and their tests."""

import json
from dataclasses import dataclass
from pathlib import Path

from app.models import Cycle, Unit, User
from tests.builders import factories as f

UNI = Path(__file__).resolve().parents[2] / "seeds" / "scheme_university_6.json"


@dataclass
class ComponentsCase:
    cycle: Cycle
    colleges: list[Unit]
    jwc: Unit
    scorer: User
    office: User


def build_components_case(s) -> ComponentsCase:
    data = json.loads(UNI.read_text("utf-8"))
    colleges = [f.unit(s, "机电工程学院"), f.unit(s, "信息工程学院")]
    jwc = f.unit(s, "教务处", category="department")
    scorer = f.user(s, "pf_jwc", roles=[{"role": "scorer", "unit_id": jwc.id}], unit_id=jwc.id)
    office = f.user(s, "office1", roles=["office"])
    cycle = f.cycle(s, scheme=f.scheme(s, data))
    s.commit()
    return ComponentsCase(cycle, colleges, jwc, scorer, office)
