"""Edge cases of the cells and bytes of an import file (issue 13): control characters,
invisible characters, formulas without a computed value, legacy encodings and impossible
dates. Each is rejected with a located message and nothing written, or stored normalized."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select

from pool import models as m
from pool.db import transaction
from pool.formats import ENTITY_BY_NAME
from pool.importer import ImportRejected, ImportReport, import_path
from pool.parsing import RowError
from pool.repository import PoolRepository
from pool.tabular import write_tables
from tests.factories import PoolBuilder, family_builder

Frames = dict[str, pd.DataFrame]


def _written(builder: PoolBuilder, target: Path, edit: Callable[[Frames], None]) -> Path:
    """The builder's tables as CSV files, with display cells changed by `edit`."""
    frames = builder.frames()
    edit(frames)
    write_tables(frames, target)
    return target


def _rejected(engine: Engine, path: Path) -> list[RowError]:
    """The errors of importing `path`, checking that nothing was written."""
    with transaction(engine) as session:
        before = PoolRepository(session).counts()
    with pytest.raises(ImportRejected) as rejected, transaction(engine) as session:
        import_path(session, path)
    with transaction(engine) as session:
        assert PoolRepository(session).counts() == before
    return rejected.value.errors


def _imported(engine: Engine, path: Path) -> ImportReport:
    with transaction(engine) as session:
        return import_path(session, path)


def _cell(table: str, column: str, row: int, value: str) -> Callable[[Frames], None]:
    def edit(frames: Frames) -> None:
        frames[table].loc[row - 2, column] = value  # row 2 is the first record
    return edit


# ---------------------------------------------------------------------------------------
# Control characters and impossible dates: rejected where they are
# ---------------------------------------------------------------------------------------

CELL_CASES: dict[str, tuple[Callable[[Frames], None], str, int, str, str, str]] = {
    # case: (edit, file, row, column, Chinese message, English fragment)
    "a name that is only NUL": (
        _cell("persons", "姓名", 2, "\x00"), "persons.csv", 2, "姓名",
        "含有不可见的控制字符 U+0000，请删除该字符后重新导入", "control character U+0000"),
    "an escape sequence in a name": (
        _cell("persons", "姓名", 4, "王\x1b[31m建国"), "persons.csv", 4, "姓名",
        "含有不可见的控制字符 U+001B", "control character U+001B; delete it"),
    "a C1 control in a unit name": (
        _cell("units", "单位名称", 3, "东溪区\x9b实验小学"), "units.csv", 3, "单位名称",
        "含有不可见的控制字符 U+009B", "control character U+009B"),
    "NUL inside a key": (
        _cell("employments", "任职编号", 2, "E\x000001"), "employments.csv", 2, "任职编号",
        "含有不可见的控制字符 U+0000", "control character U+0000"),
    "NUL in a free-text note": (
        _cell("ties", "备注", 3, "第一行\n第二行\x00"), "ties.csv", 3, "备注",
        "含有不可见的控制字符 U+0000", "control character U+0000"),
    "a backspace in a post": (
        _cell("employments", "职务", 3, "科员\x08"), "employments.csv", 3, "职务",
        "含有不可见的控制字符 U+0008", "control character U+0008"),
    "30 February": (
        _cell("persons", "出生日期", 3, "2020-02-30"), "persons.csv", 3, "出生日期",
        "2020-02-30 不是有效日期（2月没有30日）",
        "2020-02-30 is not a date (February has no day 30)"),
    "29 February of a common year": (
        _cell("persons", "出生日期", 5, "2021年2月29日"), "persons.csv", 5, "出生日期",
        "2021年2月29日 不是有效日期（2021年不是闰年，2月没有29日）",
        "2021 is not a leap year: February has no day 29"),
    "month 13": (
        _cell("employments", "起始日期", 2, "2015/13/1"), "employments.csv", 2, "起始日期",
        "2015/13/1 不是有效日期（月份应为1至12）", "is not a date (the month must be 1 to 12)"),
    "31 April in a date-time": (
        _cell("ties", "记录时间", 2, "2025-04-31 09:30:00"), "ties.csv", 2, "记录时间",
        "2025-04-31 09:30:00 不是有效日期（4月没有31日）", "(April has no day 31)"),
}


@pytest.mark.parametrize("case", list(CELL_CASES))
def test_bad_cells_are_rejected_where_they_are(case: str, engine: Engine,
                                               tmp_path: Path) -> None:
    edit, file, row, column, zh, en = CELL_CASES[case]
    builder, _ = family_builder()
    errors = _rejected(engine, _written(builder, tmp_path / "batch", edit))
    located = [e for e in errors if (e.file, e.row, e.column) == (file, row, column)]
    assert len(located) == 1, [str(e) for e in errors]  # one error per cell, not a cascade
    assert zh in located[0].zh and en in located[0].en
    assert "\x00" not in located[0].value and "\x1b" not in located[0].value


