"""The proposal job: one draw, a trial or a ceremony's draw of record, run by any
worker. It snapshots the pool as of the round's date, checks that a draw of record still
finds what its ceremony sealed (pool, library versions), draws, and stores the proposal
with everything replay needs. A solve stopped by the wall clock is a failure recorded on
the draw, never a result."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from assignment.ceremony import library_versions, seed_number
from conflicts.index import ConflictIndex
from pool import bundle
from pool import models as m
from pool.db import transaction
from pool.snapshot import load_snapshot
from service import audit, jobs
from service.decisions import result_json, round_file, round_plan, run_draw, statement_hash


@dataclass(frozen=True)
class DrawOrder:
    """What a proposal job draws: a trial (`draw_id` None, a seed of the caller's) or a
    round's draw of record (the ceremony's seed and sealed settings)."""

    round_key: str
    seed: int
    params: dict[str, Any]
    draw_id: int | None = None
    seed_hex: str | None = None
    input_hash: str | None = None  # sealed: the draw must find the pool unchanged
    versions: dict[str, str] | None = None  # sealed: the library versions


def _order(session: Session, payload: dict[str, Any]) -> DrawOrder:
    draw_id = payload.get("draw_id")
    if draw_id is None:
        return DrawOrder(payload["round"], payload["seed"], payload.get("parameters", {}))
    row = session.get(m.Draw, draw_id)
    if row is None or row.status != "seeded" or row.seed is None:
        raise jobs.JobFailed(
            f"第{row.number if row else '?'}次抽取不在待抽取状态（{row.status if row else '无'}）",
            f"draw {draw_id} is not waiting to be drawn ({row.status if row else 'missing'})",
            code="draw_not_seeded")
    sealed = json.loads(row.spec)
    return DrawOrder(row.round_key, seed_number(row.seed), sealed["parameters"], row.id,
                     row.seed, row.input_hash, sealed["versions"])


def _draw_failed(engine: Engine, order: DrawOrder, actor: str, status: str,
                 error: jobs.JobFailed) -> jobs.JobFailed:
    """Record on the ceremony why its draw failed (in a transaction of its own: the
    job's own rolls back), and return the error to raise."""
    if order.draw_id is not None:
        with transaction(engine, write=True) as session:
            row = session.get(m.Draw, order.draw_id, with_for_update=True)
            assert row is not None
            row.status = status
            row.failure = audit.canonical_json({"code": error.code, "zh": error.zh,
                                                "en": error.en, "at": audit.utcnow()})
            if status != "seeded":
                row.closed_at = audit.utcnow()
            audit.record(session, actor, "draw.failed", object_type="draw",
                         object_key=str(row.id), data={
                             "round": row.round_key, "number": row.number, "code": error.code,
                             "status": status, "details": error.details})
    return error


@jobs.handler("proposal")
def run_proposal_job(engine: Engine, job_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Draw a proposal for a round: snapshot the pool as of the round's date, check a
    draw of record still finds what its ceremony sealed, assemble, explain, and store
    everything replay needs. A solve stopped by the wall clock is a failure, never a
    result: running it again gives the one deterministic result or fails again."""
    actor = payload["actor"]
    with transaction(engine) as session:
        order = _order(session, payload)
        _row, plan = round_plan(session, order.round_key)
        spec = round_file(plan)
        snapshot = load_snapshot(session, spec.as_of or spec.start)
    versions = library_versions()
    if order.versions is not None and order.versions != versions:
        raise _draw_failed(engine, order, actor, "stale", jobs.JobFailed(
            "抽取规格封存后求解库版本已变化，不能按封存的规格抽取；请说明理由后重新组织抽取",
            "the solver libraries changed since the specification was sealed; open a new "
            "draw with a reason", code="draw_versions",
            details={"sealed": order.versions, "running": versions}))
    index = ConflictIndex(snapshot, snapshot.as_of)
    result = run_draw(index, spec, order.seed, order.params, wall_time=payload.get("wall_time"))
    if order.input_hash is not None and result.input_hash != order.input_hash:
        raise _draw_failed(engine, order, actor, "stale", jobs.JobFailed(
            "抽取规格封存后人才库数据已变化（输入哈希不同），本次抽取作废；请说明理由后重新组织抽取",
            "the pool changed since the draw specification was sealed (the input hash "
            "differs); nothing was drawn: open a new draw with a reason",
            code="draw_stale", details={"sealed_input_hash": order.input_hash,
                                        "input_hash": result.input_hash}))
    if result.wall_limit_hit:
        raise _draw_failed(engine, order, actor, "seeded", jobs.JobFailed(
            "求解被墙钟时限中止，结果不可复现，未保存；请在负载较轻时重新运行，或由管理员放宽时限",
            "the wall-clock safety net stopped the solve: the result would not be "
            "reproducible and was not kept; run it again on a quieter machine, or have an "
            "administrator raise the limit", code="wall_clock",
            details={"wall_time": payload.get("wall_time")}))
    if order.draw_id is None and jobs.cancelled(engine, job_id):  # a draw of record runs
        raise jobs.JobCancelled
    blob, sha = bundle.encode(snapshot, {
        "mode": plan.mode, "spec": json.loads(plan.spec), "seed": order.seed,
        "parameters": order.params, "versions": versions,
        "policy": result.policy.model_dump(mode="json")})
    status = "draft" if result.feasible else "infeasible"
    with transaction(engine, write=True) as session:
        drawn = None if order.draw_id is None else session.get(m.Draw, order.draw_id,
                                                                 with_for_update=True)
        if drawn is not None and drawn.status != "seeded":  # another run got there first
            raise jobs.JobFailed(f"第{drawn.number}次抽取已是“{drawn.status}”状态，只抽取一次",
                                 f"draw {drawn.id} is {drawn.status}: it is drawn once",
                                 code="draw_not_seeded")
        row = m.ProposalRecord(
            round_key=order.round_key, mode=plan.mode, status=status,
            kind="trial" if order.draw_id is None else "record",
            seed=order.seed if order.draw_id is None else None, seed_hex=order.seed_hex,
            draw_id=order.draw_id, parameters=audit.canonical_json(order.params),
            bundle=blob, bundle_sha256=sha,
            input_hash=result.input_hash, instance=audit.canonical_json(result.instance),
            result=result_json(result), recusals=audit.canonical_json(result.statement),
            recusals_sha256=statement_hash(result.statement),
            teams=audit.canonical_json(result.teams), revision=0, created_by=actor,
            created_at=audit.utcnow())
        session.add(row)
        session.flush()
        if drawn is not None:
            drawn.status, drawn.closed_at, drawn.failure = "drawn", audit.utcnow(), None
        audit.record(session, actor, "proposal.create", object_type="proposal",
                     object_key=str(row.id), data={
                         "round": row.round_key, "kind": row.kind, "status": status,
                         "draw": order.draw_id, "seed": order.seed_hex or order.seed,
                         "input_hash": row.input_hash, "bundle_sha256": sha,
                         "recusals_sha256": row.recusals_sha256,
                         "teams_sha256": audit.sha256_text(row.teams), "versions": versions,
                         "objective": result.teams["objective"], "job": job_id})
        return {"proposal_id": row.id, "kind": row.kind, "status": status,
                "objective": result.teams["objective"],
                "diagnosis": result.result["diagnosis"]}
