"""A cross-inspection round from a plan file: groups (counties) from the pool, ties
between them from the conflicts engine, recent pairings from participation history, the
pairing, then the teams: in the direct mode every sending group's own (its cadres, recused
against the receiving group's units); in the exchange mode (互派) mixed teams of a lead
side and a partner side (`assignment.exchange`), staffed in one draw. Orchestration only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from assignment.assemble import SolveSettings
from assignment.build import RoundPlan, build_instance
from assignment.capped_teams import CapSettings
from assignment.diagnose import Diagnosis, diagnose, precheck
from assignment.exchange import ExchangeTeam, exchange_teams, pair_exchange, team_slots
from assignment.instance import Instance, TeamSpec
from assignment.pairing import Group, Pairing, PairingInstance, pair_groups
from assignment.proposal import Proposal
from conflicts.index import ConflictIndex
from conflicts.policy import Policy, cached_policy
from conflicts.screening import Screening, screen_index
from pool.records import Snapshot
from service.bounds import (
    MAX_DISTANCE_KM,
    MAX_GROUPS,
    MAX_TEAMS,
    MAX_TIE_LIMIT,
    Day,
    Key,
    LookBack,
    MemberCount,
    RegionCode,
    Seed,
    TeamCount,
    Weight,
)
from service.recusals import open_index
from service.round_names import catalogue_for, resolve_cross
from service.rounds import (
    Cap,
    Defaults,
    PolicyName,
    PublicValue,
    RoundFileError,
    RoundKey,
    RoundName,
    caps_diagnosis,
    caps_of,
    check_caps,
    read_file_model,
    staff,
)

Distance = Annotated[int, Field(ge=0, le=MAX_DISTANCE_KM)]


class GroupFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: RegionCode  # the group: a county (or town) region code
    sends: TeamCount = 1
    # one list of 1–2 units per visiting team
    targets: list[Annotated[list[Key], Field(max_length=2)]] = Field(max_length=MAX_TEAMS)


class CrossFile(BaseModel):
    """The cross-inspection plan file (docs/round-file.md, 交叉巡察)."""

    model_config = ConfigDict(extra="forbid")
    key: RoundKey
    name: RoundName
    start: Day
    end: Day
    as_of: Day | None = None
    policy: PolicyName = "default"
    seed: Seed | None = None
    rotation: bool = True
    # direct: each sending group staffs its own teams; exchange (互派): mixed teams, the
    # leader from the lead side, deputies from a partner side, members from both
    mode: Literal["direct", "exchange"] = "direct"
    min_per_side: MemberCount = 1  # exchange: members from each side at least
    tie_limit: Annotated[int, Field(ge=0, le=MAX_TIE_LIMIT)] | None = None
    # travel between group seats, km: {from: {to: km}}; missing pairs count as 0
    distances: dict[RegionCode, dict[RegionCode, Distance]] = Field(
        default_factory=dict, max_length=MAX_GROUPS)
    distance_weight: Weight = 1
    recent_rounds: LookBack = 3
    tolerance: float = Field(default=0.0, ge=0, le=0.5)
    defaults: Defaults = Field(default_factory=Defaults)
    groups: list[GroupFile] = Field(min_length=2, max_length=MAX_GROUPS)
    public: PublicValue | None = None  # the draw ceremony's public value, by default
    # 概率上限, as in a round file: each sending group's (or the exchange's) teams are
    # drawn from the capped distribution, given the pairing
    cap: Cap | None = None
    leader_cap: Cap | None = None

    def cap_settings(self) -> CapSettings | None:
        return caps_of(self.cap, self.leader_cap)

    @model_validator(mode="after")
    def _caps(self) -> CrossFile:
        check_caps(self.cap, self.leader_cap)
        return self

    @model_validator(mode="after")
    def _exchange_only(self) -> CrossFile:
        if "min_per_side" in self.model_fields_set and self.mode != "exchange":
            raise ValueError("min_per_side 只用于互派（mode: exchange）/ min_per_side applies "
                             "to the exchange mode only")
        if self.defaults.groups:
            raise ValueError("交叉巡察计划暂不支持检查小组（defaults.groups）；请删去 / "
                             "checking groups (defaults.groups) are not supported in a "
                             "cross-inspection plan; remove them")
        return self


def read_cross_file(path: Path) -> CrossFile:
    return read_file_model(path, CrossFile, "交叉巡察计划", "cross-inspection plan")


@dataclass(frozen=True)
class CrossRun:
    plan: CrossFile
    instance: PairingInstance
    pairing: Pairing  # in the exchange mode: the lead sides
    names: dict[str, str]  # group key → name
    proposals: dict[str, Proposal]  # direct mode: sending group → its teams
    partners: Pairing | None = None  # exchange mode: the partner sides
    teams: tuple[ExchangeTeam, ...] = ()  # exchange mode: team k+1 is teams[k]
    exchange: Proposal | None = None  # exchange mode: every mixed team, one draw
    # exchange mode: why the teams cannot be staffed; either mode: caps that cannot be met
    diagnosis: Diagnosis | None = None
    # the team-assembly instances drawn: direct mode by sending group, exchange "exchange"
    instances: dict[str, Instance] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """Paired and every team staffed."""
        if self.plan.mode == "exchange":
            return (self.pairing.feasible and self.partners is not None
                    and self.partners.feasible and self.exchange is not None
                    and self.exchange.feasible)
        return self.pairing.feasible and all(p.feasible for p in self.proposals.values())


@dataclass(frozen=True)
class PreparedCross:
    """A cross-inspection ready to draw: the groups, the pool screened against every
    group's units, and the pairing instance (whose hash a seed commitment binds)."""

    plan: CrossFile
    policy: Policy
    screening: Screening
    instance: PairingInstance
    members: dict[str, set[str]]
    names: dict[str, str]


