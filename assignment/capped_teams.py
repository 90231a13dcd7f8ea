"""Probability-capped team sets (issue 16, item 2): a distribution over feasible team sets
(every hard rule of the round holds in each) that maximizes the expected objective
subject to P(cadre on team t) ≤ Q and P(cadre leads team t) ≤ Q_lead, after Jecmen et al.
(NeurIPS 2020), generalized from reviewer–paper pairs to teams with roles.

**Column generation.** The master problem is a linear program over team sets S (columns)
with weights λ_S ≥ 0:

    max Σ c_S λ_S   s.t.  Σ λ_S = 1                                   (μ)
                          Σ_{S: i on t in S} λ_S ≤ Q        for each (i, t)   (y_it)
                          Σ_{S: i leads t in S} λ_S ≤ Q_lead for each (i, t)   (z_it)

c_S is the round's objective of S (`assignment.validate` recomputes it plainly). Only
rows for pairs that occur in some column are written: a row no column touches is slack
and its dual is zero. A new column comes from the pricing problem, the round's own CP-SAT
model (`assignment.model.build`: every hard rule) with the objective
c_S − Σ y_it x_it − Σ z_it lead_it; it enters while its reduced cost beats μ.

**Phase one** minimizes θ with the caps scaled by θ, from the uncapped optimum; it stops
as soon as θ ≤ 1 (the caps can be met) or, converged with θ > 1, says the caps cannot be
met and gives θ·Q and θ·Q_lead as the smallest caps that can (for the proportions asked).

**Bound and gap.** For any duals y, z ≥ 0, μ + Σ y·Q + Σ z·Q_lead is an upper bound on the
capped optimum once μ is at least the pricing problem's optimum; the last pricing
solve's best bound gives it, so the distribution's optimality gap is reported honestly
even when the pricing search was cut short by its deterministic limit.

Reproducibility: GLOP is deterministic; every CP-SAT solve has one worker (or the
settings' workers with interleaved search), a fixed seed and a deterministic limit. The
draw (`draw_team_set`) takes a uniform number from SHA-256 of a domain-separated seed.

Pure: no database, no web framework.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from assignment.capped import as_cap
from assignment.ceremony import solver_seed
from assignment.instance import Instance
from assignment.model import TeamModel, build
from assignment.validate import objective, term_values

SCALE = 1000  # duals enter the pricing objective in thousandths of an objective point
ELASTIC = 100.0  # phase one's price of a fixed cap's excess (θ itself stays below 1/cap)
DRAW_DOMAIN = b"xuncha-capped-team-draw-v1"
Pair = tuple[str, int]  # (cadre key, team number)


@dataclass(frozen=True)
class CapSettings:
    cap: Fraction  # P(cadre on a given team) at most
    leader_cap: Fraction  # P(cadre leads a given team) at most
    pricing_time: float = 2.0  # deterministic seconds per pricing solve
    final_time: float = 20.0  # deterministic seconds of the pricing that must prove it
    max_iterations: int = 400
    workers: int = 1
    wall_time: float = 300.0  # safety net per solve; hitting it is reported

    @classmethod
    def of(cls, cap: float | str | Fraction, leader_cap: float | str | Fraction | None = None,
           **kw: float | int) -> CapSettings:
        q = as_cap(cap)
        return cls(q, q if leader_cap is None else as_cap(leader_cap), **kw)  # type: ignore[arg-type]

    def sealed(self) -> dict[str, str | float | int]:
        """Everything that decides the distribution, as a draw specification seals it
        (caps as exact fractions; not the wall-clock safety net); `from_sealed` reads it."""
        return {"cap": str(self.cap), "leader_cap": str(self.leader_cap),
                "pricing_time": self.pricing_time, "final_time": self.final_time,
                "max_iterations": self.max_iterations, "workers": self.workers}

    @classmethod
    def from_sealed(cls, sealed: Mapping[str, str | float | int],
                    wall_time: float | None = None) -> CapSettings:
        unknown = sorted(set(sealed) - set(cls(Fraction(1), Fraction(1)).sealed()))
        if unknown:
            raise ValueError(f"unknown sealed cap settings {unknown}")
        base = cls(as_cap(str(sealed["cap"])), as_cap(str(sealed["leader_cap"])))
        return cls(base.cap, base.leader_cap,
                   float(sealed.get("pricing_time", base.pricing_time)),
                   float(sealed.get("final_time", base.final_time)),
                   int(sealed.get("max_iterations", base.max_iterations)),
                   int(sealed.get("workers", base.workers)),
                   base.wall_time if wall_time is None else wall_time)


@dataclass(frozen=True)
class TeamSet:
    """One column: every team's members with their roles, and the round's objective."""

    teams: tuple[tuple[int, tuple[tuple[str, str], ...]], ...]  # (no, ((key, role), …))
    objective: int

    def as_dict(self) -> dict[int, dict[str, str]]:
        return {no: dict(members) for no, members in self.teams}

    def pairs(self) -> Iterable[Pair]:
        return ((k, no) for no, members in self.teams for k, _r in members)

    def leaders(self) -> Iterable[Pair]:
        return ((k, no) for no, members in self.teams for k, r in members if r == "leader")


@dataclass(frozen=True)
class CappedTeams:
    status: str  # optimal (gap closed) / feasible (gap open) / infeasible / unstaffable
    settings: CapSettings
    columns: tuple[TeamSet, ...]
    weights: tuple[float, ...]  # P(column), summing to 1
    expected: float | None  # expected objective of the distribution
    uncapped: int | None  # the uncapped optimum (or best found)
    bound: float | None  # an upper bound on the capped optimum
    gap: float | None  # (bound − expected) / |bound|
    iterations: int
    seconds: float
    deterministic_time: float
    wall_limit_hit: bool
    smallest: tuple[Fraction, Fraction] | None = None  # when the caps cannot be met
    explanation: tuple[str, ...] = ()
    marginal: Mapping[Pair, float] = field(default_factory=dict)
    leader_marginal: Mapping[Pair, float] = field(default_factory=dict)
    # when the caps cannot be met: the smallest member cap with the leader cap kept, and
    # the smallest leader cap with the member cap kept (None: no value will do)
    smallest_alone: tuple[Fraction | None, Fraction | None] | None = None
    terms: tuple[tuple[str, str, int, int], ...] = ()  # the model's (name, zh, weight, sign)

    @property
    def max_marginal(self) -> float:
        return max(self.marginal.values(), default=0.0)

    @property
    def max_leader_marginal(self) -> float:
        return max(self.leader_marginal.values(), default=0.0)

    @property
    def share(self) -> float | None:
        """Expected objective as a share of the uncapped optimum (objectives may be
        negative: the share is then of the distance from zero, read with care)."""
        if self.expected is None or not self.uncapped:
            return None
        return self.expected / self.uncapped


class _Pricer:
    """The round's CP-SAT model, re-solved with dual-weighted objectives."""

    def __init__(self, instance: Instance, settings: CapSettings, seed: int) -> None:
        self.instance = instance
        self.settings = settings
        self.seed = seed
        self.tm: TeamModel = build(instance)
        self.original = self.tm.objective()
        self.nos = instance.team_nos
        self.det_time = 0.0
        self.wall_hit = False
        self.proven_infeasible = False  # the last solve proved there is no team set

    def var(self, pair: Pair, leader: bool) -> cp_model.IntVar | None:
        i = self.instance.index.get(pair[0])
        j = self.nos.index(pair[1])
        return (self.tm.lead if leader else self.tm.x).get((i, j)) if i is not None else None

    def solve(self, weight_objective: int, member_cost: Mapping[Pair, int],
              leader_cost: Mapping[Pair, int], hint: TeamSet | None, limit: float
              ) -> tuple[list[TeamSet], float | None, bool]:
        """Maximize weight_objective·objective − Σ cost·var: (every solution the search
        found, best last; the best bound; whether the last is proven optimal)."""
        tm = self.tm
        variables: list[cp_model.IntVar] = []
        coefficients: list[int] = []
        for costs, leader in ((member_cost, False), (leader_cost, True)):
            for pair, cost in sorted(costs.items()):
                v = self.var(pair, leader)
                if v is not None and cost:
                    variables.append(v)
                    coefficients.append(-cost)
        tm.model.maximize(cp_model.LinearExpr.weighted_sum(
            [self.original, *variables], [weight_objective, *coefficients]))
        tm.model.clear_hints()
        if hint is not None:
            tm.hint(hint.as_dict())
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.settings.workers
        solver.parameters.interleave_search = self.settings.workers > 1
        solver.parameters.random_seed = solver_seed(self.seed)
        solver.parameters.max_deterministic_time = limit
        solver.parameters.max_time_in_seconds = self.settings.wall_time
        solver.parameters.linearization_level = 2
        # the model is the same every time but its objective: presolving it again costs
        # far more than it saves (sample round: 4 deterministic seconds in all against 29)
        solver.parameters.cp_model_presolve = False
        found = _Collector(self)
        status = solver.solve(tm.model, found)
        self.det_time += solver.deterministic_time
        if solver.wall_time >= self.settings.wall_time * 0.99:
            self.wall_hit = True
        self.proven_infeasible = status == cp_model.INFEASIBLE
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return [], None, False
        return (_unique([*found.columns, self.column(solver.value)]),
                solver.best_objective_bound, status == cp_model.OPTIMAL)

    def column(self, value: Callable[[cp_model.IntVar], int]) -> TeamSet:
        return column(self.instance, self.tm.roles(value))


