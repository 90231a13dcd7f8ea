"""Rendering the workbench's pages: the Jinja2 templates, the headers every page carries
(a content policy allowing this app's own files only), and an HTML error page per status
for browsers, while the API under /v1 keeps its JSON errors."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from service.auth import ROLE_ZH, Action, Role
from service.errors import DomainError

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def role_label(role: Role) -> str:
    """组织人员 organizer"""
    return f"{ROLE_ZH[role]} {role.value}"


TEMPLATES.env.globals["role_label"] = role_label


@dataclass(frozen=True)
class NavItem:
    href: str
    zh: str
    en: str
    action: Action  # shown only to those who may do it (service.auth decides)


# the workbench's sections, in the order of the header's navigation; an area adds its own
# line here when its pages exist
NAV: list[NavItem] = [
    NavItem("/overview", "概览", "Overview", Action.pool_read),
    NavItem("/pool", "人才库", "Pool", Action.pool_read),
    NavItem("/recusals", "回避审查", "Recusals", Action.recusal_check),
    NavItem("/rounds", "巡察轮次", "Rounds", Action.rounds_read),
    NavItem("/audit", "审计", "Audit", Action.audit_read),
]


def nav_items(person: Any) -> list[NavItem]:
    return [item for item in NAV if person.principal.may(item.action)]


TEMPLATES.env.globals["nav_items"] = nav_items

# pages: this app's scripts, styles and images only; no inline script or style, no frames;
# forms post only here. Same-origin referrers, so a form post carries its Origin.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; font-src 'self'; connect-src 'self'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}

# the page title of each error status, Chinese then English
ERROR_TITLES = {
    400: ("请求无效", "Bad request"), 401: ("需要登录", "Sign-in required"),
    403: ("无权访问", "Not allowed"), 404: ("找不到页面", "Page not found"),
    405: ("不支持此操作", "Not supported"), 413: ("提交内容过大", "Too large"),
    422: ("请求无效", "Invalid request"), 429: ("尝试次数过多", "Too many attempts"),
    500: ("服务出错", "Something went wrong"), 503: ("服务暂不可用", "Service unavailable"),
}


def render(request: Request, template: str, context: Mapping[str, Any] | None = None,
           status: int = 200, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A page; the signed-in person (if any) is in the context as `person`."""
    person = getattr(request.state, "person", None)
    return TEMPLATES.TemplateResponse(
        request, template, {"person": person, **(context or {})}, status_code=status,
        headers={**PAGE_HEADERS, **(headers or {})})


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not an API client, and never under /v1)."""
    return not request.url.path.startswith("/v1") and \
        "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, zh: str | None = None,
               en: str | None = None, headers: Mapping[str, str] | None = None
               ) -> HTMLResponse:
    title = ERROR_TITLES.get(status, ERROR_TITLES[400] if status < 500 else ERROR_TITLES[500])
    return render(request, "errors/error.html",
                  {"status": status, "title": title, "zh": zh, "en": en},
                  status=status, headers=headers)


Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def install_error_pages(app: FastAPI) -> None:
    """Wrap the JSON error handlers (`service.errors.install_handlers`, installed first):
    a browser's request outside /v1 gets the same status, headers and message as a
    page. The JSON handler still runs, so denials are audited and errors logged once."""
    for exc_type in (DomainError, RequestValidationError, StarletteHTTPException,
                     OperationalError, Exception):
        original: Handler = app.exception_handlers[exc_type]

        async def handler(request: Request, exc: Exception, original: Handler = original
                          ) -> Response:
            answer = original(request, exc)
            if inspect.isawaitable(answer):
                answer = await answer
            if not wants_html(request):
                return answer
            zh = en = None
            if answer.status_code < 500:  # never internals, but what the user did wrong
                error = json.loads(bytes(answer.body)).get("error", {})
                zh, en = error.get("zh"), error.get("en")
            kept = {k: v for k, v in answer.headers.items()
                    if k.lower() in ("retry-after", "allow")}
            return error_page(request, answer.status_code, zh, en, kept)

        app.exception_handlers[exc_type] = handler
