"""What the audit events say about the service's records, read once for verification
(`service.audit_records`): the events by object, and how a finding names its record."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import models as m
from service.audit import Verification

OBJECT_TYPES = ("token", "user", "round", "draw", "proposal")
RESTORE_ZH = "记录在本服务之外被改动；请以该事件为准核对，从备份恢复并查明是谁写了数据库"
RESTORE_EN = ("the record was changed outside the service; check it against that event, "
              "restore it from a backup and find out who wrote the database")


@dataclass(frozen=True)
class Event:
    seq: int
    actor: str
    kind: str
    data: dict[str, Any]


Events = dict[str, dict[str, list[Event]]]  # object type -> object key -> events, in order


def load_events(session: Session) -> Events:
    out: Events = {t: defaultdict(list) for t in OBJECT_TYPES}
    rows = session.execute(select(
        m.AuditEvent.seq, m.AuditEvent.actor, m.AuditEvent.kind, m.AuditEvent.object_type,
        m.AuditEvent.object_key, m.AuditEvent.data,
    ).where(m.AuditEvent.object_type.in_(OBJECT_TYPES)).order_by(m.AuditEvent.seq))
    for seq, actor, kind, object_type, object_key, data in rows:
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None  # an altered event: the chain check reports it
        out[str(object_type)][object_key or ""].append(
            Event(seq, actor, kind, parsed if isinstance(parsed, dict) else {}))
    return out


def first(events: list[Event], kind: str) -> Event | None:
    return next((e for e in events if e.kind == kind), None)


def last(events: list[Event], kind: str) -> Event | None:
    return next((e for e in reversed(events) if e.kind == kind), None)


def show(value: object) -> str:
    text = "无/none" if value is None else str(value)
    return text if len(text) <= 24 else text[:16] + "…"


@dataclass(frozen=True)
class Where:
    """The record a finding is about, as the user reads it."""

    object_type: str
    key: str
    zh: str  # e.g. 方案 12
    en: str  # e.g. proposal 12

    def differs(self, out: Verification, event: Event, what_zh: str, what_en: str,
                stored: object, recorded: object) -> None:
        out.problem(event.seq,
                    f"{self.zh}的{what_zh}为 {show(stored)}，而第{event.seq}号事件"
                    f"（{event.kind}）记录为 {show(recorded)}：{RESTORE_ZH}",
                    f"{self.en}: {what_en} is {show(stored)} but event {event.seq} "
                    f"({event.kind}) recorded {show(recorded)}: {RESTORE_EN}",
                    self.object_type, self.key)

    def say(self, out: Verification, seq: int, zh: str, en: str) -> None:
        out.problem(seq, f"{self.zh}：{zh}", f"{self.en}: {en}", self.object_type, self.key)


def deleted_records(out: Verification, events: dict[str, list[Event]], present: set[str],
                    kind: str, object_type: str, noun: tuple[str, str],
                    made: tuple[str, str]) -> None:
    """A problem for each object an event of `kind` made that is no longer in the
    database; `noun` and `made` name it and its making (zh, en)."""
    for key, evs in sorted(events.items()):
        event = first(evs, kind)
        if event is not None and key not in present:
            Where(object_type, key, f"{noun[0]} {key}", f"{noun[1]} {key}").say(
                out, event.seq, f"第{event.seq}号事件{made[0]}的{noun[0]}已从数据库删除",
                f"{made[1]} by event {event.seq}, it was deleted from the database")


def role_of(actor: str, roles: dict[str, str]) -> str | None:
    """The role, as issued, of the token or the account an actor names (`roles`: by token
    id, and by `user:<name>` for an account as created; None: neither)."""
    kind, _, rest = actor.partition(":")
    if kind == "token":
        return roles.get(rest.partition(":")[0])
    return roles.get(actor) if kind == "user" else None
