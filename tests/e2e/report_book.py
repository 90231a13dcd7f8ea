"""Reading the round report's workbook in tests: each sheet's table below its title
block, found by the sheet's print titles (the header row repeated on every page)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook import Workbook


def open_book(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


def header_row(book: Workbook, sheet: str) -> int:
    titles = book[sheet].print_title_rows
    assert titles, f"{sheet}: no print titles"
    return int(titles.split(":")[0].strip("$"))


def table(book: Workbook, sheet: str) -> list[dict[str, Any]]:
    """The sheet's table rows as {header: value}, up to the first empty row."""
    ws = book[sheet]
    first = header_row(book, sheet)
    header = [c.value for c in ws[first]]
    out = []
    for values in ws.iter_rows(min_row=first + 1, values_only=True):
        if all(v in (None, "") for v in values):
            break
        out.append(dict(zip(header, values, strict=False)))
    return out
