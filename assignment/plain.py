"""The plain assignment form: people × targets, a fixed number of people per target, a
capacity and a minimum load per person, forbidden pairs; maximize total suitability.

Solved exactly as one min-cost flow (OR-Tools `SimpleMinCostFlow`, arcs built from numpy
arrays in one call). Loaders for the public peer-review instances live here too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from ortools.graph.python import max_flow, min_cost_flow

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SCALE = 1_000_000
"""Suitabilities become integer arc costs as round(s · SCALE). Each rounding moves a pair by
at most 0.5 / SCALE, so the assignment found is within (total demand) / SCALE of the exact
optimum (0.000354 on MIDL); it is exactly optimal when suitabilities are multiples of 10⁻⁶."""
MAX_ABS_SUITABILITY = 1e6  # keeps scaled costs and their sums far inside int64
ALGORITHM = "min-cost flow (OR-Tools SimpleMinCostFlow, lower-bound transformation)"
PREFLIB_CAPACITY = {"preflib1": 6, "preflib2": 7, "preflib3": 6, "aamas2015": 12,
                    "aamas2016": 12}  # from ../shared/benchmarks/external/README.md
_SHOWN = 8  # indices listed in one message before "… and N more"


class PlainInstanceError(ValueError):
    """The instance is malformed or cannot possibly be staffed; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _few(indices: npt.ArrayLike) -> str:
    idx = np.asarray(indices).ravel()
    shown = ", ".join(str(int(i)) for i in idx[:_SHOWN])
    return shown + (f" … (+{idx.size - _SHOWN})" if idx.size > _SHOWN else "")


def _counts(name: str, values: npt.ArrayLike, length: int, problems: list[str]) -> IntArray:
    raw = np.asarray(values)
    if raw.ndim != 1 or raw.shape[0] != length:
        problems.append(f"{name} 应为长度 {length} 的一维数组,实际形状 {raw.shape} / "
                        f"{name} must be a 1-D array of length {length}, got shape {raw.shape}")
        return np.zeros(length, np.int64)
    if raw.dtype.kind not in "iuf" or (raw.dtype.kind == "f" and not (
            np.isfinite(raw).all() and (raw == np.round(raw)).all())):
        problems.append(f"{name} 必须是整数 / {name} must hold integers")
        return np.zeros(length, np.int64)
    out = raw.astype(np.int64)
    if (bad := np.flatnonzero(out < 0)).size:
        problems.append(f"{name} 不能为负:位置 {_few(bad)} / {name} must not be negative: "
                        f"index {_few(bad)} (e.g. {int(out[bad[0]])})")
    return out


@dataclass(frozen=True, eq=False, init=False)
class PlainInstance:
    """suitability[i, j]: how well person i suits target j; demand[j]: people target j
    needs; capacity[i] / min_load[i]: most / fewest targets for person i; forbidden[i, j]:
    i must never serve j. Arrays are copied and read-only; construction validates them."""

    suitability: FloatArray
    demand: IntArray
    capacity: IntArray
    min_load: IntArray
    forbidden: BoolArray

    def __init__(self, suitability: npt.ArrayLike, demand: npt.ArrayLike,
                 capacity: npt.ArrayLike, min_load: npt.ArrayLike | None = None,
                 forbidden: npt.ArrayLike | None = None) -> None:
        problems: list[str] = []
        s = np.array(suitability, dtype=np.float64)
        if s.ndim != 2:
            raise PlainInstanceError([
                f"suitability 应为二维数组(人员 × 对象),实际维数 {s.ndim} / suitability must "
                f"be a 2-D array (people × targets), got {s.ndim} dimensions"])
        people, targets = s.shape
        d = _counts("demand", demand, targets, problems)
        c = _counts("capacity", capacity, people, problems)
        lo = (np.zeros(people, np.int64) if min_load is None
              else _counts("min_load", min_load, people, problems))
        f = np.zeros(s.shape, bool) if forbidden is None else np.asarray(forbidden)
        if f.shape != s.shape:
            problems.append(f"forbidden 形状 {f.shape} 与 suitability {s.shape} 不符 / "
                            f"forbidden has shape {f.shape}, suitability {s.shape}")
            f = np.zeros(s.shape, bool)
        elif f.dtype != np.bool_:
            if not np.isin(f, (0, 1)).all():
                problems.append("forbidden 只能含 0/1 或布尔值 / forbidden must be boolean or 0/1")
            f = f.astype(bool)
        if (bad := np.argwhere(~np.isfinite(s))).size:
            i, j = bad[0]
            problems.append(
                f"suitability 含 NaN 或无穷值:人员 {i}、对象 {j} 等 {len(bad)} 处 / suitability "
                f"holds NaN or infinity at person {i}, target {j} and {len(bad) - 1} more")
        elif (big := np.argwhere(np.abs(s) > MAX_ABS_SUITABILITY)).size:
            i, j = big[0]
            problems.append(
                f"suitability 绝对值不得超过 {MAX_ABS_SUITABILITY:g}:人员 {i}、对象 {j} 等 "
                f"{len(big)} 处,请先缩放 / suitability must lie within ±{MAX_ABS_SUITABILITY:g},"
                f" not at person {i}, target {j} and {len(big) - 1} more: rescale it")
        if problems:
            raise PlainInstanceError(problems)
        problems += _feasibility_problems(d, c, lo, f)
        if problems:
            raise PlainInstanceError(problems)
        for name, value in (("suitability", s), ("demand", d), ("capacity", c),
                            ("min_load", lo), ("forbidden", f)):
            value = value.copy()
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.suitability.shape[0]), int(self.suitability.shape[1]))


