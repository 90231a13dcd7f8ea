"""Checking groups (检查小组) through the API on the sample city: a round whose plan names
groups (skills in Chinese too) is drawn in a ceremony and every team comes back split,
each member in exactly one qualified group of 2–3; a manual change that leaves a team
unsplittable is refused naming the group, one that keeps it splittable splits it again;
the report has the groups sheet, hidden names stay hidden; bad group definitions are
errors that say what to change."""

from __future__ import annotations

from typing import Any

from assignment.instance import Instance
from assignment.proposal import Member, Proposal, Team
from assignment.validate import violations
from pool import models as m
from pool.db import transaction
from service.changes import stored_parts
from tests.e2e import ceremony
from tests.e2e.api_client import Api
from tests.e2e.report_book import open_book, table
from tests.e2e.test_api_rounds import ROUND

GROUPS = {
    "party_personnel": {"name": "党建人事", "skills": ["personnel", "党建"]},
    "finance_audit": {"name": "财务审计", "skills": ["finance", "审计"], "size": [2, 3]},
    "law_enforcement": {"name": "行政执法", "skills": ["law_enforcement", "legal"]},
}
PLAN = ROUND | {
    "key": "R2027-G", "groups": GROUPS,
    "defaults": ROUND["defaults"] | {"groups": ["party_personnel", "finance_audit"]},
    "teams": [{"targets": ["U00003"], "size": [6, 7],
               "groups": ["party_personnel", "finance_audit", "law_enforcement"]},
              {"targets": ["U00004", "U00012"]}, {"targets": ["U00006"]}],
}
QUALIFY = {"party_personnel": {"personnel", "party_building"},
           "finance_audit": {"finance", "audit"}, "law_enforcement": {"law_enforcement", "legal"}}


def split_errors(team: dict[str, Any]) -> list[str]:
    """What is wrong with a team's split, checked from its JSON alone."""
    skills = {x["key"]: set(x["skills"]) for x in team["members"]}
    placed = [k for g in team["groups"] for k in g["members"]]
    out = [] if sorted(placed) == sorted(skills) else ["not a partition"]
    for g in team["groups"]:
        if not 2 <= len(g["members"]) <= 3:
            out.append(f"{g['code']} size {len(g['members'])}")
        if not any(skills[k] & QUALIFY[g["code"]] for k in g["members"]):
            out.append(f"{g['code']} unqualified")
    return out


def test_a_round_with_groups_is_drawn_split_and_kept_split(sqlite_api: Api) -> None:
    api = sqlite_api
    made = api.post("/v1/rounds", "organizer", json={"plan": PLAN, "region": None})
    assert made.status_code == 201, made.text
    proposal = ceremony.hold(api, "R2027-G").proposal
    assert proposal is not None and proposal["result"]["status"] == "optimal"
    teams = proposal["teams"]
    assert [[g["code"] for g in t["groups"]] for t in teams] == [
        ["party_personnel", "finance_audit", "law_enforcement"],
        ["party_personnel", "finance_audit"], ["party_personnel", "finance_audit"]]
    assert all(split_errors(t) == [] for t in teams), [split_errors(t) for t in teams]
    assert all(any(r["code"] == "groups" and r["met"] for r in t["requirements"])
               for t in proposal["result"]["teams"])
    pid = proposal["id"]

    # before approval the auditor sees the groups' shape, not who is in them
    answer = api.get(f"/v1/proposals/{pid}", "auditor")
    seated = {v for t in teams for x in t["members"] for v in (x["key"], x["name"])}
    assert not [v for v in seated if v in answer.text]  # nor in the requirements' words
    hidden = answer.json()
    assert all(k is None for t in hidden["teams"] for g in t["groups"] for k in g["members"])
    assert [len(g["members"]) for g in hidden["teams"][0]["groups"]] == [
        len(g["members"]) for g in teams[0]["groups"]]

    # swap out the law-enforcement holders of team 1 for cadres without the skill while
    # the team stays splittable (each change splits it again); the swap that would leave
    # no holder is refused, naming the group, and changes nothing
    inst = _instance(api, pid)
    refused = False
    for _ in range(8):
        team = api.get(f"/v1/proposals/{pid}", "organizer").json()["teams"][0]
        assert split_errors(team) == []
        holders = [x["key"] for x in team["members"]
                   if set(x["skills"]) & QUALIFY["law_enforcement"]]
        assert holders
        out, new = _swap_candidate(api, inst, pid, holders[-1], last=len(holders) == 1)
        answer = api.post(f"/v1/proposals/{pid}/changes", "organizer", json={
            "op": "swap", "team": 1, "cadre": out, "replacement": new,
            "reason": "测试：换下一名执法骨干"})
        if len(holders) == 1:
            assert answer.status_code == 409, answer.text
            found = answer.json()["error"]["details"]["violations"]
            assert any("行政执法" in v for v in found), found
            refused = True
            break
        assert answer.status_code in (200, 201), answer.text
        after = api.get(f"/v1/proposals/{pid}", "organizer").json()["teams"][0]
        assert new in {k for g in after["groups"] for k in g["members"]}
    assert refused

    book = open_book(api.get(f"/v1/proposals/{pid}/report.xlsx", "organizer").content)
    rows = table(book, "检查小组 Groups")
    assert len(rows) == 7 and {r["组 team"] for r in rows} == {1, 2, 3}
    assert any("行政执法" in r["检查小组 group"] for r in rows)
    sealed = open_book(api.get(f"/v1/proposals/{pid}/report.xlsx", "auditor").content)
    assert all("批准前不公开" in r["成员 members"] for r in table(sealed, "检查小组 Groups"))


