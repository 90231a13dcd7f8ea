"""A small driver for the HTTP API in tests: a TestClient on one database, tokens for
each role, and job polling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient

from pool.db import make_engine, transaction
from service import audit
from service.app import create_app
from service.auth import Role, issue_token
from service.settings import Settings


class Api:
    def __init__(self, client: TestClient, url: str) -> None:
        self.client = client
        self.url = url
        self.engine = make_engine(url)
        self._tokens: dict[tuple[str, str | None], str] = {}

    def token(self, role: str, scope: str | None = None) -> str:
        key = (role, scope)
        if key not in self._tokens:
            with transaction(self.engine) as session:
                issued = issue_token(session, name=f"test-{role}", role=Role(role),
                                     scope=scope, created_by="tests", now=audit.utcnow())
            self._tokens[key] = issued.secret
        return self._tokens[key]

    def headers(self, role: str, scope: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, scope)}"}

    def call(self, method: str, path: str, role: str | None = "admin",
             scope: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if role is not None:
            headers = {**self.headers(role, scope), **headers}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, role: str | None = "admin", **kw: Any) -> httpx.Response:
        return self.call("GET", path, role, **kw)

    def post(self, path: str, role: str | None = "admin", **kw: Any) -> httpx.Response:
        return self.call("POST", path, role, **kw)

    def wait(self, job_id: str, role: str = "admin", timeout: float = 240.0) -> dict[str, Any]:
        """Poll a job until it is final; returns the job."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(f"/v1/jobs/{job_id}", role).json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['status']} after {timeout}s")
            time.sleep(0.05)

    def run_job(self, method: str, path: str, role: str = "admin",
                **kw: Any) -> dict[str, Any]:
        """Call an endpoint that answers 202 and wait for its job."""
        r = self.call(method, path, role, **kw)
        assert r.status_code == 202, r.text
        return self.wait(r.json()["job_id"], role)


@contextmanager
def running_api(url: str, *, run_jobs: bool = True) -> Iterator[Api]:
    settings = Settings(database_url=url, run_jobs=run_jobs, job_poll_seconds=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client, url)
        try:
            yield api
        finally:
            api.engine.dispose()