def test_a_control_character_is_shown_as_a_replacement_mark(engine: Engine,
                                                            tmp_path: Path) -> None:
    builder, _ = family_builder()
    edit = _cell("persons", "姓名", 3, "刘\x00秀英")
    (error,) = _rejected(engine, _written(builder, tmp_path / "batch", edit))
    assert error.value == "刘\ufffd秀英"
    assert str(error).startswith("persons.csv 第3行 row 3 列“姓名” 值 value '刘\ufffd秀英': 含有")


def test_the_date_format_hint_is_kept_for_what_is_not_a_date(engine: Engine,
                                                            tmp_path: Path) -> None:
    builder, _ = family_builder()
    edit = _cell("persons", "出生日期", 2, "30/02/2020")
    (error,) = [e for e in _rejected(engine, _written(builder, tmp_path / "b", edit))
                if e.column == "出生日期"]
    assert error.zh == "无法识别的日期，请使用 YYYY-MM-DD（1900至2100年）"


# ---------------------------------------------------------------------------------------
# Line separators and invisible characters: normalized, the same way everywhere
# ---------------------------------------------------------------------------------------

def test_separators_and_invisible_characters_are_normalized(engine: Engine,
                                                            tmp_path: Path) -> None:
    builder, keys = family_builder()

    def edit(frames: Frames) -> None:
        persons, units = frames["persons"], frames["units"]
        persons.loc[0, "姓名"] = "王\u2028大山"  # LINE SEPARATOR
        persons.loc[1, "姓名"] = "\ufeff刘\u200b秀\u2060英"  # BOM, zero-width space, joiner
        persons.loc[2, "姓名"] = "王\u0085建\x0b国"  # NEXT LINE, vertical tab
        persons.loc[3, "姓名"] = "李\u200d桂\u00ad兰\x0c"  # zero-width joiner, soft hyphen, FF
        persons.loc[4, "人员编号"] += "\u200b"  # a key, and the references to it
        units.loc[0, "单位名称"] = "云川市\u2029财政局"  # PARAGRAPH SEPARATOR
        frames["ties"].loc[0, "备注"] = "第一行\r\n第二行\u2028第三行\x0b第四行\t制表"

    report = _imported(engine, _written(builder, tmp_path / "batch", edit))
    assert report.rows > 0
    with transaction(engine) as session:
        names = {key: name for key, name in session.execute(select(m.Person.key,
                                                                    m.Person.name))}
        unit = session.scalar(select(m.Unit.name).where(m.Unit.key == keys["bureau"]))
        note = session.scalar(select(m.Tie.note).order_by(m.Tie.key).limit(1))
        cadre = session.get(m.Cadre, keys["cadre"])
    assert [names[keys[r]] for r in ("grandpa", "grandma", "father", "mother", "cadre")] == \
        ["王大山", "刘秀英", "王建国", "李桂兰", "王𠮷"]
    assert unit == "云川市财政局"
    assert note == "第一行\n第二行\n第三行\n第四行\t制表"  # free text keeps its line breaks
    assert cadre is not None  # the cadre row referred to the key before its zero-width space


# ---------------------------------------------------------------------------------------
# Formula cells without a computed value
# ---------------------------------------------------------------------------------------

