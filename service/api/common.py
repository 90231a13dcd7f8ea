"""Schemas and parameters shared by the endpoint modules."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import BackgroundTasks, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from service import jobs
from service.auth import Principal
from service.state import ServiceState

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(ge=0)
    limit: int
    offset: int


class Paging(BaseModel):
    limit: int = 50
    offset: int = 0


def paging(limit: Annotated[int, Query(ge=1, le=500, description="每页条数 / page size")] = 50,
           offset: Annotated[int, Query(ge=0, le=10_000_000,
                                        description="跳过条数 / rows to skip")] = 0) -> Paging:
    return Paging(limit=limit, offset=offset)


class Accepted(BaseModel):
    """A job was queued: poll `status_url` until its status is final."""

    job_id: str
    status: str
    status_url: str


def queue_job(session: Session, state: ServiceState, background: BackgroundTasks, kind: str,
              payload: dict[str, Any], principal: Principal) -> Accepted:
    """Queue a job in the request's transaction; once the response is on its way this
    process's worker is woken (any worker would find it at its next poll anyway)."""
    job = jobs.enqueue(session, kind, payload, actor=principal.actor, scope=principal.scope)
    if state.worker is not None:
        background.add_task(state.worker.wake)
    return Accepted(job_id=job.id, status=job.status, status_url=f"/v1/jobs/{job.id}")
