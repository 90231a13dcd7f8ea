"""Proposal review (issue 14 items 6 and 7): a proposal's teams, requirements, soft terms,
manual changes (ranked replacement suggestions from `service.replacements`, a required
reason, `service.changes.apply_change`), approval (`service.changes.approve`, as
POST /v1/proposals/{id}/approve does it) and the print views built from the round
report's content (`service.report.report_content`), with the .xlsx and .pdf downloads for
a signed-in person. Scope, permissions and sealing are the API's: `visible_proposal`,
`service.auth.PERMISSIONS`, `service.sealing` through `service.proposal_review`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pool import models as m
from pool.db import transaction
from service.api.proposals import ApprovalCreate, visible_proposal
from service.auth import Action, Principal
from service.changes import ChangeCreate, apply_change, approve
from service.deps import SessionDep, StateDep, ensure_may, record_refusal, refusals_audited
from service.errors import DomainError, Forbidden, NotFound, Unprocessable
from service.proposal_review import print_report, proposal_review
from service.report import HIDDEN
from service.report_files import report_file
from service.sealing import names_visible, seal_for
from service.state import ServiceState
from service.web.pages import render
from service.web.session import MaybePersonDep, Person, signin_redirect

router = APIRouter()
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1, description="方案编号 / proposal id")]
KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
REASON_MIN, REASON_MAX, NOTE_MAX = 4, 2000, 2000
ROLES = {"leader": "组长", "deputy": "副组长", "member": "组员"}

# the print views: which tables of the round report each one prints (by sheet name)
PRINTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "sealed-list": ("抽取结果", "Draw result (sealed list)",
                    ("巡察组 Teams", "依据与批准 Provenance")),
    "report": ("巡察组组建报告", "Round report", ()),  # every table
    "recusals": ("回避情况说明", "Recusals", ("回避情况说明 Recusals", "成员回避声明 Members")),
}


@dataclass
class Problems:
    """What went wrong with a form: field errors and the rules a change would break."""

    errors: list[dict[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    form: str = ""  # which form: change / approve
    values: dict[str, str] = field(default_factory=dict)  # the form as sent
    status: int = 400  # the page's status: 400 for the form, the service's for a refusal


def _error(name: str, zh: str, en: str) -> dict[str, str]:
    return {"field": name, "zh": zh, "en": en}


def _base(proposal_id: int) -> str:
    return f"/proposals/{proposal_id}"


def _page(request: Request, state: ServiceState, person: Person, proposal_id: int,
          problems: Problems | None = None, status: int = 200,
          notice: str | None = None) -> Response:
    principal = person.principal
    problems = problems or Problems()
    with transaction(state.engine) as session:
        row = visible_proposal(session, state, request, principal, proposal_id)
        content = proposal_review(session, row, principal)
        reopen = _reopened_ranking(session, principal, proposal_id, problems)
        from service.web.departures import departure_section  # it builds on this page

        departed = departure_section(session, row, principal,
                                     request.query_params.get("revision"))
    return render(request, "proposals/review.html", {
        **content, **departed, "base": _base(proposal_id), "problems": problems,
        "roles": ROLES, "notice": notice, "prints": PRINTS, "open_ranking": reopen},
        status=status)


def _reopened_ranking(session: Any, principal: Principal, proposal_id: int,
                      problems: Problems) -> dict[str, Any] | None:
    """A refused swap shows its suggestions again, with the choice and reason as sent."""
    values = problems.values
    if problems.form != "change" or values.get("op") != "swap" or \
            _team_no(values.get("team", "")) is None or \
            not KEY.fullmatch(values.get("cadre", "")):
        return None
    from service.replacements import rank_replacements

    try:
        ranking = rank_replacements(session, principal, proposal_id, int(values["team"]),
                                    values["cadre"])
    except DomainError:
        return None
    return {"team": int(values["team"]), "cadre": values["cadre"], "ranking": ranking}


def _anchored(p: Problems) -> Problems:
    """Each error names the element it is about, so the summary's links reach the field
    of the form that was sent (several forms share the page)."""
    op, team, cadre = (p.values.get(k, "") for k in ("op", "team", "cadre"))
    ids = {"add": {"cadre": f"add-cadre-{team}", "role": f"add-role-{team}",
                   "reason": f"add-reason-{team}"},
           "remove": {"reason": f"remove-reason-{team}-{cadre}"},
           "swap": {"replacement": f"replacement-{team}-{cadre}",
                    "reason": f"swap-reason-{team}-{cadre}"}}.get(op, {})
    fallback = f"team-{team}" if _team_no(team) is not None else "main"
    p.errors = [e | {"field": ids.get(e["field"], fallback)} for e in p.errors]
    return p


@router.get("/proposals/{proposal_id}")
def review_page(proposal_id: ProposalId, request: Request, state: StateDep,
                person: MaybePersonDep, done: str | None = None) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.rounds_read)
    notice = {"change": "调整已保存 / The change was saved",
              "departure": "离组已记录，接替人员已按抽签产生（见“离组与抽签替换”）/ The departure "
                           "was recorded; the replacement was drawn by lot (see Departures)",
              "approved": "方案已批准 / The proposal was approved"}.get(done or "")
    return _page(request, state, person, proposal_id, notice=notice)


@router.get("/proposals/{proposal_id}/replacements")
def replacements(proposal_id: ProposalId, request: Request, session: SessionDep,
                 state: StateDep, person: MaybePersonDep, team: str = "",
                 cadre: str = "") -> Response:
    """Who could take this member's seat, best first, each with why (htmx fragment; the
    whole page for a browser without htmx)."""
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_write)
    row = visible_proposal(session, state, request, principal, proposal_id)
    if _team_no(team) is None:
        raise Unprocessable("组号须为正整数", "the team is a whole number", field="team")
    if not KEY.fullmatch(cadre):
        raise Unprocessable("请选择要替换的成员", "choose the member to replace", field="cadre")
    from service.replacements import rank_replacements  # built beside this page

    # only roles that may see the names get a ranking (it refuses the others, 403)
    ranking = rank_replacements(session, principal, proposal_id, int(team), cadre)
    context = {"ranking": ranking, "base": _base(proposal_id), "team": int(team),
               "cadre": cadre, "roles": ROLES, "p": {"id": row.id}}
    if request.headers.get("hx-request") == "true":
        return render(request, "proposals/_replacements.html", context)
    return render(request, "proposals/replacements.html", context)


def _team_no(text: str) -> int | None:
    """A team number as typed (ASCII digits, 1 to 10,000), or None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 5:
        return None
    return int(text) if 1 <= int(text) <= 10_000 else None


