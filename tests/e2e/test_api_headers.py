"""HTTP hygiene every client sees: no MIME sniffing, no caching of personal data, no
framing or active content for API answers, and a 405 that says which methods exist."""

from __future__ import annotations

from tests.e2e.api_client import Api


def test_every_api_answer_carries_the_protective_headers(sqlite_api: Api) -> None:
    api = sqlite_api
    answers = [api.get("/v1/health", None), api.get("/v1/cadres", "organizer"),
               api.get("/v1/cadres", None),  # 401
               api.get("/v1/audit/events", "viewer"),  # 403
               api.post("/v1/rounds", "organizer", json={}),  # 422
               api.get("/v1/nowhere", None)]  # 404
    assert [r.status_code for r in answers] == [200, 200, 401, 403, 422, 404]
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", r.request.url
        assert r.headers["cache-control"] == "no-store", r.request.url
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_a_method_not_allowed_says_which_are(sqlite_api: Api) -> None:
    api = sqlite_api
    r = api.call("DELETE", "/v1/rounds", "organizer")
    assert r.status_code == 405, r.text
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    error = r.json()["error"]
    assert error["code"] == "http_405" and error["zh"] == "不支持这个方法"
    for method in ("OPTIONS", "HEAD"):
        r = api.call(method, "/v1/health", None)
        assert r.status_code == 405 and "GET" in r.headers["allow"], (method, r.headers)
