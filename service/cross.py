"""A cross-inspection round from a plan file: groups (counties) from the pool, ties
between them from the conflicts engine, recent pairings from participation history, the
pairing, then the teams of every sending group (its own cadres, recused against the
receiving group's units). Orchestration only."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from assignment.assemble import SolveSettings, assemble
from assignment.build import RoundPlan, build_instance
from assignment.instance import TeamSpec
from assignment.pairing import Group, Pairing, PairingInstance, pair_groups
from assignment.proposal import Proposal
from conflicts.index import ConflictIndex
from conflicts.policy import load_policy
from conflicts.screening import Screening, screen_index
from service.recusals import open_index
from service.rounds import Defaults, RoundFileError, read_file_model


class GroupFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str  # the group: a county (or town) region code
    sends: int = Field(default=1, ge=0)
    targets: list[list[str]] = Field(min_length=0)  # one list of 1–2 units per visiting team


class CrossFile(BaseModel):
    """The cross-inspection plan file (docs/round-file.md, 交叉巡察)."""

    model_config = ConfigDict(extra="forbid")
    key: str
    name: str
    start: dt.date
    end: dt.date
    as_of: dt.date | None = None
    policy: str = "default"
    seed: int | None = None
    rotation: bool = True
    tie_limit: int | None = None
    # travel between group seats, km: {from: {to: km}}; missing pairs count as 0
    distances: dict[str, dict[str, int]] = Field(default_factory=dict)
    distance_weight: int = Field(default=1, ge=0)
    recent_rounds: int = Field(default=3, ge=0)
    tolerance: float = Field(default=0.0, ge=0, le=0.5)
    defaults: Defaults = Field(default_factory=Defaults)
    groups: list[GroupFile] = Field(min_length=2)


def read_cross_file(path: Path) -> CrossFile:
    return read_file_model(path, CrossFile, "交叉巡察计划", "cross-inspection plan")


@dataclass(frozen=True)
class CrossRun:
    plan: CrossFile
    instance: PairingInstance
    pairing: Pairing
    names: dict[str, str]  # group key → name
    proposals: dict[str, Proposal]  # sending group → its teams


def run_cross(session: Session, plan: CrossFile, seed: int) -> CrossRun:
    as_of = plan.as_of or plan.start
    index = open_index(session, as_of)
    snap = index.snapshot
    units = [u for g in plan.groups for team in g.targets for u in team]
    problems = [f"分组 {g.region} 不是已知的行政区划 / unknown region {g.region}"
                for g in plan.groups if g.region not in snap.regions]
    problems += [f"被巡察单位 {u} 不存在 / unknown unit {u}" for u in units
                 if u not in snap.units]
    problems += [f"{g.region}: 每个巡察组巡察一至两个单位 / a team covers one or two units"
                 for g in plan.groups for t in g.targets if not 1 <= len(t) <= 2]
    if problems:
        raise RoundFileError("\n".join(problems))
    members = _members(index, [g.region for g in plan.groups])
    policy = load_policy(plan.policy)
    screening = screen_index(index, policy, sorted(index.cadres), units,
                             period=(plan.start, plan.end))
    names = {g.region: snap.regions[g.region].name for g in plan.groups}
    instance = PairingInstance(
        plan.key,
        tuple(Group(g.region, names[g.region], g.sends, len(g.targets),
                    _leaders(index, screening, members[g.region])) for g in plan.groups),
        recent=_recent(index, members, plan),
        ties=_ties(screening, members, {g.region: g for g in plan.groups}),
        tie_limit=plan.tie_limit, rotation=plan.rotation,
        distance={(a, b): km for a, row in plan.distances.items() for b, km in row.items()},
        distance_weight=plan.distance_weight)
    pairing = pair_groups(instance, seed, plan.tolerance)
    proposals: dict[str, Proposal] = {}
    if pairing.feasible:
        targets = {g.region: g.targets for g in plan.groups}
        for sender in sorted({p.sender for p in pairing.pairs}):
            teams: list[TeamSpec] = []
            for p in (p for p in pairing.pairs if p.sender == sender):
                for units_of_team in targets[p.receiver][:p.teams]:
                    teams.append(plan.defaults.team(len(teams) + 1, units_of_team))
            round_plan = RoundPlan(f"{plan.key}:{sender}", f"{plan.name}（{names[sender]}派出）",
                                   plan.start, plan.end, tuple(teams), plan.policy)
            inst, _ctx = build_instance(snap, screening, round_plan, members[sender])
            proposals[sender] = assemble(inst, seed, SolveSettings(tolerance=0.02))
    return CrossRun(plan, instance, pairing, names, proposals)


def _county(index: ConflictIndex, region: str, level: str) -> str | None:
    regions = index.snapshot.regions
    r = regions.get(region)
    while r is not None and r.level != level:
        r = regions.get(r.parent_code) if r.parent_code else None
    return r.code if r is not None else None


def _members(index: ConflictIndex, groups: list[str]) -> dict[str, set[str]]:
    """Cadres whose home unit lies in each group's region."""
    snap = index.snapshot
    out: dict[str, set[str]] = {g: set() for g in groups}
    for key, cadre in snap.cadres.items():
        region = snap.units[cadre.home_unit_key].region_code
        for g in groups:
            level = snap.regions[g].level
            if _county(index, region, level) == g:
                out[g].add(key)
    return out


def _leaders(index: ConflictIndex, screening: Screening, members: set[str]) -> int:
    barred = {i.cadre_key for i in screening.ineligible}
    return sum(1 for k in members if index.cadres[k].leader_pool and k not in barred)


def _ties(screening: Screening, members: dict[str, set[str]],
          groups: dict[str, GroupFile]) -> dict[tuple[str, str], int]:
    """(a, b) → hard recusals of a's cadres from b's units: kinship, past employment,
    native place and the rest, as the conflicts engine counts them."""
    group_of = {k: g for g, keys in members.items() for k in keys}
    unit_group = {u: g for g, spec in groups.items() for team in spec.targets for u in team}
    out: dict[tuple[str, str], int] = {}
    for r in screening.recusals():
        a, b = group_of.get(r.cadre_key), unit_group.get(r.target_key)
        if r.hard and a is not None and b is not None and a != b:
            out[a, b] = out.get((a, b), 0) + 1
    return out


def _recent(index: ConflictIndex, members: dict[str, set[str]],
            plan: CrossFile) -> frozenset[tuple[str, str]]:
    """(a, b) when cadres of a inspected units of b in the last cross rounds."""
    snap = index.snapshot
    cross = sorted((r for r in snap.rounds.values()
                    if r.kind == "cross" and r.start < plan.start), key=lambda r: r.start)
    recent = {r.key for r in cross[-plan.recent_rounds:]} if plan.recent_rounds else set()
    group_of = {k: g for g, keys in members.items() for k in keys}
    out = set()
    for p in snap.participations:
        a = group_of.get(p.person_key)
        if p.round_key not in recent or a is None:
            continue
        for unit in p.targets:
            region = snap.units[unit].region_code
            for b in members:
                if b != a and _county(index, region, snap.regions[b].level) == b:
                    out.add((a, b))
    return frozenset(out)


def cross_to_dict(run: CrossRun) -> dict[str, Any]:
    return {"plan": run.plan.key, "input_hash": run.instance.input_hash,
            "groups": [{"key": g.key, "name": g.name, "sends": g.sends,
                        "receives": g.receives, "leaders": g.leaders}
                       for g in run.instance.groups],
            "pairing": json.loads(run.pairing.canonical_json()),
            "teams": {k: p.to_dict() for k, p in sorted(run.proposals.items())}}
