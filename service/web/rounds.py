"""The rounds pages: the list (the rounds the person's scope sees, as GET /v1/rounds), a
round's page (its plan in office words, its draws and proposals), and the wizard that
creates a round in four steps (basics, targets, team requirements, check your answers)
through `service.decisions.create_round`, as POST /v1/rounds does. The wizard's state
lives in the form (`round_wizard.Draft`), never on the server."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from conflicts.policy import RegionLevel, cached_policy, shipped_policies
from pool import models as m
from pool.api_repository import PoolBrowser
from pool.db import transaction
from pool.formats import ROUND_KINDS
from service.api.common import Paging
from service.api.rounds import RoundRead, list_rounds, round_read
from service.auth import Action, Principal, region_subtree
from service.ceremony import OPEN, STATUS_ZH
from service.decisions import create_round
from service.deps import StateDep, ensure_may, ensure_region, record_refusal, refusals_audited
from service.errors import DomainError, Forbidden, not_found
from service.round_names import Catalogue, catalogue_for
from service.state import ServiceState
from service.web import round_wizard as w
from service.web.pages import render
from service.web.round_groups import group_rows
from service.web.round_practice import practice_rows
from service.web.round_staffing import staffing_rows
from service.web.session import MaybePersonDep, PersonDep, signin_redirect

router = APIRouter()
PER_PAGE = 50
SEARCH_CHARS = 64
SEARCH_SHOWN = 15
LEVELS = {"province": ("省级", "province"), "city": ("市级", "city"),
          "county": ("县级", "county"), "town": ("乡镇级", "town")}
STATUS = {"past": ("往期（导入，无计划）", "past (imported, no plan)"),
          "planned": ("已建，待抽取", "planned, not drawn"),
          "drawing": ("抽取中", "drawing"), "drawn": ("已抽取，待审批", "drawn, awaiting approval"),
          "decided": ("已决定", "decided")}
KIND_LABELS = {c.code: (c.zh, c.en) for c in ROUND_KINDS}


def round_status(r: RoundRead) -> str:
    """Where a round stands, as its page and the list show it."""
    if r.plan is None:
        return "past"
    if r.decided:
        return "decided"
    if any(d.status in OPEN for d in r.draws):
        return "drawing"
    return "drawn" if r.proposals else "planned"


# -- the list and a round's page ----------------------------------------------------------

@router.get("/rounds")
def rounds_list(request: Request, person: MaybePersonDep, state: StateDep,
                page: int = 1) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.rounds_read)
    page = max(1, min(page, 10**6))
    with transaction(state.engine) as session:
        found = list_rounds(session, person.principal,
                            Paging(limit=PER_PAGE, offset=(page - 1) * PER_PAGE))
        regions = _region_names(session)
    rows = [{"r": r, "status": round_status(r), "region": regions.get(r.region or "")}
            for r in found.items]
    return render(request, "rounds/list.html", {
        "rows": rows, "total": found.total, "page": page, "status_labels": STATUS,
        "kind_labels": KIND_LABELS, "pages": max(1, -(-found.total // PER_PAGE)),
        "may_create": person.principal.may(Action.rounds_write)})


def _region_names(session: Any) -> dict[str, str]:
    rows = session.execute(PoolBrowser(session).regions_list(None, None)).scalars()
    return {r.code: r.name for r in rows}


@router.get("/rounds/new")
def wizard_start(request: Request, person: MaybePersonDep, state: StateDep) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.rounds_write)
    draft = w.Draft({"kind": "regular", "policy": "default", "size_min": "5",
                     "size_max": "7", "deputies_min": "1", "deputies_max": "2",
                     "region": person.principal.scope or "", "rotation": "yes",
                     "mode": "direct"})
    return _wizard_page(request, state, person.principal, draft, "basics", [])


@router.get("/rounds/new/units")
def unit_search(request: Request, person: PersonDep, state: StateDep, q: str = "",
                region: str = "", kind: str = "regular") -> Response:
    """The units whose name contains `q` (or whose key is it), in the person's scope and
    the round's region: an htmx fragment of the targets step."""
    ensure_may(state, request, person.principal, Action.rounds_write)
    draft = w.Draft({"region": region[:12], "kind": kind[:16]})
    with transaction(state.engine) as session:
        found = _search(session, person.principal, draft, q)
    return render(request, "rounds/_units.html", {"search": found, "d": draft})


