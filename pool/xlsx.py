"""A small `.xlsx` writer for typed tables, in memory: one worksheet per table; text as
inline strings (never a formula), numbers as numbers, dates as Excel dates; a bold header
row with an autofilter, frozen header row and key columns, and widths from the content.

Exports use it rather than openpyxl, whose writer spools each sheet to a temporary file
(an export holds ID numbers and kinship; no copy of it may stay on disk) and takes about
ten times as long. The cells are built column by column with Arrow string kernels, so
the cost per cell is C++, not Python."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_ROWS = 1_048_576  # rows of a worksheet, the header included
# Characters XML 1.0 cannot hold (a worksheet is XML): written as U+FFFD instead.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ILLEGAL_RE2 = r"[\x{00}-\x{08}\x{0b}\x{0c}\x{0e}-\x{1f}\x{fffe}\x{ffff}]"
_FORMULA_LIKE = "^'*[=+\\-@\\t\\r＝＋－＠]"  # as `pool.cell_guard`: marked as text
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_CHUNK = 50_000  # rows built at once
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
# Cell styles (cellXfs): 0 plain, 1 date, 2 date and time, 3 bold header, 4 text with
# Excel's quote prefix (what typing a leading apostrophe gives: edited, it stays text).
_DATE, _DATETIME, _BOLD, _QUOTED = 1, 2, 3, 4
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}"><numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
    'patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')
_EPOCH = pd.Timestamp("1899-12-30")  # day 0 of Excel's 1900 date system
_FIRST_TRUE_DAY = 61  # 1900-03-01: Excel counts a 29 February 1900 that never was

CellKind = Literal["text", "number", "date", "datetime"]
Row = Sequence[object]


class CellError(ValueError):
    """A table that an `.xlsx` file cannot hold; the message says to export CSV instead."""


@dataclass(frozen=True)
class SheetColumn:
    header: str
    kind: CellKind
    values: Sequence[str]  # display text ("" when empty): dates as YYYY-MM-DD[ HH:MM:SS]


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[SheetColumn]
    frozen_columns: int = 0  # columns kept in view when scrolling right (keys, names)

    @property
    def rows(self) -> int:
        return len(self.columns[0].values) if self.columns else 0


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_sheet(title: str, header: Row, rows: Iterable[Row]) -> Sheet:
    """A sheet of text cells from a header and rows (None or "" is an empty cell)."""
    data = [["" if v is None else str(v) for v in row] for row in rows]
    return Sheet(title, [SheetColumn(str(h), "text", [row[i] if i < len(row) else ""
                                                     for row in data])
                         for i, h in enumerate(header)])


def workbook_bytes(sheets: Sequence[Sheet | tuple[str, Row, Iterable[Row]]],
                   done: Callable[[int], None] | None = None) -> bytes:
    """The workbook of the sheets (a `(title, header, rows)` tuple is a sheet of text);
    `done(i)` is called once sheet i is written. Characters XML cannot hold are written
    as U+FFFD (`replaced_cells` says where)."""
    book_sheets = [s if isinstance(s, Sheet) else text_sheet(*s) for s in sheets]
    for sheet in book_sheets:
        if sheet.rows + 1 > MAX_ROWS:
            raise CellError(f"工作表“{sheet.title}”有 {sheet.rows} 行，超过 Excel 单表上限，"
                            f"请导出为 CSV / sheet {sheet.title} has {sheet.rows} rows, more "
                            "than an Excel sheet holds; export CSV instead")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _content_types(len(book_sheets)))
        book.writestr("_rels/.rels", f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship '
                      f'Id="rId1" Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
                      '</Relationships>')
        book.writestr("xl/workbook.xml", _workbook(book_sheets))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(book_sheets)))
        book.writestr("xl/styles.xml", _STYLES)
        for no, sheet in enumerate(book_sheets, start=1):
            with book.open(f"xl/worksheets/sheet{no}.xml", "w") as part:
                _write_sheet(part, sheet)
            if done is not None:
                done(no - 1)
    return out.getvalue()


def replaced_cells(sheet: Sheet) -> list[tuple[int, str]]:
    """(row number, header) of each cell holding a character XML cannot store."""
    found: list[tuple[int, str]] = []
    for column in sheet.columns:
        if column.kind != "text":
            continue
        hits = pc.match_substring_regex(pa.array(column.values, pa.string()), _ILLEGAL_RE2)
        rows = np.flatnonzero(pc.fill_null(hits, False).to_numpy(zero_copy_only=False))
        found += [(int(r) + 2, column.header) for r in rows]
    return sorted(found)


def _write_sheet(part: IO[bytes], sheet: Sheet) -> None:
    n, width = sheet.rows, len(sheet.columns)
    letters = [column_letter(i) for i in range(width)]
    last = f"{letters[-1]}{n + 1}" if letters else "A1"
    part.write(f'{_HEAD}<worksheet xmlns="{_MAIN}">{_FIT_TO_PAGE}<dimension ref="A1:{last}"/>'
               f'{_view(sheet.frozen_columns)}{_cols(sheet)}<sheetData>'.encode())
    header = "".join(f'<c r="{letter}1" t="inlineStr" s="{_BOLD}"><is><t>'
                     f'{_escape_one(c.header)}</t></is></c>'
                     for letter, c in zip(letters, sheet.columns, strict=True))
    part.write(f'<row r="1">{header}</row>'.encode())
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        numbers = pa.array([str(r) for r in range(start + 2, stop + 2)], pa.string())
        cells = [_cells(letter, numbers, column.kind, column.values[start:stop])
                 for letter, column in zip(letters, sheet.columns, strict=True)]
        rows = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
        part.write(_buffer(rows))
    autofilter = f'<autoFilter ref="A1:{last}"/>' if width else ""
    part.write(f"</sheetData>{autofilter}{_PRINT}</worksheet>".encode())


# Printed: A4 landscape, every column on the page's width (as many pages down as needed),
# the header row repeated on each page (the Print_Titles name in the workbook), the sheet's
# name at the top and "第 N 页 共 M 页" at the bottom.
_FIT_TO_PAGE = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
_PRINT = ('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" '
          'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
          'fitToHeight="0"/><headerFooter><oddHeader>&amp;C&amp;A</oddHeader><oddFooter>'
          '&amp;C第 &amp;P 页 共 &amp;N 页</oddFooter></headerFooter>')


def _cells(letter: str, numbers: pa.Array, kind: CellKind, values: Sequence[str]
           ) -> pa.Array:
    """One column's `<c>` elements for a run of rows ("" for an empty cell)."""
    arr = pa.array(values, pa.string())
    blank = pc.or_(pc.is_null(arr), pc.equal(pc.fill_null(arr, ""), ""))
    ref = ('<c r="' + letter, numbers)
    if kind == "number":
        numeric = pc.match_substring_regex(arr, _NUMBER)
        cell = pc.binary_join_element_wise(*ref, '"><v>', arr, "</v></c>", "")
        return pc.if_else(blank, "", pc.if_else(numeric, cell, _text(ref, arr)))
    if kind in ("date", "datetime"):
        serial = _serials(values, kind == "datetime")
        style = _DATETIME if kind == "datetime" else _DATE
        cell = pc.binary_join_element_wise(*ref, f'" s="{style}"><v>', serial, "</v></c>", "")
        return pc.if_else(blank, "", pc.if_else(pc.is_null(serial), _text(ref, arr), cell))
    return pc.if_else(blank, "", _text(ref, arr))