class _Collector(cp_model.CpSolverSolutionCallback):
    """Every solution the pricing search passes through: each is a valid team set, and
    those that price well enter the master together (fewer pricing solves)."""

    def __init__(self, pricer: _Pricer) -> None:
        super().__init__()
        self.pricer = pricer
        self.columns: list[TeamSet] = []

    def on_solution_callback(self) -> None:
        self.columns.append(self.pricer.column(self.value))


def column(instance: Instance, teams: Mapping[int, Mapping[str, str]]) -> TeamSet:
    value = objective(instance, term_values(instance, {no: dict(m) for no, m in teams.items()}))
    return TeamSet(tuple((no, tuple(sorted(teams[no].items()))) for no in sorted(teams)),
                   value)


@dataclass(frozen=True)
class _PhaseOne:
    theta: float  # the smallest scaling of the scaled caps found
    excess: float  # the fixed caps' excess left (0: they hold)
    weights: list[float]
    iterations: int
    converged: bool  # no column prices out (else the iteration limit stopped it)
    proven: bool  # and the last pricing proved it

    @property
    def exact(self) -> Fraction:
        return Fraction(str(round(self.theta, 9)))  # the LP's float, to 9 places


def _phase_one(pricer: _Pricer, columns: list[TeamSet], settings: CapSettings,
               scale: tuple[bool, bool]) -> _PhaseOne:
    """Minimize θ, the scaling of the caps `scale` picks (members, leaders), the others
    held as given; stops as soon as θ ≤ 1 with them held. Columns enter while their
    priced load is below μ; the search prefers good objectives among light loads (weight 1
    against loads priced in thousandths), and only a pure load search may say "no more".
    `columns` grows in place."""
    q, ql = float(settings.cap), float(settings.leader_cap)
    master = _Master(columns, q, ql, True, scale)
    theta, weights, mu, y, z = master.solve()
    iterations = 0
    while (theta > 1 + 1e-9 or master.excess > 1e-9) and iterations < settings.max_iterations:
        iterations += 1
        found, _bnd, _proven = pricer.solve(1, _scaled(y), _scaled(z), columns[-1],
                                            settings.pricing_time)
        new = [c for c in found if _load(c, y, z) < mu - 1e-9 and c not in columns]
        if not new:
            found, _bnd, proven = pricer.solve(0, _scaled(y), _scaled(z), columns[-1],
                                               settings.final_time)
            new = [c for c in found if _load(c, y, z) < mu - 1e-9 and c not in columns]
            if not new:
                return _PhaseOne(theta, master.excess, weights, iterations, True, proven)
        columns.extend(new)
        master = _Master(columns, q, ql, True, scale)
        theta, weights, mu, y, z = master.solve()
    done = theta <= 1 + 1e-9 and master.excess <= 1e-9
    return _PhaseOne(theta, master.excess, weights, iterations, done, done)


