"""The organisation workbook: reading, the preview's plan, the import and its refusals."""

import io

import openpyxl
import pytest
from sqlmodel import select

from app.models import AuditEntry, RoleMembership, Unit, User
from app.services import ServiceError, StaleData, accounts, org_import
from app.sheets.org import org_workbook, read_org_workbook
from tests.builders import factories as f
from tests.builders.org import PEOPLE, UNITS, workbook


def roles(session, user):
    memberships = session.exec(select(RoleMembership).where(RoleMembership.user_id == user.id))
    return {(m.role, m.unit_id, m.leader_rank) for m in memberships}


def test_template_reads_back_empty_with_a_clear_message():
    got = read_org_workbook(org_workbook([], []).getvalue())
    assert [str(p) for p in got.problems] == ["「单位」表：「单位」表没有任何单位"]


def test_errors_name_sheet_row_and_column():
    data = workbook([("机电工程学院", "", "学院", "二级学院", 1), ("教务处", "", "部门", "二级学院", "x"),
                     ("财务处", "", "部门", "职能部门", 1), ("财务处", "", "部门", "职能部门", 2)],
                    [("1001", "张三", "不存在学院", "", None, None, None),
                     ("1002", "李四", "财务处", "管理员", None, None, None),
                     ("1003", "王五", None, "校领导", None, None, None),
                     ("1004", "赵六", "财务处", "", None, "bad-mail", None),
                     ("1004", "钱七", "财务处", "", None, None, None),
                     ("", "孙八", "财务处", "", None, None, None)])
    got = [str(p) for p in read_org_workbook(data).problems]
    assert "「单位」表第 2 行 C 列：类别「学院」无效，应为 院部 或 部门" in got
    assert any(p.startswith("「单位」表第 3 行 D 列：单位类型「二级学院」无效") for p in got)
    assert "「单位」表第 5 行 A 列：单位「财务处」重复（已在第 4 行）" in got
    assert "「人员」表第 2 行 C 列：所在单位「不存在学院」不在「单位」表中" in got
    assert any(p.startswith("「人员」表第 3 行 D 列：角色「管理员」无效") for p in got)
    assert "「人员」表第 4 行 E 列：角色含「校领导」，须填写校领导职别（正职 或 副职）" in got
    assert "「人员」表第 5 行 F 列：电子邮箱「bad-mail」格式不正确" in got
    assert "「人员」表第 6 行 A 列：工号「1004」重复（已在第 5 行）" in got
    assert "「人员」表第 7 行 A 列：工号不能为空" in got


def test_not_a_workbook_and_missing_sheet():
    assert "不是有效的 .xlsx" in str(read_org_workbook(b"hello").problems[0])
    got = read_org_workbook(workbook(UNITS, [], tweak=lambda wb: wb.remove(wb["人员"])))
    assert [str(p) for p in got.problems] == ["缺少工作表「人员」（请使用下载的模板）"]


def test_scorer_of_a_college_is_refused():
    data = workbook(UNITS, [("1001", "张三", "机电工程学院", "考核评分员", None, None, None)])
    assert [str(p) for p in read_org_workbook(data).problems] == [
        "「人员」表第 2 行 D 列：考核评分员须绑定部门，「机电工程学院」是院部"
    ]


def test_first_import_creates_everything_with_initial_passwords(session):
    office = f.user(session, "office", roles=["office"])
    session.commit()
    data = workbook(UNITS, PEOPLE)
    plan = org_import.preview(session, data=data, actor_id=office.id)
    assert plan.ok, plan.problems
    assert [(c.action, c.label) for c in plan.units] == [("create", n) for n, *_ in UNITS]
    assert [c.label for c in plan.people] == ["1001 张三", "1002 李四", "2001 王校长", "1003 赵六"]
    assert plan.kept == ["office office"]  # the office's own account is not deactivated
    out = org_import.apply_import(session, actor_id=office.id, data=data, expected_fingerprint=plan.fingerprint,
                                  filename="org.xlsx")
    session.commit()
    assert len(out.accounts) == 4
    units = {u.name: u for u in session.exec(select(Unit))}
    assert units["机电工程学院"].short_name == "机电" and units["财务处"].position == 2
    zs = session.exec(select(User).where(User.employee_no == "1001")).one()
    assert (zs.username, zs.display_name, zs.unit_id, zs.email, zs.phone) == (
        "1001", "张三", units["机电工程学院"].id, "zs@example.edu.cn", "13800000001")
    assert zs.must_change_password
    assert roles(session, zs) == {("reporter", units["机电工程学院"].id, None)}
    zl = session.exec(select(User).where(User.employee_no == "1003")).one()
    assert zl.phone == "51234567"
    assert roles(session, zl) == {("reporter", units["财务处"].id, None), ("scorer", units["教务处"].id, None)}
    leader = session.exec(select(User).where(User.employee_no == "2001")).one()
    assert roles(session, leader) == {("leader", None, "principal"), ("group", None, None)}
    # each password works once, is stored only as a hash and is nowhere in the audit trail
    for acc in out.accounts:
        assert acc.password not in acc.user.password_hash
        assert accounts.verify_password(acc.user.password_hash, acc.password)
    trail = " ".join(repr((e.old_value, e.new_value, e.reason)) for e in session.exec(select(AuditEntry)))
    assert not any(acc.password in trail for acc in out.accounts)
    summary = session.exec(select(AuditEntry).where(AuditEntry.entity == "org")).one()
    assert summary.new_value["people_create"] == 4 and summary.new_value["units_create"] == 3
    # importing the same workbook again changes nothing
    again = org_import.preview(session, data=data, actor_id=office.id)
    assert not again.has_changes and again.unchanged_people == 4 and again.unchanged_units == 3