@router.get("/rounds/{round_key}")
def round_page(round_key: str, request: Request, person: MaybePersonDep,
               state: StateDep) -> Response:
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_read)
    with transaction(state.engine) as session:
        row = session.get(m.Round, round_key[:64])
        if row is None:
            raise not_found("轮次", "round", round_key[:64], field="round_key")
        ensure_region(state, request, principal, row.region_code, f"轮次 {row.key}",
                      f"round {row.key}")
        r = round_read(session, row)
        catalogue = catalogue_for(session)
        regions = _region_names(session)
    return render(request, "rounds/round.html", {
        "r": r, "status": round_status(r), "status_labels": STATUS,
        "kind_labels": KIND_LABELS, "plan": _plan_view(r, catalogue, regions),
        "region_name": regions.get(r.region or ""), "draw_status": STATUS_ZH,
        "may_draw": principal.may(Action.rounds_write) or principal.may(Action.draw_party)})


def _plan_view(r: RoundRead, cat: Catalogue, regions: Mapping[str, str]) -> dict[str, Any]:
    """The stored plan in office words: units and skills by name with their keys."""
    if r.plan is None:
        return {}
    plan = r.plan
    defaults = plan.get("defaults", {})

    def team(no: int, targets: list[str], own: Mapping[str, Any]) -> dict[str, Any]:
        return {"no": no, "targets": [unit_label(cat, u) for u in targets],
                "size": own.get("size") or defaults.get("size", [5, 7]),
                "deputies": own.get("deputies") or defaults.get("deputies", [1, 2]),
                "skills": skill_labels(cat, own["skills"] if "skills" in own
                                       else defaults.get("skills", {})),
                "own": bool({"size", "deputies", "skills"} & set(own))}

    view: dict[str, Any] = {"policy": plan.get("policy", "default"),
                            "as_of": plan.get("as_of"), "defaults": {
                                "size": defaults.get("size", [5, 7]),
                                "deputies": defaults.get("deputies", [1, 2]),
                                "skills": skill_labels(cat, defaults.get("skills", {}))}}
    if r.mode == "pairing":
        view["mode"] = plan.get("mode", "direct")
        view["rotation"] = plan.get("rotation", True)
        view["groups"] = [{"region": g["region"], "name": regions.get(g["region"], ""),
                           "sends": g.get("sends", 1),
                           "targets": [[unit_label(cat, u) for u in t]
                                       for t in g.get("targets", [])]}
                          for g in plan.get("groups", [])]
        return view
    view["teams"] = [team(i, t["targets"], t) for i, t in enumerate(plan.get("teams", []), 1)]
    for name in ("pool_region", "region_level"):
        view[name] = plan.get(name)
    view["pool_region_name"] = regions.get(plan.get("pool_region") or "")
    view["practice"] = practice_rows(plan)  # age, retirement, evaluations
    view["practice"] += staffing_rows(plan)  # full-time staff, home-unit release
    view["practice"] += group_rows(plan, cat)  # checking groups (检查小组)
    return view


def unit_label(cat: Catalogue, key: str) -> str:
    name = cat.unit.get(key)
    return f"{name[0]}（{key}）" if name else key


def skill_labels(cat: Catalogue, counts: Mapping[str, int]) -> list[str]:
    return [f"{cat.skill_zh.get(code, code)} {code} × {n}" for code, n in counts.items()]


# -- the wizard -----------------------------------------------------------------------------

@dataclass
class Choices:
    """What the wizard's pages offer: skills, policies, regions and groups in scope."""

    skills: list[tuple[str, str, str | None]]
    regions: list[m.Region]
    groups: list[m.Region]  # a cross-inspection's possible groups
    policies: list[dict[str, str]] = field(default_factory=list)

    @property
    def skill_codes(self) -> list[str]:
        return [code for code, _zh, _en in self.skills]

    @property
    def group_codes(self) -> list[str]:
        return [g.code for g in self.groups]


def _choices(session: Any, principal: Principal, d: w.Draft, cat: Catalogue) -> Choices:
    scoped = PoolBrowser(session, principal.regions)
    regions = [r for r in session.execute(scoped.regions_list(None, None)).scalars()
               if r.level != "town"]
    home = d.get("region") or principal.scope
    groups = list(session.execute(scoped.regions_list(home, None)).scalars()) if home \
        else [r for r in regions if r.level == "county"]
    policies = [{"name": n, "title": f"{cached_policy(n).title_zh} "
                                     f"{cached_policy(n).title_en}（{n}）"}
                for n in shipped_policies()]
    return Choices(sorted(cat.skills), regions, groups, policies)


