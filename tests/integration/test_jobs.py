"""The job queue in the database: several workers never run one job twice (row locks with
SKIP LOCKED on PostgreSQL), failures and cancellations are recorded, workers survive."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import Engine, select

from pool import models as m
from pool.db import transaction
from service import audit, jobs

RUNS: Counter[str] = Counter()
LOCK = threading.Lock()


@jobs.handler("test.count")
def _count(_engine: Engine, job_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    time.sleep(0.01)
    with LOCK:
        RUNS[job_id] += 1
    return {"n": payload["n"]}


@jobs.handler("test.fail")
def _fail(_engine: Engine, _job_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("expected"):
        raise jobs.JobFailed("无法组队", "the round cannot be staffed", code="infeasible")
    raise ZeroDivisionError("boom")


@jobs.handler("test.wait")
def _wait(engine: Engine, job_id: str, _payload: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if jobs.cancelled(engine, job_id):
            raise jobs.JobCancelled
        time.sleep(0.02)
    return {}


def _queue(engine: Engine, kind: str, n: int = 1, **payload: Any) -> list[str]:
    with transaction(engine, write=True) as session:
        return [jobs.enqueue(session, kind, {"n": i, **payload}, actor="tests", scope=None).id
                for i in range(n)]


def _jobs(engine: Engine, ids: list[str]) -> dict[str, m.Job]:
    with transaction(engine) as session:
        rows = session.execute(select(m.Job).where(m.Job.id.in_(ids))).scalars().all()
        return {j.id: j for j in rows}


def test_three_workers_run_every_job_exactly_once(engine: Engine) -> None:
    ids = _queue(engine, "test.count", 40)
    workers = [jobs.Worker(engine) for _ in range(3)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    rows = _jobs(engine, ids)
    assert all(rows[i].status == "succeeded" and rows[i].attempts == 1 for i in ids)
    assert all(RUNS[i] == 1 for i in ids)
    assert {json.loads(rows[i].result or "{}")["n"] for i in ids} == set(range(40))
    assert len({rows[i].worker for i in ids}) >= 2  # the work was shared
    with transaction(engine) as session:
        done = session.execute(select(m.AuditEvent.object_key)
                               .where(m.AuditEvent.kind == "job.succeeded")).scalars().all()
        assert sorted(done) == sorted(ids)
        assert audit.verify(session).ok


def test_failures_are_recorded_in_words_and_the_worker_goes_on(engine: Engine) -> None:
    expected, crash = _queue(engine, "test.fail", expected=True), _queue(engine, "test.fail")
    after = _queue(engine, "test.count")
    jobs.Worker(engine).drain()
    rows = _jobs(engine, expected + crash + after)
    assert rows[expected[0]].status == "failed"
    error = json.loads(rows[expected[0]].error or "{}")
    assert error["code"] == "infeasible" and error["zh"] == "无法组队"
    assert rows[crash[0]].status == "failed"
    assert "boom" in json.loads(rows[crash[0]].error or "{}")["message"]
    assert rows[after[0]].status == "succeeded"


def test_a_queued_job_is_cancelled_at_once_and_a_running_one_at_its_next_check(
        engine: Engine) -> None:
    queued = _queue(engine, "test.count")[0]
    with transaction(engine, write=True) as session:
        job = session.get(m.Job, queued)
        assert job is not None
        assert jobs.cancel(session, job, "tests").status == "cancelled"
    running = _queue(engine, "test.wait")[0]
    worker = jobs.Worker(engine)
    thread = threading.Thread(target=worker.drain)
    thread.start()
    for _ in range(200):
        if _jobs(engine, [running])[running].status == "running":
            break
        time.sleep(0.02)
    with transaction(engine, write=True) as session:
        job = session.get(m.Job, running)
        assert job is not None
        jobs.cancel(session, job, "tests")
    thread.join(30)
    rows = _jobs(engine, [queued, running])
    assert rows[queued].status == "cancelled" and rows[queued].started_at is None
    assert rows[running].status == "cancelled" and rows[running].result is None


def test_a_job_whose_worker_died_is_queued_again_then_failed_after_three_tries(
        engine: Engine) -> None:
    job_id = _queue(engine, "test.count")[0]
    for attempt in (1, 2, 3):
        claimed = jobs.claim(engine, f"dead-worker-{attempt}")  # … and the process dies
        assert claimed is not None and claimed.id == job_id
        later = audit.utcnow() + jobs.STALE_AFTER + dt.timedelta(seconds=1)
        assert jobs.recover(engine, later) == [job_id]
        assert _jobs(engine, [job_id])[job_id].status == ("queued" if attempt < 3
                                                         else "failed")
    error = json.loads(_jobs(engine, [job_id])[job_id].error or "{}")
    assert error["code"] == "worker_lost" and "3" in error["zh"]
    # a live job (recent heartbeat) is left alone
    live = _queue(engine, "test.count")[0]
    assert jobs.claim(engine, "alive") is not None
    assert jobs.recover(engine) == []
    assert _jobs(engine, [live])[live].status == "running"