def _one_at_a_time(pricer: _Pricer, pool: list[TeamSet], settings: CapSettings
                   ) -> tuple[tuple[Fraction | None, Fraction | None], tuple[bool, bool], int]:
    """When the caps cannot be met: the smallest member cap with the leader cap kept, and
    the smallest leader cap with the member cap kept (None: no value will do), whether
    each is known (the searches ended within their limits), and the pricing rounds spent.
    Whether a kept cap can hold at all is asked first, with the other cap free (a quick
    search that stops at the first distribution meeting it); only then is the other
    minimized with it held. The searches share their team sets."""
    q, ql = settings.cap, settings.leader_cap
    if q >= 1 or ql >= 1:  # one cap is already 1: raising both in proportion says it all
        return (None, None), (False, False), 0
    out: list[Fraction | None] = []
    known: list[bool] = []
    spent = 0
    free = {"member": CapSettings(q, Fraction(1), settings.pricing_time, settings.final_time,
                                  settings.max_iterations, settings.workers, settings.wall_time),
            "leader": CapSettings(Fraction(1), ql, settings.pricing_time, settings.final_time,
                                  settings.max_iterations, settings.workers, settings.wall_time)}
    # (raise members, keep leaders) then (raise leaders, keep members)
    for kept, scale, cap in (("leader", (True, False), q), ("member", (False, True), ql)):
        holds = _phase_one(pricer, pool, free[kept], (False, True) if kept == "leader"
                           else (True, False))
        spent += holds.iterations
        if not holds.converged:
            out.append(None)
            known.append(False)
            continue
        if holds.theta > 1 + 1e-9:  # the kept cap cannot hold whatever the other is
            out.append(None)
            known.append(holds.proven)
            continue
        raised = _phase_one(pricer, pool, settings, scale)
        spent += raised.iterations
        ok = raised.converged and raised.excess <= 1e-9
        out.append(_up(cap * raised.exact) if ok else None)
        known.append(ok)
    return (out[0], out[1]), (known[0], known[1]), spent


