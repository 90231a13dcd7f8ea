"""Teams with sides (互派): the leader from the lead side, deputies from the other, members
of both; every rule checked on every proposal, brute-force optima, diagnoses that name the
side and the role, reproducible draws, and hashes that cover the sides."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assignment.assemble import SolveSettings, assemble
from assignment.diagnose import diagnose, precheck
from assignment.instance import Candidate, Instance, InstanceError, TeamSpec, pair
from assignment.validate import term_values, violations
from tests.unit.test_assemble import EXACT, SKILLS, _city_like, _proposal, brute_force

NAMES = {"A": "甲县", "B": "乙县", "C": "丙县"}


def cadre(key: str, side: str | None, *, lead: bool = False, deputy: bool = False,
          skills: tuple[str, ...] = (), gender: str = "M", recent: int = 0) -> Candidate:
    return Candidate(key, f"干部{key}", gender, skills, leader_pool=lead, deputy_pool=deputy,
                     recent_rounds=recent, side=side)


def exchange_team(no: int, lead: str = "A", deputy: str = "B", per_side: int = 1,
                  size: tuple[int, int] = (4, 5)) -> TeamSpec:
    return TeamSpec(no, (f"U{no}",), *size, 1, 1, leader_side=lead, deputy_side=deputy,
                    min_per_side=per_side)


@st.composite
def tiny_exchanges(draw: st.DrawFn) -> Instance:
    n = draw(st.integers(6, 8))
    cands = [Candidate(
        f"C{i}", f"干部{i}", draw(st.sampled_from(["M", "F"])),
        tuple(sorted(draw(st.sets(st.sampled_from(SKILLS), max_size=2)))),
        leader_pool=draw(st.booleans()), deputy_pool=draw(st.booleans()),
        trainee=draw(st.booleans()), veteran=draw(st.booleans()),
        recent_rounds=draw(st.integers(0, 3)), side=draw(st.sampled_from(["A", "B", "C"])))
        for i in range(n)]
    teams = (TeamSpec(1, ("U1",), 3, 4, 1, 1, (("finance", 1),), leader_side="A",
                      deputy_side="B", min_per_side=draw(st.integers(0, 1))),
             TeamSpec(2, ("U2",), 2, 3, 0, 1, (), (("audit", 1),), leader_side="B",
                      deputy_side=draw(st.sampled_from(["A", "C"]))))
    keys = [c.key for c in cands]
    recusals = {(k, draw(st.sampled_from(["U1", "U2"]))): frozenset({"leader"})
                for k in draw(st.lists(st.sampled_from(keys), max_size=2, unique=True))}
    conflicts = frozenset(pair(a, b) for a, b in draw(st.lists(
        st.tuples(st.sampled_from(keys), st.sampled_from(keys)), max_size=2)) if a != b)
    return Instance("R", teams, tuple(cands), recusals, conflicts, side_names=NAMES)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=tiny_exchanges())
def test_optimum_equals_brute_force_and_every_side_rule_holds(inst: Instance) -> None:
    proposal = assemble(inst, seed=3, settings=EXACT)
    best = brute_force(inst)  # every placement and role choice the validator accepts
    if best is None:
        assert proposal.status == "infeasible"
        return
    assert proposal.status == "optimal"
    assert violations(inst, proposal) == []
    assert proposal.objective == best
    teams = {t.no: {m.key: m.role for m in t.members} for t in proposal.teams}
    assert {t.name: t.value for t in proposal.terms} == term_values(inst, teams)
    sides = {c.key: c.side for c in inst.candidates}
    for team in proposal.teams:
        assert all(m.side == sides[m.key] for m in team.members)
        assert next(r for r in team.requirements if r.code == "sides").met


def _binding() -> Instance:
    """B's leader is the better one (no recent rounds): without sides they would lead."""
    cands = (cadre("A1", "A", lead=True, recent=3), cadre("B1", "B", lead=True),
             cadre("A2", "A", deputy=True), cadre("B2", "B", deputy=True),
             cadre("A3", "A"), cadre("B3", "B"), cadre("A4", "A", gender="F"))
    return Instance("R", (exchange_team(1),), cands, side_names=NAMES)


