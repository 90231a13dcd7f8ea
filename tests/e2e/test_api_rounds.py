"""A round through the API as the organization department, the approver and the auditor
drive it: plan, commitment, draw, manual change, approval, report, replay, audit."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from assignment.instance import commitment
from tests.e2e.api_client import Api

ROUND = {
    "key": "R2027-01", "name": "云川市委2027年第一轮巡察", "start": "2027-03-01",
    "end": "2027-04-30", "as_of": "2026-11-01", "policy": "default",
    "defaults": {"size": [5, 6], "deputies": [1, 1],
                 "skills": {"finance": 1, "audit": 1, "discipline": 1}},
    "teams": [{"targets": ["U00003"]}, {"targets": ["U00004", "U00012"]},
              {"targets": ["U00006"]}],
}


def plan(**changes: Any) -> dict[str, Any]:
    return {"plan": ROUND | changes, "region": None}


def draw(api: Api, key: str = "R2027-01", role: str = "organizer") -> dict[str, Any]:
    """Publish a commitment, draw with it, return the stored proposal."""
    promise = api.post(f"/v1/rounds/{key}/commitments", role, json={})
    assert promise.status_code == 201, promise.text
    assert promise.json()["seed"] is None  # secret until the draw
    job = api.run_job("POST", f"/v1/rounds/{key}/proposals", role,
                      json={"commitment_id": promise.json()["id"]})
    assert job["status"] == "succeeded", job
    proposal = api.get(f"/v1/proposals/{job['result']['proposal_id']}", role).json()
    assert proposal["commitment_digest"] == promise.json()["digest"]
    return proposal


def members(proposal: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {x["key"]: (t["no"], x["role"]) for t in proposal["teams"] for x in t["members"]}


def test_full_round_from_plan_to_report_with_replay_and_audit(api: Api) -> None:
    created = api.post("/v1/rounds", "organizer", json=plan())
    assert created.status_code == 201, created.text
    proposal = draw(api)
    assert proposal["status"] == "draft" and proposal["result"]["status"] == "optimal"
    # the revealed seed verifies against the published commitment
    assert commitment(proposal["seed"], proposal["input_hash"]) == \
        proposal["commitment_digest"]
    seated = members(proposal)
    assert len(proposal["teams"]) == 3 and all(
        5 <= len(t["members"]) <= 6 for t in proposal["teams"])
    # nobody sits on a team whose target they must recuse from
    for key, (no, _role) in seated.items():
        team = proposal["teams"][no - 1]
        for unit in team["targets"]:
            check = api.get("/v1/recusals/check", "auditor", params={
                "cadre": key, "unit": unit, "as_of": "2026-11-01"}).json()
            assert not check["recused"], check["text_en"]

    # before approval the auditor sees the teams' shape but not who is on them
    hidden = api.get(f"/v1/proposals/{proposal['id']}", "auditor").json()
    assert not hidden["names_visible"]
    assert all(x["key"] is None and x["name"] is None
               for t in hidden["teams"] for x in t["members"])

    # a manual change that breaks a hard rule is refused and changes nothing
    leader = next(k for k, (no, role) in seated.items() if no == 1 and role == "leader")
    bad = api.post(f"/v1/proposals/{proposal['id']}/changes", "organizer", json={
        "op": "remove", "team": 1, "cadre": leader, "reason": "测试：移出组长"})
    assert bad.status_code == 409, bad.text
    assert any("组长" in v for v in bad.json()["error"]["details"]["violations"])
    assert api.get(f"/v1/proposals/{proposal['id']}").json()["revision"] == 0

    # approval writes participation history; the round is then decided
    approved = api.post(f"/v1/proposals/{proposal['id']}/approve", "approver",
                        json={"note": "常委会研究同意"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["names_visible"]
    history = api.get("/v1/audit/events", "auditor",
                      params={"object_type": "proposal", "limit": 50}).json()["items"]
    assert [e["kind"] for e in history][-2:] == ["proposal.create", "proposal.approve"]
    again = api.post(f"/v1/proposals/{proposal['id']}/approve", "approver", json={})
    assert again.status_code == 409

    report = api.get(f"/v1/proposals/{proposal['id']}/report.xlsx", "auditor")
    assert report.status_code == 200
    book = load_workbook(io.BytesIO(report.content))
    teams_sheet = book["巡察组 Teams"]
    listed = {row[4] for row in teams_sheet.iter_rows(min_row=2, values_only=True)}
    assert listed == set(seated)
    statements = [row[4] for row in book["成员回避声明 Members"].iter_rows(
        min_row=2, values_only=True)]
    assert len(statements) == len(seated) and all("核查" in s or "回避" in s
                                                 for s in statements)
    assert book["回避情况说明 Recusals"].max_row == 1 + 4  # one row per target

    replay = api.run_job("POST", f"/v1/proposals/{proposal['id']}/replay", "auditor")
    assert replay["status"] == "succeeded", replay
    assert replay["result"]["identical"], replay["result"]["checks"]
    verify = api.get("/v1/audit/verify", "auditor").json()
    assert verify["ok"] and verify["events"] >= 8
