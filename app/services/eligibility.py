"""Excellence eligibility (优秀格次申报) and vetoes (一票否决 / 不能评为优秀).

Source rules (实施办法 六 (二)(三)): a unit may be 优秀 only if it applied with an innovative
work with results, or a breakthrough in the school's annual key work; a unit with any of the
veto conditions cannot be 优秀.

* A unit's reporter applies (one application per unit and cycle, revisable until decided, and
  again after a rejection) while the award stage (突出贡献奖评审) is open.
* The leadership group (or the office on its behalf, recorded as such) accepts or rejects with a
  reason while the award or the deliberation stage is open.
* The office records vetoes (a condition of the scheme, or 其他 with a description) with a
  reason and evidence, and withdraws them only with a reason, until the deliberation stage has
  closed.

What grading takes from here: :func:`eligible_units` and :func:`active_vetoes`.
"""

from sqlmodel import Session, select

from app.models import Cycle, Unit
from app.models.award import EXCELLENCE_CONDITIONS, ExcellenceApplication, Veto
from app.models.base import utcnow

from . import PermissionDenied, ServiceError, StageClosed, StaleData
from .audit import record
from .inputs import clean_links, clean_text
from .schemes import cycle_scheme
from .stages import require_open, state_of

# The source's four conditions (实施办法 六 (三)), used when the cycle's scheme lists none.
SOURCE_VETOES: list[tuple[str, str]] = [
    ("party_decisions", "不执行或者不正确执行党委决策部署和交办事项的"),
    ("safety_accident", "出现较严重的安全责任事故的"),
    ("violation", "出现违纪违法行为造成较严重后果的"),
    ("school_determined", "经学校认定的其它责任事项"),
]
OTHER = "other"


def veto_conditions(cycle: Cycle) -> list[tuple[str, str]]:
    """(key, text) of the conditions that bar 优秀: the scheme's list, else (a scheme that lists
    none) the source's four. Raises :class:`SchemeUnavailable` when the cycle has no valid scheme."""
    return list(cycle_scheme(cycle).grading.vetoes) or list(SOURCE_VETOES)


def _check_version(obj, expected: int | None) -> None:
    if expected is not None and obj.version != expected:
        raise StaleData("该记录已被他人修改，本页内容已过期。请刷新页面，核对后重新操作。")


# ------------------------------------------------------------------ applications
def application_of(db: Session, cycle_id: int, unit_id: int) -> ExcellenceApplication | None:
    return db.exec(select(ExcellenceApplication).where(ExcellenceApplication.cycle_id == cycle_id,
                                                       ExcellenceApplication.unit_id == unit_id)).first()


def submit_application(db: Session, *, actor_id: int, actor_units: set[int], cycle: Cycle, unit_id: int,
                       condition: str, title: str, description: str, links: list[str],
                       expected_version: int | None = None) -> ExcellenceApplication:
    """Create or revise the unit's application (revisable while not accepted)."""
    if unit_id not in actor_units:
        raise PermissionDenied("只能为本单位申报。")
    require_open(db, cycle.id, "award")
    if condition not in EXCELLENCE_CONDITIONS:
        raise ServiceError("请选择申报依据（创新性工作或突破性进展）。", field="condition")
    values = {"condition": condition, "title": clean_text(title, "工作名称", "title", 200),
              "description": clean_text(description, "工作内容及成效", "description", 4000),
              "links": clean_links(links)}
    app_ = application_of(db, cycle.id, unit_id)
    now = utcnow()
    if app_ is None:
        app_ = ExcellenceApplication(cycle_id=cycle.id, unit_id=unit_id, submitted_by_id=actor_id, **values)
        db.add(app_)
        db.flush()
        record(db, actor_id=actor_id, action="apply", entity="excellence_application", entity_id=app_.id,
               cycle_id=cycle.id, new={"unit_id": unit_id, **values})
        return app_
    _check_version(app_, expected_version)
    if app_.status == "accepted":
        raise ServiceError("申报已被认定，不能再修改。")
    old = {k: getattr(app_, k) for k in values}
    old["status"] = app_.status
    for k, v in values.items():
        setattr(app_, k, v)
    app_.status, app_.decision_reason, app_.decided_by_id, app_.decided_at = "submitted", None, None, None
    app_.decided_on_behalf = False
    app_.submitted_by_id, app_.updated_at = actor_id, now
    app_.version += 1
    db.add(app_)
    db.flush()
    record(db, actor_id=actor_id, action="revise", entity="excellence_application", entity_id=app_.id,
           cycle_id=cycle.id, old=old, new={**values, "status": "submitted"})
    return app_


def _require_decision_window(db: Session, cycle_id: int) -> None:
    for kind in ("award", "deliberation"):
        try:
            if state_of(db, cycle_id, kind).is_open:
                return
        except ServiceError:
            continue
    raise StageClosed("优秀格次申报只能在「突出贡献奖评审」或「审议确定结果」阶段进行期间认定，当前均未开放。")


