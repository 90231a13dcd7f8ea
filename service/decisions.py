"""Rounds from plan to decision: store the plan, publish the seed commitment, draw a
proposal (a job) with its input bundle, and approve it into participation history.

Service functions over the caller's session; they flush, never commit."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assignment.assemble import SolveSettings
from assignment.diagnose import Diagnosis
from assignment.instance import Instance, commitment
from assignment.proposal import Proposal
from conflicts.evidence import explain
from conflicts.index import ConflictIndex
from conflicts.policy import Policy
from conflicts.screening import Screening
from pool import bundle
from pool import models as m
from pool.db import transaction
from pool.snapshot import load_snapshot
from service import audit, jobs
from service.cross import CrossFile, cross_to_dict, draw_cross, prepare_cross
from service.errors import Conflict, Unprocessable, not_found
from service.rounds import RoundFile, draw, prepare_round

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


def create_round(session: Session, spec: Spec, *, region: str | None,
                 actor: str) -> m.Round:
    if session.get(m.Round, spec.key) is not None:
        raise Conflict(f"轮次 {spec.key} 已存在", f"round {spec.key} already exists",
                       field="key")
    if region is not None and session.get(m.Region, region) is None:
        raise Unprocessable(f"行政区划 {region} 不存在", f"unknown region {region}",
                            field="region")
    units = spec_targets(spec)
    known = set(session.execute(select(m.Unit.key).where(m.Unit.key.in_(units))).scalars())
    missing = [u for u in units if u not in known]
    pairing = isinstance(spec, CrossFile)
    if missing:
        raise Unprocessable(f"被巡察单位不存在：{missing}；请核对单位编号",
                            f"unknown target units: {missing}",
                            field="cross.groups" if pairing else "teams")
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


def round_plan(session: Session, key: str) -> tuple[m.Round, m.RoundPlan]:
    row = session.get(m.Round, key)
    plan = session.get(m.RoundPlan, key)
    if row is None or plan is None:
        raise not_found("轮次", "round", key, field="round_key")
    return row, plan


# -- commitments -------------------------------------------------------------------------

def publish_commitment(session: Session, index: ConflictIndex, round_key: str,
                       seed: int | None, actor: str) -> m.Commitment:
    """sha256(seed ‖ input hash) of the round as the pool stands now; the seed is drawn
    here unless given, and stays secret until a proposal uses it."""
    _row, plan = round_plan(session, round_key)
    input_hash = input_hash_of(index, round_file(plan))
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    digest = commitment(seed, input_hash)
    row = m.Commitment(round_key=round_key, input_hash=input_hash,
                       digest=digest, seed=seed, revealed=False, created_by=actor,
                       created_at=audit.utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor, "commitment.publish", object_type="commitment",
                 object_key=str(row.id), data={"round": round_key, "digest": digest,
                                               "input_hash": row.input_hash})
    return row


def input_hash_of(index: ConflictIndex, spec: Spec, policy: Policy | None = None) -> str:
    """What a commitment binds: the assembly instance's hash, or the pairing instance's."""
    if isinstance(spec, CrossFile):
        return prepare_cross(index, spec, policy).instance.input_hash
    return prepare_round(index, spec, policy).instance.input_hash


# -- proposals ---------------------------------------------------------------------------

def solve_settings(params: dict[str, Any], spec: RoundFile) -> SolveSettings:
    return SolveSettings(tolerance=params.get("tolerance", spec.tolerance),
                         deterministic_time=params.get("deterministic_time", 20.0))


def recusal_statement(index: ConflictIndex, policy: Policy, screening: Screening,
                      targets: list[str], teams: list[dict[str, Any]],
                      excluded: dict[str, Any]) -> dict[str, Any]:
    """What the decision rests on: every recusal the screening found for the round's
    targets, and for every member an explanation against each target of their team
    (why they need not recuse, with the rules checked)."""
    wanted = set(targets)
    found = sorted([r.cadre_key, r.target_key, r.rule_id, r.hard]
                   for r in screening.recusals() if r.target_key in wanted)
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


def _diagnosis(diagnosis: Diagnosis | None) -> dict[str, Any] | None:
    return None if diagnosis is None else {
        "feasible": diagnosis.feasible,
        "findings": [{"code": f.code, "zh": f.zh, "en": f.en} for f in diagnosis.findings]}


def _team_rows(proposal: Proposal, first_no: int = 1,
               side: str | None = None) -> list[dict[str, Any]]:
    return [{"no": first_no + i, "targets": list(t.targets),
             "members": [{"key": x.key, "name": x.name, "role": x.role,
                          "skills": list(x.skills), "side": x.side or side}
                         for x in t.members]}
            for i, t in enumerate(proposal.teams)]


def run_draw(index: ConflictIndex, spec: Spec, seed: int, params: dict[str, Any],
             policy: Policy | None = None) -> DrawResult:
    if isinstance(spec, CrossFile):
        return _draw_pairing(index, spec, seed, policy)
    prepared = prepare_round(index, spec, policy)
    proposal, diagnosis = draw(prepared, seed, solve_settings(params, spec))
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
                      teams, statement, {"parts": [_part(None, 0, prepared.instance)]})


def _draw_pairing(index: ConflictIndex, spec: CrossFile, seed: int,
                  policy: Policy | None) -> DrawResult:
    """A cross-inspection: the pairing, then every team; teams are numbered through
    (direct mode: by sending group in key order), each member with their side."""
    prepared = prepare_cross(index, spec, policy)
    run = draw_cross(prepared, index.snapshot, seed)
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
                      {"parts": stored})


def _part(side: str | None, offset: int, inst: Instance) -> dict[str, Any]:
    return {"side": side, "offset": offset, "input_hash": inst.input_hash,
            "instance": inst.canonical()}


def result_json(result: DrawResult) -> str:
    return audit.canonical_json(result.result)


@jobs.handler("proposal")
def run_proposal_job(engine: Engine, job_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Draw a proposal for a round: snapshot the pool as of the round's date, check the
    commitment still holds, assemble, explain, store everything replay needs."""
    with transaction(engine) as session:
        _row, plan = round_plan(session, payload["round"])
        spec = round_file(plan)
        promise = (session.get(m.Commitment, payload["commitment_id"])
                   if payload.get("commitment_id") is not None else None)
        snapshot = load_snapshot(session, spec.as_of or spec.start)
    seed = promise.seed if promise is not None else payload["seed"]
    assert seed is not None
    index = ConflictIndex(snapshot, snapshot.as_of)
    params = payload.get("parameters", {})
    result = run_draw(index, spec, seed, params)
    if promise is not None and commitment(seed, result.input_hash) != promise.digest:
        raise jobs.JobFailed(
            "承诺发布后人才库数据已变化，输入哈希不同；请重新发布承诺后再抽取",
            "the pool changed since the commitment was published (the input hash differs); "
            "publish a new commitment and draw again", code="commitment_stale",
            details={"committed_input_hash": promise.input_hash,
                     "input_hash": result.input_hash})
    if jobs.cancelled(engine, job_id):
        raise jobs.JobCancelled
    blob, sha = bundle.encode(snapshot, {
        "mode": plan.mode, "spec": json.loads(plan.spec), "seed": seed, "parameters": params,
        "policy": result.policy.model_dump(mode="json")})
    status = "draft" if result.feasible else "infeasible"
    with transaction(engine, write=True) as session:
        row = m.ProposalRecord(
            round_key=payload["round"], mode=plan.mode, status=status, seed=seed,
            commitment_id=None if promise is None else promise.id,
            parameters=audit.canonical_json(params), bundle=blob, bundle_sha256=sha,
            input_hash=result.input_hash, instance=audit.canonical_json(result.instance),
            result=result_json(result), recusals=audit.canonical_json(result.statement),
            recusals_sha256=statement_hash(result.statement),
            teams=audit.canonical_json(result.teams), revision=0, created_by=payload["actor"],
            created_at=audit.utcnow())
        session.add(row)
        session.flush()
        if promise is not None:
            committed = session.get(m.Commitment, promise.id)
            assert committed is not None
            committed.revealed = True
        audit.record(session, payload["actor"], "proposal.create", object_type="proposal",
                     object_key=str(row.id), data={
                         "round": row.round_key, "status": status, "seed": seed,
                         "commitment": row.commitment_id, "input_hash": row.input_hash,
                         "bundle_sha256": sha, "recusals_sha256": row.recusals_sha256,
                         "objective": result.teams["objective"], "job": job_id})
        return {"proposal_id": row.id, "status": status,
                "objective": result.teams["objective"],
                "diagnosis": result.result["diagnosis"]}


def proposal_or_404(session: Session, proposal_id: int, *, lock: bool = False
                    ) -> m.ProposalRecord:
    row = session.get(m.ProposalRecord, proposal_id, with_for_update=lock or None)
    if row is None:
        raise not_found("方案", "proposal", proposal_id, field="proposal_id")
    return row

