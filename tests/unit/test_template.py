"""The import template as a person opens it in Excel: one sheet per table with exactly the
format's headers, frozen; drop-downs on the code columns offering values the importer
accepts; a 说明 sheet describing every column; header-only CSV files for a directory."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pool.formats import DEFAULT_SKILLS, ENTITIES, Choice, Column
from pool.template import NOTES_HEADER, importable, workbook_bytes, write_csv
from pool.template_notes import Catalogue
from pool.values import parse_values

SYSTEMS = (Choice("audit", "审计", "Audit"), Choice("edu", "教育", "Education"),
           Choice("=cmd", "=注入", ""))  # a code that looks like a formula stays text
SKILLS = (*DEFAULT_SKILLS, Choice("tax", "税务𠮷", "taxation"))
CATALOGUE = Catalogue(skills=SKILLS, systems=SYSTEMS)


@pytest.fixture(scope="module")
def book() -> Workbook:
    return load_workbook(io.BytesIO(workbook_bytes(CATALOGUE)))


def _header(sheet: Worksheet) -> list[str]:
    return [c.value for c in sheet[1] if c.value is not None]


def _list_values(book: Workbook, formula: str) -> list[str]:
    """The cells a list validation's range formula names ('代码表'!$A$2:$A$12)."""
    match = re.fullmatch(r"'(.+)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert match, formula
    sheet, first, top, last, bottom = match.groups()
    assert first == last
    return [str(book[sheet][f"{first}{row}"].value) for row in range(int(top), int(bottom) + 1)]


def _expected_list(col: Column) -> list[str] | None:
    if col.kind == "enum":
        return [c.zh for c in col.choices]
    if col.kind == "bool":
        return ["是", "否"]
    if col.kind == "skills":
        return [c.zh for c in SKILLS]
    if col.ref == "systems":
        return [c.code for c in SYSTEMS]
    return None


def test_every_table_has_a_sheet_with_exactly_the_format_headers(book: Workbook) -> None:
    assert book.sheetnames == ["说明", *(e.zh for e in ENTITIES), "代码表"]
    for entity in ENTITIES:
        sheet = book[entity.zh]
        assert _header(sheet) == [c.zh for c in entity.columns], entity.name
        assert sheet.max_row == 1, f"{entity.zh} holds more than its header"
        assert sheet.freeze_panes == "A2"
        for i, col in enumerate(entity.columns, start=1):
            letter = sheet.cell(1, i).column_letter
            assert sheet.column_dimensions[letter].width >= len(col.zh) * 2, col.zh


def test_code_columns_have_drop_downs_with_the_values_the_importer_accepts(
        book: Workbook) -> None:
    for entity in ENTITIES:
        sheet = book[entity.zh]
        lists = {str(v.sqref): v for v in sheet.data_validations.dataValidation
                 if v.type == "list"}
        for i, col in enumerate(entity.columns, start=1):
            letter = sheet.cell(1, i).column_letter
            validation = lists.get(f"{letter}2:{letter}1048576")
            expected = _expected_list(col)
            where = f"{entity.zh}.{col.zh}"
            if expected is None:
                assert validation is None, f"{where} has a drop-down"
                continue
            assert validation is not None, f"{where} has no drop-down"
            values = _list_values(book, validation.formula1)
            assert values == expected, where
            if col.kind != "ref":  # a reference's codes are checked against the pool
                parsed = parse_values(col, pd.Series(values, dtype="string"),
                                      skill_lookup={s.zh.lower(): s.code for s in SKILLS},
                                      max_length=None)
                assert not any(p.mask.any() for p in parsed.problems), where


def test_a_formula_like_code_in_the_catalogue_is_written_as_text(book: Workbook) -> None:
    cells = [c for row in book["代码表"].iter_rows() for c in row if c.value == "=cmd"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_notes_sheet_describes_every_column(book: Workbook) -> None:
    rows = [[c.value or "" for c in row] for row in book["说明"].iter_rows()]
    top = next(i for i, row in enumerate(rows) if tuple(row[:8]) == NOTES_HEADER)
    described = {(r[0], r[1]): r for r in rows[top + 1:]}
    expected = {(e.zh, c.zh): (e, c) for e in ENTITIES for c in importable(e)}
    assert set(described) == set(expected)
    for key, (_entity, col) in expected.items():
        _sheet, _header, alias, required, kind, allowed, example, _notes = described[key][:8]
        assert alias == col.en
        assert required.startswith("是" if col.required else "否"), key
        assert kind, key
        assert example or not col.required, f"required column {key} has no example"
        for choice in col.choices:
            assert f"{choice.zh}({choice.code})" in allowed, key
    skills = described[("巡察干部", "专业特长")][5]
    assert all(s.zh in skills for s in SKILLS)
    systems = described[("单位", "系统")][5]
    assert all(s.code in systems for s in SYSTEMS)


def test_a_directory_gets_header_only_csv_files_in_utf8_with_a_bom(tmp_path: Path) -> None:
    written = write_csv(tmp_path / "template", CATALOGUE)
    assert {p.name for p in written} == {f"{e.name}.csv" for e in ENTITIES} | {"说明.txt"}
    for entity in ENTITIES:
        raw = (tmp_path / "template" / f"{entity.name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert raw.decode("utf-8-sig") == ",".join(c.zh for c in entity.columns) + "\n"
    notes = (tmp_path / "template" / "说明.txt").read_text(encoding="utf-8-sig")
    assert all(f"{c.zh} ({c.en})" in notes for e in ENTITIES for c in e.columns)
