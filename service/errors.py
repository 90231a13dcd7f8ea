"""Typed domain errors that carry their HTTP status, and the one place that turns any
error into a JSON response (Chinese first, English after, and the failing field).

Never a bare 500 for bad input: every error a request can cause is one of these, or a
pool/conflicts/assignment error mapped below."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from assignment.instance import InstanceError
from assignment.pairing import PairingError
from conflicts.policy import PolicyError
from conflicts.screening import ScreeningError
from pool.importer import ImportRejected
from pool.tabular import TableReadError
from pool.validation import clip
from service.plan_problems import PlanProblem, RoundFileError, translate

log = logging.getLogger("xuncha.service")


class ErrorBody(BaseModel):
    code: str
    message: str  # "中文 / English"
    zh: str
    en: str
    field: str | None = None
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class DomainError(Exception):
    status = 400
    code = "bad_request"
    # (actor, event kind, data): an audit event the handler writes after the request's
    # rollback, for refusals an auditor must see (denials, refused ceremony steps)
    refusal: tuple[str, str, dict[str, Any]] | None = None
    headers: tuple[tuple[str, str], ...] = ()  # response headers beside the body

    def __init__(self, zh: str, en: str, *, field: str | None = None,
                 details: Any = None, code: str | None = None) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.field, self.details = zh, en, field, details
        if code:
            self.code = code

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=f"{self.zh} / {self.en}", zh=self.zh,
                         en=self.en, field=self.field, details=self.details)


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Unprocessable(DomainError):
    status, code = 422, "unprocessable"


class Unavailable(DomainError):
    """The service is not set up for this (say, no checkpoint key configured)."""

    status, code = 503, "unavailable"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"

    def __init__(self, zh: str, en: str, *, retry_after: int, field: str | None = None
                 ) -> None:
        super().__init__(zh, en, field=field)
        self.headers = (("Retry-After", str(retry_after)),)


def not_found(what_zh: str, what_en: str, key: object, field: str | None = None) -> NotFound:
    return NotFound(f"没有{what_zh} {key}", f"no {what_en} {key}", field=field)


# responses every endpoint documents, for OpenAPI and the API fuzz run
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse} for s in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}
# an error message longer than this is cut (it would be repeating a user's value)
MESSAGE_CHARS = 2000


def _json(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    body = body.model_copy(update={
        "message": clip(body.message, MESSAGE_CHARS), "zh": clip(body.zh, MESSAGE_CHARS),
        "en": clip(body.en, MESSAGE_CHARS),
        "field": None if body.field is None else clip(body.field)})
    return JSONResponse(status_code=status, headers=headers,
                        content=jsonable_encoder(ErrorResponse(error=body)))


def error_response(exc: DomainError) -> JSONResponse:
    """The JSON answer for a domain error (also sent by middleware, outside the app's
    exception handlers)."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return _json(exc.status, exc.body(), {**headers, **dict(exc.headers)} or None)


