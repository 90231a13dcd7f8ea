"""One scope rule, tested per endpoint (issue 12, item 2): a token scoped to 梅坞县
(320125) reads and changes only its subtree, through every path. The matrix is generated
from the app's own OpenAPI document: a new endpoint fails `test_every_endpoint_has_a_
scope_rule` until it is given one here, and then the matrix probes it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.api_client import Api
from tests.e2e.ceremony import deadline
from tests.e2e.test_api_rounds import ROUND

COUNTY = "320125"  # 梅坞县
COUNTY_UNIT = "U00178"  # 梅坞县市场监督管理局
OTHER_UNIT = "U00050"  # 东溪区 (320102)
ROLES = ("admin", "organizer", "approver", "auditor", "viewer", "supervisor")

# Every endpoint and how the scope rule reaches it:
#   reference  no regional data (codes, policies, health)
#   list       a list filtered to the scope
#   object     one object named in the path: outside the scope is a 403
#   unscoped   needs a token without a scope
#   body       objects named in the body: outside the scope is a 403
RULES: dict[str, str] = {
    "GET /v1/health": "reference", "GET /v1/policies": "reference",
    "GET /v1/policies/{name}": "reference", "GET /v1/regions": "reference",
    "GET /v1/regions/{code}": "reference", "GET /v1/systems": "reference",
    "GET /v1/systems/{code}": "reference", "GET /v1/skills": "reference",
    "GET /v1/skills/{code}": "reference", "GET /v1/pool/template.xlsx": "reference",
    "GET /v1/units": "list", "GET /v1/persons": "list", "GET /v1/cadres": "list",
    "GET /v1/employments": "list", "GET /v1/ties": "list", "GET /v1/participations": "list",
    "GET /v1/evaluations": "list", "GET /v1/rounds": "list", "GET /v1/audit/events": "list",
    "GET /v1/rounds/{round_key}/draws": "object",
    "GET /v1/units/{key}": "object", "GET /v1/persons/{key}": "object",
    "GET /v1/cadres/{key}": "object", "PATCH /v1/cadres/{key}": "object",
    "GET /v1/cadres/{key}/unavailability": "object",
    "POST /v1/cadres/{key}/unavailability": "object",
    "GET /v1/employments/{key}": "object", "GET /v1/ties/{key}": "object",
    "DELETE /v1/ties/{key}": "object",
    "GET /v1/participations/{round_key}/{person_key}": "object",
    "GET /v1/evaluations/{round_key}/{person_key}": "object",
    "GET /v1/rounds/{round_key}": "object", "POST /v1/rounds/{round_key}/draws": "object",
    "GET /v1/draws/{draw_id}": "object", "POST /v1/draws/{draw_id}/consent": "object",
    "POST /v1/draws/{draw_id}/commitments": "object",
    "POST /v1/draws/{draw_id}/reveals": "object",
    "POST /v1/draws/{draw_id}/public-value": "object",
    "POST /v1/draws/{draw_id}/rerun": "object",
    "POST /v1/rounds/{round_key}/proposals": "object",
    "GET /v1/proposals/{proposal_id}": "object",
    "POST /v1/proposals/{proposal_id}/changes": "object",
    "GET /v1/proposals/{proposal_id}/changes": "object",
    "GET /v1/proposals/{proposal_id}/teams/{team}/replacements": "object",
    "POST /v1/proposals/{proposal_id}/teams/{team}/departures": "object",
    "GET /v1/proposals/{proposal_id}/departures": "object",
    "POST /v1/proposals/{proposal_id}/approve": "object",
    "POST /v1/proposals/{proposal_id}/replay": "object",
    "GET /v1/proposals/{proposal_id}/report.xlsx": "object",
    "GET /v1/proposals/{proposal_id}/report.pdf": "object",
    "GET /v1/jobs/{job_id}": "object", "POST /v1/jobs/{job_id}/cancel": "object",
    "POST /v1/imports": "unscoped", "GET /v1/exports": "unscoped",
    "GET /v1/audit/verify": "unscoped", "POST /v1/audit/checkpoints": "unscoped",
    "GET /v1/recusals/check": "body", "POST /v1/screenings": "body",
    "POST /v1/rounds": "body", "POST /v1/ties": "body",
}

BODIES: dict[str, dict[str, Any]] = {
    "PATCH /v1/cadres/{key}": {"leader_pool": True},
    "POST /v1/cadres/{key}/unavailability": {"start": "2027-01-01", "end": "2027-01-31",
                                             "reason": "范围测试"},
    "POST /v1/rounds/{round_key}/draws": {"reveal_by": deadline(hours=24 * 30)},
    "POST /v1/draws/{draw_id}/consent": {},
    "POST /v1/draws/{draw_id}/commitments": {"commitment": "0" * 64},
    "POST /v1/draws/{draw_id}/reveals": {"secret": "0" * 64},
    "POST /v1/draws/{draw_id}/public-value": {"value": "123"},
    "POST /v1/draws/{draw_id}/rerun": {},
    "POST /v1/rounds/{round_key}/proposals": {"seed": 1},
    "POST /v1/proposals/{proposal_id}/changes": {"op": "remove", "team": 1,
                                                 "cadre": "P00000367", "reason": "范围测试"},
    "POST /v1/proposals/{proposal_id}/teams/{team}/departures": {
        "leaving": "P00000367", "reason": "illness", "date": "2027-03-15"},
    "POST /v1/proposals/{proposal_id}/approve": {},
    "POST /v1/proposals/{proposal_id}/replay": {},
    "POST /v1/jobs/{job_id}/cancel": {},
}


def operations(api: Api) -> set[str]:
    paths = api.client.get("/openapi.json").json()["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item}


def test_every_endpoint_has_a_scope_rule(sqlite_api: Api) -> None:
    missing = operations(sqlite_api) - set(RULES)
    assert not missing, f"endpoints without a scope rule in this test: {sorted(missing)}"


def _city_world(api: Api) -> dict[str, str]:
    """A round of the whole city (outside the county) with a trial proposal, its job and
    a draw opened; and an out-of-county cadre, unit, person, tie and employment."""
    assert api.post("/v1/rounds", "organizer", json={"plan": ROUND,
                                                     "region": "320100"}).status_code == 201
    job = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    assert job["status"] == "succeeded", job
    draw = api.post("/v1/rounds/R2027-01/draws", "organizer",
                    json={"reveal_by": deadline(hours=24 * 30)})
    assert draw.status_code == 201, draw.text
    # a cadre of 东溪区 who never worked in the county (a person who once did is part of
    # the county's records too)
    candidates = api.get("/v1/cadres", "admin", params={"region": "320102", "limit": 30})
    cadre = next(c["person_key"] for c in candidates.json()["items"] if api.call(
        "GET", f"/v1/persons/{c['person_key']}", "viewer", COUNTY).status_code == 403)
    tie = api.get("/v1/ties", "admin", params={"limit": 1}).json()["items"][0]
    emp = api.get("/v1/employments", "admin",
                  params={"unit": OTHER_UNIT, "limit": 1}).json()["items"]
    part = api.get("/v1/participations", "admin", params={"limit": 500}).json()["items"]
    return {"round_key": "R2027-01", "proposal_id": str(job["result"]["proposal_id"]),
            "job_id": job["id"], "draw_id": str(draw.json()["id"]),
            "key": cadre, "unit": OTHER_UNIT,
            "tie": tie["key"], "employment": emp[0]["key"] if emp else "E-none",
            "participation": f"{part[0]['round_key']}/{part[0]['person_key']}"}


def _path(op: str, world: dict[str, str]) -> str:
    path = op.split(" ", 1)[1]
    if "/participations/" in path or "/evaluations/" in path:
        return re.sub(r"\{round_key\}/\{person_key\}", world["participation"], path)
    values = {"round_key": world["round_key"], "proposal_id": world["proposal_id"],
              "job_id": world["job_id"], "draw_id": world["draw_id"], "team": "1"}
    if path.endswith("/replacements"):
        path += "?leaving=P00000367"
    if path.startswith("/v1/units/"):
        values["key"] = world["unit"]
    elif path.startswith("/v1/ties/"):
        values["key"] = world["tie"]
    elif path.startswith("/v1/employments/"):
        values["key"] = world["employment"]
    else:
        values["key"] = world["key"]
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_a_county_token_reaches_nothing_outside_its_county(sqlite_api: Api) -> None:
    """Every object endpoint, every role: the county token never gets a 2xx for an
    object of the city round or another county, and the answer names none of the
    round's members."""
    api = sqlite_api
    world = _city_world(api)
    members = {x for t in api.get(f"/v1/proposals/{world['proposal_id']}", "admin")
               .json()["teams"] for m in t["members"] for x in (m["key"], m["name"])}
    probed = 0
    for op, rule in sorted(RULES.items()):
        if rule != "object":
            continue
        method = op.split(" ", 1)[0]
        path = _path(op, world)
        for role in ROLES:
            r = api.call(method, path, role, COUNTY, json=BODIES.get(op))
            probed += 1
            assert r.status_code in (403, 404), (role, op, path, r.status_code, r.text[:300])
            assert not any(x in r.text for x in members), (role, op)
    assert probed == 6 * sum(1 for r in RULES.values() if r == "object")
    # nothing was changed by all of that: the city round still has its one draw, open
    draws = api.get("/v1/rounds/R2027-01/draws", "admin").json()
    assert [d["status"] for d in draws] == ["committing"]


