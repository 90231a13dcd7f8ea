"""The pool's pages: the cadre list (filters as GET /v1/cadres, paged; htmx refreshes only
the results) and a cadre's page (`service.pool_profile`, under the API's rules). Imports and
downloads are in `pool_files`. Scope and permissions: `service.api.pool_access`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from pool.api_repository import CADRE_FLAGS, PoolBrowser
from pool.formats import CADRE_STATUSES, RANKS
from service.api.pool_access import (
    KEY_PATTERN,
    browser,
    cadre_filter,
    visible_cadre,
)
from service.auth import Action
from service.deps import SessionDep, StateDep, ensure_may
from service.errors import Unprocessable, not_found
from service.pool_profile import cadre_profile, label
from service.state import ServiceState
from service.web import pool_files
from service.web.pages import render
from service.web.session import MaybePersonDep, Person, signin_redirect

router = APIRouter()
PER_PAGE = 50
TEXT_CHARS = 64  # as the API's `q`
KEY = re.compile(KEY_PATTERN)
FLAG_LABELS = {"leader_pool": ("组长库", "leader pool"),
               "deputy_pool": ("副组长库", "deputy leader pool"),
               "expert_pool": ("专家库", "expert pool"),
               "reserve": ("后备干部", "reserve cadre"),
               "newly_promoted": ("新提拔", "newly promoted")}
assert tuple(FLAG_LABELS) == CADRE_FLAGS
STATUS_CODES = tuple(c.code for c in CADRE_STATUSES)
# The list's 专职/抽调 choice: the API's `full_time` filter (absent: both)
FULL_TIME_CHOICES = {"true": ("专职巡察干部", "full-time staff"),
                     "false": ("抽调干部", "seconded cadres")}

TEMPLATE_GLOBALS = {"flag_labels": FLAG_LABELS, "statuses": CADRE_STATUSES,
                    "full_time_choices": FULL_TIME_CHOICES,
                    "rank_label": lambda code: label(RANKS, code),
                    "status_label": lambda code: label(CADRE_STATUSES, code)}


@dataclass
class Filters:
    """The list's query as typed (shown again in the form) and what is wrong with it."""

    skill: str = ""
    skill_level: str = ""
    flags: list[str] = field(default_factory=list)
    status: str = ""
    region: str = ""
    system: str = ""
    q: str = ""
    full_time: str = ""  # "true", "false" or "" (both)
    page: int = 1
    errors: list[dict[str, str]] = field(default_factory=list)

    def problem(self, name: str, zh: str, en: str) -> None:
        self.errors.append({"field": name, "zh": zh, "en": en})

    def link(self, page: int) -> str:
        """This query at another page."""
        pairs = [(k, v) for k, v in (("skill", self.skill), ("skill_level", self.skill_level),
                                     ("status", self.status), ("region", self.region),
                                     ("system", self.system), ("q", self.q),
                                     ("full_time", self.full_time)) if v]
        pairs += [("flag", f) for f in self.flags]
        return "/pool?" + urlencode([*pairs, ("page", str(page))])


def read_filters(params: QueryParams) -> Filters:
    """The query parameters, checked as the API's are (patterns, ranges, code lists)."""
    f = Filters(skill=params.get("skill", "").strip(),
                skill_level=params.get("skill_level", "").strip(),
                flags=[x for x in params.getlist("flag") if x],
                status=params.get("status", "").strip(), region=params.get("region", "").strip(),
                system=params.get("system", "").strip(), q=params.get("q", "").strip(),
                full_time=params.get("full_time", "").strip())
    for name in ("skill", "region", "system"):
        value = getattr(f, name)
        if value and not KEY.fullmatch(value):
            f.problem(name, f"代码“{value[:20]}”格式不对：请从列表中选择",
                      f"the code '{value[:20]}' is malformed: choose from the list")
            setattr(f, name, "")
    if f.skill_level and f.skill_level not in ("1", "2", "3", "4", "5"):
        f.problem("skill_level", "最低等级须为1到5", "the level is a whole number from 1 to 5")
        f.skill_level = ""
    unknown = [x for x in f.flags if x not in FLAG_LABELS]
    if unknown:
        f.problem("flag", f"没有入库标记“{unknown[0][:20]}”：请勾选列出的标记",
                  f"no pool flag '{unknown[0][:20]}': tick the flags listed")
        f.flags = [x for x in f.flags if x in FLAG_LABELS]
    if f.full_time and f.full_time not in FULL_TIME_CHOICES:
        f.problem("full_time", f"“{f.full_time[:20]}”不是可选项：请选择专职巡察干部或抽调干部",
                  f"'{f.full_time[:20]}' is not a choice: choose full-time staff or seconded "
                  f"cadres")
        f.full_time = ""
    if f.status and f.status not in STATUS_CODES:
        f.problem("status", f"没有状态“{f.status[:20]}”：请从列表中选择",
                  f"no status '{f.status[:20]}': choose from the list")
        f.status = ""
    if len(f.q) > TEXT_CHARS or "\x00" in f.q:
        f.problem("q", f"姓名或编号最多{TEXT_CHARS}个字符", f"the name or key has at most "
                  f"{TEXT_CHARS} characters")
        f.q = ""
    page = params.get("page", "1").strip() or "1"
    if not page.isdigit() or not 1 <= int(page) <= 10**6:
        f.problem("page", "页码须为正整数", "the page is a whole number from 1")
    else:
        f.page = int(page)
    return f


