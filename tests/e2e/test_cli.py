"""The CLI as a user drives it: import, export, round trip, rejection, summary."""

import csv
import filecmp
import json
import subprocess
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from pool import models as m
from pool.db import make_engine
from service.cli import app
from tests.factories import family_builder

runner = CliRunner()


def xuncha(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_import_export_round_trip_through_the_cli(tmp_path: Path) -> None:
    builder, _ = family_builder()
    source = builder.write(tmp_path / "in")
    db1, db2 = f"sqlite:///{tmp_path}/one.sqlite3", f"sqlite:///{tmp_path}/two.sqlite3"
    code, output = xuncha("import", str(source), "--database-url", db1)
    assert code == 0, output
    assert "导入完成" in output and "persons.csv" in output
    assert xuncha("export", str(tmp_path / "out1"), "--id-numbers", "full",
                  "--database-url", db1)[0] == 0
    assert xuncha("import", str(tmp_path / "out1"), "--database-url", db2)[0] == 0
    assert xuncha("export", str(tmp_path / "out2"), "--id-numbers", "full",
                  "--database-url", db2)[0] == 0
    cmp = filecmp.dircmp(tmp_path / "out1", tmp_path / "out2")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert len(list((tmp_path / "out1").glob("*.csv"))) == 12


def test_export_masks_id_numbers_unless_asked_for_in_full_and_is_audited(tmp_path: Path
                                                                        ) -> None:
    builder, _ = family_builder()
    db1, db2 = f"sqlite:///{tmp_path}/one.sqlite3", f"sqlite:///{tmp_path}/two.sqlite3"
    assert xuncha("import", str(builder.write(tmp_path / "in")), "--database-url", db1)[0] == 0
    code, output = xuncha("export", str(tmp_path / "masked"), "--database-url", db1)
    assert code == 0 and "脱敏" in output
    code, output = xuncha("export", str(tmp_path / "full.xlsx"), "--id-numbers", "full",
                          "--database-url", db1)
    assert code == 0 and "脱敏" not in output
    with (tmp_path / "masked" / "persons.csv").open(encoding="utf-8-sig") as fh:
        ids = [row["身份证号"] for row in csv.DictReader(fh) if row["身份证号"]]
    assert ids and all(v[6:16] == "*" * 10 for v in ids)
    code, output = xuncha("import", str(tmp_path / "masked"), "--database-url", db2)
    assert code == 1 and "脱敏" in output  # a masked export is for reading only
    assert xuncha("import", str(tmp_path / "full.xlsx"), "--database-url", db2)[0] == 0
    engine = make_engine(db1)
    with engine.connect() as conn:
        events = conn.execute(select(m.AuditEvent).where(m.AuditEvent.kind == "data.export")
                              .order_by(m.AuditEvent.seq)).all()
    engine.dispose()
    assert [json.loads(e.data)["id_numbers"] for e in events] == ["masked", "full"]
    assert all(e.actor.startswith("cli:") for e in events)
    assert xuncha("export", str(tmp_path / "x"), "--id-numbers", "plain",
                  "--database-url", db1)[0] == 2


def test_a_token_name_that_would_not_fit_the_audit_log_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/pool.sqlite3"
    code, output = xuncha("token", "create", "--role", "viewer", "--name", "名" * 101,
                          "--database-url", db)
    assert code == 1 and "100" in output
    assert xuncha("token", "create", "--role", "viewer", "--name", "名" * 100,
                  "--database-url", db)[0] == 0


def test_rejected_import_exits_nonzero_names_the_row_and_writes_nothing(tmp_path: Path) -> None:
    builder, keys = family_builder()
    builder.tie("declared", keys["cadre"], "P_NOBODY", category="friend")
    db = f"sqlite:///{tmp_path}/pool.sqlite3"
    errors = tmp_path / "errors.csv"
    code, output = xuncha("import", str(builder.write(tmp_path / "in")), "--database-url", db,
                          "--errors-out", str(errors))
    assert code == 1
    assert "导入被拒绝" in output and "P_NOBODY" in output
    assert "P_NOBODY" in errors.read_text(encoding="utf-8-sig")
    code, output = xuncha("summary", "--database-url", db)
    assert code == 0
    assert "人员 persons" in output
    persons_line = next(line for line in output.splitlines() if "人员 persons" in line)
    assert persons_line.split()[-2] == "0"


def test_dry_run_reports_and_keeps_the_database_empty(tmp_path: Path) -> None:
    builder, _ = family_builder()
    db = f"sqlite:///{tmp_path}/pool.sqlite3"
    code, output = xuncha("import", str(builder.write(tmp_path / "in")), "--dry-run",
                          "--database-url", db)
    assert code == 0 and "校验通过（未写入）" in output
    output = xuncha("summary", "--database-url", db)[1]
    persons_line = next(line for line in output.splitlines() if "人员 persons" in line)
    assert persons_line.split()[-2] == "0"


def test_export_of_unknown_entity_says_which_exist(tmp_path: Path) -> None:
    code, output = xuncha("export", str(tmp_path / "x"), "--entity", "people",
                          "--database-url", f"sqlite:///{tmp_path}/p.sqlite3")
    assert code == 2 and "persons" in output


def test_demo_imports_the_sample_city_and_screens_it(tmp_path: Path) -> None:
    code, output = xuncha("demo", "--database-url", f"sqlite:///{tmp_path}/demo.sqlite3")
    assert code == 0, output
    for expected in ("人才库概况 pool summary", "回避审查 recusal screening", "kin-in-target",
                     "同组回避 within-team pairs", "示例说明 example explanation", "依据",
                     "basis:", "组建巡察组 team assembly", "软目标分项 soft terms",
                     "交叉巡察 cross-inspection", "配对 pairs"):
        assert expected in output
    rule_line = next(line for line in output.splitlines() if "kin-in-target" in line)
    assert int(rule_line.split("│")[-2].strip().replace(",", "")) > 0
    # the ceremony at the end: two parties, secrets made on the spot (and said so), the
    # draw of record, and commands that recompute the seed by hand
    for expected in ("抽取仪式 draw ceremony", "当场生成", "on the spot", "已抽取 drawn",
                     "第1组 team 1"):
        assert expected in output
    lines = output.splitlines()
    seed_cmd = next(line for line in lines if "xuncha-draw-seed-v1" in line)
    shell, _, comment = seed_cmd.partition("#")
    by_hand = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                             check=True).stdout.split()[0]
    assert comment.split()[-1] == by_hand
    assert any(line.strip() == f"种子 seed {by_hand}" for line in lines)
    commit_cmds = [line for line in lines if "xuncha-draw-commit-v1" in line]
    assert len(commit_cmds) == 2
    for line in commit_cmds:  # each party's commitment, recomputed by hand
        shell, _, comment = line.partition("#")
        got = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                             check=True).stdout.split()[0]
        assert comment.split()[-1] == got and f"commitment {got}" in output
