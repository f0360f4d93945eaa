"""Times are stored in UTC and shown in the configured zone (Asia/Shanghai by default)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Shanghai"


def local_zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_zone())


def from_local(value: datetime | None) -> datetime | None:
    """A naive datetime typed in a form (local time) -> aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(UTC)


def fmt_dt(value: datetime | None, with_seconds: bool = False) -> str:
    local = to_local(value)
    if local is None:
        return "—"
    return local.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def fmt_input(value: datetime | None) -> str:
    """Value for an <input type=datetime-local>."""
    local = to_local(value)
    return local.strftime("%Y-%m-%dT%H:%M") if local else ""
