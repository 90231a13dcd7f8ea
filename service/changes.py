"""Manual changes to a proposal (swap, add or remove a member) and its approval.

A change is applied to the proposal's current teams, checked against every hard rule of
the stored instance (`assignment.validate.violations`), re-scored with the plain soft-term
recomputation, and kept only with its written reason; a change that breaks a rule is
refused with the rules it breaks and nothing is written. Approval turns a proposal into
the round's decision: it writes participation history, after checking, under a lock,
that no member already serves on a team in an overlapping round."""

from __future__ import annotations

import functools
import json
from dataclasses import fields
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from assignment.ceremony import library_versions
from assignment.instance import Candidate, GroupSpec, Instance, TeamSpec, Weights
from assignment.proposal import Member, Proposal, Team
from assignment.subgroups import team_groups
from assignment.validate import objective, term_values, violations
from pool import models as m
from service import audit
from service.auth import same_person
from service.decisions import group_rows, proposal_or_404, round_decided
from service.errors import Conflict, Unprocessable


class ChangeCreate(BaseModel):
    """One manual change; `reason` is required (写明理由)."""

    op: Literal["swap", "add", "remove"]
    team: int = Field(ge=1, le=10_000)
    cadre: str = Field(min_length=1, max_length=64,
                       description="swap/remove: the member; add: the cadre to add")
    replacement: str | None = Field(default=None, min_length=1, max_length=64,
                                    description="swap: the cadre who takes the place")
    role: Literal["leader", "deputy", "member"] | None = Field(
        default=None, description="add: the new member's role (default member); swap: "
                                  "the replacement's role (default: the replaced one's)")
    reason: str = Field(min_length=4, max_length=2000,
                        description="调整理由（必填）/ why (required)")


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _build(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: _tuples(v) for k, v in data.items() if k in names})


def _team_spec(data: dict[str, Any]) -> TeamSpec:
    """A stored team back, its checking groups as `GroupSpec`s."""
    groups = tuple(_build(GroupSpec, g) for g in data.get("groups", ()))
    return _build(TeamSpec, {k: v for k, v in data.items() if k != "groups"}
                  | ({"groups": groups} if groups else {}))


def instance_from_canonical(data: dict[str, Any], expected_hash: str) -> Instance:
    """The stored instance back; it must hash to what the proposal recorded."""
    extra = {name: dict(data[name]) for name in ("side_names", "unit_caps", "unit_names")
             if name in data}
    inst = Instance(
        data["round"], tuple(_team_spec(t) for t in data["teams"]),
        tuple(_build(Candidate, c) for c in data["candidates"]),
        {(c, u): frozenset(r) for c, u, r in data["recusals"]},
        frozenset(tuple(p) for p in data["conflicts"]),
        frozenset(tuple(p) for p in data["past_pairs"]),
        {(c, t): v for c, t, v in data["suitability"]}, Weights(**data["weights"]),
        dict(data["skill_names"]), **extra)
    if inst.input_hash != expected_hash:
        raise RuntimeError(f"stored instance hashes to {inst.input_hash}, not {expected_hash}")
    return inst


@functools.lru_cache(maxsize=8)
def stored_parts(stored: str) -> tuple[tuple[dict[str, Any], Instance], ...]:
    """A proposal's stored instances (`ProposalRecord.instance`): each part's header
    (offset, side, …) with its instance, checked against its recorded hash. Kept for the
    few proposals last read: the stored text never changes (another text is another key),
    so reviewing a proposal, ranking seat after seat and changing it parse it once."""
    return tuple(({k: v for k, v in p.items() if k != "instance"},
                  instance_from_canonical(p["instance"], p["input_hash"]))
                 for p in json.loads(stored).get("parts", []))


def _as_proposal(inst: Instance, teams: list[dict[str, Any]]) -> Proposal:
    skills = {c.key: c.skills for c in inst.candidates}
    return Proposal(inst.round_key, "manual", None, None, None, None, (), tuple(
        Team(t["no"], tuple(t["targets"]), tuple(
            Member(x["key"], x["name"], x["role"], skills.get(x["key"], ()))
            for x in t["members"]), ()) for t in teams), 0, inst.input_hash, 0.0, {}, 0.0,
        0.0, False)


