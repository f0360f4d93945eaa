"""Scheme versions: an imported workbook becomes a NEW version, a broken one saves nothing, and
a cycle keeps the snapshot it took."""

import copy
import io

import openpyxl
import pytest
from sqlmodel import func, select

from app.models import AuditEntry, Cycle, Scheme, StageOverride
from app.services import ServiceError, schemes
from app.sheets.scheme import export_scheme
from tests.builders import factories as f


def _count(session) -> int:
    return session.exec(select(func.count()).select_from(Scheme)).one()


def _renamed(data: dict, name: str) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(export_scheme(data)))
    ws = wb["方案"]
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == "方案名称":
            ws.cell(row=r, column=2).value = name
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_seed_is_idempotent(session):
    a = schemes.seed_scheme(session)
    b = schemes.seed_scheme(session)
    assert a.id == b.id and a.version == 1 and a.code == "lianyungang-2018"
    assert _count(session) == 1


def test_import_saves_a_new_version_with_audit(session):
    office = f.user(session, "office1", roles=["office"])
    v1 = schemes.seed_scheme(session)
    v2 = schemes.import_scheme_version(session, actor_id=office.id, content=_renamed(v1.data, "第二版方案"),
                                       filename="改.xlsx")
    assert (v2.code, v2.version, v2.name) == (v1.code, 2, "第二版方案")
    assert v2.data["version"] == 2 and v2.data["key"] == v1.code and v2.created_by_id == office.id
    assert v1.data["version"] == 1 and v1.data["name"] != "第二版方案"  # the old version is untouched
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "scheme", AuditEntry.action == "import")).one()
    assert entry.user_id == office.id and entry.new_value["version"] == 2 and entry.new_value["previous_version"] == 1
    # again: version 3, whatever version number the workbook says
    v3 = schemes.import_scheme_version(session, actor_id=office.id, content=_renamed(v1.data, "第三版"))
    assert v3.version == 3


def test_a_new_code_starts_at_version_one(session):
    v1 = schemes.seed_scheme(session)
    data = copy.deepcopy(v1.data)
    data["key"], data["version"] = "jiangmen-2020", 7
    s = schemes.import_scheme_version(session, actor_id=None, content=export_scheme(data))
    assert (s.code, s.version, s.data["version"]) == ("jiangmen-2020", 1, 1)


def test_identical_content_is_not_saved_again(session):
    v1 = schemes.seed_scheme(session)
    with pytest.raises(ServiceError, match="完全相同"):
        schemes.import_scheme_version(session, actor_id=None, content=export_scheme(v1.data))
    assert _count(session) == 1


def test_broken_workbook_saves_nothing(session):
    v1 = schemes.seed_scheme(session)
    wb = openpyxl.load_workbook(io.BytesIO(export_scheme(v1.data)))
    ws = wb["指标"]
    ws["E3"] = "abc"
    ws["H4"] = "{oops"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(schemes.SchemeRefused) as exc:
        schemes.import_scheme_version(session, actor_id=None, content=out.getvalue())
    assert "「指标」表第 3 行 E 列：分值应为数字，现为「abc」" in exc.value.errors
    assert any(e.startswith("「指标」表第 4 行 H 列：参数不是有效的 JSON") for e in exc.value.errors)
    assert "工作簿有误，未保存" in exc.value.message
    with pytest.raises(schemes.SchemeRefused):
        schemes.import_scheme_version(session, actor_id=None, content=b"PK not really")
    assert _count(session) == 1
    imported = select(AuditEntry).where(AuditEntry.entity == "scheme", AuditEntry.action == "import")
    assert session.exec(imported).first() is None


def test_new_versions_never_change_a_past_cycle(session):
    v1 = schemes.seed_scheme(session)
    cycle = f.cycle(session, scheme=v1)
    session.commit()
    before = copy.deepcopy(cycle.scheme_data)
    v2 = schemes.import_scheme_version(session, actor_id=None, content=_renamed(v1.data, "新方案"))
    session.commit()
    session.expire_all()
    stored = session.get(Cycle, cycle.id)
    assert stored.scheme_data == before and stored.scheme_id == v1.id
    assert stored.scheme_data["name"] != v2.name
    # a cycle that has started cannot switch
    with pytest.raises(ServiceError, match="已经开始"):
        schemes.assign_scheme(session, actor_id=None, cycle=stored, scheme=v2, expected_version=stored.version)
    session.rollback()
    assert session.get(Cycle, cycle.id).scheme_data == before


