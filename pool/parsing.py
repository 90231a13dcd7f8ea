"""Parse one read table (strings, display space) into a field-space frame, vectorized.

Every problem becomes a `RowError` that names the file, sheet, row, column, value and
the reason in Chinese and English. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pool.formats import Column, Entity
from pool.tabular import SourceTable
from pool.validation import (
    PROVINCE_PREFIXES,
    id_number_problem,
    normalize_name,
    region_problem,
)

ROW = "_row"  # spreadsheet row number of each record (header is row 1)
KEY_PATTERN = r"[A-Za-z0-9_.\-]{1,64}"
_TRUE = {"是", "true", "t", "yes", "y", "1", "√", "✓", "有"}
_FALSE = {"否", "false", "f", "no", "n", "0", "×", "✗", "无"}
_LIMITS = {"name": 128, "text": 2000}


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str
    zh: str
    en: str

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


@dataclass
class ErrorSink:
    """Collects every error of one import; `table` and headers say where rows came from."""

    errors: list[RowError] = field(default_factory=list)

    def table_error(self, table: SourceTable, column: str | None, zh: str, en: str,
                    value: str = "") -> None:
        self.errors.append(RowError(table.file, table.sheet, None, column, value, zh, en))

    def rows(self, table: SourceTable, frame: pd.DataFrame, mask: pd.Series | np.ndarray,
             column: str | None, values: pd.Series | None, zh: str, en: str) -> None:
        """Record one error per row where `mask` is true."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = frame[ROW].to_numpy()[mask]
        vals = [""] * len(rows) if values is None else [
            _display(v) for v in np.asarray(values, dtype=object)[mask]]
        for r, v in zip(rows, vals, strict=True):
            self.errors.append(RowError(table.file, table.sheet, int(r), column, v, zh, en))

    def __len__(self) -> int:
        return len(self.errors)


