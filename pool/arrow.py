"""Vectorized string work on pandas columns through pyarrow compute kernels.

pandas falls back to per-value Python for Unicode-aware regexes and for `isin` on
Arrow-backed strings; at a million rows that is minutes. These helpers stay in C++.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

KEY_SEPARATOR = "\x1f"  # joins the parts of a composite key


def to_arrow(values: pd.Series | pd.Index) -> pa.Array:
    """The column as an Arrow string array with nulls for missing values."""
    arr = pa.array(values.astype("str"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


# Runs of whitespace folded into one space in single-line values: ASCII whitespace, the
# vertical tab, NEXT LINE (U+0085) and every Unicode space, line and paragraph separator.
_FOLDED = r"[\s\x{0b}\x{85}\pZ]+"
# Line breaks of free text in every spelling (CRLF, CR, VT from Word, FF, NEL, U+2028/2029).
_LINE_BREAK = r"\r\n?|[\x{0b}\x{0c}\x{85}\x{2028}\x{2029}]"
# Characters that show nothing: format characters (zero-width space, joiners, word joiner,
# BOM, soft hyphen, direction marks), the combining grapheme joiner and the Hangul fillers.
_INVISIBLE = r"[\p{Cf}\x{34f}\x{115f}\x{1160}\x{3164}]"
# Control characters no cell may hold: C0 and C1 controls other than the whitespace and
# line breaks above, and DEL. One list of ranges, as an Arrow (RE2) and a Python pattern.
_CONTROL_RANGES = ((0x00, 0x08), (0x0E, 0x1F), (0x7F, 0x84), (0x86, 0x9F))
CONTROL = "[" + "".join(f"\\x{{{a:02x}}}-\\x{{{b:02x}}}" for a, b in _CONTROL_RANGES) + "]"
CONTROL_CHAR = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _CONTROL_RANGES) + "]")
_CJK = r"[\x{3400}-\x{9fff}\x{20000}-\x{3134f}]"


def normalize(values: pd.Series | pd.Index, *, name: bool = False) -> pd.Series:
    """Single-line values as the importer compares them: NFKC (full-width → half-width),
    invisible characters removed, every run of whitespace (line breaks and Unicode spaces
    included) folded into one space, trimmed; for names also the spaces between two
    Chinese characters removed. Missing values become ''."""
    arr = pc.fill_null(to_arrow(values), "")
    if not pc.all(pc.string_is_ascii(arr)).as_py():
        arr = pc.utf8_normalize(arr, "NFKC")
        arr = pc.replace_substring_regex(arr, _INVISIBLE, "")
    arr = pc.replace_substring_regex(arr, _FOLDED, " ")
    arr = pc.utf8_trim_whitespace(arr)
    if name:
        for _ in range(2):  # twice: "张 三 丰" has overlapping matches
            arr = pc.replace_substring_regex(arr, f"({_CJK}) ({_CJK})", r"\1\2")
    index = values.index if isinstance(values, pd.Series) else None
    return pd.Series(arr, index=index, dtype="str")


def free_text(values: pd.Series | pd.Index) -> pd.Series:
    """Free text as stored: every line break spelled as LF, trimmed, otherwise as written.
    Missing values become ''."""
    arr = pc.replace_substring_regex(pc.fill_null(to_arrow(values), ""), _LINE_BREAK, "\n")
    index = values.index if isinstance(values, pd.Series) else None
    return pd.Series(arr, index=index, dtype="str").str.strip()


def controls(values: pd.Series | pd.Index) -> np.ndarray:
    """Which values hold a control character (`CONTROL`); missing values hold none."""
    found = pc.match_substring_regex(to_arrow(values), CONTROL)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def isin(values: pd.Series, value_set: pa.Array) -> np.ndarray:
    """Element-wise membership; missing values are never members."""
    if len(value_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    found = pc.is_in(to_arrow(values), value_set=value_set.cast(pa.large_string()))
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def key_strings(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """One string per row for a (possibly composite) key; None where a part is missing."""
    parts = []
    for col in columns:
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            series = series.dt.strftime("%Y-%m-%d")
        parts.append(series.astype(object).where(series.notna(), None))
    if len(parts) == 1:
        return parts[0]
    joined = parts[0].astype(str)
    missing = parts[0].isna()
    for part in parts[1:]:
        joined = joined + KEY_SEPARATOR + part.astype(str)
        missing |= part.isna()
    return joined.where(~missing, None)