def test_lists_hold_only_the_county(sqlite_api: Api) -> None:
    api = sqlite_api
    _city_world(api)
    mine = ROUND | {"key": "R-MW-01", "teams": [{"targets": [COUNTY_UNIT]}]}
    assert api.call("POST", "/v1/rounds", "organizer", COUNTY,
                    json={"plan": mine}).status_code == 201
    rounds = api.call("GET", "/v1/rounds", "auditor", COUNTY).json()["items"]
    assert [r["key"] for r in rounds] == ["R-MW-01"]
    cadres = api.call("GET", "/v1/cadres", "auditor", COUNTY, params={"limit": 500}).json()
    assert cadres["total"] == 92 and all(c["region_code"].startswith(COUNTY)
                                         for c in cadres["items"])
    units = api.call("GET", "/v1/units", "auditor", COUNTY, params={"limit": 500}).json()
    assert units["items"] and all(u["region_code"].startswith(COUNTY) for u in units["items"])
    # the audit log: the county's own round is there, the city round's events are not
    events = api.call("GET", "/v1/audit/events", "auditor", COUNTY,
                      params={"limit": 500}).json()["items"]
    assert {e["region"] for e in events} <= {COUNTY}
    keys = {e["object_key"] for e in events}
    assert "R-MW-01" in keys and "R2027-01" not in keys
    everything = api.get("/v1/audit/events", "auditor", params={"limit": 500}).json()
    assert any(e["object_key"] == "R2027-01" for e in everything["items"])


