"""The in-memory `.xlsx` writer: what it writes reads back the same through openpyxl and
pandas (as the importer reads it), and a value a workbook cannot hold is refused by name."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pool.xlsx import CellError, column_letter, workbook_bytes

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


def test_a_control_character_is_refused_naming_the_sheet_row_and_column() -> None:
    with pytest.raises(CellError) as refused:
        workbook_bytes([("关系", ["编号", "备注"], [["T1", "ok"], ["T2", "bell\x07"]])])
    assert "关系" in str(refused.value) and "第3行" in str(refused.value)
    assert "备注" in str(refused.value) and "CSV" in str(refused.value)


def test_nothing_is_written_to_the_temp_directory(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    workbook_bytes([("人员", ["编号"], [[f"P{n}"] for n in range(5000)])])
    assert list(tmp_path.iterdir()) == []
