"""What a person has to do now and by when: the home page of every role.

Each workflow registers a provider ``fn(db, identity, cycle, timeline) -> list[Task]`` with
:func:`task_provider`; the generic provider below lists, for every open stage, the task that the
stage registry (:mod:`app.services.stage_kinds`) gives one of the person's roles.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.models import Cycle

from .stage_kinds import KINDS
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
    """One task per open stage: the first of the person's roles (in name order) that has one."""
    from flask import url_for

    tasks = []
    for stage, state in timeline:
        kind = KINDS.get(stage.kind)
        if kind is None or not state.is_open:
            continue
        for role in sorted(identity.roles):
            page = kind.task_for(role)
            if page is None:
                continue
            tasks.append(Task(title=page.title, detail=f"{cycle.name} · {kind.label}（{state.label}）",
                              due=state.until, link=url_for(page.endpoint, cycle_id=cycle.id)))
            break
    return tasks
