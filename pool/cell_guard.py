"""Formula injection in CSV files (OWASP "CSV injection"): a cell that starts with one of
`= + - @`, a tab, a carriage return or the full-width `＝ ＋ － ＠` is taken as a formula by
Excel, WPS or LibreOffice when the file is opened. The export writes such a text cell with
a leading apostrophe, which the spreadsheets show as text; the import removes it again.

The rule is one-to-one, so every value comes back exactly:

- export: a value that matches `'*T` at its start (any number of apostrophes, then a
  trigger character T) gets one more apostrophe in front: `=1` → `'=1`, `'=1` → `''=1`;
- import: a cell that matches `'+T` at its start loses its first apostrophe: `'=1` → `=1`,
  `''=1` → `'=1`. A cell such as `'abc` (no trigger after the apostrophes) is left as it is.

Workbooks need no apostrophe: the xlsx writer stores text as inline strings (never a
formula) with Excel's own "quote prefix" style (`pool.xlsx`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pool.arrow import to_arrow

TRIGGERS = "=+-@\t\r＝＋－＠"
_CLASS = "[=+\\-@\\t\\r＝＋－＠]"
_QUOTED_ON_EXPORT = f"^'*{_CLASS}"
_QUOTED_IN_FILE = f"^'+{_CLASS}"


def formula_like(values: pd.Series | pa.Array) -> np.ndarray:
    """Which values a spreadsheet would read as a formula, or that start with apostrophes
    before such a character (they take the export's apostrophe too)."""
    arr = values if isinstance(values, pa.Array) else to_arrow(values)
    found = pc.match_substring_regex(arr, _QUOTED_ON_EXPORT)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def quote(values: pd.Series) -> pd.Series:
    """The values as a CSV file holds them: `'` before each formula-like one."""
    risky = formula_like(values)
    if not risky.any():
        return values
    out = values.astype(object).copy()
    out[risky] = ["'" + str(v) for v in out[risky]]
    return out


def unquote(values: pd.Series) -> pd.Series:
    """Cells of a CSV file as the values they stand for: the export's apostrophe removed."""
    arr = to_arrow(values)
    quoted = pc.fill_null(pc.match_substring_regex(arr, _QUOTED_IN_FILE), False)
    if not pc.any(quoted).as_py():
        return values
    stripped = pc.if_else(quoted, pc.utf8_slice_codeunits(arr, 1), arr)
    return pd.Series(stripped, index=values.index, dtype="str")
