"""Budget-performance target tables (绩效目标表) in Excel: ``reader`` reads the source layouts,
``writer`` writes a table back in that layout and the year-end self-evaluation sheet."""

from .reader import LEVEL_FIELDS, VALUE_FIELDS, ReadError, ReadResult, RowLocation, Source, read_target_workbook
from .writer import SELFEVAL_HEADER, write_projects_workbook, write_selfeval_sheet, write_target_workbook

__all__ = ["LEVEL_FIELDS", "ReadError", "ReadResult", "RowLocation", "SELFEVAL_HEADER", "Source", "VALUE_FIELDS",
           "read_target_workbook", "write_projects_workbook", "write_selfeval_sheet", "write_target_workbook"]
