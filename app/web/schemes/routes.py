"""The office's scheme pages: versions, one version's components and indicator tree, Excel
download, upload of an edited workbook as a new version, and the scheme of a cycle not started."""

import io
import json
from urllib.parse import quote

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlmodel import select

from app.extensions import db, get_db
from app.models import Cycle, Scheme
from app.rubric.rules import RULES, describe_safely, rule_catalogue
from app.rubric.scheme_checks import COMPONENT_KIND_TEXT
from app.security import allow
from app.services import ServiceError, StaleData, files, schemes
from app.web.common import EXPIRED, attempt, fail, get_or_404, int_arg, posted_version
from app.web.templating import add_nav

from . import bp
from .forms import AssignForm, EmptyForm, UploadForm

add_nav("office", "考核方案", "schemes.index")

KIND_LABELS = {k: label for k, (label, _) in COMPONENT_KIND_TEXT.items()}
PART_LABELS = {"principal": "正职", "deputy": "副职"}


@bp.route("/")
@allow("office")
def index():
    dbs = get_db()
    groups = schemes.scheme_versions(dbs)
    used: dict[int, list[str]] = {}
    for c in dbs.exec(select(Cycle).where(Cycle.scheme_id.is_not(None)).order_by(Cycle.period_start.desc())):
        used.setdefault(c.scheme_id, []).append(c.name)
    return render_template("schemes/index.html", groups=groups, used=used, form=UploadForm())


def _node_view(n: dict, depth: int) -> dict:
    rule = RULES.get(n.get("rule") or "")
    return {
        "code": n.get("code"), "name": n.get("name"), "points": n.get("points"), "owner": n.get("owner"),
        "rule": n.get("rule") if rule else None, "rule_label": rule.label if rule else None,
        "rule_text": describe_safely(n.get("rule"), n.get("params"), n.get("points")), "depth": depth,
        "applies_to": n.get("applies_to"), "applies_to_units": n.get("applies_to_units"),
        "max_by_subtype": n.get("max_by_subtype") or {}, "description": n.get("description"),
        "notes": n.get("notes"), "children": [_node_view(c, depth + 1) for c in n.get("children") or []],
    }


@bp.route("/rules")
@allow("office")
def rules():
    return render_template("schemes/rules.html", catalogue=rule_catalogue())


@bp.route("/<id:scheme_id>")
@allow("office")
def detail(scheme_id: int):
    dbs = get_db()
    scheme = get_or_404(Scheme, scheme_id)
    d = scheme.data or {}
    cats = []
    for cat in d.get("categories") or []:
        comps = []
        for m in cat.get("components") or []:
            comps.append({"name": m.get("name"), "kind": KIND_LABELS.get(m.get("kind"), m.get("kind")),
                          "points": m.get("points"), "owner": m.get("owner") or "",
                          "counts": m.get("counts_toward_total", True), "scale": m.get("scale"),
                          "cap": m.get("cap"), "floor": m.get("floor"), "missing": m.get("missing"),
                          "parts": {PART_LABELS.get(k, k): v for k, v in (m.get("parts") or {}).items()},
                          "tree": [_node_view(i, 0) for i in m.get("indicators") or []]})
        cats.append({"key": cat.get("key"), "name": cat.get("name"), "subtypes": cat.get("subtypes") or [],
                     "units": cat.get("units") or [], "components": comps})
    open_cycles = [c for c in dbs.exec(select(Cycle).where(Cycle.archived.is_(False)).order_by(Cycle.name))
                   if not schemes.cycle_started(dbs, c)]
    form = AssignForm()
    form.cycle_id.choices = [(c.id, c.name) for c in open_cycles]
    versions = [s for code, vs in schemes.scheme_versions(dbs) if code == scheme.code for s in vs]
    used = list(dbs.exec(select(Cycle).where(Cycle.scheme_id == scheme.id).order_by(Cycle.name)))
    prev = schemes.previous_version(dbs, scheme)
    changes = schemes.scheme_changes(prev.data, scheme.data) if prev is not None else []
    return render_template("schemes/detail.html", scheme=scheme, d=d, cats=cats, form=form,
                           open_cycles=open_cycles, versions=versions, used=used, prev=prev, changes=changes)


@bp.route("/<id:scheme_id>/excel")
@allow("office")
def download(scheme_id: int):
    from app.sheets.scheme import export_scheme

    scheme = get_or_404(Scheme, scheme_id)
    data = files.kept("scheme-excel", (scheme.code, scheme.version, json.dumps(scheme.data, sort_keys=True)),
                      lambda: export_scheme(scheme.data))
    name = f"考核方案_{scheme.code}_第{scheme.version}版.xlsx"
    resp = send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp.headers["Content-Disposition"] = f"attachment; filename=\"scheme.xlsx\"; filename*=UTF-8''{quote(name)}"
    return resp


@bp.route("/import", methods=["GET", "POST"])
@allow("office")
def upload():
    form = UploadForm()
    errors: list[str] = []
    if form.validate_on_submit():
        f = form.file.data
        content = f.read()
        try:
            scheme = schemes.import_scheme_version(get_db(), actor_id=current_user.id, content=content,
                                                   filename=f.filename or "")
        except schemes.SchemeRefused as exc:
            db.rollback()
            errors = exc.errors
            flash(f"工作簿有 {len(errors)} 处错误，没有保存任何内容。请按下面的清单改正后重新上传。", "error")
        except ServiceError as exc:
            fail(exc)
        else:
            prev = schemes.previous_version(get_db(), scheme)
            n = len(schemes.scheme_changes(prev.data, scheme.data)) if prev is not None else 0
            diff = f"与第 {prev.version} 版相比改动 {n} 处，" if prev is not None else ""
            flash(
                f"已保存为方案「{scheme.code}」第 {scheme.version} 版（{diff}见下方）。"
                "已有周期仍使用各自创建时的方案。",
                "success",
            )
            return redirect(url_for("schemes.detail", scheme_id=scheme.id))
    status = 422 if errors else 200
    return render_template("schemes/upload.html", form=form, errors=errors), status


