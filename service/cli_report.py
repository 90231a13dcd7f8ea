"""`xuncha report PROPOSAL_ID FILE`: the round report as .xlsx or .pdf, the same file the
API serves (`service.report_files.report_file`), in the full view of whoever holds the
database (names shown)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.cli_errors import CliFailure

out = Console()


def report_command(
    proposal_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1,
                                               help="方案编号 / proposal id")],
    out_file: Annotated[Path, typer.Argument(
        help="写出的文件：.xlsx 或 .pdf（不覆盖已有文件）/ the file to write: .xlsx or .pdf "
             "(an existing file is never overwritten)")],
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="XUNCHA_DATABASE_URL",
        help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")] = None,
) -> None:
    """轮次报告（可打印）：.xlsx 或 .pdf / the round report, print-ready, as .xlsx or .pdf."""
    from pool.db import transaction
    from service import cli_db
    from service.decisions import proposal_or_404
    from service.errors import DomainError
    from service.report_files import FORMATS, report_file
    from service.settings import Settings

    fmt = out_file.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise CliFailure(f"报告只能写成 .xlsx 或 .pdf 文件，不能是“{out_file.name}”",
                         f"the report is written as .xlsx or .pdf, not '{out_file.name}'",
                         code=2)
    if out_file.exists():
        raise CliFailure(f"{out_file} 已存在，不覆盖；请换一个文件名",
                         f"{out_file} exists and is never overwritten; choose another name",
                         code=2)
    engine = cli_db.open_database(cli_db.database_url(database_url))
    try:
        with transaction(engine) as session:
            row = proposal_or_404(session, proposal_id)
            report = report_file(session, row, fmt, show_names=True,
                                 font=Settings().report_font)
    except DomainError as exc:
        raise CliFailure(exc.zh, exc.en, code=1) from None
    try:
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        raise CliFailure(f"无法新建 {out_file}：{exc.strerror}",
                         f"cannot create {out_file}: {exc.strerror}", code=1) from None
    with os.fdopen(fd, "wb") as f:
        f.write(report.content)
    out.print(f"已写出 written: {out_file}（{len(report.content):,} 字节 bytes）",
              highlight=False, markup=False)