def _form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _read_change(form: Any) -> tuple[ChangeCreate | None, Problems]:
    """The change form, checked field by field with messages a person can act on."""
    values = {k: _form_text(form, k) for k in ("op", "team", "cadre", "replacement", "role",
                                               "reason")}
    p = Problems(form="change", values=values)
    op = values["op"]
    if op not in ("swap", "add", "remove"):
        p.errors.append(_error("op", "请选择调整方式：对调、增加或移出",
                               "choose the change: swap, add or remove"))
    team = values["team"]
    if _team_no(team) is None:
        p.errors.append(_error("team", "组号须为正整数", "the team is a whole number"))
    if not KEY.fullmatch(values["cadre"]):
        p.errors.append(_error("cadre", "请填写人员编号（如 P00001234）" if op == "add" else
                               "请选择要调整的成员", "enter the person key (like P00001234)"
                               if op == "add" else "choose the member to change"))
    if op == "swap" and not KEY.fullmatch(values["replacement"]):
        p.errors.append(_error("replacement", "请从建议名单中选择替换人员",
                               "choose the replacement from the suggestions"))
    if values["role"] and values["role"] not in ROLES:
        p.errors.append(_error("role", "请选择角色：组长、副组长或组员",
                               "choose the role: leader, deputy or member"))
    reason = values["reason"]
    if len(reason) < REASON_MIN:
        p.errors.append(_error("reason", f"请写明调整理由（至少{REASON_MIN}个字）",
                               f"give the reason for the change (at least {REASON_MIN} "
                               "characters)"))
    elif len(reason) > REASON_MAX or "\x00" in reason:
        p.errors.append(_error("reason", f"理由不超过{REASON_MAX}个字，且不能含控制字符",
                               f"the reason has at most {REASON_MAX} characters and no "
                               "control characters"))
    if p.errors:
        return None, p
    change = ChangeCreate.model_validate({
        "op": op, "team": int(team), "cadre": values["cadre"],
        "replacement": values["replacement"] if op == "swap" else None,
        "role": values["role"] or None, "reason": reason})
    return change, p