def _feasibility_problems(d: IntArray, c: IntArray, lo: IntArray, f: BoolArray) -> list[str]:
    """Counting conditions every feasible assignment meets (each is a necessary condition)."""
    problems: list[str] = []
    if (bad := np.flatnonzero(lo > c)).size:
        i = bad[0]
        problems.append(f"人员 {_few(bad)} 的最低负荷超过容量(如人员 {i}:{lo[i]} > {c[i]}) / "
                        f"people {_few(bad)} have a minimum load above their capacity "
                        f"(person {i}: {lo[i]} > {c[i]})")
    if c.sum() < d.sum():
        problems.append(f"总容量 {c.sum()} 小于总需求 {d.sum()}:请增加人员或容量,或减少每个对象"
                        f"所需人数 / total capacity {c.sum()} is less than total demand "
                        f"{d.sum()}: add people or capacity, or need fewer people per target")
    if lo.sum() > d.sum():
        problems.append(f"最低负荷之和 {lo.sum()} 超过总需求 {d.sum()}:请降低最低负荷 / the "
                        f"minimum loads add up to {lo.sum()}, more than the total demand "
                        f"{d.sum()}: lower them")
    allowed_people = (~f).sum(axis=0)
    for j in np.flatnonzero(allowed_people < d):
        problems.append(f"对象 {j} 需要 {d[j]} 人,但未被回避的人员只有 {allowed_people[j]} 人 / "
                        f"target {j} needs {d[j]} people but only {allowed_people[j]} are not "
                        f"forbidden for it")
    allowed_targets = (~f & (d > 0)[None, :]).sum(axis=1)
    for i in np.flatnonzero(allowed_targets < lo):
        problems.append(f"人员 {i} 的最低负荷为 {lo[i]},但可派往的对象只有 {allowed_targets[i]} 个"
                        f" / person {i} has a minimum load of {lo[i]} but only "
                        f"{allowed_targets[i]} targets may take them")
    return problems


@dataclass(frozen=True, eq=False)
class PlainAssignment:
    """A solve's outcome. `assignment[i, j]` is True when person i serves target j; when
    infeasible it is all False, `objective` is None and `explanation` says why."""

    status: Literal["optimal", "infeasible"]
    assignment: BoolArray
    objective: float | None
    loads: IntArray
    seconds: float
    algorithm: str
    explanation: tuple[str, ...] = ()


