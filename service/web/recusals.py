"""The recusal check page: a cadre and units by name or key, a date and a policy; per unit
the verdict per team role with each rule's title and legal basis, the text explanation and
the evidence drawn. Names resolve as the CLI's `recusals --cadre NAME` does; scope and need
to know are `service.recusal_check`'s, the same as `/v1/recusals/check`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from conflicts.explanation import Explanation
from conflicts.policy import cached_policy, shipped_policies
from conflicts.screening import ScreeningError
from pool.db import transaction
from pool.repository import PoolRepository
from service.auth import Action, Principal
from service.bounds import DATE_MAX, DATE_MIN, in_date_range
from service.deps import StateDep, ensure_may
from service.errors import DomainError, Forbidden
from service.recusal_check import (
    RoleVerdict,
    checked_explanation,
    ensure_cadre_visible,
    ensure_unit_visible,
    role_verdicts,
)
from service.recusals import AmbiguousName, resolve_cadre, resolve_units
from service.state import PoolScreen, ServiceState
from service.web.evidence_graph import evidence_svg
from service.web.pages import render
from service.web.session import MaybePersonDep, now, signin_redirect

router = APIRouter()

MAX_UNITS = 20  # units per check: each gets its explanation and drawing
MAX_TEXT = 200  # characters of a cadre's or a unit's name or key
BEIJING = dt.timedelta(hours=8)  # China has no daylight saving time


@dataclass
class Query:
    """The form as given (strings, redisplayed as typed)."""

    cadre: str = ""
    units: str = ""
    as_of: str = ""
    policy: str = "default"

    def unit_lines(self) -> list[str]:
        return [line.strip() for line in self.units.splitlines() if line.strip()]

    def url(self, **changes: str) -> str:
        values = {"cadre": self.cadre, "units": self.units, "as_of": self.as_of,
                  "policy": self.policy, **changes}
        return "/recusals?" + urlencode(values)


@dataclass
class UnitResult:
    explanation: Explanation
    verdicts: list[RoleVerdict]
    text_zh: str
    text_en: str
    graph: Any  # the SVG (Markup) or None


@dataclass
class Outcome:
    errors: list[dict[str, str]] = field(default_factory=list)
    cadre_choices: list[dict[str, Any]] = field(default_factory=list)
    unit_choices: list[dict[str, Any]] = field(default_factory=list)
    results: list[UnitResult] = field(default_factory=list)


def _error(field_: str, zh: str, en: str) -> dict[str, str]:
    return {"field": field_, "zh": zh, "en": en}


def _from_message(field_: str, exc: Exception) -> dict[str, str]:
    """A service message "中文 / English" (its first line) as a field error."""
    zh, _, en = str(exc).splitlines()[0].partition(" / ")
    return _error(field_, zh, en or zh)


def _validate(q: Query, today: dt.date) -> tuple[list[dict[str, str]], dt.date]:
    errors = []
    if not q.cadre.strip():
        errors.append(_error("cadre", "请输入干部的姓名或人员编号",
                             "Enter the cadre's name or person key"))
    elif len(q.cadre) > MAX_TEXT:
        errors.append(_error("cadre", f"姓名或编号不超过{MAX_TEXT}个字符",
                             f"A name or key has at most {MAX_TEXT} characters"))
    lines = q.unit_lines()
    if not lines:
        errors.append(_error("units", "请输入至少一个被巡察单位的名称或编号（每行一个）",
                             "Enter at least one unit's name or key (one per line)"))
    elif len(lines) > MAX_UNITS or any(len(line) > MAX_TEXT for line in lines):
        errors.append(_error("units", f"一次最多审查{MAX_UNITS}个单位，每行不超过{MAX_TEXT}个字符",
                             f"Check at most {MAX_UNITS} units at a time, each line at most "
                             f"{MAX_TEXT} characters"))
    day = today
    if q.as_of.strip():
        try:
            day = in_date_range(dt.date.fromisoformat(q.as_of.strip()))
        except ValueError:
            errors.append(_error(
                "as_of", f"审查日期须为 {DATE_MIN} 至 {DATE_MAX} 之间的日期，格式 年-月-日，"
                "如 2026-11-01", f"The date must be a date between {DATE_MIN} and {DATE_MAX} "
                "written year-month-day, like 2026-11-01"))
    if q.policy not in shipped_policies():
        errors.append(_error("policy", "请从列表中选择回避规则",
                             "Choose a recusal policy from the list"))
    return errors, day


def _visible(principal: Principal, screened: PoolScreen, unit_key: str | None) -> bool:
    unit = screened.index.snapshot.units.get(unit_key or "")
    return unit is not None and principal.sees_region(unit.region_code)


def _check(state: ServiceState, request: Request, principal: Principal, q: Query,
           day: dt.date) -> Outcome:
    """Resolve the names (offering the candidates a name is shared by, within the
    person's scope), then explain each unit as the API would."""
    policy = cached_policy(q.policy)
    screened = state.ready_screen(day, policy) or state.pool_screen_now(day, policy)
    index, out = screened.index, Outcome()
    cadre: str | None = None
    units: list[str] = []
    with transaction(state.engine) as session:
        repo = PoolRepository(session)
        try:
            cadre = resolve_cadre(repo, index, q.cadre)
        except AmbiguousName as exc:
            shown = [c for c in exc.candidates if _visible(principal, screened, str(c[1]))]
            if not shown:  # all outside the scope: the API's refusal for the first
                ensure_cadre_visible(state, request, principal, screened, str(exc.candidates[0][0]))
            out.cadre_choices = [{"key": k, "unit_key": uk, "unit_name": un, "born": born,
                                  "url": q.url(cadre=str(k))} for k, uk, un, born in shown]
            out.errors.append(_error(
                "cadre", f"有{len(exc.candidates)}名干部同名“{q.cadre.strip()}”，请在下面选择一人",
                f"{len(exc.candidates)} cadres share the name {q.cadre.strip()}: choose one "
                "below"))
        except ScreeningError as exc:
            out.errors.append(_from_message("cadre", exc))
        for line in q.unit_lines():
            try:
                units.extend(resolve_units(repo, index, [line]))
            except AmbiguousName as exc:
                shown = [c for c in exc.candidates if principal.sees_region(
                    _region_of(screened, str(c[0])))]
                if not shown:
                    ensure_unit_visible(state, request, principal, screened,
                                        str(exc.candidates[0][0]))
                others = [x for x in q.unit_lines() if x != line]
                out.unit_choices += [{"key": k, "region": region, "parent": parent,
                                      "url": q.url(units="\n".join([*others, str(k)]))}
                                     for k, region, parent in shown]
                out.errors.append(_error(
                    "units", f"有{len(exc.candidates)}个单位名为“{line}”，请在下面选择一个",
                    f"{len(exc.candidates)} units are named {line}: choose one below"))
            except ScreeningError as exc:
                out.errors.append(_from_message("units", exc))
    if out.errors or cadre is None:
        return out
    for unit in dict.fromkeys(units):  # each unit once, in the order given
        try:
            ex = checked_explanation(state, request, principal, screened, cadre, unit)
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise  # out of scope: the API's refusal (403, audited)
            out.errors.append(_error(exc.field or "cadre", exc.zh, exc.en))
            return out
        out.results.append(UnitResult(
            ex, role_verdicts(ex), ex.render("zh"), ex.render("en"),
            evidence_svg(ex.to_dict(), id_prefix=f"graph-{len(out.results)}")))
    return out


def _region_of(screened: PoolScreen, unit: str) -> str | None:
    found = screened.index.snapshot.units.get(unit)
    return None if found is None else found.region_code


def _policies() -> list[dict[str, str]]:
    out = []
    for name in shipped_policies():
        p = cached_policy(name)
        out.append({"name": name, "title": f"{p.title_zh} {p.title_en}（{name} {p.version}）"})
    return out


@router.get("/recusals")
async def recusals_page(request: Request, state: StateDep, person: MaybePersonDep,
                        cadre: str = "", units: str = "", as_of: str = "",
                        policy: str = "default") -> Response:
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    ensure_may(state, request, principal, Action.recusal_check)
    today = (now(request) + BEIJING).date()
    q = Query(cadre, units, as_of, policy)
    asked = bool(cadre.strip() or units.strip() or as_of.strip())
    outcome, day = Outcome(), today
    if asked:
        outcome.errors, day = _validate(q, today)
        if not outcome.errors:
            outcome = await run_in_threadpool(_check, state, request, principal, q, day)
    return render(request, "recusals/check.html", {
        "q": q, "asked": asked, "day": day, "today": today, "outcome": outcome,
        "policies": _policies(), "sees_relatives": principal.may(Action.pool_read_sensitive),
        "max_units": MAX_UNITS}, status=400 if outcome.errors else 200)
