import io
import zipfile

import openpyxl
import pytest

from app.sheets.safety import Limits, UnsafeWorkbook, check_worksheet_size, check_xlsx, load_workbook_safely


def xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "项目支出绩效自评表"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_real_workbook_passes(tmp_path):
    data = xlsx_bytes()
    assert check_xlsx(data) == data
    path = tmp_path / "ok.xlsx"
    path.write_bytes(data)
    wb = load_workbook_safely(path)
    assert wb.active["A1"].value == "项目支出绩效自评表"
    assert load_workbook_safely(io.BytesIO(data)).active["A1"].value
    assert check_worksheet_size(wb.active) is None


@pytest.mark.parametrize(
    "data, words",
    [
        (b"plain text", "不是 zip"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, ".xls"),
        (zip_of({"[Content_Types].xml": b"<Types/>"}), "xl/workbook.xml"),
        (zip_of({"xl/workbook.xml": b"<w/>", "../evil.xml": b"x"}), "不安全的路径"),
    ],
)
def test_rejected(data, words):
    with pytest.raises(UnsafeWorkbook) as err:
        check_xlsx(data)
    assert words in str(err.value)


def test_limits():
    many = zip_of({"xl/workbook.xml": b"<w/>", **{f"xl/x{i}.xml": b"x" for i in range(20)}})
    with pytest.raises(UnsafeWorkbook, match="文件过多"):
        check_xlsx(many, limits=Limits(max_entries=10))
    bomb = zip_of({"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": b"\0" * (4 * 1024 * 1024)})
    with pytest.raises(UnsafeWorkbook, match="压缩比"):
        check_xlsx(bomb)
    with pytest.raises(UnsafeWorkbook, match="总大小"):
        check_xlsx(bomb, limits=Limits(max_total_size=1024 * 1024, max_ratio=10**9))
    with pytest.raises(UnsafeWorkbook, match="解压后过大"):
        check_xlsx(bomb, limits=Limits(max_entry_size=1024, max_ratio=10**9))
    with pytest.raises(UnsafeWorkbook, match="文件过大"):
        check_xlsx(bomb, limits=Limits(max_file_size=100))


def test_missing_file(tmp_path):
    with pytest.raises(UnsafeWorkbook, match="无法打开"):
        check_xlsx(tmp_path / "none.xlsx")


def test_oversized_sheet():
    wb = openpyxl.Workbook()
    wb.active.cell(row=5, column=16384).value = 1
    msg = check_worksheet_size(wb.active)
    assert msg and wb.active.title in msg and "16384" in msg
    assert check_worksheet_size(wb.active, limits=Limits(max_columns=20000)) is None
