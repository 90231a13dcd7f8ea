"""Jobs over HTTP: status and result, and cancellation."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from pool import models as m
from service import jobs
from service.api.common import UtcTime
from service.auth import Action, Principal
from service.deps import SessionDep, StateDep, ensure_region, refusals_audited, require
from service.errors import Conflict, not_found
from service.sealing import proposal_of_event, seal_for

router = APIRouter(tags=["jobs"])
JobId = Annotated[str, Path(min_length=36, max_length=36,
                            pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                    r"[0-9a-f]{12}$")]


class JobError(BaseModel):
    code: str
    message: str
    zh: str
    en: str
    details: Any = None


class JobRead(BaseModel):
    id: str
    kind: str
    status: str  # queued / running / succeeded / failed / cancelled
    actor: str
    created_at: UtcTime
    started_at: UtcTime | None
    finished_at: UtcTime | None
    cancel_requested: bool
    result: Any = None
    error: JobError | None = None


def job_read(session: Session, job: m.Job, principal: Principal) -> JobRead:
    """A job as the caller may see it: a result about an undecided proposal is sealed
    (`service.sealing`) for roles that may not see its names."""
    result = None if job.result is None else json.loads(job.result)
    error = None if job.error is None else json.loads(job.error)
    proposal = proposal_of_event(session, "job", job.id, result) or proposal_of_event(
        session, "job", job.id, json.loads(job.payload))
    if proposal is not None:
        seal = seal_for(session, principal, [proposal])
        result, error = seal(result), seal(error)
    return JobRead(id=job.id, kind=job.kind, status=job.status, actor=job.actor,
                   created_at=job.created_at, started_at=job.started_at,
                   finished_at=job.finished_at, cancel_requested=job.cancel_requested,
                   result=result, error=None if error is None else JobError(**error))


def visible_job(session: SessionDep, state: StateDep, request: Request,
                principal: Principal, job_id: str) -> m.Job:
    """A job the caller may follow: its own, or one in its region scope (404, 403)."""
    job = session.get(m.Job, job_id)
    if job is None:
        raise not_found("任务", "job", job_id, field="job_id")
    if job.actor != principal.actor:
        ensure_region(state, request, principal, job.scope, "该任务", "the job")
    return job


@router.get("/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: JobId, session: SessionDep, state: StateDep, request: Request,
            principal: Annotated[Principal, Depends(require(Action.rounds_read))]) -> JobRead:
    """任务状态；完成后含结果或错误 / a job's status, and its result or error when done."""
    return job_read(session, visible_job(session, state, request, principal, job_id), principal)


@router.post("/jobs/{job_id}/cancel", response_model=JobRead)
def cancel_job(job_id: JobId, session: SessionDep, state: StateDep, request: Request,
               principal: Annotated[Principal, Depends(require(Action.rounds_write))]
               ) -> JobRead:
    """取消任务：排队中的立即取消，运行中的在下一检查点取消；抽取结果的任务不能取消 /
    cancel a job (not a draw of record's: it runs once)."""
    with refusals_audited(request, principal, "job.refused"):
        job = visible_job(session, state, request, principal, job_id)
        if job.kind == "proposal" and "draw_id" in json.loads(job.payload):
            raise Conflict("抽取结果的任务只运行一次，不能取消（种子已定，取消即等于重抽）",
                           "a draw of record's job runs once and cannot be cancelled (the seed "
                           "is fixed: cancelling would amount to a redraw)", field="job_id",
                           code="draw_not_cancellable")
        return job_read(session, jobs.cancel(session, job, principal.actor), principal)
