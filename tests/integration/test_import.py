"""Importing into a real database (SQLite and PostgreSQL): upsert, dry run, all-or-nothing."""

import datetime as dt
from pathlib import Path

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
