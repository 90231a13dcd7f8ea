"""Entity tables in *display space* and the export files made of them.

`render` turns a field-space frame (English field names, codes, `datetime.date`) into
the import format's display frame (Chinese headers and labels, every value a string);
`table_bytes` and `write_tables` write display frames as CSV or as a typed `.xlsx`
workbook (`pool.xlsx`), formula-like text quoted in CSV (`pool.cell_guard`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pool.cell_guard import quote
from pool.formats import ENTITIES, REFERENCE_NAMES, Entity
from pool.xlsx import CellKind, Sheet, SheetColumn, replaced_cells, workbook_bytes

CSV_ENCODING = "utf-8-sig"  # a BOM so that Excel shows Chinese correctly
XLSX_MAX_ROWS = 1_048_575
TRUE_LABEL, FALSE_LABEL = "是", "否"
Names = Mapping[str, Mapping[str, str]]  # entity name → key → name, for `beside` columns
Target = Literal["csv-dir", "csv", "xlsx"]
_CELL_KINDS: dict[str, CellKind] = {"date": "date", "datetime": "datetime",
                                    "int": "number", "float": "number"}


class UnsupportedTarget(ValueError):
    """An export path whose kind of file the export cannot write."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


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


def _value_renderer(
    kind: str, labels: Mapping[str, str], skill_names: Mapping[str, str]
) -> tuple[Callable[[object], str], bool]:
    """The function that renders one value of a column kind, and whether it is *uniform*:
    equal values of one type render alike, and a blank value renders as ""."""
    if kind in ("date", "datetime"):
        return _render_date, True
    if kind == "skills":
        return (lambda v: _render_skills(v, skill_names)), False
    if kind == "bool":
        return (lambda v: "" if _blank(v) else (TRUE_LABEL if v else FALSE_LABEL)), True
    if kind == "enum":
        return (lambda v: "" if _blank(v) else labels.get(v, str(v))), True
    if kind == "int":
        return (lambda v: "" if _blank(v) else str(int(v))), True
    if kind == "float":  # 0.0 == -0.0, yet they render differently: value by value
        return (lambda v: "" if _blank(v) else repr(float(v))), False
    return _render_text, True


def _render_text(value: object) -> str:
    return "" if _blank(value) else str(value)


# Exact value types for which equal values render identically (datetime is left out:
# equal aware datetimes may lie in different time zones).
_UNIFORM_TYPES = frozenset({str, bool, int, dt.date})


def _render_series(series: pd.Series, fn: Callable[[object], str], uniform: bool) -> list[str]:
    """`[fn(v) for v in series.tolist()]`, computed without a Python call per value where
    that gives the same result. For a uniform `fn`: blanks become "" directly; strings
    under the text renderer stay as they are (`str(v) is v`); other values are rendered
    once per distinct value when the column holds a single value type or has a bool,
    integer, datetime or string dtype."""
    dtype = series.dtype
    if not uniform or len(series) == 0:
        return [fn(v) for v in series.tolist()]
    blank = series.isna().to_numpy()
    if pd.api.types.is_object_dtype(dtype):
        values = series.to_numpy()
        types = set(map(type, values[~blank]))
        if len(types) > 1 or not types <= _UNIFORM_TYPES:
            return [fn(v) for v in series.tolist()]
        if fn is _render_text and types <= {str}:
            return _filled(values.copy(), blank)
    elif fn is _render_text and isinstance(dtype, pd.StringDtype):
        return _filled(series.to_numpy(dtype=object), blank)
    elif not (dtype.kind in "biuM" or isinstance(dtype, (pd.StringDtype, pd.DatetimeTZDtype,
                                                          pd.BooleanDtype))
              or pd.api.types.is_integer_dtype(dtype)):
        return [fn(v) for v in series.tolist()]
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    rendered = np.array([fn(v) for v in uniques.tolist()] + [""], dtype=object)
    out = rendered[codes]  # code -1 picks "" (a blank); anything else -1 is rendered below
    odd = (codes < 0) & ~blank
    if odd.any():
        out[odd] = [fn(v) for v in series[odd].tolist()]
    return _filled(out, blank)


def _filled(values: np.ndarray, blank: np.ndarray) -> list[str]:
    values[blank] = ""
    result: list[str] = values.tolist()
    return result


def render(entity: Entity, frame: pd.DataFrame, skill_names: Mapping[str, str] | None = None,
           names: Names | None = None) -> pd.DataFrame:
    """Turn a field-space frame into a display frame with Chinese headers, all strings.
    With `names`, each key that has a `beside` column in `pool.formats` is followed by
    the referenced row's name (姓名（参考） after 人员编号; blank where the key is)."""
    out: dict[str, list[str]] = {}
    for col in entity.columns:
        if col.field not in frame.columns:
            out[col.zh] = [""] * len(frame)
        else:
            labels = {c.code: c.zh for c in col.choices}
            fn, uniform = _value_renderer(col.kind, labels, skill_names or {})
            out[col.zh] = _render_series(frame[col.field], fn, uniform)
        if names is not None and col.beside is not None and col.ref in REFERENCE_NAMES:
            lookup = names.get(REFERENCE_NAMES[col.ref][0], {})
            keys = frame[col.field] if col.field in frame.columns else \
                pd.Series([None] * len(frame), dtype=object)
            out[col.beside[0]] = keys.map(lookup).fillna("").astype(object).tolist()
    return pd.DataFrame(out, columns=list(out))


