"""Backups of the whole database while the server runs, and restoring one into an empty database.

SQLite (:func:`make_backup` → one ``.sqlite`` file): SQLite's online backup API
(``sqlite3.Connection.backup``) copies a consistent snapshot of the live database (WAL included)
into memory, and ``VACUUM INTO`` writes that copy out rebuilt: every table is written afresh in
key order into new pages, with no free pages, no left-over cells and no WAL. That matters during
an open democratic vote (see :class:`app.models.voting.Ballot`): in the live file a ballot's
place — which page it landed on when a page split, where in the page its cell was written —
follows the order ballots were cast, and so does a roll entry's change and a receipt's row; a
page copy would carry that order. In the rebuilt copy ballots and receipts are laid out by their
random keys only. The unrebuilt snapshot never touches the disk.

PostgreSQL (→ one ``.tar`` archive): ``pg_dump`` in custom format of everything but the rows of
``ballot`` and ``receipt``, and those rows written in key order by ``COPY (… ORDER BY …)``, all
from one exported snapshot (``pg_export_snapshot``), so the archive is consistent; a plain dump
would list ballots and receipts in heap order, which during a vote is casting order. Restoring
loads them in that order in one transaction.

Both kinds carry the Alembic revision of the database; :func:`restore_backup` refuses a backup
whose revision is not the code's head, and any target database that is not empty.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from app.models.base import utcnow

from . import ServiceError

FORMAT = "kpi-backup/1"
SORTED_TABLES = {"ballot": "id", "receipt": "code"}  # rows written in key order, not heap order
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(ServiceError):
    pass


@dataclass
class BackupInfo:
    path: str
    engine: str  # sqlite | postgresql
    revision: str | None
    created_at: datetime
    size: int


def head_revision() -> str:
    """The Alembic head of the code (the migrations directory)."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cfg = AlembicConfig(os.path.join(root, "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(root, "migrations"))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    if len(heads) != 1:
        raise BackupError(f"代码中的数据库迁移有 {len(heads)} 个最新版本（{', '.join(heads)}），请先合并迁移。")
    return heads[0]


def _sqlite_path(url: str) -> str:
    u = make_url(url)
    if not u.database or u.database == ":memory:":
        raise BackupError("内存数据库无法备份或恢复。")
    return os.path.abspath(u.database)