def test_second_import_changes_deactivates_and_reactivates(session):
    office = f.user(session, "office", roles=["office"])
    session.commit()
    org_import.apply_import(session, actor_id=office.id, data=workbook(UNITS, PEOPLE))
    session.commit()
    ids = {u.employee_no: u.id for u in session.exec(select(User)) if u.employee_no}
    # 财务处 and 赵六 leave; 张三 moves to 教务处 as its reporter; a new 图书馆 and a new person
    units2 = [UNITS[0], UNITS[1], ("图书馆", "", "部门", "职能部门", 3)]
    people2 = [("1001", "张三", "教务处", "单位填报员", None, "zs@example.edu.cn", None), PEOPLE[1], PEOPLE[2],
               ("1005", "周九", "图书馆", "单位填报员", None, None, None)]
    plan = org_import.preview(session, data=workbook(units2, people2), actor_id=office.id)
    assert plan.ok, plan.problems
    assert {(c.action, c.label) for c in plan.units} == {("create", "图书馆"), ("deactivate", "财务处")}
    acts = {c.label: (c.action, c.details) for c in plan.people}
    assert acts["1001 张三"] == ("update", ["单位：机电工程学院 → 教务处", "电话：13800000001 → —",
                                            "角色：单位填报员（机电工程学院） → 单位填报员（教务处）"])
    assert acts["1003 赵六"][0] == "deactivate" and acts["1005 周九"][0] == "create"
    assert "1002 李四" not in acts and plan.unchanged_people == 2
    out = org_import.apply_import(session, actor_id=office.id, data=workbook(units2, people2),
                                  expected_fingerprint=plan.fingerprint)
    session.commit()
    assert [a.user.employee_no for a in out.accounts] == ["1005"]
    finance = session.exec(select(Unit).where(Unit.name == "财务处")).one()
    assert not finance.active  # deactivated, not deleted
    zl = session.get(User, ids["1003"])
    assert zl is not None and not zl.active
    jwc = session.exec(select(Unit).where(Unit.name == "教务处")).one()
    assert roles(session, session.get(User, ids["1001"])) == {("reporter", jwc.id, None)}
    # back in the workbook: reactivated, the same account (history keeps its people)
    plan3 = org_import.preview(session, data=workbook(UNITS, PEOPLE), actor_id=office.id)
    assert ("reactivate", "1003 赵六") in {(c.action, c.label) for c in plan3.people}
    org_import.apply_import(session, actor_id=office.id, data=workbook(UNITS, PEOPLE))
    session.commit()
    session.expire_all()
    assert session.get(User, ids["1003"]).active and finance.active


def test_stale_confirmation_is_refused_and_changes_nothing(session):
    office = f.user(session, "office", roles=["office"])
    session.commit()
    data = workbook(UNITS, PEOPLE)
    plan = org_import.preview(session, data=data, actor_id=office.id)
    f.unit(session, "商学院")  # someone adds a unit after the preview
    session.commit()
    with pytest.raises(StaleData, match="预览之后组织机构已有变动"):
        org_import.apply_import(session, actor_id=office.id, data=data, expected_fingerprint=plan.fingerprint)
    session.rollback()
    assert session.exec(select(User).where(User.employee_no.is_not(None))).all() == []


