"""Rounds from plan to decision: store the plan, seal what a draw depends on, draw a
proposal (a job: a trial, or a ceremony's draw of record) with its input bundle.

Service functions over the caller's session; they flush, never commit."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assignment.assemble import SolveSettings
from assignment.capped_teams import CapSettings
from assignment.diagnose import Diagnosis
from assignment.instance import Instance
from assignment.proposal import Group, Proposal
from conflicts.evidence import explain
from conflicts.index import ConflictIndex
from conflicts.policy import Policy
from conflicts.screening import Screening
from pool import models as m
from service import audit
from service.cross import TEAM_SETTINGS, CrossFile, cross_to_dict, draw_cross, prepare_cross
from service.errors import Conflict, Unprocessable, not_found
from service.round_names import catalogue_for, resolve_cross, resolve_round
from service.rounds import RoundFile, RoundFileError, draw, prepare_round, screened_recusals
from service.scope import check_round

MAX_SEED = 2**31 - 1


# -- rounds ------------------------------------------------------------------------------

Spec = RoundFile | CrossFile  # a round of team assembly, or a cross-inspection


def spec_model(mode: str) -> type[Spec]:
    """The plan's model for a round's mode (`pairing` or `assembly`)."""
    return CrossFile if mode == "pairing" else RoundFile


def round_file(plan: m.RoundPlan) -> Spec:
    return spec_model(plan.mode).model_validate_json(plan.spec)


def spec_targets(spec: Spec) -> list[str]:
    if isinstance(spec, CrossFile):
        return [u for g in spec.groups for team in g.targets for u in team]
    return [u for t in spec.teams for u in t.targets]


def create_round(session: Session, spec: Spec, *, region: str | None, actor: str,
                 creator: frozenset[str] | None = None,
                 creator_scope: str | None = None) -> m.Round:
    """Store a round and its plan. `region` is the committee's region (default: the
    plan's, else the creator's scope); `creator` is the creator's scope subtree (None:
    unscoped). The region, targets, groups and pool obey `service.scope.check_round`."""
    if session.get(m.Round, spec.key) is not None:
        raise Conflict(f"轮次 {spec.key} 已存在", f"round {spec.key} already exists",
                       field="key")
    planned = spec.region if isinstance(spec, RoundFile) else None
    if region is not None and planned is not None and region != planned:
        raise Unprocessable(f"轮次文件的 region（{planned}）与所给区划（{region}）不一致",
                            f"the plan's region ({planned}) differs from the region given "
                            f"({region})", field="region")
    region = region or planned or creator_scope
    if region is not None and session.get(m.Region, region) is None:
        raise Unprocessable(f"行政区划 {region} 不存在", f"unknown region {region}",
                            field="region")
    if isinstance(spec, RoundFile) and region is not None:
        spec = spec.model_copy(update={"region": region})  # sealed with the plan
    spec = resolved(session, spec, creator)
    check_round(session, region=region, targets=spec_targets(spec),
                groups=[g.region for g in spec.groups] if isinstance(spec, CrossFile) else [],
                pool_region=spec.pool_region if isinstance(spec, RoundFile) else None,
                creator=creator, creator_scope=creator_scope)
    pairing = isinstance(spec, CrossFile)
    if isinstance(spec, CrossFile):
        groups = [g.region for g in spec.groups]
        known_regions = set(session.execute(select(m.Region.code).where(
            m.Region.code.in_(groups))).scalars())
        unknown = [g for g in groups if g not in known_regions]
        if unknown or len(set(groups)) != len(groups):
            raise Unprocessable(f"分组区划不存在或重复：{unknown or groups}",
                                f"group regions unknown or repeated: {unknown or groups}",
                                field="cross.groups")
        kind = "cross"
    else:
        spec.plan()  # the team specs must build
        kind = spec.kind
    row = m.Round(key=spec.key, name=spec.name, kind=kind, region_code=region,
                  start=spec.start, end=spec.end)
    session.add(row)
    session.flush()
    session.add(m.RoundPlan(round_key=spec.key, mode="pairing" if pairing else "assembly",
                            policy=spec.policy,
                            spec=spec.model_dump_json(exclude_unset=True), created_by=actor,
                            created_at=audit.utcnow()))
    audit.record(session, actor, "round.create", object_type="round", object_key=spec.key,
                 data={"spec": spec.model_dump(mode="json"), "region": region})
    session.flush()
    return row


def resolved(session: Session, spec: Spec, visible: frozenset[str] | None = None) -> Spec:
    """The plan in codes and keys (skills and units may be written by name); a 422 listing
    every unknown or ambiguous value, with suggestions. Names are looked up among the
    units of the `visible` regions (None: all)."""
    catalogue = catalogue_for(session, isinstance(spec, RoundFile) and bool(
        spec.cadres or spec.suitability), visible)
    try:
        if isinstance(spec, CrossFile):
            return resolve_cross(spec, catalogue, ("cross",))
        return resolve_round(spec, catalogue, ("plan",))
    except RoundFileError as exc:
        problems = exc.problems
        raise Unprocessable(
            f"轮次计划有{len(problems)}处问题：" + "；".join(p.zh for p in problems),
            f"the plan has {len(problems)} problem(s): " + "; ".join(p.en for p in problems),
            field=problems[0].field, details=[p.to_dict() for p in problems],
            code="invalid_round") from None


def round_plan(session: Session, key: str) -> tuple[m.Round, m.RoundPlan]:
    row = session.get(m.Round, key)
    plan = session.get(m.RoundPlan, key)
    if row is None or plan is None:
        raise not_found("轮次", "round", key, field="round_key")
    return row, plan


def round_decided(session: Session, round_key: str) -> bool:
    """Whether the round has its decision: an approved proposal or participations."""
    approved = session.execute(select(m.ProposalRecord.id).where(
        m.ProposalRecord.round_key == round_key, m.ProposalRecord.status == "approved")).first()
    return approved is not None or session.execute(select(m.Participation.person_key).where(
        m.Participation.round_key == round_key)).first() is not None


# -- what a draw seals ------------------------------------------------------------------

def input_hash_of(index: ConflictIndex, spec: Spec, policy: Policy | None = None
                  ) -> tuple[str, Policy]:
    """What a draw specification binds: the assembly instance's hash, or the pairing
    instance's, with the policy it was screened under."""
    if isinstance(spec, CrossFile):
        cross = prepare_cross(index, spec, policy)
        return cross.instance.input_hash, cross.policy
    prepared = prepare_round(index, spec, policy)
    return prepared.instance.input_hash, prepared.policy


