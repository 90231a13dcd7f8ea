"""Who is signed in (the session cookie, looked up on the server) and the CSRF check that
every state-changing web request passes, as FastAPI dependencies of the web router."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from pool import models as m
from pool.db import transaction
from service import audit
from service.accounts import principal_of_user
from service.auth import Principal, region_subtree
from service.deps import StateDep
from service.errors import Forbidden, Unauthorized
from service.state import ServiceState
from service.web_sessions import SessionLimits, resolve_session

COOKIE = "xuncha_session"
SIGNIN_COOKIE = "xuncha_signin"  # the sign-in form's CSRF token, before there is a session
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Person:
    """The signed-in person: their principal (an account's role and scope), the CSRF
    token their forms carry, and their scope's region for the header."""

    principal: Principal
    session_id: str  # the sha256 the server keeps
    csrf_token: str
    region_name: str | None  # the scope's Chinese name; None when unscoped


def now(request: Request) -> dt.datetime:
    """The clock of the web layer (naive UTC); tests replace `app.state.web_clock`."""
    clock = getattr(request.app.state, "web_clock", None)
    return clock() if clock is not None else audit.utcnow()


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lookup(state: ServiceState, secret: str, at: dt.datetime) -> Person | None:
    with transaction(state.engine, write=True) as session:
        active = resolve_session(session, secret, limits=SessionLimits.of(state.settings),
                                 now=at)
        if active is None:
            return None
        principal = principal_of_user(active.user, lambda scope: state.scope_regions(
            session, scope, lambda root: region_subtree(session, root)))
        region = None if principal.scope is None else session.get(m.Region, principal.scope)
        return Person(principal, active.id_sha256, active.csrf_token,
                      None if region is None else region.name)


async def current_person(request: Request, state: StateDep) -> Person | None:
    """The person whose live session the cookie names, or None (signed out, expired,
    disabled). Kept on `request.state.person` for the page templates."""
    secret = request.cookies.get(COOKIE)
    person = None
    if secret and len(secret) <= 128:
        person = await run_in_threadpool(_lookup, state, secret, now(request))
    request.state.person = person
    return person


MaybePersonDep = Annotated[Person | None, Depends(current_person)]


async def signed_in(person: MaybePersonDep) -> Person:
    """The signed-in person; a 401 (a page for browsers) otherwise. GET pages redirect to
    the sign-in page themselves instead (`signin_redirect`)."""
    if person is None:
        raise Unauthorized("请先登录（登录可能已过期）", "sign in first (your session may "
                           "have ended)", code="signin_required")
    return person


PersonDep = Annotated[Person, Depends(signed_in)]


def _same_host(request: Request, url: str) -> bool:
    return urlsplit(url).netloc.lower() == request.headers.get("host", "").lower()


async def check_csrf(request: Request, person: MaybePersonDep) -> None:
    """Every state-changing web request: it comes from this site (Origin, else Referer,
    names this host; a browser always sends one of them) and carries the form token of
    the session (or, for the sign-in form, of the sign-in cookie). Refused: 403, nothing
    done."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    if (origin is not None and not _same_host(request, origin)) or \
            (origin is None and referer is not None and not _same_host(request, referer)):
        raise _csrf_refused(request, person, "origin")
    if person is None and request.cookies.get(COOKIE) and request.url.path != "/signin":
        # the session ended while its page was open (idle timeout, lifetime, a disabled
        # account): nothing is done, and the page says to sign in again (a 401 page)
        raise Unauthorized("登录已过期或已结束，本次提交未做任何更改：请重新登录后再提交",
                           "your session has ended and nothing was changed: sign in, "
                           "then send the form again", code="session_ended")
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = [person.csrf_token] if person is not None else []
    if request.url.path == "/signin" and request.cookies.get(SIGNIN_COOKIE):
        expected.append(request.cookies[SIGNIN_COOKIE])
    if not isinstance(sent, str) or not any(
            secrets.compare_digest(sent.encode(), e.encode()) for e in expected):
        raise _csrf_refused(request, person, "token")


def _csrf_refused(request: Request, person: Person | None, why: str) -> Forbidden:
    error = Forbidden("表单已失效或不是从本站提交的，未做任何更改：请返回页面刷新后重新提交",
                      "the form has expired or was not sent from this site; nothing was "
                      "changed: go back, reload the page and send it again", code="csrf")
    error.refusal = (person.principal.actor if person else "anonymous", "web.csrf-refused",
                     {"path": request.url.path, "method": request.method, "why": why,
                      "client": client_of(request)})
    return error


def set_session_cookie(request: Request, response: Response, name: str, value: str,
                       path: str = "/", max_age: int | None = None) -> None:
    """HttpOnly, SameSite=Strict, and Secure over https (or as the settings say)."""
    state: ServiceState = request.app.state.xuncha
    secure = state.settings.session_cookie_secure
    response.set_cookie(name, value, path=path, max_age=max_age, httponly=True,
                        samesite="strict",
                        secure=request.url.scheme == "https" if secure is None else secure)


def clear_cookie(request: Request, response: Response, name: str, path: str = "/") -> None:
    set_session_cookie(request, response, name, "", path=path, max_age=0)


def signin_redirect(request: Request) -> Response:
    """Signed out: to the sign-in page, coming back here after (htmx: the whole page)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = f"/signin?next={quote(here, safe='')}"
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