@dataclass
class _Master:
    """The restricted master LP over the columns so far."""

    columns: list[TeamSet]
    cap: float
    leader_cap: float
    phase_one: bool
    # phase one: which caps θ scales (members, leaders); a cap it does not scale stays
    # as given, with an elastic excess priced at ELASTIC, so the LP is feasible from the
    # first column on and θ is the smallest scaling of the others once the excess is 0
    scale: tuple[bool, bool] = (True, True)
    excess: float = 0.0  # phase one: the fixed caps' total excess at the optimum

    def solve(self) -> tuple[float, list[float], float, dict[Pair, float], dict[Pair, float]]:
        """(value, weights, μ, y, z) with y, z ≥ 0 in the maximization's sign."""
        lp = pywraplp.Solver.CreateSolver("GLOP")
        lam = [lp.NumVar(0, 1, f"l{k}") for k in range(len(self.columns))]
        theta = lp.NumVar(0, lp.infinity(), "theta") if self.phase_one else None
        elastic: list[pywraplp.Variable] = []
        convex = lp.Add(sum(lam) == 1)
        rows_m: dict[Pair, list[int]] = {}
        rows_l: dict[Pair, list[int]] = {}
        for k, col in enumerate(self.columns):
            for p in col.pairs():
                rows_m.setdefault(p, []).append(k)
            for p in col.leaders():
                rows_l.setdefault(p, []).append(k)
        cons_m: dict[Pair, pywraplp.Constraint] = {}
        cons_l: dict[Pair, pywraplp.Constraint] = {}
        for rows, cons, cap, scaled in ((rows_m, cons_m, self.cap, self.scale[0]),
                                        (rows_l, cons_l, self.leader_cap, self.scale[1])):
            for p, ks in sorted(rows.items()):
                lhs = sum(lam[k] for k in ks)
                if theta is None:
                    cons[p] = lp.Add(lhs <= cap)
                elif scaled:
                    cons[p] = lp.Add(lhs <= cap * theta)
                else:
                    elastic.append(lp.NumVar(0, 1, f"e{len(elastic)}"))
                    cons[p] = lp.Add(lhs - elastic[-1] <= cap)
        if theta is not None:
            lp.Minimize(theta + ELASTIC * sum(elastic))
        else:
            lp.Maximize(sum(col.objective * lam[k] for k, col in enumerate(self.columns)))
        status = lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"主问题线性规划求解失败 / the master LP failed: {status}")
        value = theta.solution_value() if theta is not None else lp.Objective().Value()
        self.excess = sum(e.solution_value() for e in elastic)
        weights = [v.solution_value() for v in lam]
        # GLOP's duals: for a maximization the ≤ rows' are ≥ 0; for the phase-one
        # minimization they are ≤ 0: flip them so both read as prices ≥ 0. The convexity
        # row's μ is the threshold as it stands: a column enters phase one when its priced
        # load is below μ, phase two when its objective less its priced load is above μ
        sign = -1.0 if theta is not None else 1.0
        y = {p: max(0.0, sign * c.dual_value()) for p, c in cons_m.items()}
        z = {p: max(0.0, sign * c.dual_value()) for p, c in cons_l.items()}
        return value, weights, convex.dual_value(), y, z