def _choices(pool: PoolBrowser) -> dict[str, Any]:
    """The form's drop-down lists: skills, systems, and the regions the person may see."""
    session = pool.session
    return {"skills": list(session.execute(pool.skills_list()).scalars()),
            "systems": list(session.execute(pool.systems_list()).scalars()),
            "regions": [r for r in session.execute(pool.regions_list(None, None)).scalars()
                        if r.level != "town"]}


def _results(state: ServiceState, pool: PoolBrowser, f: Filters) -> dict[str, Any]:
    """One page of cadres for a checked query (the API's filter and its validation)."""
    if f.errors:
        return {"rows": [], "total": None}
    try:
        query = cadre_filter(state, pool.session, pool, skill=f.skill or None,
                             skill_level=int(f.skill_level) if f.skill_level else None,
                             flags=f.flags, status=f.status or None, region=f.region or None,
                             system=f.system or None, q=f.q or None,
                             full_time={"true": True, "false": False}.get(f.full_time))
    except Unprocessable as error:
        f.errors.append({"field": error.field or "skill", "zh": error.zh, "en": error.en})
        return {"rows": [], "total": None}
    stmt = pool.cadres_list(query)
    rows, total = pool.page(stmt, PER_PAGE, (f.page - 1) * PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    if f.page > pages:  # past the end (a stale bookmark): the last page
        f.page = pages
        rows, total = pool.page(stmt, PER_PAGE, (f.page - 1) * PER_PAGE)
    return {"rows": pool.cadre_rows(rows), "total": total, "pages": pages,
            "first": (f.page - 1) * PER_PAGE + 1 if rows else 0,
            "last": (f.page - 1) * PER_PAGE + len(rows)}


def _fragment(request: Request) -> bool:
    """htmx asks for the results only (not when it restores a page from history)."""
    return bool(request.headers.get("hx-request")) and \
        request.headers.get("hx-target") == "pool-results" and \
        not request.headers.get("hx-history-restore-request")


def _may_files(person: Person) -> dict[str, bool]:
    """Which downloads and uploads to offer (the routes check again)."""
    p = person.principal
    return {"may_export": p.may(Action.pool_read_sensitive) and p.scope is None,
            "may_import": p.may(Action.pool_write) and p.scope is None}


@router.get("/pool")
def pool_list(request: Request, person: MaybePersonDep, session: SessionDep,
              state: StateDep) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.pool_read)
    pool = browser(session, person.principal)
    f = read_filters(request.query_params)
    context = {"f": f, **TEMPLATE_GLOBALS, **_results(state, pool, f)}
    headers = {"Vary": "HX-Request"}
    if _fragment(request):  # htmx swaps only 2xx answers: errors are shown in the table
        return render(request, "pool/_results.html", context, headers=headers)
    context |= _choices(pool) | _may_files(person)
    return render(request, "pool/list.html", context, status=422 if f.errors else 200,
                  headers=headers)


@router.get("/pool/cadres/{key}")
def cadre_page(key: str, request: Request, person: MaybePersonDep, session: SessionDep,
               state: StateDep) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.pool_read)
    if not KEY.fullmatch(key):
        raise not_found("巡察干部", "cadre", key[:64], field="key")
    pool = browser(session, person.principal)
    row = visible_cadre(state, request, person.principal, pool, key)
    profile = cadre_profile(pool, person.principal, row)
    return render(request, "pool/cadre.html", {"p": profile, **TEMPLATE_GLOBALS})


router.include_router(pool_files.router)
