"""Backups while the server runs and during an open vote; restoring into an empty database.

On the engine the suite runs on (SQLite, or the PostgreSQL server of ``make test``): a database
made by the migrations, a whole simulated cycle to publication (results, receipts, ballots), a
second cycle with its democratic rating open and ballots being cast, ``kpi backup``, ``kpi
restore`` into another empty database, and every row of every table compared."""

import io
import json
import os
import sqlite3
import tarfile
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from app import create_app
from app.extensions import db as database
from app.jobs.backup import daily_backup
from app.models import Cycle
from app.models.base import utcnow
from app.models.voting import Ballot, RaterGroup, Receipt, RollEntry
from app.services import backup as bk
from app.services import voting
from config import TestConfig
from tests.builders import factories as f
from tests.builders.databases import PG_ADMIN_URL, PG_URL, create_pg_database, drop_pg_database
from tests.test_migrations import _config


@pytest.fixture
def two_databases(tmp_path):
    """(source URL, empty target URL) on the suite's engine; the source migrated to head."""
    if PG_URL:
        if not PG_ADMIN_URL:
            pytest.skip("needs KPI_TEST_PG_ADMIN_URL to create databases")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        names = [f"kpi_bk_src_{worker}", f"kpi_bk_dst_{worker}"]
        urls = [create_pg_database(n) for n in names]
    else:
        names, urls = [], [f"sqlite:///{tmp_path / 'src.db'}", f"sqlite:///{tmp_path / 'restored' / 'dst.db'}"]
    command.upgrade(_config(urls[0]), "head")
    yield urls
    database.dispose_all()
    for n in names:
        drop_pg_database(n)


def _app(url, tmp_path, **extra):
    attrs = {"DATABASE_URL": url, "UPLOAD_FOLDER": str(tmp_path / "uploads"), "INSTANCE_PATH": str(tmp_path / "inst"),
             **extra}
    return create_app(type("Cfg", (TestConfig,), attrs))


def _cast(engine, cycle_id: int, entries: list[RollEntry], groups: dict[int, str]) -> list[str]:
    """Cast one valid ballot (every unit 良好) per roll entry, in order; the receipts."""
    receipts = []
    for e in entries:
        ctx = voting.ballot_context(engine, cycle_id, fresh=True)
        choices = {u.id: 1 for rows in ctx.units_for(e.unit_id).values() for u in rows}
        receipts.append(voting.cast_ballot(engine, cycle_id=cycle_id, roll_id=e.id, group_key=groups[e.group_id],
                                           choices=choices, ctx=ctx))
    return receipts


