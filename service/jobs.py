"""Jobs: solves and large screenings queued in the database, so any API process can run
a job and any can report it. A worker claims the oldest queued job with a row lock
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer, so its claim is a single
conditional UPDATE), which keeps several `xuncha serve` processes from running one job
twice. The embedded default runs its worker as a thread inside the API process."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from pool import models as m
from pool.db import transaction
from service import audit

log = logging.getLogger("xuncha.jobs")

# kind → handler(engine, job id, payload) → result (JSON-able); registered by the features
Handler = Callable[[Engine, str, dict[str, Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
FINAL = ("succeeded", "failed", "cancelled")
HEARTBEAT_SECONDS = 10.0  # a running job's worker marks it alive this often
STALE_AFTER = dt.timedelta(minutes=2)  # no heartbeat for this long: its worker died
MAX_ATTEMPTS = 3  # a job whose workers died this often fails instead of running again


class JobCancelled(Exception):
    """Raised by a handler that noticed its job was cancelled."""


class JobFailed(Exception):
    """A handler's expected failure, with a message for the user (中文 / English)."""

    def __init__(self, zh: str, en: str, code: str = "job_failed",
                 details: Any = None) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.code, self.details = zh, en, code, details


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, actor: str,
            scope: str | None) -> m.Job:
    job = m.Job(id=str(uuid.uuid4()), kind=kind, status="queued",
                payload=audit.canonical_json(payload), actor=actor, scope=scope,
                created_at=audit.utcnow(), attempts=0, cancel_requested=False)
    session.add(job)
    session.flush()
    audit.record(session, actor, "job.queued", object_type="job", object_key=job.id,
                 data={"kind": kind, "payload": payload})
    return job


def cancel(session: Session, job: m.Job, actor: str) -> m.Job:
    """A queued job is cancelled at once; a running one when its handler next checks."""
    if job.status in FINAL:
        return job
    job.cancel_requested = True
    if job.status == "queued":
        job.status, job.finished_at = "cancelled", audit.utcnow()
    audit.record(session, actor, "job.cancel", object_type="job", object_key=job.id,
                 data={"status": job.status})
    return job


def cancelled(engine: Engine, job_id: str) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(m.Job.cancel_requested)
                                 .where(m.Job.id == job_id)).scalar())


def recover(engine: Engine, now: dt.datetime | None = None) -> list[str]:
    """Jobs whose worker stopped beating (the process died) go back to the queue, or fail
    after MAX_ATTEMPTS; returns their ids."""
    limit = (now or audit.utcnow()) - STALE_AFTER
    with engine.connect() as conn:
        if conn.execute(select(m.Job.id).where(m.Job.status == "running",
                                               m.Job.heartbeat_at < limit).limit(1)
                        ).first() is None:
            return []
    with transaction(engine, write=True) as session:
        stale = session.execute(
            select(m.Job).where(m.Job.status == "running", m.Job.heartbeat_at < limit)
            .with_for_update(skip_locked=True)).scalars().all()
        for job in stale:
            gone = job.attempts >= MAX_ATTEMPTS
            job.status = "failed" if gone else "queued"
            if gone:
                job.finished_at = audit.utcnow()
                job.error = audit.canonical_json({
                    "code": "worker_lost", "message": "", "details": None,
                    "zh": f"执行该任务的进程已{job.attempts}次中断，不再重试",
                    "en": f"the processes running this job died {job.attempts} times; "
                          "not retried"})
            audit.record(session, "system", "job.recovered", object_type="job",
                         object_key=job.id, data={"worker": job.worker, "status": job.status,
                                                  "attempts": job.attempts})
        return [j.id for j in stale]


def beat(engine: Engine, job_id: str) -> None:
    with transaction(engine, write=True) as session:
        session.execute(update(m.Job).where(m.Job.id == job_id, m.Job.status == "running")
                        .values(heartbeat_at=audit.utcnow()))


