"""Small builders for test data, going through the same services the product uses."""

import copy
import itertools
from datetime import date, timedelta

from sqlmodel import Session, select

from app.models import Scheme, Stage, Unit, User
from app.models.base import utcnow
from app.services import accounts, org, stages

PASSWORD = "secret123"
_seq = itertools.count(1)


def unit(s: Session, name: str | None = None, category: str = "college", subtype: str | None = None) -> Unit:
    subtype = subtype or ("二级学院" if category == "college" else "职能部门")
    return org.create_unit(s, actor_id=None, name=name or f"单位{next(_seq)}", category=category, subtype=subtype)


def user(s: Session, username: str | None = None, roles=(), unit_id: int | None = None, **kw) -> User:
    username = username or f"user{next(_seq)}"
    role_dicts = []
    for r in roles:
        if isinstance(r, str):
            role_dicts.append({"role": r})
        else:
            role_dicts.append(r)
    return accounts.create_user(s, actor_id=None, username=username, display_name=username, password=PASSWORD,
                                unit_id=unit_id, roles=role_dicts, must_change_password=kw.get("must_change", False))


def scheme(s: Session, data: dict) -> Scheme:
    """A scheme version in the database holding ``data`` (a valid scheme dict), for ``cycle(scheme=...)``."""
    row = Scheme(code=data["key"], version=data["version"], name=data["name"], data=copy.deepcopy(data))
    s.add(row)
    s.flush()
    return row


def cycle(s: Session, name: str = "2018-2019学年", open_all: bool = True, scheme=None):
    c = stages.create_cycle(s, actor_id=None, name=name, period_start=date(2018, 9, 1), period_end=date(2019, 8, 31),
                            scheme=scheme)
    if open_all:
        now = utcnow()
        for st in s.exec(select(Stage).where(Stage.cycle_id == c.id)):
            st.opens_at, st.closes_at = now - timedelta(days=1), now + timedelta(days=5)
            s.add(st)
        s.flush()
    return c


def login(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
