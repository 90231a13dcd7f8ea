"""Vectorized string work on pandas columns through pyarrow compute kernels.

pandas falls back to per-value Python for Unicode-aware regexes and for `isin` on
Arrow-backed strings; at a million rows that is minutes. These helpers stay in C++.
"""

from __future__ import annotations

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


def normalize(values: pd.Series | pd.Index) -> pd.Series:
    """NFKC (full-width → half-width), trimmed, inner whitespace runs folded to one space;
    missing values become ''."""
    arr = pc.fill_null(to_arrow(values), "")
    if not pc.all(pc.string_is_ascii(arr)).as_py():
        arr = pc.utf8_normalize(arr, "NFKC")
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.replace_substring_regex(arr, r"\s+", " ")
    index = values.index if isinstance(values, pd.Series) else None
    return pd.Series(arr, index=index, dtype="str")


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
