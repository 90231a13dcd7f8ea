"""Formula cells without a computed value are found in the workbook's XML, whatever wrote
it; formulas with one, or with a computed empty text, are not."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pool.formulas import UncomputedCell, uncomputed_formulas

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _workbook(path: Path, sheets: dict[str, str]) -> Path:
    """A minimal workbook whose sheets hold the given <sheetData> rows."""
    entries = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, name in enumerate(sheets, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml" '
                   f'Type="{_REL}/worksheet"/>' for i in range(1, len(sheets) + 1))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
                                            f"<sheets>{entries}</sheets></workbook>")
        archive.writestr("xl/_rels/workbook.xml.rels",
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
                         f'2006/relationships">{rels}</Relationships>')
        for i, rows in enumerate(sheets.values(), 1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml",
                             f'<worksheet xmlns="{_MAIN}"><sheetData>{rows}</sheetData>'
                             "</worksheet>")
    return path


def test_formulas_without_a_value_are_found_by_sheet_row_and_column(tmp_path: Path) -> None:
    rows = ('<row r="2"><c r="A2"><f>1+1</f><v>2</v></c>'  # computed
            '<c r="B2"><f>DATE(2020,1,1)</f></c>'  # never computed
            '<c r="C2" t="str"><f>IF(1,"","x")</f><v></v></c></row>'  # computed: empty text
            '<row r="3"><c r="AB3"><f t="shared" si="0"/><v/></c></row>')  # shared, not computed
    path = _workbook(tmp_path / "w.xlsx", {"人员": rows, "单位": '<row r="1"><c r="A1"/></row>'})
    assert uncomputed_formulas(path) == {"人员": [UncomputedCell(2, "B", "=DATE(2020,1,1)"),
                                                UncomputedCell(3, "AB", "=…")]}


def test_a_cell_is_named_by_its_header_or_its_letter() -> None:
    cell = UncomputedCell(2, "C", "=1")
    assert cell.header(["人员编号", "姓名", " 出生日期 "]) == "出生日期"
    assert cell.header(["人员编号", "姓名", "Unnamed: 2"]) == "C"
    assert cell.header(["人员编号"]) == "C"
    assert UncomputedCell(2, "AA", "=1").header([str(i) for i in range(30)]) == "26"


def test_no_workbook_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    assert uncomputed_formulas(path) == {}
