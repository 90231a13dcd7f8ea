"""Parse a column of cell strings into typed values, by column kind, vectorized.

`parse_values` never raises for bad input: it returns the typed values (None/NaT where a
cell is bad or empty) and a list of `Problem`s, each a row mask with a reason in Chinese
and English. The caller decides where the rows are (see `pool.parsing`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pool import arrow
from pool.formats import Column
from pool.validation import (
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    PROVINCE_PREFIXES,
    clip,
    id_check_char,
    id_number_problem,
    region_problem,
)

KEY_PATTERN = r"[A-Za-z0-9_.\-]{1,64}"
INT_MAX = 2**31 - 1  # the largest value an Integer column holds on every store
TRUE_WORDS = frozenset({"是", "true", "t", "yes", "y", "1", "√", "✓", "有"})
FALSE_WORDS = frozenset({"否", "false", "f", "no", "n", "0", "×", "✗", "无"})


@dataclass(frozen=True)
class Problem:
    """Rows where `mask` is true share this reason; zh/en may be one text or one per row."""

    mask: np.ndarray
    zh: str | np.ndarray
    en: str | np.ndarray
    shown: pd.Series | None = None  # the value to show; default: the normalized cell


@dataclass(frozen=True)
class Parsed:
    values: pd.Series
    problems: list[Problem]
    shown: pd.Series  # normalized cell text, for messages


def _control_problem(raw: pd.Series, bad: np.ndarray) -> Problem:
    """Cells holding a control character: name the first one, and show the cell with each
    one as U+FFFD (a NUL or an escape sequence must not reach a terminal or a file)."""
    cells = [str(v) for v in raw.to_numpy(dtype=object)[bad]]  # a few rows, in Python
    first = [f"U+{ord(found.group()):04X}" for v in cells
             if (found := arrow.CONTROL_CHAR.search(v))]
    zh = np.full(len(bad), "", dtype=object)
    en = np.full(len(bad), "", dtype=object)
    zh[bad] = [f"含有不可见的控制字符 {c}，请删除该字符后重新导入（多见于从其他系统复制的内容）"
               for c in first]
    en[bad] = [f"contains the invisible control character {c}; delete it and import again "
               "(it usually comes with text copied from another system)" for c in first]
    shown = np.full(len(bad), "", dtype=object)
    shown[bad] = [arrow.CONTROL_CHAR.sub("\ufffd", v) for v in cells]
    return Problem(bad, zh, en, pd.Series(shown, dtype=object))


def _present(s: pd.Series, keep: np.ndarray) -> pd.Series:
    """Arrow-backed strings, missing (NaN) where `keep` is false: no Python objects."""
    return s.astype("str").where(keep)


def empty_values(col: Column, n: int) -> pd.Series:
    """Typed empties for a column absent from the file."""
    if col.kind in ("date", "datetime"):
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[s]")
    if col.kind == "bool":
        return pd.Series(False, index=range(n))
    if col.kind == "int":
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    if col.kind == "float":
        return pd.Series(pd.NA, index=range(n), dtype="Float64")
    if col.kind == "skills":
        return pd.Series([()] * n, dtype=object)
    if col.kind == "enum":
        return pd.Series([None] * n, dtype=object)
    return pd.Series([None] * n, dtype="str")


def parse_values(col: Column, raw: pd.Series, *, skill_lookup: Mapping[str, str],
                 max_length: int | None) -> Parsed:
    kind = col.kind
    # free text keeps its punctuation and line breaks; everything else is normalized
    s = arrow.free_text(raw) if kind == "text" else arrow.normalize(raw, name=kind == "name")
    s = s.reset_index(drop=True)
    problems: list[Problem] = []
    bad = arrow.controls(raw)
    if bad.any():  # reported once, as such: the cell is parsed as if it were empty
        problems.append(_control_problem(raw, bad))
        s = s.where(~bad, "")
    empty = (s == "").to_numpy()
    if col.required:
        problems.append(Problem(empty & ~bad, f"“{col.zh}”为必填项，不能为空",
                                f"'{col.en}' is required and may not be empty"))
    parser = _PARSERS[kind]
    values, more = parser(col, s, empty, skill_lookup, max_length)
    problems.extend(p for p in more if p.mask.any())
    return Parsed(values, problems, s)


def _keys(col: Column, s: pd.Series, empty: np.ndarray, *_: object
          ) -> tuple[pd.Series, list[Problem]]:
    s = s.str.replace(" ", "", regex=False)
    bad = ~empty & ~s.str.fullmatch(KEY_PATTERN).to_numpy(dtype=bool)
    problem = Problem(bad, "编号只能包含字母、数字、-、_、.，最长64位",
                      "a key may contain only letters, digits, '-', '_' and '.', up to 64",
                      s)
    return _present(s, ~empty & ~bad), [problem]


def _text(col: Column, s: pd.Series, empty: np.ndarray, _: object,
          max_length: int | None) -> tuple[pd.Series, list[Problem]]:
    limit = max_length or 2000
    too_long = (s.str.len() > limit).to_numpy(dtype=bool)
    problem = Problem(too_long, f"内容过长（最多{limit}个字符）",
                      f"too long (at most {limit} characters)", s.str.slice(0, 30) + "…")
    return _present(s, ~empty & ~too_long), [problem]


_CANONICAL = {False: (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"),
              True: (r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}",
                     "%Y-%m-%d %H:%M:%S")}


def parse_dates(s: pd.Series, *, with_time: bool = False) -> pd.Series:
    """Accept 2021-03-05, 2021/3/5, 2021.03.05, 20210305, 2021年3月5日, 2021-03 (first of
    month), an ISO time part, and Excel serial day numbers. Anything else becomes NaT."""
    s = s.reset_index(drop=True)
    pattern, fmt = _CANONICAL[with_time]
    if len(s) and bool(s.str.fullmatch(f"(?:{pattern})?").all()):  # the export's own form
        out = pd.to_datetime(s.where(s != "", None), format=fmt, errors="coerce")
        in_range = (out >= pd.Timestamp("1900-01-01")) & (out < pd.Timestamp("2101-01-01"))
        return out.where(in_range).astype("datetime64[s]")
    serial = s.str.fullmatch(r"[0-9]{5}(\.[0-9]+)?").to_numpy(dtype=bool)
    time_part = s.str.extract(r"^[^ T]+[ T](.+)$", expand=False).fillna("")
    d = _date_part(s)
    d = d.where(~d.str.fullmatch(r"[0-9]{4}-[0-9]{1,2}"), d + "-01")
    if with_time:
        timed = time_part != ""
        text = d.where(~timed, d + " " + time_part)
        zoned = time_part.str.contains(r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?|[A-Za-z]+)$",
                                       regex=True)
        text = text.where(~serial & ~zoned.to_numpy(dtype=bool), None)  # zones: rejected
        out = pd.to_datetime(text, format="ISO8601", errors="coerce")
    else:
        midnight = time_part.str.fullmatch(r"0{1,2}:00(:00(\.0+)?)?").to_numpy(dtype=bool)
        ok_time = (time_part == "").to_numpy(dtype=bool) | midnight
        out = pd.to_datetime(d.where(~serial & ok_time, None), format="%Y-%m-%d",
                             errors="coerce")
    if serial.any():
        days = pd.to_numeric(s.where(serial, None), errors="coerce")
        from_serial = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
        out = out.where(~serial, from_serial if with_time else from_serial.dt.floor("D"))
    in_range = (out >= pd.Timestamp("1900-01-01")) & (out < pd.Timestamp("2101-01-01"))
    return out.where(in_range).astype("datetime64[s]")


def _date_part(s: pd.Series) -> pd.Series:
    """The date before any time part, as Y-M-D or Y-M with unpadded numbers ('' if none)."""
    d = s.str.extract(r"^([^ T]+)", expand=False).fillna("")
    d = d.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
    d = d.str.replace(r"-+$", "", regex=True)
    return d.where(~d.str.fullmatch(r"[0-9]{8}"),
                   d.str.slice(0, 4) + "-" + d.str.slice(4, 6) + "-" + d.str.slice(6, 8))


def _dates(col: Column, s: pd.Series, empty: np.ndarray, *_: object
           ) -> tuple[pd.Series, list[Problem]]:
    parsed = parse_dates(s, with_time=col.kind == "datetime")
    bad = ~empty & parsed.isna().to_numpy()
    impossible = _impossible_days(s, bad)
    hint = "YYYY-MM-DD HH:MM:SS（不带时区）" if col.kind == "datetime" else "YYYY-MM-DD"
    hint_en = "YYYY-MM-DD HH:MM:SS (no time zone)" if col.kind == "datetime" else "YYYY-MM-DD"
    problem = Problem(bad & ~impossible.mask, f"无法识别的日期，请使用 {hint}（1900至2100年）",
                      f"unrecognized date; use {hint_en} (years 1900-2100)")
    return parsed, [problem, impossible]


def _impossible_days(s: pd.Series, bad: np.ndarray) -> Problem:
    """Among the `bad` cells, those written in an accepted form whose day does not exist
    (2020-02-30, 2021年2月29日, 2021-13-01): a format hint would not help there."""
    mask = np.zeros(len(s), dtype=bool)
    zh = np.full(len(s), "", dtype=object)
    en = np.full(len(s), "", dtype=object)
    rows = np.flatnonzero(bad)
    cells = s.iloc[rows].reset_index(drop=True)
    ymd = _date_part(cells).str.extract(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
    formed = ymd[0].notna().to_numpy()
    y, m, d = (pd.to_numeric(ymd[i].where(formed, "1")).to_numpy(dtype=np.int64)
               for i in range(3))
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (m >= 1) & (m <= 12)
    last = _DAYS_IN_MONTH[np.where(month_ok, m, 1) - 1] + ((m == 2) & leap)
    for i in np.flatnonzero(formed & (~month_ok | (d < 1) | (d > last))):  # those only
        why = _no_such_day(int(y[i]), int(m[i]), int(d[i]))
        mask[rows[i]] = True
        zh[rows[i]] = f"{cells[i]} 不是有效日期（{why[0]}）"
        en[rows[i]] = f"{cells[i]} is not a date ({why[1]})"
    return Problem(mask, zh, en)


_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _no_such_day(year: int, month: int, day: int) -> tuple[str, str]:
    if not 1 <= month <= 12:
        return "月份应为1至12", "the month must be 1 to 12"
    if month == 2 and day == 29:
        return (f"{year}年不是闰年，2月没有29日",
                f"{year} is not a leap year: February has no day 29")
    return f"{month}月没有{day}日", f"{_MONTHS[month - 1]} has no day {day}"


def _bools(col: Column, s: pd.Series, empty: np.ndarray, *_: object
           ) -> tuple[pd.Series, list[Problem]]:
    low = s.str.lower()
    is_true = low.isin(TRUE_WORDS).to_numpy(dtype=bool)
    is_false = low.isin(FALSE_WORDS).to_numpy(dtype=bool)
    bad = ~empty & ~is_true & ~is_false
    return pd.Series(is_true), [Problem(bad, "应填“是”或“否”", "expected 是 (yes) or 否 (no)")]


def _numbers(col: Column, s: pd.Series, empty: np.ndarray, *_: object
             ) -> tuple[pd.Series, list[Problem]]:
    num = pd.to_numeric(s.where(~empty, None), errors="coerce").astype("float64")
    bad = ~empty & np.isnan(num.to_numpy())
    whole = col.kind == "int"
    huge = np.zeros(len(num), dtype=bool)
    if whole:
        bad |= ~np.isnan(num.to_numpy()) & (num.fillna(0).to_numpy() % 1 != 0)
        # an Integer column is 32 bits on PostgreSQL: say so here rather than fail there
        huge = ~bad & (np.abs(num.fillna(0).to_numpy()) > INT_MAX)
    num = num.where(~bad & ~huge)
    problem = Problem(bad, "应为数字" + ("（整数）" if whole else ""),
                      "expected a number" + (" (a whole number)" if whole else ""))
    too_big = Problem(huge, f"数值超出范围（绝对值最大 {INT_MAX}）",
                      f"the number is out of range (at most {INT_MAX} either way)")
    return (num.astype("Int64") if whole else num.astype("Float64")), [problem, too_big]


def _enums(col: Column, s: pd.Series, empty: np.ndarray, *_: object
           ) -> tuple[pd.Series, list[Problem]]:
    lookup = {label.lower(): c.code for c in col.choices for label in (c.code, c.zh, c.en)}
    codes = s.str.lower().map(lookup).astype(object)
    bad = ~empty & codes.isna().to_numpy()
    zh = "、".join(f"{c.zh}({c.code})" for c in col.choices)
    en = ", ".join(f"{c.code} ({c.zh})" for c in col.choices)
    problem = Problem(bad, f"不是有效的取值，可选：{zh}", f"not a valid value; choose one of: {en}")
    return codes.where(~bad & ~empty, None), [problem]


def _regions(col: Column, s: pd.Series, empty: np.ndarray, *_: object
             ) -> tuple[pd.Series, list[Problem]]:
    s = s.str.replace(" ", "", regex=False)
    found = [None if e else region_problem(v) for v, e in zip(s.tolist(), empty, strict=True)]
    bad = np.array([p is not None for p in found], dtype=bool)
    zh = np.array([p[0] if p else "" for p in found], dtype=object)
    en = np.array([p[1] if p else "" for p in found], dtype=object)
    return _present(s, ~empty & ~bad), [Problem(bad, zh, en, s)]


def add_skill_labels(lookup: dict[str, str], skills: pd.DataFrame) -> None:
    """Index skills (code, name_zh, name_en columns) by every spelling, lower-cased."""
    for code, zh, en in zip(skills["code"], skills["name_zh"], skills["name_en"], strict=True):
        if isinstance(code, str):
            for label in (code, zh, en):
                if isinstance(label, str) and label:
                    lookup[label.lower()] = code


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


def _skills(col: Column, s: pd.Series, empty: np.ndarray, skill_lookup: Mapping[str, str],
            _: object) -> tuple[pd.Series, list[Problem]]:
    valid = sorted(set(skill_lookup.values()))
    parsed = [parse_skills(v, skill_lookup) if not e else ((), [])
              for v, e in zip(s.tolist(), empty, strict=True)]
    bad = np.array([bool(b) for _, b in parsed], dtype=bool)
    zh = np.array([f"无法识别的专业特长或等级：{clip('、'.join(b))}；有效代码：{'、'.join(valid)}"
                   "（等级为1-5）；新特长请先在“专业特长”表中导入" if b else ""
                   for _, b in parsed], dtype=object)
    en = np.array([f"unknown skill or level: {clip(', '.join(b))}; valid codes: {', '.join(valid)}"
                   " (levels 1-5); import new skills in the skills table first" if b else ""
                   for _, b in parsed], dtype=object)
    return pd.Series([p for p, _ in parsed], dtype=object), [Problem(bad, zh, en)]


def upgrade_id15(value: str) -> str:
    """A first-generation 15-digit number → its 18-digit form (century 19, check char)."""
    first17 = value[:6] + "19" + value[6:]
    return first17 + id_check_char(first17)


def _id_numbers(col: Column, s: pd.Series, empty: np.ndarray, *_: object
                ) -> tuple[pd.Series, list[Problem]]:
    s = s.str.replace(" ", "", regex=False).str.upper()
    old = s.str.fullmatch(r"[0-9]{15}").to_numpy(dtype=bool)
    if old.any():
        s = s.where(~old, s[old].map(upgrade_id15))
    shaped = s.str.fullmatch(r"[0-9]{17}[0-9X]").to_numpy(dtype=bool) & np.isin(
        s.str.slice(0, 2).to_numpy(dtype=object), list(PROVINCE_PREFIXES))
    ok = shaped.copy()
    if shaped.any():
        digits = np.frombuffer("".join(s[shaped].tolist()).encode("ascii"), dtype=np.uint8)
        digits = digits.reshape(-1, 18)
        total = ((digits[:, :17] - ord("0")).astype(np.int64) * np.array(ID_WEIGHTS)).sum(axis=1)
        expected = np.frombuffer(ID_CHECK_CHARS.encode("ascii"), dtype=np.uint8)[total % 11]
        birth = pd.to_datetime(s[shaped].str.slice(6, 14), format="%Y%m%d", errors="coerce")
        ok[shaped] = (expected == digits[:, 17]) & birth.notna().to_numpy()
    bad = ~empty & ~ok
    reasons = [id_number_problem(v) or ("身份证号无效", "invalid ID number") if b else ("", "")
               for v, b in zip(s.tolist(), bad, strict=True)] if bad.any() else []
    zh = np.array([r[0] for r in reasons], dtype=object) if reasons else ""
    en = np.array([r[1] for r in reasons], dtype=object) if reasons else ""
    masked = s.str.slice(0, 6) + "…"  # never show an ID number in full
    return _present(s, ~empty & ~bad), [Problem(bad, zh, en, masked)]


_PARSERS: dict[str, Callable[..., tuple[pd.Series, list[Problem]]]] = {
    "key": _keys, "ref": _keys, "text": _text, "name": _text, "date": _dates,
    "datetime": _dates, "bool": _bools, "int": _numbers, "float": _numbers, "enum": _enums,
    "region": _regions, "skills": _skills, "id_number": _id_numbers,
}