def test_a_cycle_not_started_can_take_another_version(session):
    v1 = schemes.seed_scheme(session)
    v2 = schemes.import_scheme_version(session, actor_id=None, content=_renamed(v1.data, "新方案"))
    cycle = f.cycle(session, name="2019-2020学年", open_all=False, scheme=v1)
    assert not schemes.cycle_started(session, cycle)
    schemes.assign_scheme(session, actor_id=None, cycle=cycle, scheme=v2, expected_version=cycle.version)
    session.commit()
    session.expire_all()
    stored = session.get(Cycle, cycle.id)
    assert stored.scheme_id == v2.id and stored.scheme_data == v2.data and stored.version == 2
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "assign_scheme")).one()
    assert entry.old_value["scheme"] == "lianyungang-2018 v1" and entry.new_value["scheme"] == "lianyungang-2018 v2"
    # the snapshot is a copy: a later version does not reach it
    v3 = schemes.import_scheme_version(session, actor_id=None, content=_renamed(v1.data, "第三版"))
    session.commit()
    assert session.get(Cycle, cycle.id).scheme_data["name"] == "新方案" != v3.name
    # stale form
    with pytest.raises(ServiceError, match="已被他人修改"):
        schemes.assign_scheme(session, actor_id=None, cycle=stored, scheme=v1, expected_version=1)


def test_an_override_counts_as_started(session):
    v1 = schemes.seed_scheme(session)
    cycle = f.cycle(session, name="X", open_all=False, scheme=v1)
    from app.models import Stage

    stage = session.exec(select(Stage).where(Stage.cycle_id == cycle.id)).first()
    session.add(StageOverride(stage_id=stage.id, action="reopen", reason="试"))
    session.flush()
    assert schemes.cycle_started(session, cycle)


def test_changes_between_versions_in_plain_words(session):
    v1 = schemes.seed_scheme(session)
    new = copy.deepcopy(v1.data)
    new["name"] = "新名"
    new["grading"]["quotas"]["college"] = 3
    bb = new["categories"][0]["components"][1]["indicators"][0]["children"][1]
    bb["children"][0]["points"], bb["children"][1]["points"] = 1.5, 1
    bb["children"].append({"code": "B04a", "name": "新指标", "points": 1, "rule": "judged", "params": {}})
    removed = bb["children"].pop(2)
    lines = schemes.scheme_changes(v1.data, new)
    assert f"方案名称：{v1.name} → 新名" in lines
    assert "等次评定规则·优秀名额：college 2；department 3 → college 3；department 3" in lines
    assert "指标 B03「专业建设论证机制健全、论证过程完整」·分值：1 → 1.5" in lines
    assert f"删除指标 B05「{removed['name']}」" in lines
    assert "新增指标 B04a「新指标」（院部，上级 BB，1 分）" in lines
    assert schemes.scheme_changes(v1.data, v1.data) == []


def test_audit_of_an_import_lists_the_changes(session):
    v1 = schemes.seed_scheme(session)
    schemes.import_scheme_version(session, actor_id=None, content=_renamed(v1.data, "改名"))
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert entry.new_value["changes"] == [f"方案名称：{v1.name} → 改名"]
    assert entry.new_value["based_on_version"] == 1


def test_cycle_scheme_is_the_one_loader_and_refuses_clearly(session):
    seed = schemes.seed_scheme(session)
    cycle = f.cycle(session, scheme=seed)
    loaded = schemes.cycle_scheme(cycle)
    assert loaded.key == "lianyungang-2018" and schemes.cycle_scheme(cycle) is loaded  # cached by content
    assert schemes.has_scheme(cycle)
    cycle.scheme_data = {}
    assert not schemes.has_scheme(cycle)
    with pytest.raises(schemes.SchemeUnavailable, match="尚未指定考核方案"):
        schemes.cycle_scheme(cycle)
    broken = copy.deepcopy(seed.data)
    broken["ballot"] = {"levels": []}
    cycle.scheme_data = broken
    with pytest.raises(ServiceError, match="考核方案快照有误") as err:
        schemes.cycle_scheme(cycle)
    assert err.value.errors


def test_the_content_key_of_a_snapshot_goes_with_its_cycle_object(session):
    """The key is remembered per cycle object (a replaced snapshot gets its own key) and keeps no
    decoded snapshot alive once the object is gone (issue #17: a worker-wide table held 256)."""
    import gc
    import sys

    seed = schemes.seed_scheme(session)
    data = copy.deepcopy(seed.data)
    cycle = Cycle(name="x", scheme_data=data)
    key = schemes._content_key(data, cycle)
    assert schemes._content_key(data, cycle) == key
    renamed = {**data, "name": "改名"}
    cycle.scheme_data = renamed
    assert schemes._content_key(renamed, cycle) not in (key, None)
    assert schemes.cycle_scheme(cycle).name == "改名"
    del cycle
    gc.collect()
    assert sys.getrefcount(renamed) == 2  # the name here and the call's argument: nothing else holds it
    assert schemes._content_key(copy.deepcopy(data)) == key  # without a cycle: hashed each time