@bp.route("/<id:scheme_id>/assign", methods=["POST"])
@allow("office")
def assign(scheme_id: int):
    dbs = get_db()
    scheme = get_or_404(Scheme, scheme_id)
    form = AssignForm()
    form.cycle_id.choices = [(c.id, c.name) for c in dbs.exec(select(Cycle))]
    if not form.validate_on_submit():
        flash("请选择周期。", "error")
        return redirect(url_for("schemes.detail", scheme_id=scheme.id))
    cycle = get_or_404(Cycle, form.cycle_id.data)
    attempt(schemes.assign_scheme, dbs, actor_id=current_user.id, cycle=cycle, scheme=scheme,
            expected_version=cycle.version, ok=f"周期「{cycle.name}」改用方案「{scheme.name}」第 {scheme.version} 版。")
    return redirect(url_for("schemes.detail", scheme_id=scheme.id))


# ---------------------------------------------------------------------------- what-if (方案测算)


def _whatif_choices(dbs):
    from app.services import whatif

    used: dict[int, list[str]] = {}
    for c in dbs.exec(select(Cycle).where(Cycle.scheme_id.is_not(None))):
        used.setdefault(c.scheme_id, []).append(c.name)
    drafts = [(s, used.get(s.id, [])) for _code, vs in schemes.scheme_versions(dbs) for s in vs]
    return drafts, whatif.finished_cycles(dbs)


def _whatif_run(dbs, draft_id, cycle_id):
    """The what-if of the chosen draft and cycle, or None with the refusal flashed."""
    from app.services import whatif

    draft = dbs.get(Scheme, draft_id) if draft_id is not None else None
    cycle = dbs.get(Cycle, cycle_id) if cycle_id is not None else None
    if draft is None or cycle is None:
        flash("所选的方案版本或考核周期不存在，请重新选择。", "error")
        return None
    try:
        return whatif.run(dbs, actor_id=current_user.id, cycle=cycle, draft=draft)
    except ServiceError as exc:
        fail(exc)
        return None


@bp.route("/whatif")
@allow("office")
def whatif_page():
    dbs = get_db()
    draft_id = int_arg("draft", label="方案版本")
    cycle_id = int_arg("cycle", label="考核周期")
    drafts, cycles = _whatif_choices(dbs)
    wi = None
    status = 200
    if draft_id is not None and cycle_id is not None:
        wi = _whatif_run(dbs, draft_id, cycle_id)
        status = 200 if wi is not None else 422
    if cycle_id is None and cycles:
        cycle_id = cycles[0][0].id
    return render_template("schemes/whatif.html", drafts=drafts, cycles=cycles, wi=wi, draft_id=draft_id,
                           cycle_id=cycle_id), status


@bp.route("/whatif.xlsx")
@allow("office")
def whatif_workbook():
    from app.sheets.whatif import build

    dbs = get_db()
    wi = _whatif_run(dbs, int_arg("draft", label="方案版本"), int_arg("cycle", label="考核周期"))
    if wi is None:
        return redirect(url_for("schemes.whatif_page"))
    name = f"方案测算_{wi.cycle.name}_{wi.draft.code}_第{wi.draft.version}版.xlsx"
    resp = send_file(io.BytesIO(build(wi)), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp.headers["Content-Disposition"] = f"attachment; filename=\"whatif.xlsx\"; filename*=UTF-8''{quote(name)}"
    return resp


DRAFT_PREFIXES = ("points.", "part.", "quota.", "level.")


@bp.route("/<id:scheme_id>/draft", methods=["GET", "POST"])
@allow("office")
def draft(scheme_id: int):
    from app.services import whatif

    dbs = get_db()
    base = get_or_404(Scheme, scheme_id)
    latest = schemes.latest_version(dbs, base.code)
    form = EmptyForm()
    values: dict[str, str] = {}
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        values = {k: v for k, v in request.form.items() if k.startswith(DRAFT_PREFIXES) or k in ("share", "name")}
        if not form.validate_on_submit():
            flash(EXPIRED, "error")
            status = 400
        else:
            try:
                new = whatif.make_draft(dbs, actor_id=current_user.id, base=base, form=values,
                                        expected_latest=posted_version(request.form.get("latest_version")))
            except schemes.SchemeRefused as exc:
                db.rollback()
                errors = exc.errors
                flash(f"草案有 {len(errors)} 处错误，未保存。", "error")
                status = 422
            except ServiceError as exc:
                fail(exc)
                status = 409 if isinstance(exc, StaleData) else 422
            else:
                flash(f"已另存为方案「{new.code}」第 {new.version} 版（草案，尚无周期使用）。"
                      "现在可以选择一个已结束的周期进行测算。", "success")
                return redirect(url_for("schemes.whatif_page", draft=new.id))
    return render_template("schemes/draft.html", base=base, d=base.data, latest=latest, form=form, values=values,
                           errors=errors, part_labels=PART_LABELS), status