def _private_file(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def _partial(out: str) -> str:
    out = os.path.abspath(out)
    if os.path.exists(out):
        raise BackupError(f"「{out}」已存在，不会覆盖；请换一个文件名。")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    return out + ".partial"


def make_backup(engine: Engine, out: str) -> BackupInfo:
    """Write a backup of the database behind ``engine`` to ``out`` (must not exist), readable
    only by its owner. Safe while the server runs and during an open vote."""
    if engine.dialect.name == "sqlite":
        return _sqlite_backup(_sqlite_path(str(engine.url)), out)
    if engine.dialect.name == "postgresql":
        return _pg_backup(engine, out)
    raise BackupError(f"不支持的数据库：{engine.dialect.name}")


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _sqlite_backup(src_path: str, out: str) -> BackupInfo:
    if not os.path.exists(src_path):
        raise BackupError(f"数据库文件「{src_path}」不存在。")
    partial = _partial(out)
    src = sqlite3.connect(src_path, timeout=30)
    mem = sqlite3.connect(":memory:")
    try:
        src.backup(mem)  # one step: a consistent snapshot, the WAL's committed frames included
        revision = _sqlite_revision(mem)
        os.close(_private_file(partial))  # created 0600 and empty, as VACUUM INTO requires
        mem.execute("VACUUM INTO ?", (partial,))  # rebuilt in key order; journal mode DELETE, no WAL
    except sqlite3.Error as exc:
        _remove(partial)
        raise BackupError(f"备份失败：{exc}") from exc
    finally:
        mem.close()
        src.close()
    check = sqlite3.connect(partial)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if ok != "ok":
        _remove(partial)
        raise BackupError(f"备份文件校验失败：{ok}")
    os.replace(partial, os.path.abspath(out))
    return BackupInfo(path=os.path.abspath(out), engine="sqlite", revision=revision, created_at=utcnow(),
                      size=os.path.getsize(out))


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


# ---------------------------------------------------------------- PostgreSQL
def _pg_env(url) -> dict[str, str]:
    """libpq's environment for ``url`` (the password never on a command line)."""
    u = make_url(str(url)) if not hasattr(url, "drivername") else url
    env = dict(os.environ)
    for key, value in (("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username),
                       ("PGPASSWORD", u.password), ("PGDATABASE", u.database)):
        if value is not None:
            env[key] = str(value)
    if u.query.get("host"):  # a socket directory: postgresql+psycopg:///kpi?host=/var/run/postgresql
        env["PGHOST"] = str(u.query["host"])
    return env


def _pg_tool(name: str, major: int | None) -> str:
    """``pg_dump`` / ``pg_restore`` of the server's major version when Debian has it installed
    side by side, else the one on PATH."""
    if major:
        p = f"/usr/lib/postgresql/{major}/bin/{name}"
        if os.path.exists(p):
            return p
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"找不到 {name}：请安装与数据库服务器同一主版本的 PostgreSQL 客户端（Debian：postgresql-client）。"
        )
    return found


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{what}失败：{(proc.stderr or proc.stdout).strip()[:2000]}")


def _server_major(conn) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000


def _pg_backup(engine: Engine, out: str) -> BackupInfo:
    partial = _partial(out)
    with tempfile.TemporaryDirectory(prefix="kpi-backup-") as tmp:
        os.chmod(tmp, 0o700)
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
                major = _server_major(conn)
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                    if conn.execute(text("SELECT to_regclass('public.alembic_version')")).scalar() else None
                counts = {}
                raw = conn.connection.driver_connection
                for table, key in SORTED_TABLES.items():
                    with open(os.path.join(tmp, f"{table}.copy"), "wb") as fh, raw.cursor() as cur:
                        with cur.copy(f"COPY (SELECT * FROM {table} ORDER BY {key}) TO STDOUT") as copy:
                            for chunk in copy:
                                fh.write(chunk)
                    counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                # pg_dump reads the same snapshot while this transaction stays open
                cmd = [_pg_tool("pg_dump", major), "--format=custom", "--no-owner", "--no-privileges",
                       f"--snapshot={snapshot}", "--file", os.path.join(tmp, "database.pgdump")]
                cmd += [f"--exclude-table-data={t}" for t in SORTED_TABLES]
                _run(cmd, _pg_env(engine.url), "pg_dump")
        manifest = {"format": FORMAT, "engine": "postgresql", "alembic_revision": revision,
                    "created_at": utcnow().isoformat(), "server_major": major, "sorted_tables": counts}
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fd = _private_file(partial)
        try:
            with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w") as tar:
                for name in ["manifest.json", "database.pgdump", *[f"{t}.copy" for t in SORTED_TABLES]]:
                    tar.add(os.path.join(tmp, name), arcname=name)
        except BaseException:
            _remove(partial)
            raise
    os.replace(partial, os.path.abspath(out))
    return BackupInfo(path=os.path.abspath(out), engine="postgresql", revision=revision, created_at=utcnow(),
                      size=os.path.getsize(out))


# ---------------------------------------------------------------- restore
def read_backup(path: str) -> tuple[str, str | None]:
    """(engine, Alembic revision) of a backup file. Raises BackupError if it is not one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BackupError(f"无法打开备份文件「{path}」：{exc.strerror or exc}") from exc
    if head == SQLITE_MAGIC:
        conn = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True)
        try:
            return "sqlite", _sqlite_revision(conn)
        finally:
            conn.close()
    if tarfile.is_tarfile(path):
        manifest = _manifest(path)
        return manifest.get("engine", ""), manifest.get("alembic_revision")
    raise BackupError(f"「{path}」不是本系统的备份文件（既不是 SQLite 数据库，也不是 PostgreSQL 备份包）。")


def _manifest(path: str) -> dict:
    with tarfile.open(path) as tar:
        try:
            member = tar.getmember("manifest.json")
            data = json.loads(tar.extractfile(member).read().decode("utf-8"))
        except (KeyError, ValueError, AttributeError) as exc:
            raise BackupError(f"「{path}」不是本系统的备份包（缺少或无法读取 manifest.json）。") from exc
    if data.get("format") != FORMAT:
        raise BackupError(f"备份包格式「{data.get('format')}」不受支持（应为 {FORMAT}）。")
    return data


ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def restore_backup(url: str, path: str) -> BackupInfo:
    """Restore the backup at ``path`` into the EMPTY database at ``url``. Refuses a backup of
    another engine, a backup whose Alembic revision is not the code's head, a non-empty target."""
    engine_name, revision = read_backup(path)
    target = make_url(url).get_backend_name()
    if engine_name != target:
        raise BackupError(f"这是 {ENGINE_LABELS.get(engine_name, engine_name)} 的备份，目标数据库是 "
                          f"{ENGINE_LABELS.get(target, target)}：只能恢复到同一种数据库。")
    head = head_revision()
    if revision is None:
        raise BackupError("备份中没有数据库版本记录（alembic_version），无法确认与本程序匹配，未恢复。")
    if revision != head:
        raise BackupError(f"备份的数据库版本是 {revision}，本程序的数据库版本是 {head}：版本不一致，未恢复。"
                          "请用与备份时相同版本的程序恢复，再运行 kpi db-upgrade 升级。")
    if target == "sqlite":
        return _sqlite_restore(_sqlite_path(url), path, revision)
    return _pg_restore(url, path, revision)


def _sqlite_restore(dst_path: str, path: str, revision: str) -> BackupInfo:
    os.makedirs(os.path.dirname(dst_path), exist_ok=True)
    dst = sqlite3.connect(dst_path, timeout=30)
    try:
        tables = dst.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise BackupError(f"目标数据库「{dst_path}」不是空的（已有 {tables} 张表）：只能恢复到空数据库，未恢复。")
        src = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True)
        try:
            src.backup(dst)
        finally:
            src.close()
        dst.execute("PRAGMA journal_mode=WAL")
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"恢复后的数据库校验失败：{ok}")
    finally:
        dst.close()
    return BackupInfo(path=dst_path, engine="sqlite", revision=revision, created_at=utcnow(),
                      size=os.path.getsize(dst_path))