def capped_teams(instance: Instance, settings: CapSettings, seed: int = 0,
                 start: Iterable[Mapping[int, Mapping[str, str]]] = ()) -> CappedTeams:
    """The capped distribution over team sets of `instance` (see the module text).
    `start` may give team sets to begin from (e.g. earlier draws); each must be valid."""
    started = time.perf_counter()
    pricer = _Pricer(instance, settings, seed)
    found, _bound, _proven = pricer.solve(1, {}, {}, None, settings.final_time)
    if not found and pricer.proven_infeasible:
        return _result("unstaffable", settings, [], [], None, None, None, 0, pricer, started,
                       explanation=("本轮无法配齐（不设概率上限也无解），请先查看诊断 / the round "
                                    "cannot be staffed even without caps: see its diagnosis",))
    if not found:  # the budget ran out before a first team set: too large, not unstaffable
        pairs = len(instance.candidates) * len(instance.teams)
        return _result("unknown", settings, [], [], None, None, None, 0, pricer, started,
                       explanation=(
                           f"在求解预算（{settings.final_time:g}确定性秒）内未找到第一套合规方案："
                           f"本轮候选人×组数为{pairs:,}，概率上限的分布按完整模型计算，规模过大；"
                           "请去掉 cap、leader_cap 按容差抽取，或缩小轮次 / no valid team set was "
                           f"found within the solver budget ({settings.final_time:g} deterministic "
                           f"s): the round has {pairs:,} candidate × team pairs and the capped "
                           "distribution is built on the full model, which is too large here; "
                           "remove cap and leader_cap to draw within the tolerance, or split the "
                           "round",))
    best = found[-1]
    columns = _unique([best, *(column(instance, s) for s in start)])
    q, ql = float(settings.cap), float(settings.leader_cap)
    # phase one: can the caps be met at all?
    one = _phase_one(pricer, columns, settings, (True, True))
    iterations, weights = one.iterations, one.weights
    if one.theta > 1 + 1e-9:
        if not one.converged:
            return _result("unknown", settings, columns, weights, None, best.objective, None,
                           iterations, pricer, started,
                           explanation=("列生成在迭代上限内未能满足概率上限 / column generation "
                                        "did not meet the caps within its iteration limit",))
        # the caps cannot be met: the smallest caps in the same proportion, and the
        # smallest of each with the other kept as given (each its own phase one)
        smallest = (_up(settings.cap * one.exact), _up(settings.leader_cap * one.exact))
        alone, known, more = _one_at_a_time(pricer, list(columns), settings)
        return _result("infeasible" if one.proven else "unknown", settings, columns, weights,
                       None, best.objective, None, iterations + more, pricer, started,
                       smallest=smallest, smallest_alone=alone,
                       explanation=(_too_low(settings, smallest, alone, known, one.proven),))
    # phase two: the best expected objective under the caps
    value, weights, mu, y, z = _Master(columns, q, ql, False).solve()
    bound: float | None = None
    status = "feasible"
    while iterations < settings.max_iterations:
        iterations += 1
        hint = _heaviest(columns, weights)
        found, bnd, proven = pricer.solve(SCALE, _scaled(y), _scaled(z), hint,
                                          settings.pricing_time)
        new = [c for c in found if _reduced(c, y, z) > mu + 1e-9 and c not in columns]
        if not new:
            found, bnd, proven = pricer.solve(SCALE, _scaled(y), _scaled(z), hint,
                                              settings.final_time)
            if bnd is not None:
                bound = bnd / SCALE + sum(_rounded(v) * q for v in y.values()) + sum(
                    _rounded(v) * ql for v in z.values())
            new = [c for c in found if _reduced(c, y, z) > mu + 1e-9 and c not in columns]
            if not new:
                closed = bound is not None and bound - value <= 1e-6 * max(1.0, abs(bound))
                status = "optimal" if proven and closed else "feasible"
                break
        columns.extend(new)
        value, weights, mu, y, z = _Master(columns, q, ql, False).solve()
    return _result(status, settings, columns, weights, value, best.objective, bound,
                   iterations, pricer, started)


