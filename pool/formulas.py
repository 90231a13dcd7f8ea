"""Formula cells of an `.xlsx` workbook that hold no computed value. The workbook reader
takes the value Excel or WPS stored beside each formula; a workbook written by a program
and never opened in a spreadsheet has none, and such a cell would read as blank."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

_ANY_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")  # an <f> element, any prefix
_REF = re.compile(r"([A-Z]+)([0-9]+)")
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass(frozen=True, slots=True)
class UncomputedCell:
    row: int  # as the spreadsheet numbers it
    column: str  # letters, as "C"
    formula: str

    @property
    def zh(self) -> str:
        return (f"第{self.row}行 {self.column}列是公式且没有计算结果：请在 Excel/WPS 中打开并保存，"
                "或粘贴为数值")

    @property
    def en(self) -> str:
        return (f"row {self.row}, column {self.column} is a formula without a computed value: "
                "open and save it in Excel/WPS, or paste as values")

    def header(self, headers: Iterable[object]) -> str:
        """The header of the cell's column (its letter when it has none)."""
        index = 0
        for letter in self.column:  # A is 1, Z 26, AA 27
            index = index * 26 + ord(letter) - ord("A") + 1
        names = [str(h).strip() for h in headers]
        name = names[index - 1] if index <= len(names) else ""
        return self.column if not name or name.startswith("Unnamed: ") else name


def uncomputed_formulas(file: Path) -> dict[str, list[UncomputedCell]]:
    """Per sheet name, its formula cells with no computed value, in sheet order. A file
    that is no readable workbook gives {}: the workbook reader says what is wrong."""
    try:
        with zipfile.ZipFile(file) as archive:
            found, present = {}, set(archive.namelist())
            for name, part in _sheet_parts(archive).items():
                if part in present and (cells := _uncomputed(archive, part)):
                    found[name] = cells
            return found
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        return {}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the archive path of its worksheet XML."""
    targets = {rel.get("Id"): rel.get("Target", "")
               for rel in ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))}
    parts = {}
    for sheet in ET.fromstring(archive.read("xl/workbook.xml")).iter():
        if _local(sheet.tag) == "sheet" and (target := targets.get(sheet.get(_REL_ID))):
            part = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            parts[sheet.get("name", "")] = part
    return parts


def _has_formula(stream: IO[bytes]) -> bool:
    tail = b""
    while chunk := stream.read(1 << 20):
        if _ANY_FORMULA.search(tail + chunk):
            return True
        tail = chunk[-32:]  # an element name cut between two chunks
    return False


def _uncomputed(archive: zipfile.ZipFile, part: str) -> list[UncomputedCell]:
    with archive.open(part) as stream:
        if not _has_formula(stream):  # most workbooks: no second pass
            return []
    cells: list[UncomputedCell] = []
    with archive.open(part) as stream:
        for _, elem in ET.iterparse(stream, events=("end",)):
            tag = _local(elem.tag)
            if tag == "c":
                children = {_local(child.tag): child for child in elem}
                formula, value = children.get("f"), children.get("v")
                computed = value is not None and (bool(value.text) or elem.get("t") == "str")
                ref = _REF.fullmatch(elem.get("r", ""))
                if formula is not None and not computed and ref:
                    cells.append(UncomputedCell(int(ref.group(2)), ref.group(1),
                                                "=" + (formula.text or "…")))
            elif tag == "row":
                elem.clear()  # keep memory flat on a large sheet
    return cells
