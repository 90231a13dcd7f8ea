"""`xuncha serve` as a real uvicorn process over real HTTP: tokens from the CLI, a recusal
check, 401 without a token, 403 for a viewer, a clean SIGTERM stop with no orphan; and on
PostgreSQL two worker processes that share the job queue without running a job twice."""

from __future__ import annotations

import signal
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pool import models as m
from pool.db import make_engine
from tests.e2e.serve_process import Server, create_token, serving, stop

CHECK = {"cadre": "P00000367", "unit": "U00178", "as_of": "2026-11-01"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_stops_cleanly(server: Server) -> None:
    seen = server.processes()
    stopped = stop(server)
    assert not stopped.killed, f"SIGTERM did not stop the server:\n{server.log_tail()}"
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it to exit (status -15)
    assert stopped.returncode in (0, -signal.SIGTERM), server.log_tail()
    assert not server.survivors(), f"orphans: {server.survivors()} of {seen}"


def test_serve_answers_recusal_checks_and_refuses_without_rights(city_url: str) -> None:
    admin, viewer = create_token(city_url, "admin"), create_token(city_url, "viewer")
    with serving(city_url) as server, httpx.Client(base_url=server.base_url,
                                                   timeout=60) as http:
        health = http.get("/v1/health").json()
        dialect = "postgresql" if city_url.startswith("postgresql") else "sqlite"
        assert health == {"status": "ok", "database": dialect}

        r = http.get("/v1/recusals/check", params=CHECK, headers=bearer(admin))
        assert r.status_code == 200, r.text
        check = r.json()
        assert check["recused"] is True and check["cadre"] == "P00000367"
        assert check["roles"] and check["text_zh"] and check["text_en"]

        anonymous = http.get("/v1/recusals/check", params=CHECK)
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert anonymous.json()["error"]["field"] == "Authorization"

        denied = http.get("/v1/recusals/check", params=CHECK, headers=bearer(viewer))
        assert denied.status_code == 403, denied.text
        assert denied.json()["error"]["code"] == "forbidden"
        events = http.get("/v1/audit/events", headers=bearer(admin),
                          params={"kind": "auth.denied"}).json()
        assert [e["data"]["path"] for e in events["items"]] == ["/v1/recusals/check"]

        assert_stops_cleanly(server)


def wait_job(http: httpx.Client, job_id: str, token: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}", headers=bearer(token)).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout}s")


@pytest.mark.postgres
def test_two_workers_run_each_job_exactly_once(city_pg_url: str) -> None:
    admin = create_token(city_pg_url, "admin")
    # both workers poll the queue often, so they race for every job
    with serving(city_pg_url, workers=2, env={"XUNCHA_JOB_POLL_SECONDS": "0.05"}) as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as http:
        workers = {p.pid for p in server.workers()}
        assert len(workers) == 2, server.processes()
        queued = []
        for _ in range(4):
            r = http.post("/v1/screenings", headers=bearer(admin),
                          json={"units": ["U00178"], "as_of": "2026-11-01"})
            assert r.status_code == 202, r.text
            queued.append(r.json()["job_id"])
        done = [wait_job(http, job_id, admin) for job_id in queued]
        assert [j["status"] for j in done] == ["succeeded"] * 4, done
        assert any(x["cadre"] == "P00000367" for x in done[0]["result"]["recusals"])

        engine = make_engine(city_pg_url)
        with engine.connect() as conn:
            rows = conn.execute(select(m.Job.id, m.Job.attempts, m.Job.worker)
                                .where(m.Job.id.in_(queued))).all()
        engine.dispose()
        assert sorted((r.id, r.attempts) for r in rows) == sorted((j, 1) for j in queued)
        # the worker names carry the pid of the process that ran the job
        assert {int(r.worker.split(":")[-2]) for r in rows} <= workers
        for job_id in queued:
            events = http.get("/v1/audit/events", headers=bearer(admin), params={
                "object_type": "job", "object_key": job_id}).json()["items"]
            assert sorted(e["kind"] for e in events) == ["job.queued", "job.succeeded"]

        assert_stops_cleanly(server)


def test_a_write_is_committed_before_its_answer_leaves(city_url: str) -> None:
    """Read-your-writes over real HTTP: a `201` means the row is there for the very next
    request (the transaction commits before the response is sent, not after)."""
    organizer = create_token(city_url, "organizer")
    plan = {"name": "读己之写", "start": "2027-03-01", "end": "2027-04-30",
            "teams": [{"targets": ["U00003"]}]}
    with serving(city_url) as server, httpx.Client(base_url=server.base_url,
                                                   timeout=60) as http:
        missing = []
        for i in range(20):
            key = f"RW-{i}"
            made = http.post("/v1/rounds", headers=bearer(organizer),
                             json={"plan": plan | {"key": key}})
            assert made.status_code == 201, made.text
            seen = http.get(f"/v1/rounds/{key}", headers=bearer(organizer))
            if seen.status_code != 200:
                missing.append((key, seen.status_code))
        assert missing == [], f"answered 201 but not yet committed: {missing}"
        assert_stops_cleanly(server)
