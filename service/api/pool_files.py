"""File import and export over HTTP, in the formats of `xuncha import` / `xuncha export`
(docs/import-format.md). Both need a token without a region scope: an import may touch
any part of the pool, and an export holds all of it. The import template holds no pool
data but code lists: any token with pool:read gets it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from pool.display import table_bytes, unstorable_cells
from pool.exporter import IdNumbers
from pool.formats import ENTITIES, ENTITY_BY_NAME
from pool.importer import ImportReport
from pool.validation import clip
from service.api.pool_access import Reader, SensitiveReader, Writer, require_unscoped
from service.api.pool_schemas import ImportReportRead, ImportTableRead
from service.auth import Principal
from service.deps import SessionDep, StateDep
from service.errors import Unprocessable
from service.exports import read_export, record_export
from service.imports import import_and_record
from service.state import ServiceState
from service.templates import template_workbook

router = APIRouter(tags=["pool"])
SUFFIXES = (".csv", ".xlsx")
MAX_NAME_BYTES = 255  # a file name on every common file system
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _file_names(files: Sequence[StarletteUpload]) -> list[str]:
    """Safe, distinct `.csv`/`.xlsx` names for the uploads (the importer matches tables by
    file name, so the name is kept; directories in it are dropped)."""
    names: list[str] = []
    for upload in files:
        name = PurePath((upload.filename or "").replace("\\", "/")).name.strip()
        if not name or name.startswith(".") or "\x00" in name or \
                not name.lower().endswith(SUFFIXES):
            raise Unprocessable(
                f"不支持的文件“{clip(name)}”：请上传以表名命名的 .csv 或 .xlsx 文件（如 "
                "persons.csv、人员.csv）", f"unsupported file '{clip(name)}': upload .csv or "
                ".xlsx files named after their table (e.g. persons.csv)", field="files")
        if len(name.encode("utf-8")) > MAX_NAME_BYTES:
            raise Unprocessable(
                f"文件名“{clip(name, 40)}”过长：最多 {MAX_NAME_BYTES} 字节（UTF-8），请以表名命名",
                f"the file name '{clip(name, 40)}' is too long: at most {MAX_NAME_BYTES} bytes "
                "(UTF-8); name the file after its table", field="files")
        if name.lower() in (n.lower() for n in names):
            raise Unprocessable(f"文件“{clip(name)}”上传了两次",
                                f"file '{clip(name)}' was uploaded twice", field="files")
        names.append(name)
    return names


def import_uploads(session: Session, state: ServiceState, request: Request,
                   principal: Principal, files: Sequence[StarletteUpload], *,
                   dry_run: bool) -> ImportReport:
    """Import uploaded files into `session` (the API's and the workbench's upload): an
    unscoped caller, safe distinct names, all or nothing (`ImportRejected` with every
    error; the caller's transaction must roll back)."""
    require_unscoped(state, request, principal, "导入", "importing")
    names = _file_names(files)
    with tempfile.TemporaryDirectory(prefix="xuncha-import-") as tmp:
        for upload, name in zip(files, names, strict=True):
            with (Path(tmp) / name).open("wb") as out:
                shutil.copyfileobj(upload.file, out)
        return import_and_record(session, Path(tmp), actor=principal.actor, dry_run=dry_run,
                                 source="upload:" + ",".join(names))


@router.post("/imports", response_model=ImportReportRead)
def import_files(
    session: SessionDep, state: StateDep, request: Request, principal: Writer,
    files: Annotated[list[UploadFile], File(description=(
        "一个或多个 .csv/.xlsx 文件，格式同 `xuncha import` / one or more .csv/.xlsx files "
        "in the `xuncha import` format"))],
    dry_run: Annotated[bool, Query(description="只校验不写入 / validate only")] = False,
    dry_run_form: Annotated[bool, Form(alias="dry_run", description=(
        "同 dry_run 查询参数 / same as the dry_run query parameter"))] = False,
) -> ImportReportRead:
    """导入文件：全部成功或全部不写入；有错误时 422 列出每一处 / import files, all or
    nothing; on any error a 422 listing every one. Needs an unscoped token."""
    report = import_uploads(session, state, request, principal, files,
                            dry_run=dry_run or dry_run_form)
    return ImportReportRead(
        dry_run=report.dry_run, rows=report.rows, seconds=round(report.seconds, 3),
        tables=[ImportTableRead(entity=t.entity, source=t.source, encoding=t.encoding,
                                rows=t.rows, new=t.new, updated=t.updated)
                for t in report.tables])


@router.get("/pool/template.xlsx", response_class=Response,
            responses={200: {"content": {MEDIA["xlsx"]: {}},
                             "description": "导入模板 / the import template"}})
def import_template(session: SessionDep, principal: Reader) -> Response:
    """导入模板：每张表一个工作表（中文列名）、说明工作表、代码列下拉列表；不含个人数据 /
    the import template: one sheet per table (Chinese headers), a 说明 sheet describing
    every column, drop-down lists on the code columns; holds no personal data."""
    content = template_workbook(session)
    return Response(content, media_type=MEDIA["xlsx"], headers={
        "Content-Disposition": 'attachment; filename="xuncha-template.xlsx"'})


@router.get("/exports", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}},
                             "description": "CSV（一张表）或 xlsx 工作簿 / CSV (one table) "
                                            "or an xlsx workbook"}})
