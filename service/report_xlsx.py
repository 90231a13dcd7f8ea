"""The round report as a print-ready .xlsx workbook: one sheet per table, each with the
title block, A4 (landscape where wide) fitted to the page width, the header row repeated
on every printed page, the round's name in the page header and "第 N 页 共 M 页" below."""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from service.report import Report, Table

DATETIME = 'yyyy"年"m"月"d"日" hh:mm'
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOP = Alignment(wrap_text=True, vertical="top")
LINE = 14.5  # points per line of 11 pt text


def _lines(value: object, width: float) -> int:
    """How many lines a wrapped cell takes: CJK characters are two columns wide. Row
    heights are written out, as spreadsheet programs do not all fit them on opening."""
    if value is None or isinstance(value, dt.datetime | int | float):
        return 1
    # a fifth less room than the width: a line breaks before a word that does not fit
    # (rule ids such as employment.leader-long-service are long words), and a CJK glyph
    # of the printing font is a little wider than two digits
    room = max((width - 1.5) / 1.2, 1.0)
    return sum(max(1, math.ceil(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
                                    for ch in line) / room))
               for line in str(value).split("\n"))


def _block(ws: Worksheet, row: int, text: str, width: int, font: Font,
           height: float | None = None) -> None:
    """One line of the title block, merged across the table's width."""
    ws.cell(row=row, column=1, value=text).font = font
    ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="center")
    if width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    if height:
        ws.row_dimensions[row].height = height


def _page_setup(ws: Worksheet, report: Report, table: Table, header_row: int) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if table.wide else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3,
                                  footer=0.3)
    name = report.round_name.replace("&", "&&")
    ws.oddHeader.center.text = f"{name} · {table.sheet.split(' ')[0]}"
    if report.banner:
        ws.oddHeader.left.text = report.banner
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"


def _sheet(wb: Workbook, report: Report, table: Table) -> None:
    ws = wb.create_sheet(table.sheet[:31])
    width = len(table.header)
    total = sum(table.widths)
    row = 0
    if report.banner:  # first: what is no decision says so before anything else
        row += 1
        _block(ws, row, report.banner, width, Font(bold=True, size=12, color="C00000"), 20)
    row += 1
    _block(ws, row, report.title, width, Font(bold=True, size=14), 24)
    for line in report.lines:
        row += 1
        _block(ws, row, line, width, Font(size=10), 16 * _lines(line, total))
    row += 2
    _block(ws, row, table.title, width, Font(bold=True, size=12), 20)
    row += 1
    header_row = row
    for col, text in enumerate(table.header, start=1):
        cell = ws.cell(row=row, column=col, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E7E6E6")
        cell.border, cell.alignment = GRID, TOP
    ws.row_dimensions[row].height = LINE * max(
        _lines(text, w) for text, w in zip(table.header, table.widths, strict=True)) + 4
    for values in table.rows:
        row += 1
        ws.row_dimensions[row].height = LINE * max(
            _lines(v, w) for v, w in zip(values, table.widths, strict=True)) + 4
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value="" if value is None else value)
            cell.border, cell.alignment = GRID, TOP
            if isinstance(value, dt.datetime):
                cell.number_format = DATETIME
    row += 1
    for note in table.notes:
        row += 1
        _block(ws, row, note, width, Font(size=11), 30 if "签字" in note else None)
    for i, w in enumerate(table.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _page_setup(ws, report, table, header_row)


def report_xlsx(report: Report) -> bytes:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for table in report.tables:
        _sheet(wb, report, table)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