@contextmanager
def _shown(state: ServiceState, p: Problems) -> Iterator[None]:
    """A refusal the person can act on becomes the page's error summary (audited as the
    API audits it); a denial or a missing proposal stays an error page."""
    try:
        yield
    except DomainError as exc:
        if isinstance(exc, Forbidden | NotFound) or exc.status in (401, 503):
            raise
        record_refusal(state.engine, exc)
        p.status = exc.status
        p.errors.append(_error(p.form if exc.field in (None, "op", "proposal_id")
                               else exc.field, exc.zh, exc.en))
        details = exc.details
        if isinstance(details, dict):
            p.violations = [str(v) for v in details.get("violations", [])]
        elif isinstance(details, list):
            p.violations = [f"{d.get('zh', '')} / {d.get('en', '')}" for d in details
                            if isinstance(d, dict) and "zh" in d]


@router.post("/proposals/{proposal_id}/changes")
async def post_change(proposal_id: ProposalId, request: Request, state: StateDep,
                      person: MaybePersonDep) -> Response:
    """A manual change from the page: the same `apply_change` as the API, in one writing
    transaction; refused changes show the rules they break and write nothing."""
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_write)
    change, problems = _read_change(await request.form())
    if change is not None:
        done = await run_in_threadpool(_change, state, request, principal, proposal_id,
                                       change, problems)
        if done:
            return RedirectResponse(f"{_base(proposal_id)}?done=change#team-{change.team}",
                                    status_code=303)
    return await run_in_threadpool(_page, request, state, person, proposal_id,
                                   _anchored(problems), problems.status)


def _change(state: ServiceState, request: Request, principal: Principal, proposal_id: int,
            change: ChangeCreate, problems: Problems) -> bool:
    with _shown(state, problems), refusals_audited(request, principal, "proposal.refused"), \
            transaction(state.engine, write=True) as session:
        visible_proposal(session, state, request, principal, proposal_id)
        apply_change(session, proposal_id, change, principal.actor)
        return True
    return False


@router.post("/proposals/{proposal_id}/approve")
async def post_approval(proposal_id: ProposalId, request: Request, state: StateDep,
                        person: MaybePersonDep) -> Response:
    """Approval with a note, as POST /v1/proposals/{id}/approve: scope first, then the
    approval under the decision lock; blockers are shown on the page."""
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    ensure_may(state, request, principal, Action.approve)
    form = await request.form()
    note = _form_text(form, "note")
    problems = Problems(form="approve", values={"note": note})
    if len(note) > NOTE_MAX or "\x00" in note:
        problems.errors.append(_error("note", f"批准意见不超过{NOTE_MAX}个字，且不能含控制字符",
                                      f"the note has at most {NOTE_MAX} characters and no "
                                      "control characters"))
    elif await run_in_threadpool(_approve, state, request, principal, proposal_id,
                                 ApprovalCreate(note=note or None), problems):
        return RedirectResponse(f"{_base(proposal_id)}?done=approved", status_code=303)
    return await run_in_threadpool(_page, request, state, person, proposal_id, problems,
                                   problems.status)


