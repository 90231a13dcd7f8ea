"""One recusal check as its caller may see it, shared by the API (`/v1/recusals/check`)
and the workbench (`/recusals`): the cadre and the unit must exist and lie in the caller's
region scope (else the audited refusal), roles without pool:read-sensitive get the
explanation without relatives, and the verdict per team role."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from conflicts.evidence import explain
from conflicts.explanation import Explanation
from pool.formats import TEAM_ROLES
from service.auth import Action, Principal
from service.deps import ensure_region
from service.errors import Unprocessable, not_found
from service.state import PoolScreen, ServiceState


def ensure_cadre_visible(state: ServiceState, request: Request, principal: Principal,
                         screened: PoolScreen, cadre: str) -> None:
    """404 for an unknown key, 422 for a person who is not a cadre, 403 (audited) for a
    cadre whose home unit lies outside the caller's scope."""
    index = screened.index
    if cadre not in index.cadres:
        if cadre in index.snapshot.persons:
            raise Unprocessable(f"{cadre} 不在巡察干部人才库中", f"{cadre} is not a cadre in "
                                "the pool", field="cadre")
        raise not_found("干部", "cadre", cadre, field="cadre")
    home = index.snapshot.units[index.cadres[cadre].home_unit_key].region_code
    ensure_region(state, request, principal, home, f"干部 {cadre}", f"cadre {cadre}")


def ensure_unit_visible(state: ServiceState, request: Request, principal: Principal,
                        screened: PoolScreen, unit: str) -> None:
    units = screened.index.snapshot.units
    if unit not in units:
        raise not_found("单位", "unit", unit, field="unit")
    ensure_region(state, request, principal, units[unit].region_code, f"单位 {unit}",
                  f"unit {unit}")


def checked_explanation(state: ServiceState, request: Request, principal: Principal,
                        screened: PoolScreen, cadre: str, unit: str) -> Explanation:
    """Why `cadre` is or is not recused from `unit`, as `principal` may read it."""
    if unit not in screened.index.snapshot.units:
        raise not_found("单位", "unit", unit, field="unit")
    ensure_cadre_visible(state, request, principal, screened, cadre)
    ensure_unit_visible(state, request, principal, screened, unit)
    ex = explain(screened.index, screened.policy, cadre, unit,
                 applies=screened.applies.get((cadre, unit), ()))
    if not principal.may(Action.pool_read_sensitive):  # need to know: no relatives
        ex = ex.without_relatives()
    return ex


@dataclass(frozen=True)
class RoleVerdict:
    role: str  # leader, deputy, member, liaison
    role_zh: str
    role_en: str
    verdict: str  # "recused" (hard rule), "advised" (soft rule only), "free"
    rule_ids: tuple[str, ...]  # the rules behind the verdict

    @property
    def verdict_zh(self) -> str:
        return {"recused": "须回避", "advised": "宜回避", "free": "可以参加"}[self.verdict]

    @property
    def verdict_en(self) -> str:
        return {"recused": "must recuse", "advised": "should recuse",
                "free": "may take part"}[self.verdict]


def role_verdicts(ex: Explanation) -> list[RoleVerdict]:
    """Per team role: a hard rule naming the role recuses (须回避); else a soft one advises
    recusal (宜回避); else the cadre may take part (可以参加)."""
    out = []
    for role in TEAM_ROLES:
        hard = tuple(r.rule_id for r in ex.reasons if r.hard and role.code in r.roles)
        soft = tuple(r.rule_id for r in ex.reasons if not r.hard and role.code in r.roles)
        verdict = "recused" if hard else "advised" if soft else "free"
        out.append(RoleVerdict(role.code, role.zh, role.en, verdict, hard or soft))
    return out