def prepare_cross(index: ConflictIndex, plan: CrossFile,
                  policy: Policy | None = None) -> PreparedCross:
    """Raises RoundFileError naming unknown regions or units. `policy` (a stored one, for
    replay) replaces the plan's named policy as it is now."""
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
    policy = policy or cached_policy(plan.policy)
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
    return PreparedCross(plan, policy, screening, instance, members, names)


TEAM_SETTINGS = SolveSettings(tolerance=0.02)  # how a cross-inspection's teams are drawn


def draw_cross(prepared: PreparedCross, snap: Snapshot, seed: int,
               settings: SolveSettings = TEAM_SETTINGS,
               caps: CapSettings | None = None) -> CrossRun:
    """The pairing drawn with `seed`, then the teams (direct or exchange) with
    `settings`, or under the probability caps `caps` given the pairing."""
    plan, instance, names = prepared.plan, prepared.instance, prepared.names
    screening, members = prepared.screening, prepared.members
    if plan.mode == "exchange":
        lead, partners = pair_exchange(instance, seed, plan.tolerance)
        run = CrossRun(plan, instance, lead, names, {}, partners)
        return _exchange(run, partners, snap, screening, members, seed, settings, caps) \
            if lead.feasible else run
    run = CrossRun(plan, instance, pair_groups(instance, seed, plan.tolerance), names, {})
    return _direct(run, snap, screening, members, seed, settings, caps) \
        if run.pairing.feasible else run


def run_cross(session: Session, plan: CrossFile, seed: int) -> CrossRun:
    plan = resolve_cross(plan, catalogue_for(session))
    index = open_index(session, plan.as_of or plan.start)
    return draw_cross(prepare_cross(index, plan), index.snapshot, seed,
                      caps=plan.cap_settings())


