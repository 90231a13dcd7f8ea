"""`xuncha export` as a user runs it: a path it cannot write is refused before anything
is read or made; one table goes to a `.csv` file; a control character that old data may
hold is kept in CSV and replaced, with its place named, in a workbook; and the progress
bar is told which table is being read, checked and written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import text
from typer.testing import CliRunner

from pool.db import make_engine, transaction
from pool.display import table_bytes
from pool.importer import import_path
from service.cli import app
from tests.factories import family_builder

runner = CliRunner()


def xuncha(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _imported(tmp_path: Path, url: str) -> dict[str, str]:
    builder, keys = family_builder()
    assert xuncha("import", str(builder.write(tmp_path / "in")), "--database-url", url)[0] == 0
    return keys


def test_an_unsupported_target_is_refused_and_nothing_is_made(tmp_path: Path,
                                                              sqlite_url: str) -> None:
    _imported(tmp_path, sqlite_url)
    out = tmp_path / "out"
    out.mkdir()
    code, output = xuncha("export", str(out / "pool.xls"), "--database-url", sqlite_url)
    assert code == 2
    assert "不支持的导出格式 .xls：请写目录（CSV）或 .xlsx 文件" in output
    assert "unsupported export format .xls" in output
    code, output = xuncha("export", str(out / "pool.csv"), "--database-url", sqlite_url)
    assert code == 2 and "--entity" in output
    assert list(out.iterdir()) == []


def test_one_table_goes_to_a_csv_file(tmp_path: Path, sqlite_url: str) -> None:
    keys = _imported(tmp_path, sqlite_url)
    target = tmp_path / "人员.csv"
    code, output = xuncha("export", str(target), "--entity", "persons",
                          "--database-url", sqlite_url)
    assert code == 0, output
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("人员编号,姓名,") and any(keys["cadre"] in x for x in lines)


def test_a_control_character_is_kept_in_csv_and_located_in_a_workbook(
        tmp_path: Path, sqlite_url: str) -> None:
    keys = _imported(tmp_path, sqlite_url)
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:  # old data, from before the import refused them
        session.execute(text("UPDATE persons SET name = :n WHERE key = :k"),
                        {"n": "王\x07𠮷", "k": keys["cadre"]})
    engine.dispose()
    code, output = xuncha("export", str(tmp_path / "pool.xlsx"), "--database-url", sqlite_url)
    assert code == 0, output
    assert "工作表“人员”第6行“姓名”" in output and "sheet 人员, row 6, column 姓名" in output
    assert "工作表“巡察干部”第2行“姓名（参考）”" in output
    sheet = openpyxl.load_workbook(tmp_path / "pool.xlsx")["人员"]
    assert sheet["B6"].value == "王\ufffd𠮷"
    code, output = xuncha("export", str(tmp_path / "csv"), "--database-url", sqlite_url)
    assert code == 0 and "warning" not in output
    assert "王\x07𠮷" in (tmp_path / "csv" / "persons.csv").read_text(encoding="utf-8-sig")


class Recorder:
    """A progress callback as `service.console.table_progress` gives: done and stage."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def __call__(self, entity: str, rows: int) -> None:
        self.events.append(("done", entity))

    def stage(self, entity: str, doing: str) -> None:
        self.events.append((doing.split()[0], entity))


def test_progress_names_each_table_while_reading_checking_and_writing(
        tmp_path: Path, sqlite_url: str) -> None:
    builder, _ = family_builder()
    workbook = builder.write(tmp_path / "pool.xlsx")
    seen = Recorder()
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        import_path(session, workbook, progress=seen)
    engine.dispose()
    persons = [e for e in seen.events if e[1] == "persons"]
    assert persons == [("读取", "persons"), ("读取、解析", "persons"), ("检查", "persons"),
                       ("写入", "persons"), ("done", "persons")]
    written = Recorder()
    tables: dict[str, Any] = {"regions": builder.frames()["regions"],
                              "persons": builder.frames()["persons"]}
    table_bytes(tables, "xlsx", written)
    assert written.events == [("done", "regions"), ("done", "persons")]


def test_the_import_format_lists_every_name_column_beside_keys() -> None:
    from pool.formats import ENTITIES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text(
        encoding="utf-8")
    missing = [f"{e.name}.{c.field}" for e in ENTITIES for c in e.columns if c.beside
               and (f"| {c.beside[0]} |" not in doc or f"`{c.beside[1]}`" not in doc)]
    assert missing == []
