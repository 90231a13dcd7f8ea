"""Cross-inspection pairing (交叉巡察): which group's teams inspect which group.

Groups are counties, towns or departments, each able to send some teams and needing some
visiting teams for its units. The CP-SAT model has an integer `send[a, b]` (teams a sends
to b) and a boolean `pair[a, b]` for every allowed ordered pair; a pair is not allowed
when a = b, when it repeats a pairing of the last rounds, or when the ties between the two
groups exceed the limit. Every group receives exactly its teams, sends at most its
teams, and no two groups inspect each other in one round (互巡). In rotation mode
(推磨) the pairs form one cycle through all groups (`add_circuit`). The objective
minimizes ties and travel; the draw then picks, with the seed, among pairings within the
tolerance of the best, as team assembly does.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from assignment.ceremony import solver_seed


class PairingError(ValueError):
    """A pairing instance that cannot be used as given."""


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    name: str
    sends: int  # teams it can send
    receives: int  # visiting teams it needs
    leaders: int | None = None  # leaders available to lead its outgoing teams (diagnosis)


@dataclass(frozen=True)
class PairingInstance:
    round_key: str
    groups: tuple[Group, ...]
    recent: frozenset[tuple[str, str]] = frozenset()  # (a inspected b) in the last rounds
    ties: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (a, b) → count
    tie_limit: int | None = None  # forbid a pair with more ties than this
    distance: Mapping[tuple[str, str], int] = field(default_factory=dict)  # km, optional
    tie_weight: int = 10
    distance_weight: int = 1
    rotation: bool = False  # one cycle A→B→…→A through all groups
    forbid_reciprocal: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(sorted(self.groups, key=lambda g: g.key)))
        keys = [g.key for g in self.groups]
        problems = []
        if len(set(keys)) != len(keys):
            problems.append(f"分组重复 / groups listed twice: {keys}")
        for g in self.groups:
            if g.sends < 0 or g.receives < 0:
                problems.append(f"{g.name}（{g.key}）：派出、接收组数不能为负 / negative teams")
        unknown = sorted({x for pair in (*self.recent, *self.ties, *self.distance)
                          for x in pair} - set(keys))
        if unknown:
            problems.append(f"未知分组 / unknown groups: {unknown}")
        if problems:
            raise PairingError("\n".join(problems))

    def allowed(self, a: str, b: str) -> bool:
        if a == b or (a, b) in self.recent:
            return False
        return self.tie_limit is None or self.ties.get((a, b), 0) <= self.tie_limit

    def cost(self, a: str, b: str) -> int:
        return (self.tie_weight * self.ties.get((a, b), 0)
                + self.distance_weight * self.distance.get((a, b), 0))

    @property
    def input_hash(self) -> str:
        data = {"round": self.round_key, "groups": [asdict(g) for g in self.groups],
                "recent": sorted(self.recent), "ties": sorted(
                    [a, b, n] for (a, b), n in self.ties.items()),
                "tie_limit": self.tie_limit, "distance": sorted(
                    [a, b, n] for (a, b), n in self.distance.items()),
                "weights": [self.tie_weight, self.distance_weight],
                "rotation": self.rotation, "forbid_reciprocal": self.forbid_reciprocal}
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Pair:
    sender: str
    receiver: str
    teams: int
    ties: int
    distance: int
    zh: str  # why this pair is allowed, in words
    en: str


@dataclass(frozen=True)
class Pairing:
    round_key: str
    status: str
    objective: int | None
    best_objective: int | None
    bound: float | None
    pairs: tuple[Pair, ...]
    terms: dict[str, int]  # ties, distance (unweighted totals over the pairs)
    seed: int
    input_hash: str
    tolerance: float
    runtime_s: float
    findings: tuple[tuple[str, str], ...] = ()  # (zh, en) when no pairing exists

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "feasible")

    def canonical_json(self) -> str:
        data = asdict(self)
        data.pop("runtime_s")
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def pair_groups(inst: PairingInstance, seed: int, tolerance: float = 0.0,
                deterministic_time: float = 20.0) -> Pairing:
    """The pairing of `inst` drawn with `seed` (see the module docstring)."""
    started = time.perf_counter()
    findings = precheck(inst)
    if findings:
        return _empty(inst, "infeasible", seed, tolerance, started, findings)
    model, send, link = _model(inst)
    if not inst.rotation:
        for (a, b), n in greedy_pairing(inst).items():
            if (a, b) in link:
                model.add_hint(link[a, b], n > 0)
                model.add_hint(send[a, b], n)
    solver = new_solver(seed, deterministic_time)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        return _empty(inst, name, seed, tolerance, started, diagnose(inst))
    best = round(solver.objective_value)
    bound = solver.best_objective_bound
    state = "optimal" if status == cp_model.OPTIMAL else "feasible"
    objective = sum(inst.cost(a, b) * link[a, b] for a, b in link)
    if tolerance > 0 and len(link) > 1:
        model.add(objective <= best + int(abs(best) * tolerance))
        prefs = np.random.default_rng(seed).integers(0, 1000, size=len(link))
        model.maximize(sum(int(p) * link[k] for k, p in zip(sorted(link), prefs, strict=True)))
        model.clear_hints()
        for v in link.values():
            model.add_hint(v, solver.value(v))
        second = new_solver(seed, deterministic_time)
        if second.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solver = second
    pairs = []
    for (a, b), v in sorted(send.items()):
        n = int(solver.value(v))
        if n:
            pairs.append(describe_pair(inst, a, b, n))
    total = sum(inst.cost(p.sender, p.receiver) for p in pairs)
    terms = {"ties": sum(p.ties for p in pairs), "distance": sum(p.distance for p in pairs)}
    return Pairing(inst.round_key, state, total, best, bound, tuple(pairs), terms, seed,
                   inst.input_hash, tolerance, time.perf_counter() - started)


def _model(inst: PairingInstance, guards: dict[str, Any] | None = None
           ) -> tuple[cp_model.CpModel, dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """With `guards` (filled here, free pairing only), each group's receive and send
    requirement is behind its own literal, for the diagnosis."""
    m = cp_model.CpModel()
    groups = {g.key: g for g in inst.groups}
    send: dict[tuple[str, str], Any] = {}
    link: dict[tuple[str, str], Any] = {}
    for a in groups:
        for b in groups:
            if not inst.allowed(a, b):
                continue
            most = min(groups[a].sends, groups[b].receives)
            if most <= 0 or (inst.rotation and groups[a].sends < groups[b].receives):
                continue  # in a rotation a sends all of b's teams
            link[a, b] = m.new_bool_var(f"pair[{a},{b}]")
            if inst.rotation:  # one sender per receiver: the count is fixed
                send[a, b] = groups[b].receives * link[a, b]
                continue
            send[a, b] = m.new_int_var(0, most, f"send[{a},{b}]")
            m.add(send[a, b] >= link[a, b])
            m.add(send[a, b] <= most * link[a, b])
    m.minimize(sum(inst.cost(a, b) * v for (a, b), v in link.items()))
    if inst.rotation:
        # one cycle through every group (推磨): each group then sends to one and receives
        # from one, so the counts and (with three or more groups) reciprocity need no more
        index = {k: i for i, k in enumerate(groups)}
        m.add_circuit([(index[a], index[b], v) for (a, b), v in link.items()])
        return m, send, link
    into: dict[str, list[Any]] = {k: [] for k in groups}
    out_of: dict[str, list[Any]] = {k: [] for k in groups}
    for (a, b), v in send.items():
        into[b].append(v)
        out_of[a].append(v)
    for k, g in groups.items():  # every group receives exactly its teams, sends at most
        receive = m.add(sum(into[k]) == g.receives)
        send_most = m.add(sum(out_of[k]) <= g.sends)
        if guards is not None:
            for code, c in ((f"receives:{k}", receive), (f"sends:{k}", send_most)):
                guards[code] = m.new_bool_var(code)
                c.only_enforce_if(guards[code])
    if inst.forbid_reciprocal:  # no A→B and B→A in one round (互巡)
        for a, b in link:
            if a < b and (b, a) in link:
                m.add_at_most_one(link[a, b], link[b, a])
    return m, send, link


def greedy_pairing(inst: PairingInstance) -> dict[tuple[str, str], int]:
    """A starting pairing: receivers with the fewest options first, each from its cheapest
    allowed senders with teams left, never closing a reciprocal pair."""
    groups = {g.key: g for g in inst.groups}
    left = {k: g.sends for k, g in groups.items()}
    chosen: dict[tuple[str, str], int] = {}
    options = {b: sorted((inst.cost(a, b), a) for a in groups if inst.allowed(a, b))
               for b in groups}
    for b in sorted(groups, key=lambda k: (len(options[k]), k)):
        need = groups[b].receives
        for _cost, a in options[b]:
            if need == 0:
                break
            if left[a] == 0 or (inst.forbid_reciprocal and (b, a) in chosen):
                continue
            n = min(need, left[a])
            chosen[a, b] = n
            left[a] -= n
            need -= n
    return chosen


def new_solver(seed: int, deterministic_time: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = solver_seed(seed)
    solver.parameters.max_deterministic_time = deterministic_time
    return solver


def describe_pair(inst: PairingInstance, a: str, b: str, n: int) -> Pair:
    groups = {g.key: g for g in inst.groups}
    ties, km = inst.ties.get((a, b), 0), inst.distance.get((a, b), 0)
    limit_zh = "" if inst.tie_limit is None else f"（上限{inst.tie_limit}）"
    limit_en = "" if inst.tie_limit is None else f" (limit {inst.tie_limit})"
    zh = (f"{groups[a].name}派{n}个组巡察{groups[b].name}：近期未曾如此配对；"
          f"{groups[a].name}干部与{groups[b].name}的关联{ties}处{limit_zh}"
          + (f"；相距{km}公里" if km else ""))
    en = (f"{a} sends {n} team(s) to {b}: not paired in recent rounds; {ties} ties of {a}'s "
          f"cadres to {b}{limit_en}" + (f"; {km} km apart" if km else ""))
    return Pair(a, b, n, ties, km, zh, en)


def _empty(inst: PairingInstance, status: str, seed: int, tolerance: float, started: float,
           findings: list[tuple[str, str]]) -> Pairing:
    return Pairing(inst.round_key, status, None, None, None, (), {}, seed, inst.input_hash,
                   tolerance, time.perf_counter() - started, tuple(findings))


def precheck(inst: PairingInstance) -> list[tuple[str, str]]:
    """Shortages visible from counts: (zh, en) per finding."""
    out: list[tuple[str, str]] = []
    groups = inst.groups
    n = len(groups)
    need, can = sum(g.receives for g in groups), sum(g.sends for g in groups)
    if can < need:
        out.append((f"各组合计需要接收{need}个巡察组，合计只能派出{can}个",
                    f"the groups need {need} visiting teams but can send {can}"))
    for g in groups:
        if g.leaders is not None and g.leaders < g.sends:
            out.append((f"{g.name}计划派出{g.sends}个组，但只有{g.leaders}名组长可以带队",
                        f"{g.key} is to send {g.sends} teams but has {g.leaders} leaders"))
        senders = [h for h in groups if inst.allowed(h.key, g.key)]
        capacity = sum(min(h.sends, g.receives) for h in senders)
        if capacity < g.receives:
            out.append((f"{g.name}需要{g.receives}个巡察组，可派组巡察它的分组合计只有"
                        f"{capacity}个（同组、近期配对过或关联过多的已排除）",
                        f"{g.key} needs {g.receives} teams; groups allowed to inspect it can "
                        f"send {capacity} (itself, recent pairings and heavily tied groups "
                        "excluded)"))
    if inst.rotation:
        if inst.forbid_reciprocal and n < 3:
            out.append((f"只有{n}个分组：单循环且不互巡至少需要3个分组",
                        f"with {n} groups a rotation without reciprocity needs at least 3"))
        for g in groups:
            if g.sends < 1 or g.receives < 1:
                out.append((f"单循环要求每个分组都派出且接收巡察组：{g.name}派出{g.sends}个、"
                            f"接收{g.receives}个",
                            f"a rotation needs every group to send and receive: {g.key} sends "
                            f"{g.sends}, receives {g.receives}"))
            if g.leaders == 0:
                out.append((f"单循环要求每个分组派出巡察组：{g.name}没有可带队的组长",
                            f"a rotation needs every group to send a team; {g.key} has no "
                            "leader available"))
    return out


def conflicting_needs(build: Callable[[dict[str, Any]], cp_model.CpModel]) -> list[str] | None:
    """Solve the model `build` makes (filling its enforcement literals into the dict it
    is given) under all of them: None when that is not infeasible, else the codes of a
    sufficient set of literals, the needs that cannot all hold."""
    guards: dict[str, Any] = {}
    model = build(guards)
    model.clear_objective()
    model.add_assumptions(list(guards.values()))
    solver = new_solver(0, 20.0)
    if solver.solve(model) != cp_model.INFEASIBLE:
        return None
    by_index = {v.index: code for code, v in guards.items()}
    return sorted(by_index[i] for i in solver.sufficient_assumptions_for_infeasibility())


def diagnose(inst: PairingInstance) -> list[tuple[str, str]]:
    """After a failed solve: the counts, then which groups' requirements conflict."""
    found = precheck(inst)
    if found:
        return found
    general = ("在不互巡、不重复近期配对和关联上限的限制下，不存在满足各分组接收数的配对方案；"
               "可放宽关联上限、允许重复配对或调整派出组数",
               "no pairing meets every group's needs without reciprocal pairs, recent "
               "repeats and over-tied pairs: raise the tie limit, allow repeats, or change "
               "the teams sent")
    if inst.rotation:
        return [general]
    codes = conflicting_needs(lambda guards: _model(inst, guards)[0])
    if codes is None:
        return [general]
    names = {g.key: g for g in inst.groups}
    out = [general]
    for code in codes:
        what, key = code.split(":", 1)
        g = names[key]
        senders = [h for h in inst.groups if inst.allowed(h.key, key)]
        if what == "receives":
            names_zh = "、".join(h.name for h in senders) or "无"
            out.append((f"{g.name}需接收{g.receives}个组；可以巡察它的分组：{names_zh}",
                        f"{key} needs {g.receives} teams; allowed senders: "
                        f"{', '.join(h.key for h in senders) or 'none'}"))
        else:
            out.append((f"{g.name}最多派出{g.sends}个组", f"{key} sends at most {g.sends}"))
    return out


