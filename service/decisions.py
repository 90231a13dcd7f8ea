"""Rounds from plan to decision: store the plan, publish the seed commitment, draw a
proposal (a job) with its input bundle, and approve it into participation history.

Service functions over the caller's session; they flush, never commit."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assignment.assemble import SolveSettings
from assignment.instance import commitment
from assignment.proposal import Proposal
from conflicts.evidence import explain
from conflicts.index import ConflictIndex
from conflicts.policy import Policy
from pool import bundle
from pool import models as m
from pool.db import transaction
from pool.snapshot import load_snapshot
from service import audit, jobs
from service.errors import Conflict, Unprocessable, not_found
from service.rounds import PreparedRound, RoundFile, draw, prepare_round

MAX_SEED = 2**31 - 1


# -- rounds ------------------------------------------------------------------------------

def round_file(plan: m.RoundPlan) -> RoundFile:
    return RoundFile.model_validate_json(plan.spec)


def create_round(session: Session, spec: RoundFile, *, region: str | None,
                 actor: str) -> m.Round:
    if session.get(m.Round, spec.key) is not None:
        raise Conflict(f"轮次 {spec.key} 已存在", f"round {spec.key} already exists",
                       field="key")
    if region is not None and session.get(m.Region, region) is None:
        raise Unprocessable(f"行政区划 {region} 不存在", f"unknown region {region}",
                            field="region")
    units = [u for t in spec.teams for u in t.targets]
    known = set(session.execute(select(m.Unit.key).where(m.Unit.key.in_(units))).scalars())
    missing = [u for u in units if u not in known]
    if missing:
        raise Unprocessable(f"被巡察单位不存在：{missing}；请核对单位编号",
                            f"unknown target units: {missing}", field="teams")
    spec.plan()  # the team specs must build
    row = m.Round(key=spec.key, name=spec.name, kind=spec.kind, region_code=region,
                  start=spec.start, end=spec.end)
    session.add(row)
    session.flush()
    session.add(m.RoundPlan(round_key=spec.key, mode="assembly", policy=spec.policy,
                            spec=spec.model_dump_json(), created_by=actor,
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
    prepared = prepare_round(index, round_file(plan))
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    digest = commitment(seed, prepared.instance.input_hash)
    row = m.Commitment(round_key=round_key, input_hash=prepared.instance.input_hash,
                       digest=digest, seed=seed, revealed=False, created_by=actor,
                       created_at=audit.utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor, "commitment.publish", object_type="commitment",
                 object_key=str(row.id), data={"round": round_key, "digest": digest,
                                               "input_hash": row.input_hash})
    return row


# -- proposals ---------------------------------------------------------------------------

def solve_settings(params: dict[str, Any], spec: RoundFile) -> SolveSettings:
    return SolveSettings(tolerance=params.get("tolerance", spec.tolerance),
                         deterministic_time=params.get("deterministic_time", 20.0))


def recusal_statement(prepared: PreparedRound, index: ConflictIndex,
                      proposal: Proposal | None) -> dict[str, Any]:
    """What the decision rests on: every recusal the screening found for the round's
    targets, and for every member an explanation against each target of their team
    (why they need not recuse, with the rules checked)."""
    targets = set(prepared.plan.targets)
    found = sorted([r.cadre_key, r.target_key, r.rule_id, r.hard]
                   for r in prepared.screening.recusals() if r.target_key in targets)
    members: dict[str, list[dict[str, Any]]] = {}
    for team in proposal.teams if proposal else ():
        for member in team.members:
            members[member.key] = [explain(index, prepared.policy, member.key, t).to_dict()
                                   for t in team.targets]
    excluded = {k: [list(x) for x in v] for k, v in sorted(prepared.context.excluded.items())}
    return {"policy": prepared.policy.name, "policy_hash": prepared.policy.hash,
            "recusals": found, "members": members, "excluded": excluded}


def statement_hash(statement: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical_json(statement).encode()).hexdigest()


@dataclass(frozen=True)
class DrawResult:
    prepared: PreparedRound
    proposal: Proposal | None
    diagnosis: dict[str, Any] | None
    statement: dict[str, Any]


def run_draw(index: ConflictIndex, spec: RoundFile, seed: int, params: dict[str, Any],
             policy: Policy | None = None) -> DrawResult:
    prepared = prepare_round(index, spec, policy)
    proposal, diagnosis = draw(prepared, seed, solve_settings(params, spec))
    diag = None if diagnosis is None else {
        "feasible": diagnosis.feasible,
        "findings": [{"code": f.code, "zh": f.zh, "en": f.en} for f in diagnosis.findings]}
    return DrawResult(prepared, proposal, diag, recusal_statement(prepared, index, proposal))


def result_json(result: DrawResult) -> str:
    return audit.canonical_json({
        "proposal": None if result.proposal is None else json.loads(
            result.proposal.canonical_json()),
        "diagnosis": result.diagnosis})


def teams_json(proposal: Proposal | None) -> str:
    """The proposal's teams as they stand (manual changes rewrite this), with the soft
    terms and objective of exactly these teams."""
    if proposal is None:
        return audit.canonical_json({"teams": [], "terms": {}, "objective": None})
    teams = [{"no": t.no, "targets": list(t.targets),
              "members": [{"key": x.key, "name": x.name, "role": x.role,
                           "skills": list(x.skills)} for x in t.members]}
             for t in proposal.teams]
    return audit.canonical_json({"teams": teams,
                                 "terms": {t.name: t.value for t in proposal.terms},
                                 "objective": proposal.objective})


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
    if promise is not None and commitment(seed, result.prepared.instance.input_hash) \
            != promise.digest:
        raise jobs.JobFailed(
            "承诺发布后人才库数据已变化，输入哈希不同；请重新发布承诺后再抽取",
            "the pool changed since the commitment was published (the input hash differs); "
            "publish a new commitment and draw again", code="commitment_stale",
            details={"committed_input_hash": promise.input_hash,
                     "input_hash": result.prepared.instance.input_hash})
    if jobs.cancelled(engine, job_id):
        raise jobs.JobCancelled
    blob, sha = bundle.encode(snapshot, {
        "mode": "assembly", "spec": json.loads(plan.spec), "seed": seed, "parameters": params,
        "policy": result.prepared.policy.model_dump(mode="json")})
    status = ("draft" if result.proposal is not None and result.proposal.feasible
              else "infeasible")
    with transaction(engine, write=True) as session:
        row = m.ProposalRecord(
            round_key=payload["round"], mode="assembly", status=status, seed=seed,
            commitment_id=None if promise is None else promise.id,
            parameters=audit.canonical_json(params), bundle=blob, bundle_sha256=sha,
            input_hash=result.prepared.instance.input_hash,
            instance=audit.canonical_json(result.prepared.instance.canonical()),
            result=result_json(result), recusals=audit.canonical_json(result.statement),
            recusals_sha256=statement_hash(result.statement),
            teams=teams_json(result.proposal), revision=0, created_by=payload["actor"],
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
                         "objective": None if result.proposal is None
                         else result.proposal.objective, "job": job_id})
        return {"proposal_id": row.id, "status": status,
                "objective": None if result.proposal is None else result.proposal.objective,
                "diagnosis": result.diagnosis}


def proposal_or_404(session: Session, proposal_id: int, *, lock: bool = False
                    ) -> m.ProposalRecord:
    row = session.get(m.ProposalRecord, proposal_id, with_for_update=lock or None)
    if row is None:
        raise not_found("方案", "proposal", proposal_id, field="proposal_id")
    return row