def test_existing_account_matched_by_user_name_and_own_office_role_kept(session):
    office = f.user(session, "office", roles=["office"])
    old = f.user(session, "1002")
    other = f.user(session, "9999")
    session.commit()
    # the office lists itself without the office role: refused, naming the row
    data = workbook(UNITS, PEOPLE + [("office", "目标办", None, "测评投票人", None, None, None)])
    plan = org_import.preview(session, data=data, actor_id=office.id)
    assert [str(p) for p in plan.problems] == ["「人员」表第 6 行 D 列：不能通过导入移除自己的目标办角色"]
    with pytest.raises(ServiceError):
        org_import.apply_import(session, actor_id=office.id, data=data)
    session.rollback()
    plan = org_import.preview(session, data=workbook(UNITS, PEOPLE), actor_id=office.id)
    acts = {c.label: c.action for c in plan.people}
    assert acts["1002 李四"] == "update"  # the account "1002" without a 工号 is matched by its name
    assert acts[f"9999 {other.display_name}"] == "deactivate"
    org_import.apply_import(session, actor_id=office.id, data=workbook(UNITS, PEOPLE))
    session.commit()
    session.expire_all()
    assert session.get(User, old.id).employee_no == "1002" and session.get(User, old.id).display_name == "李四"


def test_export_round_trip(session):
    office = f.user(session, "office", roles=["office"])
    session.commit()
    org_import.apply_import(session, actor_id=office.id, data=workbook(UNITS, PEOPLE))
    session.commit()
    units, people = org_import.export_rows(session)
    data = org_workbook(units, people).getvalue()
    plan = org_import.preview(session, data=data, actor_id=office.id)
    assert plan.ok and [c.label for c in plan.people] == ["office office"]  # only: its user name becomes its 工号
    assert plan.units == []


def test_a_column_left_out_keeps_what_the_database_holds(session):
    office = f.user(session, "office", roles=["office"])
    session.commit()
    org_import.apply_import(session, actor_id=office.id, data=workbook(UNITS, PEOPLE))
    session.commit()

    def drop_columns(wb):
        ws = wb["人员"]
        for label in ("电话", "校领导职别", "角色"):  # a workbook made elsewhere, without these columns
            col = [c.value for c in ws[1]].index(label) + 1
            ws.delete_cols(col)
        wb["单位"].delete_cols(5)  # 排序

    people = [(no, name, unit, email) for no, name, unit, _roles, _rank, email, _phone in PEOPLE]
    renamed = [people[0][:1] + ("张三丰",) + people[0][2:]] + people[1:]
    data = workbook([u[:4] for u in UNITS], [p[:3] + (None, None, p[3]) for p in renamed], tweak=drop_columns)
    plan = org_import.preview(session, data=data, actor_id=office.id)
    assert plan.ok, plan.problems
    assert plan.units == [] and [(c.action, c.label, c.details) for c in plan.people] == [
        ("update", "1001 张三丰", ["姓名：张三 → 张三丰"])]
    org_import.apply_import(session, actor_id=office.id, data=data)
    session.commit()
    zs = session.exec(select(User).where(User.employee_no == "1001")).one()
    assert zs.phone == "13800000001" and roles(session, zs)
    leader = session.exec(select(User).where(User.employee_no == "2001")).one()
    assert roles(session, leader) == {("leader", None, "principal"), ("group", None, None)}
    assert session.exec(select(Unit).where(Unit.name == "财务处")).one().position == 2


def test_a_workbook_made_elsewhere_title_rows_other_column_order_numbers():
    wb = openpyxl.Workbook()
    u = wb.active
    u.title = "单位"
    u.append(["2026 年组织机构"])
    u.append(["排序", "单位类型", "单位名称", "类别"])
    u.append([1, "二级学院", "机电工程学院", "院部"])
    u.append([2.0, "职能部门", "教务处", "部门"])
    p = wb.create_sheet("人员")
    p.append(["姓名", "工号", "电子邮箱", "所在单位", "角色"])
    p.append(["张三", 20011.0, None, "机电工程学院", "单位填报员/测评投票人"])
    p.append(["李四", "007", "ls@example.edu.cn", "教务处", "考核评分员，单位填报员"])
    out = io.BytesIO()
    wb.save(out)
    got = read_org_workbook(out.getvalue())
    assert got.ok, [str(x) for x in got.problems]
    assert [(x.name, x.position, x.category) for x in got.units] == [
        ("机电工程学院", 1, "college"),
        ("教务处", 2, "department"),
    ]
    assert [(x.employee_no, x.name, [r.role for r in x.roles]) for x in got.people] == [
        ("20011", "张三", ["reporter", "voter"]), ("007", "李四", ["scorer", "reporter"])]
    assert "电话" not in got.people_columns and "简称" not in got.unit_columns
