"""Ranked replacements for a member who leaves: the ranking equals an exhaustive search
(every candidate tried in the seat, judged by `violations`, scored by `term_values`),
every option keeps every hard rule, a candidate breaking any single rule is absent (and
present once that rule no longer bites), and the replacement draw is a fixed function of
the departure event and the round's seed."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assignment.assemble import assemble
from assignment.instance import Candidate, GroupSpec, Instance, TeamSpec, pair
from assignment.replacement import (
    DRAW_DOMAIN,
    ReplacementError,
    draw_replacement,
    event_preimage,
    near_best,
    rank_replacements,
    ticket,
)
from assignment.validate import objective, term_values, violations
from tests.unit.test_assemble import EXACT, SKILLS, _proposal

Teams = dict[int, dict[str, str]]


def swapped(teams: Teams, no: int, leaving: str, key: str) -> Teams:
    out = {n: dict(m) for n, m in teams.items()}
    role = out[no].pop(leaving)
    out[no][key] = role
    return out


def brute_force(inst: Instance, teams: Teams, no: int, leaving: str) -> list[tuple[int, str]]:
    """Every candidate tried in the seat: kept when the changed proposal breaks no hard
    rule and they were on no team before; best objective first, then by key."""
    placed = {k for m in teams.values() for k in m}
    out = []
    for c in inst.candidates:
        if c.key == leaving or c.key in placed:
            continue
        after = swapped(teams, no, leaving, c.key)
        if violations(inst, _proposal(inst, after)):
            continue
        out.append((objective(inst, term_values(inst, after)), c.key))
    return sorted(out, key=lambda v: (-v[0], v[1]))


def teams_of(inst: Instance) -> Teams | None:
    p = assemble(inst, seed=5, settings=EXACT)
    if not p.feasible:
        return None
    return {t.no: {m.key: m.role for m in t.members} for t in p.teams}


def check_against_brute_force(inst: Instance, teams: Teams) -> None:
    for no, members in teams.items():
        for leaving in members:
            expected = brute_force(inst, teams, no, leaving)
            for verify in (0, 20):  # the rule filter alone, and with the validator after it
                r = rank_replacements(inst, teams, no, leaving, verify=verify)
                got = [(o.objective_after, o.cadre) for o in r.options]
                assert got == expected, (no, leaving, verify)
                assert [o.rank for o in r.options] == list(range(1, len(got) + 1))
                assert r.considered == len(inst.candidates) - 1
                assert sum(e.count for e in r.excluded) == r.considered - len(r.options)
            before = objective(inst, term_values(inst, teams))
            for o in r.options:
                after = swapped(teams, no, leaving, o.cadre)
                assert violations(inst, _proposal(inst, after)) == []
                assert o.objective_before == before
                assert {t.name: t.after for t in o.terms} == term_values(inst, after)
                assert o.objective_change == sum(t.contribution_change for t in o.terms)
                assert o.why_zh and o.why_en
            assert (r.none_zh is None) == bool(r.options)


@st.composite
def small_rounds(draw: st.DrawFn) -> Instance:
    n = draw(st.integers(9, 12))
    cands = [Candidate(
        f"C{i:02d}", f"干部{i}", draw(st.sampled_from(["M", "F"])),
        tuple(sorted(draw(st.sets(st.sampled_from(SKILLS), max_size=2)))),
        leader_pool=draw(st.booleans()), deputy_pool=draw(st.booleans()),
        trainee=draw(st.booleans()), veteran=draw(st.booleans()),
        recent_rounds=draw(st.integers(0, 3)),
        led_targets=draw(st.sampled_from([(), ("U1",), ("U2",)])),
        inspected_targets=draw(st.sampled_from([(), ("U1",), ("U2", "U3")])))
        for i in range(n)]
    first = TeamSpec(1, ("U1",), 3, 4, 1, 1, (("finance", 1), ("audit", 1)),
                     (("audit", 2),))
    if draw(st.booleans()):  # checking groups: a newcomer must keep the team splittable
        first = replace(first, size_min=4, size_max=5, groups=(
            GroupSpec("fa", "财务审计", ("audit", "finance")),
            GroupSpec("dj", "纪检", ("discipline",))))
    teams = (first,
             TeamSpec(2, ("U2", "U3"), 2, 3, 0, 1, (("discipline", 1),),
                      (("finance", 1),)))
    keys = [c.key for c in cands]
    recusals = {(k, draw(st.sampled_from(["U1", "U2", "U3"]))): frozenset(
        draw(st.sampled_from([{"leader"}, {"deputy"}, {"leader", "deputy", "member"}])))
        for k in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True))}
    pairs = st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(keys)), max_size=4)
    conflicts = frozenset(pair(a, b) for a, b in draw(pairs) if a != b)
    past = frozenset(pair(a, b) for a, b in draw(pairs) if a != b)
    suitability = {(k, draw(st.sampled_from([1, 2]))): draw(st.integers(0, 5))
                   for k in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))}
    return Instance("R", teams, tuple(cands), recusals, conflicts, past, suitability,
                    skill_names={"finance": "财务", "audit": "审计", "discipline": "纪检监察"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=small_rounds())
def test_the_ranking_equals_trying_every_candidate(inst: Instance) -> None:
    teams = teams_of(inst)
    assume(teams is not None)
    assert teams is not None
    check_against_brute_force(inst, teams)


@st.composite
def small_exchanges(draw: st.DrawFn) -> Instance:
    """互派: team 1 led from side A with deputies from B and members of both."""
    n = draw(st.integers(10, 12))
    cands = [Candidate(
        f"C{i:02d}", f"干部{i}", draw(st.sampled_from(["M", "F"])),
        tuple(sorted(draw(st.sets(st.sampled_from(SKILLS), max_size=2)))),
        leader_pool=draw(st.booleans()), deputy_pool=draw(st.booleans()),
        veteran=draw(st.booleans()), recent_rounds=draw(st.integers(0, 2)),
        side="AB"[i % 2]) for i in range(n)]
    teams = (TeamSpec(1, ("U1",), 4, 5, 1, 1, (("finance", 1),), leader_side="A",
                      deputy_side="B", min_per_side=draw(st.integers(0, 1))),
             TeamSpec(2, ("U2",), 2, 3, 0, 1, (("audit", 1),)))
    keys = [c.key for c in cands]
    recusals = {(k, draw(st.sampled_from(["U1", "U2"]))): frozenset({"leader", "member"})
                for k in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))}
    conflicts = frozenset(pair(a, b) for a, b in draw(st.lists(
        st.tuples(st.sampled_from(keys), st.sampled_from(keys)), max_size=3)) if a != b)
    return Instance("R", teams, tuple(cands), recusals, conflicts,
                    side_names={"A": "甲县", "B": "乙县"})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=small_exchanges())
def test_the_ranking_equals_trying_every_candidate_on_teams_with_sides(inst: Instance
                                                                        ) -> None:
    teams = teams_of(inst)
    assume(teams is not None)
    assert teams is not None
    check_against_brute_force(inst, teams)


# -- one rule at a time ---------------------------------------------------------------------

def c(key: str, skills: tuple[str, ...] = (), *, lead: bool = False, deputy: bool = False,
      recent: int = 0, gender: str = "M", veteran: bool = False) -> Candidate:
    return Candidate(key, f"干部{key}", gender, skills, leader_pool=lead, deputy_pool=deputy,
                     recent_rounds=recent, veteran=veteran)


BASE = (
    c("L1", ("audit",), lead=True, veteran=True), c("D1", deputy=True),
    c("M1", ("finance",), gender="F"), c("M2"),  # team 1: M1 is its only finance member
    c("L2", lead=True), c("D2", deputy=True), c("M3", ("finance",)), c("M4"),  # team 2
    c("X1", ("finance",)), c("X2", ("finance",), recent=2), c("X3", ("finance",), gender="F"),
    c("X4", ("finance",)), c("X5", ("finance",)), c("X6", ("finance",), lead=True),
)
SPECS = (TeamSpec(1, ("U1",), 4, 4, 1, 1, (("finance", 1), ("audit", 1))),
         TeamSpec(2, ("U2",), 4, 4, 1, 1))
TEAMS: Teams = {1: {"L1": "leader", "D1": "deputy", "M1": "member", "M2": "member"},
                2: {"L2": "leader", "D2": "deputy", "M3": "member", "M4": "member"}}
RECUSED = {("X1", "U1"): frozenset({"leader", "deputy", "member"})}
TIED = frozenset({pair("X2", "L1")})


def city(**changes: object) -> Instance:
    base: dict[str, object] = {"candidates": BASE, "recusals": RECUSED, "conflicts": TIED,
                               "skill_names": {"finance": "财务", "audit": "审计"}}
    return Instance("R", SPECS, **(base | changes))  # type: ignore[arg-type]


def keys(inst: Instance, teams: Teams, no: int, leaving: str) -> list[str]:
    return [o.cadre for o in rank_replacements(inst, teams, no, leaving).options]


def test_a_candidate_breaking_any_single_rule_is_absent_and_why_is_counted() -> None:
    inst = city()
    r = rank_replacements(inst, TEAMS, 1, "M1")
    listed = [o.cadre for o in r.options]
    assert "X1" not in listed  # recused from the team's target
    assert "X2" not in listed  # tied with the leader, who stays
    assert not {"L1", "D1", "M2", "L2", "D2", "M3", "M4"} & set(listed)  # on a team
    # M1 was the team's only finance member: whoever takes the seat brings finance
    assert listed == ["X3", "X4", "X5", "X6"]  # X3 (a woman) keeps the gender mix
    assert {e.code: e.count for e in r.excluded} == {"on_team": 7, "recused": 1, "tie": 1}
    best, second = r.options[0], r.options[1]
    assert best.covers == ("finance",) and best.objective_change == 0
    assert best.why_zh == "保持财务 finance 覆盖；各项软性指标不变；调整后目标值最高"
    assert best.why_en == ("keeps 财务 finance covered; no soft term changes; the best "
                           "objective after the change")
    assert second.objective_change == -10
    assert second.why_zh == "保持财务 finance 覆盖；目标值−10（性别搭配−10）；比最佳低10"
    assert r.options[2].why_zh.endswith("比最佳低10")
    assert [o.objective_after for o in r.options[1:]] == [second.objective_after] * 3


def test_each_excluded_candidate_returns_once_its_rule_no_longer_bites() -> None:
    # the same candidates are listed when the one thing against them is gone: the
    # exclusions above are those rules, not something else about them
    assert "X1" in keys(city(recusals={}), TEAMS, 1, "M1")
    assert "X2" in keys(city(conflicts=frozenset()), TEAMS, 1, "M1")
    freed = {1: TEAMS[1], 2: {"L2": "leader", "D2": "deputy", "X4": "member", "M4": "member"}}
    assert "M3" in keys(city(), freed, 1, "M1") and "X4" not in keys(city(), freed, 1, "M1")


def test_the_seat_keeps_its_role_and_its_required_skills() -> None:
    r = rank_replacements(city(), TEAMS, 2, "L2")
    assert r.role == "leader" and [o.cadre for o in r.options] == ["X6"]
    assert r.options[0].why_zh.startswith("组长库干部；")
    assert {e.code: e.count for e in r.excluded} == {"on_team": 7, "role": 5}
    # L1 is team 1's only auditor: its new leader must lead and audit; nobody can
    none = rank_replacements(city(), TEAMS, 1, "L1")
    assert none.options == ()
    assert none.none_zh == ("没有人能接替第1组组长的席位：候选人13人中，已在本轮的巡察组中7人；"
                            "不具备该席位的角色资格4人；须回避本组巡察对象1人；"
                            "缺少本组仅由离开者具备的必备专业1人")
    assert none.none_en is not None and none.none_en.startswith(
        "nobody can take the leader's seat on team 1: of 13 candidates, 7 already on a team")
    auditing = tuple(replace(x, skills=("audit", "finance")) if x.key == "X6" else x
                     for x in BASE)
    assert keys(city(candidates=auditing), TEAMS, 1, "L1") == ["X6"]
    leading = tuple(replace(x, leader_pool=True) if x.key == "X3" else x for x in BASE)
    assert keys(city(candidates=leading), TEAMS, 2, "L2") == ["X3", "X6"]


def test_a_cadre_on_another_team_is_absent_even_when_capacity_would_allow() -> None:
    # approval records one team per cadre per round, so the ranking never suggests
    # someone already seated, whatever their capacity
    twice = tuple(replace(x, capacity=2) if x.key == "M3" else x for x in BASE)
    inst = city(candidates=twice)
    assert "M3" not in keys(inst, TEAMS, 1, "M1")
    assert violations(inst, _proposal(inst, swapped(TEAMS, 1, "M1", "M3"))) == []
    # nor anyone seated in another part of the proposal (a cross-inspection's groups)
    r = rank_replacements(city(), TEAMS, 1, "M1", elsewhere={"X3"})
    assert [o.cadre for o in r.options] == ["X4", "X5", "X6"]
    away = rank_replacements(city(), TEAMS, 1, "M1", unavailable={"X4": ("病假", "sick")})
    assert "X4" not in [o.cadre for o in away.options]
    assert {e.code: e.count for e in away.excluded}["unavailable"] == 1


def test_a_member_who_must_serve_cannot_leave() -> None:
    bound = tuple(replace(x, minimum=1) if x.key == "M2" else x for x in BASE)
    r = rank_replacements(city(candidates=bound), TEAMS, 1, "M2")
    assert r.options == () and r.blocked
    assert r.none_zh is not None and "M2 须至少参加1个组，不能离开" in r.none_zh


def test_unknown_team_or_member_is_named() -> None:
    with pytest.raises(ReplacementError) as team:
        rank_replacements(city(), TEAMS, 3, "M1")
    assert (team.value.field, team.value.zh) == ("team", "没有第3组")
    with pytest.raises(ReplacementError) as member:
        rank_replacements(city(), TEAMS, 1, "M3")
    assert (member.value.field, member.value.en) == ("leaving", "M3 is not on team 1")


# -- the replacement draw -------------------------------------------------------------------

SEED = "5f" * 32


def wide() -> tuple[Instance, Teams]:
    """Many free cadres, many of them equally good: a lot worth drawing."""
    cands = tuple(c(f"C{i:03d}", (SKILLS[i % 3],), lead=i % 10 == 0, deputy=i % 5 == 1,
                    recent=i % 3, gender="MF"[i % 2], veteran=i % 4 == 0) for i in range(40))
    specs = (TeamSpec(1, ("U1",), 5, 5, 1, 1, (("finance", 1), ("audit", 1))),)
    inst = Instance("R", specs, cands)
    teams = teams_of(inst)
    assert teams is not None
    return inst, teams


def lot(seed: str = SEED, tolerance: float = 0.2, proposal: int = 7) -> str:
    inst, teams = wide()
    leaving = next(k for k, r in teams[1].items() if r == "member")
    r = rank_replacements(inst, teams, 1, leaving)
    drawn = draw_replacement(r.options, tolerance, seed=seed, proposal_id=proposal, team=1,
                             leaving=leaving)
    assert drawn is not None
    return drawn.chosen.cadre


def test_the_draw_is_a_fixed_function_of_the_event_and_picks_among_the_near_best() -> None:
    inst, teams = wide()
    leaving = next(k for k, r in teams[1].items() if r == "member")
    r = rank_replacements(inst, teams, 1, leaving)
    floor, pool = near_best(r.options, 0.2)
    assert 1 < len(pool) < len(r.options)  # some options are too far from the best
    drawn = draw_replacement(r.options, 0.2, seed=SEED, proposal_id=7, team=1,
                             leaving=leaving)
    assert drawn is not None and drawn.floor == floor
    assert [k for k, _t in drawn.tickets] == [o.cadre for o in pool]
    assert drawn.chosen.objective_after >= floor
    # anyone can recompute it: `printf '…candidate %s\n' KEY | sha256sum`, smallest wins
    text = f"{DRAW_DOMAIN}\nseed {SEED}\nproposal 7\nteam 1\nleaving {leaving}\n"
    assert drawn.preimage == text == event_preimage(seed=SEED, proposal_id=7, team=1,
                                                    leaving=leaving)
    assert drawn.event_sha256 == hashlib.sha256(text.encode()).hexdigest()
    tickets = {o.cadre: hashlib.sha256(f"{text}candidate {o.cadre}\n".encode()).hexdigest()
               for o in pool}
    assert dict(drawn.tickets) == tickets
    assert drawn.chosen.cadre == min(tickets, key=lambda k: tickets[k])
    assert ticket(text, drawn.chosen.cadre) == tickets[drawn.chosen.cadre]
    # the same inputs draw the same cadre; the order the options come in does not matter
    again = draw_replacement(list(reversed(r.options)), 0.2, seed=SEED, proposal_id=7,
                             team=1, leaving=leaving)
    assert again is not None and again.chosen.cadre == drawn.chosen.cadre


def test_the_draw_changes_with_the_seed_and_the_event() -> None:
    by_seed = {lot(seed=f"{i:064x}") for i in range(16)}
    assert len(by_seed) >= 3
    by_proposal = {lot(proposal=i) for i in range(1, 17)}
    assert len(by_proposal) >= 3
    assert lot() == lot()


def test_tolerance_zero_draws_among_the_best_only_and_bad_input_is_refused() -> None:
    inst, teams = wide()
    leaving = next(k for k, r in teams[1].items() if r == "member")
    r = rank_replacements(inst, teams, 1, leaving)
    best = r.options[0].objective_after
    drawn = draw_replacement(r.options, 0, seed=SEED, proposal_id=7, team=1,
                             leaving=leaving)
    assert drawn is not None and drawn.chosen.objective_after == best
    assert all(o.objective_after == best for o in r.options
               if o.cadre in dict(drawn.tickets))
    assert draw_replacement((), 0.1, seed=SEED, proposal_id=7, team=1, leaving=leaving) is None
    with pytest.raises(ValueError):
        near_best(r.options, 1.5)
    with pytest.raises(ValueError):
        event_preimage(seed="a b", proposal_id=1, team=1, leaving="X")
    unchecked = rank_replacements(inst, teams, 1, leaving, verify=0)
    with pytest.raises(ValueError, match="not checked"):  # only validated options in a lot
        draw_replacement(unchecked.options, 0.2, seed=SEED, proposal_id=7, team=1,
                         leaving=leaving)
    with pytest.raises(ValueError):
        ticket("x", "two\nlines")

