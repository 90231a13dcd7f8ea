"""互派式交叉巡察 (the exchange mode of cross-inspection): two sending groups staff each
visiting team. The lead side gives the leader (and the member who acts as liaison, 联络员),
the partner side the deputies (and the member who receives petitions, 信访接待); members
come from both (`TeamSpec.min_per_side`). The inspected group gives nobody.

One CP-SAT model pairs both roles at once, with the rules of `pairing` on each: a lead arc
`lead[a, b]` and a partner arc `partner[a, b]` for every allowed ordered pair (not itself,
not a recent pairing, ties within the limit); every group receives exactly its teams in
each role and sends at most `sends` in each role (in rotation mode each role is one cycle
through all groups, `add_circuit`). Across the roles: a group is never both lead and
partner side of the same receiver, and no two groups inspect each other in any role (互巡).
The objective minimizes ties and travel over both roles; the draw then picks, with the
seed, among exchanges within the tolerance, as `pairing.pair_groups` does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from assignment.pairing import (
    Pair,
    Pairing,
    PairingInstance,
    conflicting_needs,
    describe_pair,
    greedy_pairing,
    new_solver,
    precheck,
    violations,
)

ROLES = {"lead": ("组长一方", "lead side"), "partner": ("副组长一方", "partner side")}
Arcs = dict[tuple[str, str], Any]


@dataclass(frozen=True, slots=True)
class ExchangeTeam:
    """One mixed team: the receiver's units it inspects, its lead side and partner side."""

    receiver: str
    lead: str
    partner: str
    targets: tuple[str, ...]


def exchange_hash(inst: PairingInstance) -> str:
    """The input hash of an exchange: the pairing instance's, marked as an exchange."""
    return hashlib.sha256(f"exchange|{inst.input_hash}".encode()).hexdigest()


def pair_exchange(inst: PairingInstance, seed: int, tolerance: float = 0.0,
                  deterministic_time: float = 20.0) -> tuple[Pairing, Pairing]:
    """The lead and the partner pairing of `inst`, drawn with `seed` in one solve. Both
    carry the joint status, objective, bound, terms and input hash; their pairs are the
    lead sides and the partner sides."""
    started = time.perf_counter()
    findings = exchange_precheck(inst)
    if findings:
        return _empty(inst, "infeasible", seed, tolerance, started, findings)
    model, send, link = _model(inst)
    if not inst.rotation:
        _hint(inst, model, send, link)
    solver = new_solver(seed, deterministic_time)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        return _empty(inst, name, seed, tolerance, started, exchange_diagnose(inst))
    best = round(solver.objective_value)
    bound = solver.best_objective_bound
    state = "optimal" if status == cp_model.OPTIMAL else "feasible"
    keys = sorted((role, a, b) for role, arcs in link.items() for a, b in arcs)
    if tolerance > 0 and len(keys) > 1:
        objective = sum(inst.cost(a, b) * link[r][a, b] for r, a, b in keys)
        model.add(objective <= best + int(abs(best) * tolerance))
        prefs = np.random.default_rng(seed).integers(0, 1000, size=len(keys))
        model.maximize(sum(int(p) * link[r][a, b]
                           for (r, a, b), p in zip(keys, prefs, strict=True)))
        model.clear_hints()
        for r, a, b in keys:
            model.add_hint(link[r][a, b], solver.value(link[r][a, b]))
        second = new_solver(seed, deterministic_time)
        if second.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solver = second
    pairs: dict[str, list[Pair]] = {}
    for role, arcs in send.items():
        zh, en = ROLES[role]
        for (a, b), v in sorted(arcs.items()):
            n = int(solver.value(v))
            if n:
                p = describe_pair(inst, a, b, n)
                pairs.setdefault(role, []).append(replace(p, zh=f"{zh}：{p.zh}",
                                                          en=f"{en}: {p.en}"))
    every = [*pairs.get("lead", []), *pairs.get("partner", [])]
    total = sum(inst.cost(p.sender, p.receiver) for p in every)
    terms = {"ties": sum(p.ties for p in every), "distance": sum(p.distance for p in every)}
    runtime = time.perf_counter() - started
    lead, partner = (Pairing(inst.round_key, state, total, best, bound,
                             tuple(pairs.get(role, [])), terms, seed, exchange_hash(inst),
                             tolerance, runtime) for role in ROLES)
    return lead, partner


