"""The pool's files in the workbench: import by upload (with a dry run; the row-level error
table on the page, nothing written), the export and the import template as downloads.
The same functions as the API's (`service.api.pool_files`), under the same rules: imports
need pool:write, exports pool:read-sensitive, and both an unscoped person."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pool.db import transaction
from pool.formats import ENTITY_BY_NAME
from pool.importer import ImportRejected, ImportReport
from pool.tabular import TableReadError
from service.api.pool_access import require_unscoped, sensitive
from service.api.pool_files import MEDIA, export_download, import_uploads
from service.auth import Action
from service.deps import SessionDep, StateDep, ensure_may
from service.errors import Unprocessable
from service.state import ServiceState
from service.templates import template_workbook
from service.web.pages import render
from service.web.session import MaybePersonDep, Person, signin_redirect

router = APIRouter()
SHOWN_ERRORS = 500  # as many as the API's 422 lists




def _may_import(state: ServiceState, request: Request, person: Person) -> None:
    ensure_may(state, request, person.principal, Action.pool_write)
    require_unscoped(state, request, person.principal, "导入", "importing")


@router.get("/pool/import")
def import_page(request: Request, person: MaybePersonDep, state: StateDep) -> Response:
    if person is None:
        return signin_redirect(request)
    _may_import(state, request, person)
    return render(request, "pool/import.html", {"dry_run": True, "errors": []})


def _run_import(state: ServiceState, request: Request, person: Person,
                files: list[UploadFile], dry_run: bool) -> dict[str, Any]:
    """The import in a transaction of its own, rolled back on any error."""
    try:
        with transaction(state.engine, write=True) as session:
            report: ImportReport = import_uploads(session, state, request, person.principal,
                                                  files, dry_run=dry_run)
    except ImportRejected as rejected:
        return {"row_errors": [asdict(e) for e in rejected.errors[:SHOWN_ERRORS]],
                "more_errors": max(0, len(rejected.errors) - SHOWN_ERRORS),
                "error_count": len(rejected.errors),
                "errors": [{"field": "row-errors",
                            "zh": f"导入被拒绝：{len(rejected.errors)} 处错误，未写入任何数据",
                            "en": f"import rejected: {len(rejected.errors)} error(s); "
                                  "nothing was written"}]}
    except TableReadError as unreadable:
        return {"errors": [{"field": "files", "zh": f"{unreadable.file}：{unreadable.zh}",
                            "en": f"{unreadable.file}: {unreadable.en}"}]}
    except Unprocessable as error:  # file names the importer cannot take
        return {"errors": [{"field": "files", "zh": error.zh, "en": error.en}]}
    tables = [{**asdict(t), "zh": ENTITY_BY_NAME[t.entity].zh if t.entity in ENTITY_BY_NAME
               else t.entity} for t in report.tables]
    return {"report": report, "tables": tables, "errors": []}


@router.post("/pool/import")
async def import_post(request: Request, person: MaybePersonDep, state: StateDep) -> Response:
    if person is None:  # (the CSRF check refuses a post without a session first)
        return signin_redirect(request)
    _may_import(state, request, person)
    form = await request.form()  # parsed once, by the CSRF check
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    dry_run = form.get("dry_run") == "1"
    if not files:
        outcome: dict[str, Any] = {"errors": [{
            "field": "files", "zh": "请选择要导入的 .csv 或 .xlsx 文件",
            "en": "choose the .csv or .xlsx files to import"}]}
    else:
        outcome = await run_in_threadpool(_run_import, state, request, person, files, dry_run)
    status = 422 if outcome["errors"] else 200
    return render(request, "pool/import.html", {"dry_run": dry_run, **outcome},
                  status=status)


@router.get("/pool/template.xlsx")
def template_download(request: Request, person: MaybePersonDep, session: SessionDep,
                      state: StateDep) -> Response:
    """The import template, as GET /v1/pool/template.xlsx serves it."""
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.pool_read)
    return Response(template_workbook(session), media_type=MEDIA["xlsx"], headers={
        "Content-Disposition": 'attachment; filename="xuncha-template.xlsx"'})


@router.get("/pool/export.xlsx")
def export_download_page(request: Request, person: MaybePersonDep, state: StateDep,
                         id_numbers: str = "masked") -> Response:
    """The whole pool as GET /v1/exports serves it (xlsx; ID numbers masked unless `full`,
    which is audited)."""
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    if not principal.may(Action.pool_read_sensitive):
        raise sensitive(state, request, principal, "人才库导出", "the pool export")
    if id_numbers not in ("masked", "full"):
        raise Unprocessable("身份证号只能选择 masked（脱敏）或 full（完整）",
                            "id_numbers is masked or full", field="id_numbers")
    return export_download(state, request, principal, (), "xlsx",
                           "full" if id_numbers == "full" else "masked")
