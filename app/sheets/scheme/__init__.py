"""An assessment scheme as a workbook the office edits in Excel, and back.

:func:`export_scheme` writes four sheets:

* ``说明`` — how to edit, the value formats, and every rule type of the registry with its
  declared parameters (``Rule.parameters``: labels, required or default, kind, help, nested keys)
  and, when the scheme uses it, an example with its meaning in plain words;
* ``方案`` — label/value rows (项目 | 值 | 值2 | 值3): key, name, version, period, total, normalisation,
  notes, the democratic-rating (ballot) settings, grading, the contribution-award rule. Repeated
  items (方案说明, 测评等次, 优秀名额, …) take one row each;
* ``组成`` — per category: its unit types, its components with their points (and the leader
  component's parts), and the units it names;
* ``指标`` — one row per node of each category's indicator tree, in tree order, linked by
  ``上级编码``; the rule is written by its Chinese name, its parameters as JSON text.

:func:`import_scheme` reads it back. Every problem names the sheet, row and column; the
assembled dict then goes through :func:`app.rubric.scheme.validate_scheme`, whose messages
(naming the indicator) are placed on the sheet row (and, where the message says which, the
column) they come from. Nothing is returned unless the whole workbook is right.

Modules: ``layout`` (sheet names, columns, row labels, value labels), ``export``, ``cells``
(reading cell values) and ``importer`` (reading the sheets, placing validation messages).

Round trip: for a scheme dict in canonical form (what ``dump_scheme`` gives — the seed is),
``import_scheme(export_scheme(d)) == (d, [])``.

Cell formats of the 指标 sheet: lists (适用类型, 适用单位) separated by 「、」; maps (各类型满分)
as 「名称：分值」 separated by 「；」; 分单位说明 one 「单位：文字」 per line. Any of them may also
be written as JSON (starting with ``[`` or ``{``), which the export does when a name contains a
separator.
"""


from .export import export_scheme
from .importer import import_scheme, validate_safely
from .layout import (
    AWARD_LABELS,
    FAIL_LABELS,
    IND_REQUIRED,
    INDICATOR_COLUMNS,
    KIND_LABELS,
    NO,
    NORM_LABELS,
    PART_COLUMNS,
    PART_LABELS,
    ROW_COMPONENT,
    ROW_SUBTYPE,
    ROW_UNIT,
    S_HELP,
    S_IND,
    S_PARTS,
    S_SCHEME,
    SHEETS,
    YES,
    ImportProblem,
)

__all__ = [
    "ImportProblem", "export_scheme", "import_scheme", "validate_safely", "SHEETS", "INDICATOR_COLUMNS",
    "S_HELP", "S_SCHEME", "S_PARTS", "S_IND", "KIND_LABELS", "NORM_LABELS", "FAIL_LABELS", "AWARD_LABELS",
    "PART_LABELS", "YES", "NO", "IND_REQUIRED", "PART_COLUMNS", "ROW_SUBTYPE", "ROW_COMPONENT", "ROW_UNIT",
]
