"""The daily backup: on the first tick of each local day after ``BACKUP_HOUR``, a backup of the
database into ``BACKUP_DIR`` (app.services.backup), then only the newest ``BACKUP_KEEP`` are
kept. Off when no directory is set. Idempotent: the day's file (or its ``.partial`` while it is
being written, by this or another process) means there is nothing to do."""

import os
import re
import time
from datetime import datetime

from flask import current_app
from sqlmodel import Session

from app.extensions import db as database
from app.services.backup import make_backup
from app.timefmt import to_local

from . import job

NAME = re.compile(r"^kpi-backup-(\d{8})\.(sqlite|tar)$")
STALE_PARTIAL = 6 * 3600  # a .partial older than this was left by a process that died


def backup_name(day: str, engine_name: str) -> str:
    return f"kpi-backup-{day}.{'sqlite' if engine_name == 'sqlite' else 'tar'}"


def prune(folder: str, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` daily backups; return the names removed."""
    names = sorted((n for n in os.listdir(folder) if NAME.match(n)), reverse=True)
    gone = names[max(keep, 1):]
    for n in gone:
        os.remove(os.path.join(folder, n))
    return gone


@job("backup")
def daily_backup(db: Session, now: datetime) -> str:
    cfg = current_app.config
    folder = cfg.get("BACKUP_DIR")
    if not folder:
        return ""
    local = to_local(now)
    if local.hour < cfg.get("BACKUP_HOUR", 2):
        return ""
    engine = database.engine
    os.makedirs(folder, mode=0o700, exist_ok=True)
    name = backup_name(f"{local:%Y%m%d}", engine.dialect.name)
    path = os.path.join(folder, name)
    if os.path.exists(path):
        return ""
    partial = path + ".partial"
    if os.path.exists(partial):
        if time.time() - os.path.getmtime(partial) < STALE_PARTIAL:
            return ""  # being written right now
        os.remove(partial)
    info = make_backup(engine, path)
    gone = prune(folder, cfg.get("BACKUP_KEEP", 7))
    return f"已备份到 {info.path}（{info.size // 1024} KB）" + (f"，删除旧备份 {len(gone)} 个" if gone else "")
