"""A round through the API as the organization department, the supervisor, the approver
and the auditor drive it: plan, draw ceremony (seal, commit, reveal, draw), manual change,
approval, report, replay, audit."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from assignment.ceremony import derive_seed
from pool.db import transaction
from service.imports import import_and_record
from tests.e2e import ceremony
from tests.e2e.api_client import Api
from tests.e2e.report_book import open_book, table

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


def held_draw(api: Api, key: str = "R2027-01") -> ceremony.Ceremony:
    """Hold the round's draw ceremony: seal, commit and reveal as the organizing office
    and the supervisor, wait for the draw of record."""
    opened = ceremony.open_draw(api, key)
    assert opened["seed"] is None and opened["status"] == "committing"  # no seed yet
    secrets = ceremony.commit_all(api, opened["id"])
    revealing = api.get(f"/v1/draws/{opened['id']}", "auditor").json()
    assert revealing["status"] == "revealing" and revealing["seed"] is None
    assert all(p["secret"] is None for p in revealing["parties"])  # secret until revealed
    seeded = ceremony.reveal_all(api, opened["id"], secrets)
    assert seeded["status"] == "seeded" and seeded["job_id"], seeded
    job = api.wait(seeded["job_id"], "organizer")
    assert job["status"] == "succeeded", job
    proposal = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "organizer").json()
    final = api.get(f"/v1/draws/{opened['id']}", "auditor").json()
    assert final["status"] == "drawn" and final["proposal_id"] == proposal["id"]
    assert proposal["kind"] == "record" and proposal["seed"] is None
    assert proposal["seed_hex"] == final["seed"] and proposal["draw"]["id"] == final["id"]
    return ceremony.Ceremony(final, secrets, job, proposal)


def draw(api: Api, key: str = "R2027-01") -> dict[str, Any]:
    """The round's draw of record, from a whole ceremony."""
    proposal = held_draw(api, key).proposal
    assert proposal is not None
    return proposal


def members(proposal: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {x["key"]: (t["no"], x["role"]) for t in proposal["teams"] for x in t["members"]}


def test_full_round_from_plan_to_report_with_replay_and_audit(api: Api) -> None:
    created = api.post("/v1/rounds", "organizer", json=plan())
    assert created.status_code == 201, created.text
    held = held_draw(api)
    proposal, sealed = held.proposal, held.draw
    assert proposal is not None
    assert proposal["status"] == "draft" and proposal["result"]["status"] == "optimal"
    assert proposal["approvable"] and proposal["not_approvable"] == []
    # anyone can recompute the ceremony: the sealed text hashes to the specification
    # hash, and the seed follows from it and the revealed secrets in the fixed order
    assert hashlib.sha256(sealed["spec_text"].encode()).hexdigest() == sealed["spec_sha256"]
    assert sealed["spec"]["input_hash"] == sealed["input_hash"] == proposal["input_hash"]
    revealed = [("organizer", held.secrets["organizer"]),
                ("supervisor", held.secrets["supervisor"])]
    assert [(p["role"], p["secret"]) for p in sealed["parties"]] == revealed
    assert sealed["seed"] == derive_seed(sealed["spec_sha256"], revealed, None)
    assert proposal["seed_hex"] == sealed["seed"]
    assert all(x["placed"] == "drawn" and x["placed_by_hand"] is None
               for t in proposal["teams"] for x in t["members"])
    rounds = api.get("/v1/rounds/R2027-01", "supervisor").json()
    assert [(d["id"], d["number"], d["of"], d["proposal_id"]) for d in rounds["draws"]] == \
        [(sealed["id"], 1, 1, proposal["id"])]
    seated = members(proposal)
    assert len(proposal["teams"]) == 3 and all(
        5 <= len(t["members"]) <= 6 for t in proposal["teams"])
    # nobody holds a role on a team whose target bars them from that role
    for key, (no, role) in seated.items():
        team = proposal["teams"][no - 1]
        for unit in team["targets"]:
            check = api.get("/v1/recusals/check", "auditor", params={
                "cadre": key, "unit": unit, "as_of": "2026-11-01"}).json()
            assert role not in check["roles"], check["text_en"]

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
    book = open_book(report.content)
    listed = {row["人员编号 key"] for row in table(book, "巡察组 Teams")}
    assert listed == set(seated)
    statements = [row["回避核查（中文）"] for row in table(book, "成员回避声明 Members")]
    assert len(statements) == len(seated) and all("核查" in s or "回避" in s
                                                 for s in statements)
    assert len(table(book, "回避情况说明 Recusals")) == 4  # one row per target

    replay = api.run_job("POST", f"/v1/proposals/{proposal['id']}/replay", "auditor")
    assert replay["status"] == "succeeded", replay
    assert replay["result"]["identical"], replay["result"]["checks"]
    verify = api.get("/v1/audit/verify", "auditor").json()
    assert verify["ok"] and verify["events"] >= 8, verify["problems"]


def test_concurrent_approvals_of_overlapping_rounds_never_seat_a_cadre_twice(api: Api) -> None:
    small = {"teams": [{"targets": ["U00003"]}]}
    # the ceremonies' seeds are nobody's choice: to make the two draws overlap, both
    # plans require a cadre a trial draw of the same team seated
    probe = api.post("/v1/rounds", "organizer", json={"plan": ROUND | small | {
        "key": "R-PROBE", "end": "2027-05-31"}})
    assert probe.status_code == 201, probe.text
    trial = api.run_job("POST", "/v1/rounds/R-PROBE/proposals", "organizer", json={"seed": 11})
    assert trial["status"] == "succeeded", trial
    seated = members(api.get(f"/v1/proposals/{trial['result']['proposal_id']}",
                             "organizer").json())
    required = next(k for k, (_no, role) in sorted(seated.items()) if role == "member")
    for key, start in (("R-A", "2027-03-01"), ("R-B", "2027-04-01")):
        r = api.post("/v1/rounds", "organizer", json={"plan": ROUND | small | {
            "key": key, "start": start, "end": "2027-05-31",
            "cadres": {required: {"minimum": 1}}}})
        assert r.status_code == 201, r.text
    a, b = draw(api, "R-A"), draw(api, "R-B")
    shared = set(members(a)) & set(members(b))
    assert required in shared, "the two draws must share cadres for this test to mean anything"
    barrier = threading.Barrier(2)

    def approve(proposal_id: int) -> int:
        barrier.wait()
        return api.post(f"/v1/proposals/{proposal_id}/approve", "approver",
                        json={}).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(approve, [a["id"], b["id"]]))
    assert codes == [200, 409]
    decided = [p for p in (a, b)
               if api.get(f"/v1/proposals/{p['id']}").json()["status"] == "approved"]
    assert len(decided) == 1
    # what the database holds: nobody in both rounds
    with api.engine.connect() as conn:
        rows = conn.execute(text("SELECT person_key, round_key FROM participations "
                                 "WHERE round_key IN ('R-A', 'R-B')")).all()
    seen: dict[str, set[str]] = {}
    for person, rnd in rows:
        seen.setdefault(person, set()).add(rnd)
    assert all(len(rounds) == 1 for rounds in seen.values())
    assert {rnd for _p, rnd in rows} == {decided[0]["round_key"]}


