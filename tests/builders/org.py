"""The organisation workbook as an office fills it: the downloaded template with rows appended
(``workbook``), and a small college (``UNITS``, ``PEOPLE``) in the workbook's columns."""

import io

import openpyxl

from app.sheets.org import org_workbook


def workbook(units, people, *, tweak=None) -> bytes:
    """The downloaded template filled in as an office would: rows appended under the headers."""
    wb = openpyxl.load_workbook(org_workbook([], []))
    for row in units:
        wb["单位"].append(list(row))
    for row in people:
        wb["人员"].append(list(row))
    if tweak:
        tweak(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


UNITS = [("机电工程学院", "机电", "院部", "二级学院", 1), ("教务处", "", "部门", "职能部门", 1),
         ("财务处", None, "部门", "职能部门", 2)]
PEOPLE = [("1001", "张三", "机电工程学院", "单位填报员", None, "zs@example.edu.cn", "13800000001"),
          ("1002", "李四", "教务处", "考核评分员、测评投票人", None, None, None),
          ("2001", "王校长", None, "校领导、领导小组", "正职", None, None),
          (1003, "赵六", "财务处", "单位填报员、考核评分员（教务处）", None, None, 51234567)]
