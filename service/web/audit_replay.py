"""The replay of a proposal on a page: a button that queues the API's replay job
(`service.replay`), and its progress polled by htmx into a fragment that ends with the
four comparisons, sealed as the API seals job results (`service.api.jobs.job_read`)."""

from __future__ import annotations

import json
import re
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pool import models as m
from service.api.common import queue_job
from service.api.jobs import JobRead, job_read, visible_job
from service.api.proposals import KIND_ZH, visible_proposal
from service.audit_reading import EventFilter, newest_first
from service.auth import Action, Principal
from service.deps import SessionDep, StateDep, ensure_may
from service.errors import not_found
from service.state import ServiceState
from service.web.pages import render
from service.web.session import MaybePersonDep, signin_redirect

router = APIRouter()
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1, description="方案编号 / proposal id")]
JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
STATUS = {"queued": ("排队中", "queued"), "running": ("正在复算", "running"),
          "succeeded": ("已完成", "done"), "failed": ("失败", "failed"),
          "cancelled": ("已取消", "cancelled")}


def _base(proposal_id: int) -> str:
    return f"/audit/proposals/{proposal_id}/replay"


@router.get("/audit/proposals/{proposal_id}/replay")
def replay_page(proposal_id: ProposalId, request: Request, session: SessionDep,
                state: StateDep, person: MaybePersonDep, job: str | None = None) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.rounds_read)  # the API's rule for replays
    principal = person.principal
    row = visible_proposal(session, state, request, principal, proposal_id)
    rnd = session.get(m.Round, row.round_key)
    earlier = newest_first(session, principal, EventFilter(
        kind="proposal.replay", object_type="proposal", object_key=str(proposal_id)),
        limit=5).events
    shown = None
    if job is not None:
        shown = _job(session, state, request, person.principal, proposal_id, job)
    return render(request, "audit/replay.html", {
        "row": row, "round": rnd, "kind_zh": KIND_ZH.get(row.kind, row.kind),
        "earlier": earlier, "job": shown, "status": STATUS, "base": _base(proposal_id)})


@router.post("/audit/proposals/{proposal_id}/replay")
def start_replay(proposal_id: ProposalId, request: Request, session: SessionDep,
                 state: StateDep, background: BackgroundTasks, person: MaybePersonDep
                 ) -> Response:
    if person is None:
        return signin_redirect(request)
    ensure_may(state, request, person.principal, Action.rounds_read)
    principal = person.principal
    row = visible_proposal(session, state, request, principal, proposal_id)
    rnd = session.get(m.Round, row.round_key)
    queued = queue_job(session, state, background, "replay",
                       {"proposal_id": proposal_id, "actor": principal.actor}, principal,
                       region=rnd.region_code if rnd else None)
    return RedirectResponse(f"{_base(proposal_id)}?job={queued.job_id}", status_code=303)


def _job(session: Session, state: ServiceState, request: Request, principal: Principal,
         proposal_id: int, job_id: str) -> JobRead:
    """The replay job of this proposal as the person may see it (sealed); 404 for
    anything else."""
    if not JOB_ID.match(job_id):
        raise not_found("复算任务", "replay job", job_id[:40], field="job")
    job = visible_job(session, state, request, principal, job_id)
    if job.kind != "replay" or json.loads(job.payload).get("proposal_id") != proposal_id:
        raise not_found("复算任务", "replay job", job_id, field="job")
    return job_read(session, job, principal)


@router.get("/audit/proposals/{proposal_id}/replay/jobs/{job_id}")
def replay_progress(proposal_id: ProposalId, job_id: str, request: Request,
                    session: SessionDep, state: StateDep, person: MaybePersonDep
                    ) -> Response:
    """The job's fragment (htmx polls it until the job is final); a browser without
    htmx is sent to the whole page."""
    if person is None:
        return signin_redirect(request)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"{_base(proposal_id)}?job={job_id[:40]}", status_code=303)
    ensure_may(state, request, person.principal, Action.rounds_read)
    visible_proposal(session, state, request, person.principal, proposal_id)
    job = _job(session, state, request, person.principal, proposal_id, job_id)
    return render(request, "audit/_replay_job.html",
                  {"job": job, "status": STATUS, "base": _base(proposal_id)})