def sealed_parameters(spec: Spec, deterministic_time: float | None = None) -> dict[str, Any]:
    """Every setting that decides a draw's result, as its specification seals them: the
    plan's tolerance and the solver settings (deterministic limits, workers, shortlist).
    The wall-clock safety net is not among them: a solve it stops is no result."""
    if isinstance(spec, CrossFile):
        teams = TEAM_SETTINGS if deterministic_time is None else replace(
            TEAM_SETTINGS, deterministic_time=deterministic_time)
        caps = spec.cap_settings()
        return {"pairing_tolerance": spec.tolerance, "teams": teams.sealed()} | (
            {} if caps is None else {"caps": caps.sealed()})
    settings = SolveSettings(tolerance=spec.tolerance)
    if deterministic_time is not None:
        settings = replace(settings, deterministic_time=deterministic_time)
    caps = spec.cap_settings()
    return settings.sealed() | ({} if caps is None else {"caps": caps.sealed()})


def cap_settings(params: dict[str, Any], spec: Spec,
                 wall_time: float | None = None) -> CapSettings | None:
    """A round's probability caps as the draw uses them: the sealed ones, else (a trial)
    the plan's with the default budgets; None for a round without caps."""
    if "caps" in params:
        return CapSettings.from_sealed(params["caps"], wall_time)
    caps = spec.cap_settings()
    return caps if caps is None or wall_time is None else replace(caps, wall_time=wall_time)


def solve_settings(params: dict[str, Any], spec: Spec,
                   wall_time: float | None = None) -> SolveSettings:
    """The team-assembly settings of a draw: the sealed ones, or a trial's overrides of
    the plan's (a trial names only `tolerance` and `deterministic_time`)."""
    if isinstance(spec, CrossFile):
        base = params.get("teams", TEAM_SETTINGS.sealed())
    else:
        base = SolveSettings(tolerance=spec.tolerance).sealed() | params
        base.pop("caps", None)  # the caps' own settings: `cap_settings`
    return SolveSettings.from_sealed(base, wall_time)


# -- proposals ---------------------------------------------------------------------------

def recusal_statement(index: ConflictIndex, policy: Policy, screening: Screening,
                      targets: list[str], teams: list[dict[str, Any]],
                      excluded: dict[str, Any]) -> dict[str, Any]:
    """What the decision rests on: every recusal the screening found for the round's
    targets, and for every member an explanation against each target of their team
    (why they need not recuse, with the rules checked)."""
    found = screened_recusals(screening, targets)
    members: dict[str, list[dict[str, Any]]] = {}
    for team in teams:
        for member in team["members"]:
            members[member["key"]] = [explain(index, policy, member["key"], t).to_dict()
                                      for t in team["targets"]]
    return {"policy": policy.name, "policy_hash": policy.hash, "recusals": found,
            "members": members, "excluded": excluded}


def statement_hash(statement: dict[str, Any]) -> str:
    return audit.sha256_text(audit.canonical_json(statement))


@dataclass(frozen=True)
class DrawResult:
    """One draw, in the form it is stored and replayed."""

    input_hash: str
    feasible: bool
    policy: Policy
    result: dict[str, Any]  # {"proposal", "pairing", "diagnosis"}: canonical, no timings
    teams: dict[str, Any]  # {"teams", "terms", "objective"}: what changes and approval use
    statement: dict[str, Any]
    # the team-assembly instances the teams were drawn from, for manual changes to check:
    # {"parts": [{"side", "offset", "input_hash", "instance"}]}; a part's teams are numbered
    # offset + 1 … offset + len(its teams) in `teams`
    instance: dict[str, Any]
    wall_limit_hit: bool = False  # the wall-clock safety net stopped a solve: no result


