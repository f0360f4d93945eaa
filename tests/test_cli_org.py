"""``kpi org import/export`` from the command line."""

import os
import re

from sqlmodel import select

from app.models import Unit, User
from app.services import accounts
from tests.builders.org import PEOPLE, UNITS, workbook


def test_import_dry_run_then_import_then_export(app, session, tmp_path):
    runner = app.test_cli_runner()
    src = tmp_path / "org.xlsx"
    src.write_bytes(workbook(UNITS, PEOPLE))
    r = runner.invoke(args=["kpi", "org", "import", str(src), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "单位：新建 3" in r.output and "新建 1001 张三（第 2 行）" in r.output and "试运行" in r.output
    session.expire_all()
    assert session.exec(select(Unit)).all() == []
    r = runner.invoke(args=["kpi", "org", "import", str(src)])
    assert r.exit_code != 0 and "--slips" in r.output
    slips = tmp_path / "slips.html"
    r = runner.invoke(args=["kpi", "org", "import", str(src), "--slips", str(slips)])
    assert r.exit_code == 0, r.output
    assert oct(os.stat(slips).st_mode & 0o777) == "0o600"
    html = slips.read_text(encoding="utf-8")
    passwords = re.findall(r'<dd class="pw">([^<]+)</dd>', html)
    users = re.findall(r'<dd class="user">([^<]+)</dd>', html)
    assert users == ["1001", "1002", "2001", "1003"]
    session.expire_all()
    zs = session.exec(select(User).where(User.username == "1001")).one()
    assert accounts.verify_password(zs.password_hash, passwords[0])
    out = tmp_path / "out.xlsx"
    r = runner.invoke(args=["kpi", "org", "export", str(out)])
    assert r.exit_code == 0 and "3 个单位、4 人" in r.output
    r = runner.invoke(args=["kpi", "org", "import", str(out)])
    assert r.exit_code == 0 and "没有需要保存的变化" in r.output, r.output


def test_import_errors_exit_1(app, tmp_path):
    src = tmp_path / "bad.xlsx"
    src.write_bytes(workbook([("机电工程学院", "", "学院", "二级学院", 1)], []))
    r = app.test_cli_runner().invoke(args=["kpi", "org", "import", str(src)])
    assert r.exit_code == 1
    assert "「单位」表第 2 行 C 列：类别「学院」无效" in r.output
