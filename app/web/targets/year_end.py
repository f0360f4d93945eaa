"""Year-end pages of a target table: the score and the unit's report (with the overall
self-evaluation's deductions), submitting it, the office's review, the printable report and its
Word file, the exported self-evaluation sheet, and the office's judging settings of the table."""

import io
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.extensions import get_db
from app.models import Unit
from app.models.targets import REPORT_STATUS
from app.rubric.tablesettings import OVERACHIEVEMENT, SCORING
from app.rubric.targets import groups_of
from app.security import allow
from app.services import ServiceError, StaleData
from app.services import target_history as hist
from app.services import target_overview as ov
from app.services import target_projects as psvc
from app.services import target_reports as ysvc
from app.services import targets as svc
from app.sheets.target_report_pdf import report_pdf as report_pdf_bytes
from app.timefmt import to_local
from app.web import heavy
from app.web.common import attempt, fail, posted_version

from . import bp
from .forms import REPORT_TEXTS, CsrfForm, ReportForm, ReviewForm
from .kept import download
from .routes import _ctx, _table_or_404, _xlsx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DEDUCTION_ROWS = 3  # deduction lines offered per dimension on the page


def _deductions_posted(dims) -> list[dict]:
    out = []
    for d in dims:
        for i in range(DEDUCTION_ROWS):
            out.append({"dimension": d.key, "points": request.form.get(f"ded_{d.key}_{i}_points", ""),
                        "reason": request.form.get(f"ded_{d.key}_{i}_reason", "")})
    return out


def report_texts(rec) -> dict[str, str]:
    """The report's narrative sections: what the unit wrote, else what the imported table says
    above its header (单位主要职能, 年度目标)."""
    texts = dict((rec.self_eval or {}).get("texts", {}))
    info = svc.table_of(rec).info
    defaults = {"functions": info.get("单位主要职能", ""), "goals": info.get("年度目标", "")}
    for k in REPORT_TEXTS:
        if not texts.get(k):
            texts[k] = defaults.get(k, "")
    return texts


@bp.route("/tables/<id:table_id>/year-end", methods=["GET", "POST"])
@allow("reporter", "office")
def year_end(table_id: int):
    dbs = get_db()
    rec = _table_or_404(table_id)
    form = ReportForm()
    cp = svc.checkpoint(dbs, rec.year, "full_year")
    settings = svc.settings_of(rec)
    locked = rec.report_status in ("submitted", "accepted")
    editable = current_user.has("office") or (svc.may_report(current_user, rec) and cp is not None and cp.is_open
                                              and not locked)
    posted_deductions = None
    if request.method == "POST":
        if not editable:
            flash("年度报告已提交或全年实际值填报未开放，年度报告不能修改。", "error")
            return redirect(url_for("targets.year_end", table_id=rec.id))
        if form.validate_on_submit():
            posted_deductions = _deductions_posted(settings.dimensions)
            try:
                ysvc.save_report(dbs, actor_id=current_user.id, identity=current_user, rec=rec,
                                 summary=form.summary.data, problems=form.problems.data, fixes=form.fixes.data,
                                 budget={"start": form.budget_start.data, "full": form.budget_full.data,
                                         "spent": form.budget_spent.data},
                                 texts={k: form[k].data for k in REPORT_TEXTS},
                                 deductions=posted_deductions if settings.scoring == "overall" else None,
                                 expected_version=posted_version(form.version.data))
            except StaleData as exc:
                fail(exc)
                return redirect(url_for("targets.year_end", table_id=rec.id))
            except ServiceError as exc:
                fail(exc, form)
            else:
                flash("已保存年度报告。", "success")
                return redirect(url_for("targets.year_end", table_id=rec.id))
    else:
        form.version.data = rec.version
        form.summary.data, form.problems.data, form.fixes.data = rec.summary, rec.problems, rec.fixes
        texts = report_texts(rec)
        for k in REPORT_TEXTS:
            form[k].data = texts.get(k, "")
        b = rec.budget or {}
        form.budget_start.data, form.budget_full.data, form.budget_spent.data = (
            b.get("start", ""), b.get("full", ""), b.get("spent", ""))
    ye = ysvc.year_end_score(dbs, rec)
    notes = {pos: a.note for (pos, _k), a in svc.actuals_of(dbs, rec.id, "full_year").items() if a.note}
    deductions = posted_deductions or [
        {"dimension": d.dimension, "points": str(d.points), "reason": d.reason} for d in ysvc.deductions_of(rec)]
    by_dim = {d.key: [x for x in deductions if x["dimension"] == d.key] for d in settings.dimensions}
    review = ReviewForm()
    review.version.data = rec.version
    return render_template("targets/year_end.html", ye=ye, form=form, editable=editable, notes=notes,
                           by_dim=by_dim, DEDUCTION_ROWS=DEDUCTION_ROWS, REPORT_STATUS=REPORT_STATUS,
                           review=review, submit_form=CsrfForm(), **_ctx(rec))


