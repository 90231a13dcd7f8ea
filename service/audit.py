"""The append-only, hash-chained audit log (DESIGN §6).

Each event's hash is sha256 of the previous event's hash and the event's canonical text,
so altering, deleting, inserting or reordering any event breaks the chain from there on;
the `audit` counter (the chain head, locked by every append) also catches events cut from
the end. Events are written in the caller's transaction: a change and its event commit
together or not at all. Whoever can write the database can still cut the chain and rehash
it; signed checkpoints kept outside (`service.checkpoint`) find that, and `verify` also
checks the service's records against the events that wrote them (`service.audit_records`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.orm import Session

from pool import models as m

GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def utcnow() -> dt.datetime:
    """Naive UTC to the microsecond: what both databases store and return unchanged."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def event_text(seq: int, at: dt.datetime, actor: str, kind: str, object_type: str | None,
               object_key: str | None, data: str, region: str | None = None) -> str:
    """The hashed text of an event; `region` is part of it when set (events written
    before regions were recorded hash as they always did)."""
    return canonical_json({"seq": seq, "at": at.isoformat(timespec="microseconds"),
                           "actor": actor, "kind": kind, "object_type": object_type,
                           "object_key": object_key, "data": data}
                          | ({} if region is None else {"region": region}))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, text: str) -> str:
    return sha256_text(f"{prev_hash}\n{text}")


def record(session: Session, actor: str, kind: str, *, object_type: str | None = None,
           object_key: str | None = None, data: Any = None,
           at: dt.datetime | None = None, region: str | None = None) -> m.AuditEvent:
    """Append one event in the caller's transaction (the chain head row is locked until
    it commits, so concurrent appends queue and number their events one after another).
    `region`: the region the event belongs to, which scoped readers filter on."""
    head = session.execute(select(m.Counter).where(m.Counter.name == "audit")
                           .with_for_update()).scalar_one()
    seq = head.value + 1
    prev = head.hash or GENESIS
    if region is None:
        region = region_of(session, object_type, object_key, data)
    at = at or utcnow()
    text = canonical_json(data if data is not None else {})
    event = m.AuditEvent(seq=seq, at=at, actor=actor, kind=kind, object_type=object_type,
                         object_key=None if object_key is None else str(object_key),
                         data=text, prev_hash=prev, region=region)
    event.hash = chain_hash(prev, event_text(seq, at, actor, kind, event.object_type,
                                             event.object_key, text, region))
    session.add(event)
    head.value, head.hash = seq, event.hash
    session.flush()
    return event


def region_of(session: Session, object_type: str | None, object_key: Any,
              data: Any) -> str | None:
    """The region an event belongs to, from its object: a round's (or its draw's,
    proposal's) committee region, a job's scope, a cadre's home unit region. None for
    everything else: such events are shown to unscoped readers only."""
    key = None if object_key is None else str(object_key)
    round_key = data.get("round") if isinstance(data, dict) else None
    if object_type == "round" and key is not None:
        round_key = key
    elif object_type == "proposal" and not isinstance(round_key, str) and key is not None \
            and key.isdigit():
        proposal = session.get(m.ProposalRecord, int(key))
        round_key = None if proposal is None else proposal.round_key
    elif object_type == "job" and key is not None:
        job = session.get(m.Job, key)
        return None if job is None else job.scope
    elif object_type in ("cadre", "unavailability") and key is not None:
        return session.execute(select(m.Unit.region_code).join(
            m.Cadre, m.Cadre.home_unit_key == m.Unit.key).where(
            m.Cadre.person_key == key.split("/")[0])).scalar()
    if object_type in ("round", "draw", "proposal") and isinstance(round_key, str):
        row = session.get(m.Round, round_key)
        return None if row is None else row.region_code
    return None


@dataclass(frozen=True)
class ChainProblem:
    """One finding: the event it concerns (0: none), what is wrong in Chinese and English,
    and for a record that disagrees with its events, which record."""

    seq: int
    zh: str
    en: str
    object_type: str | None = None
    object_key: str | None = None

    @property
    def where(self) -> str:
        if self.object_type is None:
            return f"#{self.seq}"
        return f"{self.object_type} {self.object_key}" + (f" (#{self.seq})" if self.seq else "")


