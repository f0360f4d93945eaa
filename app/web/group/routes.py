"""The leadership group (领导小组): contribution-award votes and excellence decisions."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from app.extensions import get_db
from app.models.award import AwardApplication
from app.security import allow
from app.services import attachments, stages, tasks
from app.services import awards as award_svc
from app.web.award.forms import DecideForm, VoteForm
from app.web.award.routes import excellence_page
from app.web.common import EXPIRED, attempt, cycle_or_404, flash_form_errors, get_or_404, to_current_cycle
from app.web.templating import add_nav

from . import bp

add_nav("group", "突出贡献奖评审", "group.index")
add_nav("group", "优秀格次认定", "group.excellence_index")


@tasks.task_provider
def group_task(dbs, identity, cycle, timeline) -> list:
    if "group" not in identity.roles:
        return []
    state = next((st for s, st in timeline if s.kind == "award"), None)
    if state is None or not state.is_open:
        return []
    apps = [a for a, _ in award_svc.applications(dbs, cycle, statuses=("accepted",))]
    votes = award_svc.votes_of(dbs, [a.id for a in apps])
    mine = sum(1 for a in apps if identity.id in votes.get(a.id, {}))
    return [
        tasks.Task(
            title="评审突出贡献奖申报",
            detail=f"{cycle.name} · 已表决 {mine}/{len(apps)} 项",
            due=state.until,
            link=url_for("group.awards", cycle_id=cycle.id),
            done=mine == len(apps),
        )
    ]


@bp.route("/")
@allow("group")
def index():
    return to_current_cycle("group.awards")


@bp.route("/cycles/<id:cycle_id>/awards")
@allow("group")
def awards(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    apps = award_svc.applications(dbs, cycle, statuses=("accepted",))
    votes = award_svc.votes_of(dbs, [a.id for a, _ in apps])
    forms = {}
    for a, _ in apps:
        f = VoteForm(prefix=f"a{a.id}")
        mine = votes.get(a.id, {}).get(current_user.id)
        f.version.data = award_svc.vote_stamp(a, mine)
        if mine is not None:
            f.approve.data = "1" if mine.approve else "0"
            f.comment.data = mine.comment
        forms[a.id] = f
    return render_template("group/awards.html", cycle=cycle, apps=apps, votes=votes, forms=forms,
                           files={a.id: attachments.files_of(dbs, "award", a.id) for a, _ in apps},
                           members=len(award_svc.group_members(dbs)), rule=award_svc.award_rule(cycle)[1],
                           state=stages.state_of(dbs, cycle.id, "award"),
                           waiting=len(award_svc.applications(dbs, cycle, statuses=("submitted",))))


@bp.route("/applications/<id:application_id>/vote", methods=["POST"])
@allow("group")
def vote(application_id: int):
    dbs = get_db()
    app_ = get_or_404(AwardApplication, application_id)
    form = VoteForm(prefix=f"a{app_.id}")
    if form.validate_on_submit():
        attempt(
            award_svc.vote,
            dbs,
            actor_id=current_user.id,
            application=app_,
            approve=form.approve.data == "1",
            comment=form.comment.data,
            expected_stamp=form.version.data or None,
            ok=f"已记录您对「{app_.title}」的表决（{'同意' if form.approve.data == '1' else '不同意'}）。",
        )
    else:
        flash_form_errors(form, EXPIRED)
    return redirect(url_for("group.awards", cycle_id=app_.cycle_id) + f"#a{app_.id}")


@bp.route("/excellence")
@allow("group")
def excellence_index():
    return to_current_cycle("group.excellence", message=None)


@bp.route("/cycles/<id:cycle_id>/excellence")
@allow("group")
def excellence(cycle_id: int):
    dbs = get_db()
    cycle = cycle_or_404(cycle_id)
    return excellence_page(dbs, cycle, "group/excellence.html")


__all__ = ["DecideForm"]