def test_replay_is_identical_after_the_pool_changes(sqlite_api: Api, tmp_path: Path) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    member = next(iter(members(proposal)))
    team_no = members(proposal)[member][0]
    target = proposal["teams"][team_no - 1]["targets"][0]
    # afterwards the member is recorded as related to the target: a declared recusal
    ties = tmp_path / "ties.csv"
    ties.write_text("关系编号,关系类型,人员编号,对方单位编号,类别,起始日期,备注\n"
                    f"T-LATE,申请或决定回避,{member},{target},本人申请,2026-10-01,本人申请回避\n",
                    encoding="utf-8")
    with transaction(api.engine) as session:
        import_and_record(session, ties, actor="tests")
    now = api.get("/v1/recusals/check", params={"cadre": member, "unit": target,
                                                "as_of": "2026-11-01"}).json()
    assert now["recused"]  # the pool as it is now recuses them …
    replay = api.run_job("POST", f"/v1/proposals/{proposal['id']}/replay", "auditor")
    # … the pool the decision was drawn from did not
    assert replay["result"]["identical"], replay["result"]["checks"]


def test_a_draw_after_the_pool_changed_since_sealing_fails_and_says_why(
        sqlite_api: Api, tmp_path: Path) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    opened = ceremony.open_draw(api, "R2027-01")
    secrets = ceremony.commit_all(api, opened["id"])
    ties = tmp_path / "ties.csv"
    ties.write_text("关系编号,关系类型,人员编号,对方单位编号,类别,起始日期,备注\n"
                    "T-NEW,申请或决定回避,P00000367,U00003,本人申请,2026-10-01,本人申请回避\n",
                    encoding="utf-8")
    with transaction(api.engine) as session:
        import_and_record(session, ties, actor="tests")
    seeded = ceremony.reveal_all(api, opened["id"], secrets)
    assert seeded["status"] == "seeded" and seeded["job_id"], seeded
    job = api.wait(seeded["job_id"], "organizer")
    assert job["status"] == "failed" and job["error"]["code"] == "draw_stale", job
    assert "人才库" in job["error"]["zh"] and "pool" in job["error"]["en"]
    after = api.get(f"/v1/draws/{opened['id']}", "auditor").json()
    assert after["status"] == "stale" and after["proposal_id"] is None
    assert after["failure"]["code"] == "draw_stale"
    # nothing was drawn: the round has no proposal
    with api.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM proposals WHERE round_key = "
                                 "'R2027-01'")).scalar() == 0


