"""Cross-inspection pairing: every rule on every plan, hand-built cases with one answer
or none, optima against brute force, reproducible and seed-dependent draws."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from assignment.pairing import Group, PairingInstance, pair_groups, violations


def groups(n: int, sends: int = 1, receives: int = 1) -> tuple[Group, ...]:
    return tuple(Group(f"G{i}", f"分组{i}", sends, receives) for i in range(n))


def test_a_rotation_through_every_group_without_reciprocity() -> None:
    inst = PairingInstance("R", groups(6), rotation=True)
    p = pair_groups(inst, seed=1)
    assert p.status == "optimal" and violations(inst, p) == []
    assert len(p.pairs) == 6


def test_the_only_rotation_left_by_recent_pairings() -> None:
    # of the two 3-cycles, recent pairings forbid G0→G1: only G0→G2→G1→G0 remains
    inst = PairingInstance("R", groups(3), recent=frozenset({("G0", "G1")}), rotation=True)
    p = pair_groups(inst, seed=5)
    assert {(x.sender, x.receiver) for x in p.pairs} == {("G0", "G2"), ("G2", "G1"),
                                                         ("G1", "G0")}


def test_two_groups_cannot_cross_inspect_without_reciprocity() -> None:
    inst = PairingInstance("R", groups(2))
    p = pair_groups(inst, seed=1)
    assert p.status == "infeasible" and p.pairs == ()
    assert p.findings  # in words
    rot = pair_groups(PairingInstance("R", groups(2), rotation=True), seed=1)
    assert any("至少需要3个分组" in zh for zh, _en in rot.findings)


def test_a_group_without_leaders_is_named() -> None:
    gs = (*groups(3)[:2], Group("G2", "阜宁", 1, 1, leaders=0))
    p = pair_groups(PairingInstance("R", gs, rotation=True), seed=1)
    assert p.status == "infeasible"
    assert any("阜宁没有可带队的组长" in zh for zh, _en in p.findings)


def test_ties_above_the_limit_forbid_a_pair_and_ties_below_cost() -> None:
    ties = {("G0", "G1"): 9, ("G1", "G2"): 1}
    inst = PairingInstance("R", groups(4), ties=ties, tie_limit=5)
    p = pair_groups(inst, seed=2)
    assert violations(inst, p) == []
    assert ("G0", "G1") not in {(x.sender, x.receiver) for x in p.pairs}
    assert p.objective == 0  # a pairing avoiding every tie exists


@st.composite
def instances(draw: st.DrawFn) -> PairingInstance:
    n = draw(st.integers(3, 5))
    keys = [f"G{i}" for i in range(n)]
    gs = tuple(Group(k, k, draw(st.integers(1, 2)), draw(st.integers(0, 2))) for k in keys)
    arcs = [(a, b) for a in keys for b in keys if a != b]
    recent = frozenset(draw(st.lists(st.sampled_from(arcs), max_size=3)))
    ties = {arc: draw(st.integers(0, 6)) for arc in arcs}
    return PairingInstance("R", gs, recent, ties, tie_limit=draw(st.sampled_from([None, 4])),
                           rotation=draw(st.booleans()))


def brute(inst: PairingInstance) -> int | None:
    """The least cost over every way to split each receiver's teams among its allowed
    senders (a composition per receiver, then every combination)."""
    keys = [g.key for g in inst.groups]
    g = {x.key: x for x in inst.groups}

    def splits(b: str) -> list[dict[str, int]]:
        senders = [a for a in keys if inst.allowed(a, b)]
        out = []
        for counts in itertools.product(*(range(min(g[a].sends, g[b].receives) + 1)
                                          for a in senders)):
            if sum(counts) == g[b].receives:
                out.append({a: c for a, c in zip(senders, counts, strict=True) if c})
        return out

    best = None
    for choice in itertools.product(*(splits(b) for b in keys)):
        chosen = {(a, b): c for b, split in zip(keys, choice, strict=True)
                  for a, c in split.items()}
        if any(sum(c for (a, _b), c in chosen.items() if a == k) > g[k].sends for k in keys):
            continue
        if inst.forbid_reciprocal and any((b, a) in chosen for a, b in chosen):
            continue
        if inst.rotation:
            nxt = {a: b for a, b in chosen}
            if len(nxt) != len(chosen) or set(nxt) != set(keys):
                continue
            cur, steps = nxt[keys[0]], 1  # one cycle: back at the start after n steps
            while cur != keys[0] and steps <= len(keys):
                cur, steps = nxt[cur], steps + 1
            if cur != keys[0] or steps != len(keys):
                continue
        cost = sum(inst.cost(a, b) for a, b in chosen)
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=60, deadline=None)
@given(inst=instances())
def test_optimum_equals_brute_force_and_every_rule_holds(inst: PairingInstance) -> None:
    p = pair_groups(inst, seed=3)
    best = brute(inst)
    if best is None:
        assert not p.feasible and p.findings
        return
    assert p.status == "optimal", p.findings
    assert violations(inst, p) == []
    assert p.objective == best


def test_reproducible_and_seed_dependent() -> None:
    inst = PairingInstance("R", groups(12, sends=2, receives=2), rotation=False)
    a, b = pair_groups(inst, 4, tolerance=0.5), pair_groups(inst, 4, tolerance=0.5)
    assert a.canonical_json() == b.canonical_json()
    plans = {tuple((x.sender, x.receiver, x.teams) for x in pair_groups(inst, s, 0.5).pairs)
             for s in range(5)}
    assert len(plans) >= 4
    for s in range(3):
        assert violations(inst, pair_groups(inst, s, 0.5)) == []


def test_the_validator_rejects_two_cycles_and_reciprocal_pairs() -> None:
    from assignment.pairing import Pair, Pairing

    inst = PairingInstance("R", groups(4), rotation=True)

    def plan(*arcs: tuple[str, str]) -> Pairing:
        pairs = tuple(Pair(a, b, 1, 0, 0, "", "") for a, b in arcs)
        return Pairing("R", "optimal", 0, 0, 0.0, pairs, {}, 0, "", 0.0, 0.0)

    two_cycles = plan(("G0", "G1"), ("G1", "G0"), ("G2", "G3"), ("G3", "G2"))
    problems = violations(inst, two_cycles)
    assert any("单循环" in v for v in problems) and any("互巡" in v for v in problems)
    assert violations(inst, plan(("G0", "G1"), ("G1", "G2"), ("G2", "G3"), ("G3", "G0"))) == []


def test_diagnosis_names_the_groups_whose_needs_conflict() -> None:
    # G0 may inspect nobody; G1 and G2 could then only inspect each other: reciprocal
    inst = PairingInstance("R", groups(3), recent=frozenset({("G0", "G1"), ("G0", "G2")}))
    p = pair_groups(inst, seed=1)
    assert p.status == "infeasible"
    text = "\n".join(zh for zh, _en in p.findings)
    assert "分组1需接收1个组；可以巡察它的分组：分组2" in text
    assert "分组2需接收1个组；可以巡察它的分组：分组1" in text
