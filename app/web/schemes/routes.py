"""The office's scheme pages: versions, one version's components and indicator tree, Excel
download, upload of an edited workbook as a new version, and the scheme of a cycle not started."""

import io
from urllib.parse import quote

from flask import flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlmodel import select

from app.extensions import db, get_db
from app.models import Cycle, Scheme
from app.rubric.rules import RULES, describe_safely, rule_catalogue
from app.security import allow
from app.services import ServiceError, schemes
from app.web.common import attempt, fail, get_or_404
from app.web.templating import add_nav

from . import bp
from .forms import AssignForm, UploadForm

add_nav("office", "考核方案", "schemes.index")

KIND_LABELS = {"democratic": "民主测评", "target": "目标考核", "leader": "领导班子评价"}
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
                          "points": m.get("points"),
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
    data = export_scheme(scheme.data)
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
