"""`xuncha export`: the pool in the import format, as a CSV directory, one `.xlsx`
workbook, or the `.csv` file of one table; progress while the tables are read and
written, and a located warning for each cell a workbook cannot hold as it is."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from service import console as show
from service.cli_errors import CliFailure

if TYPE_CHECKING:
    import pandas as pd

    from pool.exporter import IdNumbers

out = Console()
err = Console(stderr=True)
MAX_WARNINGS_SHOWN = 20

DatabaseOption = Annotated[str | None, typer.Option(
    "--database-url", envvar="XUNCHA_DATABASE_URL",
    help="SQLAlchemy URL (default: SQLite file var/xuncha.sqlite3)")]


def export_command(
    target: Annotated[Path, typer.Argument(
        help="目录（CSV）、.xlsx 文件，或一张表的 .csv 文件 / a directory (CSV), an .xlsx "
        "file, or the .csv file of one table")],
    entity: Annotated[list[str] | None, typer.Option(
        help="只导出这些表（可重复）/ only these entities (repeatable)")] = None,
    id_numbers: Annotated[str, typer.Option(
        "--id-numbers", help="身份证号：masked 脱敏（默认，只供阅读，不能再导入）或 full 完整"
        "（备份、迁移用，记入审计）/ ID numbers: masked (default; for reading, not importable) "
        "or full (backups and migration; audited)")] = "masked",
    database_url: DatabaseOption = None,
) -> None:
    """按导入格式导出；身份证号默认脱敏 / export in the import format, ID numbers masked
    unless --id-numbers full (a full export round-trips losslessly). Audited."""
    from pool.display import UnsupportedTarget, export_target, table_bytes, unstorable_cells
    from pool.formats import ENTITY_BY_NAME
    from service.cli_db import database_url as url_of
    from service.cli_db import open_database
    from service.exports import read_export, record_export
    from service.imports import cli_actor

    for name in entity or []:
        if name not in ENTITY_BY_NAME:
            err.print(f"[red]未知的表 unknown entity[/] {name}; "
                      f"可选 valid: {', '.join(ENTITY_BY_NAME)}")
            raise typer.Exit(2)
    if id_numbers not in ("masked", "full"):
        err.print("[red]--id-numbers 须为 masked 或 full / must be masked or full[/]")
        raise typer.Exit(2)
    try:  # before anything is read or made
        kind = export_target(target, entity)
    except UnsupportedTarget as refused:
        raise CliFailure(refused.zh, refused.en, 2) from None
    engine = open_database(url_of(database_url))
    mode: IdNumbers = "full" if id_numbers == "full" else "masked"
    chosen = list(dict.fromkeys(entity or ENTITY_BY_NAME))
    steps = len(chosen) * (2 if kind == "xlsx" else 1)
    with show.table_progress(out, total=steps) as progress:
        progress.stage(chosen[0], "读取 reading")
        tables = read_export(engine, entities=entity, progress=progress, id_numbers=mode)
        try:
            content = None if kind == "csv-dir" else \
                table_bytes(tables, kind, progress if kind == "xlsx" else None)
        except ValueError as exc:  # a table too large for one sheet
            zh, _, en = str(exc).partition(" / ")
            raise CliFailure(zh, en or zh, 1) from None
    replaced = unstorable_cells(tables) if kind == "xlsx" else []
    record_export(engine, cli_actor(), target.name[:128], tables,
                  fmt="xlsx" if kind == "xlsx" else "csv", id_numbers=mode,
                  target=str(target.resolve()), replaced_cells=len(replaced))
    _write(tables, target, content)
    _warn(replaced)
    masked = "" if mode == "full" else "；身份证号已脱敏 / ID numbers masked"
    rows = sum(len(frame) for frame in tables.values())
    out.print(f"[green]已导出 exported[/] {rows} 行 rows → {target}{masked}")


def _write(tables: Mapping[str, pd.DataFrame], target: Path, content: bytes | None) -> None:
    from pool.display import write_tables

    if content is None:
        write_tables(tables, target, fmt="csv")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _warn(replaced: list[tuple[str, int, str]]) -> None:
    """Cells whose control characters the workbook holds as U+FFFD, each by place."""
    for sheet, row, header in replaced[:MAX_WARNINGS_SHOWN]:
        err.print(f"[yellow]注意 warning[/] 工作表“{sheet}”第{row}行“{header}”含有 Excel "
                  f"不能保存的控制字符，已写为 � / sheet {sheet}, row {row}, column {header} "
                  "holds a control character a workbook cannot store, written as �",
                  highlight=False)
    if len(replaced) > MAX_WARNINGS_SHOWN:
        err.print(f"……共 {len(replaced)} 处 / {len(replaced)} cells in all")
    if replaced:
        err.print("要保留原字符请导出为 CSV 目录 / export to a CSV directory to keep them")
