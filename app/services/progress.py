"""Following a stage and 催办: the rows of a stage (the registry's ``progress``), filtered and
searched, and reminding the people of selected rows now; batch actions on self-reports.

Every batch is all or nothing and checked against what the office confirmed: the confirmation
page carries each selected row with its state (``Row.status`` and, for self-reports, the
version); when any of them changed meanwhile the whole batch is refused as stale. A batch also
carries a token drawn when the confirmation was shown, so submitting it twice acts once.
"""

import secrets
from datetime import datetime

from sqlmodel import Session, select

from app.models import Cycle, Notice
from app.models.base import utcnow
from app.models.report import SelfReport
from app.timefmt import fmt_dt

from . import ServiceError, StaleData
from .audit import record
from .notices import notify
from .progress_rows import Row
from .stage_kinds import KINDS
from .stages import get_stage, overrides_for, stage_label, stage_state

FILTERS = {"": "全部", "pending": "未完成", "returned": "已退回", "behind": "落后", "done": "已完成"}
MESSAGE_MAX = 500


def has_progress(kind: str) -> bool:
    entry = KINDS.get(kind)
    return entry is not None and entry.progress is not None


def rows_of(db: Session, cycle: Cycle, kind: str) -> list[Row]:
    if not has_progress(kind):
        raise ServiceError(f"「{stage_label(kind)}」阶段没有进度页面。")
    return KINDS[kind].progress(db, cycle)


def elapsed_share(db: Session, cycle: Cycle, kind: str, now: datetime | None = None) -> float:
    """How much of the stage's time has passed: 0 before it opens, 1 once it has closed."""
    stage = get_stage(db, cycle.id, kind)
    state = stage_state(stage, overrides_for(db, stage.id), now)
    now = now or utcnow()
    if state.status == "closed":
        return 1.0
    if not state.is_open or stage.opens_at is None or state.until is None:
        return 0.0
    span = (state.until - stage.opens_at).total_seconds()
    return min(1.0, max(0.0, (now - stage.opens_at).total_seconds() / span)) if span > 0 else 1.0


def is_behind(row: Row, elapsed: float) -> bool:
    """落后: not done, and a smaller share done than the share of the stage's time gone."""
    return not row.finished and elapsed > 0 and row.share < elapsed


def select_rows(rows: list[Row], *, status: str = "", q: str = "", elapsed: float = 0.0) -> list[Row]:
    """The rows a filter (a key of :data:`FILTERS`) and a search (in name, group and detail) keep."""
    q = (q or "").strip().lower()
    keep = {
        "": lambda r: True,
        "pending": lambda r: not r.finished,
        "returned": lambda r: r.status == "returned",
        "behind": lambda r: is_behind(r, elapsed),
        "done": lambda r: r.finished,
    }.get(status)
    if keep is None:
        raise ServiceError("未知的筛选条件。")
    return [r for r in rows if keep(r) and (not q or q in f"{r.name} {r.group} {r.detail}".lower())]


def new_token() -> str:
    return secrets.token_hex(8)


def fingerprint(row: Row) -> str:
    """What the confirmation page shows of a row, posted back with it (see the module docstring)."""
    return f"{row.status}:{row.version or 0}"


def confirmed_rows(db: Session, cycle: Cycle, kind: str, selected: dict[str, str]) -> list[Row]:
    """The rows ``selected`` (key → :func:`fingerprint` posted back) as they are now; refused as
    stale when any is gone or changed, and when nothing was selected."""
    if not selected:
        raise ServiceError("请先勾选要处理的行。")
    rows = {r.key: r for r in rows_of(db, cycle, kind)}
    out = []
    for key, fp in selected.items():
        row = rows.get(key)
        if row is None:
            raise StaleData("所选的部分对象已不在列表中，请返回刷新后重新选择（本批未做任何处理）。")
        if fingerprint(row) != fp:
            raise StaleData(f"「{row.name}」的状态已变化（现为「{row.status_label}」），"
                            "请返回刷新后重新选择（本批未做任何处理）。")
        out.append(row)
    return out


def _token_used(db: Session, token: str) -> bool:
    return db.exec(select(Notice.id).where(Notice.dedupe_key.startswith(f"urge:{token}:"))).first() is not None


def require_open_for_remind(db: Session, cycle: Cycle, kind: str) -> None:
    """催办 only while the stage is open: before, nobody can act yet; after, nobody can any more."""
    stage = get_stage(db, cycle.id, kind)
    state = stage_state(stage, overrides_for(db, stage.id))
    if not state.is_open:
        if state.status == "closed":
            raise ServiceError(f"「{stage_label(kind)}」阶段已结束，不能催办；如需补交，请先在周期页面重新开放该阶段。")
        raise ServiceError(f"「{stage_label(kind)}」阶段尚未开始（{state.label}），不能催办。")


