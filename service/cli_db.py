"""How CLI commands reach the database. A command that reads needs a database `db upgrade`
has set up, and says so in one line instead of creating an empty SQLite file or failing
deep in a query; the commands that set one up (`db upgrade`, `import`, `demo`, and
`token create`, `serve`, `audit checkpoint`, which migrate first as they always have)
use `migrate_database`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from service.cli_errors import ENTRY, CliFailure


class DatabaseNotReady(CliFailure):
    """The database is missing, not migrated, or at another revision than the code."""


def database_url(option: str | None) -> str:
    """`--database-url` (or XUNCHA_DATABASE_URL, which typer reads into it), else the
    settings' default."""
    from service.settings import get_settings

    return option or get_settings().database_url


def open_database(url: str) -> Engine:
    """An engine on a database migrated to the latest revision; `DatabaseNotReady` (before
    anything is created) otherwise."""
    from pool.db import current_revision, make_engine, schema_revisions

    parsed = _parse(url)
    shown = make_url(url).render_as_string(hide_password=True)  # as the user wrote it
    file = _sqlite_file(parsed)
    if file is not None and not file.exists():
        raise _not_set_up(url, shown)
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    except DBAPIError as exc:
        engine.dispose()
        detail = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        raise DatabaseNotReady(f"无法打开数据库 {shown}：{detail}",
                               f"cannot open the database {shown}: {detail}") from None
    head, known = schema_revisions()
    if revision == head:
        return engine
    engine.dispose()
    if revision is None:
        raise _not_set_up(url, shown)
    command = _upgrade_command(url, shown)
    if revision not in known:
        raise DatabaseNotReady(
            f"数据库 {shown} 的结构版本 {revision} 比本程序新：请使用更新版本的 xuncha",
            f"the database {shown} is at schema revision {revision}, newer than this "
            "xuncha knows: use a newer version of xuncha")
    raise DatabaseNotReady(
        f"数据库结构不是最新版本（{revision}，应为 {head}）：请先运行 {command}",
        f"the database schema is out of date ({revision}, expected {head}): run {command} "
        "first")


def migrate_database(url: str) -> Engine:
    """Create the database if need be, apply every migration, and open it."""
    from pool.db import make_engine, upgrade

    _parse(url)
    upgrade(url)
    return make_engine(url)


def _parse(url: str) -> URL:
    from pool.db import normalize_url

    try:
        parsed = make_url(normalize_url(url))
        supported = parsed.get_backend_name() in ("sqlite", "postgresql")
    except (ArgumentError, NoSuchModuleError, ValueError):
        supported = False
    if not supported:
        scheme, _, rest = url.rpartition("://")
        shown = url if "@" not in rest else f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
        raise DatabaseNotReady(f"数据库地址无效：{shown}（只支持 SQLite 与 PostgreSQL，例如 "
                               "sqlite:///var/xuncha.sqlite3 或 postgresql://user@host/db）",
                               f"invalid database URL {shown} (SQLite or PostgreSQL only, e.g. "
                               "sqlite:///var/xuncha.sqlite3 or postgresql://user@host/db)",
                               code=2)
    return parsed


def _sqlite_file(parsed: URL) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, in memory, or a URI filename)."""
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") == "true":
        return None
    return Path(parsed.database)


def _upgrade_command(url: str, shown: str) -> str:
    from service.settings import Settings

    default = Settings.model_fields["database_url"].default
    return f"{ENTRY} db upgrade" + ("" if url == default else f" --database-url {shown}")


def _not_set_up(url: str, shown: str) -> DatabaseNotReady:
    command = _upgrade_command(url, shown)
    return DatabaseNotReady(f"数据库尚未初始化：请先运行 {command}",
                            f"the database is not set up: run {command} first")