def _workbook(builder: PoolBuilder, path: Path) -> Path:
    """The builder's tables as an openpyxl workbook, the 出生日期 of row 3 a formula."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, frame in builder.frames().items():
        sheet = workbook.create_sheet(ENTITY_BY_NAME[name].zh)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
    workbook["人员"]["D3"] = "=DATE(1942,2,2)"  # openpyxl stores no computed value
    workbook.save(path)
    return path


def _set_cached_value(path: Path, cell: str, value: str) -> None:
    """Give the formula in `cell` of the 人员 sheet a computed value, as Excel would."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    names = [n for n in parts if n.startswith("xl/worksheets/") and b"DATE(1942" in parts[n]]
    (sheet,) = names
    parts[sheet] = re.sub(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>'.encode(),
                          rb"\1<v>" + value.encode() + b"</v>", parts[sheet])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_formula_without_a_computed_value_is_rejected(engine: Engine,
                                                        tmp_path: Path) -> None:
    builder, _ = family_builder()
    path = _workbook(builder, tmp_path / "pool.xlsx")
    errors = _rejected(engine, path)
    formula = [e for e in errors if "公式" in e.zh]
    assert [(e.file, e.sheet, e.row, e.column, e.value) for e in formula] == \
        [("pool.xlsx", "人员", 3, "出生日期", "=DATE(1942,2,2)")]
    assert formula[0].zh == ("第3行 D列是公式且没有计算结果：请在 Excel/WPS 中打开并保存，"
                             "或粘贴为数值")
    assert formula[0].en == ("row 3, column D is a formula without a computed value: open "
                             "and save it in Excel/WPS, or paste as values")


def test_a_formula_with_its_computed_value_imports_the_value(engine: Engine,
                                                             tmp_path: Path) -> None:
    builder, keys = family_builder()
    path = _workbook(builder, tmp_path / "pool.xlsx")
    _set_cached_value(path, "D3", str((dt.date(1942, 2, 2) - dt.date(1899, 12, 30)).days))
    _imported(engine, path)
    with transaction(engine) as session:
        birth = session.scalar(select(m.Person.birth_date)
                               .where(m.Person.key == keys["grandma"]))
    assert birth == dt.date(1942, 2, 2)


# ---------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------

# Names whose GBK bytes are also valid UTF-8: read as UTF-8 they turn into Cyrillic, Greek
# and IPA letters (谢伟 → "лΰ"), which a try-UTF-8-first reader stored as they came.
GBK_AS_UTF8_NAMES = ["谢伟", "肖英", "叶平", "石强", "魏霞", "陆萍", "薛梅", "韦伟", "袁英",
                     "钱平", "谢萍", "史伟", "叶强", "石英"]


def _persons_csv(names: list[str], *, gender: str = "M") -> str:
    rows = "".join(f"P{i:03d},{name},{gender}\n" for i, name in enumerate(names, 1))
    return "person_key,name,gender\n" + rows


def test_the_names_really_are_valid_utf8_in_gbk() -> None:
    data = _persons_csv(GBK_AS_UTF8_NAMES).encode("gbk")
    misread = data.decode("utf-8")  # no error: a try-UTF-8-first reader is fooled
    assert "лΰ" in misread and "谢伟" not in misread


def test_a_gbk_file_that_is_also_valid_utf8_is_read_as_gbk(engine: Engine,
                                                           tmp_path: Path) -> None:
    batch = tmp_path / "gbk"
    batch.mkdir()
    (batch / "persons.csv").write_bytes(_persons_csv(GBK_AS_UTF8_NAMES).encode("gbk"))
    report = _imported(engine, batch)
    assert [(t.entity, t.encoding) for t in report.tables] == [("persons", "GB18030")]
    with transaction(engine) as session:
        stored = session.scalars(select(m.Person.name).order_by(m.Person.key)).all()
    assert stored == GBK_AS_UTF8_NAMES


def test_an_error_in_a_gbk_file_names_the_encoding(engine: Engine, tmp_path: Path) -> None:
    batch = tmp_path / "gbk"
    batch.mkdir()
    text = _persons_csv(GBK_AS_UTF8_NAMES).replace("P002,肖英,M", "P002,肖英,未知")
    (batch / "persons.csv").write_bytes(text.encode("gbk"))
    text.encode("gbk").decode("utf-8")  # still valid UTF-8 throughout
    (error,) = _rejected(engine, batch)
    assert (error.row, error.column, error.value) == (3, "gender", "未知")
    assert error.zh.endswith("（该文件按 GB18030 编码读取）")
    assert error.en.endswith(" (the file was read as GB18030)")


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig"])
def test_utf8_files_with_or_without_bom_still_import(codec: str, engine: Engine,
                                                     tmp_path: Path) -> None:
    batch = tmp_path / codec
    batch.mkdir()
    names = [*GBK_AS_UTF8_NAMES, "买买提·艾力", "王𠮷"]
    (batch / "persons.csv").write_bytes(_persons_csv(names).encode(codec))
    report = _imported(engine, batch)
    assert [t.encoding for t in report.tables] == ["UTF-8"]
    with transaction(engine) as session:
        assert session.scalars(select(m.Person.name).order_by(m.Person.key)).all() == names


def test_a_big5_file_is_refused_with_what_to_do(engine: Engine, tmp_path: Path) -> None:
    batch = tmp_path / "big5"
    batch.mkdir()
    text = "單位編號,單位名稱\nU01,臺北市政府財政局\nU02,國立臺灣大學\nU03,高雄市審計處\n"
    (batch / "units.csv").write_bytes(text.encode("big5"))
    errors = _rejected(engine, batch)
    assert [(e.file, e.row, e.zh) for e in errors] == [
        ("units.csv", None, "文件似乎是 Big5（繁体中文）编码，请另存为 UTF-8 CSV")]