def _scaled(prices: Mapping[Pair, float]) -> dict[Pair, int]:
    return {p: round(v * SCALE) for p, v in prices.items() if round(v * SCALE)}


def _rounded(v: float) -> float:
    return round(v * SCALE) / SCALE


def _load(col: TeamSet, y: Mapping[Pair, float], z: Mapping[Pair, float]) -> float:
    return sum(y.get(p, 0.0) for p in col.pairs()) + sum(z.get(p, 0.0) for p in col.leaders())


def _reduced(col: TeamSet, y: Mapping[Pair, float], z: Mapping[Pair, float]) -> float:
    return col.objective - _load(col, y, z)


def _heaviest(columns: list[TeamSet], weights: list[float]) -> TeamSet:
    return columns[max(range(len(columns)), key=lambda k: (weights[k], -k))]


def _unique(columns: Iterable[TeamSet]) -> list[TeamSet]:
    return list(dict.fromkeys(columns))


def _up(value: Fraction) -> Fraction:
    """Rounded up to three decimals, and never above 1."""
    return min(Fraction(1), Fraction(-(-value.numerator * 1000 // value.denominator), 1000))


def _too_low(settings: CapSettings, smallest: tuple[Fraction, Fraction],
             alone: tuple[Fraction | None, Fraction | None], known: tuple[bool, bool],
             proven: bool) -> str:
    """Why the caps cannot be met, and what can: both raised in proportion, or one raised
    with the other kept (or that, keeping the other, no value of this one will do)."""
    q, ql = settings.cap, settings.leader_cap
    about = "" if proven else "约"
    about_en = "" if proven else "about "
    zh = (f"概率上限无法满足：任何一名干部进入某一巡察组的概率不超过{float(q):.0%}、担任组长的概率"
          f"不超过{float(ql):.0%}时，本轮配不齐各组。可行的最小上限{about}为：按同样比例，进组"
          f"{float(smallest[0]):.1%}、任组长{float(smallest[1]):.1%}")
    en = (f"the caps cannot be met: with no cadre on a given team with probability above "
          f"{float(q):.0%} or leading it above {float(ql):.0%} the round cannot be staffed. "
          f"The smallest caps that can are {about_en}{float(smallest[0]):.1%} (member) and "
          f"{float(smallest[1]):.1%} (leader) in the same proportion")
    member_alone, leader_alone = alone
    kept_member = (f"进组上限保持{float(q):.0%}", f"keeping the member cap at {float(q):.0%}")
    kept_leader = (f"任组长上限保持{float(ql):.0%}", f"keeping the leader cap at {float(ql):.0%}")
    for ok, value, (kept_zh, kept_en), (raised_zh, raised_en), tail_zh, tail_en in (
            (known[1], leader_alone, kept_member, ("任组长上限", "leader cap"), "", ""),
            (known[0], member_alone, kept_leader, ("进组上限", "member cap"),
             "（组长人选少的组最先受限）", " (teams with few eligible leaders bind first)")):
        if not ok:
            continue
        if value is not None:
            zh += f"；或{kept_zh}，{raised_zh}{float(value):.1%}"
            en += f"; or, {kept_en}, a {raised_en} of {float(value):.1%}"
        else:
            zh += f"；{kept_zh}时，{raised_zh}取多少都配不齐{tail_zh}"
            en += f"; {kept_en}, no {raised_en} will do{tail_en}"
    return f"{zh} / {en}"


def _result(status: str, settings: CapSettings, columns: list[TeamSet], weights: list[float],
            value: float | None, uncapped: int | None, bound: float | None, iterations: int,
            pricer: _Pricer, started: float, *,
            smallest: tuple[Fraction, Fraction] | None = None,
            smallest_alone: tuple[Fraction | None, Fraction | None] | None = None,
            explanation: tuple[str, ...] = ()) -> CappedTeams:
    kept = [(c, w) for c, w in zip(columns, weights, strict=False) if w > 1e-12] \
        if value is not None else []
    total = sum(w for _c, w in kept) or 1.0
    kept_cols = tuple(c for c, _w in kept)
    kept_w = tuple(w / total for _c, w in kept)
    marginal: dict[Pair, float] = {}
    leader: dict[Pair, float] = {}
    for col, w in zip(kept_cols, kept_w, strict=True):
        for p in col.pairs():
            marginal[p] = marginal.get(p, 0.0) + w
        for p in col.leaders():
            leader[p] = leader.get(p, 0.0) + w
    gap = None
    if value is not None and bound is not None:
        gap = max(0.0, bound - value) / max(abs(bound), 1.0)
    return CappedTeams(status, settings, kept_cols, kept_w, value, uncapped, bound, gap,
                       iterations, time.perf_counter() - started, pricer.det_time,
                       pricer.wall_hit, smallest, explanation, marginal, leader,
                       smallest_alone,
                       tuple((t.name, t.zh, t.weight, t.sign) for t in pricer.tm.terms))


def draw_point(seed: int | bytes) -> Fraction:
    """u in [0, 1): SHA-256 over the domain, a zero byte and the seed (an integer as its
    decimal digits), read as a 256-bit number over 2²⁵⁶."""
    raw = seed if isinstance(seed, bytes) else str(int(seed)).encode()
    return Fraction(int.from_bytes(hashlib.sha256(DRAW_DOMAIN + b"\x00" + raw).digest(), "big"),
                    1 << 256)


def draw_team_set(distribution: CappedTeams, seed: int | bytes) -> int:
    """The index of the column drawn with `seed`: the first column whose cumulative
    weight (the stored floats, added exactly) exceeds `draw_point(seed)`, columns in their
    fixed order."""
    if not distribution.columns:
        raise ValueError("没有可抽取的分布 / there is no distribution to draw from")
    u = draw_point(seed)
    acc = Fraction(0)
    for k, w in enumerate(distribution.weights):
        acc += Fraction(w)
        if u < acc:
            return k
    return len(distribution.weights) - 1
