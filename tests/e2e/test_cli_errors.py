"""The CLI as a new user meets it (issue 13): every failure is a short Chinese + English
message with an exit code, never a traceback; look-ups by name where a key is asked for;
tokens listed and revoked with what `token create` printed."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pool import models as m
from pool.db import make_engine, upgrade
from service.cli import app
from tests.factories import family_builder

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def xuncha(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def rows(url: str, table: type[m.Base]) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(n)


# -- 1. a database that is not set up ------------------------------------------------------

READ_COMMANDS = [
    ("summary",), ("recusals", "--cadre", "P00000367"), ("export", "out"),
    ("audit", "verify"), ("token", "list"), ("token", "revoke", "abc123"),
    ("draw", "show", "R2026-04", "--token", "xc_nope"),
    ("assemble", str(ROOT / "sample_data" / "rounds" / "2026-4.yaml")),
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_read_command_before_db_upgrade_says_what_to_run_and_creates_no_file(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    path = tmp_path / "var" / "xuncha.sqlite3"
    code, output = xuncha(*command, "--database-url", f"sqlite:///{path}")
    assert code == 1, output
    assert output.strip().splitlines() == [
        f"数据库尚未初始化：请先运行 ./dev xuncha db upgrade --database-url sqlite:///{path} / "
        f"the database is not set up: run ./dev xuncha db upgrade --database-url "
        f"sqlite:///{path} first"]
    assert not path.parent.exists()  # neither the file nor its folder


def test_the_default_database_is_named_by_the_plain_command(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XUNCHA_DATABASE_URL", raising=False)
    code, output = xuncha("summary")
    assert code == 1 and "请先运行 ./dev xuncha db upgrade / " in output
    assert not (tmp_path / "var").exists()


def test_an_empty_or_outdated_database_names_the_command_that_fixes_it(tmp_path: Path) -> None:
    path = tmp_path / "left-behind.sqlite3"
    path.touch()  # what earlier versions left behind
    url = f"sqlite:///{path}"
    code, output = xuncha("summary", "--database-url", url)
    assert code == 1 and "数据库尚未初始化" in output and "not set up" in output

    upgrade(url, "0002_service_records")
    code, output = xuncha("summary", "--database-url", url)
    assert code == 1, output
    assert "数据库结构不是最新版本（0002_service_records" in output
    assert f"run ./dev xuncha db upgrade --database-url {url} first" in output

    assert xuncha("db", "upgrade", "--database-url", url)[0] == 0
    code, output = xuncha("summary", "--database-url", url)
    assert code == 0 and "人才库概况" in output


def test_an_unreachable_postgresql_server_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://nobody:secret@127.0.0.1:{port}/none"
    code, output = xuncha("summary", "--database-url", url)
    assert code == 1, output
    assert output.startswith(f"无法打开数据库 postgresql://nobody:***@127.0.0.1:{port}")
    assert "secret" not in output and len(output.strip().splitlines()) == 1


def test_a_database_url_of_another_kind_is_refused_without_its_password() -> None:
    code, output = xuncha("summary", "--database-url", "mysql://clerk:hunter2@db/pool")
    assert code == 2
    assert output.startswith("数据库地址无效：mysql://…@db/pool（只支持 SQLite 与 PostgreSQL")
    assert "hunter2" not in output


def test_db_upgrade_and_import_still_create_the_database(tmp_path: Path) -> None:
    builder, _ = family_builder()
    url = f"sqlite:///{tmp_path}/new/pool.sqlite3"
    assert xuncha("import", str(builder.write(tmp_path / "in")), "--database-url", url)[0] == 0
    assert rows(url, m.Person) == 6
    other = f"sqlite:///{tmp_path}/other.sqlite3"
    assert xuncha("db", "upgrade", "--database-url", other)[0] == 0
    assert xuncha("summary", "--database-url", other)[0] == 0


# -- 2. serve -------------------------------------------------------------------------------

@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run replaced: the arguments it got, and what had been printed by then."""
    import uvicorn

    calls: list[dict[str, Any]] = []

    def run(_app: str, **kwargs: Any) -> None:
        sys.stdout.flush()
        calls.append(kwargs | {"printed": sys.stdout.buffer.getvalue().decode()})  # type: ignore[attr-defined]

    monkeypatch.setattr(uvicorn, "run", run)
    return calls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_says_where_it_listens_before_uvicorn_starts(
        sqlite_url: str, uvicorn_calls: list[dict[str, Any]]) -> None:
    port = free_port()
    code, output = xuncha("serve", "--port", str(port), "--workers", "2",
                          "--database-url", sqlite_url)
    assert code == 0, output
    [call] = uvicorn_calls
    assert (call["host"], call["port"], call["workers"]) == ("127.0.0.1", port, 2)
    printed = call["printed"]
    assert f"监听地址 listening on: http://127.0.0.1:{port}" in printed
    assert f"接口文档 API docs:     http://127.0.0.1:{port}/docs" in printed
    assert "进程数 workers:        2" in printed and "数据库 database:       sqlite:///" in printed


