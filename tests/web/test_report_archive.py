"""The archive of published self-reports: one PDF with one section per published unit (and no unpublished
one), the Chinese text extractable (so the CJK font is embedded), and a zip with one PDF per unit."""

import io
import zipfile

import pytest
from pypdf import PdfReader

from tests.builders import factories as f
from tests.builders.report_world import World
from tests.web.test_report_web import _submit


@pytest.fixture
def w(session):
    return World(session)


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _publish_two(client, w):
    for unit, login in ((w.c1, "tb1"), (w.c2, "tb2"), (w.c3, "tb3")):
        _submit(client, w, unit, login)
    f.login(client, "office")
    # publish 机电 and 信息; 继续教育 stays submitted but unpublished
    for unit in (w.c1, w.c2):
        assert client.post(f"/report/office/cycles/{w.cycle.id}/units/{unit.id}/publish").status_code == 302


def test_archive_pdf_has_one_section_per_published_unit(client, session, w):
    _publish_two(client, w)
    html = client.get(f"/report/office/cycles/{w.cycle.id}").get_data(as_text=True)
    assert "全部公示报告（PDF）" in html
    r = client.get(f"/report/office/cycles/{w.cycle.id}/archive.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and "attachment" in r.headers["Content-Disposition"]
    pages = _text(r.data)
    assert "各单位自查自评报告汇编" in pages[0]
    heads = [p for p in pages if "自查自评报告" in p and "综合目标考核" in p and "汇编" not in p]
    starts = [name for name in ("机电工程学院", "信息工程学院", "继续教育学院")
              if any(f"{name}自查自评报告" in p for p in heads)]
    assert starts == ["机电工程学院", "信息工程学院"]  # each from a new page, the unpublished one absent
    whole = "".join(pages)
    assert "机电工程学院的总结" in whole and "信息工程学院的总结" in whole and "继续教育学院的总结" not in whole
    assert "社会培训人数" in whole and "100人" in whole
    outline = [o.title for o in PdfReader(io.BytesIO(r.data)).outline if not isinstance(o, list)]
    assert "机电工程学院自查自评报告" in outline and "信息工程学院自查自评报告" in outline


def test_archive_zip_has_one_pdf_per_unit(client, session, w):
    _publish_two(client, w)
    r = client.get(f"/report/office/cycles/{w.cycle.id}/archive.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.data))
    names = zf.namelist()
    assert names == ["01-机电工程学院自查自评报告.pdf", "02-信息工程学院自查自评报告.pdf"]
    text = "".join(_text(zf.read(names[1])))
    assert "信息工程学院的总结" in text and "机电工程学院的总结" not in text


def test_archive_without_published_reports_says_so(client, session, w):
    f.login(client, "office")
    r = client.get(f"/report/office/cycles/{w.cycle.id}/archive.pdf", follow_redirects=True)
    assert "还没有公示的自查报告" in r.get_data(as_text=True)


def test_archive_is_for_the_office(client, session, w):
    _publish_two(client, w)
    client.post("/logout")
    f.login(client, "tb1")
    assert client.get(f"/report/office/cycles/{w.cycle.id}/archive.pdf").status_code in (403, 404)
