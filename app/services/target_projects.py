"""A unit's projects (项目): a workbook of several project sheets, and each project's money.

Import: a workbook whose sheets each hold a project's target table (each under its own
「项目名称」 above the header) is imported as one project table per sheet (``preview_projects`` /
``import_projects``), all or nothing. ``force`` treats every sheet with indicators as a project
even without 「项目名称」, named by the sheet. A workbook with one sheet of indicators, or whose
sheets do not all name a project, is one table as before (``targets.preview_import``).

Money (``save_budget``): 年初预算数, 全年预算数, 半年计划执行数 (the Changzhou table's column),
半年执行数 and 全年执行数 in 万元, kept in ``TargetTableRecord.budget`` (the year-end score uses
全年执行数 ÷ 全年预算数, see ``target_reports``). ``money_of`` gives the figures with the half-year
and full-year execution rates. The unit's reporters enter them while one of the year's
checkpoints is open and the year-end report is not submitted; the office at any time.

``projects_workbook`` exports the unit's project tables of a year, one sheet each (read back by
``preview_projects``), with a sheet 项目资金 of every project's money and rates.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session

from app.models import Unit
from app.models.targets import REPORT_STATUS, TargetTableRecord
from app.sheets.safety import UnsafeWorkbook, load_workbook_safely
from app.sheets.targets import read_target_workbook, write_projects_workbook

from . import PermissionDenied, ServiceError
from .audit import record
from .target_reports import _clean_budget, _stale, _touch
from .targets import ENTITY, ImportRefused, Preview, checkpoint, import_table, preview_import, table_of, tables_of

__all__ = ["Money", "ProjectPart", "ProjectsPreview", "import_projects", "money_of", "preview_projects",
           "project_tables", "projects_workbook", "save_budget"]

MAX_PROJECT = 200


@dataclass
class ProjectPart:
    sheet: str
    project: str
    preview: Preview


@dataclass
class ProjectsPreview:
    parts: list[ProjectPart]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(p.preview.ok for p in self.parts)

    @property
    def all_errors(self) -> list[str]:
        return self.errors + [f"项目「{p.project}」（工作表「{p.sheet}」）：{e}"
                              for p in self.parts for e in p.preview.errors]


def _sheet_names(data: bytes) -> list[str]:
    try:
        wb = load_workbook_safely(data, data_only=False)
    except UnsafeWorkbook:
        return []
    try:
        return [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    finally:
        wb.close()


def preview_projects(db: Session, *, data: bytes, unit: Unit, year: int, force: bool = False) -> ProjectsPreview | None:
    """The dry run of a workbook of several projects, or None when the workbook is one table."""
    found = []
    for name in _sheet_names(data):
        r = read_target_workbook(data, year=year, sheet=name)
        if r.headers:
            found.append((name, r))
    if len(found) < 2 or not (force or all(r.project for _n, r in found)):
        return None
    out = ProjectsPreview(parts=[])
    seen: dict[str, str] = {}
    for name, r in found:
        project = (r.project or name).strip()
        if len(project) > MAX_PROJECT:
            out.errors.append(f"工作表「{name}」的项目名称超过 {MAX_PROJECT} 字")
            continue
        if project in seen:
            out.errors.append(f"工作表「{seen[project]}」和「{name}」的项目名称都是「{project}」，每个项目只能有一张表")
            continue
        seen[project] = name
        out.parts.append(ProjectPart(name, project, preview_import(db, data=data, unit=unit, year=year,
                                                                   project=project, sheet=name)))
    return out


def import_projects(db: Session, *, actor_id: int | None, unit: Unit, year: int, data: bytes, filename: str = "",
                    force: bool = False, expected_versions: dict[str, int] | None = None) -> list[TargetTableRecord]:
    """Save every project sheet as the unit's project table for the year (each a new revision if it
    exists); refused as a whole, nothing saved, when one sheet cannot be imported.
    ``expected_versions``: project → the version seen in the preview (0: not there then)."""
    preview = preview_projects(db, data=data, unit=unit, year=year, force=force)
    if preview is None:
        raise ImportRefused("工作簿不是多个项目的目标表（需要至少两个工作表，各自写有“项目名称”）。")
    if not preview.ok:
        errors = preview.all_errors
        raise ImportRefused("导入被拒绝，未保存任何内容：" + "；".join(errors[:5]), errors)
    recs = []
    for part in preview.parts:
        recs.append(import_table(db, actor_id=actor_id, unit=unit, year=year, data=data, filename=filename,
                                 project=part.project, sheet=part.sheet,
                                 expected_version=None if expected_versions is None
                                 else expected_versions.get(part.project, 0)))
    return recs


def project_tables(db: Session, unit_id: int, year: int) -> list[TargetTableRecord]:
    return [t for t in tables_of(db, year=year, unit_ids=[unit_id]) if t.project]


# --------------------------------------------------------------------------- money

@dataclass(frozen=True)
class Money:
    """A table's money in 万元 (None: not entered) and its execution rates."""

    start: Decimal | None
    full: Decimal | None
    half_plan: Decimal | None
    half_spent: Decimal | None
    spent: Decimal | None

    @staticmethod
    def _rate(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
        return None if part is None or not whole else part / whole

    @property
    def half_rate(self) -> Decimal | None:
        """半年执行数 ÷ 半年计划执行数."""
        return self._rate(self.half_spent, self.half_plan)

    @property
    def full_rate(self) -> Decimal | None:
        """全年执行数 ÷ 全年预算数 (the year-end execution line's rate)."""
        return self._rate(self.spent, self.full)

    @property
    def figures(self) -> tuple[Decimal | None, ...]:
        return (self.start, self.full, self.half_plan, self.half_spent, self.spent)

    @property
    def entered(self) -> bool:
        return any(v is not None for v in (self.start, self.full, self.half_plan, self.half_spent, self.spent))


def money_of(rec: TargetTableRecord) -> Money:
    b = rec.budget or {}

    def dec(k: str) -> Decimal | None:
        v = b.get(k)
        return None if v in (None, "") else Decimal(str(v))

    return Money(dec("start"), dec("full"), dec("half_plan"), dec("half_spent"), dec("spent"))


def save_budget(db: Session, *, actor_id: int, identity, rec: TargetTableRecord, budget: dict,
                expected_version: int) -> None:
    """The table's money (keys of ``target_reports.BUDGET_FIELDS``, 万元; keys not given are kept)."""
    if not identity.has("office"):
        if rec.unit_id not in identity.units_for("reporter"):
            raise PermissionDenied("只能填报本单位的项目资金。")
        if not any((cp := checkpoint(db, rec.year, k)) is not None and cp.is_open for k in ("half_year", "full_year")):
            raise ServiceError(f"{rec.year}年实际值填报未开放，项目资金不能修改。")
        if rec.report_status in ("submitted", "accepted"):
            raise ServiceError(f"年度报告{REPORT_STATUS[rec.report_status]}，项目资金不能修改。")
    _stale(rec, expected_version, "项目资金")
    clean = _clean_budget(budget, rec.budget)
    if clean == (rec.budget or {}):
        return
    old = rec.budget or {}
    rec.budget = clean
    _touch(db, rec, actor_id)
    record(db, actor_id=actor_id, action="target_budget", entity=ENTITY, entity_id=rec.id, old={"budget": old},
           new={"budget": clean})


def projects_workbook(db: Session, unit: Unit, year: int) -> bytes:
    recs = project_tables(db, unit.id, year)
    if not recs:
        raise ServiceError(f"{unit.name} {year} 年度没有项目目标表。")
    return write_projects_workbook([(table_of(r), money_of(r).figures) for r in recs])
