"""The shared upload helper (``app.services.files``) and the rules its three callers share."""

import io
import os
import zipfile

import pytest

from app.models.award import AttachedFile
from app.services import ServiceError, attachments, files
from tests.builders import factories as f
from tests.builders.files import PDF


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


def test_sniff_by_content():
    assert files.sniff(PDF) == "pdf"
    assert files.sniff(b"\x89PNG\r\n\x1a\n....") == "png"
    assert files.sniff(b"\xff\xd8\xff\xe0") == "jpg"
    assert files.sniff(files.OLE_MAGIC + b"..", "xls") == "xls"
    assert files.sniff(files.OLE_MAGIC + b"..", "pdf") == "doc"
    assert files.sniff(_zip("[Content_Types].xml", "word/document.xml")) == "docx"
    assert files.sniff(_zip("[Content_Types].xml", "xl/workbook.xml")) == "xlsx"
    assert files.sniff(_zip("word/document.xml")) is None  # not an Office package
    assert files.sniff(b"PK\x03\x04garbage") is None
    assert files.sniff(b"<html>") is None


def test_check_store_and_path(app):
    with app.app_context():
        up = files.check(PDF, "通知.PDF")
        assert (up.kind, up.size, up.mime) == ("pdf", len(PDF), "application/pdf")
        stored = files.store(up, "evidence")
        assert stored.endswith(".pdf") and "通知" not in stored
        with open(files.path("evidence", stored), "rb") as fh:
            assert fh.read() == PDF
        for bad in ("", "../x.pdf", "a/b", ".hidden"):
            with pytest.raises(ServiceError, match="文件不存在"):
                files.path("evidence", bad)
        with pytest.raises(ServiceError, match="不能为空"):
            files.check(b"", "a.pdf")
        with pytest.raises(ServiceError, match="扩展名"):
            files.check(PDF, "a.png")
        app.config["EVIDENCE_MAX_MB"] = 1
        with pytest.raises(ServiceError, match="文件过大：上限 1 MB"):
            files.check(PDF + b"0" * (1024 * 1024), "a.pdf")
        assert len(files.read(io.BytesIO(b"0" * (3 * 1024 * 1024)))) == 1024 * 1024 + 1
        assert files.clean_name("C:\\Users\\x\\报告.pdf", "d") == "报告.pdf"
        assert files.clean_name("", "d") == "d"


def test_award_files_keep_their_types_and_wording(app, session):
    cycle = f.cycle(session)
    session.commit()
    with app.app_context():
        row = attachments.attach(session, actor_id=None, owner="award", owner_id=1, cycle_id=cycle.id,
                                 filename="证书.pdf", data=PDF)
        assert isinstance(row, AttachedFile) and row.content_type == "application/pdf"
        assert os.path.exists(attachments.path_of(row))
        with pytest.raises(ServiceError, match="文件「a.doc」的类型不允许") as exc:
            attachments.attach(session, actor_id=None, owner="award", owner_id=1, cycle_id=cycle.id,
                               filename="a.doc", data=files.OLE_MAGIC + b"..")
        assert exc.value.field == "files"
        with pytest.raises(ServiceError, match="上传的文件是空的"):
            attachments.attach(session, actor_id=None, owner="award", owner_id=1, cycle_id=cycle.id,
                               filename="a.pdf", data=b"")
        with pytest.raises(ServiceError, match="与扩展名「.jpg」不符"):
            attachments.attach(session, actor_id=None, owner="award", owner_id=1, cycle_id=cycle.id,
                               filename="a.jpg", data=PDF)
