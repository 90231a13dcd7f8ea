"""Checking groups (检查小组): the exact split against an exhaustive one on tiny teams, the
representative condition the model uses against split existence, the draw choosing teams
that can be split, the diagnosis naming the group, and the instance hash and storage."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from assignment import model
from assignment.assemble import SolveSettings, assemble
from assignment.diagnose import diagnose, precheck
from assignment.instance import Candidate, GroupSpec, Instance, InstanceError, TeamSpec
from assignment.proposal import Member, Proposal, Team
from assignment.subgroups import Split, matched, newcomer_fits, qualifies, shortfall, split
from assignment.validate import violations
from service.changes import instance_from_canonical
from tests.unit.test_assemble import tiny_instances

EXACT = SolveSettings(tolerance=0)
SKILLS = ("finance", "audit", "law", "petition")


def exhaustive(members: Sequence[tuple[str, Sequence[str]]],
               groups: Sequence[GroupSpec]) -> Split | None:
    """Every assignment of members to groups: the valid one with the most members in a
    group they qualify for, first in the order of (group of member 1, of member 2, …)."""
    best: tuple[int, tuple[int, ...]] | None = None
    for placed in itertools.product(range(len(groups)), repeat=len(members)):
        ok = all(g.size_min <= placed.count(x) <= g.size_max
                 and any(p == x and qualifies(s, g) for p, (_k, s) in
                         zip(placed, members, strict=True))
                 for x, g in enumerate(groups))
        if not ok:
            continue
        score = sum(qualifies(s, groups[p]) for p, (_k, s) in zip(placed, members, strict=True))
        if best is None or score > best[0]:
            best = (score, placed)
    if best is None:
        return None
    return tuple((g.code, tuple(k for p, (k, _s) in zip(best[1], members, strict=True)
                                if p == x)) for x, g in enumerate(groups))


@st.composite
def tiny_teams(draw: st.DrawFn) -> tuple[list[tuple[str, tuple[str, ...]]], list[GroupSpec]]:
    n = draw(st.integers(1, 7))
    members = [(f"C{i}", tuple(sorted(draw(st.sets(st.sampled_from(SKILLS), max_size=2)))))
               for i in range(n)]
    k = draw(st.integers(1, 3))
    groups = []
    for x in range(k):
        low = draw(st.integers(1, 3))
        groups.append(GroupSpec(f"g{x}", f"小组{x}",
                                tuple(sorted(draw(st.sets(st.sampled_from(SKILLS), min_size=1,
                                                          max_size=2)))),
                                low, draw(st.integers(low, 3))))
    return members, groups


@settings(max_examples=300, deadline=None)
@given(team=tiny_teams())
def test_the_split_is_the_exhaustive_best_and_exists_iff_representatives_do(
        team: tuple[list[tuple[str, tuple[str, ...]]], list[GroupSpec]]) -> None:
    members, groups = team
    expected = exhaustive(members, groups)
    assert split(members, groups) == expected
    # the model's condition: size within Σmin…Σmax and distinct representatives
    assert (shortfall(members, groups) is None) == (expected is not None)


def test_a_split_puts_each_member_where_their_skill_is_wanted() -> None:
    groups = [GroupSpec("fa", "财务审计", ("audit", "finance")),
              GroupSpec("law", "行政执法", ("law",))]
    members = [("L", ()), ("A", ("finance",)), ("B", ("law",)), ("C", ("audit",)), ("D", ())]
    result = split(members, groups)
    assert result is not None
    assert dict(result) == {"fa": ("L", "A", "C"), "law": ("B", "D")}
    assert matched(members, groups, result) == 3


def test_a_hall_set_names_the_groups_and_the_few_who_qualify() -> None:
    groups = [GroupSpec("fin", "财务", ("finance",)), GroupSpec("aud", "审计", ("audit",)),
              GroupSpec("law", "行政执法", ("law",))]
    members = [("L", ("finance", "audit")), ("A", ("law",)), ("B", ()), ("C", ()),
               ("D", ()), ("E", ())]
    found = shortfall(members, groups)
    assert found is not None and set(found.groups) == {"fin", "aud"}
    assert found.qualified == ("L",)


def _cand(key: str, *skills: str, lead: bool = False, deputy: bool = False) -> Candidate:
    return Candidate(key, f"干部{key}", "MF"[int(key[-1]) % 2], tuple(sorted(skills)),
                     leader_pool=lead, deputy_pool=deputy)


LAW = GroupSpec("law", "行政执法", ("law",))
FIN = GroupSpec("fin", "财务审计", ("audit", "finance"))


def _instance(groups: tuple[GroupSpec, ...], *extra: Candidate) -> Instance:
    team = TeamSpec(1, ("U1",), 4, 4, 1, 1, groups=groups)
    cands = (_cand("P0", lead=True), _cand("P1", "finance", deputy=True),
             _cand("P2", "finance"), _cand("P3", "audit"), *extra)
    suit = {("P1", 1): 50, ("P2", 1): 50, ("P3", 1): 50}
    return Instance("R", (team,), cands, suitability=suit)


def test_the_draw_takes_the_split_into_account() -> None:
    law = _cand("P4", "law")
    plain = assemble(_instance((), law), seed=1, settings=EXACT)
    assert "P4" not in plain.assignment()  # the suitability prefers the finance people
    inst = _instance((FIN, LAW), law)
    proposal = assemble(inst, seed=1, settings=EXACT)
    assert proposal.status == "optimal" and violations(inst, proposal) == []
    team = proposal.teams[0]
    assert "P4" in proposal.assignment()
    assert "P4" in {g.code: g.members for g in team.groups}["law"]
    assert sorted(k for g in team.groups for k in g.members) == sorted(
        m.key for m in team.members)
    req = next(r for r in team.requirements if r.code == "groups")
    assert req.met and "行政执法" in req.zh


def test_the_validator_refuses_a_team_that_cannot_be_split() -> None:
    inst = _instance((FIN, LAW), _cand("P4", "law"))
    members = tuple(Member(k, k, r, inst.by_key[k].skills) for k, r in
                    (("P0", "leader"), ("P1", "deputy"), ("P2", "member"), ("P3", "member")))
    p = Proposal("R", "manual", None, None, None, None, (), (Team(1, ("U1",), members, ()),),
                 0, inst.input_hash, 0.0, {}, 0.0, 0.0, False)
    found = violations(inst, p)
    assert len(found) == 1 and "行政执法" in found[0] and "law" in found[0]


def test_the_diagnosis_names_the_group_nobody_can_represent() -> None:
    inst = _instance((FIN, LAW))
    found = precheck(inst)
    assert [f.code for f in found] == ["group:1:law"]
    assert "行政执法" in found[0].zh and "0人" in found[0].zh
    # the one law cadre is recused from the target: the finding says so
    inst = replace(_instance((FIN, LAW), _cand("P4", "law")),
                   recusals={("P4", "U1"): frozenset({"leader", "deputy", "member"})})
    found = precheck(inst)
    assert [f.code for f in found] == ["group:1:law"] and "回避" in found[0].zh


def test_two_teams_wanting_the_one_qualified_cadre_are_diagnosed_together() -> None:
    teams = tuple(TeamSpec(no, (f"U{no}",), 4, 4, 1, 1, groups=(FIN, LAW)) for no in (1, 2))
    cands = (_cand("P0", "finance", lead=True), _cand("P1", "finance", lead=True),
             *(_cand(f"P{i}", "audit", deputy=True) for i in range(2, 8)), _cand("P8", "law"))
    inst = Instance("R", teams, cands)
    assert precheck(inst) == []
    assert assemble(inst, seed=1, settings=EXACT).status == "infeasible"
    diagnosis = diagnose(inst)
    codes = {f.code for f in diagnosis.findings}
    assert diagnosis.feasible is False and {"group:1:law", "group:2:law"} <= codes
    assert any("行政执法" in f.zh for f in diagnosis.findings)


def test_groups_that_cannot_fit_the_team_are_refused() -> None:
    team = TeamSpec(1, ("U1",), 5, 7, 1, 1, groups=(FIN, LAW, GroupSpec("p", "信访", ("x",)),
                                                       GroupSpec("q", "党建", ("y",))))
    try:
        Instance("R", (team,), (_cand("P0", lead=True),))
    except InstanceError as exc:
        assert "8–12" in str(exc) and "cannot fit" in str(exc)
    else:
        raise AssertionError("expected an InstanceError")


def test_groups_are_left_out_of_the_hash_when_absent_and_survive_storage() -> None:
    plain = _instance((), _cand("P4", "law"))
    assert all("groups" not in t for t in plain.canonical()["teams"])
    assert plain.input_hash == Instance(
        "R", (TeamSpec(1, ("U1",), 4, 4, 1, 1),), plain.candidates,
        suitability=plain.suitability).input_hash
    grouped = _instance((FIN, LAW), _cand("P4", "law"))
    assert grouped.input_hash != plain.input_hash
    stored = json.loads(json.dumps(grouped.canonical(), ensure_ascii=False))
    back = instance_from_canonical(stored, grouped.input_hash)
    assert back.teams == grouped.teams and back.teams[0].groups == (FIN, LAW)


def test_a_proposal_without_groups_has_no_groups_in_its_json() -> None:
    p = assemble(_instance((), _cand("P4", "law")), seed=1, settings=EXACT)
    assert '"groups"' not in p.canonical_json()
    g = assemble(_instance((FIN, LAW), _cand("P4", "law")), seed=1, settings=EXACT)
    assert json.loads(g.canonical_json())["teams"][0]["groups"][1]["code"] == "law"


@settings(max_examples=25, deadline=None)
@given(inst=tiny_instances())
def test_halls_sums_and_representatives_draw_alike(inst: Instance) -> None:
    """The two exact forms of the split condition (Hall's sums for a few groups,
    representative booleans for many) give the same optimum on the oracle's instances."""
    hall = assemble(inst, seed=2, settings=EXACT)
    saved = model.HALL_MAX_GROUPS
    model.HALL_MAX_GROUPS = 0
    try:
        reps = assemble(inst, seed=2, settings=EXACT)
    finally:
        model.HALL_MAX_GROUPS = saved
    assert (hall.status, hall.objective) == (reps.status, reps.objective)
    if reps.feasible:
        assert violations(inst, reps) == []


def test_a_seat_needing_a_skill_for_the_split_admits_only_newcomers_who_hold_it() -> None:
    stay = [("L", ()), ("A", ("finance",)), ("B", ()), ("C", ("audit",))]
    fits = newcomer_fits([FIN, LAW], stay)
    assert fits(("law",)) and fits(("law", "it")) and not fits(("finance",))
    assert not fits(())
    audit = GroupSpec("aud", "审计", ("audit",))
    assert newcomer_fits([FIN, audit], stay)(())  # both groups have their own: anyone
