"""The plain assignment form: optimality against brute force and CP-SAT, every constraint on
every solution, explanations of infeasible instances, and the published optima."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from assignment.plain import (
    SCALE,
    PlainAssignment,
    PlainInstance,
    PlainInstanceError,
    check_plain,
    load_midl,
    load_preflib,
    solve_plain,
)

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "external"


def solved(instance: PlainInstance) -> PlainAssignment:
    """Solve, and hold every solution to the validator."""
    result = solve_plain(instance)
    if result.status == "optimal":
        assert check_plain(instance, result.assignment) == []
        assert result.objective == pytest.approx(
            float(instance.suitability[result.assignment].sum()))
        assert (result.loads == result.assignment.sum(axis=1)).all()
    else:
        assert result.objective is None and result.explanation
    return result


def brute_force(suitability: np.ndarray, demand: np.ndarray, capacity: np.ndarray,
                min_load: np.ndarray, forbidden: np.ndarray) -> float | None:
    """Best total suitability over every people × targets 0/1 matrix (None: none feasible)."""
    people, targets = suitability.shape
    bits = np.array(list(itertools.product([False, True], repeat=people * targets)), bool)
    grids = bits.reshape(-1, people, targets)
    load = grids.sum(axis=2)
    ok = ((grids.sum(axis=1) == demand).all(axis=1) & (load <= capacity).all(axis=1)
          & (load >= min_load).all(axis=1) & ~(grids & forbidden).any(axis=(1, 2)))
    if not ok.any():
        return None
    return float((grids[ok] * suitability).sum(axis=(1, 2)).max())


@st.composite
def tiny_instances(draw: st.DrawFn) -> dict[str, np.ndarray]:
    people = draw(st.integers(1, 4))
    targets = draw(st.integers(1, 3))
    capacity = np.array(draw(st.lists(st.integers(0, targets), min_size=people,
                                      max_size=people)))
    min_load = np.minimum(capacity, draw(st.lists(st.sampled_from([0, 0, 1, 2]),
                                                  min_size=people, max_size=people)))
    return {
        "suitability": np.array(draw(st.lists(st.integers(-8, 40), min_size=people * targets,
                                              max_size=people * targets)),
                                float).reshape(people, targets) / 8 + 1e-7,
        "demand": np.array(draw(st.lists(st.integers(0, people), min_size=targets,
                                         max_size=targets))),
        "capacity": capacity,
        "min_load": min_load,
        "forbidden": np.array(draw(st.lists(st.integers(0, 3), min_size=people * targets,
                                            max_size=people * targets))
                              ).reshape(people, targets) == 0,  # a quarter of the pairs
    }


@settings(max_examples=400, deadline=None)
@given(tiny_instances())
def test_matches_brute_force_on_random_tiny_instances(arrays: dict[str, np.ndarray]) -> None:
    best = brute_force(**arrays)
    try:
        instance = PlainInstance(**arrays)
    except PlainInstanceError:
        assert best is None  # construction only rejects what no assignment can satisfy
        return
    result = solved(instance)
    if best is None:
        assert result.status == "infeasible"
        assert_certificate_holds(instance, result.explanation[0])
    else:
        assert result.status == "optimal"
        assert result.objective is not None
        assert abs(result.objective - best) <= instance.demand.sum() / SCALE + 1e-9


def test_every_infeasible_instance_gets_a_certificate() -> None:
    # minimum loads, tight demands and many forbidden pairs: both kinds of certificate occur
    rng = np.random.default_rng(5)
    kinds: set[str] = set()
    for _ in range(1500):
        people, targets = int(rng.integers(2, 5)), int(rng.integers(2, 4))
        capacity = rng.integers(1, targets + 1, people)
        arrays = {"suitability": rng.random((people, targets)),
                  "demand": rng.integers(1, 3, targets), "capacity": capacity,
                  "min_load": np.minimum(capacity, rng.integers(0, 3, people)),
                  "forbidden": rng.random((people, targets)) < 0.4}
        best = brute_force(**arrays)
        try:
            instance = PlainInstance(**arrays)
        except PlainInstanceError:
            assert best is None
            continue
        result = solved(instance)
        assert (result.status == "infeasible") == (best is None)
        if result.status == "infeasible":
            kinds.add(assert_certificate_holds(instance, result.explanation[0]))
    assert kinds == {"targets", "people"}


def assert_certificate_holds(instance: PlainInstance, explanation: str) -> str:
    """Recompute the Hall-type certificate the explanation states; return its kind."""
    english = explanation.split(" / ")[1]
    found = re.match(r"(targets|people) ([\d, ]+) \((\d+) in all\)\D+(\d+)\D+(\d+)", english)
    assert found, english
    kind, group = found[1], np.array([int(g) for g in found[2].split(",")])
    need, most = int(found[4]), int(found[5])
    allowed = ~instance.forbidden
    assert int(found[3]) == group.size
    if kind == "targets":  # the targets need more than their allowed people can give
        assert need == instance.demand[group].sum()
        assert most == np.minimum(instance.capacity, allowed[:, group].sum(axis=1)).sum()
    else:  # the people's minimum loads exceed the room in the targets they may serve
        assert need == instance.min_load[group].sum()
        assert most == np.minimum(instance.demand, allowed[group].sum(axis=0)).sum()
    assert need > most
    return kind


def test_beats_greedy_on_a_hand_built_instance() -> None:
    # greedy takes (0, 0) = 10 and is left with (1, 1) = 0; the optimum crosses: 9 + 9
    instance = PlainInstance([[10.0, 9.0], [9.0, 0.0]], [1, 1], [1, 1])
    result = solved(instance)
    assert result.objective == 18.0
    assert result.assignment.tolist() == [[False, True], [True, False]]


def test_forbidden_pair_is_never_used_even_when_best() -> None:
    instance = PlainInstance([[100.0, 1.0], [1.0, 1.0]], [1, 1], [2, 2],
                             forbidden=[[True, False], [False, False]])
    result = solved(instance)
    assert not result.assignment[0, 0]
    assert result.objective == 2.0


def test_minimum_loads_are_respected_and_cost_what_they_cost() -> None:
    suitability = [[5.0, 5.0], [1.0, 1.0], [0.0, 0.0]]
    free = PlainInstance(suitability, [1, 1], [2, 2, 2])
    bound = PlainInstance(suitability, [1, 1], [2, 2, 2], min_load=[0, 0, 1])
    assert solved(free).objective == 10.0
    result = solved(bound)
    assert result.objective == 5.0
    assert result.loads.tolist() == [1, 0, 1]


def test_matches_cp_sat_on_a_random_30_by_20_instance_with_minimum_loads() -> None:
    rng = np.random.default_rng(11)
    people, targets = 30, 20
    instance = PlainInstance(rng.random((people, targets)).round(3), np.full(targets, 3),
                             rng.integers(2, 5, people), rng.integers(0, 2, people),
                             rng.random((people, targets)) < 0.2)
    model = cp_model.CpModel()
    x = {(i, j): model.new_bool_var(f"x_{i}_{j}") for i, j in
         np.argwhere(~instance.forbidden).tolist()}
    for j in range(targets):  # demand
        model.add(sum(v for (_, jj), v in x.items() if jj == j) == int(instance.demand[j]))
    for i in range(people):  # capacity and minimum load
        load = sum(v for (ii, _), v in x.items() if ii == i)
        model.add_linear_constraint(load, int(instance.min_load[i]), int(instance.capacity[i]))
    model.maximize(sum(round(instance.suitability[i, j] * 1000) * v
                       for (i, j), v in x.items()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    assert solved(instance).objective == pytest.approx(solver.objective_value / 1000)


def test_demand_no_one_can_cover_names_the_targets() -> None:
    # targets 0 and 1 each have one allowed person, the same one, with capacity 1
    instance = PlainInstance(np.ones((3, 3)), [1, 1, 1], [1, 1, 1],
                             forbidden=[[False, False, True], [True, True, False],
                                        [True, True, False]])
    result = solved(instance)
    assert result.status == "infeasible"
    assert not result.assignment.any()
    assert "targets 0, 1 (2 in all) need 2 assignments" in result.explanation[0]
    assert "at most 1" in result.explanation[0]


def test_minimum_loads_no_target_can_absorb_name_the_people() -> None:
    # people 0 and 1 must each serve once but may only serve target 0, which needs one person
    instance = PlainInstance(np.ones((3, 2)), [1, 1], [1, 1, 1], min_load=[1, 1, 0],
                             forbidden=[[False, True], [False, True], [False, False]])
    result = solved(instance)
    assert result.status == "infeasible"
    assert "people 0, 1 (2 in all) have minimum loads adding up to 2" in result.explanation[0]
    assert "room for at most 1" in result.explanation[0]


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"suitability": np.ones(3), "demand": [1], "capacity": [1]}, "must be a 2-D array"),
    ({"demand": [1, 1], "capacity": [1, 1, 1]}, "demand must be a 1-D array of length 3"),
    ({"capacity": [2, -1]}, "capacity must not be negative: index 1"),
    ({"demand": [1.5, 1, 1]}, "demand must hold integers"),
    ({"suitability": [[np.nan, 0, 0], [0, 0, 0]]}, "NaN or infinity at person 0, target 0"),
    ({"suitability": [[1e7, 0, 0], [0, 0, 0]]}, "rescale it"),
    ({"min_load": [3, 0]}, "person 0: 3 > 2"),
    ({"capacity": [1, 1]}, "total capacity 2 is less than total demand 3"),
    ({"forbidden": [[True, False, False], [True, False, False]], "demand": [1, 1, 0]},
     "target 0 needs 1 people but only 0 are not forbidden for it"),
    ({"min_load": [2, 2], "demand": [1, 1, 1]}, "minimum loads add up to 4, more than the total"),
    ({"forbidden": np.zeros((3, 2), bool)}, "forbidden has shape (3, 2)"),
])
def test_malformed_instances_are_rejected_with_a_reason(kwargs: dict[str, object],
                                                         expected: str) -> None:
    arrays: dict[str, object] = {"suitability": np.zeros((2, 3)), "demand": [1, 1, 1],
                                 "capacity": [2, 2]}
    with pytest.raises(PlainInstanceError) as caught:
        PlainInstance(**(arrays | kwargs))  # type: ignore[arg-type]
    assert expected in str(caught.value)
    assert all(" / " in problem for problem in caught.value.problems)  # Chinese / English


def test_instance_copies_its_inputs_and_is_read_only() -> None:
    suitability = np.zeros((2, 2))
    instance = PlainInstance(suitability, [1, 1], [1, 1])
    suitability[0, 0] = 9.0
    assert instance.suitability[0, 0] == 0.0
    with pytest.raises(ValueError):
        instance.capacity[0] = 5


def test_validator_lists_every_violation() -> None:
    instance = PlainInstance(np.zeros((3, 2)), [1, 1], [1, 1, 1], min_load=[0, 0, 1],
                             forbidden=[[False, True], [False, False], [False, False]])
    bad = np.array([[True, True], [True, False], [False, False]])
    problems = check_plain(instance, bad)
    assert any("target 0: 2 people, needs exactly 1" in p for p in problems)
    assert any("person 0: load 2 exceeds capacity 1" in p for p in problems)
    assert any("person 2: load 0 is below the minimum load 1" in p for p in problems)
    assert any("person 0 is forbidden for target 1" in p for p in problems)
    assert len(problems) == 4
    assert check_plain(instance, np.zeros((2, 2), bool))[0].endswith("got (2, 2) bool")


def test_preflib_loader_reports_a_ragged_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.in"
    path.write_text("2 3\n0.1 0.2 0.3\n0.1 0.2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3 must hold 3 numbers, holds 2"):
        load_preflib(path, capacity=2)


def external() -> Path:
    if not (EXTERNAL / "README.md").is_file():
        pytest.fail(f"公开基准数据缺失:{EXTERNAL} / the public benchmark instances are missing "
                    f"at {EXTERNAL}: CI provides them as ../shared next to the clone; "
                    f"create that symlink to run these tests")
    return EXTERNAL


def test_midl_reaches_the_published_optimum() -> None:
    instance = load_midl(external(), min_loads=False)
    assert instance.shape == (177, 118) and instance.forbidden.sum() == 462
    result = solved(instance)
    assert result.objective is not None and round(result.objective, 2) == 201.88


def test_midl_with_minimum_loads_reaches_the_published_optimum() -> None:
    instance = load_midl(external())
    result = solved(instance)
    assert result.objective is not None and round(result.objective, 2) == 150.04
    assert (result.loads >= 2).all()


def test_preflib1_reaches_the_published_optimum() -> None:
    instance = load_preflib(external() / "preflib1.in", capacity=6)
    assert instance.shape == (31, 54)  # reviewers × papers after the transpose
    result = solved(instance)
    assert result.objective == pytest.approx(124.25, abs=1e-9)