def violations(inst: PairingInstance, pairing: Pairing) -> list[str]:
    """Every pairing rule the result breaks (empty: valid)."""
    out = []
    groups = {g.key: g for g in inst.groups}
    got = {k: 0 for k in groups}
    sent = {k: 0 for k in groups}
    links = set()
    for p in pairing.pairs:
        got[p.receiver] += p.teams
        sent[p.sender] += p.teams
        links.add((p.sender, p.receiver))
        if p.sender == p.receiver:
            out.append(f"{p.sender} 巡察自己 / inspects itself")
        if (p.sender, p.receiver) in inst.recent:
            out.append(f"{p.sender}→{p.receiver} 重复近期配对 / repeats a recent pairing")
        if inst.tie_limit is not None and inst.ties.get((p.sender, p.receiver), 0) > \
                inst.tie_limit:
            out.append(f"{p.sender}→{p.receiver} 关联超过上限 / too many ties")
    for k, g in groups.items():
        if got[k] != g.receives:
            out.append(f"{k} 接收{got[k]}个组，须{g.receives}个 / receives {got[k]}")
        if sent[k] > g.sends:
            out.append(f"{k} 派出{sent[k]}个组，超过{g.sends}个 / sends too many")
    if inst.forbid_reciprocal:
        out.extend(f"{a}↔{b} 互巡 / reciprocal" for a, b in sorted(links)
                   if a < b and (b, a) in links)
    if inst.rotation and groups:
        nxt = dict(links)
        if len(nxt) != len(links) or set(nxt) != set(groups) \
                or set(nxt.values()) != set(groups):
            out.append("单循环须每组恰好派往一组、接收一组 / a rotation sends each group to "
                       "exactly one and each group receives from exactly one")
        else:
            start = next(iter(groups))
            cur, steps = nxt[start], 1
            while cur != start:
                cur, steps = nxt[cur], steps + 1
            if steps != len(groups):
                out.append("不是一个贯穿全部分组的单循环 / not one cycle through all groups")
    return out
