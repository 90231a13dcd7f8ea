"""Pool resources: regions, systems, skills, units, persons, cadres, employments, ties,
participations and evaluations (reads here; edits in `pool_writes`, file import and
export in `pool_files`). Who sees what: `service.api.pool_access`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from pool.db import transaction
from pool.exporter import IdNumbers
from pool.validation import mask_id_number
from service import audit
from service.api import pool_files, pool_writes
from service.api.common import Page, Paging, paging
from service.api.pool_access import (
    KEY_PATTERN,
    TEXT_PATTERN,
    KeyPath,
    Reader,
    SensitiveReader,
    browser,
    cadre_filter,
    cadre_read,
    ensure_person,
    outside,
    page_of,
    region_filter,
    sensitive,
    visible_cadre,
)
from service.api.pool_schemas import (
    CadreRead,
    EmploymentRead,
    EvaluationRead,
    Flag,
    ParticipationRead,
    PersonRead,
    RegionRead,
    SkillRead,
    SystemRead,
    TieRead,
    UnavailabilityRead,
    UnitRead,
)
from service.auth import Action, Principal
from service.deps import SessionDep, StateDep
from service.errors import not_found
from service.state import ServiceState

router = APIRouter(tags=["pool"])
PageDep = Annotated[Paging, Depends(paging)]
KeyQuery = Annotated[str | None, Query(pattern=KEY_PATTERN, description="编号 / key")]


def _all(model: Any) -> Any:
    return lambda rows: [model.model_validate(r) for r in rows]


# -- regions, systems, skills -----------------------------------------------------------

@router.get("/regions", response_model=Page[RegionRead])
def list_regions(session: SessionDep, principal: Reader, page: PageDep,
                 parent: KeyQuery = None,
                 level: Annotated[str | None, Query(pattern="^(province|city|county|town)$",
                                                    description="层级 / level")] = None,
                 ) -> Page[RegionRead]:
    """行政区划（按上级、层级筛选；限区划的令牌只见其辖区）/ regions, by parent or level
    (a scoped token sees its subtree)."""
    pool = browser(session, principal)
    return page_of(pool, pool.regions_list(parent, level), page, _all(RegionRead))


@router.get("/regions/{code}", response_model=RegionRead)
def get_region(code: KeyPath, session: SessionDep, state: StateDep, request: Request,
               principal: Reader) -> RegionRead:
    """一个行政区划 / one region."""
    region = browser(session, principal).region(code)
    if region is None:
        raise not_found("行政区划", "region", code, field="code")
    if not principal.sees_region(code):
        raise outside(state, request, principal, f"行政区划 {code}", f"region {code}",
                      region=code)
    return RegionRead.model_validate(region)


@router.get("/systems", response_model=Page[SystemRead])
def list_systems(session: SessionDep, principal: Reader, page: PageDep) -> Page[SystemRead]:
    """系统（行业条线）代码表 / the systems (lines of work) code list."""
    pool = browser(session, principal)
    return page_of(pool, pool.systems_list(), page, _all(SystemRead))


@router.get("/systems/{code}", response_model=SystemRead)
def get_system(code: KeyPath, session: SessionDep, principal: Reader) -> SystemRead:
    """一个系统 / one system."""
    system = browser(session, principal).system(code)
    if system is None:
        raise not_found("系统", "system", code, field="code")
    return SystemRead.model_validate(system)


@router.get("/skills", response_model=Page[SkillRead])
def list_skills(session: SessionDep, principal: Reader, page: PageDep) -> Page[SkillRead]:
    """专业特长代码表 / the skills code list."""
    pool = browser(session, principal)
    return page_of(pool, pool.skills_list(), page, _all(SkillRead))


@router.get("/skills/{code}", response_model=SkillRead)
def get_skill(code: KeyPath, session: SessionDep, principal: Reader) -> SkillRead:
    """一项专业特长 / one skill."""
    skill = browser(session, principal).skill(code)
    if skill is None:
        raise not_found("专业特长", "skill", code, field="code")
    return SkillRead.model_validate(skill)


# -- units -------------------------------------------------------------------------------

@router.get("/units", response_model=Page[UnitRead])
def list_units(session: SessionDep, state: StateDep, principal: Reader, page: PageDep,
               region: Annotated[str | None, Query(
                   pattern=KEY_PATTERN, description="行政区划（含下级）/ region, with its "
                                                    "subtree")] = None,
               system: KeyQuery = None, parent: KeyQuery = None) -> Page[UnitRead]:
    """单位（按区划含下级、系统、上级单位筛选）/ units, by region subtree, system or parent."""
    pool = browser(session, principal)
    regions = region_filter(state, session, pool, region)
    return page_of(pool, pool.units_list(regions, system, parent), page, _all(UnitRead))


@router.get("/units/{key}", response_model=UnitRead)
def get_unit(key: KeyPath, session: SessionDep, state: StateDep, request: Request,
             principal: Reader) -> UnitRead:
    """一个单位 / one unit."""
    unit = browser(session, principal).unit(key)
    if unit is None:
        raise not_found("单位", "unit", key, field="key")
    if not principal.sees_region(unit.region_code):
        raise outside(state, request, principal, f"单位 {key}", f"unit {key}",
                      region=unit.region_code)
    return UnitRead.model_validate(unit)


# -- persons -----------------------------------------------------------------------------

IdNumbersQuery = Annotated[IdNumbers, Query(description=(
    "身份证号：masked 脱敏（默认）；full 完整，仅限有敏感数据权限的角色，记入审计 / ID numbers: "
    "masked (default) or full: roles with pool:read-sensitive only, audited"))]


def _persons(principal: Principal, id_numbers: IdNumbers) -> Any:
    """Persons as the caller may see them: no ID number without pool:read-sensitive,
    masked unless `full` was asked for."""
    sensitive_role = principal.may(Action.pool_read_sensitive)

    def convert(rows: Sequence[Any]) -> list[PersonRead]:
        out = []
        for person, is_cadre in rows:
            read = PersonRead.model_validate({**_columns(person), "is_cadre": bool(is_cadre)})
            shown = (None if not sensitive_role or read.id_number is None
                     else read.id_number if id_numbers == "full"
                     else mask_id_number(read.id_number))
            out.append(read.model_copy(update={"id_number": shown}))
        return out

    return convert


def _full_ids(state: ServiceState, request: Request, principal: Principal,
              id_numbers: IdNumbers) -> None:
    """`full` is refused (audited) for roles that may not see ID numbers."""
    if id_numbers == "full" and not principal.may(Action.pool_read_sensitive):
        raise sensitive(state, request, principal, "完整身份证号", "full ID numbers",
                        id_numbers="full")


def _record_full_ids(state: ServiceState, principal: Principal, page: Page[PersonRead],
                     request: Request) -> None:
    """Full ID numbers shown are audited: who, which persons, where (in a write
    transaction of its own, after the read)."""
    keys = [p.key for p in page.items if p.id_number]
    if keys:
        with transaction(state.engine, write=True) as session:
            audit.record(session, principal.actor, "data.id_numbers.read",
                         object_type="person", object_key=keys[0] if len(keys) == 1 else None,
                         data={"persons": keys, "path": request.url.path},
                         region=principal.scope)


def _columns(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs}


@router.get("/persons", response_model=Page[PersonRead])
def list_persons(session: SessionDep, principal: Reader, page: PageDep,
                 q: Annotated[str | None, Query(
                     max_length=64, pattern=TEXT_PATTERN,
                     description="姓名或编号包含的文字 / text in the name or key")] = None,
                 cadre: Annotated[bool, Query(description="只列干部 / cadres only")] = False,
                 id_numbers: IdNumbersQuery = "masked",
                 *, state: StateDep, request: Request) -> Page[PersonRead]:
    """人员；身份证号仅对有敏感数据权限的角色显示，默认脱敏，完整显示记入审计 / persons; ID
    numbers only for roles with pool:read-sensitive, masked unless `id_numbers=full`
    (audited)."""
    _full_ids(state, request, principal, id_numbers)
    pool = browser(session, principal)
    out = page_of(pool, pool.persons_list(q, cadre), page, _persons(principal, id_numbers))
    if id_numbers == "full":
        _record_full_ids(state, principal, out, request)
    return out


@router.get("/persons/{key}", response_model=PersonRead)
def get_person(key: KeyPath, session: SessionDep, state: StateDep, request: Request,
               principal: Reader, id_numbers: IdNumbersQuery = "masked") -> PersonRead:
    """一名人员；身份证号规则同人员列表 / one person; ID numbers as in the list."""
    _full_ids(state, request, principal, id_numbers)
    pool = browser(session, principal)
    found = pool.person(key)
    if found is None:
        raise not_found("人员", "person", key, field="key")
    ensure_person(state, request, principal, pool, key)
    read = _persons(principal, id_numbers)([found])[0]
    if id_numbers == "full":
        _record_full_ids(state, principal, Page(items=[read], total=1, limit=1, offset=0),
                         request)
    return read


# -- cadres ------------------------------------------------------------------------------

@router.get("/cadres", response_model=Page[CadreRead])
def list_cadres(
    session: SessionDep, state: StateDep, principal: Reader, page: PageDep,
    skill: Annotated[str | None, Query(pattern=KEY_PATTERN,
                                       description="专业特长代码 / skill code")] = None,
    skill_level: Annotated[int | None, Query(ge=1, le=5, description=(
        "该特长的最低等级 / at least this level of `skill`"))] = None,
    flag: Annotated[list[Flag] | None, Query(description=(
        "须全部具备的标记（可重复）/ flags that must all hold (repeatable)"))] = None,
    status: Annotated[str | None, Query(pattern="^(active|suspended|removed)$",
                                        description="状态 / status")] = None,
    region: Annotated[str | None, Query(pattern=KEY_PATTERN, description=(
        "所在单位的行政区划（含下级）/ home unit's region, with its subtree"))] = None,
    q: Annotated[str | None, Query(max_length=64, pattern=TEXT_PATTERN, description=(
        "姓名或编号包含的文字 / text in the name or key"))] = None,
    system: Annotated[str | None, Query(pattern=KEY_PATTERN, description=(
        "所在单位的系统代码 / home unit's system"))] = None,
    full_time: Annotated[bool | None, Query(description=(
        "true：仅专职巡察干部；false：仅抽调干部 / true: full-time staff only; false: "
        "seconded cadres only"))] = None,
) -> Page[CadreRead]:
    """巡察干部（按特长、标记、专职或抽调、状态、区划、系统、姓名或编号筛选，分页）/
    cadres, filtered by skill, flag, full-time or seconded, status, region, system and free
    text, paged."""
    pool = browser(session, principal)
    f = cadre_filter(state, session, pool, skill=skill, skill_level=skill_level,
                     flags=flag or (), status=status, region=region, system=system, q=q,
                     full_time=full_time)
    return page_of(pool, pool.cadres_list(f), page,
                   lambda rows: [cadre_read(r) for r in pool.cadre_rows(rows)])


@router.get("/cadres/{key}", response_model=CadreRead)
def get_cadre(key: KeyPath, session: SessionDep, state: StateDep, request: Request,
              principal: Reader) -> CadreRead:
    """一名巡察干部 / one cadre."""
    return cadre_read(visible_cadre(state, request, principal, browser(session, principal),
                                    key))


@router.get("/cadres/{key}/unavailability", response_model=Page[UnavailabilityRead])
def list_unavailability(key: KeyPath, session: SessionDep, state: StateDep,
                        request: Request, principal: Reader,
                        page: PageDep) -> Page[UnavailabilityRead]:
    """干部的不可用时段 / a cadre's unavailable periods."""
    pool = browser(session, principal)
    visible_cadre(state, request, principal, pool, key)
    return page_of(pool, pool.unavailability_list(key), page, _all(UnavailabilityRead))