def test_serve_on_every_interface_says_how_to_reach_it_here(
        sqlite_url: str, uvicorn_calls: list[dict[str, Any]]) -> None:
    port = free_port()
    code, output = xuncha("serve", "--host", "0.0.0.0", "--port", str(port),
                          "--database-url", sqlite_url)
    assert code == 0, output
    assert f"本机访问 http://127.0.0.1:{port}" in output
    assert f"API docs:     http://127.0.0.1:{port}/docs" in output


def test_serve_on_a_busy_port_is_one_line_and_exit_1(
        sqlite_url: str, uvicorn_calls: list[dict[str, Any]]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, output = xuncha("serve", "--port", str(port), "--database-url", sqlite_url)
    assert code == 1
    assert output.strip().splitlines() == [
        f"端口 {port} 已被占用（127.0.0.1）：请先停止占用它的程序，或用 --port 换一个端口 / "
        f"port {port} on 127.0.0.1 is already in use: stop the program using it, or choose "
        "another port with --port"]
    assert not uvicorn_calls


# -- 3. usage errors -------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "zh", "en", "help_for"), [
    (["recusals"], "缺少选项 '--cadre'", "missing option '--cadre'", "recusals"),
    (["nosuch"], "没有命令“nosuch”", "no such command 'nosuch'", ""),
    (["token", "lsit"], "是否想用 'list'", "did you mean 'list'?", "token"),
    (["serve", "--port", "abc"], "'--port'：须为整数", "invalid value for '--port'", "serve"),
    (["summary", "--bogus"], "没有选项 --bogus", "no such option --bogus", "summary"),
    (["summary", "extra"], "多余的参数：extra", "unexpected extra argument(s): extra",
     "summary"),
    (["import", "no/such/dir"], "文件或目录不存在", "does not exist", "import"),
])
def test_usage_errors_are_chinese_and_english_with_the_help_to_read(
        args: list[str], zh: str, en: str, help_for: str) -> None:
    code, output = xuncha(*args)
    assert code == 2
    first, usage = output.strip().splitlines()
    assert first.startswith("用法错误：") and zh in first and "/ usage error: " in first
    assert en in first
    command = f"./dev xuncha {help_for}".strip()
    assert usage.startswith(f"用法 usage: {command} ") and usage.endswith(
        f"帮助 help: {command} --help")
    assert "╭" not in output  # not typer's English error panel


# -- 4. Ctrl-C ---------------------------------------------------------------------------

def interrupt_after(tables: int) -> Callable[..., Any]:
    """A stand-in for the import's progress bar that presses Ctrl-C once `tables` tables
    have been written into the transaction."""

    @contextmanager
    def progress(_console: Any) -> Iterator[Callable[[str, int], None]]:
        seen: list[str] = []

        def advance(entity: str, _rows: int) -> None:
            seen.append(entity)
            if len(seen) == tables:
                raise KeyboardInterrupt

        yield advance

    return progress