def _apply(inst: Instance, teams: list[dict[str, Any]], change: ChangeCreate
           ) -> list[dict[str, Any]]:
    names = {c.key: c.name for c in inst.candidates}
    skills = {c.key: list(c.skills) for c in inst.candidates}
    out = json.loads(json.dumps(teams))
    team = next((t for t in out if t["no"] == change.team), None)
    if team is None:
        raise Unprocessable(f"没有第{change.team}组", f"no team {change.team}", field="team")
    keys = [x["key"] for x in team["members"]]

    def candidate(key: str, field: str) -> None:
        if key not in names:
            raise Unprocessable(f"{key} 不是本轮候选人（不在库、不可用或已超年度上限）",
                                f"{key} is not a candidate of this round (not in the pool, "
                                "unavailable or over the yearly limit)", field=field)

    if change.op in ("swap", "remove") and change.cadre not in keys:
        raise Unprocessable(f"{change.cadre} 不在第{change.team}组",
                            f"{change.cadre} is not on team {change.team}", field="cadre")
    if change.op == "remove":
        team["members"] = [x for x in team["members"] if x["key"] != change.cadre]
    elif change.op == "add":
        candidate(change.cadre, "cadre")
        if change.cadre in keys:
            raise Unprocessable(f"{change.cadre} 已在第{change.team}组",
                                f"{change.cadre} is already on team {change.team}",
                                field="cadre")
        team["members"].append({"key": change.cadre, "name": names[change.cadre],
                                "role": change.role or "member",
                                "skills": skills[change.cadre]})
    else:
        if change.replacement is None:
            raise Unprocessable("对调须给出替换人员（replacement）",
                                "a swap needs the replacement", field="replacement")
        candidate(change.replacement, "replacement")
        if change.replacement in keys:
            raise Unprocessable(f"{change.replacement} 已在本组",
                                f"{change.replacement} is already on the team",
                                field="replacement")
        old = next(x for x in team["members"] if x["key"] == change.cadre)
        old.update(key=change.replacement, name=names[change.replacement],
                   role=change.role or old["role"], skills=skills[change.replacement])
    order = {"leader": 0, "deputy": 1, "member": 2}
    team["members"].sort(key=lambda x: (order[x["role"]], x["key"]))
    return out


def regroup(inst: Instance, team: dict[str, Any]) -> None:
    """Split a stored team (numbered within `inst`) into its checking groups again, after
    its members changed; `violations` has already refused a team that cannot be split."""
    spec = inst.teams[team["no"] - 1]
    team.pop("groups", None)
    if spec.groups:
        skills = {c.key: c.skills for c in inst.candidates}
        members = [Member(x["key"], x["name"], x["role"], skills.get(x["key"], ()))
                   for x in team["members"]]
        team["groups"] = group_rows(team_groups(spec.groups, members))


def _part_teams(teams: list[dict[str, Any]], offset: int,
                inst: Instance) -> list[dict[str, Any]]:
    return [t for t in teams if offset < t["no"] <= offset + len(inst.teams)]


def _renumber(teams: list[dict[str, Any]], by: int) -> list[dict[str, Any]]:
    return [t | {"no": t["no"] + by} for t in teams]