def test_the_side_rule_binds() -> None:
    inst = _binding()
    free = replace(inst, teams=(replace(inst.teams[0], leader_side=None, deputy_side=None,
                                        min_per_side=0),))
    unbound = assemble(free, seed=1, settings=EXACT)
    assert unbound.teams[0].leader.key == "B1"  # the unconstrained optimum
    bound = assemble(inst, seed=1, settings=EXACT)
    assert violations(inst, bound) == []
    team = bound.teams[0]
    assert team.leader.key == "A1" and team.leader.side == "A"
    assert {m.key for m in team.members if m.role == "deputy"} <= {"B1", "B2"}
    members = [m for m in team.members if m.role == "member"]
    assert {"A", "B"} <= {m.side for m in members}
    assert bound.objective is not None and unbound.objective is not None
    assert bound.objective < unbound.objective  # the rule costs something here


def test_only_the_teams_sides_serve() -> None:
    inst = replace(_binding(), candidates=(*_binding().candidates, cadre("C1", "C", lead=True),
                                           cadre("X1", None, lead=True)))
    p = assemble(inst, seed=2, settings=EXACT)
    assert violations(inst, p) == []
    assert {m.side for t in p.teams for m in t.members} <= {"A", "B"}


def test_the_validator_names_each_side_rule() -> None:
    inst = _binding()
    good = {"A1": "leader", "B2": "deputy", "A3": "member", "B3": "member"}
    assert violations(inst, _proposal(inst, {1: good})) == []
    cases = {
        "须来自甲县": good | {"A1": "member", "B1": "leader", "A3": "member"},
        "副组长 A2 来自甲县，须来自乙县": {"A1": "leader", "A2": "deputy", "A3": "member",
                                     "B3": "member"},
        "来自乙县的组员0人": {"A1": "leader", "B2": "deputy", "A3": "member", "A4": "member"},
    }
    for text, roles in cases.items():
        assert any(text in v for v in violations(inst, _proposal(inst, {1: roles}))), text
    outsider = replace(inst, candidates=(*inst.candidates, cadre("C1", "C")))
    roles = good | {"C1": "member"}
    assert any("不属于本组的派出方" in v for v in violations(outsider,
                                                            _proposal(outsider, {1: roles})))


@pytest.mark.parametrize(("change", "code", "text"), [
    ({"B1": cadre("B1", "B")}, None, None),  # B's leader gone: A still leads, fine
    ({"A1": cadre("A1", "A")}, "leader:1",
     "第1组组长须来自甲县，但甲县无可任组长的干部"),
    ({"B2": cadre("B2", "B"), "B1": cadre("B1", "B")}, "deputies:1",
     "第1组须有1名来自乙县的副组长，但乙县可任者仅0人"),
])
def test_a_side_that_cannot_fill_its_role_is_named(change: dict[str, Candidate],
                                                   code: str | None, text: str | None) -> None:
    inst = _binding()
    inst = replace(inst, candidates=tuple(change.get(c.key, c) for c in inst.candidates))
    found = precheck(inst)
    if code is None:
        assert found == [] and assemble(inst, seed=1).feasible
        return
    assert [f.code for f in found] == [code]
    assert text is not None and found[0].zh.startswith(text)
    assert "甲县" in found[0].en or "乙县" in found[0].en
    # the same instance without sides can be staffed: the side rule alone fails it
    free = replace(inst, teams=(replace(inst.teams[0], leader_side=None, deputy_side=None,
                                        min_per_side=0),))
    assert precheck(free) == [] and assemble(free, seed=1).feasible


def test_a_side_recused_from_the_target_is_named_with_its_members() -> None:
    inst = replace(_binding(), recusals={("A1", "U1"): frozenset({"leader"})})
    (finding,) = precheck(inst)
    assert finding.code == "leader:1" and "须回避本组对象" in finding.zh
    assert "A1" in finding.zh


