"""Exports people can work with: a full export (CSV and xlsx) imports into a fresh
database and exports again to the very same files, formula payloads and rare characters
included; the workbook is typed (dates, numbers), shows names beside keys, has a filter
and frozen panes and no formula; CSV cells that would be formulas carry an apostrophe."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
from pathlib import Path

import openpyxl
from sqlalchemy import Engine

from pool.db import make_engine, transaction, upgrade
from pool.exporter import export_pool
from pool.importer import import_path
from tests.factories import PoolBuilder, family_builder

PAYLOADS = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-1", "'=already quoted",
            "＝1", "''+2", "'plain apostrophe", "\t=tab first"]
TRIGGERS = tuple("=+-@＝＋－＠\t\r")


def _pool() -> tuple[PoolBuilder, dict[str, str]]:
    builder, keys = family_builder()
    odd = {"grandpa": "=1+2", "grandma": "@SUM(1)", "father": "+王", "mother": "-李",
           "sister": "'=王"}  # the cadre keeps 王𠮷
    for row in builder.rows["persons"]:
        row["name"] = next((v for k, v in odd.items() if keys[k] == row["key"]), row["name"])
    keys["odd_unit"] = builder.unit("-1", key="-U1", region_code="320902")
    for n, note in enumerate(PAYLOADS):
        builder.tie("declared", keys["cadre"], keys["sister"], key=f"T_NOTE{n}",
                    category="other", note=note + " 𠮷", source_ref=note)
    builder.add("rounds", key="R2024", name="=2024年第一轮巡察", kind="regular",
                region_code="320900", start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30))
    builder.add("participations", round_key="R2024", person_key=keys["cadre"], team_no=1,
                role="leader", target_unit_key=keys["odd_unit"])
    builder.add("evaluations", round_key="R2024", person_key=keys["cadre"], grade="basic",
                score=95.5, comment="-不足", evaluated_on=dt.date(2024, 5, 10))
    return builder, keys


def _same_files(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    return cmp.diff_files + cmp.left_only + cmp.right_only


def test_full_exports_round_trip_exactly_through_a_fresh_database(
        engine: Engine, tmp_path: Path, sqlite_url: str) -> None:
    builder, _ = _pool()
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "in"))
    with transaction(engine) as session:
        export_pool(session, tmp_path / "first", id_numbers="full")
        export_pool(session, tmp_path / "first.xlsx", id_numbers="full")
    for source, name in ((tmp_path / "first", "csv"), (tmp_path / "first.xlsx", "xlsx")):
        other = make_engine(sqlite_url.replace("pool.sqlite3", f"{name}.sqlite3"))
        upgrade(str(other.url))
        with transaction(other) as session:
            import_path(session, source)
        with transaction(other) as session:
            export_pool(session, tmp_path / f"again-{name}", id_numbers="full")
        other.dispose()
        assert _same_files(tmp_path / "first", tmp_path / f"again-{name}") == [], name
    with transaction(make_engine(sqlite_url.replace("pool.sqlite3", "xlsx.sqlite3"))) as s:
        notes = dict(s.connection().exec_driver_sql("SELECT key, note FROM ties").all())
    assert [notes[f"T_NOTE{n}"] for n in range(len(PAYLOADS))] == \
        [p.strip() + " 𠮷" for p in PAYLOADS]  # free text is trimmed on import


def test_csv_cells_that_would_be_formulas_carry_an_apostrophe(tmp_path: Path,
                                                               engine: Engine) -> None:
    builder, _ = _pool()
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "in"))
        export_pool(session, tmp_path / "out", id_numbers="full")
    cells: dict[str, list[str]] = {}
    for file in (tmp_path / "out").glob("*.csv"):
        with file.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                for header, value in row.items():
                    cells.setdefault(f"{file.stem}.{header}", []).append(value)
    risky = {k: [v for v in vs if v.startswith(TRIGGERS)] for k, vs in cells.items()}
    assert {k: v for k, v in risky.items() if v} == {}
    assert "'=1+2" in cells["persons.姓名"] and "'@SUM(1)" in cells["persons.姓名"]
    assert "''=王" in cells["persons.姓名"]  # a genuine apostrophe gets one more
    assert "'-U1" in cells["units.单位编号"] and "'-1" in cells["units.单位名称"]
    assert "'=HYPERLINK(\"http://x\",\"y\") 𠮷" in cells["ties.备注"]
    assert "'plain apostrophe 𠮷" in cells["ties.备注"]  # no formula after it: as is


def test_the_workbook_is_typed_with_names_beside_keys_and_no_formula(
        tmp_path: Path, engine: Engine) -> None:
    builder, keys = _pool()
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "in"))
        export_pool(session, tmp_path / "pool.xlsx", id_numbers="full")
    book = openpyxl.load_workbook(tmp_path / "pool.xlsx")
    cadres = book["巡察干部"]
    headers = [c.value for c in cadres[1]]
    assert headers[:4] == ["人员编号", "姓名（参考）", "所在单位", "所在单位名称（参考）"]
    assert [c.value for c in cadres[2]][:4] == [keys["cadre"], "王𠮷", keys["bureau"],
                                                "云川市财政局"]
    row = dict(zip(headers, [c.value for c in cadres[2]], strict=True))
    assert row["入库日期"] == dt.datetime(2020, 1, 1) and row["年度轮次上限"] == 2
    assert row["是否专职巡察干部"] == "否"  # 专职巡察干部 flag, seconded by default
    assert cadres.freeze_panes == "C2" and cadres.auto_filter.ref == f"A1:S{cadres.max_row}"
    evaluation = dict(zip([c.value for c in book["巡后评估"][1]],
                          [c.value for c in book["巡后评估"][2]], strict=True))
    assert evaluation["分数"] == 95.5 and evaluation["评估日期"] == dt.datetime(2024, 5, 10)
    assert evaluation["轮次名称（参考）"] == "=2024年第一轮巡察"
    assert evaluation["姓名（参考）"] == "王𠮷"
    ties = book["关系"]
    tie_headers = [c.value for c in ties[1]]
    assert tie_headers[:8] == ["关系编号", "关系类型", "人员编号", "姓名（参考）", "对方人员编号",
                               "对方姓名（参考）", "对方单位编号", "对方单位名称（参考）"]
    persons = {r[0].value: r for r in book["人员"].iter_rows(min_row=2)}
    assert persons[keys["grandpa"]][3].value == dt.datetime(1940, 1, 1)
    assert persons[keys["grandpa"]][1].value == "=1+2"
    assert persons[keys["grandpa"]][1].quotePrefix  # stays text when edited in Excel
    for sheet in book.worksheets:
        assert sheet.auto_filter.ref and sheet.freeze_panes, sheet.title
        assert all(c.font.b for c in sheet[1]), sheet.title
        formulas = [c.coordinate for r in sheet.iter_rows() for c in r if c.data_type == "f"]
        assert formulas == [], sheet.title
