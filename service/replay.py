"""Replay: re-run a stored proposal from its stored input bundle alone (never from the
database as it is now) and show whether the teams and the recusal explanations come out
identical, check by check."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine

from assignment.ceremony import library_versions
from conflicts.index import ConflictIndex
from conflicts.policy import parse_policy
from pool import bundle
from pool.db import transaction
from service import audit, jobs
from service.decisions import (
    proposal_or_404,
    result_json,
    run_draw,
    spec_model,
    statement_hash,
)


def _check(name: str, zh: str, en: str, stored: Any, replayed: Any) -> dict[str, Any]:
    return {"check": name, "zh": zh, "en": en, "identical": stored == replayed,
            "stored": stored, "replayed": replayed}


def _capped_checks(stored: dict[str, Any], replayed: dict[str, Any]) -> list[dict[str, Any]]:
    """A draw under probability caps, checked on its own: the distribution recomputed
    from the bundle, and the team set the seed picks from it."""
    before = (stored.get("proposal") or {}).get("capped")
    if before is None:
        return []
    after = (replayed.get("proposal") or {}).get("capped") or {}
    return [
        _check("distribution", "概率上限下的分布（各套组队方案及其概率）",
               "the capped distribution (its team sets and their probabilities)",
               before.get("distribution_sha256"), after.get("distribution_sha256")),
        _check("capped_draw", "按种子从分布中抽中的一套", "the team set the seed picks from it",
               before.get("drawn"), after.get("drawn")),
    ]


@jobs.handler("replay")
def run_replay(engine: Engine, job_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    with transaction(engine) as session:
        row = proposal_or_404(session, payload["proposal_id"])
        blob, sha = row.bundle, row.bundle_sha256
        stored_result, stored_input, stored_statement = (row.result, row.input_hash,
                                                         row.recusals_sha256)
    try:
        snapshot, extra = bundle.decode(blob, sha)
    except bundle.BundleError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise jobs.JobFailed(zh, en, code="bundle_altered") from None
    seed = int(extra["seed"])
    recorded, running = extra.get("versions"), library_versions()
    versions = {"recorded": recorded, "running": running, "same": recorded == running}
    if recorded is None:
        versions |= {"zh": "输入包未记录求解库版本（早期方案），复算结果可能不同",
                     "en": "the bundle records no solver versions (an early proposal); the "
                           "replay may differ"}
    elif recorded != running:
        versions |= {"zh": f"注意：本次复算使用的求解库版本（{running}）与抽取时（{recorded}）"
                           "不同，结果可能不同",
                     "en": f"note: this replay runs other solver versions ({running}) than "
                           f"the draw did ({recorded}); the result may differ"}
    else:
        versions |= {"zh": "求解库版本与抽取时相同", "en": "the same solver versions as the draw"}
    spec = spec_model(extra["mode"]).model_validate(extra["spec"])
    policy = parse_policy(extra["policy"], "bundle")
    result = run_draw(ConflictIndex(snapshot, snapshot.as_of), spec, seed,
                      extra["parameters"], policy)
    replayed_result = result_json(result)
    checks = [
        _check("bundle_sha256", "输入包哈希", "input bundle sha256", sha, sha),
        _check("input_hash", "组队输入哈希", "instance input hash", stored_input,
               result.input_hash),
        _check("result", "方案（队伍、角色、目标值）", "proposal (teams, roles, objective)",
               audit.sha256_text(stored_result), audit.sha256_text(replayed_result)),
        _check("recusals", "回避审查与成员回避说明", "recusals and member explanations",
               stored_statement, statement_hash(result.statement)),
    ]
    checks += _capped_checks(json.loads(stored_result), result.result)
    identical = all(c["identical"] for c in checks)
    with transaction(engine, write=True) as session:
        audit.record(session, payload["actor"], "proposal.replay", object_type="proposal",
                     object_key=str(payload["proposal_id"]),
                     data={"identical": identical, "job": job_id,
                           "checks": {c["check"]: c["identical"] for c in checks}})
    out: dict[str, Any] = {"proposal_id": payload["proposal_id"], "identical": identical,
                           "seed": seed, "versions": versions, "checks": checks}
    if not identical and stored_result != replayed_result:
        out["replayed_result"] = json.loads(replayed_result)
    return out