def test_members_per_side_short_is_named() -> None:
    inst = replace(_binding(), teams=(exchange_team(1, per_side=2, size=(4, 6)),))
    # B keeps B1 and B2: two members, or a deputy and one member, not a deputy and two
    inst = replace(inst, candidates=tuple(c for c in inst.candidates if c.key != "B3"))
    (finding,) = precheck(inst)
    assert finding.code == "side:1:B"
    assert finding.zh == ("第1组须有来自乙县的至少3人（副组长1人、组员2人），"
                          "但乙县不须回避的候选人仅2人")
    inst = replace(inst, recusals={("B1", "U1"): frozenset({"member"})})
    (finding,) = precheck(inst)
    assert finding.zh.startswith("第1组须有2名来自乙县的组员，但乙县可任者仅1人")


def test_a_conflict_only_the_solve_finds_names_the_side_requirements() -> None:
    # A has one leader and one other cadre, who may not serve together: the leader and
    # an A member cannot both be on the team, though each alone is available
    cands = (cadre("A1", "A", lead=True), cadre("A2", "A"), cadre("B1", "B", deputy=True),
             cadre("B2", "B"), cadre("B3", "B"))
    inst = Instance("R", (exchange_team(1),), cands, conflicts=frozenset({("A1", "A2")}),
                    side_names=NAMES)
    assert precheck(inst) == []
    d = diagnose(inst)
    assert d.feasible is False
    codes = {f.code for f in d.findings}
    assert {"leader:1", "side:1:A"} <= codes
    text = "\n".join(f.zh for f in d.findings)
    assert "来自甲县的组长" in text and "来自甲县的组员" in text


def test_a_side_without_leaders_for_all_its_teams_is_named() -> None:
    inst = replace(_binding(), teams=(exchange_team(1), exchange_team(2)))
    found = precheck(inst)
    assert any(f.code == "pool:leaders:A" and "2个组长须来自甲县" in f.zh for f in found)


def test_instances_reject_side_rules_that_cannot_fit() -> None:
    with pytest.raises(InstanceError, match="min_per_side"):
        Instance("R", (TeamSpec(1, ("U1",), min_per_side=1),), ())
    with pytest.raises(InstanceError, match="exceed the size"):
        Instance("R", (exchange_team(1, per_side=2, size=(4, 5)),), ())


def _mixed_city(teams: int = 3) -> Instance:
    base = _city_like(n=60, teams=teams)
    cands = tuple(replace(c, side="AB"[i % 2] if i % 10 else "A")
                  for i, c in enumerate(base.candidates))
    specs = tuple(replace(t, leader_side="A", deputy_side="B", min_per_side=2)
                  for t in base.teams)
    return replace(base, candidates=cands, teams=specs, side_names=NAMES)


def test_same_seed_same_exchange_and_other_seeds_other_teams() -> None:
    inst = _mixed_city()
    a, b = assemble(inst, seed=11), assemble(inst, seed=11)
    assert a.canonical_json() == b.canonical_json()
    assert '"side":"A"' in a.canonical_json()
    draws = {json.dumps(sorted(assemble(inst, seed=s).assignment().items()))
             for s in range(4)}
    assert len(draws) >= 3
    for s in range(4):
        assert violations(inst, assemble(inst, seed=s)) == []


def test_shortlists_keep_both_sides() -> None:
    inst = _mixed_city(teams=4)
    full = assemble(inst, seed=2, settings=EXACT)
    short = assemble(inst, seed=2, settings=SolveSettings(tolerance=0, shortlist_above=0,
                                                          shortlist_k=4))
    assert short.shortlisted and violations(inst, short) == []
    assert short.objective == full.objective


def test_the_input_hash_covers_sides_and_is_unchanged_without_them() -> None:
    inst = _city_like()
    # the hash this instance had before sides existed (commit fb6d460): instances
    # without sides hash as they did, so sealed draw specifications still verify
    assert inst.input_hash == \
        "99d9459915fb74712d571ac8ad1398483287aa3e74d24614d5099163414a17ee"
    sided = replace(inst, teams=tuple(replace(t, leader_side="A") for t in inst.teams))
    assert sided.input_hash != inst.input_hash
    moved = replace(inst, candidates=(replace(inst.candidates[0], side="A"),
                                      *inst.candidates[1:]))
    assert moved.input_hash != inst.input_hash
    renamed = replace(_mixed_city(), side_names={"A": "甲", "B": "乙"})
    assert renamed.input_hash != _mixed_city().input_hash