def _text(ref: tuple[str, pa.Array], arr: pa.Array) -> pa.Array:
    quoted = pc.match_substring_regex(arr, _FORMULA_LIKE)
    style = pc.if_else(quoted, f'" s="{_QUOTED}', "")
    spaced = pc.match_substring_regex(arr, r"^\s|\s$|\n")
    space = pc.if_else(spaced, ' xml:space="preserve"', "")
    return pc.binary_join_element_wise(*ref, style, '" t="inlineStr"><is><t', space, ">",
                                       _escape(arr), "</t></is></c>", "")


def _escape(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring(arr, "&", "&amp;")
    arr = pc.replace_substring(arr, "<", "&lt;")
    arr = pc.replace_substring(arr, ">", "&gt;")
    arr = pc.replace_substring(arr, "\r", "&#13;")  # a raw CR would be read back as LF
    return pc.replace_substring_regex(arr, _ILLEGAL_RE2, "\ufffd")


def _escape_one(text: str) -> str:
    return str(_escape(pa.array([text], pa.string()))[0].as_py())


def _serials(values: Sequence[str], with_time: bool) -> pa.Array:
    """Excel serial numbers of dates written YYYY-MM-DD[ HH:MM:SS] (null where a value is
    no such date): whole days since 1899-12-30 (one fewer before 1900-03-01), the time
    of day as a fraction."""
    parsed = pd.to_datetime(pd.Series(values, dtype=object),
                            format="%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d",
                            errors="coerce")
    valid = parsed.notna().to_numpy()
    seconds = ((parsed - _EPOCH).dt.total_seconds().fillna(0)).to_numpy().astype(np.int64)
    days, rest = np.divmod(seconds, 86400)
    days -= days < _FIRST_TRUE_DAY
    whole = pc.cast(pa.array(days), pa.string())
    fraction = pc.cast(pa.array(days + rest / 86400), pa.string())  # shortest round trip
    text = pc.if_else(pa.array(rest == 0), whole, fraction)
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


def _buffer(rows: pa.Array) -> memoryview:
    """The concatenated text of a string array, straight from its data buffer."""
    rows = rows.combine_chunks() if isinstance(rows, pa.ChunkedArray) else rows
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)
    start, stop = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return memoryview(rows.buffers()[2])[start:stop]