def _model(inst: PairingInstance, guards: dict[str, Any] | None = None
           ) -> tuple[cp_model.CpModel, dict[str, Arcs], dict[str, Arcs]]:
    """With `guards` (filled here, free pairing only), each group's receive and send
    requirement in each role is behind its own literal, for the diagnosis."""
    m = cp_model.CpModel()
    groups = {g.key: g for g in inst.groups}
    send: dict[str, Arcs] = {role: {} for role in ROLES}
    link: dict[str, Arcs] = {role: {} for role in ROLES}
    for role in ROLES:
        for a in groups:
            for b in groups:
                most = min(groups[a].sends, groups[b].receives)
                if not inst.allowed(a, b) or most <= 0 or (
                        inst.rotation and groups[a].sends < groups[b].receives):
                    continue
                v = link[role][a, b] = m.new_bool_var(f"{role}[{a},{b}]")
                if inst.rotation:  # one sender per receiver and role: the count is fixed
                    send[role][a, b] = groups[b].receives * v
                    continue
                n = send[role][a, b] = m.new_int_var(0, most, f"{role}_send[{a},{b}]")
                m.add(n >= v)
                m.add(n <= most * v)
    # one role per pair of groups: never lead and partner side of one receiver, and
    # (互巡) never a group inspecting, in any role, a group that inspects it
    for a in groups:
        for b in groups:
            if inst.forbid_reciprocal and a > b:
                continue  # taken with (b, a)
            ways = [(a, b), (b, a)] if inst.forbid_reciprocal else [(a, b)]
            both = [link[r][w] for w in ways for r in ROLES if w in link[r]]
            if len(both) > 1:
                m.add_at_most_one(both)
    m.minimize(sum(inst.cost(a, b) * v for arcs in link.values() for (a, b), v in arcs.items()))
    if inst.rotation:  # each role one cycle through every group (推磨)
        index = {k: i for i, k in enumerate(groups)}
        for arcs in link.values():
            m.add_circuit([(index[a], index[b], v) for (a, b), v in arcs.items()])
        return m, send, link
    for role, arcs in send.items():  # every group receives exactly its teams, sends at most
        into: dict[str, list[Any]] = {k: [] for k in groups}
        out_of: dict[str, list[Any]] = {k: [] for k in groups}
        for (a, b), v in arcs.items():
            into[b].append(v)
            out_of[a].append(v)
        for k, g in groups.items():
            receive = m.add(sum(into[k]) == g.receives)
            send_most = m.add(sum(out_of[k]) <= g.sends)
            if guards is not None:
                for code, c in ((f"{role}:receives:{k}", receive),
                                (f"{role}:sends:{k}", send_most)):
                    guards[code] = m.new_bool_var(code)
                    c.only_enforce_if(guards[code])
    return m, send, link


def _hint(inst: PairingInstance, model: cp_model.CpModel, send: dict[str, Arcs],
          link: dict[str, Arcs]) -> None:
    """Start from the greedy lead pairing and a greedy partner pairing that avoids its
    arcs and their reverses (a hint, not a constraint)."""
    lead = greedy_pairing(inst)
    taken = set(lead) | {(b, a) for a, b in lead}
    partner = greedy_pairing(replace(inst, recent=inst.recent | frozenset(taken)))
    for role, chosen in (("lead", lead), ("partner", partner)):
        for arc, n in chosen.items():
            if arc in link[role]:
                model.add_hint(link[role][arc], n > 0)
                model.add_hint(send[role][arc], n)


def _empty(inst: PairingInstance, status: str, seed: int, tolerance: float, started: float,
           findings: list[tuple[str, str]]) -> tuple[Pairing, Pairing]:
    empty = Pairing(inst.round_key, status, None, None, None, (), {}, seed, exchange_hash(inst),
                    tolerance, time.perf_counter() - started, tuple(findings))
    return empty, empty


