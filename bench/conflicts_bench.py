"""Conflict-of-interest engine benchmark on the generated province.

The province (`xuncha generate --scale province --seed 7`) is imported once into a SQLite
file under bench/data/ (git-ignored). Each measurement runs in a child process so its
peak RSS is its own:

* engine: snapshot load, index build, screening of N cadres × M targets under every rule
  of the default policy (median of `repeat` runs), the kinship part alone, and one
  explanation (median and worst over a sample of recused and clear pairs);
* baseline: the obvious approach on a sample of the same pairs: a networkx graph of the
  kinship facts, and per pair a breadth-first search from the cadre plus simple-path
  enumeration to each staff member of the target, classified with the same step patterns.
  Its per-pair time times the number of pairs gives its projected screening time; its
  verdicts are compared with the engine's on the sampled pairs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.import_bench import ROOT, dataset

AS_OF = dt.date(2026, 11, 1)


@dataclass(frozen=True)
class Run:
    figures: dict[str, Any]
    peak_rss_mib: float


def database(scale: str, seed: int) -> str:
    """Import the dataset once into a cached SQLite file; return its URL."""
    data = dataset(scale, seed)
    path = data.parent / f"{scale}-{seed}.sqlite3"
    marker = data.parent / f"{scale}-{seed}.sqlite3.complete"
    url = f"sqlite:///{path}"
    if not marker.exists():
        from pool.db import make_engine, transaction, upgrade
        from pool.importer import import_path

        print(f"importing {data} into {path} …", file=sys.stderr)
        path.unlink(missing_ok=True)
        upgrade(url)
        with transaction(make_engine(url)) as session:
            import_path(session, data)
        marker.write_text("ok")
    return url


def _sample(index: Any, n_cadres: int, n_targets: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    active = sorted(k for k, c in index.cadres.items() if c.status == "active")
    units = sorted(index.snapshot.units)
    return sorted(rng.sample(active, n_cadres)), sorted(rng.sample(units, n_targets))


def engine_child(url: str, n_cadres: int, n_targets: int, repeat: int, seed: int) -> None:
    """Child process: the engine's figures as one JSON line."""
    from sqlalchemy.orm import Session

    from conflicts.evidence import explain
    from conflicts.index import ConflictIndex
    from conflicts.policy import load_policy
    from conflicts.screening import screen_index
    from pool.db import make_engine
    from pool.snapshot import load_snapshot

    policy = load_policy("default")
    started = time.perf_counter()
    with Session(make_engine(url)) as session:
        snapshot = load_snapshot(session, AS_OF)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    index = ConflictIndex(snapshot, AS_OF)
    index_s = time.perf_counter() - started
    cadres, targets = _sample(index, n_cadres, n_targets, seed)
    people = index.persons.pos(cadres)
    kin_runs, screen_runs = [], []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        relatives = index.kinship.relatives(people)
        kin_runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = screen_index(index, policy, cadres, targets)
        screen_runs.append(time.perf_counter() - started)
    assert result is not None
    recusals = list(result.recusals())
    rng = random.Random(seed)
    hit_pairs = sorted({(r.cadre_key, r.target_key) for r in recusals})
    recused = result.recused(soft=True)
    clear = [(cadres[i], targets[j]) for i in range(len(cadres)) for j in range(len(targets))
             if not recused[i, j]]
    pairs = rng.sample(hit_pairs, min(40, len(hit_pairs))) + rng.sample(clear, min(10, len(clear)))
    explain_ms = []
    for cadre, target in pairs:
        started = time.perf_counter()
        explain(index, policy, cadre, target)
        explain_ms.append((time.perf_counter() - started) * 1000)
    kin_rules = ("kin-in-target", "kin-business")
    kin_hits = sorted({(r.cadre_key, r.target_key) for r in recusals if r.rule_id in kin_rules})
    by_rule: dict[str, int] = {}
    for r in recusals:
        by_rule[r.rule_id] = by_rule.get(r.rule_id, 0) + 1
    print(json.dumps({
        "persons": len(snapshot.persons), "ties": len(snapshot.ties),
        "employments": len(snapshot.employments), "cadres_in_pool": len(snapshot.cadres),
        "cadres": len(cadres), "targets": len(targets), "load_s": load_s, "index_s": index_s,
        "kinship_s": statistics.median(kin_runs), "screen_s": statistics.median(screen_runs),
        "screen_runs": screen_runs, "relatives_per_cadre": relatives.nnz / len(cadres),
        "recusals": len(recusals), "by_rule": by_rule,
        "explain_ms_median": statistics.median(explain_ms), "explain_ms_max": max(explain_ms),
        "explained": len(explain_ms), "kin_hits": kin_hits,
    }))