def test_manual_swap_with_reason_is_revalidated_rescored_and_audited(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    seated = members(proposal)
    team = proposal["teams"][0]
    plain = next(x for x in team["members"] if x["role"] == "member")
    # a reason is required
    no_reason = api.post(f"/v1/proposals/{proposal['id']}/changes", "organizer", json={
        "op": "remove", "team": 1, "cadre": plain["key"], "reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    # someone recused from the team's target may not be swapped in
    recused = api.get("/v1/recusals/check", params={"cadre": "P00000367", "unit": "U00178",
                                                    "as_of": "2026-11-01"}).json()
    assert recused["recused"]
    screening = api.run_job("POST", "/v1/screenings", json={
        "units": team["targets"][:1], "as_of": "2026-11-01"})["result"]["recusals"]
    barred = next(r["cadre"] for r in screening if r["hard"] and r["cadre"] not in seated
                  and "member" in r["roles"])
    refused = api.post(f"/v1/proposals/{proposal['id']}/changes", "organizer", json={
        "op": "swap", "team": 1, "cadre": plain["key"], "replacement": barred,
        "reason": "测试：换入须回避人员"})
    assert refused.status_code in (409, 422), refused.text
    # a cadre nobody objects to may replace a plain member (skills and ties permitting)
    recused_here = {r["cadre"] for r in screening if r["hard"]}
    pool = [k for k in _cadre_keys() if k not in seated and k not in recused_here]
    for candidate in pool[:40]:
        ok = api.post(f"/v1/proposals/{proposal['id']}/changes", "organizer", json={
            "op": "swap", "team": 1, "cadre": plain["key"], "replacement": candidate,
            "reason": "原成员因病请假，组织调整"})
        if ok.status_code == 200:
            break
    assert ok.status_code == 200, ok.text
    changed = ok.json()
    assert changed["revision"] == 1 and candidate in members(changed)
    assert plain["key"] not in members(changed)
    changes = api.get(f"/v1/proposals/{proposal['id']}/changes").json()
    assert changes[0]["reason"] == "原成员因病请假，组织调整"
    event = api.get("/v1/audit/events", "admin", params={"kind": "proposal.change"}).json()
    assert event["total"] == 1
    data = event["items"][0]["data"]
    assert plain["key"] in {x["key"] for x in data["before"]["members"]}
    assert candidate in {x["key"] for x in data["after"]["members"]}
    assert data["objective_after"] == changed["objective"]
    # before approval the auditor reads the same event sealed: no member's key
    sealed = api.get("/v1/audit/events", "auditor", params={"kind": "proposal.change"})
    assert sealed.json()["items"][0]["data"]["objective_after"] == changed["objective"]
    assert plain["key"] not in sealed.text and candidate not in sealed.text


def _cadre_keys() -> list[str]:
    path = Path(__file__).resolve().parents[2] / "sample_data" / "city" / "cadres.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()[1:]
    return sorted(line.split(",", 1)[0] for line in lines)


def test_a_trial_draw_cannot_be_approved(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    job = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    assert job["status"] == "succeeded", job
    trial = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "organizer").json()
    assert trial["kind"] == "trial" and trial["kind_zh"] and trial["status"] == "draft"
    assert trial["seed"] == 3 and trial["seed_hex"] is None and trial["draw"] is None
    assert not trial["approvable"] and trial["not_approvable"][0]["code"] == "trial"
    r = api.post(f"/v1/proposals/{trial['id']}/approve", "approver", json={})
    assert r.status_code == 409 and r.json()["error"]["code"] == "trial", r.text
    assert api.get(f"/v1/proposals/{trial['id']}").json()["status"] == "draft"


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("/v1/rounds", {"plan": ROUND | {"start": "2027-05-01"}}, 422, "plan"),
    ("/v1/rounds", {"plan": ROUND | {"teams": [{"targets": ["NOPE"]}]}}, 422,
     "plan.teams.0.targets.0"),
    ("/v1/rounds", {"plan": ROUND | {"teams": []}}, 422, "plan.teams"),
    ("/v1/rounds", {"plan": ROUND | {"weights": {"luck": 3}}}, 422, "plan"),
    ("/v1/rounds", {"plan": ROUND, "region": "999999"}, 422, "region"),
    ("/v1/rounds/NOPE/draws", {"reveal_by": "2027-02-20T18:00:00+08:00"}, 404,
     "round_key"),
    ("/v1/rounds/R2027-01/draws", {}, 422, "reveal_by"),
    ("/v1/rounds/R2027-01/proposals", {"commitment_id": 1}, 422, "commitment_id"),
    ("/v1/rounds/R2027-01/proposals", {"draw_id": 1, "tolerance": 0.1}, 422, "tolerance"),
    ("/v1/rounds/R2027-01/proposals", {"seed": -1}, 422, "seed"),
    ("/v1/proposals/999/changes", {"op": "remove", "team": 1, "cadre": "X",
                                   "reason": "理由充分"}, 404, "proposal_id"),
    ("/v1/proposals/999/approve", {}, 404, "proposal_id"),
    ("/v1/screenings", {"units": []}, 422, "units"),
    ("/v1/screenings", {"units": ["U00178"], "policy": "lenient"}, 422, "policy"),
])
def test_bad_input_is_a_4xx_that_names_the_field_and_writes_nothing(
        sqlite_api: Api, path: str, body: dict[str, Any], status: int, field: str) -> None:
    api = sqlite_api
    if "R2027-01/" in path:
        assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    for role in ("organizer", "approver"):  # the tokens' first use of the day is behind us
        api.get("/v1/policies", role)
    before = api.get("/v1/audit/verify", "auditor").json()["head_seq"]
    r = api.post(path, "approver" if path.endswith("/approve") else "organizer", json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["zh"] and error["en"] and error["field"] and error["field"].startswith(field)
    # every change writes an audit event; a refused step an auditor must see writes its
    # refusal (after the rollback) and nothing else
    events = api.get("/v1/audit/events", "auditor", params={"limit": 500}).json()
    assert events["total"] <= 500
    new = [e for e in events["items"] if e["seq"] > before]
    assert len(new) <= 1 and all(
        e["kind"].endswith(".refused") and e["data"]["code"] == error["code"]
        and e["data"]["field"] == error["field"] for e in new), new


def _sample_plan(name: str) -> dict[str, Any]:
    path = Path(__file__).resolve().parents[2] / "sample_data" / "rounds" / name
    plan: dict[str, Any] = json.loads(json.dumps(  # YAML dates as the ISO text JSON sends
        yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
    return plan


def test_a_cross_inspection_round_from_plan_to_decision_and_replay(sqlite_api: Api) -> None:
    api = sqlite_api
    cross = _sample_plan("2027-cross.yaml")
    created = api.post("/v1/rounds", "organizer", json={"cross": cross, "region": "320100"})
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "cross" and created.json()["mode"] == "pairing"
    proposal = draw(api, cross["key"])
    assert proposal["mode"] == "pairing" and proposal["status"] == "draft"
    pairs = proposal["pairing"]["pairing"]["pairs"]
    groups = [g["region"] for g in cross["groups"]]
    # a rotation: every county sends one team and receives one, never itself, never back
    senders = [p["sender"] for p in pairs]
    receivers = [p["receiver"] for p in pairs]
    assert sorted(senders) == sorted(groups) == sorted(receivers)
    assert all(p["sender"] != p["receiver"] for p in pairs)
    assert not {(p["receiver"], p["sender"]) for p in pairs} & {
        (p["sender"], p["receiver"]) for p in pairs}
    # each team is staffed by the sending county's cadres and visits the receiver's units
    targets_of = {g["region"]: {u for t in g["targets"] for u in t} for g in cross["groups"]}
    for team in proposal["teams"]:
        sides = {x["side"] for x in team["members"]}
        assert len(sides) == 1
        receiver = next(p["receiver"] for p in pairs if p["sender"] in sides)
        assert set(team["targets"]) <= targets_of[receiver]
    # a manual change to the last team is checked against that sending group's instance:
    # a cadre of another county may not join it, one of its own county may
    last = proposal["teams"][-1]
    side = last["members"][0]["side"]
    plain = next(x for x in last["members"] if x["role"] == "member")
    screening = api.run_job("POST", "/v1/screenings", json={
        "units": last["targets"], "as_of": "2026-11-01"})["result"]["recusals"]
    recused_here = {r["cadre"] for r in screening if r["hard"]}
    seated = set(members(proposal))
    county_of = {k: region for region, keys in _cadres_by_county(api).items() for k in keys}
    stranger = next(k for k, region in county_of.items() if region != side
                    and k not in seated and k not in recused_here)
    refused = api.post(f"/v1/proposals/{proposal['id']}/changes", "organizer", json={
        "op": "swap", "team": last["no"], "cadre": plain["key"], "replacement": stranger,
        "reason": "测试：换入他县干部"})
    assert refused.status_code in (409, 422), refused.text
    own = [k for k, region in county_of.items() if region == side
           and k not in seated and k not in recused_here]
    for candidate in own[:40]:
        ok = api.post(f"/v1/proposals/{proposal['id']}/changes", "organizer", json={
            "op": "swap", "team": last["no"], "cadre": plain["key"], "replacement": candidate,
            "reason": "原成员借调，换本县干部"})
        if ok.status_code == 200:
            break
    assert ok.status_code == 200, ok.text
    changed = ok.json()["teams"][-1]
    assert candidate in {x["key"] for x in changed["members"]}
    assert {x["side"] for x in changed["members"]} == {side}
    proposal = ok.json()
    approved = api.post(f"/v1/proposals/{proposal['id']}/approve", "approver", json={})
    assert approved.status_code == 200, approved.text
    with api.engine.connect() as conn:
        seated = conn.execute(text("SELECT count(*) FROM participations WHERE round_key = :k"),
                              {"k": cross["key"]}).scalar()
    assert seated == sum(len(t["members"]) for t in proposal["teams"])
    replay = api.run_job("POST", f"/v1/proposals/{proposal['id']}/replay", "auditor")
    assert replay["result"]["identical"], replay["result"]["checks"]


def _cadres_by_county(api: Api) -> dict[str, set[str]]:
    """County region → cadres whose home unit lies in it (via the API)."""
    counties = [r["code"] for r in api.get("/v1/regions", params={
        "level": "county", "limit": 500}).json()["items"]]
    out: dict[str, set[str]] = {}
    for county in counties:
        page = api.get("/v1/cadres", params={"region": county, "limit": 500}).json()
        assert page["total"] <= 500
        out[county] = {c["person_key"] for c in page["items"]}
    return out


def test_a_round_needs_exactly_one_plan(sqlite_api: Api) -> None:
    both = sqlite_api.post("/v1/rounds", "organizer", json={
        "plan": ROUND, "cross": _sample_plan("2027-cross.yaml")})
    neither = sqlite_api.post("/v1/rounds", "organizer", json={"region": "320100"})
    assert both.status_code == neither.status_code == 422


def test_an_exchange_round_mixes_two_sides_as_the_plan_says(sqlite_api: Api) -> None:
    api = sqlite_api
    plan = _sample_plan("2027-exchange.yaml")
    assert api.post("/v1/rounds", "organizer", json={"cross": plan}).status_code == 201
    job = api.run_job("POST", f"/v1/rounds/{plan['key']}/proposals", "organizer",
                      json={"seed": 5})
    assert job["status"] == "succeeded", job
    proposal = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "organizer").json()
    layout = {t["no"]: t for t in proposal["pairing"]["exchange"]["teams"]}
    assert layout and len(layout) == len(proposal["teams"])
    least = plan.get("min_per_side", 1)
    for team in proposal["teams"]:
        spec = layout[team["no"]]
        sides = {x["role"]: set() for x in team["members"]}
        for x in team["members"]:
            sides[x["role"]].add(x["side"])
        assert sides["leader"] == {spec["lead_side"]}
        assert sides["deputy"] == {spec["deputy_side"]}
        plain = [x["side"] for x in team["members"] if x["role"] == "member"]
        assert plain.count(spec["lead_side"]) >= least
        assert plain.count(spec["deputy_side"]) >= least
        assert set(plain) <= {spec["lead_side"], spec["deputy_side"]}
        assert spec["receiver"] not in {x["side"] for x in team["members"]}


def test_nul_characters_are_a_422_naming_the_field_on_every_backend(api: Api) -> None:
    # found by the fuzz run on PostgreSQL, whose text columns cannot hold NUL
    cross = _sample_plan("2027-cross.yaml")
    cross["groups"][1]["region"] = "320103\x00"
    r = api.post("/v1/rounds", "organizer", json={"cross": cross})
    assert r.status_code == 422 and r.json()["error"]["field"] == "cross.groups.1.region"
    check = api.get("/v1/recusals/check", params={"cadre": "P00000367\x00", "unit": "U00178"})
    assert check.status_code == 422 and check.json()["error"]["field"] == "cadre"
    assert api.get("/v1/rounds").json()["total"] == len(
        (Path(__file__).resolve().parents[2] / "sample_data" / "city" / "rounds.csv")
        .read_text(encoding="utf-8-sig").splitlines()) - 1