def _choice_errors(d: w.Draft, c: Choices, principal: Principal) -> list[dict[str, str]]:
    """Fields chosen from a list that hold something else (a forged or stale form)."""
    errors = []
    pick = ("请从列表中选择", "choose from the list")
    codes = {r.code for r in c.regions}
    for name, allowed in (("kind", w.KIND_CODES), ("policy", [p["name"] for p in c.policies]),
                          ("mode", ("direct", "exchange")), ("rotation", ("yes", "no")),
                          ("region_level", [lv.value for lv in RegionLevel]),
                          ("pool_region", codes),
                          ("region", codes if principal.scope else {*codes, ""})):
        value = d.get(name)
        if (value or name in ("kind", "policy", "region")) and value not in allowed:
            errors.append(w.problem_at(name, pick[0], pick[1]))
    return errors


@dataclass
class Search:
    q: str = ""
    units: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False
    error: str | None = None


def _search(session: Any, principal: Principal, d: w.Draft, q: str) -> Search:
    q = q.strip()
    out = Search(q[:SEARCH_CHARS])
    if not q:
        return out
    if len(q) > SEARCH_CHARS or "\x00" in q:
        out.error = f"最多{SEARCH_CHARS}个字符 / at most {SEARCH_CHARS} characters"
        return out
    regions = principal.regions
    if d.get("region"):
        inside = region_subtree(session, d.get("region"))
        regions = inside if regions is None else regions & inside
    rows = PoolBrowser(session, regions).units_matching(q, SEARCH_SHOWN + 1)
    groups: dict[str, frozenset[str]] = {}
    if d.cross:
        home = d.get("region") or principal.scope
        scoped = PoolBrowser(session, principal.regions)
        offered = list(session.execute(scoped.regions_list(home, None)).scalars()) if home \
            else [r for r in session.execute(scoped.regions_list(None, "county")).scalars()]
        groups = {g.code: region_subtree(session, g.code) for g in offered}
        names = {g.code: g.name for g in offered}
    for key, name, code, region in rows[:SEARCH_SHOWN]:
        group = next((g for g, inside in groups.items() if code in inside), None)
        out.units.append({"key": key, "name": name, "region": region, "group": group,
                          "group_name": names.get(group or "", "") if groups else ""})
    out.more = len(rows) > SEARCH_SHOWN
    return out


def _wizard_page(request: Request, state: ServiceState, principal: Principal, d: w.Draft,
                 step: str, errors: list[dict[str, str]], status: int = 200,
                 search: Search | None = None) -> Response:
    with transaction(state.engine) as session:
        cat = catalogue_for(session, False, None)
        c = _choices(session, principal, d, cat)
        summary = None
        if step == "check":
            checked = w.check(session, principal, d, "requirements", c.skill_codes,
                              d.group_codes(c.group_codes))
            summary = checked.spec
    return render(request, "rounds/wizard.html", {
        "d": d, "step": step, "errors": errors, "steps": w.STEPS, "titles": w.STEP_TITLES,
        "step_no": w.STEPS.index(step) + 1, "kinds": w.KINDS, "modes": w.MODES,
        "levels": LEVELS, "c": c, "search": search or Search(), "spec": summary,
        "unit_labels": lambda keys: [unit_label(cat, key) for key in keys],
        "typed_labels": lambda given: [unit_label(cat, u) if u in cat.unit else u
                                       for u in given],
        "skill_en": lambda code, en: code if not en or en == code else f"{en} · {code}",
        "skill_labels": lambda counts: skill_labels(cat, counts),
        "region_names": {r.code: r.name for r in c.regions + c.groups},
        "policy_titles": {p["name"]: p["title"] for p in c.policies},
        "region_options": [(r.code, f"{r.name} {r.code}") for r in c.regions],
        "level_options": [(code, f"{zh} {en}") for code, (zh, en) in LEVELS.items()],
        "mode_options": [(code, f"{zh} / {en}") for code, zh, en in w.MODES],
        "open_teams": {int(f[1:f.index("_")]) for f in (e["field"] for e in errors)
                       if re.fullmatch(r"t\d+_.+", f)}}, status=status)