def _pg_restore(url: str, path: str, revision: str) -> BackupInfo:
    from app.extensions import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM information_schema.tables "
                                       "WHERE table_schema = 'public'")).scalar()
            major = _server_major(conn)
        if tables:
            raise BackupError(
                f"目标数据库「{make_url(url).database}」不是空的（已有 {tables} 张表）：只能恢复到空数据库，未恢复。"
            )
        manifest = _manifest(path)
        with tempfile.TemporaryDirectory(prefix="kpi-restore-") as tmp:
            os.chmod(tmp, 0o700)
            with tarfile.open(path) as tar:
                for name in ["database.pgdump", *[f"{t}.copy" for t in SORTED_TABLES]]:
                    member = tar.getmember(name)
                    if not member.isfile():
                        raise BackupError(f"备份包中的「{name}」不是普通文件。")
                    with tar.extractfile(member) as src, open(os.path.join(tmp, name), "wb") as dst:
                        shutil.copyfileobj(src, dst)
            # the schema and every other row in one transaction; then the sorted rows in one more
            _run([_pg_tool("pg_restore", major), "--no-owner", "--no-privileges", "--exit-on-error",
                  "--single-transaction", "--dbname", make_url(url).database, os.path.join(tmp, "database.pgdump")],
                 _pg_env(make_url(url)), "pg_restore")
            with engine.connect() as conn:
                with conn.begin():
                    raw = conn.connection.driver_connection
                    for table in SORTED_TABLES:
                        with open(os.path.join(tmp, f"{table}.copy"), "rb") as fh, raw.cursor() as cur:
                            with cur.copy(f"COPY {table} FROM STDIN") as copy:
                                while chunk := fh.read(1 << 16):
                                    copy.write(chunk)
                    for table, want in (manifest.get("sorted_tables") or {}).items():
                        got = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                        if got != want:
                            raise BackupError(f"恢复后「{table}」有 {got} 行，备份中为 {want} 行；"
                                              "请清空目标数据库后重新恢复。")
    finally:
        engine.dispose()
    return BackupInfo(path=url, engine="postgresql", revision=revision, created_at=utcnow(), size=os.path.getsize(path))
