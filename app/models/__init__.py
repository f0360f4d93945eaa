"""SQLModel tables, one module per topic. Importing this package registers every table on
``SQLModel.metadata`` (Alembic and the tests rely on that)."""

from . import base  # noqa: F401  (naming convention first)
from .audit import AuditEntry, JobRun, Notice
from .cycle import Cycle, Scheme, Stage, StageOverride
from .org import (
    CATEGORY_LABELS,
    LEADER_RANKS,
    ROLE_LABELS,
    SUBTYPES,
    LoginSession,
    LoginThrottle,
    RoleMembership,
    Unit,
    User,
)

__all__ = [
    "AuditEntry", "JobRun", "Notice", "Cycle", "Scheme", "Stage", "StageOverride",
    "CATEGORY_LABELS", "LEADER_RANKS", "ROLE_LABELS", "SUBTYPES", "LoginSession", "LoginThrottle",
    "RoleMembership", "Unit", "User",
]


def load_all() -> None:
    """Import every model module (other topics register themselves here as they are added)."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
