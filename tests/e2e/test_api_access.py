"""Who may do what: each role's allowed and forbidden calls, region scope on rounds and
recusal checks, and every denial is a 403 that lands in the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.api_client import Api
from tests.e2e.ceremony import deadline
from tests.e2e.test_api_rounds import ROUND

ROLES = ("admin", "organizer", "approver", "auditor", "viewer", "supervisor")
READERS = {"admin", "organizer", "approver", "auditor"}  # recusal checks and screenings
ROUND_READERS = READERS | {"supervisor"}  # rounds, draws and proposals
SENSITIVE = {"admin", "organizer", "auditor"}  # kinship ties, ID numbers, employments
CHECK = {"cadre": "P00000367", "unit": "U00178", "as_of": "2026-11-01"}
DEADLINE = deadline(hours=24 * 30)  # a month ahead: still in the future when the test runs

# (method, path, json body or None, roles allowed)
CALLS: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/v1/policies", None, set(ROLES)),
    ("GET", "/v1/cadres", None, set(ROLES)),
    ("GET", "/v1/ties", None, SENSITIVE),
    ("GET", "/v1/recusals/check", None, READERS),
    ("POST", "/v1/screenings", {"units": ["U00178"], "cadres": ["P00000367"],
                                "as_of": "2026-11-01"}, READERS),
    ("GET", "/v1/rounds", None, ROUND_READERS),
    ("POST", "/v1/rounds", {"plan": ROUND}, {"admin", "organizer"}),
    ("POST", "/v1/rounds/R2027-01/draws", {"reveal_by": DEADLINE}, {"admin", "organizer"}),
    ("GET", "/v1/draws/1", None, ROUND_READERS),
    ("POST", "/v1/draws/1/commitments", {"commitment": "0" * 64},
     {"organizer", "supervisor"}),
    ("POST", "/v1/draws/1/reveals", {"secret": "0" * 64}, {"organizer", "supervisor"}),
    ("POST", "/v1/draws/1/consent", {}, {"admin", "approver", "supervisor"}),
    ("POST", "/v1/rounds/R2027-01/proposals", {"seed": 1}, {"admin", "organizer"}),
    ("GET", "/v1/proposals/1", None, ROUND_READERS),
    ("POST", "/v1/proposals/1/changes", {"op": "remove", "team": 1, "cadre": "P00000367",
                                         "reason": "测试权限"}, {"admin", "organizer"}),
    ("POST", "/v1/proposals/1/approve", {}, {"admin", "approver"}),
    ("GET", "/v1/audit/events", None, {"admin", "auditor"}),
    ("GET", "/v1/audit/verify", None, {"admin", "auditor"}),
    ("POST", "/v1/audit/checkpoints", None, {"admin", "auditor"}),
]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_exactly_what_it_is_allowed(sqlite_api: Api, role: str) -> None:
    denied = 0
    for method, path, body, allowed in CALLS:
        params = CHECK if path.endswith("/check") else None
        r = sqlite_api.call(method, path, role, json=body, params=params)
        if role in allowed:
            assert r.status_code not in (401, 403), (role, method, path, r.text)
        else:
            denied += 1
            assert r.status_code == 403, (role, method, path, r.status_code)
            error = r.json()["error"]
            assert error["code"] == "forbidden" and error["zh"] and error["en"]
    events = sqlite_api.get("/v1/audit/events", "auditor",
                            params={"kind": "auth.denied", "limit": 500}).json()
    mine = [e for e in events["items"] if e["data"].get("role") == role]
    assert len(mine) == denied


def test_missing_and_bad_tokens_are_401_and_failed_logins_are_audited(sqlite_api: Api) -> None:
    assert sqlite_api.get("/v1/policies", None).status_code == 401
    bad = sqlite_api.get("/v1/policies", None, headers={"Authorization": "Bearer xc_nope"})
    assert bad.status_code == 401 and bad.json()["error"]["field"] == "Authorization"
    failed = sqlite_api.get("/v1/audit/events", "auditor",
                            params={"kind": "auth.failed"}).json()
    assert failed["total"] == 1
    logins = sqlite_api.get("/v1/audit/events", "auditor", params={"kind": "auth.login"})
    assert logins.json()["total"] >= 1


def test_a_county_token_sees_only_its_subtree(sqlite_api: Api) -> None:
    county = "320125"  # 梅坞县
    city_round = sqlite_api.post("/v1/rounds", "organizer",
                                 json={"plan": ROUND, "region": "320100"})
    assert city_round.status_code == 201
    county_plan = ROUND | {"key": "R-MW-01", "teams": [{"targets": ["U00178"]}]}
    mine = sqlite_api.call("POST", "/v1/rounds", "organizer", county, json={"plan": county_plan})
    assert mine.status_code == 201 and mine.json()["region"] == county
    listed = sqlite_api.call("GET", "/v1/rounds", "organizer", county).json()
    assert {r["key"] for r in listed["items"]} == {"R-MW-01"}
    assert sqlite_api.call("GET", "/v1/rounds/R2027-01", "organizer", county).status_code \
        == 403
    # a round for the whole city cannot be planned from a county token
    assert sqlite_api.call("POST", "/v1/rounds", "organizer", county, json={
        "plan": ROUND | {"key": "R-X"}, "region": "320100"}).status_code == 403
    # recusal checks: the county's own cadre and unit yes, a city unit no
    cadre_in_county = sqlite_api.call("GET", "/v1/recusals/check", "auditor", county,
                                      params=CHECK)
    assert cadre_in_county.status_code == 200 and cadre_in_county.json()["recused"]
    city_unit = sqlite_api.call("GET", "/v1/recusals/check", "auditor", county,
                                params=CHECK | {"unit": "U00003"})
    assert city_unit.status_code == 403
    assert "320125" in city_unit.json()["error"]["en"]
