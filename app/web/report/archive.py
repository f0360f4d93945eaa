"""The archive of a cycle's published self-reports: one PDF with a cover and every unit from a new page,
or a zip with one PDF per unit. Both are the public report page's A4 layout, rendered by WeasyPrint with
the CJK font scripts/system_deps.sh installs (see app/sheets/target_report_pdf)."""

import io
import zipfile

from flask import flash, redirect, render_template, request, send_file, url_for

from app.extensions import get_db
from app.models import Cycle, Unit
from app.models.base import utcnow
from app.models.report import REPORT_SECTIONS
from app.security import allow
from app.services import reports
from app.sheets.target_report_pdf import report_pdf
from app.web import heavy
from app.web.common import cycle_or_404

from . import bp
from .routes import report_items


def published_docs(dbs, cycle: Cycle) -> list[dict]:
    """Each published report of the cycle with what its page shows, in the order of the public list."""
    rs = [r for r in reports.reports_of_cycle(dbs, cycle.id).values() if r.published_at]
    units = {u.id: u for u in (dbs.get(Unit, r.unit_id) for r in rs) if u}
    rs = sorted((r for r in rs if r.unit_id in units),
                key=lambda r: (units[r.unit_id].category, units[r.unit_id].position, r.unit_id))
    docs = []
    for r in rs:
        items, general = report_items(dbs, cycle, units[r.unit_id], r, snapshot=True)
        docs.append({"unit": units[r.unit_id], "report": r, "indicators": items, "general_evidence": general,
                     "texts": r.submitted_texts or {}})
    return docs


def _pdf(cycle: Cycle, docs: list[dict], *, cover: bool) -> bytes:
    html = render_template("report/archive.html", cycle=cycle, docs=docs, cover=cover, sections=REPORT_SECTIONS,
                           made_at=utcnow())
    with heavy.slot():  # WeasyPrint: ~100 MB while it runs; one at a time per worker (app/web/heavy.py)
        return report_pdf(html, base_url=request.url_root)


def _download(data: bytes, mimetype: str, name: str):
    resp = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _docs_or_back(cycle: Cycle):
    docs = published_docs(get_db(), cycle)
    if not docs:
        flash("本周期还没有公示的自查报告，无法导出。", "info")
    return docs


@bp.route("/report/office/cycles/<id:cycle_id>/archive.pdf")
@allow("office")
def archive_pdf(cycle_id: int):
    """All published reports of the cycle as one PDF: a cover listing the units, then one section per unit."""
    cycle = cycle_or_404(cycle_id)
    docs = _docs_or_back(cycle)
    if not docs:
        return redirect(url_for("report.office_list", cycle_id=cycle.id))
    return _download(_pdf(cycle, docs, cover=True), "application/pdf", f"{cycle.name}各单位自查自评报告.pdf")


@bp.route("/report/office/cycles/<id:cycle_id>/archive.zip")
@allow("office")
def archive_zip(cycle_id: int):
    """One PDF per published report, in a zip, named by position and unit."""
    cycle = cycle_or_404(cycle_id)
    docs = _docs_or_back(cycle)
    if not docs:
        return redirect(url_for("report.office_list", cycle_id=cycle.id))
    buf = io.BytesIO()
    with heavy.slot(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:  # one slot for all the PDFs
        for i, d in enumerate(docs, start=1):
            zf.writestr(f"{i:02d}-{d['unit'].name}自查自评报告.pdf", _pdf(cycle, [d], cover=False))
    return _download(buf.getvalue(), "application/zip", f"{cycle.name}各单位自查自评报告.zip")