def _approve(state: ServiceState, request: Request, principal: Principal, proposal_id: int,
             body: ApprovalCreate, problems: Problems) -> bool:
    with _shown(state, problems):
        with refusals_audited(request, principal, "proposal.refused"), \
                transaction(state.engine) as session:
            visible_proposal(session, state, request, principal, proposal_id)
        sqlite = state.engine.dialect.name == "sqlite"
        if sqlite:
            state.decision_lock.acquire()
        try:
            with refusals_audited(request, principal, "proposal.refused"), \
                    transaction(state.engine, write=True) as session:
                approve(session, proposal_id, principal.actor, body.note)
        finally:
            if sqlite:
                state.decision_lock.release()
        return True
    return False


@router.get("/proposals/{proposal_id}/print/{view}")
def print_view(proposal_id: ProposalId, view: str, request: Request, session: SessionDep,
               state: StateDep, person: MaybePersonDep) -> Response:
    """A print-ready page: the sealed list (抽取结果), the round report or the 回避情况说明,
    from the same content as the .xlsx and .pdf, under the same seal."""
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.rounds_read)
    if view not in PRINTS:
        raise NotFound(f"没有打印页“{view[:40]}”：可打印 sealed-list、report、recusals",
                       f"no print view '{view[:40]}': sealed-list, report or recusals",
                       field="view")
    row = visible_proposal(session, state, request, person.principal, proposal_id)
    report = print_report(session, row, person.principal)
    zh, en, sheets = PRINTS[view]
    tables = list(report.tables) if not sheets else [
        t for sheet in sheets for t in report.tables if t.sheet == sheet]
    rnd = session.get(m.Round, row.round_key)
    return render(request, "proposals/print.html", {
        "report": report, "tables": tables, "view": view, "view_zh": zh, "view_en": en,
        "base": _base(proposal_id), "row": row, "round": rnd, "prints": PRINTS,
        "grouped": _grouped, "percent": _percent, "hidden": HIDDEN})


def _percent(widths: tuple[int, ...]) -> list[str]:
    """Column widths (characters, as the workbook's) as shares of the printed width."""
    shown = [max(w, 8) for w in widths]  # a narrow column still holds its header
    total = sum(shown) or 1
    return [f"{100 * w / total:.1f}%" for w in shown]


def _grouped(rows: list[list[Any]]) -> list[tuple[Any, list[list[Any]]]]:
    """A table's rows by team (its first column), in order: one printed page per team."""
    out: list[tuple[Any, list[list[Any]]]] = []
    for r in rows:
        if out and out[-1][0] == r[0]:
            out[-1][1].append(r)
        else:
            out.append((r[0], [r]))
    return out


@router.get("/proposals/{proposal_id}/report.{fmt}")
def report_download(proposal_id: ProposalId, fmt: str, request: Request,
                    session: SessionDep, state: StateDep, person: MaybePersonDep) -> Response:
    """The round report (.xlsx or .pdf) for a signed-in person: the API's file under the
    API's seal (GET /v1/proposals/{id}/report.xlsx takes a bearer token)."""
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_read)
    if fmt not in ("xlsx", "pdf"):
        raise NotFound(f"报告只有 .xlsx 和 .pdf，没有 .{fmt[:10]}",
                       f"the report comes as .xlsx or .pdf, not .{fmt[:10]}", field="format")
    row = visible_proposal(session, state, request, principal, proposal_id)
    report = report_file(session, row, fmt, show_names=names_visible(row, principal),
                         seal=seal_for(session, principal, [row]),
                         font=state.settings.report_font)
    return Response(content=report.content, media_type=report.media_type, headers={
        "Content-Disposition": f'attachment; filename="{report.filename}"',
        "Cache-Control": "no-store"})

