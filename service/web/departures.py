"""Departures on the proposal page (issue 15 item 1): the form 记录离组 / record a
departure (member, reason, date) for roles that may change proposals, answered by
`service.departures.record_departure` exactly as POST /v1/proposals/{id}/teams/{team}/
departures answers it, and the section that lists every departure with who took the
seat and the winning ticket, under the proposal's seal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pool import models as m
from pool.db import transaction
from service import departures as service_departures
from service.api.proposals import visible_proposal
from service.auth import Action, Principal
from service.departures import (
    REASONS,
    TEXT_MAX,
    TEXT_MIN,
    DepartureCreate,
    departure_read,
    departures_of,
    record_departure,
)
from service.deps import StateDep, ensure_may, refusals_audited
from service.report import ROLE_ZH, beijing_text
from service.report_data import holder_name
from service.sealing import seal_for
from service.state import ServiceState
from service.web.proposals import KEY, Problems, ProposalId, _base, _error, _page, _shown
from service.web.session import MaybePersonDep, signin_redirect

router = APIRouter()
FIELDS = {"departure": "departure-seat", "seat": "departure-seat",
          "leaving": "departure-seat", "team": "departure-seat",
          "reason": "departure-reason", "text": "departure-text", "date": "departure-date"}


def departure_section(session: Session, row: m.ProposalRecord, principal: Principal,
                      shown_revision: str | None) -> dict[str, Any]:
    """What the page's departure section needs: the departures (sealed for the reader),
    whether the form is offered, the seats it offers and the date it suggests."""
    rnd = session.get(m.Round, row.round_key)
    assert rnd is not None
    seal = seal_for(session, principal, [row])
    items = []
    for c in departures_of(session, row.id):
        d = departure_read(c)
        d |= {"by": holder_name(d["recorded_by"]), "at": beijing_text(d["recorded_at"]),
              "role_zh": ROLE_ZH.get(d["leaving"]["role"], d["leaving"]["role"])}
        items.append(seal(d) if seal else d)
    may = principal.may(Action.rounds_write) and row.kind == "record" and \
        row.status in ("draft", "approved")
    now = service_departures.today()  # the service's clock (tests move it)
    return {"departures": items, "may_depart": may,
            "departure_shown": next((d for d in items
                                     if str(d["revision"]) == (shown_revision or "")), None),
            "departure_reasons": REASONS,
            "departure_date": now.isoformat() if rnd.start <= now <= rnd.end else "",
            "departure_window": (rnd.start.isoformat(), min(rnd.end, now).isoformat())}


def _read(form: Any) -> tuple[int | None, DepartureCreate | None, Problems]:
    values = {k: (form.get(k) or "").strip() if isinstance(form.get(k), str) else ""
              for k in ("seat", "reason", "text", "date")}
    p = Problems(form="departure", values=values)
    team_text, _, key = values["seat"].partition(":")
    if not (team_text.isascii() and team_text.isdigit() and len(team_text) <= 5
            and KEY.fullmatch(key)):
        p.errors.append(_error("departure-seat", "请选择离组的成员",
                               "choose the member who left"))
    if values["reason"] not in REASONS:
        p.errors.append(_error("departure-reason", "请选择离组原因：病休、单位召回或其他",
                               "choose the reason: illness, recalled or other"))
    text = values["text"]
    if len(text) > TEXT_MAX or "\x00" in text:
        p.errors.append(_error("departure-text", f"说明不超过{TEXT_MAX}个字，且不能含控制字符",
                               f"the details have at most {TEXT_MAX} characters and no "
                               "control characters"))
    elif values["reason"] == "other" and len(text) < TEXT_MIN:
        p.errors.append(_error("departure-text", f"原因为“其他”时须写明说明（至少{TEXT_MIN}个字）",
                               f"reason 'other' needs the details (at least {TEXT_MIN} "
                               "characters)"))
    try:
        day = dt.date.fromisoformat(values["date"])
    except ValueError:
        day = None
        p.errors.append(_error("departure-date", "请填写离组日期（如 2027-03-15）",
                               "enter the date of the departure (like 2027-03-15)"))
    if p.errors or day is None:
        return None, None, p
    try:
        body = DepartureCreate(leaving=key, reason=values["reason"],  # type: ignore[arg-type]
                               text=text or None, date=day)
    except ValidationError:
        p.errors.append(_error("departure-seat", "离组记录无效，请检查各项",
                               "the departure is not valid: check each field"))
        return None, None, p
    return int(team_text), body, p


@router.post("/proposals/{proposal_id}/departures")
async def post_departure(proposal_id: ProposalId, request: Request, state: StateDep,
                         person: MaybePersonDep) -> Response:
    """Record a departure from the page: the replacement is drawn by lot and swapped in,
    in one writing transaction; a refusal is shown on the page and writes nothing."""
    if person is None:
        return signin_redirect(request)
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_write)
    team, body, problems = _read(await request.form())
    if team is not None and body is not None:
        revision = await run_in_threadpool(_record, state, request, principal, proposal_id,
                                           team, body, problems)
        if revision is not None:
            return RedirectResponse(
                f"{_base(proposal_id)}?done=departure&revision={revision}#departures",
                status_code=303)
    problems.errors = [e | {"field": FIELDS.get(e["field"], e["field"])}
                       for e in problems.errors]
    return await run_in_threadpool(_page, request, state, person, proposal_id, problems,
                                   problems.status)


def _record(state: ServiceState, request: Request, principal: Principal, proposal_id: int,
            team: int, body: DepartureCreate, problems: Problems) -> int | None:
    with _shown(state, problems), refusals_audited(request, principal, "proposal.refused"), \
            transaction(state.engine, write=True) as session:
        visible_proposal(session, state, request, principal, proposal_id)
        return int(record_departure(session, principal, proposal_id, team, body)["revision"])
    return None
