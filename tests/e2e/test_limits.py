"""Request limits as a client meets them (in process; tests/e2e/test_serve_limits.py does
the same over real sockets): bodies over their limit are 413 before or while they are
read, an upload without a valid token is 401 before its body is read, failed tokens are
throttled per client with few audit rows, and errors repeat only a prefix of a value."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.app import create_app
from service.limits import UPLOAD_PATHS
from service.settings import Settings
from tests.e2e.api_client import Api

PLAN = {"key": "R-LIMIT", "name": "限制", "start": "2027-03-01", "end": "2027-04-30",
        "teams": [{"targets": ["U00003"]}]}


@pytest.fixture
def limited(sqlite_url: str) -> Iterator[Api]:
    """The app on an empty pool, with small limits and three failed tokens per minute."""
    settings = Settings(database_url=sqlite_url, run_jobs=False, max_body_bytes=4096,
                        max_upload_bytes=64 * 1024, auth_failures_per_window=3,
                        auth_failure_window_seconds=60)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client, sqlite_url)
        yield api
        api.engine.dispose()


def error_of(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["zh"] and error["en"] and error["message"]
    return error


def csv_upload(size: int) -> list[tuple[str, tuple[str, bytes]]]:
    line = "人员编号,姓名\n".encode()
    return [("files", ("persons.csv", line + b"P1,x\n" * ((size - len(line)) // 5)))]


def test_a_body_over_its_limit_is_413(limited: Api) -> None:
    api = limited
    big = api.post("/v1/rounds", "organizer", content=b"{" + b" " * 5000 + b"}",
                   headers={"content-type": "application/json"})
    error = error_of(big, 413)
    assert error["code"] == "payload_too_large" and error["field"] == "body"
    assert "4 KB" in error["zh"] and "4 KB" in error["en"]
    assert big.headers["connection"] == "close"  # the unread rest is not waited for
    assert big.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in big.headers["content-security-policy"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"plan": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    streamed = api.post("/v1/rounds", "organizer", content=chunks(),
                        headers={"content-type": "application/json"})
    assert error_of(streamed, 413)["code"] == "payload_too_large"
    # under the limit: answered by the endpoint itself (the pool is empty: no such unit)
    fits = api.post("/v1/rounds", "organizer", json={"plan": PLAN})
    assert fits.status_code == 422 and fits.json()["error"]["code"] != "payload_too_large"


def test_uploads_have_their_own_larger_limit(limited: Api) -> None:
    api = limited
    fits = api.post("/v1/imports", files=csv_upload(20_000), params={"dry_run": "true"})
    assert fits.status_code == 422, fits.text  # past the JSON limit, read and checked
    assert fits.json()["error"]["code"] == "import_rejected"
    over = error_of(api.post("/v1/imports", files=csv_upload(100_000)), 413)
    assert over["field"] == "files" and "64 KB" in over["zh"]


def test_every_upload_endpoint_has_the_upload_limit(limited: Api) -> None:
    schema = limited.client.get("/openapi.json").json()
    multipart = {path for path, operations in schema["paths"].items()
                 for op in operations.values()
                 if "multipart/form-data" in op.get("requestBody", {}).get("content", {})}
    assert multipart == set(UPLOAD_PATHS)


def asgi_post(app: FastAPI, path: str, headers: dict[str, str], length: int = 200 << 20,
              client: str = "10.1.1.1") -> tuple[int | None, int]:
    """POST through the ASGI app with a body announced but never sent: (status, how often
    the app asked for the body); the status is None when the app gave up unanswered."""
    asked = 0
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        await asyncio.sleep(0.5)  # the client is slow: whoever waits for the body waits
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": (client, 1234),
             "server": ("testserver", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in
                         {"content-length": str(length),
                          "content-type": "multipart/form-data; boundary=x",
                          **headers}.items()]}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return answer.get("status"), asked


def test_an_upload_is_refused_before_its_body_is_read(limited: Api) -> None:
    api = limited
    app: FastAPI = api.client.app  # type: ignore[assignment]
    assert asgi_post(app, "/v1/imports", {}) == (401, 0)
    assert asgi_post(app, "/v1/imports", {"authorization": "Basic eDp5"}) == (401, 0)
    guess = {"authorization": "Bearer xc_guess"}
    assert asgi_post(app, "/v1/imports", guess, length=10_000) == (401, 0)
    assert asgi_post(app, "/v1/imports", guess) == (413, 0)  # 200 MB: not even looked up
    admin = {"authorization": f"Bearer {api.token('admin')}"}
    assert asgi_post(app, "/v1/imports", admin) == (413, 0)
    assert asgi_post(app, "/v1/imports", admin, length=10_000)[1] > 0  # this one is read
    assert asgi_post(app, "/v1/rounds", {}) == (401, 0)  # any body to /v1 needs a token
    # the bad token counts as a failed sign-in and is audited like any other
    failed = api.get("/v1/audit/events", "auditor", params={"kind": "auth.failed"}).json()
    assert [(e["data"]["path"], e["data"]["client"]) for e in failed["items"]] == [
        ("/v1/imports", "10.1.1.1")]


def test_failed_tokens_are_throttled_per_client(limited: Api) -> None:
    api = limited
    bad = {"Authorization": "Bearer xc_not_a_token"}
    statuses = [api.get("/v1/policies", None, headers=bad).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    throttled = api.get("/v1/policies", "admin")  # even a good token: not looked at
    error = error_of(throttled, 429)
    assert error["code"] == "too_many_requests" and error["field"] == "Authorization"
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert str(int(throttled.headers["retry-after"])) in error["zh"]
    # an upload is refused as early as anything else
    assert api.post("/v1/imports", "admin", files=csv_upload(1000)).status_code == 429

    other = TestClient(api.client.app, client=("10.2.2.2", 1))  # the same running app
    good = other.get("/v1/policies", headers=api.headers("admin"))
    assert good.status_code == 200, good.text
    assert other.get("/v1/policies", headers=bad).status_code == 401
    events = other.get("/v1/audit/events", headers=api.headers("auditor"),
                       params={"kind": "auth.", "limit": 100}).json()["items"]
    summary = sorted((e["kind"], e["data"].get("client"), e["data"].get("failures"))
                     for e in events if e["kind"] != "auth.login")
    # one row for each client's first failure, one when the first client hit the limit
    assert summary == [("auth.failed", "10.2.2.2", None), ("auth.failed", "testclient", None),
                       ("auth.throttled", "testclient", 3)]


def test_errors_repeat_only_the_start_of_a_long_value(limited: Api) -> None:
    api = limited
    header = "名" * 300
    upload = [("files", ("persons.csv", f"{header},人员编号\n1,{'z' * 3000}\n".encode()))]
    error = error_of(api.post("/v1/imports", files=upload), 422)
    columns = {d["column"] for d in error["details"]}
    assert "名" * 80 + "…" in columns
    assert {d["value"] for d in error["details"]} >= {"z" * 80 + "…"}
    one_line = [("files", ("persons.csv", b"x" * (60 * 1024)))]
    settings = Settings(database_url=api.url, run_jobs=False, max_upload_bytes=4 << 20)
    with TestClient(create_app(settings), raise_server_exceptions=False) as roomy:
        big = roomy.post("/v1/imports", headers=api.headers("admin"),
                         files=[("files", ("persons.csv", b"y" * (3 << 20)))])
    error = error_of(big, 422)
    assert "第1行超过 1024 KB" in error["details"][0]["zh"] and len(big.content) < 2000
    small = error_of(api.post("/v1/imports", files=one_line), 422)
    assert all(len(d["column"] or "") <= 81 for d in small["details"])
    key = "k" * 3000
    invalid = error_of(api.post("/v1/rounds", "organizer", json={"plan": PLAN | {key: 1}}),
                       422)
    assert len(invalid["field"]) <= 81 and len(invalid["en"]) < 500
