"""Importing into a real database (SQLite and PostgreSQL): upsert, dry run, all-or-nothing."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from pool import models as m
from pool.db import transaction
from pool.importer import ImportRejected, import_path
from pool.repository import PoolRepository
from tests.factories import PoolBuilder, family_builder


def counts(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return PoolRepository(session).counts()


def run_import(engine: Engine, path: Path, **kw):  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return import_path(session, path, **kw)


def test_family_imports_and_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    builder, keys = family_builder()
    path = builder.write(tmp_path / "batch")
    first = run_import(engine, path)
    after_first = counts(engine)
    second = run_import(engine, path)
    assert counts(engine) == after_first
    assert after_first["persons"] == 6 and after_first["ties"] == 8
    assert after_first["cadre_skills"] == 2
    assert all(t.updated == 0 for t in first.tables)
    assert all(t.new == 0 and t.updated == t.rows for t in second.tables)
    with transaction(engine) as session:
        name = session.scalar(select(m.Person.name).where(m.Person.key == keys["cadre"]))
    assert name == "王𠮷"  # a character outside the BMP survives the round trip


def test_upsert_changes_fields_and_replaces_skills(engine: Engine, tmp_path: Path) -> None:
    builder, keys = family_builder()
    run_import(engine, builder.write(tmp_path / "a"))
    builder.rows["cadres"][0]["skills"] = (("petition", 4),)
    builder.rows["persons"][0]["name"] = "王大川"
    run_import(engine, builder.write(tmp_path / "b"))
    with transaction(engine) as session:
        skills = session.execute(select(m.CadreSkill.skill_code, m.CadreSkill.level)).all()
        name = session.scalar(select(m.Person.name).where(m.Person.key == keys["grandpa"]))
    assert [tuple(s) for s in skills] == [("petition", 4)]
    assert name == "王大川"


def test_dry_run_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    builder, _ = family_builder()
    before = counts(engine)
    report = run_import(engine, builder.write(tmp_path / "batch"), dry_run=True)
    assert report.dry_run and report.rows > 0
    assert counts(engine) == before


def test_a_failing_row_leaves_the_database_untouched(engine: Engine, tmp_path: Path) -> None:
    builder, _ = family_builder()
    run_import(engine, builder.write(tmp_path / "a"))
    before = counts(engine)
    # A valid new person and unit, then one tie to a person nobody knows.
    later = PoolBuilder()
    later.unit("东溪区审计局", key="U_AUD", region_code="320902")
    newcomer = later.person("赵新", "F", dt.date(1980, 1, 1), key="P_NEW")
    later.tie("spouse_of", newcomer, "P_GHOST", key="T_BAD")
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, later.write(tmp_path / "b", only=("units", "persons", "ties")))
    (error,) = rejected.value.errors
    assert (error.file, error.row, error.column, error.value) == \
        ("ties.csv", 2, "对方人员编号", "P_GHOST")
    assert counts(engine) == before
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).where(m.Person.key == "P_NEW")) == 0


def test_xlsx_workbook_imports_like_csv(engine: Engine, tmp_path: Path) -> None:
    builder, _ = family_builder()
    run_import(engine, builder.write(tmp_path / "pool.xlsx"))
    assert counts(engine)["ties"] == 8


def test_blank_lines_keep_row_numbers_and_trailing_commas_do_not_shift_columns(
        engine: Engine, tmp_path: Path) -> None:
    builder, _ = family_builder()
    path = builder.write(tmp_path / "batch", only=("regions", "systems", "units"))
    lines = (path / "units.csv").read_text(encoding="utf-8-sig").splitlines()
    # a blank line, a line of commas, then a bad system code on file row 5
    lines[2:2] = ["", ",,,,,,"]
    lines.append("U_X,某单位,320900,nonexistent,,,党政机关")
    (path / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        run_import(engine, path)
    (error,) = rejected.value.errors
    assert (error.row, error.column) == (len(lines), "系统")
    # every line ending in an extra comma: still the right columns
    trailing = [line + "," for line in (path / "units.csv").read_text(
        encoding="utf-8").splitlines() if line.strip(",")][:-1]
    (path / "units.csv").write_text("\n".join(trailing) + "\n", encoding="utf-8")
    report = run_import(engine, path)
    assert next(t for t in report.tables if t.entity == "units").rows == 2


def test_absent_columns_are_checked_with_their_stored_values(engine: Engine,
                                                             tmp_path: Path) -> None:
    """A ties file without dates must not make two stored, consecutive marriages overlap."""
    builder, keys = family_builder()
    builder.tie("spouse_of", keys["cadre"], keys["sister"], key="T_M1",
                start=dt.date(2010, 1, 1), end=dt.date(2012, 1, 1))
    second = builder.person("周新", "F", dt.date(1991, 1, 1))
    builder.tie("spouse_of", keys["cadre"], second, key="T_M2", start=dt.date(2015, 1, 1))
    run_import(engine, builder.write(tmp_path / "a"))
    ties = [dict(r) for r in builder.rows["ties"] if r.get("kind") == "spouse_of"]
    for row in ties:
        row.pop("start", None)
        row.pop("end", None)
    later = PoolBuilder()
    later.rows = {"ties": ties}
    path = later.write(tmp_path / "b")
    frame = pd.read_csv(path / "ties.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=["起始日期", "截止日期"]).to_csv(path / "ties.csv", index=False)
    report = run_import(engine, path)
    assert next(t for t in report.tables if t.entity == "ties").updated == len(ties)
    with transaction(engine) as session:
        end = session.scalar(select(m.Tie.end).where(m.Tie.key == "T_M1"))
    assert end == dt.date(2012, 1, 1)


def test_an_id_number_may_move_to_another_person_in_one_batch(engine: Engine,
                                                             tmp_path: Path) -> None:
    """A data-entry fix: the number was recorded on the wrong one of two namesakes."""
    builder = PoolBuilder()
    right = builder.person("李娜", "F", dt.date(1980, 8, 8), with_id=False)
    wrong = builder.person("李娜", "F", dt.date(1980, 8, 8))  # the row after the receiver
    run_import(engine, builder.write(tmp_path / "a"))
    rows = {r["key"]: r for r in builder.rows["persons"]}
    rows[right]["id_number"], rows[wrong]["id_number"] = rows[wrong]["id_number"], None
    run_import(engine, builder.write(tmp_path / "b", only=("persons",)))
    with transaction(engine) as session:
        owner = session.scalar(select(m.Person.key).where(
            m.Person.id_number == rows[right]["id_number"]))
    assert owner == right
