"""The CSV apostrophe rule (`pool.cell_guard`): every text comes back exactly, whatever
apostrophes and formula characters it starts with; numbers in numeric columns are
written as numbers, negative ones included."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pool.cell_guard import TRIGGERS, formula_like, quote, unquote
from pool.display import csv_frame
from pool.formats import ENTITY_BY_NAME

_START = st.sampled_from(["", "'", "''", "'''"])
_TEXT = st.builds(lambda a, b, c: a + b + c, _START,
                  st.sampled_from(["", *TRIGGERS, "a", "𠮷"]), st.text(max_size=8))


@given(st.lists(_TEXT, max_size=20))
def test_quote_then_unquote_gives_back_every_value(values: list[str]) -> None:
    series = pd.Series(values, dtype=object)
    assert unquote(pd.Series(quote(series).tolist(), dtype="str")).tolist() == values


@given(st.lists(_TEXT, min_size=1, max_size=20))
def test_no_quoted_cell_starts_with_a_formula_character(values: list[str]) -> None:
    quoted = quote(pd.Series(values, dtype=object)).tolist()
    assert not any(v.startswith(tuple(TRIGGERS)) for v in quoted)
    assert formula_like(pd.Series(values, dtype=object)).tolist() == [
        q != v for q, v in zip(quoted, values, strict=True)]


def test_the_documented_examples() -> None:
    cells = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-1", "'=already quoted", "＝1",
             "'abc", "abc", ""]
    assert quote(pd.Series(cells, dtype=object)).tolist() == [
        '\'=HYPERLINK("http://x","y")', "'@SUM(1)", "'+1", "'-1", "''=already quoted",
        "'＝1", "'abc", "abc", ""]
    assert unquote(pd.Series(["'=1", "''=1", "'abc", "=1"], dtype="str")).tolist() == [
        "=1", "'=1", "'abc", "=1"]


def test_numbers_and_dates_are_not_quoted_in_csv() -> None:
    evaluations = ENTITY_BY_NAME["evaluations"]
    frame = pd.DataFrame({"轮次编号": ["R1"], "人员编号": ["P1"], "等次": ["优秀"],
                          "分数": ["-1.5"], "评语": ["-1.5"], "评估人": [""],
                          "评估日期": ["2024-05-10"]})
    row = csv_frame(evaluations, frame).iloc[0].tolist()
    assert row[3] == "-1.5" and row[4] == "'-1.5"
