"""Probability-capped assignment of the plain form (Jecmen, Zhang, Liu, Shah, Conitzer,
Fang, NeurIPS 2020, "Mitigating manipulation in peer review via randomized reviewer
assignments"): maximize the expected total suitability over random assignments in which
no person serves a given target with probability above a cap Q, then draw one assignment
whose marginals are exactly the optimum's.

**The distribution's marginals (`capped_plain`).** The linear program

    max Σ s_ij x_ij   s.t.  Σ_i x_ij = d_j,  l_i ≤ Σ_j x_ij ≤ c_i,  0 ≤ x_ij ≤ Q,
                            x_ij = 0 where i may not serve j

is a transportation problem with an upper bound on every arc. With Q = p/q in lowest
terms, the variables y = q·x form a flow of the same network with integer data (arc
capacity p, demands q·d_j, loads q·l_i … q·c_i); its constraint matrix is totally
unimodular, so a min-cost flow (integral) solves it exactly, and x = y/q is an optimum of
the LP held as integers: no floating-point tolerance anywhere in the draw.

**The draw (`sample_plain`).** Dependent rounding on the bipartite graph (Gandhi, Khuller,
Parthasarathy, Srinivasan, JACM 2006), in exact integer arithmetic over the denominator
q: while some edge is fractional, take a cycle or a maximal path of fractional edges,
split it into alternate edge sets E1, E2 and move every edge by +α on E1 / −α on E2 with
probability β/(α+β), or by −β / +β with probability α/(α+β), with α, β the largest steps
that keep every edge in [0, q]. Each step keeps every edge's expectation, so
P(i serves j) = x_ij exactly; at least one edge becomes integral; a target's total never
changes (a target with a fractional edge has two, so it is never a path's end); a
person's load ends at the floor or ceiling of its fractional load, inside [l_i, c_i].

The random choices come from SHA-256 of a domain-separated seed and the step number, one
exact integer each: the same seed gives the same assignment on any machine.

Pure: numpy and OR-Tools only.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from ortools.graph.python import max_flow, min_cost_flow

from assignment.plain import SCALE, PlainInstance, check_plain, solve_plain

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DOMAIN = b"xuncha-capped-plain-v1"
MAX_DENOMINATOR = 1_000_000  # a cap is read to six decimals at most


class CapError(ValueError):
    """A cap that cannot be used as given; the message says why and what to do."""


def as_cap(value: float | str | Fraction) -> Fraction:
    """The cap as an exact fraction in (0, 1]: a decimal is read as written (0.4482 is
    2241/5000, not the nearest binary float)."""
    try:
        cap = Fraction(value if isinstance(value, Fraction) else str(value))
    except (ValueError, ZeroDivisionError) as exc:
        raise CapError(f"概率上限须为0到1之间的数，收到 {value!r} / the cap must be a number "
                       f"in (0, 1], got {value!r}") from exc
    if not 0 < cap <= 1:
        raise CapError(f"概率上限须大于0且不超过1，收到 {value} / the cap must lie in (0, 1], "
                       f"got {value}")
    if cap.denominator > MAX_DENOMINATOR:
        raise CapError(f"概率上限最多写到小数点后六位，收到 {value} / write the cap with at most "
                       f"six decimals, got {value}")
    return cap


@dataclass(frozen=True, eq=False)
class CappedPlain:
    """The capped optimum: `units[i, j] / denominator` is P(i serves j) (exact);
    `expected` the expected total suitability, `optimum` the uncapped optimum."""

    instance: PlainInstance
    cap: Fraction
    status: str  # optimal / infeasible
    units: IntArray  # q · x, integers in [0, p]
    denominator: int
    expected: float | None
    optimum: float | None
    seconds: float
    explanation: tuple[str, ...] = ()

    @property
    def marginals(self) -> npt.NDArray[np.float64]:
        return self.units / self.denominator

    @property
    def share(self) -> float | None:
        """Expected total as a share of the uncapped optimum."""
        if self.expected is None or not self.optimum:
            return None
        return self.expected / self.optimum


def _network(instance: PlainInstance, cap: Fraction, *, costs: bool):
    people, targets = instance.shape
    p, q = cap.numerator, cap.denominator
    d, c, lo = instance.demand * q, instance.capacity * q, instance.min_load * q
    pair_person, pair_target = np.nonzero(~instance.forbidden)
    person_node = 1 + np.arange(people)
    target_node = 1 + people + np.arange(targets)
    sink = people + targets + 1
    tails = np.concatenate([np.zeros(people, np.int64), person_node[pair_person], target_node])
    heads = np.concatenate([person_node, target_node[pair_target], np.full(targets, sink)])
    arc_caps = np.concatenate([c - lo if costs else c, np.full(pair_person.size, p, np.int64),
                               d])
    arc_costs = None
    if costs:
        arc_costs = np.concatenate([
            np.zeros(people, np.int64),
            -np.rint(instance.suitability[pair_person, pair_target] * SCALE).astype(np.int64),
            np.zeros(targets, np.int64)])
    return (pair_person, pair_target, tails, heads, arc_caps, arc_costs, d, lo, sink)


def capped_plain(instance: PlainInstance, cap: float | str | Fraction) -> CappedPlain:
    """The marginals of the best distribution with every P(i serves j) ≤ cap."""
    started = time.perf_counter()
    q_cap = as_cap(cap)
    people, _targets = instance.shape
    plain = solve_plain(instance)
    if plain.status != "optimal":
        return CappedPlain(instance, q_cap, "infeasible", np.zeros(instance.shape, np.int64),
                           q_cap.denominator, None, None, time.perf_counter() - started,
                           plain.explanation)
    (pair_person, pair_target, tails, heads, arc_caps, arc_costs, d, lo,
     sink) = _network(instance, q_cap, costs=True)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                              arc_caps, arc_costs)
    nodes = np.concatenate([[0], 1 + np.arange(people), [sink]])
    supplies = np.concatenate([[d.sum() - lo.sum()], lo, [-d.sum()]])
    flow.set_nodes_supplies(nodes.astype(np.int32), supplies.astype(np.int64))
    status = flow.solve()
    if status == min_cost_flow.SimpleMinCostFlow.INFEASIBLE:
        smallest = smallest_cap(instance)
        return CappedPlain(
            instance, q_cap, "infeasible", np.zeros(instance.shape, np.int64),
            q_cap.denominator, None, plain.objective, time.perf_counter() - started,
            (f"概率上限 {float(q_cap):g} 过低：每个对象所需人数无法在此上限下配齐；"
             f"可行的最小上限约为 {float(smallest):.4f} / the cap {float(q_cap):g} is too "
             f"low to staff every target; the smallest feasible cap is about "
             f"{float(smallest):.4f}",))
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"最小费用流求解失败：{status.name} / min-cost flow failed: "
                           f"{status.name}")
    arcs = people + np.arange(pair_person.size, dtype=np.int32)
    units = np.zeros(instance.shape, np.int64)
    units[pair_person, pair_target] = np.asarray(flow.flows(arcs), np.int64)
    expected = float((units * instance.suitability).sum() / q_cap.denominator)
    return CappedPlain(instance, q_cap, "optimal", units, q_cap.denominator, expected,
                       plain.objective, time.perf_counter() - started)


def smallest_cap(instance: PlainInstance, *, resolution: int = 10_000) -> Fraction:
    """The smallest cap k/resolution under which the targets can still be staffed (a max
    flow per probe, bisection over k)."""
    lo_k, hi_k = 0, resolution
    while hi_k - lo_k > 1:
        mid = (lo_k + hi_k) // 2
        if _staffable(instance, Fraction(mid, resolution)):
            hi_k = mid
        else:
            lo_k = mid
    return Fraction(hi_k, resolution)


def _staffable(instance: PlainInstance, cap: Fraction) -> bool:
    """Whether the capped LP is feasible (loads' minimums aside: they are checked by the
    min-cost flow itself)."""
    (_pp, _pt, tails, heads, arc_caps, _costs, d, _lo,
     sink) = _network(instance, cap, costs=False)
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32),
                                  arc_caps.astype(np.int64))
    if solver.solve(0, sink) != max_flow.SimpleMaxFlow.OPTIMAL:
        raise RuntimeError("最大流求解失败 / max flow failed")
    return int(solver.optimal_flow()) == int(d.sum())


class _Lot:
    """Exact integer choices from a seed: the k-th choice is SHA-256(domain, seed, k)."""

    def __init__(self, seed: int | bytes) -> None:
        raw = seed if isinstance(seed, bytes) else str(int(seed)).encode()
        self._prefix = hashlib.sha256(DOMAIN + b"\x00" + raw).digest()
        self._k = 0

    def below(self, n: int) -> int:
        """A uniform integer in [0, n) (bias below 2⁻²⁵⁰ for the n that occur here)."""
        self._k += 1
        digest = hashlib.sha256(self._prefix + self._k.to_bytes(8, "big")).digest()
        return int.from_bytes(digest, "big") % n


def sample_plain(capped: CappedPlain, seed: int | bytes) -> BoolArray:
    """One assignment drawn by dependent rounding of `capped` (see the module text):
    P(i serves j) equals `capped.marginals[i, j]` exactly; the same seed, the same draw."""
    if capped.status != "optimal":
        raise CapError("没有可抽取的分布 / there is no distribution to draw from: "
                       + " ".join(capped.explanation))
    lot = _Lot(seed)
    out = round_dependently(capped.units, capped.denominator,
                            lambda alpha, beta: lot.below(alpha + beta) < beta)
    if (problems := check_plain(capped.instance, out)):  # guards the proof, never expected
        raise RuntimeError("相依取整结果违反约束 / dependent rounding broke a constraint: "
                           + "; ".join(problems))
    return out


def round_dependently(units: IntArray, q: int,
                      up: Callable[[int, int], bool]) -> BoolArray:
    """Dependent rounding of `units / q` to a 0/1 matrix; `up(alpha, beta)` says whether
    the alternate edges move by +alpha (it must say so with probability beta/(alpha+beta)).
    The tests enumerate every answer of `up` to check the marginals exactly."""
    people = units.shape[0]
    value: dict[tuple[int, int], int] = {}
    adjacent: dict[int, set[int]] = {}  # node → fractional neighbours (targets offset)
    for i, j in zip(*np.nonzero((units > 0) & (units < q)), strict=True):
        a, b = int(i), people + int(j)
        value[a, b] = int(units[i, j])
        adjacent.setdefault(a, set()).add(b)
        adjacent.setdefault(b, set()).add(a)
    while adjacent:
        walk = _cycle_or_path(adjacent, min(adjacent))
        edges = [(u, v) if u < v else (v, u) for u, v in itertools.pairwise(walk)]
        odd, even = edges[0::2], edges[1::2]
        alpha = min([q - value[e] for e in odd] + [value[e] for e in even])
        beta = min([value[e] for e in odd] + [q - value[e] for e in even])
        step = alpha if up(alpha, beta) else -beta
        for e in odd:
            value[e] += step
        for e in even:
            value[e] -= step
        for e in edges:
            if value[e] in (0, q):
                a, b = e
                adjacent[a].discard(b)
                adjacent[b].discard(a)
                for node in e:
                    if node in adjacent and not adjacent[node]:
                        del adjacent[node]
    out = units == q
    for (a, b), v in value.items():
        out[a, b - people] = v == q
    return out


def _cycle_or_path(adjacent: dict[int, set[int]], start: int) -> list[int]:
    """A cycle (first node repeated at the end) or a maximal path of fractional edges."""
    walk = _walk(adjacent, start)
    if walk[-1] in walk[:-1]:
        return walk[walk.index(walk[-1]):]
    return _walk_from_end(adjacent, walk[-1])


def _walk(adjacent: dict[int, set[int]], start: int) -> list[int]:
    """Follow unused edges from `start` (smallest neighbour first) until a node repeats or
    none is left."""
    walk, seen, used = [start], {start}, set()
    node = start
    while True:
        nexts = sorted(n for n in adjacent[node]
                       if (min(node, n), max(node, n)) not in used)
        if not nexts:
            return walk
        nxt = nexts[0]
        used.add((min(node, nxt), max(node, nxt)))
        walk.append(nxt)
        if nxt in seen:
            return walk
        seen.add(nxt)
        node = nxt


def _walk_from_end(adjacent: dict[int, set[int]], end: int) -> list[int]:
    """From a node with one fractional edge: a cycle reached on the way, or a maximal
    path whose other end has one fractional edge too."""
    walk = _walk(adjacent, end)
    if walk[-1] in walk[:-1]:
        return walk[walk.index(walk[-1]):]
    return walk


__all__ = ["CapError", "CappedPlain", "as_cap", "capped_plain", "round_dependently",
           "sample_plain", "smallest_cap"]
