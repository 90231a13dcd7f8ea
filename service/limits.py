"""Request limits applied before the app reads a body (pure ASGI middleware).

A body larger than `max_body_bytes` (uploads: `max_upload_bytes`) is refused with 413:
from its Content-Length before a byte of it is read, or, sent in chunks, as soon as the
count passes the limit. A body sent to /v1 without a bearer token is refused with 401
before it is read; an upload's token is checked in full (401, or 429 while the client is
throttled) before its body is read. A refusal closes the connection, so the unread rest
of the body is never received."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.deps import authenticate, missing_token
from service.errors import DomainError, PayloadTooLarge, error_response
from service.settings import Settings
from service.web.pages import error_page, wants_html

PUBLIC_PATHS = frozenset({"/v1/health"})  # answered without a token
# endpoints that take files (multipart); tests/e2e/test_limits.py checks that every
# operation of the OpenAPI with a multipart body is listed here
UPLOAD_PATHS = frozenset({"/v1/imports"})
# the workbench's upload form: the same size limit; its session is checked by the page
WEB_UPLOAD_PATHS = frozenset({"/pool/import"})


class _TooLarge(Exception):
    """Raised from `receive` once a body has passed its limit."""


def size_text(n: int) -> str:
    return f"{n / 2**20:.4g} MB" if n >= 2**20 else f"{n / 2**10:.4g} KB"


def too_large(limit: int, upload: bool) -> PayloadTooLarge:
    if upload:
        return PayloadTooLarge(
            f"上传的文件合计超过 {size_text(limit)} 的上限；请分几次导入，或请管理员调整 "
            "XUNCHA_MAX_UPLOAD_BYTES", f"the upload is larger than the {size_text(limit)} "
            "limit; import the files in several parts, or ask the administrator to raise "
            "XUNCHA_MAX_UPLOAD_BYTES", field="files")
    return PayloadTooLarge(
        f"请求体超过 {size_text(limit)} 的上限", f"the request body is larger than the "
        f"{size_text(limit)} limit", field="body")


async def _answer(error: DomainError, scope: Scope, receive: Receive, send: Send) -> None:
    """The error as JSON, or as a page for a browser outside /v1 (the workbench's upload
    form), closing the connection (the body may not have been read)."""
    request = Request(scope)
    response: Response = error_page(request, error.status, error.zh, error.en,
                                    dict(error.headers)) \
        if wants_html(request) else error_response(error)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


class RequestLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.body_bytes, self.upload_bytes = settings.max_body_bytes, settings.max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in UPLOAD_PATHS or scope["path"] in WEB_UPLOAD_PATHS
        limit = self.upload_bytes if upload else self.body_bytes
        refusal = await self._refusal(scope, Headers(scope=scope), upload, limit)
        if refusal is not None:
            await _answer(refusal, scope, receive, send)
            return
        await self._counted(scope, receive, send, limit, upload)

    async def _refusal(self, scope: Scope, headers: Headers, upload: bool,
                       limit: int) -> DomainError | None:
        """Why the request is answered before its body is read; None: it is not."""
        length = _content_length(headers)
        if length == 0 or (length is None and "transfer-encoding" not in headers):
            return None  # no body
        path = scope["path"]
        scheme, _, secret = headers.get("authorization", "").partition(" ")
        if path.startswith("/v1/") and path not in PUBLIC_PATHS and \
                (scheme.lower() != "bearer" or not secret):
            return missing_token()
        if length is not None and length > limit:
            return too_large(limit, upload)
        if path in UPLOAD_PATHS:  # the same check as the endpoint's, before the upload
            client = scope.get("client")
            try:
                await authenticate(scope["app"].state.xuncha, secret,
                                   client[0] if client else "unknown",
                                   {"path": path, "method": scope["method"]})
            except DomainError as error:
                return error
        return None

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int,
                       upload: bool) -> None:
        """Run the app with the body's bytes counted as they arrive; once past `limit`,
        whatever the app answers to its failed read is replaced by the 413."""
        received = 0
        exceeded = started = replaced = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start" and exceeded and not started:
                replaced = True
                await _answer(too_large(limit, upload), scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started and not replaced:  # the app gave up without answering
            await _answer(too_large(limit, upload), scope, receive, send)
