"""Sign-in and sign-out pages. The checks are `service.accounts` (lock-out) and
`service.web_sessions`; this module only reads the form and answers the browser."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pool.db import transaction
from service.accounts import NAME_CHARS, LockPolicy, Outcome, check_sign_in
from service.deps import StateDep
from service.errors import TooManyRequests
from service.state import ServiceState
from service.web.pages import render
from service.web.session import (
    COOKIE,
    CSRF_FIELD,
    SIGNIN_COOKIE,
    MaybePersonDep,
    PersonDep,
    clear_cookie,
    client_of,
    now,
    set_session_cookie,
)
from service.web_sessions import StartedSession, end_session, start_session

router = APIRouter()



def _refused(policy: LockPolicy) -> tuple[str, str]:
    """One sentence for every refusal: nobody learns whether an account exists."""
    n, minutes = policy.failures, round(policy.lock.total_seconds() / 60)
    return (f"账户名或密码不正确，或该账户已停用或暂时锁定。同一账户连续输错{n}次将锁定{minutes}"
            "分钟；确认无误仍无法登录，请联系管理员",
            f"wrong name or password, or the account is disabled or locked for now. {n} "
            f"failures in a row lock an account for {minutes} minutes; if you are sure, ask "
            "your administrator")


NOTICES = {"out": ("你已退出登录", "You have signed out"),
           "ended": ("登录已过期或已结束，请重新登录", "Your session has ended; sign in again")}


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //host or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form(request: Request, *, name: str = "", errors: list[dict[str, str]] | None = None,
          notice: tuple[str, str] | None = None, next_: str = "/", status: int = 200
          ) -> Response:
    # one token per browser until it signs in (two open sign-in tabs both work)
    kept = request.cookies.get(SIGNIN_COOKIE, "")
    token = kept if 40 <= len(kept) <= 64 else secrets.token_urlsafe(32)
    page = render(request, "auth/signin.html",
                  {"name": name, "errors": errors or [], "notice": notice, "next": next_,
                   "csrf_token": token, "csrf_field": CSRF_FIELD}, status=status)
    set_session_cookie(request, page, SIGNIN_COOKIE, token, path="/signin")
    return page


@router.get("/signin")
async def signin_page(request: Request, person: MaybePersonDep, next: str = "/",
                      notice: str | None = None) -> Response:
    if person is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _form(request, notice=NOTICES.get(notice or ""), next_=_safe_next(next))


def _sign_in(state: ServiceState, request: Request, name: str, password: str
             ) -> StartedSession | None:
    at, client = now(request), client_of(request)
    with transaction(state.engine, write=True) as session:
        outcome, user = check_sign_in(session, name, password, client=client, now=at,
                                      policy=LockPolicy.of(state.settings))
        if outcome is not Outcome.signed_in or user is None:
            return None
        return start_session(session, user, now=at, client=client)


@router.post("/signin")
async def signin(request: Request, state: StateDep,
                 name: Annotated[str, Form(max_length=200)] = "",
                 password: Annotated[str, Form(max_length=1000)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/",
                 ) -> Response:
    client = client_of(request)
    retry_after = state.sign_ins.retry_after(client)  # the per-address throttle of tokens
    if retry_after is not None:
        raise TooManyRequests(f"此地址登录失败次数过多，请 {retry_after} 秒后再试",
                              f"too many failed sign-ins from this address; try again in "
                              f"{retry_after} s", retry_after=retry_after)
    errors = []
    if not name.strip():
        errors.append({"field": "name", "zh": "请输入账户名", "en": "Enter your account name"})
    elif len(name.strip()) > NAME_CHARS:
        errors.append({"field": "name", "zh": f"账户名不超过{NAME_CHARS}个字符",
                       "en": f"An account name has at most {NAME_CHARS} characters"})
    if not password:
        errors.append({"field": "password", "zh": "请输入密码", "en": "Enter your password"})
    if errors:
        return _form(request, name=name, errors=errors, next_=_safe_next(next), status=400)
    started = await run_in_threadpool(_sign_in, state, request, name, password)
    if started is None:
        state.sign_ins.fail(client)
        zh, en = _refused(LockPolicy.of(state.settings))
        return _form(request, name=name, next_=_safe_next(next), status=401, errors=[
            {"field": "name", "zh": zh, "en": en,
             "short_zh": "账户名或密码不正确", "short_en": "wrong name or password"}])
    answer = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, answer, COOKIE, started.secret)
    clear_cookie(request, answer, SIGNIN_COOKIE, path="/signin")
    return answer


@router.post("/signout")
async def signout(request: Request, state: StateDep, person: PersonDep) -> Response:
    def end() -> None:
        with transaction(state.engine, write=True) as session:
            end_session(session, person.session_id, now=now(request),
                        client=client_of(request))

    await run_in_threadpool(end)
    answer = RedirectResponse("/signin?notice=out", status_code=303)
    clear_cookie(request, answer, COOKIE)
    return answer
