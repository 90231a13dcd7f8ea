"""Parsing a read table: headers, dates, booleans, code lists, skills, keys."""

import pandas as pd
import pytest

from pool.formats import CADRES, PERSONS, UNITS
from pool.parsing import ErrorSink, parse_table
from pool.tabular import SourceTable
from pool.values import parse_dates, parse_skills

SKILLS = {"finance": "finance", "财务": "finance", "audit": "audit", "审计": "audit"}


def table(entity, rows: list[dict[str, str]]) -> SourceTable:  # type: ignore[no-untyped-def]
    return SourceTable.of(entity, pd.DataFrame(rows, dtype="str"), "test.csv")


@pytest.mark.parametrize(
    "text", ["2021-03-05", "2021/3/5", "2021.03.05", "20210305", "2021年3月5日",
             "2021-03-05 00:00:00", "44260"],
)
def test_dates_in_every_accepted_form(text: str) -> None:
    parsed = parse_dates(pd.Series([text], dtype="str"))
    assert parsed.iloc[0] == pd.Timestamp("2021-03-05")


def test_year_month_means_first_of_month_and_nonsense_is_rejected() -> None:
    parsed = parse_dates(pd.Series(["2019.03", "2021-02-30", "明天", "1850-01-01"], dtype="str"))
    assert parsed.iloc[0] == pd.Timestamp("2019-03-01")
    assert parsed.iloc[1:].isna().all()


def test_skills_accept_codes_chinese_names_and_levels() -> None:
    skills, bad = parse_skills("财务:3；audit, 审计:2", SKILLS)
    assert skills == (("audit", 2), ("finance", 3))
    assert bad == []
    _, bad = parse_skills("财务:9;算命", SKILLS)
    assert bad == ["财务:9", "算命"]


def test_english_headers_and_full_width_values_are_accepted() -> None:
    sink = ErrorSink()
    frame = parse_table(table(PERSONS, [{
        "person_key": "Ｐ００１", "name": " 张　三 ", "gender": "female", "birth_date": "1970/1/1",
    }]), sink, SKILLS).frame
    assert not sink.errors
    row = frame.iloc[0]
    assert (row["key"], row["name"], row["gender"]) == ("P001", "张三", "F")
    assert row["birth_date"] == pd.Timestamp("1970-01-01")


def test_unknown_and_missing_columns_are_named() -> None:
    sink = ErrorSink()
    parse_table(table(UNITS, [{"单位编号": "U1", "单位名字": "x"}]), sink, SKILLS)
    messages = [(e.column, e.zh) for e in sink.errors]
    assert any(col == "单位名字" and "无法识别的列名" in zh for col, zh in messages)
    assert any(col == "单位名称" and "缺少必填列" in zh for col, zh in messages)


def test_every_bad_cell_is_reported_with_row_and_column() -> None:
    sink = ErrorSink()
    parse_table(table(CADRES, [
        {"人员编号": "P1", "所在单位": "U1", "组长库": "也许", "状态": "在岗",
         "专业特长": "财务:3", "年度轮次上限": "1.5"},
        {"人员编号": "", "所在单位": "U 1", "组长库": "是", "状态": "暂停",
         "专业特长": "算命", "年度轮次上限": "2"},
    ]), sink, SKILLS)
    found = {(e.row, e.column) for e in sink.errors}
    assert found == {(2, "组长库"), (2, "状态"), (2, "年度轮次上限"), (3, "人员编号"),
                     (3, "专业特长")}
    status_error = next(e for e in sink.errors if e.column == "状态")
    assert "在库(active)" in status_error.zh  # the valid choices are listed


def test_bad_id_number_is_reported_masked() -> None:
    sink = ErrorSink()
    parse_table(table(PERSONS, [{"人员编号": "P1", "姓名": "张三",
                                 "身份证号": "110105194912310021"}]), sink, SKILLS)
    (error,) = sink.errors
    assert error.column == "身份证号" and "校验位" in error.zh
    assert "19491231" not in error.value and "19491231" not in str(error)