@dataclass
class Verification:
    ok: bool = True
    events: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[ChainProblem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # records checked, by kind
    checkpoints: int = 0  # trusted checkpoints that held
    anchored_seq: int = 0  # the last event a trusted checkpoint vouches for
    limit: int = field(default=100, repr=False)

    def problem(self, seq: int, zh: str, en: str, object_type: str | None = None,
                object_key: object = None) -> None:
        self.ok = False
        if len(self.problems) < self.limit:
            self.problems.append(ChainProblem(
                seq, zh, en, object_type, None if object_key is None else str(object_key)))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "checked": self.checked,
                "checkpoints": self.checkpoints, "anchored_seq": self.anchored_seq,
                "problems": [{"seq": p.seq, "zh": p.zh, "en": p.en,
                              "object_type": p.object_type, "object_key": p.object_key}
                             for p in self.problems]}


def _events(session: Session, batch: int = 5000) -> Iterator[m.AuditEvent]:
    last = 0
    while True:
        rows = session.execute(select(m.AuditEvent).where(m.AuditEvent.seq > last)
                               .order_by(m.AuditEvent.seq).limit(batch)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session, *, limit_problems: int = 100,
           records: bool = True) -> Verification:
    """Walk the whole chain: every event's stored hash must equal the recomputed one, link
    to its predecessor, and follow it in number; the head must be the last event. Then
    (unless `records` is false) check the service's records against their events."""
    out = Verification(limit=limit_problems)
    head = session.execute(select(m.Counter).where(m.Counter.name == "audit")).scalar_one()
    out.head_seq, out.head_hash = head.value, head.hash or GENESIS
    expected_seq, prev = 1, GENESIS
    problem = out.problem

    for ev in _events(session):
        out.events += 1
        if ev.seq != expected_seq:
            problem(ev.seq, f"第{expected_seq}–{ev.seq - 1}号事件缺失（被删除）",
                    f"events {expected_seq}–{ev.seq - 1} are missing (deleted)")
        if ev.prev_hash != prev:
            problem(ev.seq, f"第{ev.seq}号事件与前一事件的哈希不衔接（删除、插入或调序）",
                    f"event {ev.seq} does not link to the event before it "
                    "(deleted, inserted or reordered)")
        text = event_text(ev.seq, ev.at, ev.actor, ev.kind, ev.object_type, ev.object_key,
                          ev.data, ev.region)
        if chain_hash(ev.prev_hash, text) != ev.hash:
            problem(ev.seq, f"第{ev.seq}号事件内容被改动（哈希不符）",
                    f"event {ev.seq} was altered (its hash does not match its content)")
        expected_seq, prev = ev.seq + 1, ev.hash
    if expected_seq - 1 != out.head_seq or prev != out.head_hash:
        problem(expected_seq, f"日志末尾与链头不符：链头为第{out.head_seq}号，"
                f"日志止于第{expected_seq - 1}号（末尾事件被删除或改动）",
                f"the log ends at event {expected_seq - 1} but its head says "
                f"{out.head_seq} (events cut from the end, or the head altered)")
    if records:
        from service.audit_records import cross_check  # (it reads events through here)

        cross_check(session, out)
    return out


def query(*, actor: str | None = None, kind: str | None = None,
          object_type: str | None = None, object_key: str | None = None,
          since: dt.datetime | None = None, until: dt.datetime | None = None,
          after_seq: int = 0,
          regions: frozenset[str] | None = None) -> Select[m.AuditEvent]:
    """Events in order, filtered; `regions` (a scoped reader's subtree) keeps only the
    events recorded for a region in it."""
    stmt = select(m.AuditEvent).where(m.AuditEvent.seq > after_seq)
    if regions is not None:
        stmt = stmt.where(m.AuditEvent.region.in_(sorted(regions)))
    if actor:
        stmt = stmt.where(m.AuditEvent.actor == actor)
    if kind:
        stmt = stmt.where(m.AuditEvent.kind.startswith(kind, autoescape=True)
                          if kind.endswith(".")
                          else m.AuditEvent.kind == kind)
    if object_type:
        stmt = stmt.where(m.AuditEvent.object_type == object_type)
    if object_key:
        stmt = stmt.where(m.AuditEvent.object_key == object_key)
    if since:
        stmt = stmt.where(m.AuditEvent.at >= since)
    if until:
        stmt = stmt.where(m.AuditEvent.at <= until)
    return stmt.order_by(m.AuditEvent.seq)


def bump_pool(session: Session) -> int:
    """Mark pool data changed (cached conflict indexes are then stale); call in the same
    transaction as the change."""
    row = session.execute(select(m.Counter).where(m.Counter.name == "pool")
                          .with_for_update()).scalar_one()
    row.value += 1
    session.flush()
    return row.value


def pool_revision(db: Session | Connection) -> int:
    """The pool's revision, read on a session or (outside one) a bare connection."""
    return db.execute(select(m.Counter.value).where(m.Counter.name == "pool")).scalar_one()
