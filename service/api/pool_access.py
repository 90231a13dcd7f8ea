"""Who may see which pool data, shared by the pool endpoint modules.

- Every role reads summaries (`pool:read`): regions, systems, skills, units, persons
  (without ID numbers), cadres, participations, employments of cadres.
- `pool:read-sensitive` (admin, organizer, auditor) adds ID numbers, employments of
  persons who are not cadres, and the whole of `/ties` and `/evaluations` (403 without).
- A region-scoped token sees its subtree only (`pool.api_repository` says what lies in
  it). Lists filter silently to what the caller may see; asking for one object it may
  not see is an audited 403. Writes outside the scope are 403 as well; imports and
  exports need an unscoped token."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from sqlalchemy import Select
from sqlalchemy.orm import Session

from pool.api_repository import CadreFilter, CadreRow, PoolBrowser
from service.api.common import Page, Paging
from service.api.pool_schemas import CadreRead, CadreSkillRead
from service.auth import ROLE_ZH, Action, Principal, region_subtree
from service.deps import StateDep, deny, require
from service.errors import Unprocessable, not_found
from service.state import ServiceState

T = TypeVar("T")

Reader = Annotated[Principal, Depends(require(Action.pool_read))]
SensitiveReader = Annotated[Principal, Depends(require(Action.pool_read_sensitive))]
Writer = Annotated[Principal, Depends(require(Action.pool_write))]
KEY_PATTERN = r"^[^\s/\x00]{1,64}$"
TEXT_PATTERN = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
KeyPath = Annotated[str, Path(pattern=KEY_PATTERN, description="编号 / key")]


def browser(session: Session, principal: Principal) -> PoolBrowser:
    return PoolBrowser(session, principal.regions)


def page_of(pool: PoolBrowser, stmt: Select, paging: Paging,
            convert: Callable[[Sequence[Any]], list[T]]) -> Page[T]:
    rows, total = pool.page(stmt, paging.limit, paging.offset)
    return Page[T](items=convert(rows), total=total, limit=paging.limit, offset=paging.offset)


def outside(state: ServiceState, request: Request, principal: Principal, what_zh: str,
            what_en: str, **data: object) -> Exception:
    """The audited 403 for one object outside the caller's region scope."""
    return deny(state, request, principal,
                f"{what_zh}不在令牌的区划范围（{principal.scope}）内",
                f"{what_en} lies outside the token's region scope ({principal.scope})", **data)


def sensitive(state: ServiceState, request: Request, principal: Principal, what_zh: str,
              what_en: str, **data: object) -> Exception:
    """The audited 403 for one object only `pool:read-sensitive` roles may see."""
    return deny(state, request, principal,
                f"角色“{ROLE_ZH[principal.role]}”无权查看{what_zh}（需 pool:read-sensitive）",
                f"role {principal.role.value} may not see {what_en} (needs "
                "pool:read-sensitive)", action=Action.pool_read_sensitive.value, **data)


def require_unscoped(state: StateDep, request: Request, principal: Principal,
                     what_zh: str, what_en: str) -> None:
    if principal.scope is not None:
        raise deny(state, request, principal,
                   f"{what_zh}须使用不限区划的令牌（当前令牌限于 {principal.scope}）",
                   f"{what_en} needs a token without a region scope (this one is limited "
                   f"to {principal.scope})", scope=principal.scope)


def region_filter(state: ServiceState, session: Session, pool: PoolBrowser,
                  code: str | None) -> frozenset[str] | None:
    """The subtree of a region given as a filter (422 when no such region exists)."""
    if code is None:
        return None
    if pool.region(code) is None:
        raise Unprocessable(f"没有行政区划 {code}", f"no region {code}", field="region")
    return state.scope_regions(session, code, lambda root: region_subtree(session, root))


def cadre_filter(state: ServiceState, session: Session, pool: PoolBrowser, *,
                 skill: str | None = None, skill_level: int | None = None,
                 flags: Sequence[str] = (), status: str | None = None,
                 region: str | None = None, system: str | None = None,
                 q: str | None = None, full_time: bool | None = None) -> CadreFilter:
    """The filter of the cadre list (the API's and the workbench's): an unknown skill,
    region or system, or a level without its skill, is a 422 naming the field."""
    if skill is not None and pool.skill(skill) is None:
        raise Unprocessable(f"没有专业特长 {skill}", f"no skill {skill}", field="skill")
    if skill_level is not None and skill is None:
        raise Unprocessable("指定等级时须同时指定专业特长", "skill_level needs skill",
                            field="skill_level")
    if system is not None and pool.system(system) is None:
        raise Unprocessable(f"没有系统 {system}", f"no system {system}", field="system")
    return CadreFilter(skill=skill, skill_level=skill_level, flags=tuple(flags),
                       status=status, regions=region_filter(state, session, pool, region),
                       q=q, system=system, full_time=full_time)


def ensure_person(state: ServiceState, request: Request, principal: Principal,
                  pool: PoolBrowser, key: str) -> None:
    """An audited 403 when the person `key` lies outside the caller's scope."""
    if not pool.person_visible(key):
        raise outside(state, request, principal, f"人员 {key}", f"person {key}", person=key)


def cadre_read(row: CadreRow) -> CadreRead:
    c = row.cadre
    return CadreRead(
        person_key=c.person_key, name=row.name, gender=row.gender,
        home_unit_key=c.home_unit_key, home_unit_name=row.home_unit_name,
        region_code=row.region_code, region_name=row.region_name, rank=c.rank,
        political_status=c.political_status, leader_pool=c.leader_pool,
        deputy_pool=c.deputy_pool, expert_pool=c.expert_pool, reserve=c.reserve,
        newly_promoted=c.newly_promoted, full_time=c.full_time, status=c.status,
        status_reason=c.status_reason,
        status_from=c.status_from, status_to=c.status_to,
        max_rounds_per_year=c.max_rounds_per_year, joined_on=c.joined_on,
        skills=[CadreSkillRead(code=code, name_zh=zh, name_en=en, level=level)
                for code, zh, en, level in row.skills])


def visible_cadre(state: ServiceState, request: Request, principal: Principal,
                  pool: PoolBrowser, key: str) -> CadreRow:
    """The cadre `key`: 404 when there is none, an audited 403 outside the scope."""
    row = pool.cadre(key)
    if row is None:
        raise not_found("巡察干部", "cadre", key, field="key")
    if not principal.sees_region(row.region_code):
        raise outside(state, request, principal, f"干部 {key}", f"cadre {key}",
                      region=row.region_code)
    return row