def check_remind(rows: list[Row]) -> list[Row]:
    """Refuse a 催办 of rows that are done or reach nobody (before the confirmation page too)."""
    done = [r.name for r in rows if r.finished]
    if done:
        raise ServiceError(f"「{'、'.join(done)}」已完成，无需催办（本批未发送）。")
    nobody = [r.name for r in rows if not r.recipients]
    if nobody:
        raise ServiceError(f"「{'、'.join(nobody)}」没有可以通知的账号（请先在“用户与角色”中设置），本批未发送。")
    return rows


def check_reports(rows: list[Row], action: str) -> list[Row]:
    """Refuse publishing rows that are not submitted-and-unpublished, or returning rows not submitted."""
    if action == "publish":
        bad = [r.name for r in rows if r.status != "done" or r.published]
        if bad:
            raise ServiceError(f"「{'、'.join(bad)}」不是待公示的已提交报告，本批未公示任何报告。")
    elif action == "return":
        bad = [r.name for r in rows if r.status != "done"]
        if bad:
            raise ServiceError(f"「{'、'.join(bad)}」的报告不是已提交状态，不能退回；本批未退回任何报告。")
    return rows


def remind(db: Session, *, actor_id: int, cycle: Cycle, kind: str, selected: dict[str, str], token: str,
           message: str = "") -> tuple[int, int]:
    """催办: notify now everyone of the selected rows not done yet (in-app, and by e-mail when mail
    is configured: the notice queues its copy for the mail job). Returns (rows, people)."""
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise ServiceError(f"催办附言最多 {MESSAGE_MAX} 字。", field="message")
    if not token or len(token) > 32:
        raise ServiceError("页面已过期，请返回刷新后重试。")
    if _token_used(db, token):
        raise StaleData("这批催办已经发送过，没有重复发送。")
    require_open_for_remind(db, cycle, kind)
    rows = check_remind(confirmed_rows(db, cycle, kind, selected))
    stage = get_stage(db, cycle.id, kind)
    state = stage_state(stage, overrides_for(db, stage.id))
    label = stage_label(kind)
    due = f"，截止时间 {fmt_dt(state.until)}" if state.until else ""
    people = sorted({uid for r in rows for uid in r.recipients})
    for uid in people:
        notify(db, user_id=uid, title=f"催办：请尽快完成{cycle.name}「{label}」",
               body=f"目标办提醒您：{cycle.name}「{label}」阶段您尚有未完成的事项{due}，请尽快处理。"
                    + (f"\n目标办附言：{message}" if message else ""),
               link="/", dedupe_key=f"urge:{token}:{uid}")
    record(db, actor_id=actor_id, action="urge", entity="stage", entity_id=stage.id, cycle_id=cycle.id,
           new={"stage": label, "rows": [r.name for r in rows], "recipients": people, "message": message})
    return len(rows), len(people)


def _reports(db: Session, cycle: Cycle, rows: list[Row]) -> list[tuple[Row, SelfReport]]:
    out = []
    for row in rows:
        unit_id = int(row.key.split(":")[1])
        report = db.exec(select(SelfReport).where(SelfReport.cycle_id == cycle.id,
                                                  SelfReport.unit_id == unit_id)).first()
        if report is None or report.version != row.version:
            raise StaleData(f"「{row.name}」的报告已变化，请返回刷新后重新选择（本批未做任何处理）。")
        out.append((row, report))
    return out


def publish_reports(db: Session, *, actor_id: int, cycle: Cycle, selected: dict[str, str]) -> int:
    """Publish the selected submitted reports, all or none. Returns how many."""
    from .reports import publish

    pairs = _reports(db, cycle, confirmed_rows(db, cycle, "self_report", selected))
    bad = [row.name for row, r in pairs if r.status != "submitted" or r.published_at is not None]
    if bad:
        raise ServiceError(f"「{'、'.join(bad)}」不是待公示的已提交报告，本批未公示任何报告。")
    for _row, report in pairs:
        publish(db, actor_id=actor_id, report=report)
    record(db, actor_id=actor_id, action="publish_batch", entity="self_report", cycle_id=cycle.id,
           new={"units": [row.name for row, _ in pairs]})
    return len(pairs)


def return_reports(db: Session, *, actor_id: int, cycle: Cycle, selected: dict[str, str], comment: str) -> int:
    """Return the selected submitted reports with one comment, all or none. Returns how many."""
    from .reports import return_report

    comment = (comment or "").strip()
    if not comment:
        raise ServiceError("退回时请填写修改意见。", field="comment")
    pairs = _reports(db, cycle, confirmed_rows(db, cycle, "self_report", selected))
    bad = [row.name for row, r in pairs if r.status != "submitted"]
    if bad:
        raise ServiceError(f"「{'、'.join(bad)}」的报告不是已提交状态，不能退回；本批未退回任何报告。")
    for _row, report in pairs:
        return_report(db, actor_id=actor_id, report=report, comment=comment, expected_version=report.version)
    record(db, actor_id=actor_id, action="return_batch", entity="self_report", cycle_id=cycle.id,
           new={"units": [row.name for row, _ in pairs]}, reason=comment)
    return len(pairs)
