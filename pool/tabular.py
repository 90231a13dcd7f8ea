"""Reading and writing entity tables as CSV files or `.xlsx` sheets with Chinese headers.

Frames in *field space* use the English field names of `pool.formats` and code values
(`True`, `"leader"`, `datetime.date`); files in *display space* use Chinese headers and
labels (`是`, `组长`, `2021-03-05`). `render` goes from fields to display; the importer
parses display back to fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pool.formats import ENTITIES, Entity, entity_for_label

CSV_ENCODING = "utf-8-sig"  # a BOM so that Excel shows Chinese correctly
XLSX_MAX_ROWS = 1_048_575
TRUE_LABEL, FALSE_LABEL = "是", "否"


@dataclass(frozen=True, slots=True)
class SourceTable:
    """One entity's rows as read from a file, all cells as strings ('' when empty)."""

    entity: Entity
    frame: pd.DataFrame
    file: str
    sheet: str | None  # None for CSV

    def location(self) -> str:
        return f"{self.file}[{self.sheet}]" if self.sheet else self.file


def _blank(value: object) -> bool:
    """None, NaN, NaT or pd.NA (but not a tuple of skills)."""
    return value is None or (not isinstance(value, tuple | list) and bool(pd.isna(value)))


def _render_date(value: object) -> str:
    if _blank(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _render_skills(value: object, names: Mapping[str, str]) -> str:
    if not value:
        return ""
    parts = []
    for code, level in value:  # type: ignore[attr-defined]
        label = names.get(code, code)
        parts.append(f"{label}:{level}")
    return ";".join(parts)


def render(
    entity: Entity, frame: pd.DataFrame, skill_names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Turn a field-space frame into a display frame with Chinese headers, all strings."""
    out: dict[str, list[str]] = {}
    for col in entity.columns:
        if col.field not in frame.columns:
            out[col.zh] = [""] * len(frame)
            continue
        series = frame[col.field]
        if col.kind in ("date", "datetime"):
            values = [_render_date(v) for v in series.tolist()]
        elif col.kind == "bool":
            values = ["" if _blank(v) else (TRUE_LABEL if v else FALSE_LABEL)
                      for v in series.tolist()]
        elif col.kind == "enum":
            labels = {c.code: c.zh for c in col.choices}
            values = ["" if _blank(v) else labels.get(v, str(v)) for v in series.tolist()]
        elif col.kind == "skills":
            values = [_render_skills(v, skill_names or {}) for v in series.tolist()]
        elif col.kind == "int":
            values = ["" if _blank(v) else str(int(v)) for v in series.tolist()]
        elif col.kind == "float":
            values = ["" if _blank(v) else repr(float(v)) for v in series.tolist()]
        else:
            values = ["" if _blank(v) else str(v) for v in series.tolist()]
        out[col.zh] = values
    return pd.DataFrame(out, columns=[c.zh for c in entity.columns])


def write_tables(
    tables: Mapping[str, pd.DataFrame], target: Path, *, fmt: str | None = None
) -> list[Path]:
    """Write display frames keyed by entity name: a CSV directory or one `.xlsx` workbook.

    Entities are written in import order. Returns the files written.
    """
    fmt = fmt or ("xlsx" if target.suffix.lower() == ".xlsx" else "csv")
    ordered = [e for e in ENTITIES if e.name in tables]
    if fmt == "xlsx":
        for e in ordered:
            if len(tables[e.name]) > XLSX_MAX_ROWS:
                raise ValueError(
                    f"{e.zh} 有 {len(tables[e.name])} 行，超过 Excel 单表上限，请导出为 CSV 目录 / "
                    f"{e.name} has {len(tables[e.name])} rows, more than an Excel sheet holds; "
                    "export to a CSV directory instead"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(target, engine="openpyxl") as writer:
            for e in ordered:
                tables[e.name].to_excel(writer, sheet_name=e.zh, index=False)
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for e in ordered:
        path = target / f"{e.name}.csv"
        tables[e.name].to_csv(path, index=False, encoding=CSV_ENCODING, lineterminator="\n")
        written.append(path)
    return written


class UnknownTableError(ValueError):
    pass


def read_tables(path: Path) -> list[SourceTable]:
    """Read a `.csv` file, a directory of them, or an `.xlsx` workbook (one sheet per entity).

    A file or sheet is matched to an entity by its name (`persons.csv`, `人员.csv`, sheet
    `人员`). Unknown names raise `UnknownTableError` listing the accepted names.
    """
    files: list[Path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))
    else:
        files = [path]
    tables: list[SourceTable] = []
    for file in files:
        if file.suffix.lower() == ".xlsx":
            sheets = pd.read_excel(file, sheet_name=None, dtype=str, keep_default_na=False,
                                   engine="openpyxl")
            for sheet, frame in sheets.items():
                tables.append(SourceTable(_entity_of(sheet, file), _clean(frame), file.name,
                                          str(sheet)))
        elif file.suffix.lower() == ".csv":
            frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding=CSV_ENCODING)
            tables.append(SourceTable(_entity_of(file.stem, file), _clean(frame), file.name,
                                      None))
        else:
            raise UnknownTableError(
                f"不支持的文件类型 {file.name}，请使用 .csv 或 .xlsx / "
                f"unsupported file type {file.name}; use .csv or .xlsx"
            )
    order = {e.name: i for i, e in enumerate(ENTITIES)}
    tables.sort(key=lambda t: order[t.entity.name])
    return tables


def _entity_of(label: str, file: Path) -> Entity:
    entity = entity_for_label(label)
    if entity is None:
        valid = "、".join(f"{e.zh}({e.name})" for e in ENTITIES)
        raise UnknownTableError(
            f"{file.name}: 无法识别的表名“{label}”，可用的表名：{valid} / "
            f"unknown table name '{label}' in {file.name}; valid names: "
            + ", ".join(e.name for e in ENTITIES)
        )
    return entity


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.astype(str)