def _all_rows(engine) -> dict[str, list]:
    out = {}
    with engine.connect() as conn:
        for table in [*SQLModel.metadata.sorted_tables]:
            rows = conn.execute(sa_select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
        out["alembic_version"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return out


def test_backup_during_an_open_vote_restores_every_ballot_receipt_and_result(two_databases, tmp_path):
    src_url, dst_url = two_databases
    src = _app(src_url, tmp_path / "a")
    runner = src.test_cli_runner()
    r = runner.invoke(args=["kpi", "simulate", "--voters", "12", "--seed", "5", "--cycle-name", "备份测试周期"])
    assert r.exit_code == 0, r.output
    engine = database.engine_for(src_url)
    voting.forget_context()
    with src.app_context(), Session(engine) as s:
        # the demo cycle: its democratic rating is open now, codes printed
        demo = s.exec(select(Cycle).where(Cycle.name != "备份测试周期")).one()
        assert voting.stage_is_open(s, demo.id)
        entries = list(s.exec(select(RollEntry).where(RollEntry.cycle_id == demo.id, RollEntry.code.is_not(None),
                                                      RollEntry.voted == False)  # noqa: E712
                              .order_by(RollEntry.id)).all())[:8]
        groups = {g.id: g.key for g in s.exec(select(RaterGroup))}
        receipts = _cast(engine, demo.id, entries, groups)
    with src.app_context(), Session(engine) as s:
        before_tally = voting.tally(s, s.get(Cycle, demo.id))
    out = tmp_path / "kpi.backup"
    r = runner.invoke(args=["kpi", "backup", str(out)])
    assert r.exit_code == 0, r.output
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    assert runner.invoke(args=["kpi", "backup", str(out)]).exit_code != 0  # never overwrites
    # voting goes on after the backup: not in the copy
    with src.app_context(), Session(engine) as s:
        more = list(s.exec(select(RollEntry).where(RollEntry.cycle_id == demo.id, RollEntry.code.is_not(None),
                                                   RollEntry.voted == False).order_by(RollEntry.id)).all())[:1]  # noqa: E712
    with src.app_context():
        _cast(engine, demo.id, more, groups)

    dst = _app(dst_url, tmp_path / "b")
    r = dst.test_cli_runner().invoke(args=["kpi", "restore", str(out)])
    assert r.exit_code == 0, r.output
    dst_engine = database.engine_for(dst_url)
    got, want = _all_rows(dst_engine), _all_rows(engine)
    ballots_now = want.pop("ballot")
    assert len(got["ballot"]) == len(ballots_now) - 1
    assert set(got["ballot"]) < set(ballots_now)
    got.pop("ballot")
    for name in ("receipt", "roll_entry"):  # the ballot cast after the backup changed these too
        assert len(got[name]) == len(want[name]) - (1 if name == "receipt" else 0)
        got.pop(name), want.pop(name)
    assert got == want  # every other row of every table, results included
    assert got["result_row"] and got["result_set"]
    with dst.app_context(), Session(dst_engine) as s:
        restored_receipts = set(s.exec(select(Receipt.code).where(Receipt.cycle_id == demo.id)))
        assert set(receipts) <= restored_receipts and len(restored_receipts) == len(receipts)
        after = voting.tally(s, s.get(Cycle, demo.id))
        assert after.ballots == before_tally.ballots == len(receipts)
        assert {ut.unit.id: (ut.total, ut.points) for rows in after.by_category.values() for ut in rows} == \
            {ut.unit.id: (ut.total, ut.points) for rows in before_tally.by_category.values() for ut in rows}
    if PG_URL:
        # the archive lists ballots by their random key, and the restored heap holds them so
        with tarfile.open(out) as tar:
            listed = [line.split(b"\t", 1)[0].decode() for line in tar.extractfile("ballot.copy").read().splitlines()]
        assert listed == sorted(listed) and len(listed) == len(ballots_now) - 1
        with dst_engine.connect() as conn:
            heap = list(conn.execute(text("SELECT id FROM ballot ORDER BY ctid")).scalars())
        assert heap == sorted(heap) == sorted(listed)
    # into a database that is not empty any more: refused
    r = dst.test_cli_runner().invoke(args=["kpi", "restore", str(out)])
    assert r.exit_code != 0 and "不是空的" in r.output


def _offset_order(data: bytes, ids: list[str]) -> list[str]:
    return [i for _pos, i in sorted((data.find(i.encode()), i) for i in ids)]


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite file's layout")
def test_sqlite_backup_carries_no_trace_of_casting_order(app, session, engine, tmp_path):
    colleges = [f.unit(session, f"学院{i}") for i in range(5)]
    assert colleges
    cycle = f.cycle(session, scheme=f.voting_scheme(session))
    groups = voting.create_default_groups(session, actor_id=None, cycle=cycle)
    voting.issue_codes(session, actor_id=None, cycle=cycle, group_id=groups[0].id, count=30, batch="b")
    session.commit()
    voting.forget_context()
    entries = voting.codes_of_batch(session, cycle.id, "b")
    gk = {g.id: g.key for g in groups}
    cast_order = []
    for e in entries:
        seen = set(session.exec(select(Ballot.id)))
        _cast(engine, cycle.id, [e], gk)
        session.expire_all()
        (new,) = set(session.exec(select(Ballot.id))) - seen
        cast_order.append(new)
    assert cast_order != sorted(cast_order)
    path = engine.url.database
    # a page-for-page copy of the live file keeps the casting order (cells are written where
    # they arrive): that is what the backup must not do
    raw = sqlite3.connect(str(tmp_path / "raw.db"))
    live = sqlite3.connect(path)
    live.backup(raw)
    live.close()
    raw.close()
    control = _offset_order((tmp_path / "raw.db").read_bytes(), cast_order)
    assert control in (cast_order, cast_order[::-1])
    info = bk.make_backup(engine, str(tmp_path / "b.sqlite"))
    data = (tmp_path / "b.sqlite").read_bytes()
    assert all(data.count(i.encode()) == 1 for i in cast_order)  # no stale copy of a cell anywhere
    assert _offset_order(data, cast_order) in (sorted(cast_order), sorted(cast_order, reverse=True))
    assert not os.path.exists(info.path + "-wal")
    copy = sqlite3.connect(info.path)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert copy.execute("SELECT count(*) FROM ballot").fetchone()[0] == 30
    copy.close()


@pytest.mark.skipif(bool(PG_URL), reason="SQLite files")
def test_restore_refuses_another_revision_another_engine_and_non_backups(tmp_path):
    src_url = f"sqlite:///{tmp_path / 'src.db'}"
    command.upgrade(_config(src_url), "head")
    src = _app(src_url, tmp_path)
    info = bk.make_backup(database.engine_for(src_url), str(tmp_path / "b.sqlite"))
    assert info.revision == bk.head_revision()
    conn = sqlite3.connect(info.path)
    conn.execute("UPDATE alembic_version SET version_num = 'abc123'")
    conn.commit()
    conn.close()
    with pytest.raises(bk.BackupError, match="备份的数据库版本是 abc123，本程序的数据库版本是"):
        bk.restore_backup(f"sqlite:///{tmp_path / 'new.db'}", info.path)
    assert not os.path.exists(tmp_path / "new.db") or os.path.getsize(tmp_path / "new.db") == 0
    fake = tmp_path / "pg.tar"
    with tarfile.open(fake, "w") as tar:
        body = json.dumps({"format": bk.FORMAT, "engine": "postgresql", "alembic_revision": "x"}).encode()
        member = tarfile.TarInfo("manifest.json")
        member.size = len(body)
        tar.addfile(member, io.BytesIO(body))
    with pytest.raises(bk.BackupError, match="这是 PostgreSQL 的备份，目标数据库是 SQLite"):
        bk.restore_backup(f"sqlite:///{tmp_path / 'new.db'}", str(fake))
    (tmp_path / "junk").write_bytes(b"hello world, not a backup")
    r = src.test_cli_runner().invoke(args=["kpi", "restore", str(tmp_path / "junk")])
    assert r.exit_code != 0 and "不是本系统的备份文件" in r.output


def test_daily_backup_job_is_idempotent_keeps_the_newest_and_is_off_without_a_dir(app, session, tmp_path):
    folder = tmp_path / "backups"
    with app.app_context():
        now = utcnow().replace(hour=3)  # 11:00 in Beijing, past the backup hour
        assert daily_backup(session, now) == ""  # no directory: off
        app.config.update(BACKUP_DIR=str(folder), BACKUP_KEEP=2, BACKUP_HOUR=2)
        folder.mkdir()
        for day in ("20200101", "20200102"):
            (folder / f"kpi-backup-{day}.{'sqlite' if not PG_URL else 'tar'}").write_bytes(b"old")
        if PG_URL and not bk.shutil.which("pg_dump"):
            pytest.skip("pg_dump is not installed")
        result = daily_backup(session, now)
        assert result.startswith("已备份到") and "删除旧备份 1 个" in result
        names = sorted(os.listdir(folder))
        assert len(names) == 2 and names[0].endswith(("20200102.sqlite", "20200102.tar"))
        assert daily_backup(session, now) == ""  # the day's backup exists: nothing to do
        assert daily_backup(session, now + timedelta(days=1)).startswith("已备份到")
        assert len(os.listdir(folder)) == 2