def decide_application(db: Session, *, actor_id: int, actor_roles: set[str], application: ExcellenceApplication,
                       accept: bool, reason: str, expected_version: int | None = None) -> ExcellenceApplication:
    """The leadership group (or the office on its behalf) accepts or rejects; a reason is
    required either way. A decision may be changed while the window is open (audited)."""
    if "group" in actor_roles:
        on_behalf = False
    elif "office" in actor_roles:
        on_behalf = True
    else:
        raise PermissionDenied("只有领导小组成员（或目标办代为登记）可以认定优秀格次申报。")
    _require_decision_window(db, application.cycle_id)
    _check_version(application, expected_version)
    reason = clean_text(reason, "认定意见（理由）", "reason", 2000)
    new_status = "accepted" if accept else "rejected"
    old = {"status": application.status, "reason": application.decision_reason}
    application.status, application.decision_reason = new_status, reason
    application.decided_by_id, application.decided_on_behalf, application.decided_at = actor_id, on_behalf, utcnow()
    application.version += 1
    db.add(application)
    db.flush()
    record(db, actor_id=actor_id, action="accept" if accept else "reject", entity="excellence_application",
           entity_id=application.id, cycle_id=application.cycle_id, old=old,
           new={"status": new_status, "on_behalf_of_group": on_behalf}, reason=reason)
    return application


def applications(db: Session, cycle: Cycle) -> list[tuple[ExcellenceApplication, Unit]]:
    return list(db.exec(select(ExcellenceApplication, Unit).join(Unit, Unit.id == ExcellenceApplication.unit_id)
                        .where(ExcellenceApplication.cycle_id == cycle.id)
                        .order_by(Unit.category, Unit.position, Unit.id)))


def eligible_units(db: Session, cycle: Cycle) -> set[int]:
    """Unit ids whose 优秀 application has been accepted."""
    return set(db.exec(select(ExcellenceApplication.unit_id).where(ExcellenceApplication.cycle_id == cycle.id,
                                                                   ExcellenceApplication.status == "accepted")))


# ------------------------------------------------------------------ vetoes
def require_vetoes_writable(db: Session, cycle_id: int) -> None:
    """Refuse once the deliberation stage has closed (vetoes and their files are locked then)."""
    try:
        state = state_of(db, cycle_id, "deliberation")
    except ServiceError:
        return
    if state.status == "closed":
        raise StageClosed("「审议确定结果」阶段已结束，一票否决情形已锁定。如需修改请联系目标办重新开放该阶段。")


def record_veto(db: Session, *, actor_id: int, cycle: Cycle, unit_id: int, condition: str, other_text: str,
                reason: str, links: list[str]) -> Veto:
    require_vetoes_writable(db, cycle.id)
    unit = db.get(Unit, unit_id)
    if unit is None:
        raise ServiceError("请选择单位。", field="unit_id")
    conditions = dict(veto_conditions(cycle))
    if condition == OTHER:
        text = clean_text(other_text, "其他情形的说明", "other_text", 500)
    elif condition in conditions:
        text = conditions[condition]
    else:
        raise ServiceError("请选择否决情形。", field="condition")
    reason = clean_text(reason, "事实与理由", "reason", 2000)
    veto = Veto(cycle_id=cycle.id, unit_id=unit_id, condition=condition, condition_text=text, reason=reason,
                links=clean_links(links), recorded_by_id=actor_id)
    db.add(veto)
    db.flush()
    record(db, actor_id=actor_id, action="record", entity="veto", entity_id=veto.id, cycle_id=cycle.id,
           new={"unit": unit.name, "condition": condition, "text": text, "links": veto.links}, reason=reason)
    return veto


def withdraw_veto(db: Session, *, actor_id: int, veto: Veto, reason: str, expected_version: int | None = None) -> Veto:
    require_vetoes_writable(db, veto.cycle_id)
    _check_version(veto, expected_version)
    if veto.withdrawn:
        raise ServiceError("该情形已撤销。")
    reason = clean_text(reason, "撤销理由", "reason", 2000)
    veto.withdrawn, veto.withdraw_reason, veto.withdrawn_by_id, veto.withdrawn_at = True, reason, actor_id, utcnow()
    veto.version += 1
    db.add(veto)
    db.flush()
    record(db, actor_id=actor_id, action="withdraw", entity="veto", entity_id=veto.id, cycle_id=veto.cycle_id,
           old={"withdrawn": False, "text": veto.condition_text}, new={"withdrawn": True}, reason=reason)
    return veto


def vetoes(db: Session, cycle: Cycle, unit_id: int | None = None) -> list[tuple[Veto, Unit]]:
    q = (select(Veto, Unit).join(Unit, Unit.id == Veto.unit_id).where(Veto.cycle_id == cycle.id)
         .order_by(Veto.withdrawn, Unit.category, Unit.position, Veto.id))
    if unit_id is not None:
        q = q.where(Veto.unit_id == unit_id)
    return list(db.exec(q))


def active_vetoes(db: Session, cycle: Cycle) -> dict[int, list[str]]:
    """unit_id → Chinese descriptions of the unit's vetoes that are not withdrawn."""
    out: dict[int, list[str]] = {}
    for veto in db.exec(select(Veto).where(Veto.cycle_id == cycle.id, Veto.withdrawn == False)  # noqa: E712
                        .order_by(Veto.id)):
        label = veto.condition_text if veto.condition != OTHER else f"其他：{veto.condition_text}"
        out.setdefault(veto.unit_id, []).append(label)
    return out
