"""Plain assignment form benchmark: the public instances against their published optima, a
dense random 1,000 × 1,000 instance against the time target, and a CP-SAT baseline.

* public: MIDL (capacity only, and with minimum loads) and preflib1 from
  ../shared/benchmarks/external/, each solved `repeat` times (median), objective compared
  with the published optimum;
* dense: uniform random suitabilities in [0, 1), 3 people per target, capacity 6, 1 % of
  the pairs forbidden (seeded), `repeat` runs, median time of `solve_plain` (arc
  construction included);
* baseline: the straightforward CP-SAT model of the same dense instance (one Boolean per
  allowed pair, demand and capacity as linear constraints, the same integer costs), one
  worker, solved once; its build and solve time against the flow's on the same instance.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assignment.plain import (
    SCALE,
    PlainAssignment,
    PlainInstance,
    check_plain,
    load_midl,
    load_preflib,
    solve_plain,
)

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "benchmarks" / "external"
PUBLISHED = {"MIDL, capacity only": 201.88, "MIDL, with minimum loads": 150.04,
             "preflib1": 124.25}
MIDL_TARGET_S = 2.0
DENSE_TARGET_S = 1.5


@dataclass(frozen=True)
class Figure:
    name: str
    shape: tuple[int, int]
    seconds: float  # median
    objective: float
    expected: float | None  # published optimum, or the baseline's on the same instance
    target_s: float | None
    valid: bool


@dataclass(frozen=True)
class Baseline:
    size: int
    status: str
    build_s: float
    solve_s: float
    objective: float | None
    flow_s: float  # median solve_plain time on the same instance
    flow_objective: float


def dense_instance(size: int, seed: int) -> PlainInstance:
    rng = np.random.default_rng(seed)
    return PlainInstance(rng.random((size, size)), np.full(size, 3), np.full(size, 6),
                         forbidden=rng.random((size, size)) < 0.01)


def _median_solve(instance: PlainInstance, repeat: int) -> tuple[float, PlainAssignment]:
    results = [solve_plain(instance) for _ in range(repeat)]
    return statistics.median(r.seconds for r in results), results[-1]


def _figure(name: str, instance: PlainInstance, repeat: int, expected: float | None,
            target_s: float | None) -> Figure:
    seconds, result = _median_solve(instance, repeat)
    if result.objective is None:
        raise RuntimeError(f"{name}: {result.explanation}")
    return Figure(name, instance.shape, seconds, result.objective, expected, target_s,
                  not check_plain(instance, result.assignment))


def public_figures(repeat: int) -> list[Figure]:
    if not (EXTERNAL / "README.md").is_file():
        raise SystemExit(f"公开基准数据缺失 / public instances missing: {EXTERNAL}")
    loaders: dict[str, tuple[Callable[[], PlainInstance], float | None]] = {
        "MIDL, capacity only": (lambda: load_midl(EXTERNAL, min_loads=False), MIDL_TARGET_S),
        "MIDL, with minimum loads": (lambda: load_midl(EXTERNAL), MIDL_TARGET_S),
        "preflib1": (lambda: load_preflib(EXTERNAL / "preflib1.in", capacity=6), None),
    }
    return [_figure(name, load(), repeat, PUBLISHED[name], target)
            for name, (load, target) in loaders.items()]


def cp_sat_baseline(instance: PlainInstance, time_limit_s: float) -> tuple[str, float, float,
                                                                            float | None]:
    """Status, build seconds, solve seconds and objective of the straightforward model."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    people, targets = instance.shape
    pair_person, pair_target = np.nonzero(~instance.forbidden)
    model = cp_model.CpModel()
    # Variables: one Boolean per allowed pair
    x = [model.new_bool_var(f"x_{i}_{j}")
         for i, j in zip(pair_person.tolist(), pair_target.tolist(), strict=True)]
    # Constraints: exactly the demand per target; between min load and capacity per person
    by_target = np.argsort(pair_target, kind="stable")
    for j, arcs in enumerate(np.split(by_target, np.cumsum(np.bincount(pair_target,
                                                                       minlength=targets))[:-1])):
        model.add(sum(x[k] for k in arcs.tolist()) == int(instance.demand[j]))
    for i, arcs in enumerate(np.split(np.arange(pair_person.size), np.cumsum(
            np.bincount(pair_person, minlength=people))[:-1])):
        model.add_linear_constraint(sum(x[k] for k in arcs.tolist()),
                                    int(instance.min_load[i]), int(instance.capacity[i]))
    # Objective: the flow's integer costs, negated
    weights = np.rint(instance.suitability[pair_person, pair_target] * SCALE).astype(np.int64)
    model.maximize(cp_model.LinearExpr.weighted_sum(x, weights.tolist()))
    built = time.perf_counter()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.linearization_level = 2  # SOLVER-NOTES: the LP carries these models
    solver.parameters.max_time_in_seconds = time_limit_s  # safety net only
    status = solver.solve(model)
    solved = time.perf_counter()
    objective = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.array([solver.boolean_value(v) for v in x], bool)
        objective = float(instance.suitability[pair_person[chosen], pair_target[chosen]].sum())
    return solver.status_name(status), built - started, solved - built, objective


def run(size: int, seed: int, repeat: int, baseline_size: int,
        baseline_limit_s: float) -> tuple[list[Figure], Baseline | None]:
    figures = public_figures(repeat)
    dense = dense_instance(size, seed)
    figures.append(_figure(f"dense random {size:,} × {size:,}", dense, repeat, None,
                           DENSE_TARGET_S))
    if baseline_size <= 0:
        return figures, None
    same = dense if baseline_size == size else dense_instance(baseline_size, seed)
    flow_s, flow = _median_solve(same, repeat)
    status, build_s, solve_s, objective = cp_sat_baseline(same, baseline_limit_s)
    assert flow.objective is not None
    return figures, Baseline(baseline_size, status, build_s, solve_s, objective, flow_s,
                             flow.objective)