def _split(message: str) -> tuple[str, str]:
    zh, sep, en = message.partition(" / ")
    return (zh, en) if sep else (message, message)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        if exc.refusal is not None:
            from service.deps import record_refusal  # (deps imports this module)

            await run_in_threadpool(record_refusal, request.app.state.xuncha.engine, exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = request_problems(request, exc.errors()[:100])
        if not problems:
            return _json(422, ErrorBody(code="invalid_request", message="请求无效 / invalid "
                                        "request", zh="请求无效", en="invalid request"))
        first, more = problems[0], len(problems) - 1
        zh = f"请求参数无效：{first.zh}" + (f"（另有{more}处，见 details）" if more else "")
        en = f"invalid request: {first.en}" + (f" (and {more} more, see details)"
                                               if more else "")
        # a location may hold a key of the user's JSON, a message its value: both clipped
        details = [p.to_dict() | {"field": clip(p.field)} for p in problems]
        return _json(422, ErrorBody(code="invalid_request", message=f"{zh} / {en}", zh=zh,
                                    en=en, field=first.field or None,
                                    details=jsonable_encoder(details)))

    @app.exception_handler(ImportRejected)
    async def _import(_request: Request, exc: ImportRejected) -> JSONResponse:
        details = [asdict(e) for e in exc.errors[:500]]
        zh, en = _split(str(exc))
        return _json(422, ErrorBody(code="import_rejected", message=str(exc), zh=zh, en=en,
                                    details=details))

    @app.exception_handler(RoundFileError)
    async def _plan(_request: Request, exc: RoundFileError) -> JSONResponse:
        zh, en = _split(str(exc))
        problems = exc.problems
        return _json(422, ErrorBody(code="invalid_round", message=str(exc), zh=zh, en=en,
                                    field=problems[0].field if problems else None,
                                    details=[p.to_dict() for p in problems[:100]] or None))

    mapped: tuple[tuple[type[Exception], str], ...] = (
        (TableReadError, "unreadable_file"),
        (PolicyError, "invalid_policy"), (ScreeningError, "invalid_screening"),
        (InstanceError, "invalid_round"), (PairingError, "invalid_pairing"),
    )
    for exc_type, code in mapped:
        def _handler(_request: Request, exc: Exception, code: str = code) -> JSONResponse:
            zh, en = _split(str(exc))
            return _json(422, ErrorBody(code=code, message=str(exc), zh=zh, en=en))

        app.add_exception_handler(exc_type, _handler)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "没有这个地址", 405: "不支持这个方法"}.get(exc.status_code, "请求无效")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method of every route at this path
            headers["Allow"] = ", ".join(_allowed(request))
        return _json(exc.status_code, ErrorBody(code=f"http_{exc.status_code}",
                                                message=f"{zh} / {exc.detail}", zh=zh,
                                                en=str(exc.detail)), headers=headers or None)

    @app.exception_handler(OperationalError)
    async def _unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return _json(503, ErrorBody(
            code="database_unavailable",
            message="数据库暂时不可用，本次操作未保存 / the database is unavailable; nothing "
                    "was saved",
            zh="数据库暂时不可用（忙或无法写入），本次操作未保存；请稍后重试",
            en="the database is unavailable (busy or not writable); nothing was saved: try "
               "again shortly"), headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _json(500, ErrorBody(code="internal", message="服务内部错误 / internal error",
                                    zh="服务内部错误，已记录；请联系管理员",
                                    en="internal error, logged; contact the administrator"))


def request_problems(request: Request, errors: Sequence[Any]) -> list[PlanProblem]:
    """A request's validation errors in Chinese and English (`service.plan_problems`):
    the body's against the endpoint's body model, so an unknown key is answered with the
    keys that exist; the field paths leave out "body", as they always have."""
    route = request.scope.get("route")
    params = getattr(getattr(route, "dependant", None), "body_params", None) or []
    model = params[0].field_info.annotation if len(params) == 1 else None
    body = model if isinstance(model, type) and issubclass(model, BaseModel) else None
    problems = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        source, rest = (loc[0], loc[1:]) if loc else ("body", ())
        problems += translate([error | {"loc": rest}], body if source == "body" else None,
                              () if source == "body" else (source,))
    return problems


def _allowed(request: Request) -> list[str]:
    """The methods the app answers at the request's path, from its OpenAPI description
    (Starlette's own 405 names only the first route that matched the path)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        regex, _format, _convertors = compile_path(template)
        if regex.match(request.url.path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


def _nul_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return (*path, key)
        found = _nul_path(item, (*path, str(key)))
        if found is not None:
            return found
    return None


async def reject_nul(request: Request) -> None:
    """No text in a request may hold a NUL character (PostgreSQL cannot store one): a 422
    naming where, checked once for every endpoint (uploaded files are not text here)."""
    where: str | None = None
    if "\x00" in request.url.path:
        where = "path"
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            where = key.replace("\x00", "")
    if where is None and request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            try:
                found = _nul_path(json.loads(body))
            except ValueError:
                found = None  # not JSON: the body's own validation says so
            if found is not None:
                where = ".".join(found) or "body"
    if where is not None:
        raise Unprocessable("文本中不能含有空字符（NUL, U+0000）",
                            "text may not contain the NUL character (U+0000)",
                            field=where or "query", code="invalid_request")
