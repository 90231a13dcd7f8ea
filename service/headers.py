"""Response headers every answer carries: no MIME sniffing, no caching of personal data,
no framing, no referrer; API answers also forbid any active content (the interactive
docs page sets its own policy: the app's own assets only, see `service.api_docs`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMON = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
          (b"x-frame-options", b"DENY"))
API = ((b"cache-control", b"no-store"),
       (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"))


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering), adding `COMMON` to every response and
    `API` to those under /v1."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = COMMON + (API if scope.get("path", "").startswith("/v1") else ())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in extra if k not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