def solve_plain(instance: PlainInstance) -> PlainAssignment:
    """Maximize total suitability exactly, as one min-cost flow.

    Network: source → person i (capacity c_i − l_i), person i → target j for every allowed
    pair (capacity 1, cost −round(s_ij · SCALE)), target j → sink (capacity d_j); supplies:
    person i l_i, source D − L, sink −D (D = Σ d_j, L = Σ l_i).

    Why this is the optimum. The problem is a flow with lower bounds: source → i must carry
    between l_i and c_i. Write its flow as l_i + g_i with 0 ≤ g_i ≤ c_i − l_i; conservation
    at i then reads g_i + l_i = (flow out of i), i.e. node i carries a supply of l_i, and the
    source keeps D − L. This maps the bounded flows one-to-one onto the flows of the network
    above, with equal cost (source arcs cost 0), so a min-cost flow of one is a min-cost flow
    of the other. Every feasible flow ships exactly d_j into target j and between l_i and c_i
    out of person i; person → target arcs have capacity 1, and min-cost flow returns an
    integral optimum, so the optimal flow is an assignment meeting every constraint, and
    its cost is −SCALE × total suitability (up to rounding, see SCALE). No flow exists
    exactly when no assignment does; `explanation` then gives a Hall-type certificate.
    """
    started = time.perf_counter()
    people, targets = instance.shape
    d, c, lo = instance.demand, instance.capacity, instance.min_load
    pair_person, pair_target = np.nonzero(~instance.forbidden)
    # Data: nodes 0 source, 1..P people, P+1..P+T targets, P+T+1 sink.
    source, sink = 0, people + targets + 1
    person_node = 1 + np.arange(people)
    target_node = 1 + people + np.arange(targets)
    tails = np.concatenate([np.zeros(people, np.int64), person_node[pair_person], target_node])
    heads = np.concatenate([person_node, target_node[pair_target], np.full(targets, sink)])
    capacities = np.concatenate([c - lo, np.ones(pair_person.size, np.int64), d])
    costs = np.concatenate([
        np.zeros(people, np.int64),
        -np.rint(instance.suitability[pair_person, pair_target] * SCALE).astype(np.int64),
        np.zeros(targets, np.int64)])
    nodes = np.concatenate([[source], person_node, [sink]])
    supplies = np.concatenate([[d.sum() - lo.sum()], lo, [-d.sum()]])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                              capacities, costs)
    flow.set_nodes_supplies(nodes.astype(np.int32), supplies.astype(np.int64))
    status = flow.solve()
    if status == min_cost_flow.SimpleMinCostFlow.INFEASIBLE:
        return _infeasible(instance, started)
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"最小费用流求解失败:{status.name} / min-cost flow failed: "
                           f"{status.name}")
    pair_arcs = people + np.arange(pair_person.size, dtype=np.int32)
    used = np.asarray(flow.flows(pair_arcs)) > 0
    assignment = np.zeros(instance.shape, bool)
    assignment[pair_person[used], pair_target[used]] = True
    if (short := check_plain(instance, assignment)):  # guards the proof above, never expected
        raise RuntimeError("最小费用流结果违反约束 / the min-cost flow broke a constraint: "
                           + "; ".join(short))
    return PlainAssignment(
        status="optimal", assignment=assignment,
        objective=float(instance.suitability[assignment].sum()),
        loads=assignment.sum(axis=1).astype(np.int64),
        seconds=time.perf_counter() - started, algorithm=ALGORITHM)


def _infeasible(instance: PlainInstance, started: float) -> PlainAssignment:
    explanation = _explain(instance)
    return PlainAssignment(
        status="infeasible", assignment=np.zeros(instance.shape, bool), objective=None,
        loads=np.zeros(instance.shape[0], np.int64), seconds=time.perf_counter() - started,
        algorithm=ALGORITHM, explanation=tuple(explanation))


def _bipartite_cut(instance: PlainInstance, person_cap: IntArray) -> tuple[int, list[int]]:
    """Max flow source → people (person_cap) → allowed targets (1) → sink (demand); returns
    its value and the nodes on the sink side of a minimum cut."""
    people, targets = instance.shape
    pair_person, pair_target = np.nonzero(~instance.forbidden)
    sink = people + targets + 1
    tails = np.concatenate([np.zeros(people, np.int64), 1 + pair_person,
                            1 + people + np.arange(targets)])
    heads = np.concatenate([1 + np.arange(people), 1 + people + pair_target,
                            np.full(targets, sink)])
    caps = np.concatenate([person_cap, np.ones(pair_person.size, np.int64), instance.demand])
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32),
                                  caps.astype(np.int64))
    if solver.solve(0, sink) != max_flow.SimpleMaxFlow.OPTIMAL:
        raise RuntimeError("最大流求解失败 / max flow failed")
    return solver.optimal_flow(), solver.get_sink_side_min_cut()


def _explain(instance: PlainInstance) -> list[str]:
    """Hall-type certificates. Feasibility splits in two (the linking property of bipartite
    flows): the demands can be met within the capacities, and the minimum loads can be met
    within the demands. A minimum cut of the failing half names a set that cannot work."""
    people, targets = instance.shape
    d, lo, allowed = instance.demand, instance.min_load, ~instance.forbidden
    value, sink_side = _bipartite_cut(instance, instance.capacity)
    if value < d.sum():
        in_cut = np.zeros(people + targets + 2, bool)
        in_cut[sink_side] = True
        group = np.flatnonzero(in_cut[1 + people:1 + people + targets])
        reach = np.minimum(instance.capacity, allowed[:, group].sum(axis=1)).sum()
        return [f"对象 {_few(group)}(共 {group.size} 个)合计需要 {d[group].sum()} 人次,"
                f"可派往它们的人员在容量内最多只能提供 {reach} 人次;请增加人员或容量、减少所需人数,"
                f"或复核回避 / targets {_few(group)} ({group.size} in all) need "
                f"{d[group].sum()} assignments together, but the people allowed for them can "
                f"give at most {reach} within their capacities: add people or capacity, need "
                f"fewer people, or review the forbidden pairs"]
    value, sink_side = _bipartite_cut(instance, lo)
    if value < lo.sum():
        on_source = np.ones(people + targets + 2, bool)
        on_source[sink_side] = False
        group = np.flatnonzero(on_source[1:1 + people] & (lo > 0))
        room = np.minimum(d, allowed[group].sum(axis=0)).sum()
        return [f"人员 {_few(group)}(共 {group.size} 人)的最低负荷合计 {lo[group].sum()},"
                f"但允许他们参加的对象按所需人数最多只能容纳 {room} 人次;请降低最低负荷 / people "
                f"{_few(group)} ({group.size} in all) have minimum loads adding up to "
                f"{lo[group].sum()}, but the targets they may serve have room for at most "
                f"{room} of them: lower the minimum loads"]
    return ["需求与最低负荷无法同时满足 / the demands and the minimum loads cannot be met "
            "together"]