def _display(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _header_map(table: SourceTable, sink: ErrorSink) -> dict[str, Column]:
    """Match file headers to columns (Chinese header or English alias)."""
    lookup: dict[str, Column] = {}
    for col in table.entity.columns:
        lookup[col.zh] = col
        lookup[col.en.lower()] = col
        lookup[col.field.lower()] = col
    mapping: dict[str, Column] = {}
    seen: dict[str, str] = {}
    for header in table.frame.columns:
        norm = normalize_name(str(header))
        found = lookup.get(norm) or lookup.get(norm.lower())
        if found is None:
            valid = "、".join(c.zh for c in table.entity.columns)
            sink.table_error(
                table, str(header),
                f"无法识别的列名；{table.entity.zh}的列为：{valid}",
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


def _normalized(raw: pd.Series) -> pd.Series:
    s = raw.astype("str").str.normalize("NFKC").str.strip()
    return s.str.replace(r"\s+", " ", regex=True)


def parse_dates(s: pd.Series, *, with_time: bool = False) -> pd.Series:
    """Accept 2021-03-05, 2021/3/5, 2021.03.05, 20210305, 2021年3月5日, 2021-03 (first of
    month) and Excel serial day numbers. Unparseable values become NaT."""
    t = s.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
    t = t.str.replace(r"-+$", "", regex=True).str.replace(r"\s+00:00:00$", "", regex=True)
    t = t.where(~t.str.fullmatch(r"\d{8}"),
                t.str.slice(0, 4) + "-" + t.str.slice(4, 6) + "-" + t.str.slice(6, 8))
    t = t.where(~t.str.fullmatch(r"\d{4}-\d{1,2}"), t + "-01")
    serial = t.str.fullmatch(r"\d{5}(\.0+)?")
    out = pd.to_datetime(t.where(~serial, None), format="ISO8601" if with_time else "%Y-%m-%d",
                         errors="coerce")
    if serial.any():
        days = pd.to_numeric(t.where(serial, None), errors="coerce")
        out = out.where(~serial, pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D"))
    if not with_time:
        out = out.dt.normalize()
    in_range = (out >= pd.Timestamp("1900-01-01")) & (out <= pd.Timestamp("2100-12-31"))
    return out.where(in_range)


def _choice_lookup(col: Column) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for c in col.choices:
        for label in (c.code, c.zh, c.en):
            lookup[label.lower()] = c.code
    return lookup


def _choices_text(col: Column) -> tuple[str, str]:
    return ("、".join(f"{c.zh}({c.code})" for c in col.choices),
            ", ".join(f"{c.code} ({c.zh})" for c in col.choices))


def parse_skills(value: str, skill_lookup: Mapping[str, str]
                 ) -> tuple[tuple[tuple[str, int], ...], list[str]]:
    """Parse "财务:3;审计" into ((finance, 3), (audit, 1)); return also the unknown parts."""
    result: dict[str, int] = {}
    bad: list[str] = []
    for part in value.replace("；", ";").replace("、", ";").replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        name, _, level_text = part.partition(":")
        code = skill_lookup.get(name.strip().lower())
        level = 1
        if level_text.strip():
            level = int(level_text) if level_text.strip().isdigit() else -1
        if code is None or not 1 <= level <= 5:
            bad.append(part)
            continue
        result[code] = max(level, result.get(code, 0))
    return tuple(sorted(result.items())), bad


def parse_table(table: SourceTable, sink: ErrorSink,
                skill_lookup: Mapping[str, str]) -> pd.DataFrame:
    """Return a field-space frame for `table` with a `_row` column; errors go to `sink`."""
    entity: Entity = table.entity
    frame = table.frame
    mapping = _header_map(table, sink)
    out = pd.DataFrame({ROW: np.arange(2, len(frame) + 2)}, index=frame.index)
    present = {col.field: header for header, col in mapping.items()}
    for col in entity.columns:
        header = present.get(col.field)
        if header is None:  # absent column: typed empties (its absence is reported above)
            blank = pd.Series([""] * len(frame), index=frame.index, dtype="str")
            out[col.field] = _parse_column(table, out, col, col.zh, blank, ErrorSink(),
                                           skill_lookup)
            continue
        out[col.field] = _parse_column(table, out, col, header, frame[header], sink,
                                       skill_lookup)
    return out.reset_index(drop=True)


def _parse_column(table: SourceTable, out: pd.DataFrame, col: Column, header: str,
                  raw: pd.Series, sink: ErrorSink, skill_lookup: Mapping[str, str]
                  ) -> pd.Series:
    s = _normalized(raw)
    empty = (s == "").to_numpy()
    if col.required:
        sink.rows(table, out, empty, header, None, f"“{col.zh}”为必填项，不能为空",
                  f"'{col.en}' is required and may not be empty")
    kind = col.kind
    if kind in ("key", "ref"):
        s = s.str.replace(" ", "", regex=False)
        bad = ~empty & ~s.str.fullmatch(KEY_PATTERN).to_numpy()
        sink.rows(table, out, bad, header, s,
                  "编号只能包含字母、数字、-、_、.，最长64位",
                  "a key may contain only letters, digits, '-', '_' and '.', up to 64")
        return s.where(~empty, None)
    if kind in ("text", "name"):
        if kind == "name":
            spaced = s.str.contains(" ", regex=False)
            if spaced.any():
                s = s.where(~spaced, s[spaced].map(normalize_name))
        too_long = (s.str.len() > _LIMITS[kind]).to_numpy()
        sink.rows(table, out, too_long, header, s.str.slice(0, 40) + "…",
                  f"内容过长（最多{_LIMITS[kind]}个字符）",
                  f"too long (at most {_LIMITS[kind]} characters)")
        return s.where(~empty, None)
    if kind in ("date", "datetime"):
        parsed = parse_dates(s, with_time=kind == "datetime")
        bad = ~empty & parsed.isna().to_numpy()
        sink.rows(table, out, bad, header, s,
                  "无法识别的日期，请使用 YYYY-MM-DD（1900至2100年）",
                  "unrecognized date; use YYYY-MM-DD (years 1900-2100)")
        return parsed
    if kind == "bool":
        low = s.str.lower()
        is_true, is_false = low.isin(_TRUE).to_numpy(), low.isin(_FALSE).to_numpy()
        bad = ~empty & ~is_true & ~is_false
        sink.rows(table, out, bad, header, s, "应填“是”或“否”", "expected 是 (yes) or 否 (no)")
        return pd.Series(is_true, index=s.index)
    if kind in ("int", "float"):
        num = pd.to_numeric(s.where(~pd.Series(empty, index=s.index), None), errors="coerce")
        bad = ~empty & num.isna().to_numpy()
        if kind == "int":
            frac = num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy()
            bad |= frac
        sink.rows(table, out, bad, header, s, "应为数字" + ("（整数）" if kind == "int" else ""),
                  "expected a number" + (" (whole)" if kind == "int" else ""))
        num = num.where(~bad)
        return num.astype("Int64") if kind == "int" else num.astype("Float64")
    if kind == "enum":
        lookup = _choice_lookup(col)
        codes = s.str.lower().map(lookup)
        bad = ~empty & codes.isna().to_numpy()
        zh, en = _choices_text(col)
        sink.rows(table, out, bad, header, s, f"不是有效的取值，可选：{zh}",
                  f"not a valid value; choose one of: {en}")
        return codes.astype(object).where(~bad & ~empty, None)
    if kind == "region":
        s = s.str.replace(" ", "", regex=False)
        problems = {v: region_problem(v) for v in s[~empty].unique()}
        bad_values = {v for v, p in problems.items() if p}
        for value in sorted(bad_values):
            zh, en = problems[value]  # type: ignore[misc]
            sink.rows(table, out, (s == value).to_numpy(), header, s, zh, en)
        return s.where(~empty, None)
    if kind == "skills":
        by_value: dict[str, tuple[tuple[str, int], ...]] = {}
        valid = "、".join(sorted({v for v in skill_lookup.values()}))
        for value in s[~empty].unique():
            skills, bad_parts = parse_skills(value, skill_lookup)
            by_value[value] = skills
            if bad_parts:
                sink.rows(table, out, (s == value).to_numpy(), header, s,
                          f"无法识别的专业特长或等级：{'、'.join(bad_parts)}；有效代码：{valid}"
                          "（等级为1-5）；新特长请先在“专业特长”表中导入",
                          f"unknown skill or level: {', '.join(bad_parts)}; valid codes: "
                          f"{valid.replace('、', ', ')} (levels 1-5); import new skills in "
                          "the skills table first")
        return s.map(lambda v: by_value.get(v, ()))
    if kind == "id_number":
        return _parse_id_numbers(table, out, header, s, empty, sink)
    raise AssertionError(f"unhandled column kind {kind}")


def _parse_id_numbers(table: SourceTable, out: pd.DataFrame, header: str, s: pd.Series,
                      empty: np.ndarray, sink: ErrorSink) -> pd.Series:
    s = s.str.replace(" ", "", regex=False).str.upper()
    shaped = s.str.fullmatch(r"\d{17}[\dX]").to_numpy() & np.isin(
        s.str.slice(0, 2).to_numpy(dtype=object), list(PROVINCE_PREFIXES))
    ok = shaped.copy()
    if shaped.any():
        digits = np.frombuffer("".join(s[shaped].tolist()).encode("ascii"), dtype=np.uint8)
        digits = digits.reshape(-1, 18)
        weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
        total = ((digits[:, :17] - ord("0")).astype(np.int64) * weights).sum(axis=1)
        expected = np.frombuffer(b"10X98765432", dtype=np.uint8)[total % 11]
        birth = pd.to_datetime(s[shaped].str.slice(6, 14), format="%Y%m%d", errors="coerce")
        ok[shaped] = (expected == digits[:, 17]) & birth.notna().to_numpy()
    bad = ~empty & ~ok
    for idx in np.flatnonzero(bad):
        problem = id_number_problem(s.iloc[idx]) or ("身份证号无效", "invalid ID number")
        masked = s.iloc[idx][:6] + "…" if len(s.iloc[idx]) > 6 else s.iloc[idx]
        sink.errors.append(RowError(table.file, table.sheet, int(out[ROW].iloc[idx]), header,
                                    masked, problem[0], problem[1]))
    return s.where(~empty, None)