def _any_queued(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(m.Job.id).where(m.Job.status == "queued").limit(1)
                            ).first() is not None


def claim(engine: Engine, worker: str, job_id: str | None = None) -> m.Job | None:
    """Take the oldest queued job (or the job `job_id` if it is still queued) for
    `worker`, or None."""
    if not _any_queued(engine):  # polling must not take SQLite's write lock for nothing
        return None
    wanted = [m.Job.status == "queued"] + ([] if job_id is None else [m.Job.id == job_id])
    with transaction(engine, write=True) as session:
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            job = session.execute(
                select(m.Job).where(*wanted)
                .order_by(m.Job.created_at, m.Job.id).limit(1)
                .with_for_update(skip_locked=True)).scalar()
            if job is None:
                return None
        else:
            first = (select(m.Job.id).where(*wanted)
                     .order_by(m.Job.created_at, m.Job.id).limit(1).scalar_subquery())
            job_id = session.execute(update(m.Job).where(m.Job.id == first,
                                                         m.Job.status == "queued")
                                     .values(status="running")
                                     .returning(m.Job.id)).scalar()
            if job_id is None:
                return None
            job = session.get(m.Job, job_id)
            assert job is not None
        job.status, job.worker = "running", worker
        job.started_at = job.heartbeat_at = audit.utcnow()
        job.attempts += 1
        session.flush()
        session.expunge(job)
        return job


def run_one(engine: Engine, job: m.Job) -> None:
    """Run a claimed job and store its outcome (and the outcome's audit event)."""
    import json

    status, result, error = "succeeded", None, None
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            try:
                beat(engine, job.id)
            except Exception:  # a missed beat is retried at the next one
                log.exception("heartbeat of job %s", job.id)

    pulse = threading.Thread(target=heartbeat, name=f"xuncha-beat-{job.id[:8]}", daemon=True)
    pulse.start()
    try:
        fn = HANDLERS[job.kind]
        result = fn(engine, job.id, json.loads(job.payload))
    except JobCancelled:
        status = "cancelled"
    except JobFailed as exc:
        status = "failed"
        error = {"code": exc.code, "message": str(exc), "zh": exc.zh, "en": exc.en,
                 "details": exc.details}
    except Exception as exc:  # the job fails; the worker lives on
        log.exception("job %s (%s) failed", job.id, job.kind)
        zh, _, en = str(exc).partition(" / ")
        status = "failed"
        error = {"code": type(exc).__name__, "message": str(exc), "zh": zh, "en": en or zh,
                 "details": None}
    finally:
        done.set()
        pulse.join()
    with transaction(engine, write=True) as session:
        row = session.get(m.Job, job.id, with_for_update=True)
        assert row is not None
        if row.cancel_requested and status == "succeeded":
            status = "cancelled"  # finished after the cancel: its result is not kept
            result = None
        row.status, row.finished_at = status, audit.utcnow()
        row.result = None if result is None else audit.canonical_json(result)
        row.error = None if error is None else audit.canonical_json(error)
        audit.record(session, row.actor, f"job.{status}", object_type="job",
                     object_key=row.id, data={"kind": row.kind, "error": error})


@dataclass
class Worker:
    """A thread that runs queued jobs until stopped; wake it when a job is queued."""

    engine: Engine
    poll_seconds: float = 1.0

    def __post_init__(self) -> None:
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="xuncha-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def drain(self) -> int:
        """Run queued jobs until none is left (tests and `xuncha jobs run`)."""
        done = 0
        while (job := claim(self.engine, self.name)) is not None:
            run_one(self.engine, job)
            done += 1
        return done

    def _loop(self) -> None:
        next_recovery = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_recovery:
                    recover(self.engine)
                    next_recovery = time.monotonic() + HEARTBEAT_SECONDS
                self.drain()
            except Exception:  # a database hiccup must not kill the worker
                log.exception("job worker")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