def exchange_precheck(inst: PairingInstance) -> list[tuple[str, str]]:
    """Shortages visible from counts: the pairing's own, then those of two roles."""
    out = precheck(inst)
    n = len(inst.groups)
    if inst.rotation and inst.forbid_reciprocal and n < 5:
        # two cycles over n groups use 2n of the n(n−1)/2 pairs of groups: n ≥ 5
        out.append((f"只有{n}个分组：互派的组长一方、副组长一方各成一个循环且不互巡，至少需要5个分组",
                    f"with {n} groups, a lead and a partner rotation without reciprocity "
                    "need at least 5"))
    for g in inst.groups:
        capacity = sum(min(h.sends, g.receives) for h in inst.groups
                       if inst.allowed(h.key, g.key))
        if g.receives and capacity < 2 * g.receives:
            out.append((f"互派：{g.name}的{g.receives}个来访组各需组长一方和副组长一方（不同分组），"
                        f"可巡察它的分组合计只能提供{capacity}个",
                        f"exchange: {g.key}'s {g.receives} visiting teams each need a lead and "
                        f"a partner side (different groups); allowed groups can give {capacity}"))
    return list(dict.fromkeys(out))


def exchange_diagnose(inst: PairingInstance) -> list[tuple[str, str]]:
    """After a failed solve: the counts, then which groups' needs in which role conflict."""
    found = exchange_precheck(inst)
    if found:
        return found
    general = ("在不互巡（任何角色）、不重复近期配对和关联上限的限制下，不存在组长一方与副组长一方"
               "都满足各分组接收数的互派方案；可放宽关联上限、允许重复配对或调整派出组数",
               "no exchange gives every group its lead and partner sides without reciprocity "
               "in any role, recent repeats and over-tied pairs: raise the tie limit, allow "
               "repeats, or change the teams sent")
    if inst.rotation:
        return [general]
    codes = conflicting_needs(lambda guards: _model(inst, guards)[0])
    if codes is None:
        return [general]
    names = {g.key: g for g in inst.groups}
    out = [general]
    for code in codes:
        role, what, key = code.split(":", 2)
        g, (zh, en) = names[key], ROLES[role]
        if what == "receives":
            out.append((f"{g.name}需接收{g.receives}个组的{zh}", f"{key} needs {g.receives} "
                        f"{en}s"))
        else:
            out.append((f"{g.name}最多作{g.sends}个组的{zh}", f"{key} is the {en} of at most "
                        f"{g.sends} teams"))
    return out


def team_slots(pairs: Iterable[Pair]) -> dict[str, list[str]]:
    """receiver → the sender of each of its visiting teams, in the order of its team list
    (senders by key), so a receiver's teams are shared out and none is covered twice."""
    out: dict[str, list[str]] = {}
    for p in sorted(pairs, key=lambda p: (p.receiver, p.sender)):
        out.setdefault(p.receiver, []).extend([p.sender] * p.teams)
    return out


def exchange_teams(lead: Pairing, partners: Pairing,
                   targets: Mapping[str, Sequence[Sequence[str]]]) -> tuple[ExchangeTeam, ...]:
    """The mixed teams of an exchange, receiver by receiver in its team order."""
    leads, mates = team_slots(lead.pairs), team_slots(partners.pairs)
    out = []
    for receiver in sorted(leads):
        for k, (a, b) in enumerate(zip(leads[receiver], mates.get(receiver, []), strict=True)):
            out.append(ExchangeTeam(receiver, a, b, tuple(targets[receiver][k])))
    return tuple(out)


def exchange_violations(inst: PairingInstance, lead: Pairing, partners: Pairing) -> list[str]:
    """Every rule of an exchange the two pairings break (empty: valid): each role's
    pairing rules, a group never both sides of one receiver, and no two groups that
    inspect each other in any role."""
    out = [f"组长一方 / lead: {v}" for v in violations(inst, lead)]
    out += [f"副组长一方 / partner: {v}" for v in violations(inst, partners)]
    led = {(p.sender, p.receiver) for p in lead.pairs}
    mates = {(p.sender, p.receiver) for p in partners.pairs}
    out += [f"{a}→{b} 既是组长一方又是副组长一方 / both lead and partner side"
            for a, b in sorted(led & mates)]
    if inst.forbid_reciprocal:
        arcs = led | mates
        out += [f"{a}↔{b} 互巡 / reciprocal across roles" for a, b in sorted(arcs)
                if a < b and (b, a) in arcs and not ((a, b) in led and (b, a) in led)
                and not ((a, b) in mates and (b, a) in mates)]
    return out
