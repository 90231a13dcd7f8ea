"""The audit log over HTTP: events (filtered, paged), verification, signed checkpoints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from service import checkpoint
from service.api.common import Page, Paging, UtcTime, paging
from service.api.pool_access import require_unscoped
from service.audit_reading import EventFilter, count, sealed, verification_for, visible_events
from service.auth import Action, Principal
from service.bounds import Time
from service.deps import SessionDep, StateDep, require

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require(Action.audit_read))]
Checkpointer = Annotated[Principal, Depends(require(Action.audit_checkpoint))]


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
    region: str | None = None


class ChainProblemRead(BaseModel):
    seq: int  # the event concerned; 0 when none
    zh: str
    en: str
    object_type: str | None = None  # a record that disagrees with its events: which
    object_key: str | None = None


class VerificationRead(BaseModel):
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    checked: dict[str, int] = {}  # records checked against their events, by kind
    problems: list[ChainProblemRead]


@router.get("/audit/events", response_model=Page[AuditEventRead])
def list_events(
    session: SessionDep, principal: Auditor, page: Annotated[Paging, Depends(paging)],
    actor: Annotated[str | None, Query(max_length=128)] = None,
    kind: Annotated[str | None, Query(max_length=64,
                                      description="事件类型；以“.”结尾按前缀 / kind, "
                                                  "or a prefix ending in '.'")] = None,
    object_type: Annotated[str | None, Query(max_length=64)] = None,
    object_key: Annotated[str | None, Query(max_length=256)] = None,
    since: Time | None = None, until: Time | None = None,
) -> Page[AuditEventRead]:
    """审计事件（按操作人、类型、对象、时间筛选）；限定区划的令牌只看到记入本区划的事件 /
    audit events, filtered; a scoped token sees the events recorded for its subtree."""
    where = EventFilter(actor=actor, kind=kind, object_type=object_type,
                        object_key=object_key, since=_naive(since), until=_naive(until))
    stmt = visible_events(principal, where)
    total = count(session, stmt)
    rows = list(session.execute(stmt.limit(page.limit).offset(page.offset)).scalars())
    items = [AuditEventRead(seq=r.event.seq, at=r.event.at, actor=r.event.actor,
                            kind=r.event.kind, object_type=r.event.object_type,
                            object_key=r.event.object_key, data=r.data,
                            prev_hash=r.event.prev_hash, hash=r.event.hash,
                            region=r.event.region)
             for r in sealed(session, principal, rows)]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


@router.get("/audit/verify", response_model=VerificationRead)
def verify_chain(session: SessionDep, principal: Auditor) -> VerificationRead:
    """校验哈希链，并核对各项记录与写入它们的事件；指出位置 / verify the hash chain and
    check the records against their events, saying where."""
    result = verification_for(session, principal)
    return VerificationRead.model_validate(result)


class CheckpointHead(BaseModel):
    seq: int
    hash: str
    at: str


class CheckpointChain(BaseModel):
    first_hash: str


class CheckpointKey(BaseModel):
    algorithm: str
    fingerprint: str
    public_key: str


class CheckpointRead(BaseModel):
    """A signed checkpoint: keep it as it is, outside the system, and check the log
    against it with `xuncha audit verify --checkpoint FILE --public-key FILE`."""

    format: str
    chain: CheckpointChain
    head: CheckpointHead
    events: int
    key: CheckpointKey
    signature: str


@router.post("/audit/checkpoints", response_model=CheckpointRead, status_code=201)
def take_checkpoint(request: Request, session: SessionDep, state: StateDep,
                    principal: Checkpointer) -> CheckpointRead:
    """签发检查点：用 XUNCHA_CHECKPOINT_KEY 的私钥签名链头，记为 audit.checkpoint 事件（检查点
    包含该事件）/ sign a checkpoint of the chain head with the key XUNCHA_CHECKPOINT_KEY
    names, recorded as an audit.checkpoint event that it covers. 503 without a key."""
    require_unscoped(state, request, principal, "签发检查点（覆盖整个日志）",
                     "signing a checkpoint (it covers the whole log)")
    key = checkpoint.load_private_key(state.settings.checkpoint_key, "XUNCHA_CHECKPOINT_KEY")
    return CheckpointRead.model_validate(checkpoint.take(session, key, principal.actor))
