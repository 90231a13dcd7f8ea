"""The 专职巡察干部 flag and the evaluations' 问责情况 through files: imported from CSV and
xlsx, exported as 是/否 and the finding's text, imported again into a fresh database
unchanged, and left alone by a cadres file without the column."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
from sqlalchemy import Engine, select

from pool import models as m
from pool.db import make_engine, transaction, upgrade
from pool.exporter import export_pool
from pool.importer import import_path
from tests.factories import PoolBuilder, family_builder


def _flags(engine: Engine) -> dict[str, bool]:
    with transaction(engine) as session:
        return dict(session.execute(select(m.Cadre.person_key, m.Cadre.full_time)).all())


def _pool() -> tuple[PoolBuilder, dict[str, str]]:
    builder, keys = family_builder()
    builder.cadre(keys["sister"], keys["school"], full_time=True)
    builder.add("rounds", key="R2024", name="2024年第一轮巡察", kind="regular",
                region_code="320900", start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30))
    builder.add("participations", round_key="R2024", person_key=keys["sister"], team_no=1,
                role="member", target_unit_key=keys["bureau"])
    builder.add("evaluations", round_key="R2024", person_key=keys["sister"],
                grade="incompetent", accountability="隐情不报", evaluated_on=dt.date(2024, 5, 1))
    return builder, keys


def test_the_flag_and_the_finding_round_trip_through_csv_and_xlsx(
        engine: Engine, tmp_path: Path, sqlite_url: str) -> None:
    builder, keys = _pool()
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "in"))
    assert _flags(engine) == {keys["cadre"]: False, keys["sister"]: True}
    with transaction(engine) as session:
        export_pool(session, tmp_path / "out", id_numbers="full")
        export_pool(session, tmp_path / "out.xlsx", id_numbers="full")
    with (tmp_path / "out" / "cadres.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["人员编号"]: r for r in csv.DictReader(fh)}
    assert rows[keys["sister"]]["是否专职巡察干部"] == "是"
    assert rows[keys["cadre"]]["是否专职巡察干部"] == "否"
    with (tmp_path / "out" / "evaluations.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert [r["问责情况"] for r in csv.DictReader(fh)] == ["隐情不报"]
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    header = [c.value for c in book["巡察干部"][1]]
    assert "是否专职巡察干部" in header and "问责情况" in [c.value for c in book["巡后评估"][1]]
    for source, name in ((tmp_path / "out", "csv"), (tmp_path / "out.xlsx", "xlsx")):
        other = make_engine(sqlite_url.replace("pool.sqlite3", f"{name}.sqlite3"))
        upgrade(str(other.url))
        with transaction(other) as session:
            import_path(session, source)
        assert _flags(other) == {keys["cadre"]: False, keys["sister"]: True}, name
        with transaction(other) as session:
            assert session.execute(select(m.Evaluation.accountability)).scalar_one() == \
                "隐情不报"
        other.dispose()


def test_a_cadres_file_without_the_column_keeps_the_flag(engine: Engine,
                                                         tmp_path: Path) -> None:
    builder, keys = _pool()
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "in"))
    source = tmp_path / "in" / "cadres.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = [h for h in rows[0] if h not in ("是否专职巡察干部", "full_time")]
    assert len(header) < len(rows[0])  # the builder wrote the column
    again = tmp_path / "again"
    again.mkdir()
    with (again / "cadres.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with transaction(engine) as session:
        import_path(session, again)
    assert _flags(engine) == {keys["cadre"]: False, keys["sister"]: True}
