"""The in-memory `.xlsx` writer: what it writes reads back the same through openpyxl and
pandas (as the importer reads it), typed (numbers, dates) and laid out (bold header,
filter, frozen panes, widths); a control character is replaced and located."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pool.xlsx import (
    CellError,
    Sheet,
    SheetColumn,
    column_letter,
    replaced_cells,
    text_sheet,
    workbook_bytes,
)

ODD = ["A & B <c> \"d\" 'e'", "  leading and trailing  ", "line one\nline two",
       "crlf\r\nkept", "身份证号 320124**********44", "tab\there", "𠮷野家"]


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_values_read_back_exactly_and_empty_cells_stay_empty(tmp_path: Path) -> None:
    rows = [[value, None, str(n)] for n, value in enumerate(ODD)] + [["", "x", ""]]
    data = workbook_bytes([("人员", ["甲", "乙", "丙"], rows), ("单位", ["编号"], [])])
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["人员", "单位"]
    read = [list(r) for r in book["人员"].iter_rows(values_only=True)]
    assert read[0] == ["甲", "乙", "丙"]
    assert read[1:] == [[v or None for v in row] for row in rows]
    (tmp_path / "t.xlsx").write_bytes(data)
    frames = pd.read_excel(tmp_path / "t.xlsx", sheet_name=None, dtype=str,
                           keep_default_na=False, engine="openpyxl")
    assert frames["人员"]["甲"].tolist()[:len(ODD)] == ODD
    assert list(frames["单位"].columns) == ["编号"] and frames["单位"].empty


def test_a_control_character_is_written_as_a_replacement_and_located() -> None:
    sheet = text_sheet("关系", ["编号", "备注"], [["T1", "ok"], ["T2", "bell\x07"]])
    assert replaced_cells(sheet) == [(3, "备注")]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes([sheet])))
    assert book["关系"]["B3"].value == "bell\ufffd" and book["关系"]["B2"].value == "ok"


def test_cells_are_typed_and_the_sheet_is_laid_out_for_reading() -> None:
    sheet = Sheet("评估", [
        SheetColumn("编号", "text", ["E1", "=SUM(1)", "'=x", "@A1", ""]),
        SheetColumn("名称", "text", ["甲", "乙", "丙丙丙丙丙丙丙丙丙丙丙丙", "𠮷", "丁"]),
        SheetColumn("分数", "number", ["95.5", "-1", "3", "", "1e-05"]),
        SheetColumn("日期", "date", ["2024-05-10", "1900-01-01", "1900-03-01", "", "2100-12-31"]),
        SheetColumn("时间", "datetime", ["2025-02-26 15:30:00", "", "1999-12-31 23:59:59",
                                       "2025-02-26 00:00:00", ""]),
    ], frozen_columns=2)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes([sheet])))
    ws = book["评估"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows == [
        ["E1", "甲", 95.5, dt.datetime(2024, 5, 10), dt.datetime(2025, 2, 26, 15, 30)],
        ["=SUM(1)", "乙", -1, dt.datetime(1900, 1, 1), None],
        ["'=x", "丙丙丙丙丙丙丙丙丙丙丙丙", 3, dt.datetime(1900, 3, 1),
         dt.datetime(1999, 12, 31, 23, 59, 59)],
        ["@A1", "𠮷", None, None, dt.datetime(2025, 2, 26)],
        [None, "丁", 1e-05, dt.datetime(2100, 12, 31), None]]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [ws.cell(r, 1).quotePrefix for r in range(2, 5)] == [False, True, True]
    assert ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == "A1:E6"
    widths = {k: ws.column_dimensions[k].width for k in "AB"}
    assert widths["B"] > widths["A"] >= 8  # twelve CJK characters count double


def test_a_sheet_too_long_for_excel_is_refused_by_name(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.setattr("pool.xlsx.MAX_ROWS", 3)
    with pytest.raises(CellError) as refused:
        workbook_bytes([("人员", ["编号"], [["P1"], ["P2"], ["P3"]])])
    assert "人员" in str(refused.value) and "CSV" in str(refused.value)


def test_nothing_is_written_to_the_temp_directory(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    workbook_bytes([("人员", ["编号"], [[f"P{n}"] for n in range(5000)])])
    assert list(tmp_path.iterdir()) == []