def apply_change(session: Session, proposal_id: int, change: ChangeCreate,
                 actor: str) -> tuple[m.ProposalRecord, dict[str, Any]]:
    row = proposal_or_404(session, proposal_id, lock=True)
    if row.status != "draft":
        raise Conflict(f"方案状态为 {row.status}，只有草案可以调整",
                       f"the proposal is {row.status}; only a draft can be changed",
                       field="proposal_id")
    parts = stored_parts(row.instance)
    current = json.loads(row.teams)
    part, inst = next(((p, i) for p, i in parts
                       if p["offset"] < change.team <= p["offset"] + len(i.teams)),
                      (None, None))
    if part is None or inst is None:
        raise Unprocessable(f"没有第{change.team}组", f"no team {change.team}", field="team")
    offset = part["offset"]
    local = _renumber(_part_teams(current["teams"], offset, inst), -offset)
    after_local = _apply(inst, local, change.model_copy(update={"team": change.team - offset}))
    broken = violations(inst, _as_proposal(inst, after_local))
    if broken:
        raise Conflict("调整后违反硬性规则，未保存：" + "；".join(broken[:5]),
                       "the change breaks hard rules and was not saved",
                       field="op", details={"violations": broken})
    regroup(inst, next(t for t in after_local if t["no"] == change.team - offset))
    sides = {c.key: part["side"] or c.side for c in inst.candidates}
    for team in after_local:  # each member with the group that sent them
        for x in team["members"]:
            x["side"] = sides[x["key"]]
    changed = {t["no"]: t for t in _renumber(after_local, offset)}
    before_keys = {x["key"] for t in current["teams"] if t["no"] == change.team
                   for x in t["members"]}
    for x in changed[change.team]["members"]:  # who this change placed, and why
        if x["key"] not in before_keys:
            x["placed"] = {"revision": row.revision + 1, "actor": actor,
                           "reason": change.reason, "op": change.op,
                           "at": audit.utcnow().isoformat()}
    after = [changed.get(t["no"], t) for t in current["teams"]]
    terms: dict[str, int] = {}
    total = 0
    for p, i in parts:
        mine = _part_teams(after, p["offset"], i)
        values = term_values(i, {t["no"] - p["offset"]: {x["key"]: x["role"]
                                                         for x in t["members"]} for t in mine})
        total += objective(i, values)
        for name, value in values.items():
            terms[name] = terms.get(name, 0) + value
    new = {"teams": after, "terms": terms, "objective": total}
    row.revision += 1
    row.teams = audit.canonical_json(new)
    record = change.model_dump(mode="json")
    before_team = next(t for t in current["teams"] if t["no"] == change.team)
    after_team = next(t for t in after if t["no"] == change.team)
    session.add(m.ProposalChange(proposal_id=row.id, revision=row.revision,
                                 change=audit.canonical_json(record), reason=change.reason,
                                 actor=actor, at=audit.utcnow()))
    audit.record(session, actor, "proposal.change", object_type="proposal",
                 object_key=str(row.id), data={
                     "revision": row.revision, "change": record, "reason": change.reason,
                     "before": before_team, "after": after_team,
                     "objective_before": current["objective"],
                     "objective_after": new["objective"],
                     "teams_sha256": audit.sha256_text(row.teams)})
    session.flush()
    return row, new


def approval_blockers(session: Session, row: m.ProposalRecord,
                      approver: str | None = None) -> list[tuple[str, str, str]]:
    """Why the proposal cannot be approved (code, 中文, English); empty when it can.
    Only the latest draw of record of its round, reproducible, and not approved by
    anyone who changed it by hand."""
    out: list[tuple[str, str, str]] = []
    if row.kind == "trial":
        out.append(("trial", "试算方案不能批准，也不能成为抽取结果；请组织抽取",
                    "a trial draw can never be approved or become the draw of record; hold "
                    "a draw ceremony"))
    elif row.kind != "record" or row.draw_id is None:
        out.append(("not_a_draw_of_record", "该方案不是抽取仪式产生的抽取结果，不能批准",
                    "this proposal is not a ceremony's draw of record; it cannot be approved"))
    else:
        draw = session.get(m.Draw, row.draw_id)
        later = session.execute(select(m.Draw.number).where(
            m.Draw.round_key == row.round_key, m.Draw.status != "awaiting_consent",
            m.Draw.number > (draw.number if draw else 0)).order_by(m.Draw.number)).scalars()
        newer = list(later)
        if newer:
            out.append(("superseded", f"本轮已有第{newer[-1]}次抽取，此结果已被取代",
                        f"the round has a later draw ({newer[-1]}); this one is superseded"))
        if draw is not None and json.loads(draw.spec)["versions"] != library_versions():
            out.append(("not_reproducible",
                        "本服务的求解库版本与抽取时不同，无法在此复现，不能批准",
                        "this service runs other solver versions than the draw did: not "
                        "reproducible here"))
    if row.status not in ("draft",):
        out.append(("status", f"方案状态为 {row.status}，只有草案可以批准",
                    f"the proposal is {row.status}; only a draft can be approved"))
    if _wall_limit_hit(json.loads(row.result)):
        out.append(("not_reproducible", "求解曾被墙钟时限中止，结果不可复现，不能批准",
                    "a solve was stopped by the wall clock: not reproducible"))
    if approver is not None:
        changers = session.execute(select(m.ProposalChange.actor).where(
            m.ProposalChange.proposal_id == row.id)).scalars()
        if any(same_person(approver, c) for c in changers):
            out.append(("changer_approves", "人工调整过本方案的人员不能批准本方案",
                        "whoever changed the proposal by hand may not approve it"))
    return out