def _diagnosis(diagnosis: Diagnosis | None) -> dict[str, Any] | None:
    return None if diagnosis is None else {
        "feasible": diagnosis.feasible,
        "findings": [{"code": f.code, "zh": f.zh, "en": f.en} for f in diagnosis.findings]}


def group_rows(groups: tuple[Group, ...]) -> list[dict[str, Any]]:
    """Checking groups as a stored team holds them (a team without groups has no key)."""
    return [{"code": g.code, "name": g.name, "members": list(g.members)} for g in groups]


def _team_rows(proposal: Proposal, first_no: int = 1,
               side: str | None = None) -> list[dict[str, Any]]:
    return [{"no": first_no + i, "targets": list(t.targets),
             "members": [{"key": x.key, "name": x.name, "role": x.role,
                          "skills": list(x.skills), "side": x.side or side}
                         for x in t.members]}
            | ({"groups": group_rows(t.groups)} if t.groups else {})
            for i, t in enumerate(proposal.teams)]


def run_draw(index: ConflictIndex, spec: Spec, seed: int, params: dict[str, Any],
             policy: Policy | None = None, wall_time: float | None = None) -> DrawResult:
    """One draw with `seed` and the settings `params` (sealed, or a trial's)."""
    settings = solve_settings(params, spec, wall_time)
    if isinstance(spec, CrossFile):
        return _draw_pairing(index, spec, seed, policy, settings,
                             cap_settings(params, spec, wall_time))
    prepared = prepare_round(index, spec, policy)
    proposal, diagnosis = draw(prepared, seed, settings, cap_settings(params, spec, wall_time))
    teams: dict[str, Any] = {"teams": [], "terms": {}, "objective": None}
    if proposal is not None:
        teams = {"teams": _team_rows(proposal), "objective": proposal.objective,
                 "terms": {t.name: t.value for t in proposal.terms}}
    excluded = {k: [list(x) for x in v] for k, v in sorted(prepared.context.excluded.items())}
    statement = recusal_statement(index, prepared.policy, prepared.screening,
                                  list(prepared.plan.targets), teams["teams"], excluded)
    result = {"proposal": None if proposal is None else json.loads(proposal.canonical_json()),
              "pairing": None, "diagnosis": _diagnosis(diagnosis)}
    return DrawResult(prepared.instance.input_hash,
                      proposal is not None and proposal.feasible, prepared.policy, result,
                      teams, statement, {"parts": [_part(None, 0, prepared.instance)]},
                      proposal is not None and proposal.wall_limit_hit)


def _draw_pairing(index: ConflictIndex, spec: CrossFile, seed: int,
                  policy: Policy | None, settings: SolveSettings,
                  caps: CapSettings | None) -> DrawResult:
    """A cross-inspection: the pairing, then every team; teams are numbered through
    (direct mode: by sending group in key order), each member with their side."""
    prepared = prepare_cross(index, spec, policy)
    run = draw_cross(prepared, index.snapshot, seed, settings, caps)
    rows: list[dict[str, Any]] = []
    terms: dict[str, int] = {}
    objective: int | None = 0
    parts: list[tuple[Proposal, str | None]]
    if run.plan.mode == "exchange":
        parts = [(run.exchange, None)] if run.exchange is not None else []
    else:
        parts = [(run.proposals[g], g) for g in sorted(run.proposals)]
    stored = []
    for (proposal, side), inst in zip(parts, [run.instances[k] for k in sorted(run.instances)],
                                      strict=True):
        stored.append(_part(side, len(rows), inst))
        rows += _team_rows(proposal, len(rows) + 1, side)
        for t in proposal.terms:
            terms[t.name] = terms.get(t.name, 0) + t.value
        objective = None if objective is None or proposal.objective is None \
            else objective + proposal.objective
    findings = [{"code": "pairing", "zh": zh, "en": en} for zh, en in run.pairing.findings]
    diagnosis = _diagnosis(run.diagnosis) or ({"feasible": False, "findings": findings}
                                              if findings else None)
    statement = recusal_statement(index, prepared.policy, prepared.screening,
                                  spec_targets(spec), rows, {})
    result = {"proposal": None, "pairing": cross_to_dict(run, canonical=True),
              "diagnosis": diagnosis}
    return DrawResult(prepared.instance.input_hash, run.feasible, prepared.policy, result,
                      {"teams": rows, "terms": terms,
                       "objective": objective if rows else None}, statement,
                      {"parts": stored}, any(p.wall_limit_hit for p, _s in parts))


def _part(side: str | None, offset: int, inst: Instance) -> dict[str, Any]:
    return {"side": side, "offset": offset, "input_hash": inst.input_hash,
            "instance": inst.canonical()}


def result_json(result: DrawResult) -> str:
    return audit.canonical_json(result.result)


def proposal_or_404(session: Session, proposal_id: int, *, lock: bool = False
                    ) -> m.ProposalRecord:
    row = session.get(m.ProposalRecord, proposal_id, with_for_update=lock or None)
    if row is None:
        raise not_found("方案", "proposal", proposal_id, field="proposal_id")
    return row

