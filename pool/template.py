"""The import template (`xuncha template`, GET /v1/pool/template.xlsx): an empty workbook in
the import format of `pool.formats` (one sheet per table with its Chinese headers, frozen
and sized, drop-downs on the code columns, a 说明 sheet describing every column and a 代码表
sheet holding the lists), or header-only CSV files and a 说明.txt for a directory.

It holds no personal data (headers, notes and code lists only), so openpyxl writes it."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pool.formats import ENTITIES, LISTS_SHEET, NOTES_SHEET, Column, Entity
from pool.tabular import CSV_ENCODING
from pool.template_notes import (
    Catalogue,
    ColumnNote,
    column_note,
    companions,
    drop_down,
    prompt,
)

DEFAULT_NAME = "xuncha-template.xlsx"
CSV_NOTES = "说明.txt"  # beside the CSV files; the importer skips .txt files
LAST_ROW = 1_048_576
TEXT_KINDS = frozenset({"key", "ref", "region", "id_number", "text", "name", "skills"})
NOTES_HEADER = ("工作表 sheet", "列名 header", "英文别名 English alias", "必填 required",
                "类型 type", "可选值 allowed values", "示例 example", "说明 notes")
NOTES_WIDTHS = (12, 16, 20, 10, 34, 60, 24, 40)
GENERAL_NOTES = (
    "每个工作表是一张表：第1行是列名，请勿修改列名和工作表名；从第2行起每行一条记录 / each "
    "sheet is one table: row 1 holds the headers (do not change headers or sheet names); "
    "one record per row from row 2",
    "橙色列名为必填；用不到的列可整列删除（已有记录的这些字段保持不变），"
    "用不到的工作表可删除或留空 / orange headers are required; columns you do not need may "
    "be deleted (existing records keep those fields), sheets you do not need may be deleted "
    "or left empty",
    "代码列有下拉列表，列表在“代码表”工作表；代码和英文名称也可导入 / code columns have drop-down "
    "lists (kept on the 代码表 sheet); codes and English names import as well",
    "“说明”和“代码表”工作表导入时被忽略；先校验再导入：./dev xuncha import 文件.xlsx --dry-run / "
    "the 说明 and 代码表 sheets are ignored on import; check first with "
    "./dev xuncha import FILE.xlsx --dry-run",
)
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
_WRAP = Alignment(wrap_text=True, vertical="top")


def importable(entity: Entity) -> tuple[Column, ...]:
    """The columns an import reads, in the format's order (the export's reference names,
    `Column.beside`, are not among them)."""
    return entity.columns


def column_notes(catalogue: Catalogue) -> list[ColumnNote]:
    """Every importable column of every table, as the 说明 sheet describes it."""
    return [column_note(e, c, catalogue) for e in ENTITIES for c in importable(e)]


def workbook_bytes(catalogue: Catalogue) -> bytes:
    """The `.xlsx` template: 说明, one sheet per table in import order, 代码表."""
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = NOTES_SHEET
    _notes_sheet(notes, column_notes(catalogue))
    sheets = [(e, book.create_sheet(e.zh)) for e in ENTITIES]
    ranges = _lists_sheet(book.create_sheet(LISTS_SHEET), catalogue)
    for entity, sheet in sheets:
        _table_sheet(sheet, entity, catalogue, ranges)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_paths(target: Path) -> list[Path]:
    """The files `write_csv` writes into the directory `target`."""
    return [target / f"{e.name}.csv" for e in ENTITIES] + [target / CSV_NOTES]


def write_csv(target: Path, catalogue: Catalogue) -> list[Path]:
    """Header-only CSV files (UTF-8 with a BOM, which Excel needs to show Chinese) named as
    the importer expects, and a 说明.txt describing every column."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for entity in ENTITIES:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerow(c.zh for c in importable(entity))
        path = target / f"{entity.name}.csv"
        path.write_bytes(text.getvalue().encode(CSV_ENCODING))
        written.append(path)
    notes = target / CSV_NOTES
    notes.write_bytes(notes_text(catalogue).encode(CSV_ENCODING))
    return [*written, notes]


def notes_text(catalogue: Catalogue) -> str:
    """The 说明 as plain text, for a directory of CSV templates."""
    lines = ["巡察干部人才库导入模板 说明 / xuncha import template: notes", "",
             "每个 CSV 文件是一张表，文件名即表名；第1行是列名 / each CSV file is one table, named "
             "after it; line 1 holds the headers", *GENERAL_NOTES[1:2],
             "导入 import: ./dev xuncha import 目录 DIR --dry-run", ""]
    for entity in ENTITIES:
        lines.append(f"== {entity.zh} {entity.name} ({entity.name}.csv) ==")
        for note in (column_note(entity, c, catalogue) for c in importable(entity)):
            parts = [f"{note.header} ({note.alias})",
                     "必填 required" if note.required else "选填 optional",
                     f"{note.type_zh} / {note.type_en}"]
            parts += [f"可选值 allowed: {note.allowed}"] if note.allowed else []
            parts += [f"例 e.g. {note.example}"] if note.example else []
            parts += [note.notes] if note.notes else []
            lines.append("- " + "；".join(parts))
        lines.append("")
    return "\n".join(lines)


