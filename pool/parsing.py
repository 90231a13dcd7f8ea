"""Parse one read table (strings, display space) into a field-space frame.

Headers are matched to columns (Chinese header or English alias); each column is parsed
by `pool.values`, on its distinct values only where values repeat (dates, codes, names),
so a million-row file costs what its distinct values cost. Every problem becomes a
`RowError` naming the file, sheet, row, column, value and reason in Chinese and English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pool.cell_guard import unquote
from pool.formats import Column, Entity
from pool.models import Base
from pool.tabular import SourceTable
from pool.validation import clip, normalize_name
from pool.values import Parsed, Problem, empty_values, parse_values

ROW = "_row"  # spreadsheet row number of each record (header is row 1)
_UNIQUE_PER_ROW = {"key", "ref", "id_number", "datetime"}  # row by row, not by distinct value


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str
    zh: str
    en: str

    def __post_init__(self) -> None:
        # an error repeats at most the first characters of a header or cell
        object.__setattr__(self, "value", clip(self.value))
        if self.column is not None:
            object.__setattr__(self, "column", clip(self.column))

    def where(self) -> str:
        parts = [self.file + (f"[{self.sheet}]" if self.sheet else "")]
        if self.row is not None:
            parts.append(f"第{self.row}行 row {self.row}")
        if self.column:
            parts.append(f"列“{self.column}”")
        return " ".join(parts)

    def __str__(self) -> str:
        value = f" 值 value '{self.value}'" if self.value else ""
        return f"{self.where()}{value}: {self.zh} / {self.en}"


def display(value: object) -> str:
    """A cell value as a person would type it."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


@dataclass
class ErrorSink:
    """Collects every error of one import."""

    errors: list[RowError] = field(default_factory=list)

    def table_error(self, table: SourceTable, column: str | None, zh: str, en: str,
                    value: str = "") -> None:
        self.errors.append(RowError(table.file, table.sheet, None, column, value, zh, en))

    def rows(self, table: SourceTable, frame: pd.DataFrame, mask: pd.Series | np.ndarray,
             column: str | None,
             values: pd.Series | np.ndarray | Callable[[], pd.Series] | None,
             zh: str | np.ndarray, en: str | np.ndarray) -> None:
        """One error per row where `mask` is true; zh/en are one text or one per row.
        `values` may be a callable, evaluated only when some row has the error."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        if callable(values):
            values = values()
        idx = np.flatnonzero(mask)
        rows = frame[ROW].to_numpy()[idx]
        shown = [""] * len(idx) if values is None else [
            display(v) for v in np.asarray(values, dtype=object)[idx]]
        zhs = [zh] * len(idx) if isinstance(zh, str) else list(np.asarray(zh)[idx])
        ens = [en] * len(idx) if isinstance(en, str) else list(np.asarray(en)[idx])
        for r, v, z, e in zip(rows, shown, zhs, ens, strict=True):
            self.errors.append(RowError(table.file, table.sheet, int(r), column, v, z, e))

    def __len__(self) -> int:
        return len(self.errors)


def header_map(table: SourceTable, sink: ErrorSink) -> dict[str, Column]:
    """Match file headers to columns (Chinese header, English alias or field name)."""
    lookup: dict[str, Column] = {}
    for col in table.entity.columns:
        lookup[col.zh] = col
        lookup[col.en.lower()] = col
        lookup[col.field.lower()] = col
    mapping: dict[str, Column] = {}
    seen: dict[str, str] = {}
    columns = [str(c) for c in table.frame.columns]
    # the names an export writes beside keys (姓名（参考）) are for reading only
    beside = {normalize_name(h).lower() for h in table.entity.reference_headers}
    for header in columns:
        if re.fullmatch(r"Unnamed: [0-9]+", header):  # a column with no header text
            if (table.frame[header] != "").any():
                sink.table_error(table, header, "有内容的列缺少表头，请补上列名或删除该列",
                                 "a column with values has no header; name it or delete it")
            continue  # an empty one (a trailing comma on every line) is harmless
        norm = normalize_name(header)
        if norm.lower() in beside:
            continue
        found = lookup.get(norm) or lookup.get(norm.lower())
        mangled = re.fullmatch(r"(.+)\.([0-9]+)", header)
        if found is None and mangled and mangled.group(1) in columns:
            sink.table_error(table, mangled.group(1), "该列名出现了不止一次",
                             "this column header appears more than once")
            continue
        if found is None:
            valid = "、".join(c.zh for c in table.entity.columns)
            sink.table_error(
                table, str(header), f"无法识别的列名；{table.entity.zh}的列为：{valid}",
                f"unknown column; the columns of {table.entity.name} are: "
                + ", ".join(c.en for c in table.entity.columns))
            continue
        if found.field in seen:
            sink.table_error(table, str(header), f"与列“{seen[found.field]}”重复",
                             f"duplicates column '{seen[found.field]}'")
            continue
        seen[found.field] = str(header)
        mapping[str(header)] = found
    for col in table.entity.columns:
        if col.required and col.field not in seen:
            sink.table_error(table, col.zh, f"缺少必填列“{col.zh}”（或 {col.en}）",
                             f"required column '{col.zh}' ({col.en}) is missing")
    return mapping


def max_length(entity: Entity, field_name: str) -> int | None:
    """The database column's length, so that a too-long cell is a row error, not a crash."""
    table = Base.metadata.tables[entity.table]
    if field_name not in table.c:
        return None
    return getattr(table.c[field_name].type, "length", None)