def _direct(run: CrossRun, snap: Snapshot, screening: Screening,
            members: dict[str, set[str]], seed: int, settings: SolveSettings,
            caps: CapSettings | None) -> CrossRun:
    """Every sending group staffs its own teams from its own cadres, one draw per group."""
    plan, names = run.plan, run.names
    targets = {g.region: g.targets for g in plan.groups}
    teams: dict[str, list[TeamSpec]] = {}
    for receiver, senders in team_slots(run.pairing.pairs).items():
        for k, sender in enumerate(senders):  # the receiver's k-th team list, once
            mine = teams.setdefault(sender, [])
            mine.append(plan.defaults.team(len(mine) + 1, targets[receiver][k]))
    for sender in sorted(teams):
        round_plan = RoundPlan(f"{plan.key}:{sender}", f"{plan.name}（{names[sender]}派出）",
                               plan.start, plan.end, tuple(teams[sender]), plan.policy)
        inst, _ctx = build_instance(snap, screening, round_plan, members[sender],
                                    dict.fromkeys(members[sender], sender),
                                    {sender: names[sender]})
        run.instances[sender] = inst
        run.proposals[sender] = staff(inst, seed, settings, caps, sender)
    findings = tuple(f for sender in sorted(run.proposals) for f in (caps_diagnosis(
        run.proposals[sender], f"{names[sender]}派出组：") or Diagnosis(False, ())).findings)
    return replace(run, diagnosis=Diagnosis(False, findings)) if findings else run


def _exchange(run: CrossRun, partners: Pairing, snap: Snapshot, screening: Screening,
              members: dict[str, set[str]], seed: int, settings: SolveSettings,
              caps: CapSettings | None) -> CrossRun:
    """互派: staff every mixed team of the exchange in one draw from the cadres of all
    groups (each cadre serves once, whichever side they are on)."""
    plan = run.plan
    mixed = exchange_teams(run.pairing, partners, {g.region: g.targets for g in plan.groups})
    specs = tuple(replace(plan.defaults.team(no, t.targets), leader_side=t.lead,
                          deputy_side=t.partner, min_per_side=plan.min_per_side)
                  for no, t in enumerate(mixed, start=1))
    side_of = {k: g for g, keys in members.items() for k in keys}
    round_plan = RoundPlan(f"{plan.key}:exchange", f"{plan.name}（互派）", plan.start, plan.end,
                           specs, plan.policy)
    inst, ctx = build_instance(snap, screening, round_plan, set(side_of), side_of, run.names)
    short = precheck(inst, ctx)
    if short:
        return replace(run, teams=mixed, diagnosis=Diagnosis(False, tuple(short)))
    proposal = staff(inst, seed, settings, caps, "exchange")
    diagnosis = caps_diagnosis(proposal)
    if diagnosis is None and not proposal.feasible:
        diagnosis = diagnose(inst, ctx)
    return replace(run, teams=mixed, exchange=proposal, diagnosis=diagnosis,
                   instances={"exchange": inst})


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


def cross_to_dict(run: CrossRun, *, canonical: bool = False) -> dict[str, Any]:
    """The run as plain data; `canonical` leaves out measured times (what replay
    compares)."""

    def proposal(p: Proposal) -> dict[str, Any]:
        return json.loads(p.canonical_json()) if canonical else p.to_dict()

    return {"plan": run.plan.key, "input_hash": run.instance.input_hash,
            "groups": [{"key": g.key, "name": g.name, "sends": g.sends,
                        "receives": g.receives, "leaders": g.leaders}
                       for g in run.instance.groups],
            "mode": run.plan.mode, "feasible": run.feasible,
            "pairing": json.loads(run.pairing.canonical_json()),
            "partners": None if run.partners is None else json.loads(
                run.partners.canonical_json()),
            "teams": {k: proposal(p) for k, p in sorted(run.proposals.items())},
            "exchange": None if run.plan.mode != "exchange" else {
                "teams": [{"no": no, "receiver": t.receiver, "lead_side": t.lead,
                           "deputy_side": t.partner, "targets": list(t.targets)}
                          for no, t in enumerate(run.teams, start=1)],
                "proposal": proposal(run.exchange) if run.exchange else None,
                "diagnosis": None if run.diagnosis is None else {
                    "feasible": run.diagnosis.feasible,
                    "findings": [{"code": f.code, "zh": f.zh, "en": f.en}
                                 for f in run.diagnosis.findings]}}}
