"""A small `.xlsx` writer for tables of text, in memory: one worksheet per table, every cell
an inline string. Exports use it rather than openpyxl, whose writer spools each sheet to a
temporary file (an export holds ID numbers and kinship; no copy of it may stay on disk)
and takes about ten times as long."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO
from xml.sax.saxutils import escape, quoteattr

MAX_ROWS = 1_048_576  # rows of a worksheet, the header included
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
    'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>')

Row = Sequence[object]


class CellError(ValueError):
    """A value that an `.xlsx` file cannot hold; the message names the sheet, row and
    column, and says to export CSV instead."""


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook_bytes(sheets: Sequence[tuple[str, Row, Iterable[Row]]]) -> bytes:
    """The workbook of `(title, header, rows)` sheets: each value is written as its text;
    None or "" is an empty cell."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _content_types(len(sheets)))
        book.writestr("_rels/.rels", f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship '
                      f'Id="rId1" Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
                      '</Relationships>')
        book.writestr("xl/workbook.xml", _workbook([title for title, _h, _r in sheets]))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        book.writestr("xl/styles.xml", _STYLES)
        for no, (title, header, rows) in enumerate(sheets, start=1):
            with book.open(f"xl/worksheets/sheet{no}.xml", "w") as part:
                _write_sheet(part, title, header, rows)
    return out.getvalue()


def _write_sheet(part: IO[bytes], title: str, header: Row, rows: Iterable[Row]) -> None:
    rows = list(rows)
    if len(rows) + 1 > MAX_ROWS:
        raise CellError(f"工作表“{title}”有 {len(rows)} 行，超过 Excel 单表上限，请导出为 CSV / "
                        f"sheet {title} has {len(rows)} rows, more than an Excel sheet holds; "
                        "export CSV instead")
    letters = [column_letter(i) for i in range(len(header))]
    last = f"{letters[-1]}{len(rows) + 1}" if letters else "A1"
    part.write(f'{_HEAD}<worksheet xmlns="{_MAIN}"><dimension ref="A1:{last}"/>'
               '<sheetData>'.encode())
    chunk: list[str] = []
    for number, row in enumerate([header, *rows], start=1):
        cells = "".join(_cell(letters[i], number, str(v)) for i, v in enumerate(row)
                        if v is not None and v != "")
        if _ILLEGAL.search(cells):
            _refuse(title, number, header, row)
        chunk.append(f'<row r="{number}">{cells}</row>')
        if len(chunk) == 2000:
            part.write("".join(chunk).encode("utf-8"))
            chunk.clear()
    part.write(("".join(chunk) + "</sheetData></worksheet>").encode("utf-8"))


def _cell(letter: str, row: int, value: str) -> str:
    text = escape(value, {"\r": "&#13;"})  # a raw CR would be read back as LF
    space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
    return f'<c r="{letter}{row}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _refuse(title: str, number: int, header: Row, row: Row) -> None:
    column = next(str(h) for h, v in zip(header, row, strict=False)
                  if v is not None and _ILLEGAL.search(str(v)))
    raise CellError(f"工作表“{title}”第{number}行“{column}”含有 Excel 不能保存的控制字符，"
                    f"请导出为 CSV / sheet {title}, row {number}, column {column} holds a "
                    "control character that an Excel file cannot store: export CSV instead")


def _content_types(count: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{no}.xml" '
                     f'ContentType="{_TYPE}.worksheet+xml"/>' for no in range(1, count + 1))
    return (f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{_TYPE}.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            f'ContentType="{_TYPE}.styles+xml"/>{sheets}</Types>')


def _workbook(titles: list[str]) -> str:
    sheets = "".join(f'<sheet name={quoteattr(title)} sheetId="{no}" r:id="rId{no}"/>'
                     for no, title in enumerate(titles, start=1))
    return (f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_REL}"><sheets>{sheets}'
            '</sheets></workbook>')


def _workbook_rels(count: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{no}" Type="{_DOC_REL}/worksheet" '
                     f'Target="worksheets/sheet{no}.xml"/>' for no in range(1, count + 1))
    return (f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{sheets}<Relationship '
            f'Id="rId{count + 1}" Type="{_DOC_REL}/styles" Target="styles.xml"/>'
            '</Relationships>')
