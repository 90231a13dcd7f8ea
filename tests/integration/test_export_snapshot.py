"""Export round trip and as-of snapshots on real databases."""

import datetime as dt
import filecmp
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from pool.db import make_engine, transaction
from pool.exporter import export_pool
from pool.importer import import_path
from pool.snapshot import load_snapshot
from tests.factories import family_builder


def _dirs_equal(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    return not (cmp.diff_files or cmp.left_only or cmp.right_only)


def test_export_import_export_is_lossless(engine: Engine, tmp_path: Path,
                                          sqlite_url: str) -> None:
    builder, keys = family_builder()
    builder.add("rounds", key="R2024", name="2024年第一轮巡察", kind="regular",
                region_code="320900", start=dt.date(2024, 3, 1), end=dt.date(2024, 4, 30))
    builder.add("participations", round_key="R2024", person_key=keys["cadre"], team_no=1,
                role="leader", target_unit_key=keys["school"])
    builder.add("evaluations", round_key="R2024", person_key=keys["cadre"], grade="excellent",
                score=95.5, comment="认真负责", evaluated_on=dt.date(2024, 5, 10))
    builder.tie("recusal", keys["cadre"], keys["school"], key="T_RECUSAL",
                category="organization", start=dt.date(2025, 3, 1), source_type="organization",
                source_ref="巡办〔2025〕7号", recorded_by="市委巡察办",
                recorded_at=dt.datetime(2025, 2, 26, 15, 30), note="胞妹在该校任教，组织决定回避")
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "in"))
    with transaction(engine) as session:
        export_pool(session, tmp_path / "first", id_numbers="full")
        export_pool(session, tmp_path / "first.xlsx", id_numbers="full")
    # Into a second, empty database (SQLite) from the CSV export and again from the xlsx.
    for source, name in ((tmp_path / "first", "second"), (tmp_path / "first.xlsx", "third")):
        other = make_engine(sqlite_url.replace("pool.sqlite3", f"{name}.sqlite3"))
        from pool.db import upgrade

        upgrade(str(other.url))
        with transaction(other) as session:
            import_path(session, source)
        with transaction(other) as session:
            export_pool(session, tmp_path / name, id_numbers="full")
        other.dispose()
        assert _dirs_equal(tmp_path / "first", tmp_path / name)
    ties = pd.read_csv(tmp_path / "first" / "ties.csv", dtype=str, keep_default_na=False)
    assert set(ties["关系类型"]) == {"父母子女", "夫妻", "申请或决定回避"}
    recusal = ties.set_index("关系编号").loc["T_RECUSAL"]
    assert recusal[["人员编号", "对方人员编号", "对方单位编号", "类别", "起始日期", "截止日期",
                    "来源类型", "来源文号", "记录人", "记录时间", "备注"]].tolist() == [
        keys["cadre"], "", keys["school"], "组织决定", "2025-03-01", "", "组织认定",
        "巡办〔2025〕7号", "市委巡察办", "2025-02-26 15:30:00", "胞妹在该校任教，组织决定回避"]
    cadres = pd.read_csv(tmp_path / "first" / "cadres.csv", dtype=str, keep_default_na=False)
    assert cadres.loc[0, "专业特长"] == "审计:2;财务:3"
    assert cadres.loc[0, "组长库"] == "是"


def test_snapshot_holds_what_had_begun_by_the_date(engine: Engine, tmp_path: Path) -> None:
    builder, keys = family_builder()
    builder.tie("spouse_of", keys["cadre"], keys["sister"], key="T_FUTURE",
                start=dt.date(2030, 1, 1))  # nonsense kinship but a valid future-dated tie
    builder.add("unavailability", person_key=keys["cadre"], start=dt.date(2026, 3, 1),
                end=dt.date(2026, 4, 30), reason="培训")
    builder.rows["cadres"][0].update(status="suspended", status_reason="借调",
                                     status_from=dt.date(2026, 1, 1),
                                     status_to=dt.date(2026, 6, 30))
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "in"))
    with transaction(engine) as session:
        early = load_snapshot(session, dt.date(2014, 1, 1))
        before_round = load_snapshot(session, dt.date(2026, 2, 1))
        now = load_snapshot(session, dt.date(2026, 11, 22))
    assert "T_FUTURE" not in {t.key for t in now.ties}
    assert not any(e.person_key == keys["cadre"] for e in early.employments)
    assert any(e.person_key == keys["cadre"] for e in now.employments)
    cadre = now.cadres[keys["cadre"]]
    assert cadre.skills == (("audit", 2), ("finance", 3))
    assert cadre.status_on(dt.date(2026, 3, 1)) == "suspended"
    assert cadre.status_on(dt.date(2026, 11, 22)) == "active"
    planned = before_round.cadres[keys["cadre"]]
    assert not planned.available(dt.date(2026, 4, 1), dt.date(2026, 5, 31))
    assert planned.available(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert cadre.unavailable == ()  # periods that ended before the date are left out
    assert now.persons[keys["cadre"]].name == "王𠮷"
    assert not hasattr(now.persons[keys["cadre"]], "id_number")
