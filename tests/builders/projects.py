"""A workbook of several project target tables, made by hand with openpyxl the way a finance office
lays one out (not written by the product's own writer): per sheet a title, 项目名称, the money
lines, 总体目标, then 一级 / 二级 / 三级指标 and a single 指标值 column."""

import io

import openpyxl

PROJECTS = {
    "实训基地": ("智能制造实训基地建设", [
        ("产出指标", "数量指标", "新建实训室数量", "≥3个"),
        ("产出指标", "质量指标", "设备验收合格率", "=100%"),
        ("效益指标", "社会效益指标", "年培训人次", "≥2000人次"),
        ("满意度指标", "服务对象满意度指标", "学生满意度", "≥90%"),
    ]),
    "专业群": ("高水平专业群建设", [
        ("产出指标", "数量指标", "新开发课程", "≥6门"),
        ("产出指标", "时效指标", "完成时间", "2026年12月底前"),
        ("效益指标", "可持续影响指标", "校企合作企业数", "≥10家"),
    ]),
}


def projects_workbook(projects=None, *, with_names=True, notes_sheet=True) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, (project, rows) in (projects or PROJECTS).items():
        ws = wb.create_sheet(sheet)
        ws.append(["项目支出绩效目标表"])
        ws.append(["（2026年度）"])
        if with_names:
            ws.append(["项目名称", project])
        ws.append(["主管部门", "省教育厅", "实施单位", "机电工程学院"])
        ws.append(["项目资金（万元）", "年度资金总额", 500])
        ws.append(["", "其中：财政拨款", 400])
        ws.append(["总体目标", f"完成{project}年度任务"])
        ws.append(["一级指标", "二级指标", "三级指标", "指标值"])
        for r in rows:
            ws.append(list(r))
    if notes_sheet:
        wb.create_sheet("填表说明").append(["金额单位：万元；每个项目一张工作表。"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