def _instance(api: Api, pid: int) -> Instance:
    with transaction(api.engine) as session:
        row = session.get(m.ProposalRecord, pid)
        assert row is not None
        return stored_parts(row.instance)[0][1]


def _swap_candidate(api: Api, inst: Instance, pid: int, out: str,
                    last: bool) -> tuple[str, str]:
    """(out, a cadre off every team without a law-enforcement skill whose swap for `out`
    on team 1 breaks no hard rule, or, for the `last` holder, only the checking groups)."""
    teams = api.get(f"/v1/proposals/{pid}", "organizer").json()["teams"]
    seated = {x["key"] for t in teams for x in t["members"]}
    roles = {x["key"]: x["role"] for x in teams[0]["members"]}
    for c in inst.candidates:
        if c.key in seated or set(c.skills) & QUALIFY["law_enforcement"]:
            continue
        after = {k: r for k, r in roles.items() if k != out} | {c.key: roles[out]}
        members = tuple(Member(k, k, r, inst.by_key[k].skills) for k, r in after.items())
        others = tuple(Team(t["no"], tuple(t["targets"]), tuple(
            Member(x["key"], x["name"], x["role"], inst.by_key[x["key"]].skills)
            for x in t["members"]), ()) for t in teams[1:])
        proposal = Proposal(inst.round_key, "manual", None, None, None, None, (),
                            (Team(1, tuple(teams[0]["targets"]), members, ()), *others), 0,
                            inst.input_hash, 0.0, {}, 0.0, 0.0, False)
        found = violations(inst, proposal)
        if (all("小组" in v for v in found) and bool(found)) if last else not found:
            return out, c.key
    raise AssertionError("no cadre to swap in")


def test_bad_group_definitions_are_errors_that_say_what_to_change(sqlite_api: Api) -> None:
    cases = [
        (PLAN | {"defaults": PLAN["defaults"] | {"groups": ["party_personel"]}},
         "未定义的检查小组", "party_personnel"),
        (PLAN | {"groups": GROUPS | {"petitions": {"name": "信访线索", "skills": []}}},
         "skills", ""),
        (PLAN | {"groups": GROUPS | {"x": {"name": "大组", "skills": ["finance"],
                                           "size": [2, 5]}}}, "3", ""),
        (PLAN | {"teams": [{"targets": ["U00003"], "size": [5, 5], "groups": [
            "party_personnel", "finance_audit", "law_enforcement"]}]}, "6–9", ""),
        (PLAN | {"groups": GROUPS | {"y": {"name": "信访", "skills": ["信仿"]}}},
         "未知的专业特长", "petition"),
    ]
    for body, zh, hint in cases:
        answer = sqlite_api.post("/v1/rounds", "organizer", json={"plan": body, "region": None})
        assert answer.status_code == 422, answer.text
        text = answer.text
        assert zh in text and hint in text, text