def test_ctrl_c_during_an_import_says_nothing_was_written(
        tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    builder, _ = family_builder()
    source = builder.write(tmp_path / "in")
    monkeypatch.setattr("service.console.table_progress", interrupt_after(5))
    code, output = xuncha("import", str(source), "--database-url", sqlite_url)
    assert code == 130
    assert output.strip() == "已中断：未写入任何数据 / interrupted: nothing was written"
    assert rows(sqlite_url, m.Region) == rows(sqlite_url, m.Person) == 0


def test_ctrl_c_in_a_reading_command_is_one_line(sqlite_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("pool.repository.PoolRepository.pool_summary", interrupted)
    code, output = xuncha("summary", "--database-url", sqlite_url)
    assert (code, output.strip()) == (130, "已中断 / interrupted")


# -- 5. names where keys are asked for -------------------------------------------------------

def test_recusals_takes_a_cadre_and_units_by_their_names(tmp_path: Path, sqlite_url: str
                                                        ) -> None:
    builder, keys = family_builder()
    assert xuncha("import", str(builder.write(tmp_path / "in")),
                  "--database-url", sqlite_url)[0] == 0
    code, output = xuncha("recusals", "--cadre", "王𠮷", "--unit", "东溪区实验小学",
                          "--as-of", "2026-11-01", "--json", "--database-url", sqlite_url)
    assert code == 0, output
    check = json.loads(output)
    assert check["cadre"] == keys["cadre"]
    assert [e["target_key"] for e in check["explanations"]] == [keys["school"]]
    # typed as people type: a full-width space, a zero-width space, a line separator
    code, output = xuncha("recusals", "--cadre", "王\u3000\u200b𠮷", "--unit",
                          "东溪区\u2028实验小学", "--as-of", "2026-11-01", "--json",
                          "--database-url", sqlite_url)
    assert code == 0, output
    check = json.loads(output)
    assert check["cadre"] == keys["cadre"]
    assert [e["target_key"] for e in check["explanations"]] == [keys["school"]]


def test_a_name_several_cadres_share_lists_them_and_asks_for_the_key(
        tmp_path: Path, sqlite_url: str) -> None:
    builder, keys = family_builder()
    other_unit = builder.unit("云川市审计局", key="U_AUD")
    namesake = builder.person("王𠮷", "M", dt.date(1983, 8, 8))
    builder.cadre(namesake, other_unit)
    builder.unit("办公室", key="U_OFF1", parent_key="U_FIN")
    builder.unit("办公室", key="U_OFF2", parent_key="U_AUD")
    assert xuncha("import", str(builder.write(tmp_path / "in")),
                  "--database-url", sqlite_url)[0] == 0

    code, output = xuncha("recusals", "--cadre", "王𠮷", "--database-url", sqlite_url)
    assert code == 1
    lines = output.strip().splitlines()
    assert lines[0].startswith("有2名干部同名“王𠮷”，请用人员编号指明（--cadre 编号）/ 2 cadres")
    assert "give the person key (--cadre KEY)" in lines[0]
    assert any(keys["cadre"] in line and "云川市财政局" in line and "1990" in line
               for line in lines[1:])
    assert any(namesake in line and "云川市审计局" in line and "1983" in line
               for line in lines[1:])

    code, output = xuncha("recusals", "--cadre", keys["cadre"], "--unit", "办公室",
                          "--database-url", sqlite_url)
    assert code == 1 and "有2个单位名为“办公室”" in output
    assert "U_OFF1" in output and "U_OFF2" in output and "云川市财政局" in output
    code, output = xuncha("recusals", "--cadre", "无此人", "--database-url", sqlite_url)
    assert code == 1 and "没有人员编号或姓名为“无此人”的人员" in output


# -- 6. tokens ----------------------------------------------------------------------------

def test_tokens_are_listed_without_secrets_and_revoked_by_what_create_printed(
        sqlite_url: str) -> None:
    db = ("--database-url", sqlite_url)
    code, output = xuncha("token", "list", *db)
    assert code == 0 and "尚无令牌" in output
    secrets = {}
    for role in ("organizer", "auditor"):
        code, output = xuncha("token", "create", "--role", role, "--name", f"{role}-desk", *db)
        assert code == 0
        secrets[role] = output.strip()
    code, listing = xuncha("token", "list", *db)
    assert code == 0 and "organizer-desk" in listing and "auditor-desk" in listing
    assert listing.count("有效 valid") == 2
    token_id = {role: secret.split("_")[1] for role, secret in secrets.items()}
    assert all(token_id[r] in listing and secrets[r] not in listing for r in secrets)

    code, output = xuncha("token", "revoke", secrets["organizer"], *db)  # the full secret
    assert code == 0 and f"已吊销 revoked {token_id['organizer']}" in output
    code, output = xuncha("draw", "show", "R2026-04", "--token", secrets["organizer"], *db)
    assert code == 2 and "令牌无效或已吊销" in output
    assert xuncha("token", "revoke", token_id["auditor"], *db)[0] == 0  # the id
    code, output = xuncha("token", "revoke", token_id["auditor"], *db)
    assert code == 0 and "already revoked" in output
    code, listing = xuncha("token", "list", *db)
    assert "有效 valid" not in listing and listing.count("UTC") == 4  # created and revoked
    code, output = xuncha("token", "revoke", "xc_000000000000_wrong", *db)
    assert code == 1 and "没有与此令牌相符的令牌" in output and "wrong" not in output
    code, output = xuncha("audit", "verify", *db)  # each revocation audited exactly once
    assert code == 0, output


# -- 7. anything else ------------------------------------------------------------------------

def test_an_unexpected_error_is_one_line_that_says_how_to_see_more(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("boom\nsecond line with details")

    monkeypatch.setattr("pool.repository.PoolRepository.pool_summary", broken)
    code, output = xuncha("summary", "--database-url", sqlite_url)
    assert code == 1
    assert output.strip().splitlines() == [
        "意外错误 / unexpected error: RuntimeError: boom（用 XUNCHA_DEBUG=1 重新运行可看到详细信息 "
        "/ run again with XUNCHA_DEBUG=1 to see the details）"]
    result = runner.invoke(app, ["summary", "--database-url", sqlite_url],
                           env={"XUNCHA_DEBUG": "1"})
    assert isinstance(result.exception, RuntimeError)  # the traceback, when asked for


def test_the_installed_command_fails_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    done = subprocess.run([str(Path(sys.executable).with_name("xuncha")), "summary",
                           "--database-url", f"sqlite:///{path}"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"数据库尚未初始化：请先运行 ./dev xuncha db upgrade --database-url sqlite:///{path} / "
        f"the database is not set up: run ./dev xuncha db upgrade --database-url "
        f"sqlite:///{path} first"]
    assert list(tmp_path.iterdir()) == []


# -- the documentation ----------------------------------------------------------------------

def test_documented_commands_run_from_a_fresh_clone() -> None:
    """`xuncha` is not on the PATH of a clone: the docs say `./dev xuncha …`."""
    commands = "|".join(("import", "export", "generate", "summary", "recusals", "assemble",
                         "pair", "demo", "serve", "db", "token", "audit", "seed", "round",
                         "draw"))
    bare = re.compile(rf"(?<![\w./-])(?<!\./dev )xuncha (?:{commands})\b")
    docs = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = [f"{doc.name}:{n}: {line.strip()}" for doc in docs
             for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
             if bare.search(line) and "（xuncha export --id-numbers full）" not in line]
    # the exception quotes an import error message word for word (pool/validation.py)
    assert not found, "\n".join(found)
