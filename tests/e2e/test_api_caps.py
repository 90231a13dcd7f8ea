"""A round under probability caps through the API (issue 16): the caps are sealed with the
draw, the draw of record samples one team set from the capped distribution with the
ceremony's seed, the proposal says what the caps mean and how good the distribution
is, an auditor can recompute the pick and replay recomputes the distribution; before
approval nobody who may not see names learns who is in any team set; caps that cannot
be met say so with the smallest caps that can."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from typing import Any

from tests.e2e.api_client import Api
from tests.e2e.test_api_rounds import draw, held_draw, members, plan

CAPS = {"cap": 0.2, "leader_cap": 0.1}


def _keys(capped: dict[str, Any]) -> set[str]:
    return {x["key"] for row in capped["distribution"] for t in row["teams"]
            for x in t["members"]}


def _marginals(capped: dict[str, Any]) -> tuple[dict[tuple[str, int], float],
                                                dict[tuple[str, int], float]]:
    on: dict[tuple[str, int], float] = {}
    lead: dict[tuple[str, int], float] = {}
    for row in capped["distribution"]:
        for t in row["teams"]:
            for x in t["members"]:
                on[(x["key"], t["no"])] = on.get((x["key"], t["no"]), 0.0) + row["weight"]
                if x["role"] == "leader":
                    lead[(x["key"], t["no"])] = lead.get((x["key"], t["no"]), 0.0) + \
                        row["weight"]
    return on, lead


def test_a_capped_round_from_seal_to_replay(api: Api) -> None:
    created = api.post("/v1/rounds", "organizer", json=plan(**CAPS))
    assert created.status_code == 201, created.text
    held = held_draw(api)
    proposal, sealed = held.proposal, held.draw
    assert proposal is not None
    # the caps and their solver budgets are sealed before any secret exists
    caps_sealed = sealed["spec"]["parameters"]["caps"]
    assert caps_sealed["cap"] == "1/5" and caps_sealed["leader_cap"] == "1/10"
    capped = proposal["result"]["capped"]
    assert capped["meaning_zh"] == \
        "任何一名干部进入某一巡察组的概率不超过 20%，担任某一巡察组组长的概率不超过 10%"
    assert capped["status"] == "optimal" and capped["gap"] == 0
    assert capped["share"] == capped["expected"] / capped["uncapped"]
    on, lead = _marginals(capped)
    assert max(on.values()) <= 0.2 + 1e-9 and max(lead.values()) <= 0.1 + 1e-9
    assert abs(max(on.values()) - capped["max_marginal"]) < 1e-9
    assert abs(sum(r["weight"] for r in capped["distribution"]) - 1) < 1e-9
    # the drawn team set is the proposal's teams, and anyone can recompute the pick from
    # the record: the seed the draw used is the ceremony's seed as a number
    chosen = capped["distribution"][capped["drawn"] - 1]
    assert {x["key"]: (t["no"], x["role"]) for t in chosen["teams"] for x in t["members"]} \
        == members(proposal)
    seed = int(proposal["seed_hex"], 16)
    digest = hashlib.sha256(b"xuncha-capped-team-draw-v1\x00" + str(seed).encode())
    assert digest.hexdigest() == capped["draw_digest"]
    u, acc, pick = Fraction(int(capped["draw_digest"], 16), 2**256), Fraction(0), 0
    for k, row in enumerate(capped["distribution"], start=1):
        acc += Fraction(row["weight"])
        if u < acc:
            pick = k
            break
    assert pick == capped["drawn"]
    assert proposal["approvable"], proposal["not_approvable"]

    # before approval the auditor sees the distribution's shape, never who is in it
    hidden = api.get(f"/v1/proposals/{proposal['id']}", "auditor")
    assert hidden.status_code == 200
    seen = hidden.json()["result"]["capped"]
    assert all(x is None for row in seen["distribution"] for t in row["teams"]
               for x in t["members"])
    assert [r["weight"] for r in seen["distribution"]] == \
        [r["weight"] for r in capped["distribution"]]
    keys = _keys(capped)
    assert len(keys) > len(members(proposal))  # the distribution names many more cadres
    assert not any(k in hidden.text for k in keys)
    events = api.get("/v1/audit/events", "auditor", params={"limit": 200})
    assert not any(k in events.text for k in keys)

    # a trial of the same round finds the same distribution (the seed only picks)
    trial = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    assert trial["status"] == "succeeded", trial
    tried = api.get(f"/v1/proposals/{trial['result']['proposal_id']}", "organizer").json()
    assert tried["result"]["capped"]["distribution_sha256"] == capped["distribution_sha256"]
    refused = api.post("/v1/rounds/R2027-01/proposals", "organizer",
                       json={"seed": 3, "tolerance": 0.05})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "tolerance"

    replay = api.run_job("POST", f"/v1/proposals/{proposal['id']}/replay", "auditor")
    assert replay["status"] == "succeeded", replay
    assert replay["result"]["identical"], replay["result"]["checks"]
    checks = {c["check"]: c for c in replay["result"]["checks"]}
    assert checks["distribution"]["replayed"] == capped["distribution_sha256"]
    assert checks["capped_draw"]["replayed"] == capped["drawn"]

    approved = api.post(f"/v1/proposals/{proposal['id']}/approve", "approver",
                        json={"note": "常委会研究同意"})
    assert approved.status_code == 200, approved.text
    after = api.get(f"/v1/proposals/{proposal['id']}", "auditor").json()
    assert _keys(after["result"]["capped"]) == keys  # approved: the record is open


def test_caps_that_cannot_be_met_are_refused_in_words_with_the_smallest_caps(
        sqlite_api: Api) -> None:
    api = sqlite_api
    created = api.post("/v1/rounds", "organizer",
                       json=plan(cap=0.2, leader_cap=0.01))
    assert created.status_code == 201, created.text
    trial = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 1})
    assert trial["status"] == "succeeded", trial
    p = api.get(f"/v1/proposals/{trial['result']['proposal_id']}", "organizer").json()
    assert p["status"] == "infeasible" and p["teams"] == []
    findings = p["diagnosis"]["findings"]
    assert [f["code"] for f in findings] == ["caps"]
    smallest = p["result"]["capped"]["smallest"]
    assert Fraction(smallest[1]) > Fraction(1, 100)
    assert "概率上限无法满足" in findings[0]["zh"] and "smallest caps" in findings[0]["en"]
    assert f"任组长{float(Fraction(smallest[1])):.1%}" in findings[0]["zh"]
    # keeping the member cap, the leader cap alone must rise; keeping 1 %, nothing helps
    member_alone, leader_alone = p["result"]["capped"]["smallest_alone"]
    assert member_alone is None and Fraction(leader_alone) > Fraction(1, 100)
    assert f"进组上限保持20%，任组长上限{float(Fraction(leader_alone)):.1%}" in findings[0]["zh"]
    assert "任组长上限保持1%时，进组上限取多少都配不齐" in findings[0]["zh"]
    # the smallest caps it names can be met (plans are fixed once stored: a new round)
    fixed = api.post("/v1/rounds", "organizer", json=plan(
        key="R2027-02", cap=float(Fraction(smallest[0])),
        leader_cap=float(Fraction(smallest[1]))))
    assert fixed.status_code == 201, fixed.text
    key = "R2027-02"
    again = api.run_job("POST", f"/v1/rounds/{key}/proposals", "organizer", json={"seed": 1})
    assert again["status"] == "succeeded", again
    ok = api.get(f"/v1/proposals/{again['result']['proposal_id']}", "organizer").json()
    assert ok["status"] == "draft", ok["diagnosis"]
    assert ok["result"]["capped"]["max_leader_marginal"] <= float(Fraction(smallest[1])) + 1e-9


def test_a_cross_plan_draws_each_sending_groups_teams_under_the_caps(sqlite_api: Api) -> None:
    from tests.e2e.test_api_rounds import _sample_plan

    api = sqlite_api
    body = {"cross": _sample_plan("2027-cross.yaml") | {"cap": 0.5}, "region": "320100"}
    created = api.post("/v1/rounds", "organizer", json=body)
    assert created.status_code == 201, created.text
    trial = api.run_job("POST", "/v1/rounds/X2027-01/proposals", "organizer", json={"seed": 5})
    assert trial["status"] == "succeeded", trial
    pid = trial["result"]["proposal_id"]
    p = api.get(f"/v1/proposals/{pid}", "organizer").json()
    assert p["status"] == "draft", p["diagnosis"]
    capped = p["pairing"]["capped"]
    assert capped and all(c["meaning_zh"] == "任何一名干部进入某一巡察组的概率不超过 50%"
                          for c in capped.values())
    seated = {x["key"]: (t["no"], x["side"]) for t in p["teams"] for x in t["members"]}
    for group, c in capped.items():
        on, _lead = _marginals(c)
        assert max(on.values()) <= 0.5 + 1e-9
        chosen = c["distribution"][c["drawn"] - 1]
        keys = {x["key"] for t in chosen["teams"] for x in t["members"]}
        assert keys and all(seated[k][1] == group for k in keys)  # that group's own people
    hidden = api.get(f"/v1/proposals/{pid}", "auditor")
    assert all(x is None for c in hidden.json()["pairing"]["capped"].values()
               for row in c["distribution"] for t in row["teams"] for x in t["members"])
    assert not any(k in hidden.text for k in seated)
    # the sending groups are regions, not people: a sealed reader still sees who sends
    groups = hidden.json()["pairing"]["groups"]
    assert groups and all(g["name"] and g["key"] for g in groups)
    assert {g["key"] for g in groups} == set(capped)
    replay = api.run_job("POST", f"/v1/proposals/{pid}/replay", "auditor")
    assert replay["status"] == "succeeded" and replay["result"]["identical"], replay


def test_an_uncapped_round_records_no_caps(sqlite_api: Api) -> None:
    assert sqlite_api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(sqlite_api)
    assert "capped" not in proposal["result"]
    assert "caps" not in json.loads(json.dumps(proposal["parameters"]))