# -- sheets ---------------------------------------------------------------------------------

def _put(sheet: Worksheet, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row, column)
    cell.value = value
    if value.startswith("="):  # text from the catalogue, never a formula
        cell.data_type = "s"


def _width(*texts: str) -> float:
    """A column width that shows the longest text (CJK characters are two wide)."""
    longest = max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
                  for text in texts)
    return float(min(max(longest + 2, 8), 40))


def _notes_sheet(sheet: Worksheet, notes: list[ColumnNote]) -> None:
    sheet.cell(1, 1, "巡察干部人才库导入模板 说明 / xuncha import template: notes").font = _BOLD
    last = get_column_letter(len(NOTES_HEADER))
    for row, text in enumerate(GENERAL_NOTES, start=2):
        _put(sheet, row, 1, text)  # across the table's width, wrapped
        sheet.merge_cells(f"A{row}:{last}{row}")
        sheet.cell(row, 1).alignment = _WRAP
        sheet.row_dimensions[row].height = 15 * max(1, -(-len(text) // 110))
    top = len(GENERAL_NOTES) + 3
    for column, (title, width) in enumerate(zip(NOTES_HEADER, NOTES_WIDTHS, strict=True),
                                            start=1):
        cell = sheet.cell(top, column, title)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row, note in enumerate(notes, start=top + 1):
        values = (note.sheet, note.header, note.alias, "是 yes" if note.required else "否 no",
                  f"{note.type_zh} / {note.type_en}", note.allowed, note.example, note.notes)
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value)
            sheet.cell(row, column).alignment = _WRAP
        if note.required:
            sheet.cell(row, 2).fill = _REQUIRED_FILL
    sheet.freeze_panes = f"A{top + 1}"
    # printed: A4 landscape, the columns on one page's width, the header row on each page
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{top}:{top}"
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"


def _lists_sheet(sheet: Worksheet, catalogue: Catalogue) -> dict[tuple[str, ...], str]:
    """Write each distinct drop-down list (and its codes or names beside it) as columns of
    the 代码表 sheet; return the range formula of each list's values."""
    ranges: dict[tuple[str, ...], str] = {}
    column = 1
    for entity in ENTITIES:
        for col in importable(entity):
            values = drop_down(col, catalogue)
            if not values or values in ranges:
                continue
            title, beside = companions(col, catalogue)
            letter = get_column_letter(column)
            ranges[values] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
            list_title = "是/否 yes/no" if col.kind == "bool" else col.zh
            header = sheet.cell(1, column, list_title)
            header.font, header.fill = _BOLD, _HEADER_FILL
            for row, value in enumerate(values, start=2):
                _put(sheet, row, column, value)
            sheet.column_dimensions[letter].width = _width(list_title, *values)
            if title:
                sheet.cell(1, column + 1, title).font = _BOLD
                for row, value in enumerate(beside, start=2):
                    _put(sheet, row, column + 1, value)
                sheet.column_dimensions[get_column_letter(column + 1)].width = \
                    _width(title, *beside)
            column += 3 if title else 2
    sheet.freeze_panes = "A2"
    return ranges


def _table_sheet(sheet: Worksheet, entity: Entity, catalogue: Catalogue,
                 ranges: dict[tuple[str, ...], str]) -> None:
    for column, col in enumerate(importable(entity), start=1):
        note = column_note(entity, col, catalogue)
        header = sheet.cell(1, column, col.zh)
        header.font = _BOLD
        header.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
        letter = get_column_letter(column)
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(col.zh, note.example)
        if col.kind in TEXT_KINDS:  # keeps leading zeros and long digit strings as typed
            dimension.number_format = "@"
        elif col.kind in ("date", "datetime"):
            dimension.number_format = "yyyy-mm-dd" + (" hh:mm:ss" if col.kind == "datetime"
                                                      else "")
        validation = _validation(col, ranges.get(drop_down(col, catalogue) or ()), note)
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
    sheet.freeze_panes = "A2"


def _validation(col: Column, list_range: str | None, note: ColumnNote) -> DataValidation:
    """A drop-down for a listed column, an input prompt for every column. A value off the
    list only warns: codes and English names import too, and a skills cell holds several
    ("财务:3;审计"), so it is not checked at all."""
    title, text = prompt(note)
    if list_range is None:
        return DataValidation(allow_blank=True, showInputMessage=True, promptTitle=title,
                              prompt=text)
    return DataValidation(
        type="list", formula1=list_range, allow_blank=True, showInputMessage=True,
        promptTitle=title, prompt=text, showErrorMessage=col.kind != "skills",
        errorStyle="warning", errorTitle=title,
        error="不在下拉列表中；代码和英文名称也可导入，其他值导入时会被拒绝 / not in the list: "
              "codes and English names import as well, anything else is rejected on import")
