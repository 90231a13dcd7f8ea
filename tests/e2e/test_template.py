"""The import template as users get it: `xuncha template` writes a workbook (default name
in the current directory) or CSV headers into a directory, refuses other file types and
existing files in Chinese and English, and leaves nothing behind; GET
/v1/pool/template.xlsx serves it to any token that reads the pool, with the city's
systems in its drop-downs, and to nobody else."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pool.db import upgrade
from pool.formats import ENTITIES
from service.cli import app
from tests.e2e.api_client import Api

runner = CliRunner()


def xuncha(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/pool.sqlite3"
    upgrade(url)
    return url


def test_template_writes_the_workbook_under_its_default_name(
        database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, output = xuncha("template", "--database-url", database)
    assert code == 0, output
    book = load_workbook(work / "xuncha-template.xlsx")
    assert book.sheetnames == ["说明", *(e.zh for e in ENTITIES), "代码表"]
    code, output = xuncha("template", "--database-url", database)  # never overwritten
    assert code == 2 and "已存在" in output and "already exists" in output and "--force" in output
    assert xuncha("template", "--force", "--database-url", database)[0] == 0

    code, output = xuncha("import", "xuncha-template.xlsx", "--database-url", database)
    assert code == 0, output
    assert "没有可导入的数据" in output and "nothing to import" in output


@pytest.mark.parametrize("name", ["out.xls", "out.csv"])
def test_template_refuses_other_file_types(database: str, tmp_path: Path, name: str) -> None:
    code, output = xuncha("template", str(tmp_path / name), "--database-url", database)
    assert code == 2, output
    assert "不支持的模板文件类型" in output and "unsupported template file type" in output
    assert ".xlsx" in output and "Traceback" not in output
    assert not (tmp_path / name).exists()
    if name == "out.xls":
        assert "旧格式" in output and "old format" in output


def test_template_into_a_directory_writes_csv_headers(database: str, tmp_path: Path) -> None:
    target = tmp_path / "模板𠮷"
    code, output = xuncha("template", str(target), "--database-url", database)
    assert code == 0, output
    for entity in ENTITIES:
        text = (target / f"{entity.name}.csv").read_text(encoding="utf-8-sig")
        assert text == ",".join(c.zh for c in entity.columns) + "\n"
    assert (target / "说明.txt").exists()
    code, output = xuncha("import", str(target), "--database-url", database)
    assert code == 0 and "nothing to import" in output, output


def test_template_needs_a_database_that_is_set_up(tmp_path: Path) -> None:
    code, output = xuncha("template", str(tmp_path / "t.xlsx"), "--database-url",
                          f"sqlite:///{tmp_path}/missing.sqlite3")
    assert code != 0 and "db upgrade" in output and "Traceback" not in output
    assert not (tmp_path / "t.xlsx").exists() and not (tmp_path / "missing.sqlite3").exists()


def test_the_template_download_holds_the_citys_code_lists(sqlite_api: Api) -> None:
    r = sqlite_api.get("/v1/pool/template.xlsx", "viewer", scope="320125")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "xuncha-template.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in book["人员"][1]] == [c.zh for c in ENTITIES[4].columns]
    systems = sqlite_api.get("/v1/systems", "viewer", params={"limit": 200}).json()["items"]
    assert systems
    lists = book["代码表"]
    column = next(c for c in range(1, lists.max_column + 1) if lists.cell(1, c).value == "系统")
    offered = [lists.cell(r, column).value for r in range(2, lists.max_row + 1)]
    assert {s["code"] for s in systems} == {v for v in offered if v}
    upload = {"files": ("xuncha-template.xlsx", r.content, r.headers["content-type"])}
    imported = sqlite_api.post("/v1/imports", "admin", files=upload)  # returned unchanged
    assert imported.status_code == 200, imported.text
    assert imported.json()["rows"] == 0


def test_the_template_download_is_refused_without_a_valid_token(sqlite_api: Api) -> None:
    assert sqlite_api.get("/v1/pool/template.xlsx", None).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert sqlite_api.get("/v1/pool/template.xlsx", None, headers=bad).status_code == 401
