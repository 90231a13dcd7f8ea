"""The HTTP/1.1 protocol `xuncha serve` runs: uvicorn's h11 protocol with deadlines for
the request head and body (uvicorn 0.55 has none: a client sending a header, or a body, a
byte a minute held its connection for ever) and a 431, not a 400, for a head over the
size limit.

A connection must deliver each request's line and headers within
`header_timeout_seconds` of its first byte (the first request: of connecting); one that
does not is answered 408 (nothing if it sent nothing) and closed. A request body may not
pause for longer than `body_timeout_seconds` between two pieces (as nginx's
`client_body_timeout`), counting only while the server is ready to read; one that does is
answered 408 if no answer has begun, and closed. The size limit is uvicorn's
`h11_max_incomplete_event_size`, set from `max_header_bytes` by `serve`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from service.settings import get_settings

# the import string `serve` hands to uvicorn (a string: worker processes import it)
PROTOCOL = "service.http_protocol:HeadTimeoutH11Protocol"


class _Connection(h11.Connection):
    """h11's connection, keeping the last protocol error so that its status is answered."""

    last_error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.last_error = exc
            raise


def _raw_error(status: int, reason: str, code: str, zh: str, en: str) -> bytes:
    """A complete HTTP/1.1 error answer in the API's error shape, closing the connection
    (written below h11, which cannot answer a request it has not parsed)."""
    body = json.dumps({"error": {"code": code, "message": f"{zh} / {en}", "zh": zh, "en": en,
                                 "field": None}}, ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode() + body


class HeadTimeoutH11Protocol(H11Protocol):
    def __init__(self, config: Config, server_state: ServerState,
                 app_state: dict[str, Any], _loop: asyncio.AbstractEventLoop | None = None
                 ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_head_bytes = config.h11_max_incomplete_event_size or \
            DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        self.conn = _Connection(h11.SERVER, self.max_head_bytes)
        settings = get_settings()
        self.head_timeout = settings.header_timeout_seconds
        self.body_timeout = settings.body_timeout_seconds
        self.head_deadline: asyncio.TimerHandle | None = None
        self.body_deadline: asyncio.TimerHandle | None = None
        self.head_bytes = 0  # received while waiting for the current request head

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._disarm_body()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # waiting for a request head
            if self.head_deadline is None:
                self._arm()  # a new request begins (on a kept-alive connection)
            self.head_bytes += len(data)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete (or broken)
            self._disarm()
            self.head_bytes = 0
        if self.conn.their_state is h11.SEND_BODY:  # more body to come: wait for it anew
            self._arm_body()
        else:
            self._disarm_body()

    def send_400_response(self, msg: str) -> None:
        error = self.conn.last_error if isinstance(self.conn, _Connection) else None
        if error is not None and error.error_status_hint == 431:
            self.logger.warning("Request head larger than %d bytes refused.",
                                self.max_head_bytes)
            self.transport.write(_raw_error(
                431, "Request Header Fields Too Large", "headers_too_large",
                "请求头过大，已拒绝", "the request head (line and headers) is too large"))
            self.transport.close()
            return
        super().send_400_response(msg)

    def _arm(self) -> None:
        self._disarm()
        self.head_deadline = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_timed_out(self) -> None:
        self.head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.head_bytes:  # a partial head: say why (an idle connection just closes)
            self.transport.write(_raw_error(
                408, "Request Timeout", "header_timeout",
                f"请求头未在 {self.head_timeout:g} 秒内发送完整，连接已关闭",
                f"the request head was not complete within {self.head_timeout:g} s; "
                "the connection is closed"))
        self.transport.close()

    def _arm_body(self) -> None:
        self._disarm_body()
        self.body_deadline = self.loop.call_later(self.body_timeout, self._body_timed_out)

    def _disarm_body(self) -> None:
        if self.body_deadline is not None:
            self.body_deadline.cancel()
            self.body_deadline = None

    def _body_timed_out(self) -> None:
        self.body_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        if self.flow is not None and self.flow.read_paused:  # the server is behind, not
            self._arm_body()  # the client: its time does not count
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_raw_error(
                408, "Request Timeout", "body_timeout",
                f"请求体中断超过 {self.body_timeout:g} 秒，连接已关闭，未作任何处理",
                f"the request body paused for more than {self.body_timeout:g} s; the "
                "connection is closed and nothing was done"))
        self.transport.close()  # the application sees the client gone (http.disconnect)