def _display_width(values: Sequence[str]) -> int:
    """Widest value in character cells: a CJK character (3 or 4 UTF-8 bytes) counts two."""
    if not values:
        return 0
    arr = pa.array(values, pa.string())
    cells = pc.divide(pc.add(pc.binary_length(arr), pc.utf8_length(arr)), 2)
    widest = pc.max(cells).as_py()
    return int(widest or 0)


def _cols(sheet: Sheet) -> str:
    if not sheet.columns:
        return ""
    cols = []
    for no, column in enumerate(sheet.columns, start=1):
        content = {"date": 10, "datetime": 19}.get(column.kind) or \
            _display_width(column.values)
        width = min(60, max(8, content, _display_width([column.header]) + 3) + 2)
        cols.append(f'<col min="{no}" max="{no}" width="{width}" customWidth="1"/>')
    return f"<cols>{''.join(cols)}</cols>"


def _view(frozen_columns: int) -> str:
    """The header row (and the first `frozen_columns` columns) stay in view."""
    split = f'xSplit="{frozen_columns}" ' if frozen_columns else ""
    corner = f"{column_letter(frozen_columns)}2"
    pane = "bottomRight" if frozen_columns else "bottomLeft"
    return (f'<sheetViews><sheetView workbookViewId="0"><pane {split}ySplit="1" '
            f'topLeftCell="{corner}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{corner}" sqref="{corner}"/>'
            '</sheetView></sheetViews>')


def _content_types(count: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{no}.xml" '
                     f'ContentType="{_TYPE}.worksheet+xml"/>' for no in range(1, count + 1))
    return (f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{_TYPE}.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            f'ContentType="{_TYPE}.styles+xml"/>{sheets}</Types>')


def _workbook(sheets: Sequence[Sheet]) -> str:
    from xml.sax.saxutils import escape, quoteattr

    listed = "".join(f'<sheet name={quoteattr(s.title)} sheetId="{no}" r:id="rId{no}"/>'
                     for no, s in enumerate(sheets, start=1))
    # Excel keeps each sheet's filter range as a hidden name; a reader may rely on it
    # and the header row printed on every page as Print_Titles (names sorted by name)
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{no}" hidden="1">'
        f"{escape(_quoted_title(s.title))}!$A$1:${column_letter(len(s.columns) - 1)}$"
        f"{s.rows + 1}</definedName>"
        for no, s in enumerate(sheets) if s.columns) + "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{no}">'
        f"{escape(_quoted_title(s.title))}!$1:$1</definedName>"
        for no, s in enumerate(sheets) if s.columns)
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    return (f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_REL}"><sheets>{listed}'
            f"</sheets>{defined}</workbook>")


def _quoted_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _workbook_rels(count: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{no}" Type="{_DOC_REL}/worksheet" '
                     f'Target="worksheets/sheet{no}.xml"/>' for no in range(1, count + 1))
    return (f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{sheets}<Relationship '
            f'Id="rId{count + 1}" Type="{_DOC_REL}/styles" Target="styles.xml"/>'
            '</Relationships>')