def baseline_child(url: str, n_cadres: int, n_targets: int, n_pairs: int, seed: int,
                   engine_kin_hits: list[list[str]]) -> None:
    """Child process: per-pair networkx search on a sample of pairs, as one JSON line."""
    import networkx as nx
    from sqlalchemy.orm import Session

    from conflicts.index import ConflictIndex
    from conflicts.kinship import PATTERNS
    from pool.db import make_engine
    from pool.snapshot import load_snapshot

    with Session(make_engine(url)) as session:
        snapshot = load_snapshot(session, AS_OF)
    index = ConflictIndex(snapshot, AS_OF)
    cadres, targets = _sample(index, n_cadres, n_targets, seed)
    started = time.perf_counter()
    graph = nx.DiGraph()  # the kinship facts in force, one labelled arc per direction
    staff: dict[str, set[str]] = {}
    business: dict[str, set[str]] = {}
    for tie in snapshot.ties:
        if not tie.valid_on(AS_OF):
            continue
        if tie.kind == "parent_of":
            graph.add_edge(tie.object_person_key, tie.subject_key, step="U")
            graph.add_edge(tie.subject_key, tie.object_person_key, step="D")
        elif tie.kind == "spouse_of":
            graph.add_edge(tie.subject_key, tie.object_person_key, step="S")
            graph.add_edge(tie.object_person_key, tie.subject_key, step="S")
        elif tie.kind == "declared" and tie.category in PATTERNS:
            graph.add_edge(tie.subject_key, tie.object_person_key, step="X")
            graph.add_edge(tie.object_person_key, tie.subject_key, step="X")
        elif tie.kind == "business_interest" and tie.object_unit_key:
            business.setdefault(tie.object_unit_key, set()).add(tie.subject_key)
    for job in snapshot.employments:
        if job.active_on(AS_OF):
            staff.setdefault(job.unit_key, set()).add(job.person_key)
    build_s = time.perf_counter() - started
    patterns = {p for ps in PATTERNS.values() for p in ps} | {"X"}
    rng = random.Random(seed + 1)
    pairs = [(rng.choice(cadres), rng.choice(targets)) for _ in range(n_pairs)]
    hits = {tuple(p) for p in engine_kin_hits}
    pairs += rng.sample(sorted(hits), min(n_pairs // 4, len(hits)))  # some positives too
    agree = 0
    times = []
    for cadre, target in pairs:
        started = time.perf_counter()
        found = False
        if cadre in graph:
            near = nx.single_source_shortest_path_length(graph, cadre, cutoff=5)
            for person in (staff.get(target, set()) | business.get(target, set())) & near.keys():
                if person == cadre:
                    continue
                for path in nx.all_simple_paths(graph, cadre, person, cutoff=5):
                    steps = "".join(graph.edges[a, b]["step"]
                                    for a, b in itertools.pairwise(path))
                    if steps in patterns:
                        found = True
                        break
                if found:
                    break
        times.append(time.perf_counter() - started)
        agree += found == ((cadre, target) in hits)
    print(json.dumps({"build_s": build_s, "pairs": len(pairs),
                      "per_pair_ms": statistics.median(times) * 1000,
                      "mean_pair_ms": statistics.mean(times) * 1000, "agree": agree}))


def _spawn(function: str, *args: Any) -> Run:
    code = (f"import json, sys; from bench.conflicts_bench import {function}; "
            f"{function}(*json.loads(sys.argv[1]))")
    proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(list(args))],
                            stdout=subprocess.PIPE, cwd=ROOT, env=os.environ.copy(), text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise RuntimeError(f"{function} failed (status {status}): {out[-2000:]}")
    return Run(json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024)


def run(scale: str, seed: int, n_cadres: int, n_targets: int, repeat: int,
        baseline_pairs: int) -> tuple[Run, Run | None]:
    url = database(scale, seed)
    engine = _spawn("engine_child", url, n_cadres, n_targets, repeat, seed)
    baseline = None
    if baseline_pairs:
        baseline = _spawn("baseline_child", url, n_cadres, n_targets, baseline_pairs, seed,
                          engine.figures["kin_hits"])
    return engine, baseline


def main_table(args: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    engine, baseline = run(args.scale, args.seed, args.cadres, args.targets, args.repeat,
                           args.baseline_pairs)
    f = engine.figures
    pairs = f["cadres"] * f["targets"]
    console = Console(width=150)
    console.print(f"{args.scale} (seed {args.seed}): {f['persons']:,} persons, "
                  f"{f['ties']:,} ties, {f['employments']:,} employment records, "
                  f"{f['cadres_in_pool']:,} cadres; screening {f['cadres']:,} cadres × "
                  f"{f['targets']:,} targets = {pairs:,} pairs, median of {args.repeat}; "
                  f"{os.cpu_count()} cores")
    table = Table(title="conflicts engine")
    for col in ("measure", "value", "target", "met"):
        table.add_column(col, justify="left" if col == "measure" else "right")

    def row(name: str, value: float, unit: str, target: float | None) -> None:
        met = "" if target is None else ("yes" if value <= target else "NO")
        table.add_row(name, f"{value:,.3f} {unit}", "" if target is None else
                      f"≤ {target:,} {unit}", met)

    row("snapshot load (database → records)", f["load_s"], "s", None)
    row("index build", f["index_s"], "s", 30)
    row("screening, all rules", f["screen_s"], "s", 0.5)
    row("  of which kinship derivation", f["kinship_s"], "s", None)
    row(f"explanation, median of {f['explained']}", f["explain_ms_median"], "ms", 20)
    row("explanation, worst", f["explain_ms_max"], "ms", None)
    row("peak RSS (whole process)", engine.peak_rss_mib, "MiB", 3072)
    table.add_row("relatives in scope per cadre", f"{f['relatives_per_cadre']:.1f}", "", "")
    table.add_row("recusals found (hard and soft)", f"{f['recusals']:,}", "", "")
    console.print(table)
    rules = Table(title="recusals by rule")
    rules.add_column("rule")
    rules.add_column("pairs", justify="right")
    for rule, n in sorted(f["by_rule"].items()):
        rules.add_row(rule, f"{n:,}")
    console.print(rules)
    if baseline is not None:
        b = baseline.figures
        projected = b["per_pair_ms"] / 1000 * pairs
        table = Table(title="baseline: per-pair networkx search (kinship rules only)")
        for col in ("measure", "value"):
            table.add_column(col, justify="left" if col == "measure" else "right")
        table.add_row("graph build (networkx, staff and business maps)", f"{b['build_s']:.1f} s")
        table.add_row("pairs sampled", f"{b['pairs']:,}")
        table.add_row("per pair, median / mean", f"{b['per_pair_ms']:.2f} / "
                      f"{b['mean_pair_ms']:.2f} ms")
        table.add_row(f"projected for {pairs:,} pairs", f"{projected:,.0f} s")
        table.add_row("engine, all rules, same pairs", f"{f['screen_s']:.3f} s")
        table.add_row("ratio (baseline kinship only ÷ engine all rules)",
                      f"{projected / f['screen_s']:,.0f}×")
        table.add_row("verdicts agreeing with the engine", f"{b['agree']} / {b['pairs']}")
        table.add_row("peak RSS (baseline process)", f"{baseline.peak_rss_mib:,.0f} MiB")
        console.print(table)
