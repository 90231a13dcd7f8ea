"""Probability-capped team sets (issue 16, item 2) on tiny instances: every valid team set
is enumerated, the full linear program over all of them is solved directly, and the
column generation must reach its optimum, keep every marginal under its cap, give only
valid team sets, and say when (and from which cap on) the caps cannot be met."""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import pytest
from ortools.linear_solver import pywraplp

from assignment.capped_teams import CapSettings, capped_teams, column, draw_team_set
from assignment.instance import Candidate, Instance, TeamSpec
from assignment.validate import objective, term_values, violations
from tests.unit.test_assemble import _proposal


def every_team_set(inst: Instance) -> list[dict[int, dict[str, str]]]:
    """Every placement and role choice that passes the validator (tiny instances only)."""
    keys = [c.key for c in inst.candidates]
    specs = {t.no: t for t in inst.teams}
    out = []
    for placed in itertools.product(*[[0, *specs] for _k in keys]):
        groups = {no: [k for k, p in zip(keys, placed, strict=True) if p == no]
                  for no in specs}
        if not all(specs[no].size_min <= len(g) <= specs[no].size_max
                   for no, g in groups.items()):
            continue
        options = []
        for no, g in groups.items():
            spec, mine = specs[no], []
            for leader in g:
                rest = [k for k in g if k != leader]
                for n in range(spec.deputies_min, spec.deputies_max + 1):
                    for deps in itertools.combinations(rest, n):
                        roles = dict.fromkeys(g, "member") | {leader: "leader"} | \
                            dict.fromkeys(deps, "deputy")
                        mine.append((no, roles))
            options.append(mine)
        for choice in itertools.product(*options):
            teams = dict(choice)
            if not violations(inst, _proposal(inst, teams)):
                out.append(teams)
    return out


def full_lp(inst: Instance, sets: list[dict[int, dict[str, str]]], cap: float,
            leader_cap: float) -> float | None:
    lp = pywraplp.Solver.CreateSolver("GLOP")
    lam = [lp.NumVar(0, 1, f"l{k}") for k in range(len(sets))]
    lp.Add(sum(lam) == 1)
    pairs = {(k, no) for s in sets for no, m in s.items() for k in m}
    for key, no in pairs:
        lp.Add(sum(lam[i] for i, s in enumerate(sets) if key in s[no]) <= cap)
        lp.Add(sum(lam[i] for i, s in enumerate(sets) if s[no].get(key) == "leader")
               <= leader_cap)
    lp.Maximize(sum(objective(inst, term_values(inst, s)) * lam[i] for i, s in enumerate(sets)))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return float(lp.Objective().Value())


