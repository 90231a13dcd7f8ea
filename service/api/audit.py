"""The audit log over HTTP: events (filtered, paged) and chain verification."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from service import audit
from service.api.common import Page, Paging, UtcTime, paging
from service.auth import Action, Principal
from service.deps import SessionDep, require

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require(Action.audit_read))]


class AuditEventRead(BaseModel):
    seq: int
    at: UtcTime
    actor: str
    kind: str
    object_type: str | None
    object_key: str | None
    data: Any
    prev_hash: str
    hash: str


class ChainProblemRead(BaseModel):
    seq: int
    zh: str
    en: str


class VerificationRead(BaseModel):
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    problems: list[ChainProblemRead]


@router.get("/audit/events", response_model=Page[AuditEventRead])
def list_events(
    session: SessionDep, _p: Auditor, page: Annotated[Paging, Depends(paging)],
    actor: Annotated[str | None, Query(max_length=128)] = None,
    kind: Annotated[str | None, Query(max_length=64,
                                      description="事件类型；以“.”结尾按前缀 / kind, "
                                                  "or a prefix ending in '.'")] = None,
    object_type: Annotated[str | None, Query(max_length=64)] = None,
    object_key: Annotated[str | None, Query(max_length=256)] = None,
    since: dt.datetime | None = None, until: dt.datetime | None = None,
) -> Page[AuditEventRead]:
    """审计事件（按操作人、类型、对象、时间筛选）/ audit events, filtered."""
    stmt = audit.query(actor=actor, kind=kind, object_type=object_type, object_key=object_key,
                       since=_naive(since), until=_naive(until))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.limit(page.limit).offset(page.offset)).scalars()
    items = [AuditEventRead(seq=e.seq, at=e.at, actor=e.actor, kind=e.kind,
                            object_type=e.object_type, object_key=e.object_key,
                            data=json.loads(e.data), prev_hash=e.prev_hash, hash=e.hash)
             for e in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@router.get("/audit/verify", response_model=VerificationRead)
def verify_chain(session: SessionDep, _p: Auditor) -> VerificationRead:
    """校验哈希链：发现被改动、删除或调序的事件并指出位置 / verify the hash chain."""
    return VerificationRead.model_validate(audit.verify(session).to_dict())