def cell_kinds(entity: Entity, headers: Sequence[str]) -> list[CellKind]:
    """How each display column is typed in a workbook (names and unknown headers: text)."""
    by_header = {c.zh: _CELL_KINDS.get(c.kind, "text") for c in entity.columns}
    return [by_header.get(h, "text") for h in headers]


def _frozen(entity: Entity, headers: Sequence[str]) -> int:
    """The leading columns that identify a row: the key columns and the names beside."""
    keys = [entity.column(f) for f in entity.key]
    marks = {c.zh for c in keys} | {c.beside[0] for c in keys if c.beside}
    spots = [i for i, h in enumerate(headers) if h in marks]
    return max(spots) + 1 if spots else 0


def _sheet(entity: Entity, frame: pd.DataFrame) -> Sheet:
    headers = [str(c) for c in frame.columns]
    kinds = cell_kinds(entity, headers)
    columns = [SheetColumn(h, kind, frame[h].astype(object).where(frame[h].notna(), "")
                           .tolist()) for h, kind in zip(headers, kinds, strict=True)]
    return Sheet(entity.zh, columns, _frozen(entity, headers))


def _ordered(tables: Mapping[str, pd.DataFrame]) -> list[Entity]:
    return [e for e in ENTITIES if e.name in tables]


def unstorable_cells(tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, int, str]]:
    """(sheet, row, header) of each cell a workbook cannot hold as it is: a control
    character, written as U+FFFD (a CSV export keeps it)."""
    return [(e.zh, row, header) for e in _ordered(tables)
            for row, header in replaced_cells(_sheet(e, tables[e.name]))]


def csv_frame(entity: Entity, frame: pd.DataFrame) -> pd.DataFrame:
    """A display frame as a CSV file holds it: formula-like text cells quoted."""
    out = frame.copy(deep=False)
    for header, kind in zip(out.columns, cell_kinds(entity, list(out.columns)), strict=True):
        if kind == "text":
            out[header] = quote(out[header])
    return out


def table_bytes(tables: Mapping[str, pd.DataFrame], fmt: str,
                progress: Callable[[str, int], None] | None = None) -> bytes:
    """Display frames as one file's bytes, in memory: the CSV of exactly one table, or an
    `.xlsx` workbook of them all (in import order; `progress(entity, rows)` after each
    sheet). Raises ValueError (a CellError) when a table does not fit a worksheet."""
    ordered = _ordered(tables)
    if fmt == "csv":
        if len(ordered) != 1:
            raise ValueError("a CSV file holds exactly one table")
        text = csv_frame(ordered[0], tables[ordered[0].name]).to_csv(index=False,
                                                                     lineterminator="\n")
        return text.encode(CSV_ENCODING)
    for e in ordered:
        if len(tables[e.name]) > XLSX_MAX_ROWS:
            raise ValueError(
                f"{e.zh} 有 {len(tables[e.name])} 行，超过 Excel 单表上限，请导出为 CSV 目录 / "
                f"{e.name} has {len(tables[e.name])} rows, more than an Excel sheet holds; "
                "export to a CSV directory instead")

    def done(index: int) -> None:
        if progress is not None:
            progress(ordered[index].name, len(tables[ordered[index].name]))

    return workbook_bytes([_sheet(e, tables[e.name]) for e in ordered], done)


def export_target(target: Path, entities: Sequence[str] | None = None) -> Target:
    """What an export path asks for: a directory of CSV files (no suffix, or a directory
    that exists), one `.xlsx` workbook, or one `.csv` file of exactly one table. Anything
    else raises UnsupportedTarget before a file is made."""
    suffix = target.suffix.lower()
    if target.is_dir() or not suffix:
        return "csv-dir"
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".csv":
        if entities is not None and len(set(entities)) == 1:
            return "csv"
        raise UnsupportedTarget(
            "导出到单个 .csv 文件时须用 --entity 恰好指定一张表；导出多张表请写目录（CSV）或 "
            ".xlsx 文件",
            "a single .csv file holds one table: name exactly one with --entity, or give "
            "a directory (CSV) or an .xlsx file")
    raise UnsupportedTarget(
        f"不支持的导出格式 {target.suffix}：请写目录（CSV）或 .xlsx 文件",
        f"unsupported export format {target.suffix}: give a directory (CSV) or an .xlsx "
        "file")


def write_tables(
    tables: Mapping[str, pd.DataFrame], target: Path, *, fmt: str | None = None
) -> list[Path]:
    """Write display frames keyed by entity name: a CSV directory, one `.xlsx` workbook,
    or (fmt "csv-file") the `.csv` file of one table. Entities are written in import
    order. Returns the files written."""
    fmt = fmt or ("xlsx" if target.suffix.lower() == ".xlsx" else "csv")
    if fmt in ("xlsx", "csv-file"):
        content = table_bytes(tables, "xlsx" if fmt == "xlsx" else "csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        return [target]
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for e in _ordered(tables):
        path = target / f"{e.name}.csv"
        csv_frame(e, tables[e.name]).to_csv(path, index=False, encoding=CSV_ENCODING,
                                            lineterminator="\n")
        written.append(path)
    return written