# -- employments, ties, participations, evaluations --------------------------------------

@router.get("/employments", response_model=Page[EmploymentRead])
def list_employments(session: SessionDep, principal: Reader, page: PageDep,
                     person: KeyQuery = None, unit: KeyQuery = None) -> Page[EmploymentRead]:
    """任职经历（按人员、单位筛选）；无敏感数据权限的角色只见干部的任职 / employment
    history, by person or unit; roles without pool:read-sensitive see cadres' only."""
    pool = browser(session, principal)
    cadres_only = not principal.may(Action.pool_read_sensitive)
    return page_of(pool, pool.employments_list(person, unit, cadres_only), page,
                   _all(EmploymentRead))


@router.get("/employments/{key}", response_model=EmploymentRead)
def get_employment(key: KeyPath, session: SessionDep, state: StateDep, request: Request,
                   principal: Reader) -> EmploymentRead:
    """一条任职经历 / one employment."""
    pool = browser(session, principal)
    employment = pool.employment(key)
    if employment is None:
        raise not_found("任职经历", "employment", key, field="key")
    if not principal.may(Action.pool_read_sensitive) and not pool.is_cadre(
            employment.person_key):
        raise sensitive(state, request, principal, "非干部人员的任职经历",
                        "the employment of a person who is not a cadre", employment=key)
    ensure_person(state, request, principal, pool, employment.person_key)
    return EmploymentRead.model_validate(employment)


