"""What the round report reads besides the proposal: unit, skill, people and rule names,
the manual changes, the approval note, and the recusal statement of a member placed by
hand (explained afresh against the draw's own input bundle, as the draw explained the
others)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conflicts.evidence import explain
from conflicts.index import ConflictIndex
from conflicts.policy import Policy, PolicyError, cached_policy, parse_policy
from pool import bundle
from pool import models as m
from service.rounds import partial_roles


@dataclass(frozen=True)
class ReportFacts:
    round: m.Round
    row: m.ProposalRecord
    teams: dict[str, Any]  # {"teams", "terms", "objective"}
    statement: dict[str, Any]  # the stored recusal statement
    statements: dict[str, list[dict[str, Any]]]  # member key → explanations per target
    checked_for_report: frozenset[str]  # members explained here, not at draw time
    units: dict[str, str]  # key → "云川市审计局（U00003）"
    skills: dict[str, str]  # code → "财务 finance"
    people: dict[str, str]  # key → name, for the cadres the changes name
    titles: dict[str, str]  # rule id → title_zh
    partial: dict[str, tuple[str, ...]]  # hard rules barring only some roles → those roles
    policy_title: str
    changes: list[dict[str, Any]]  # revision, change, reason, actor, at
    approval_note: str | None
    draws: list[dict[str, Any]]


def holder_name(actor: str | None) -> str:
    """Who an actor is, by name: a token's holder (`token:<id>:<name>`), an account
    (`user:<name>`), or the user of a command (`cli:<user>`)."""
    if not actor:
        return ""
    kind, _, rest = actor.partition(":")
    if kind == "token":
        return rest.partition(":")[2] or rest
    return rest if kind in ("cli", "user") and rest else actor  # user: a signed-in account


def _approval_note(session: Session, row: m.ProposalRecord) -> str | None:
    data = session.execute(select(m.AuditEvent.data).where(
        m.AuditEvent.kind == "proposal.approve", m.AuditEvent.object_type == "proposal",
        m.AuditEvent.object_key == str(row.id)).order_by(m.AuditEvent.seq.desc())).scalar()
    note = json.loads(data).get("note") if data else None
    return note if isinstance(note, str) and note.strip() else None


def _explain_missing(row: m.ProposalRecord, missing: list[tuple[str, list[str]]]
                     ) -> tuple[dict[str, list[dict[str, Any]]], Policy]:
    """Explanations for members the draw did not explain (placed by hand), from the
    draw's input bundle and policy; and that policy's rule titles."""
    snapshot, extra = bundle.decode(row.bundle, row.bundle_sha256)
    policy = parse_policy(extra["policy"], "bundle")
    index = ConflictIndex(snapshot, snapshot.as_of)
    out = {key: [explain(index, policy, key, t).to_dict() for t in targets]
           for key, targets in missing if key in index.cadres}
    return out, policy


def gather(session: Session, row: m.ProposalRecord, draws: list[dict[str, Any]], *,
           explain_missing: bool) -> ReportFacts:
    """Everything the report shows; `explain_missing`: explain members placed by hand
    (only for a reader who may see the names)."""
    rnd = session.get(m.Round, row.round_key)
    assert rnd is not None
    teams = json.loads(row.teams)
    statement = json.loads(row.recusals)
    statements: dict[str, list[dict[str, Any]]] = dict(statement["members"])
    missing = [(x["key"], t["targets"]) for t in teams["teams"] for x in t["members"]
               if x["key"] not in statements]
    policy: Policy | None = None
    with contextlib.suppress(PolicyError):  # a policy no longer shipped: rules by id
        policy = cached_policy(statement["policy"])
    if explain_missing and missing:
        found, policy = _explain_missing(row, missing)  # the draw's own policy
        statements |= found
    titles = {r.id: r.title_zh for r in policy.rules} if policy else {}
    partial = partial_roles(policy) if policy else {}
    policy_title = policy.title_zh if policy else statement["policy"]
    changes = [{"revision": c.revision, "change": json.loads(c.change), "reason": c.reason,
                "actor": c.actor, "at": c.at}
               for c in session.execute(select(m.ProposalChange).where(
                   m.ProposalChange.proposal_id == row.id)
                   .order_by(m.ProposalChange.revision)).scalars()]
    named = {k for c in changes for k in (c["change"].get("cadre"),
                                          c["change"].get("replacement")) if k}
    people = dict(session.execute(select(m.Person.key, m.Person.name).where(
        m.Person.key.in_(sorted(named)))).all()) if named else {}
    unit_keys = {u for t in teams["teams"] for u in t["targets"]} | {
        x["side"] for t in teams["teams"] for x in t["members"] if x.get("side")}
    units = {k: f"{name}（{k}）" for k, name in session.execute(
        select(m.Unit.key, m.Unit.name).where(m.Unit.key.in_(sorted(unit_keys))))}
    regions = {k: f"{name}（{k}）" for k, name in session.execute(
        select(m.Region.code, m.Region.name).where(m.Region.code.in_(sorted(unit_keys))))
        }  # a cross-inspection's sides are regions
    skills = {code: f"{name} {code}" for code, name in session.execute(
        select(m.Skill.code, m.Skill.name_zh))}
    return ReportFacts(rnd, row, teams, statement, statements,
                       frozenset(k for k, _t in missing if k in statements), regions | units,
                       skills, people, titles, partial, policy_title, changes,
                       _approval_note(session, row), draws)