def _audited(request: Request, principal: Principal, exc: DomainError) -> None:
    """A scope refusal met by the wizard, audited as the API audits it."""
    try:
        with refusals_audited(request, principal, "auth.denied", Forbidden):
            raise exc
    except DomainError:
        pass
    record_refusal(request.app.state.xuncha.engine, exc)


@router.post("/rounds/new")
async def wizard_step(request: Request, person: PersonDep, state: StateDep) -> Response:
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_write)
    form = await request.form()
    d = w.Draft.from_form(form)
    step = str(form.get("step", "basics"))
    step = step if step in w.STEPS else "basics"
    action = str(form.get("action", "next"))
    added = form.get("add") or form.get("join")
    if isinstance(added, str) and added:
        return await run_in_threadpool(_add, request, state, principal, d, added[:64],
                                       bool(form.get("join")))
    if action == "search":
        return await run_in_threadpool(_searched, request, state, principal, d,
                                       str(form.get("q", "")))
    if action == "back":
        return await run_in_threadpool(_wizard_page, request, state, principal, d,
                                       w.STEPS[max(0, w.STEPS.index(step) - 1)], [])
    if action.startswith("goto:") and action[5:] in w.STEPS:
        return await run_in_threadpool(_wizard_page, request, state, principal, d,
                                       action[5:], [])
    return await run_in_threadpool(_advance, request, state, principal, d, step, action)


def _add(request: Request, state: ServiceState, principal: Principal, d: w.Draft,
         key: str, join: bool) -> Response:
    group = None
    if d.cross:
        with transaction(state.engine) as session:
            found = _search(session, principal, d, key)
        group = next((u["group"] for u in found.units if u["key"] == key), None)
    d.add_unit(key, group, join)
    return _wizard_page(request, state, principal, d, "targets", [])


def _searched(request: Request, state: ServiceState, principal: Principal, d: w.Draft,
              q: str) -> Response:
    with transaction(state.engine) as session:
        found = _search(session, principal, d, q)
    return _wizard_page(request, state, principal, d, "targets", [], search=found)


def _first_step(errors: list[dict[str, str]]) -> str:
    return min((w.step_of(e["field"]) for e in errors), key=w.STEPS.index)


def _advance(request: Request, state: ServiceState, principal: Principal, d: w.Draft,
             step: str, action: str) -> Response:
    """Check the steps so far; on, or back to the first step with a problem."""
    upto = "requirements" if step == "check" else step
    with transaction(state.engine) as session:
        cat = catalogue_for(session, False, None)
        c = _choices(session, principal, d, cat)
        errors = d.too_long() + _choice_errors(d, c, principal)
        checked = w.Checked() if errors else w.check(
            session, principal, d, upto, c.skill_codes, d.group_codes(c.group_codes))
    errors += [e for e in checked.errors if e not in errors]
    if checked.refusal is not None:
        _audited(request, principal, checked.refusal)
    if errors:
        status = 403 if checked.refusal is not None else 400
        return _wizard_page(request, state, principal, d, _first_step(errors), errors, status)
    if step != "check":
        return _wizard_page(request, state, principal, d, w.STEPS[w.STEPS.index(step) + 1], [])
    spec = checked.spec
    assert spec is not None
    if action == "yaml":
        name = quote(f"{spec.key}.yaml")
        return Response(w.plan_yaml(spec, d.get("region") or None),
                        media_type="application/yaml; charset=utf-8", headers={
                            "Content-Disposition": f"attachment; filename=\"round.yaml\"; "
                                                   f"filename*=UTF-8''{name}",
                            "Cache-Control": "no-store"})
    if action != "create":
        return _wizard_page(request, state, principal, d, "check", [])
    try:
        with transaction(state.engine, write=True) as session, \
                refusals_audited(request, principal, "auth.denied", Forbidden):
            row = create_round(session, spec, region=d.get("region") or None,
                               actor=principal.actor, creator=principal.regions,
                               creator_scope=principal.scope)
            key = row.key
    except DomainError as exc:  # lost a race (the key taken meanwhile), or the scope
        if exc.refusal is not None:
            record_refusal(state.engine, exc)
        error = w.problem_at(w.form_field(exc.field or "", d, d.group_codes(c.group_codes)),
                             exc.zh, exc.en)
        return _wizard_page(request, state, principal, d, _first_step([error]), [error],
                            exc.status)
    return RedirectResponse(f"/rounds/{quote(key, safe='')}?created=1", status_code=303)