@router.get("/ties", response_model=Page[TieRead])
def list_ties(session: SessionDep, principal: SensitiveReader, page: PageDep,
              kind: Annotated[str | None, Query(pattern=KEY_PATTERN, description=(
                  "关系类型代码 / tie kind"))] = None,
              person: Annotated[str | None, Query(pattern=KEY_PATTERN, description=(
                  "任一端的人员编号 / person at either end"))] = None) -> Page[TieRead]:
    """关系（亲属、上下级、学缘、经商办企业、申报回避等；需敏感数据权限）/ ties (kinship,
    supervision, schooling, business interests, declared recusals); sensitive."""
    pool = browser(session, principal)
    return page_of(pool, pool.ties_list(kind, person), page, _all(TieRead))


@router.get("/ties/{key}", response_model=TieRead)
def get_tie(key: KeyPath, session: SessionDep, state: StateDep, request: Request,
            principal: SensitiveReader) -> TieRead:
    """一条关系 / one tie."""
    pool = browser(session, principal)
    tie = pool.tie(key)
    if tie is None:
        raise not_found("关系", "tie", key, field="key")
    if not pool.tie_visible(tie.subject_key, tie.object_person_key, tie.object_unit_key):
        raise outside(state, request, principal, f"关系 {key}", f"tie {key}", tie=key)
    return TieRead.model_validate(tie)