def _wall_limit_hit(result: dict[str, Any]) -> bool:
    """Whether any solve behind a stored result was stopped by the wall clock."""
    pairing = result.get("pairing") or {}
    solves = [result.get("proposal"), *(pairing.get("teams") or {}).values(),
              (pairing.get("exchange") or {}).get("proposal")]
    return any(isinstance(p, dict) and p.get("wall_limit_hit") for p in solves)


def approve(session: Session, proposal_id: int, actor: str, note: str | None
            ) -> m.ProposalRecord:
    """The proposal becomes the round's decision. Concurrent approvals queue on the audit
    chain head's row lock, taken first, so the overlap check sees every decision made
    before it."""
    session.execute(select(m.Counter).where(m.Counter.name == "audit").with_for_update())
    row = proposal_or_404(session, proposal_id, lock=True)
    blockers = approval_blockers(session, row, actor)
    if blockers:
        code = blockers[0][0]
        raise Conflict("不能批准：" + "；".join(b[1] for b in blockers),
                       "cannot approve: " + "; ".join(b[2] for b in blockers),
                       field="proposal_id", code=code,
                       details=[{"code": c, "zh": z, "en": e} for c, z, e in blockers])
    rnd = session.get(m.Round, row.round_key)
    assert rnd is not None
    if round_decided(session, rnd.key):
        raise Conflict(f"轮次 {rnd.key} 已有决定", f"round {rnd.key} is already decided",
                       field="proposal_id")
    teams = json.loads(row.teams)["teams"]
    seats = [(t, x) for t in teams for x in t["members"]]
    keys = [x["key"] for _t, x in seats]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise Conflict(f"{twice} 在本轮参加多个组，参加记录每轮只记一组",
                       f"{twice} serve on several teams of this round; history records one "
                       "team per cadre per round", field="proposal_id")
    clash = session.execute(
        select(m.Participation.person_key, m.Round.key, m.Round.start, m.Round.end)
        .join(m.Round, m.Round.key == m.Participation.round_key)
        .where(m.Participation.person_key.in_(keys), m.Round.key != rnd.key,
               m.Round.start <= rnd.end, rnd.start <= m.Round.end)).all()
    if clash:
        details = [{"cadre": p, "round": k, "start": s.isoformat(), "end": e.isoformat()}
                   for p, k, s, e in clash]
        raise Conflict(f"{len(details)} 名成员已在时间重叠的轮次任职：" + "、".join(
            f"{d['cadre']}（{d['round']}）" for d in details[:10]),
            f"{len(details)} members already serve in rounds that overlap this one",
            field="proposal_id", details=details)
    for t, x in seats:
        targets = t["targets"]
        session.add(m.Participation(round_key=rnd.key, person_key=x["key"], team_no=t["no"],
                                    role=x["role"], target_unit_key=targets[0],
                                    second_target_unit_key=targets[1] if len(targets) > 1
                                    else None))
    row.status, row.approved_by, row.approved_at = "approved", actor, audit.utcnow()
    session.flush()
    audit.record(session, actor, "proposal.approve", object_type="proposal",
                 object_key=str(row.id), data={"round": rnd.key, "revision": row.revision,
                                               "members": len(keys), "note": note,
                                               "teams_sha256": audit.sha256_text(row.teams)})
    audit.bump_pool(session)
    return row

