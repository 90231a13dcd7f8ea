"""Cross-inspection pairing benchmark: n groups sending and receiving 3 teams each, random
ties (0–20) between every ordered pair, 5 % of pairings recent, a tie limit of 18;
reciprocity and repetition rules on; rotation (one cycle) on, and off for comparison.
With `--exchange`, the exchange pairing (互派: a lead and a partner side per team)."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from assignment.exchange import exchange_violations, pair_exchange
from assignment.pairing import Group, Pairing, PairingInstance, pair_groups, violations


def instance(n: int, rotation: bool, seed: int) -> PairingInstance:
    rng = random.Random(seed)
    keys = [f"G{i:03d}" for i in range(n)]
    arcs = [(a, b) for a in keys for b in keys if a != b]
    return PairingInstance(
        f"bench-{n}", tuple(Group(k, k, 3, 3) for k in keys),
        recent=frozenset(rng.sample(arcs, len(arcs) // 20)),
        ties={arc: rng.randint(0, 20) for arc in arcs}, tie_limit=18, rotation=rotation)


def run(args: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    def solve(inst: PairingInstance, seed: int) -> tuple[Pairing, bool]:
        """The pairing (the lead one in an exchange) and whether every rule holds."""
        if args.exchange:
            lead, partners = pair_exchange(inst, seed, deterministic_time=args.dtime)
            return lead, lead.feasible and not exchange_violations(inst, lead, partners)
        p = pair_groups(inst, seed, deterministic_time=args.dtime)
        return p, p.feasible and not violations(inst, p)

    kind = "exchange pairing (互派)" if args.exchange else "cross-inspection pairing"
    table = Table(title=f"{kind} (3 teams per group, deterministic limit "
                        f"{args.dtime:g} s, 1 worker; solver seeds {args.seed}…"
                        f"{args.seed + args.seeds - 1})")
    for col in ("groups", "rotation", "seconds (median)", "min–max", "status", "objective",
                "bound", "gap", "target", "valid"):
        table.add_column(col, justify="right")
    for n, rotation in [(g, True) for g in args.groups] + [(g, False) for g in args.free]:
        inst = instance(n, rotation, 7)
        times, last = [], None
        for seed in range(args.seed, args.seed + args.seeds):
            started = time.perf_counter()
            last = solve(inst, seed)
            times.append(time.perf_counter() - started)
        assert last is not None
        p, valid = last
        gap = "—" if p.objective is None or p.bound is None else \
            f"{(p.objective - p.bound) / max(abs(p.objective), 1):.1%}"
        target = "optimal ≤ 5 s" if (n, rotation) == (100, True) and not args.exchange else ""
        table.add_row(str(n), "yes" if rotation else "no", f"{statistics.median(times):.2f}",
                      f"{min(times):.2f}–{max(times):.2f}", p.status, str(p.objective),
                      f"{p.bound:.0f}" if p.bound is not None else "—", gap, target,
                      "yes" if valid else "no")
    Console(width=150).print(table)
