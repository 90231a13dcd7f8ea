"""`xuncha template`: write the import template (an `.xlsx` workbook, or header-only CSV
files into a directory) with the drop-down lists of the pool's skills and systems."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pool.template import DEFAULT_NAME, csv_paths, workbook_bytes, write_csv
from service.cli_errors import CliFailure

out = Console()


def template_command(
    target: Annotated[Path, typer.Argument(
        help=f".xlsx 文件或目录（CSV），默认当前目录下的 {DEFAULT_NAME} / an .xlsx file or a "
        f"directory (CSV files), default {DEFAULT_NAME} in the current directory")]
    = Path(DEFAULT_NAME),
    force: Annotated[bool, typer.Option(
        "--force", help="覆盖已有文件 / overwrite existing files")] = False,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="XUNCHA_DATABASE_URL",
        help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")] = None,
) -> None:
    """写出导入模板（含说明和下拉列表，不含个人数据）/ write the import template (notes and
    drop-down lists, no personal data)."""
    from pool.db import transaction
    from service.cli_db import database_url as url_of
    from service.cli_db import open_database
    from service.templates import catalogue

    as_csv = _is_directory(target)
    existing = [p for p in (csv_paths(target) if as_csv else [target]) if p.exists()]
    if existing and not force:
        names = "、".join(str(p) for p in existing[:3]) + ("…" if len(existing) > 3 else "")
        raise CliFailure(f"{names} 已存在：请换一个名称，或加 --force 覆盖",
                         f"{names} already exists: choose another name, or add --force to "
                         "overwrite", code=2)
    engine = open_database(url_of(database_url))
    try:
        with transaction(engine) as session:
            codes = catalogue(session)
    finally:
        engine.dispose()
    try:
        if as_csv:
            written = write_csv(target, codes)
        else:
            _write_atomically(target, workbook_bytes(codes))
            written = [target]
    except OSError as exc:
        raise CliFailure(f"无法写入 {target}：{exc.strerror or exc}",
                         f"cannot write {target}: {exc.strerror or exc}") from None
    out.print(f"[green]已写出导入模板 import template written[/] → {target}"
              + (f"（{len(written)} 个文件 files）" if as_csv else ""))
    out.print(f"专业特长 {len(codes.skills)} 项、系统 {len(codes.systems)} 项取自数据库 / "
              f"{len(codes.skills)} skills and {len(codes.systems)} systems from the database")


def _is_directory(target: Path) -> bool:
    """A directory gets CSV files, an `.xlsx` name a workbook; any other file name (an
    `.xls`, a `.csv`) is refused."""
    if target.is_dir():
        return True
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        return False
    if suffix == "":
        return True
    hint_zh, hint_en = ("（.xls 是旧格式，请改用 .xlsx）", " (.xls is the old format: use .xlsx)") \
        if suffix == ".xls" else ("", "")
    raise CliFailure(
        f"不支持的模板文件类型“{suffix}”{hint_zh}：请给出 .xlsx 文件名，"
        "或一个目录（写出 CSV 文件）",
        f"unsupported template file type '{suffix}'{hint_en}: give an .xlsx file name, or a "
        "directory (for CSV files)", code=2)


def _write_atomically(target: Path, content: bytes) -> None:
    """Whole or not at all: a temporary file beside the target, renamed over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".xuncha-template-", suffix=".xlsx", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as any new file (mkstemp makes it private)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
