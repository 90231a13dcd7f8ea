"""Reading the audit log as one reader may: the events of their region only, each event's
data sealed as its proposal requires (`service.sealing`), newest first by cursor or paged;
and the chain's verification with the records of other regions summed up, not shown.
The API (`service/api/audit.py`) and the workbench (`service/web/audit.py`) both call it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pool import models as m
from service import audit
from service.auth import Principal
from service.sealing import Seal, proposal_of_event, seal_for


@dataclass(frozen=True)
class EventFilter:
    """What to keep; times are naive UTC, as events store them."""

    actor: str | None = None
    kind: str | None = None  # a kind, or a prefix ending in "."
    object_type: str | None = None
    object_key: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class EventRead:
    """An event as the reader may see it (`data` parsed and sealed)."""

    event: m.AuditEvent
    data: Any


def visible_events(principal: Principal, where: EventFilter) -> Select[m.AuditEvent]:
    """The events `principal` may read (a scoped reader: those recorded for its subtree),
    filtered, oldest first."""
    return audit.query(actor=where.actor, kind=where.kind, object_type=where.object_type,
                       object_key=where.object_key, since=where.since, until=where.until,
                       regions=principal.regions)


def count(session: Session, stmt: Select[m.AuditEvent]) -> int:
    return int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def sealed(session: Session, principal: Principal, rows: list[m.AuditEvent]
           ) -> list[EventRead]:
    """Each event with its data as `principal` may read it: the names and keys of an
    undecided proposal's members hidden from roles that may not see them."""
    seals: dict[int, Seal] = {}

    def data_of(e: m.AuditEvent) -> Any:
        data = json.loads(e.data)
        proposal = proposal_of_event(session, e.object_type, e.object_key, data)
        if proposal is None:
            return data
        if proposal.id not in seals:
            seals[proposal.id] = seal_for(session, principal, [proposal])
        return seals[proposal.id](data)

    return [EventRead(e, data_of(e)) for e in rows]


@dataclass(frozen=True)
class NewestFirst:
    events: list[EventRead]
    older: int | None  # the cursor of the next (older) page; None at the log's start


def newest_first(session: Session, principal: Principal, where: EventFilter, *,
                 before: int | None = None, limit: int = 50) -> NewestFirst:
    """One page of events, newest first, older than event `before` (a cursor by seq,
    so a page costs the same however deep into the log it is)."""
    stmt = visible_events(principal, where).order_by(None)
    if before is not None:
        stmt = stmt.where(m.AuditEvent.seq < before)
    rows = list(session.execute(stmt.order_by(m.AuditEvent.seq.desc())
                                .limit(limit + 1)).scalars())
    older = rows[limit - 1].seq if len(rows) > limit else None
    return NewestFirst(sealed(session, principal, rows[:limit]), older)


def verification_for(session: Session, principal: Principal) -> dict[str, Any]:
    """`audit.verify` as `principal` may read it: a scoped reader learns that records of
    other regions disagree with their events (how many), not which."""
    result = audit.verify(session).to_dict()
    if principal.scope is not None:  # records of other regions are not this reader's to see
        named = [p for p in result["problems"] if p["object_type"] is not None]
        result["problems"] = [p for p in result["problems"] if p["object_type"] is None]
        if named:
            result["problems"].append({
                "seq": 0, "zh": f"另有{len(named)}处记录与其事件不符，须由不限区划的审计人员查看",
                "en": f"{len(named)} more records disagree with their events; an auditor "
                      "with an unscoped token must look at them",
                "object_type": None, "object_key": None})
    return result


def latest_checkpoints(session: Session, principal: Principal, limit: int = 10
                       ) -> list[m.AuditEvent]:
    """The last signed checkpoints (their `audit.checkpoint` events) the reader may see."""
    stmt = visible_events(principal, EventFilter(kind="audit.checkpoint")).order_by(None)
    return list(session.execute(stmt.order_by(m.AuditEvent.seq.desc()).limit(limit))
                .scalars())