def check_plain(instance: PlainInstance, assignment: npt.ArrayLike) -> list[str]:
    """Every constraint the assignment violates, one line each; empty when it is valid."""
    a = np.asarray(assignment)
    if a.shape != instance.shape or a.dtype != np.bool_:
        return [f"分配应为形状 {instance.shape} 的布尔矩阵,实际 {a.shape} {a.dtype} / the "
                f"assignment must be a boolean {instance.shape} matrix, got {a.shape} {a.dtype}"]
    problems: list[str] = []
    got, load = a.sum(axis=0), a.sum(axis=1)
    for j in np.flatnonzero(got != instance.demand):
        problems.append(f"对象 {j}:{got[j]} 人,应为 {instance.demand[j]} 人 / target {j}: "
                        f"{got[j]} people, needs exactly {instance.demand[j]}")
    for i in np.flatnonzero(load > instance.capacity):
        problems.append(f"人员 {i}:负荷 {load[i]} 超过容量 {instance.capacity[i]} / person {i}: "
                        f"load {load[i]} exceeds capacity {instance.capacity[i]}")
    for i in np.flatnonzero(load < instance.min_load):
        problems.append(f"人员 {i}:负荷 {load[i]} 低于最低负荷 {instance.min_load[i]} / person "
                        f"{i}: load {load[i]} is below the minimum load {instance.min_load[i]}")
    for i, j in np.argwhere(a & instance.forbidden):
        problems.append(f"人员 {i} 不得派往对象 {j}(回避) / person {i} is forbidden for "
                        f"target {j}")
    return problems


def load_midl(directory: Path | str, *, min_loads: bool = True) -> PlainInstance:
    """MIDL (Kobren et al., KDD 2019): midl_scores.npy is people × targets, −1 marks a
    conflict; midl_covs, midl_loads, midl_loads_lb give demand, capacity, minimum load."""
    root = Path(directory)
    paths = {name: root / f"midl_{name}.npy" for name in ("scores", "covs", "loads", "loads_lb")}
    if missing := [str(p) for p in paths.values() if not p.is_file()]:
        raise FileNotFoundError(f"缺少 MIDL 数据文件 / MIDL files missing: {', '.join(missing)}")
    scores = np.load(paths["scores"])
    conflict = scores == -1
    return PlainInstance(np.where(conflict, 0.0, scores), np.load(paths["covs"]),
                         np.load(paths["loads"]),
                         np.load(paths["loads_lb"]) if min_loads else None, conflict)


def load_preflib(path: Path | str, capacity: int, per_target: int = 3) -> PlainInstance:
    """A PrefLib instance as used by Jecmen et al. (2020): first line `P R`, then P lines of
    R affinities (papers × reviewers), transposed here to people × targets."""
    path = Path(path)
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    if not lines or len(lines[0]) != 2:
        raise ValueError(f"{path}:第 1 行应为 'P R' / line 1 must be 'P R'")
    papers, reviewers = int(lines[0][0]), int(lines[0][1])
    rows = lines[1:]
    if len(rows) != papers:
        raise ValueError(f"{path}:应有 {papers} 行亲和度,实际 {len(rows)} 行 / expected "
                         f"{papers} rows of affinities, found {len(rows)}")
    for number, row in enumerate(rows, start=2):
        if len(row) != reviewers:
            raise ValueError(f"{path}:第 {number} 行应有 {reviewers} 个数,实际 {len(row)} 个 / "
                             f"line {number} must hold {reviewers} numbers, holds {len(row)}")
    affinity = np.array(rows, dtype=np.float64).T
    return PlainInstance(affinity, np.full(papers, per_target), np.full(reviewers, capacity))
