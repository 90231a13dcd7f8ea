"""Sealing as one serialization rule (DESIGN §8).

Before a proposal is approved, the names and keys of the cadres it drew (and of those a
manual change added or removed) reach only roles allowed `proposals:names` (admin,
organizer, approver). Every other role (auditor, supervisor) gets the structure: teams,
roles, skills, objective terms, hashes, with each name and key replaced, wherever it
appears, in a field, in a requirement's text ("组长：＊＊＊（组长库）"), in a change, an
audit event, a job's result or a report.

Rather than hiding field by field (and forgetting one), a `Seal` rewrites the whole value
on its way out: every string equal to a hidden name or key becomes None, and every
occurrence inside a longer string becomes `MASK`. Endpoints that return anything about a
proposal pass it through `seal_for`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import models as m
from service.auth import Action, Principal

MASK = "＊＊＊"
PROPOSAL_PATH = re.compile(r"/v1/proposals/(\d{1,10})(?:/|$)")


@dataclass(frozen=True)
class Seal:
    """What to hide: names and keys. An empty seal changes nothing."""

    hidden: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.hidden)

    def __call__(self, value: Any) -> Any:
        if not self.hidden:
            return value
        pattern = re.compile("|".join(re.escape(h) for h in
                                      sorted(self.hidden, key=len, reverse=True)))
        return _redact(value, self.hidden, pattern)

    def __or__(self, other: Seal) -> Seal:
        return Seal(self.hidden | other.hidden)


def _redact(value: Any, hidden: frozenset[str], pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        if value in hidden:
            return None
        return pattern.sub(MASK, value)
    if isinstance(value, dict):
        return {k: _redact(v, hidden, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v, hidden, pattern) for v in value]
    return value


def _members(value: Any, out: set[str]) -> None:
    """Every member's key and name in a stored JSON value (team lists, results, changes):
    any object with a `key` beside a `role` or a `name` (but not a cross-inspection's
    group, which `sends` and `receives` teams: a region, not a person), and the cadres a
    change names."""
    if isinstance(value, dict):
        group = "sends" in value and "receives" in value
        if isinstance(value.get("key"), str) and ("role" in value or "name" in value) \
                and not group:
            out.add(value["key"])
            if isinstance(value.get("name"), str) and value["name"]:
                out.add(value["name"])
        for field in ("cadre", "replacement", "cadre_name", "replacement_name"):
            if isinstance(value.get(field), str) and value[field]:
                out.add(value[field])
        for v in value.values():
            _members(v, out)
    elif isinstance(value, list):
        for v in value:
            _members(v, out)


def proposal_members(session: Session, row: m.ProposalRecord) -> frozenset[str]:
    """The keys and names a proposal holds: its teams now, as drawn, and in its changes."""
    out: set[str] = set()
    for text in (row.teams, row.result):
        _members(json.loads(text), out)
    changes = session.execute(select(m.ProposalChange.change).where(
        m.ProposalChange.proposal_id == row.id)).scalars()
    for text in changes:
        _members(json.loads(text), out)
    names = session.execute(select(m.Person.name).where(m.Person.key.in_(sorted(out))))
    out.update(n for n in names.scalars() if n)
    return frozenset(x for x in out if len(x) >= 2)


def names_visible(row: m.ProposalRecord, principal: Principal) -> bool:
    return row.status == "approved" or principal.may(Action.names_before_approval)


def seal_for(session: Session, principal: Principal,
             rows: Iterable[m.ProposalRecord | None]) -> Seal:
    """The seal for what the caller may not see of these proposals (none when it may)."""
    hidden: set[str] = set()
    for row in rows:
        if row is not None and not names_visible(row, principal):
            hidden |= proposal_members(session, row)
    return Seal(frozenset(hidden))


def proposal_of_event(session: Session, object_type: str | None, object_key: str | None,
                      data: Any) -> m.ProposalRecord | None:
    """The proposal an audit event or job is about, if any: its object, a refused request
    on its path, or a job's proposal."""
    pid: int | None = None
    if object_type == "proposal" and object_key and object_key.isdigit():
        pid = int(object_key)
    elif object_type == "request" and object_key:
        match = PROPOSAL_PATH.search(object_key)
        pid = int(match.group(1)) if match else None
    elif isinstance(data, dict) and isinstance(data.get("proposal_id"), int):
        pid = data["proposal_id"]
    return None if pid is None or pid > 2**31 - 1 else session.get(m.ProposalRecord, pid)
