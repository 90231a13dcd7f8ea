"""Schemas and parameters shared by the endpoint modules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from fastapi import BackgroundTasks, Query
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy.orm import Session

from service import jobs
from service.auth import Principal
from service.state import ServiceState

T = TypeVar("T")
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


def _in_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _in_beijing(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=BEIJING) if value.tzinfo is None else value


# The service stores its own times as naive UTC and the pool's 记录时间 as naive Beijing
# wall-clock time (import files carry no zone); responses carry the offset (RFC 3339).
UtcTime = Annotated[dt.datetime, AfterValidator(_in_utc)]
BeijingTime = Annotated[dt.datetime, AfterValidator(_in_beijing)]


def beijing_now() -> dt.datetime:
    """Now as the pool records it: Beijing wall-clock time, to the second, naive."""
    return dt.datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)


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


def wake_worker(state: ServiceState, background: BackgroundTasks) -> None:
    """Wake this process's job worker once the response is on its way (any worker would
    find the queued job at its next poll anyway)."""
    if state.worker is not None:
        background.add_task(state.worker.wake)


def queue_job(session: Session, state: ServiceState, background: BackgroundTasks, kind: str,
              payload: dict[str, Any], principal: Principal, *,
              region: str | None = None) -> Accepted:
    """Queue a job in the request's transaction; once the response is on its way this
    process's worker is woken (any worker would find it at its next poll anyway). The
    job's scope is `region` (a round's, for work on a round) or the caller's scope."""
    job = jobs.enqueue(session, kind, payload, actor=principal.actor,
                       scope=region if region is not None else principal.scope)
    wake_worker(state, background)
    return Accepted(job_id=job.id, status=job.status, status_url=f"/v1/jobs/{job.id}")