def smallest_theta(inst: Instance, sets: list[dict[int, dict[str, str]]], cap: float,
                   leader_cap: float, scale: tuple[bool, bool] = (True, True)) -> float | None:
    """The smallest θ scaling the caps `scale` picks (members, leaders) with the others
    as given, over every team set; None when the fixed ones cannot hold at all."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    lam = [lp.NumVar(0, 1, f"l{k}") for k in range(len(sets))]
    theta = lp.NumVar(0, lp.infinity(), "theta")
    lp.Add(sum(lam) == 1)
    pairs = {(k, no) for s in sets for no, m in s.items() for k in m}
    for key, no in pairs:
        lp.Add(sum(lam[i] for i, s in enumerate(sets) if key in s[no])
               <= (cap * theta if scale[0] else cap))
        lp.Add(sum(lam[i] for i, s in enumerate(sets) if s[no].get(key) == "leader")
               <= (leader_cap * theta if scale[1] else leader_cap))
    lp.Minimize(theta)
    status = lp.Solve()
    if status == pywraplp.Solver.INFEASIBLE:
        return None
    assert status == pywraplp.Solver.OPTIMAL
    return float(theta.solution_value())


def _instance(n: int, leaders: int, seed: int) -> Instance:
    import random

    rng = random.Random(seed)
    skills = ("finance", "audit")
    cands = tuple(Candidate(
        f"C{i}", f"干部{i}", rng.choice("MF"), tuple(sorted(rng.sample(skills, rng.randint(0, 2)))),
        leader_pool=i < leaders, deputy_pool=rng.random() < 0.5, veteran=rng.random() < 0.4,
        recent_rounds=rng.randint(0, 2), trainee=rng.random() < 0.3) for i in range(n))
    teams = (TeamSpec(1, ("U1",), 2, 3, 0, 1, (("finance", 1),), (("audit", 1),)),
             TeamSpec(2, ("U2",), 2, 2, 0, 1, (), ()))
    return Instance("R", teams, cands)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("cap", "leader_cap"), [("0.5", "0.5"), ("0.4", "0.25"),
                                                 ("1", "1")])
def test_column_generation_reaches_the_optimum_of_the_lp_over_every_team_set(
        seed: int, cap: str, leader_cap: str) -> None:
    inst = _instance(6, 4, seed)
    sets = every_team_set(inst)
    assert sets, "the tiny instance is staffable"
    exact = full_lp(inst, sets, float(cap), float(leader_cap))
    dist = capped_teams(inst, CapSettings.of(cap, leader_cap, pricing_time=5.0), seed=seed)
    if exact is None:
        assert dist.status in ("infeasible", "unknown")
        theta = smallest_theta(inst, sets, float(cap), float(leader_cap))
        assert dist.smallest is not None
        assert 0 <= float(dist.smallest[0]) - float(cap) * theta <= 1e-3 + 1e-9  # rounded up
        assert "概率上限无法满足" in dist.explanation[0]
        return
    assert dist.status == "optimal"
    assert dist.expected == pytest.approx(exact, abs=1e-6)
    assert dist.gap == pytest.approx(0.0, abs=1e-9)
    assert sum(dist.weights) == pytest.approx(1.0)
    assert dist.max_marginal <= float(cap) + 1e-9
    assert dist.max_leader_marginal <= float(leader_cap) + 1e-9
    for col in dist.columns:  # every team set of the distribution is valid
        assert violations(inst, _proposal(inst, col.as_dict())) == []
        assert col == column(inst, col.as_dict())


def test_a_leader_cap_below_one_over_the_eligible_leaders_is_refused_with_the_smallest_cap(
        ) -> None:
    inst = _instance(6, 3, 1)  # three leaders for two teams: a cap below 1/… cannot hold
    sets = every_team_set(inst)
    theta = smallest_theta(inst, sets, 1.0, 0.1)
    assert theta > 1
    dist = capped_teams(inst, CapSettings.of("1", "0.1"))
    assert dist.status == "infeasible"
    assert dist.smallest is not None
    assert 0 <= float(dist.smallest[1]) - 0.1 * theta <= 1e-3 + 1e-9  # rounded up
    assert not dist.columns


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("cap", "leader_cap"), [("0.5", "0.1"), ("0.3", "0.3"),
                                                 ("0.2", "0.5")])
def test_when_caps_fail_each_cap_alone_is_raised_to_its_exact_smallest_value(
        seed: int, cap: str, leader_cap: str) -> None:
    """Raising both in proportion is one answer; keeping one and raising the other is
    what an office asks next (a leader cap of 0.1 with three eligible leaders): each is
    the exact smallest over every team set, or "no value will do"."""
    inst = _instance(6, 3, seed)
    sets = every_team_set(inst)
    q, ql = float(cap), float(leader_cap)
    both = smallest_theta(inst, sets, q, ql)
    dist = capped_teams(inst, CapSettings.of(cap, leader_cap, pricing_time=5.0))
    if both is not None and both <= 1 + 1e-9:
        assert dist.status == "optimal"
        return
    assert dist.status == "infeasible" and dist.smallest_alone is not None
    member_alone, leader_alone = dist.smallest_alone
    for got, scale, given in ((member_alone, (True, False), q),
                              (leader_alone, (False, True), ql)):
        exact = smallest_theta(inst, sets, q, ql, scale)
        if exact is None:
            assert got is None
        else:
            assert got is not None and -1e-9 <= float(got) - given * exact <= 1e-3 + 1e-9
            # and the caps it names can be met, with the other kept
            kept = (float(got), ql) if scale == (True, False) else (q, float(got))
            met = capped_teams(inst, CapSettings.of(str(kept[0]), str(kept[1]),
                                                   pricing_time=5.0))
            assert met.status == "optimal", (kept, met.explanation)
    text = dist.explanation[0]
    assert "按同样比例" in text and " / the caps cannot be met" in text
    if leader_alone is not None and q < 1:
        assert f"任组长上限{float(leader_alone):.1%}" in text


def test_the_draw_follows_the_weights_and_is_reproducible() -> None:
    inst = _instance(6, 4, 2)
    dist = capped_teams(inst, CapSettings.of("0.5", "0.5"))
    assert len(dist.columns) > 1
    picks = Counter(draw_team_set(dist, seed) for seed in range(4000))
    for k, w in enumerate(dist.weights):
        assert abs(picks[k] / 4000 - w) <= 4.5 * (w * (1 - w) / 4000) ** 0.5 + 1e-9
    assert [draw_team_set(dist, s) for s in range(20)] == \
        [draw_team_set(dist, s) for s in range(20)]
    assert draw_team_set(dist, b"\x01" * 32) == draw_team_set(dist, b"\x01" * 32)


def test_caps_outside_zero_to_one_are_refused() -> None:
    from assignment.capped import CapError

    with pytest.raises(CapError):
        CapSettings.of("0", "0.1")
    with pytest.raises(CapError):
        CapSettings.of("0.2", "1.2")
    assert CapSettings.of("0.2").leader_cap == Fraction(1, 5)