@bp.route("/tables/<id:table_id>/year-end/submit", methods=["POST"])
@allow("reporter")
def year_end_submit(table_id: int):
    rec = _table_or_404(table_id)
    if not svc.may_report(current_user, rec) or not CsrfForm().validate_on_submit():
        abort(404)
    attempt(ysvc.submit_report, get_db(), actor_id=current_user.id, identity=current_user, rec=rec,
            expected_version=posted_version(request.form.get("version")), ok="已提交年度报告，等待目标办审核。")
    return redirect(url_for("targets.year_end", table_id=rec.id))


@bp.route("/tables/<id:table_id>/year-end/review", methods=["POST"])
@allow("office")
def year_end_review(table_id: int):
    rec = _table_or_404(table_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash("审核意见过长或页面已过期。", "error")
        return redirect(url_for("targets.year_end", table_id=rec.id))
    accept = request.form.get("decision") == "accept"
    attempt(ysvc.review_report, get_db(), actor_id=current_user.id, identity=current_user, rec=rec, accept=accept,
            comment=form.comment.data, expected_version=posted_version(form.version.data),
            ok="已审核通过年度报告。" if accept else "已退回年度报告，单位可修改后重新提交。")
    return redirect(url_for("targets.year_end", table_id=rec.id))


def _report_context(rec) -> dict:
    dbs = get_db()
    ye = ysvc.year_end_score(dbs, rec)
    when = to_local(rec.submitted_at or rec.updated_at)
    return {"ye": ye, "half": svc.progress(dbs, rec, "half_year"), "texts": report_texts(rec),
            "actuals": svc.actuals_of(dbs, rec.id, "full_year"), "budget": ysvc.budget_of(rec),
            "money": psvc.money_of(rec),
            "report_date": f"{when.year}年{when.month}月{when.day}日" if when else "", **_ctx(rec)}


@bp.route("/tables/<id:table_id>/report")
@allow("reporter", "office")
def report(table_id: int):
    """The printable year-end report (部门整体支出绩效自评报告) in the Jiangmen document's structure."""
    rec = _table_or_404(table_id)
    return render_template("targets/report.html", **_report_context(rec))


def report_docx_bytes(context: dict) -> bytes:
    """The Word document; python-docx is loaded only in a worker that makes one (issue #17)."""
    from app.sheets.target_report_docx import report_docx as build

    return build(context)


@bp.route("/tables/<id:table_id>/report.docx")
@allow("reporter", "office")
def report_docx(table_id: int):
    rec = _table_or_404(table_id)
    unit = get_db().get(Unit, rec.unit_id)
    def make() -> bytes:
        with heavy.slot():  # 8 at once took a worker 30 MB up; one at a time, the heap handed back after
            return report_docx_bytes(_report_context(rec))

    data = download("report.docx", rec.id, ov.key_of(rec, unit), make)
    heavy.tidy()
    name = f"{svc.label_of(rec, unit)}{rec.year}年度绩效自评报告.docx".replace(" ", "")
    resp = send_file(io.BytesIO(data), mimetype=DOCX, as_attachment=True, download_name=name, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/tables/<id:table_id>/report.pdf")
@allow("reporter", "office")
def report_pdf(table_id: int):
    """The printable report as a PDF: the same page rendered by WeasyPrint (print media, A4), some
    seconds for a table of 200 indicators, so kept per table until the table changes (``kept``;
    the page's parts that differ by person, its top bar and messages, are not printed)."""
    rec = _table_or_404(table_id)
    unit = get_db().get(Unit, rec.unit_id)

    def make() -> bytes:
        html = render_template("targets/report.html", **_report_context(rec))
        with heavy.slot():  # WeasyPrint: ~100 MB while it runs; one at a time per worker
            return report_pdf_bytes(html, base_url=request.url_root)

    data = download("report.pdf", rec.id, ov.key_of(rec, unit), make)
    heavy.tidy()
    name = f"{svc.label_of(rec, unit)}{rec.year}年度绩效自评报告.pdf".replace(" ", "")
    resp = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name,
                     max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/tables/<id:table_id>/selfeval.xlsx")
@allow("reporter", "office")
def selfeval(table_id: int):
    dbs = get_db()
    rec = _table_or_404(table_id)
    unit = dbs.get(Unit, rec.unit_id)
    prev = hist.previous_table(dbs, rec)  # its 上年完成情况 column
    key = f"{ov.key_of(rec, unit)}|{ov.key_of(prev, unit) if prev else '-'}"
    data = download("selfeval.xlsx", rec.id, key, lambda: ysvc.selfeval_workbook(dbs, rec))
    return _xlsx(data, f"{svc.label_of(rec, unit)}绩效自评表.xlsx".replace(" ", ""))


# ---------------------------------------------------------------- settings (the office)

def _percent(raw: str) -> str:
    """A percentage typed on the page ("85") as the fraction the settings store ("0.85"); text that
    is not a number is passed on for the settings' own Chinese message."""
    text = (raw or "").strip().rstrip("%").strip()
    try:
        return str(Decimal(text) / 100) if text else ""
    except InvalidOperation:
        return text


@bp.route("/tables/<id:table_id>/settings", methods=["GET", "POST"])
@allow("office")
def settings(table_id: int):
    rec = _table_or_404(table_id)
    form = CsrfForm()
    current = svc.settings_of(rec)
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("页面已过期，请刷新后重新提交。", "error")
            return redirect(url_for("targets.settings", table_id=rec.id))
        f = request.form
        data = {
            "overachievement": f.get("overachievement", ""),
            "scoring": f.get("scoring", ""),
            "amber_from": _percent(f.get("amber_from", "")),
            "grade_bands": [f.get("band_good", ""), f.get("band_fair", ""), f.get("band_pass", "")],
            "execution_target": _percent(f.get("execution_target", "")),
            "execution_weight": f.get("execution_weight", ""),
            "attainment_points": f.get("attainment_points", ""),
            "dimensions": [{"key": d.key, "points": f.get(f"dim_{d.key}", "")} for d in current.dimensions],
        }
        rows = {r.position: {"weight": f.get(f"w{r.position}", ""), "overachievement": f.get(f"o{r.position}", "")}
                for r in svc.table_of(rec).rows if f"w{r.position}" in f}
        groups = {name: f.get(f"g{i}", "") for i, (name, _rows) in enumerate(groups_of(svc.table_of(rec)))}
        if attempt(ysvc.save_settings, get_db(), actor_id=current_user.id, identity=current_user, rec=rec,
                   data=data, rows=rows, groups=groups, expected_version=posted_version(f.get("version")),
                   ok="已保存评分设置。"):
            return redirect(url_for("targets.settings", table_id=rec.id))
    weights = {r.position: r.weight for r in ysvc.year_end_score(get_db(), rec).score.rows}
    groups = [(name, rows, sum((weights[r.position] for r in rows), Decimal(0)))
              for name, rows in groups_of(svc.table_of(rec))]
    return render_template("targets/settings.html", form=form, s=current, posted=request.form, weights=weights,
                           groups=groups, OVERACHIEVEMENT=OVERACHIEVEMENT, SCORING=SCORING, **_ctx(rec))

