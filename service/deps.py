"""FastAPI dependencies as `Annotated` aliases: the request's session (one transaction:
commit on success, roll back on any error), the calling principal, and permission checks
(every denial is a 403 and an audit event, written in its own transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from pool import models as m
from pool.db import transaction, writer
from service import audit
from service.auth import (
    ROLE_ZH,
    Action,
    Principal,
    find_token,
    principal_of,
    region_subtree,
    token_digest,
)
from service.errors import DomainError, Forbidden, TooManyRequests, Unauthorized
from service.state import ServiceState


async def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.xuncha
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_session(request: Request, state: StateDep) -> Iterator[Session]:
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    factory = sessionmaker(writer(state.engine) if write else state.engine,
                           expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


# scope="function": the transaction commits (or rolls back) as soon as the endpoint
# returns, before the response is sent; a failed commit is an error response, and a
# client that reads right after a 2xx always sees its own write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="xuncha token create 生成的令牌 / "
                                                   "a token from `xuncha token create`")


def _record_apart(engine: Engine, actor: str, kind: str, data: Mapping[str, object]) -> None:
    """An audit event that must survive the request's rollback (denials, failed logins)."""
    with transaction(engine, write=True) as session:
        scope = data.get("scope")
        audit.record(session, actor, kind, object_type="request",
                     object_key=str(data.get("path")), data=data,
                     region=scope if isinstance(scope, str) else None)


def _resolve(state: ServiceState, secret: str, where: dict[str, str]) -> Principal | None:
    """The token's principal from the database (and the day's login event), cached."""
    today = dt.datetime.now(dt.UTC).date()
    with transaction(state.engine) as session:
        token = find_token(session, secret)
        if token is None:
            return None
        principal = principal_of(token, lambda scope: state.scope_regions(
            session, scope, lambda root: region_subtree(session, root)))
        first_today = token.last_login_on != today
    if first_today:  # the first use each day is a login event
        with transaction(state.engine, write=True) as session:
            row = session.get(m.ApiToken, token.id, with_for_update=True)
            if row is not None and row.last_login_on != today:
                row.last_login_on = today
                audit.record(session, principal.actor, "auth.login", object_type="token",
                             object_key=token.id, data={"role": principal.role.value,
                                                        "scope": principal.scope, **where},
                             region=principal.scope)
    state.remember_token(token_digest(secret), principal, today)
    return principal


async def get_principal(request: Request, state: StateDep,
                        credentials: Annotated[HTTPAuthorizationCredentials | None,
                                               Depends(_bearer)]) -> Principal:
    """The caller. A token seen in the last few seconds is answered from memory (no
    database round trip on the hot path); see `ServiceState.TOKEN_TTL`."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise missing_token()
    client = request.client.host if request.client else "unknown"
    return await authenticate(state, credentials.credentials, client,
                              {"path": request.url.path, "method": request.method})


def missing_token() -> Unauthorized:
    return Unauthorized("缺少令牌：请在 Authorization 头中提供 Bearer 令牌",
                        "missing token: send `Authorization: Bearer <token>`",
                        field="Authorization")


async def authenticate(state: ServiceState, secret: str, client: str,
                       where: dict[str, str]) -> Principal:
    """The principal of a bearer token from `client`: 429 while the client is throttled
    (its token is not even looked at), 401 for an unknown or revoked token. The first
    failure of a client's window is audited, and the one that reaches the limit; see
    `service.throttle`."""
    retry_after = state.sign_ins.retry_after(client)
    if retry_after is not None:
        raise TooManyRequests(
            f"令牌验证失败次数过多，请 {retry_after} 秒后再试",
            f"too many failed tokens from this address; try again in {retry_after} s",
            retry_after=retry_after, field="Authorization")
    known = state.known_token(token_digest(secret), dt.datetime.now(dt.UTC).date())
    if known is not None:
        return known
    principal = await run_in_threadpool(_resolve, state, secret, where)
    if principal is not None:
        return principal
    failure = state.sign_ins.fail(client)
    if failure.first:
        await run_in_threadpool(_record_apart, state.engine, "anonymous", "auth.failed",
                                {**where, "client": client})
    if failure.throttled:
        await run_in_threadpool(_record_apart, state.engine, "anonymous", "auth.throttled", {
            **where, "client": client, "failures": failure.failures,
            "window_seconds": state.sign_ins.window_seconds,
            "retry_after": failure.retry_after})
    raise Unauthorized("令牌无效或已吊销", "invalid or revoked token", field="Authorization")


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def deny(state: ServiceState, request: Request, principal: Principal, zh: str, en: str,
         **data: object) -> Forbidden:
    """The 403 to raise; its audit event is written by the error handler, in a
    transaction of its own after the request's has rolled back."""
    error = Forbidden(zh, en, details={"role": principal.role.value, **data})
    error.refusal = (principal.actor, "auth.denied", {
        "path": request.url.path, "method": request.method, "role": principal.role.value,
        "scope": principal.scope, **data})
    return error


def record_refusal(engine: Engine, error: DomainError) -> None:
    if error.refusal is not None:
        actor, kind, data = error.refusal
        _record_apart(engine, actor, kind, data)


@contextmanager
def refusals_audited(request: Request, principal: Principal, kind: str,
                     only: type[DomainError] = DomainError) -> Iterator[None]:
    """Any domain error (of type `only`) raised inside is audited as `kind` (after the
    rollback), with who, where and why: for steps whose refusal an auditor must see."""
    try:
        yield
    except DomainError as exc:
        if exc.refusal is None and isinstance(exc, only):
            exc.refusal = (principal.actor, kind, {
                "path": request.url.path, "method": request.method,
                "role": principal.role.value, "scope": principal.scope, "code": exc.code,
                "field": exc.field,
                "zh": exc.zh, "en": exc.en})
        raise


def require(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets the call through only for roles allowed `action`."""

    async def check(request: Request, state: StateDep, principal: PrincipalDep) -> Principal:
        ensure_may(state, request, principal, action)
        return principal

    return check


def ensure_may(state: ServiceState, request: Request, principal: Principal,
               action: Action) -> None:
    """403 (audited) unless the principal's role may do `action` (`require`, and the
    workbench's pages for the signed-in person)."""
    if not principal.may(action):
        raise deny(state, request, principal,
                   f"角色“{ROLE_ZH[principal.role]}”无权执行此操作（{action.value}）",
                   f"role {principal.role.value} may not do this ({action.value})",
                   action=action.value)


def ensure_region(state: ServiceState, request: Request, principal: Principal,
                  region: str | None, what_zh: str, what_en: str) -> None:
    """403 (audited) when `region` lies outside the token's scope."""
    if not principal.sees_region(region):
        raise deny(state, request, principal,
                   f"{what_zh}不在令牌的区划范围（{principal.scope}）内",
                   f"{what_en} lies outside the token's region scope ({principal.scope})",
                   region=region)
