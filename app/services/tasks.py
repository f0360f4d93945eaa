"""What a person has to do now and by when: the home page of every role.

Each workflow registers a provider ``fn(db, identity, cycle, timeline) -> list[Task]`` with
:func:`task_provider`; the generic provider below lists the open stages of a person's roles.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.models import STAGE_KINDS, Cycle

from .stages import cycle_timeline


@dataclass
class Task:
    title: str
    detail: str = ""
    due: datetime | None = None
    link: str | None = None
    done: bool = False
    urgent: bool = False


PROVIDERS: list[Callable] = []

# role -> stage kinds where that role acts
ROLE_STAGES = {
    "office": list(STAGE_KINDS),
    "reporter": ["self_report", "award"],
    "scorer": ["scoring"],
    "leader": ["leader"],
    "group": ["award", "deliberation"],
    "voter": ["democratic"],
}

# (role, stage kind) -> (endpoint, title) for the generic task, filled in by the workflows
STAGE_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {}


def task_provider(fn):
    PROVIDERS.append(fn)
    return fn


def tasks_for(db: Session, identity, cycle: Cycle | None) -> list[Task]:
    if cycle is None:
        return []
    timeline = cycle_timeline(db, cycle)
    tasks: list[Task] = []
    for provider in PROVIDERS:
        tasks.extend(provider(db, identity, cycle, timeline))
    tasks.sort(key=lambda t: (t.done, t.due is None, t.due or datetime.max))
    return tasks


@task_provider
def open_stages(db, identity, cycle, timeline) -> list[Task]:
    from flask import url_for

    tasks = []
    for stage, state in timeline:
        if not state.is_open:
            continue
        for role in sorted(identity.roles):
            if stage.kind not in ROLE_STAGES.get(role, []):
                continue
            endpoint, title = STAGE_ACTIONS.get((role, stage.kind), (None, None))
            if endpoint is None and role != "office":
                continue
            if endpoint is None:
                endpoint, title = "office.cycle_detail", f"跟进「{stage.label}」阶段"
            try:
                link = url_for(endpoint, cycle_id=cycle.id)
            except Exception:
                link = url_for(endpoint)
            tasks.append(Task(title=title, detail=f"{cycle.name} · {stage.label}（{state.label}）", due=state.until,
                              link=link))
            break
    return tasks