@dataclass(frozen=True)
class ParsedTable:
    frame: pd.DataFrame  # field-space values plus the `_row` column
    present: frozenset[str]  # fields whose column was in the file


def parse_table(table: SourceTable, sink: ErrorSink,
                skill_lookup: Mapping[str, str]) -> ParsedTable:
    """Typed values for every column of `table`; errors go to `sink`."""
    entity = table.entity
    raw = table.frame  # columns are popped as they are parsed, to keep memory flat
    mapping = header_map(table, sink)
    first = int(raw.attrs.get("first_data_row", 2))  # later when blank lines precede the header
    rows = np.arange(first, len(raw) + first)
    blank = (raw == "").all(axis=1).to_numpy() if len(raw.columns) else np.zeros(0, bool)
    if blank.any():  # empty lines keep their numbers but are not records
        raw, rows = raw[~blank].reset_index(drop=True), rows[~blank]
    else:
        raw.index = pd.RangeIndex(len(raw))
    n = len(raw)
    out = pd.DataFrame({ROW: rows})
    present = {col.field: header for header, col in mapping.items()}
    for col in entity.columns:
        header = present.get(col.field)
        if header is None:
            out[col.field] = empty_values(col, n)
            continue
        cells = raw.pop(header)
        if table.quoted:  # a CSV file: the export's apostrophe before formula-like text
            cells = unquote(cells)
        out[col.field] = _parse_column(table, out, col, header, cells, sink, skill_lookup)
    return ParsedTable(out, frozenset(present))


def _parse_column(table: SourceTable, out: pd.DataFrame, col: Column, header: str,
                  raw: pd.Series, sink: ErrorSink, skill_lookup: Mapping[str, str]
                  ) -> pd.Series:
    limit = max_length(table.entity, col.field)
    if col.kind in _UNIQUE_PER_ROW:
        parsed = parse_values(col, raw, skill_lookup=skill_lookup, max_length=limit)
        for p in parsed.problems:
            sink.rows(table, out, p.mask, header,
                      parsed.shown if p.shown is None else p.shown, p.zh, p.en)
        return parsed.values
    codes, uniques = pd.factorize(raw.astype("str").fillna(""), use_na_sentinel=False)
    parsed = parse_values(col, pd.Series(uniques), skill_lookup=skill_lookup, max_length=limit)
    for p in parsed.problems:
        _expand(table, out, header, parsed, p, codes, sink)
    return parsed.values.take(codes).reset_index(drop=True)


def _expand(table: SourceTable, out: pd.DataFrame, header: str, parsed: Parsed,
            problem: Problem, codes: np.ndarray, sink: ErrorSink) -> None:
    """Turn a problem found on distinct values into one error per affected row."""
    shown = (parsed.shown if problem.shown is None else problem.shown).to_numpy(dtype=object)
    zh = problem.zh if isinstance(problem.zh, str) else np.asarray(problem.zh)[codes]
    en = problem.en if isinstance(problem.en, str) else np.asarray(problem.en)[codes]
    sink.rows(table, out, problem.mask[codes], header, shown[codes], zh, en)

