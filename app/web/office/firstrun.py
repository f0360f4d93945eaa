"""The office's first-run page: the three steps from an empty installation to a first cycle —
import the organisation, pick (the built-in one) or import a scheme, create the cycle — each
with its state and a link to the page that does it. The home page sends the office here while
the organisation is empty."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlmodel import func, select

from app.extensions import get_db
from app.models import Cycle, Scheme, Unit, User
from app.security import allow
from app.services import ServiceError, org, org_import, schemes
from app.web.common import fail

from . import bp
from .forms import EmptyForm


@bp.route("/start")
@allow("office")
def first_run():
    dbs = get_db()
    counts = {
        "units": dbs.exec(select(func.count()).select_from(Unit).where(org.unit_is_active())).one(),
        "people": dbs.exec(select(func.count()).select_from(User).where(User.active == True)).one(),  # noqa: E712
        "schemes": dbs.exec(select(func.count()).select_from(Scheme)).one(),
        "cycles": dbs.exec(select(func.count()).select_from(Cycle)).one(),
    }
    return render_template("office/first_run.html", counts=counts, empty=org_import.organisation_empty(dbs),
                           form=EmptyForm())


@bp.route("/start/seed-scheme", methods=["POST"])
@allow("office")
def first_run_seed_scheme():
    if EmptyForm().validate_on_submit():
        try:
            scheme = schemes.seed_scheme(get_db(), actor_id=current_user.id)
        except ServiceError as exc:
            fail(exc)
        else:
            flash(f"已使用内置方案「{scheme.name}」第 {scheme.version} 版。", "success")
    return redirect(url_for("office.first_run"))