def test_a_county_round_stays_in_the_county(sqlite_api: Api) -> None:
    """Targets, pool_region and cross groups outside the creator's county are refused
    (and audited); the county's round draws only county cadres."""
    api = sqlite_api
    # the county inspects its own units: the region rule applies at the town level
    county_plan = ROUND | {"key": "R-MW-02", "teams": [{"targets": [COUNTY_UNIT]}],
                           "region_level": "town"}
    before = api.get("/v1/rounds", "admin").json()["total"]  # the sample's past rounds
    for bad, field in (({"teams": [{"targets": [OTHER_UNIT]}]}, "teams"),
                       ({"pool_region": "320102"}, "pool_region"),
                       ({"region": "320100"}, "region")):
        r = api.call("POST", "/v1/rounds", "organizer", COUNTY,
                     json={"plan": county_plan | bad})
        assert r.status_code == 403, (bad, r.text)
        assert r.json()["error"]["field"] == field and COUNTY in r.json()["error"]["zh"]
    cross = {"key": "X-MW", "name": "交叉巡察", "start": "2027-03-01", "end": "2027-04-30",
             "groups": [{"region": COUNTY, "targets": [[COUNTY_UNIT]]},
                        {"region": "320124", "targets": [["U00160"]]}]}
    r = api.call("POST", "/v1/rounds", "organizer", COUNTY, json={"cross": cross})
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_scope", r.text
    denied = api.get("/v1/audit/events", "auditor",
                     params={"kind": "auth.denied", "limit": 100}).json()["items"]
    assert len([e for e in denied if e["data"]["path"] == "/v1/rounds"]) == 4
    assert api.get("/v1/rounds", "admin").json()["total"] == before  # nothing half written
    assert api.call("POST", "/v1/rounds", "organizer", COUNTY,
                    json={"plan": county_plan}).status_code == 201
    job = api.call("POST", "/v1/rounds/R-MW-02/proposals", "organizer", COUNTY,
                   json={"seed": 5}).json()
    done = api.wait(job["job_id"], "admin")
    assert done["status"] == "succeeded", done
    proposal = api.get(f"/v1/proposals/{done['result']['proposal_id']}", "admin").json()
    keys = [m["key"] for t in proposal["teams"] for m in t["members"]]
    assert keys, (proposal["status"], proposal["diagnosis"])
    for key in keys:
        assert api.get(f"/v1/cadres/{key}", "admin").json()["region_code"].startswith(COUNTY)
    # and the county's auditor may read that job, though an unscoped organizer's would not
    assert api.call("GET", f"/v1/jobs/{job['job_id']}", "auditor", COUNTY).status_code == 200


@pytest.mark.parametrize("named", [True, False])
def test_a_county_screening_covers_the_county_only(sqlite_api: Api, named: bool) -> None:
    api = sqlite_api
    far = api.call("POST", "/v1/screenings", "auditor", COUNTY,
                   json={"units": [OTHER_UNIT], "as_of": "2026-11-01"})
    assert far.status_code == 403 and OTHER_UNIT in far.json()["error"]["zh"]
    other_cadre = api.get("/v1/cadres", "admin", params={"region": "320102", "limit": 1}
                          ).json()["items"][0]["person_key"]
    far = api.call("POST", "/v1/screenings", "auditor", COUNTY, json={
        "units": [COUNTY_UNIT], "cadres": [other_cadre], "as_of": "2026-11-01"})
    assert far.status_code == 403 and far.json()["error"]["field"] == "cadres"
    body: dict[str, Any] = {"units": [COUNTY_UNIT], "as_of": "2026-11-01"}
    if named:
        body["cadres"] = ["P00000367"]
    r = api.call("POST", "/v1/screenings", "auditor", COUNTY, json=body)
    assert r.status_code == 202, r.text
    job = api.wait(r.json()["job_id"], "admin")
    assert job["status"] == "succeeded", job
    assert job["result"]["cadres"] == (1 if named else 92)
    regions = {api.get(f"/v1/cadres/{x['cadre']}", "admin").json()["region_code"]
               for x in job["result"]["recusals"]}
    assert regions and all(r.startswith(COUNTY) for r in regions)
