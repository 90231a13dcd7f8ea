"""Recusal checks over HTTP: one cadre against one unit, with explanations (synchronous,
served from a cached conflict index), and screenings of many cadres × units (a job)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from conflicts.policy import PolicyError, cached_policy, shipped_policies
from conflicts.screening import screen_index
from pool.db import transaction
from service import jobs
from service.api.common import Accepted, queue_job
from service.auth import Action, Principal
from service.bounds import Day
from service.deps import SessionDep, StateDep, refusals_audited, require
from service.errors import Forbidden, Unprocessable
from service.recusal_check import checked_explanation
from service.recusals import open_index
from service.scope import check_screening
from service.state import PoolScreen, ServiceState

router = APIRouter(tags=["recusals"])
Checker = Annotated[Principal, Depends(require(Action.recusal_check))]
KEY_PATTERN = r"^[^\s/]{1,64}$"


class RecusalCheck(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cadre": "P00000367", "unit": "U00178", "as_of": "2026-11-01", "policy": "default",
        "policy_hash": "96b84b8d7cfac0020d2fc4bd9834abe11b40a75e5331fbc1a0b9e72686933cd6",
        "recused": True, "roles": ["deputy", "leader", "liaison", "member"],
        "explanation": {"cadre_key": "P00000367", "target_key": "U00178", "reasons": [
            {"rule_id": "employment", "hard": True, "evidence": ["…"]}], "checked": ["…"]},
        "text_zh": "肖庆贵（P00000367）与 梅坞县市场监督管理局（U00178），截至 2026-11-01 …\n"
                   "  [employment] 任职回避：本人在被巡察单位、其上级或下属单位任职（三年内）…",
        "text_en": "肖庆贵 (P00000367) and 梅坞县市场监督管理局 (U00178) as of 2026-11-01 …"}]})

    cadre: str
    unit: str
    as_of: dt.date
    policy: str
    policy_hash: str
    recused: bool = Field(description="任一硬性规则要求回避 / a hard rule recuses")
    roles: list[str] = Field(description="须回避的角色 / roles barred by hard rules")
    explanation: dict[str, Any]
    text_zh: str
    text_en: str


def policy_or_422(name: str) -> Any:
    if name not in shipped_policies():
        raise Unprocessable(f"没有回避规则 {name}；可用：{', '.join(shipped_policies())}",
                            f"no policy {name}; available: {', '.join(shipped_policies())}",
                            field="policy")
    try:
        return cached_policy(name)
    except PolicyError as exc:  # a shipped file that does not load is a server fault
        raise RuntimeError(str(exc)) from exc


@router.get("/recusals/check", response_model=RecusalCheck)
async def check_recusal(
    state: StateDep, request: Request, principal: Checker,
    cadre: Annotated[str, Query(pattern=KEY_PATTERN, description="干部人员编号 / cadre key")],
    unit: Annotated[str, Query(pattern=KEY_PATTERN, description="被巡察单位编号 / unit key")],
    as_of: Annotated[Day | None, Query(description="核查日期，默认今天 / as of")] = None,
    policy: Annotated[str, Query(max_length=64)] = "default",
) -> RecusalCheck:
    """某干部对某单位是否须回避、依据哪条规则、证据链 / must this cadre recuse from this
    unit, under which rule, with which evidence."""
    rules = policy_or_422(policy)
    day = as_of or dt.date.today()
    # the hot path (screening cached) runs on the event loop: about a millisecond of work;
    # the first check after a change screens the pool in a worker thread
    screened = state.ready_screen(day, rules)
    if screened is None:
        screened = await run_in_threadpool(state.pool_screen_now, day, rules)
    return answer_check(state, request, principal, screened, cadre, unit, day)


def answer_check(state: ServiceState, request: Request, principal: Principal,
                 screened: PoolScreen, cadre: str, unit: str, day: dt.date) -> RecusalCheck:
    rules = screened.policy
    ex = checked_explanation(state, request, principal, screened, cadre, unit)
    barred = sorted({r for reason in ex.reasons if reason.hard for r in reason.roles})
    return RecusalCheck(cadre=cadre, unit=unit, as_of=day, policy=rules.name,
                        policy_hash=rules.hash, recused=ex.recused, roles=barred,
                        explanation=ex.to_dict(), text_zh=ex.render("zh"),
                        text_en=ex.render("en"))


class ScreeningCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"units": ["U00178", "U00003"], "as_of": "2026-11-01", "policy": "default"},
        {"units": ["U00178"], "cadres": ["P00000367", "P00002538"]}]})

    units: list[str] = Field(min_length=1, max_length=5000)
    cadres: list[str] | None = Field(default=None, max_length=100_000,
                                     description="默认全部在库干部 / default: every cadre")
    as_of: Day | None = None
    policy: str = Field(default="default", max_length=64)


@router.post("/screenings", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
def create_screening(body: ScreeningCreate, session: SessionDep, state: StateDep,
                     request: Request, background: BackgroundTasks,
                     principal: Checker) -> Accepted:
    """批量回避审查（任务）；限定区划的令牌只能审查本区划的干部与单位 / screen many
    cadres against many units, as a job; a scoped token screens its own region only."""
    policy_or_422(body.policy)
    with refusals_audited(request, principal, "auth.denied", Forbidden):
        cadres = check_screening(session, units=body.units, cadres=body.cadres,
                                 regions=principal.regions, scope=principal.scope)
    payload = body.model_dump(mode="json") | {"cadres": cadres, "as_of": (
        body.as_of or dt.date.today()).isoformat()}
    return queue_job(session, state, background, "screening", payload, principal)


@jobs.handler("screening")
def run_screening(engine: Engine, _job_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    as_of = dt.date.fromisoformat(payload["as_of"])
    policy = cached_policy(payload["policy"])
    with transaction(engine) as session:
        index = open_index(session, as_of)
    cadres = payload["cadres"] or sorted(index.cadres)
    try:
        result = screen_index(index, policy, cadres, payload["units"])
    except ValueError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise jobs.JobFailed(zh, en or zh, code="invalid_screening") from None
    recusals = [{"cadre": r.cadre_key, "unit": r.target_key, "rule": r.rule_id,
                 "hard": r.hard, "roles": [str(x) for x in r.roles]}
                for r in result.recusals()]
    return {"as_of": as_of.isoformat(), "policy": policy.name, "policy_hash": policy.hash,
            "cadres": len(cadres), "units": len(payload["units"]),
            "recusals": recusals}
