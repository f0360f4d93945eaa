"""The office downloads the archive of published self-reports from the report list in a real browser:
one PDF with a cover and one section per published unit, the Chinese text in it. The PDF's pages are
rendered to PNG (pdftoppm, when installed) next to the screenshots for a look at the layout."""

import io
import os
import shutil
import subprocess

import pytest

from tests.builders.browser import serving, sign_in
from tests.e2e.test_ballot_browser import watch_csp

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(e2e_app, tmp_path):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import reports
    from tests.builders.report_world import World

    with e2e_app.app_context():
        with Session(db.engine, expire_on_commit=False) as s:
            w = World(s)
            for unit, user in ((w.c1, w.tb1), (w.c2, w.tb2)):
                kw = dict(actor_id=user.id, allowed_units={unit.id}, cycle=w.cycle, unit=unit)
                v = reports.save_draft(s, **kw, texts={"summary": f"{unit.name}全年完成各项目标任务。",
                                                       "highlights": "产教融合成效明显"}, report_version=0,
                                       entries={"B1": {"facts": {"trainees": "900", "students": "1000"},
                                                       "narrative": "开展社会培训九百人次", "version": 0}})
                report = reports.submit(s, **kw, expected_version=v["report"])
                reports.publish(s, actor_id=w.office.id, report=report)
            s.commit()
            ids = {"cycle": w.cycle.id}
    with serving(e2e_app) as base:
        yield {"base": base, **ids, "shots": os.environ.get("KPI_SCREENSHOTS") or str(tmp_path)}


def test_office_downloads_the_archive_pdf(served, browser):
    from pypdf import PdfReader

    base, shots = served["base"], served["shots"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    csp = watch_csp(page)
    sign_in(page, base, "office")
    page.goto(f"{base}/report/office/cycles/{served['cycle']}")
    with page.expect_download() as dl:
        page.locator("a", has_text="全部公示报告（PDF）").click()
    assert dl.value.suggested_filename.endswith("各单位自查自评报告.pdf")
    data = open(dl.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]
    assert "各单位自查自评报告汇编" in pages[0] and "共 2 个单位" in pages[0]
    assert [p for p in pages if "机电工程学院自查自评报告" in p and "全年完成" in p]
    assert [p for p in pages if "信息工程学院自查自评报告" in p and "全年完成" in p]
    assert "开展社会培训九百人次" in "".join(pages)
    with page.expect_download() as dl:
        page.locator("a", has_text="每单位一个 PDF（ZIP）").click()
    assert open(dl.value.path(), "rb").read(2) == b"PK"
    path = os.path.join(shots, "report-archive.pdf")
    with open(path, "wb") as fh:
        fh.write(data)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", path, os.path.join(shots, "report-archive")], check=True)
    assert csp == []  # no Content-Security-Policy violation, no script error
    ctx.close()