def export_files(
    state: StateDep, request: Request, principal: SensitiveReader,
    entity: Annotated[list[str] | None, Query(max_length=len(ENTITIES), description=(
        "英文表名；csv 须恰好一个，xlsx 默认全部 / table names: exactly one for csv, "
        "all by default for xlsx"))] = None,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "xlsx",
    id_numbers: Annotated[IdNumbers, Query(description=(
        "身份证号：masked 脱敏（默认，只供阅读，不能再导入）；full 完整（备份、迁移用，记入审计）"
        " / ID numbers: masked (default; for reading, not importable again) or full (for "
        "backups and migration; audited)"))] = "masked",
) -> Response:
    """按导入格式导出（中文列名），身份证号默认脱敏；完整导出可直接再导入 / export in
    the import format (Chinese headers), ID numbers masked unless `id_numbers=full`; a full
    export is importable as is. Needs pool:read-sensitive and an unscoped token."""
    return export_download(state, request, principal, entity or (), format, id_numbers)


def export_download(state: ServiceState, request: Request, principal: Principal,
                    entity: Sequence[str], format: str, id_numbers: IdNumbers) -> Response:
    """The export as a download (the API's and the workbench's; the caller has checked
    pool:read-sensitive): an unscoped caller, built in memory, audited once built."""
    require_unscoped(state, request, principal, "导出", "exporting")
    chosen = list(dict.fromkeys(entity))
    unknown = [e for e in chosen if e not in ENTITY_BY_NAME]
    if unknown:
        valid = ", ".join(e.name for e in ENTITIES)
        raise Unprocessable(f"无法识别的表名 {clip(', '.join(unknown))}；可用：{valid}",
                            f"unknown table {clip(', '.join(unknown))}; valid names: {valid}",
                            field="entity")
    if format == "csv" and len(chosen) != 1:
        raise Unprocessable("CSV 导出须恰好指定一张表（entity）；导出多张表请用 xlsx",
                            "a CSV export needs exactly one entity; use xlsx for several",
                            field="entity")
    # built in memory, no copy on disk; audited after it was built (`service.exports`)
    tables = read_export(state.engine, entities=chosen or None, id_numbers=id_numbers)
    try:
        content = table_bytes(tables, format)
    except ValueError as exc:  # a table too large for one sheet, a cell Excel cannot hold
        zh, _, en = str(exc).partition(" / ")
        raise Unprocessable(zh, en or zh, field="format") from None
    name = "pool.xlsx" if format == "xlsx" else f"{chosen[0]}.csv"
    # control characters a workbook cannot hold are written as U+FFFD: counted in a
    # header and in the audit event (a CSV export keeps them)
    replaced = len(unstorable_cells(tables)) if format == "xlsx" else 0
    record_export(state.engine, principal.actor, name, tables, fmt=format,
                  id_numbers=id_numbers, replaced_cells=replaced)
    return Response(content, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Xuncha-Replaced-Cells": str(replaced)})