@router.get("/participations", response_model=Page[ParticipationRead])
def list_participations(session: SessionDep, principal: Reader, page: PageDep,
                        round: KeyQuery = None,
                        person: KeyQuery = None) -> Page[ParticipationRead]:
    """参与记录（按轮次、人员筛选）/ participation history, by round or person."""
    pool = browser(session, principal)
    return page_of(pool, pool.participations_list(round, person), page,
                   _all(ParticipationRead))


@router.get("/participations/{round_key}/{person_key}", response_model=ParticipationRead)
def get_participation(round_key: KeyPath, person_key: KeyPath, session: SessionDep,
                      state: StateDep, request: Request,
                      principal: Reader) -> ParticipationRead:
    """一条参与记录 / one participation."""
    pool = browser(session, principal)
    found = pool.participation(round_key, person_key)
    if found is None:
        raise not_found("参与记录", "participation", f"{round_key}/{person_key}")
    ensure_person(state, request, principal, pool, person_key)
    return ParticipationRead.model_validate(found)


@router.get("/evaluations", response_model=Page[EvaluationRead])
def list_evaluations(session: SessionDep, principal: SensitiveReader, page: PageDep,
                     round: KeyQuery = None,
                     person: KeyQuery = None) -> Page[EvaluationRead]:
    """巡后评估（需敏感数据权限）/ post-round evaluations; sensitive."""
    pool = browser(session, principal)
    return page_of(pool, pool.evaluations_list(round, person), page, _all(EvaluationRead))


@router.get("/evaluations/{round_key}/{person_key}", response_model=EvaluationRead)
def get_evaluation(round_key: KeyPath, person_key: KeyPath, session: SessionDep,
                   state: StateDep, request: Request,
                   principal: SensitiveReader) -> EvaluationRead:
    """一条巡后评估 / one evaluation."""
    pool = browser(session, principal)
    found = pool.evaluation(round_key, person_key)
    if found is None:
        raise not_found("巡后评估", "evaluation", f"{round_key}/{person_key}")
    ensure_person(state, request, principal, pool, person_key)
    return EvaluationRead.model_validate(found)


router.include_router(pool_writes.router)
router.include_router(pool_files.router)
