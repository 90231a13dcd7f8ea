"""Ranked replacements over the API (issue 15 item 1): on the sample city, who could take a
leaving member's seat, best first, each option one the service accepts when it is applied
as a swap; refused exactly as a change is (roles, scope, status), and never a name to a
role that may not see them before approval."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.api_client import Api
from tests.e2e.test_api_rounds import ROUND, draw, members, plan
from tests.e2e.test_api_scope import COUNTY, COUNTY_UNIT

UNIT = re.compile(r"^.+（U\d+）$")


def ranking(api: Api, pid: int, team: int, leaving: str, role: str = "organizer",
            **params: Any) -> dict[str, Any]:
    r = api.get(f"/v1/proposals/{pid}/teams/{team}/replacements", role,
                params={"leaving": leaving} | params)
    assert r.status_code == 200, r.text
    return r.json()


def swap(api: Api, pid: int, team: int, leaving: str, replacement: str) -> Any:
    return api.post(f"/v1/proposals/{pid}/changes", "organizer", json={
        "op": "swap", "team": team, "cadre": leaving, "replacement": replacement,
        "reason": "原成员因病住院，按替换建议调整"})


def seat(proposal: dict[str, Any], team: int, role: str) -> dict[str, Any]:
    return next(x for x in proposal["teams"][team - 1]["members"] if x["role"] == role)


def test_the_best_replacement_is_accepted_and_scores_as_the_ranking_said(api: Api) -> None:
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    pid = proposal["id"]
    seated = members(proposal)
    leaving = seat(proposal, 1, "member")
    r = ranking(api, pid, 1, leaving["key"])
    assert (r["proposal_id"], r["team"], r["leaving"], r["role"]) == \
        (pid, 1, leaving["key"], "member")
    assert r["leaving_name"] == leaving["name"] and r["objective"] == proposal["objective"]
    options = r["options"]
    assert len(options) == 20 and r["eligible"] > 20 and r["none_zh"] is None
    assert r["considered"] > r["eligible"]
    assert [o["rank"] for o in options] == list(range(1, 21))
    changes = [o["objective_change"] for o in options]
    assert changes == sorted(changes, reverse=True)
    assert not {o["cadre"] for o in options} & set(seated)  # nobody already on a team
    excluded = {e["code"]: e["count"] for e in r["excluded"]}
    assert excluded["on_team"] == len(seated) - 1
    assert sum(excluded.values()) == r["considered"] - r["eligible"]
    first = options[0]
    assert UNIT.match(first["home_unit"]) and first["name"] and first["role"] == "member"
    assert all(re.match(r"^\S+ [a-z_]+$", s) for s in first["skills"])  # "财务 finance"
    assert first["why_zh"] and first["why_en"] and "调整后目标值最高" in first["why_zh"]
    assert {t["name"] for t in first["terms"]} == set(proposal["terms"])
    assert {t["name"]: t["before"] for t in first["terms"]} == proposal["terms"]
    # the first option, applied as a swap with a reason, is accepted and scores as promised
    applied = swap(api, pid, 1, leaving["key"], first["cadre"])
    assert applied.status_code == 200, applied.text
    after = applied.json()
    assert after["objective"] == proposal["objective"] + first["objective_change"]
    assert after["terms"] == {t["name"]: t["after"] for t in first["terms"]}
    placed = next(x for x in after["teams"][0]["members"] if x["key"] == first["cadre"])
    assert placed["placed"] == "by_hand" and placed["role"] == "member"
    # the ranking reads the proposal as changed: the new member's seat, the old one free
    again = ranking(api, pid, 1, first["cadre"], limit=200)
    assert again["objective"] == after["objective"]
    assert again["leaving"] == first["cadre"] and again["excluded"][0]["code"] == "on_team"
    # once approved, the proposal refuses, as a change would
    approved = api.post(f"/v1/proposals/{pid}/approve", "approver", json={"note": "同意"})
    assert approved.status_code == 200, approved.text
    late = api.get(f"/v1/proposals/{pid}/teams/1/replacements", "organizer",
                   params={"leaving": first["cadre"]})
    assert late.status_code == 409 and "只有草案可以调整" in late.json()["error"]["zh"]


def test_every_listed_option_is_accepted_when_applied(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    pid = proposal["id"]
    objective = proposal["objective"]
    tried = 0
    for team, role in ((1, "leader"), (2, "deputy"), (3, "member")):
        leaving = seat(proposal, team, role)["key"]
        r = ranking(api, pid, team, leaving, limit=60)
        assert r["role"] == role and r["options"], r["none_zh"]
        picks = sorted({0, 1, len(r["options"]) // 2, len(r["options"]) - 1})
        for i in picks:  # each applied to the proposal as drawn, then swapped back
            option = r["options"][i]
            there = swap(api, pid, team, leaving, option["cadre"])
            assert there.status_code == 200, (team, role, option, there.text)
            assert there.json()["objective"] == objective + option["objective_change"]
            back = swap(api, pid, team, option["cadre"], leaving)
            assert back.status_code == 200, back.text
            assert back.json()["objective"] == objective
            tried += 1
    assert tried >= 9


def test_someone_the_pool_now_marks_unavailable_is_not_suggested(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    leaving = seat(proposal, 2, "member")["key"]
    first = ranking(api, proposal["id"], 2, leaving)["options"][0]["cadre"]
    away = api.post(f"/v1/cadres/{first}/unavailability", "organizer", json={
        "start": "2027-03-10", "end": "2027-03-31", "reason": "外出学习"})
    assert away.status_code in (200, 201), away.text
    r = ranking(api, proposal["id"], 2, leaving)
    assert first not in {o["cadre"] for o in r["options"]}
    assert {e["code"]: e["count"] for e in r["excluded"]}["unavailable"] == 1


def test_roles_that_may_not_change_or_see_names_get_nothing(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    job = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    assert job["status"] == "succeeded", job
    pid = job["result"]["proposal_id"]
    proposal = api.get(f"/v1/proposals/{pid}", "organizer").json()
    names = {x for t in proposal["teams"] for m in t["members"] for x in (m["key"], m["name"])}
    leaving = seat(proposal, 1, "member")["key"]
    path = f"/v1/proposals/{pid}/teams/1/replacements"
    assert ranking(api, pid, 1, leaving, role="admin")["options"]
    for role in ("auditor", "supervisor", "approver", "viewer"):
        r = api.get(path, role, params={"leaving": leaving})
        assert r.status_code == 403, (role, r.text)
        assert r.json()["error"]["zh"] and r.json()["error"]["en"]
        assert not [x for x in names if x in r.text], role
    # a sealed role does not get names by guessing a member's key either: same answer
    guessed = api.get(path, "auditor", params={"leaving": "P99999999"})
    assert guessed.status_code == 403
    assert guessed.json()["error"] == api.get(path, "auditor",
                                              params={"leaving": leaving}).json()["error"]
    denied = api.get("/v1/audit/events", "auditor",
                     params={"kind": "auth.denied", "limit": 100}).json()["items"]
    assert len([e for e in denied if e["data"]["path"] == path]) == 6


def test_a_county_token_reaches_only_its_county(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json={"plan": ROUND,
                                                     "region": "320100"}).status_code == 201
    job = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    city = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "organizer").json()
    leaving = seat(city, 1, "member")["key"]
    outside = api.call("GET", f"/v1/proposals/{city['id']}/teams/1/replacements",
                       "organizer", COUNTY, params={"leaving": leaving})
    assert outside.status_code == 403 and leaving not in outside.text
    assert COUNTY in outside.json()["error"]["zh"]
    # the county's own round: every suggestion is a cadre the county token may read
    mine = ROUND | {"key": "R-MW-02", "teams": [{"targets": [COUNTY_UNIT]}],
                    "region_level": "town"}
    assert api.call("POST", "/v1/rounds", "organizer", COUNTY,
                    json={"plan": mine}).status_code == 201
    queued = api.call("POST", "/v1/rounds/R-MW-02/proposals", "organizer", COUNTY,
                      json={"seed": 5}).json()
    done = api.wait(queued["job_id"], "admin")
    assert done["status"] == "succeeded", done
    own = api.call("GET", f"/v1/proposals/{done['result']['proposal_id']}", "organizer",
                   COUNTY).json()
    member = seat(own, 1, "member")["key"]
    r = api.call("GET", f"/v1/proposals/{own['id']}/teams/1/replacements", "organizer",
                 COUNTY, params={"leaving": member, "limit": 8})
    assert r.status_code == 200, r.text
    assert r.json()["options"]
    for option in r.json()["options"]:
        assert api.call("GET", f"/v1/cadres/{option['cadre']}", "viewer",
                        COUNTY).status_code == 200


def test_bad_questions_are_answered_field_by_field(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    job = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    pid = job["result"]["proposal_id"]
    proposal = api.get(f"/v1/proposals/{pid}", "organizer").json()
    member = seat(proposal, 1, "member")["key"]
    other_team = seat(proposal, 2, "member")["key"]

    def error(path: str, status: int, **params: Any) -> dict[str, Any]:
        r = api.get(path, "organizer", params=params)
        assert r.status_code == status, r.text
        body = r.json()["error"]
        assert body["zh"] and body["en"] and "Traceback" not in r.text
        return dict(body)

    base = f"/v1/proposals/{pid}/teams"
    assert error(f"{base}/9/replacements", 422, leaving=member)["field"] == "team"
    assert error(f"{base}/9/replacements", 422, leaving=member)["zh"] == "没有第9组"
    wrong = error(f"{base}/1/replacements", 422, leaving=other_team)
    assert wrong["field"] == "leaving" and wrong["en"] == f"{other_team} is not on team 1"
    # the request's own checks name the parameter where it was given
    assert error(f"{base}/1/replacements", 422)["field"] == "query.leaving"  # none given
    assert error(f"{base}/1/replacements", 422, leaving=member,
                 limit=0)["field"] == "query.limit"
    assert error(f"{base}/0/replacements", 422, leaving=member)["field"] == "path.team"
    missing = error("/v1/proposals/99999/teams/1/replacements", 404, leaving=member)
    assert missing["field"] == "proposal_id"
    # nothing was written by any of it
    assert api.get(f"/v1/proposals/{pid}").json()["revision"] == 0
    r = ranking(api, pid, 1, member, limit=3)
    assert len(r["options"]) == 3 and r["eligible"] > 3
