"""Benchmarks: `./dev bench import [--scale province] [--repeat N] [--store sqlite]`,
`./dev bench conflicts …`, `./dev bench snapshot [--store postgres] [--no-index]`,
`./dev bench plain [--size 1000] [--repeat 5] [--baseline-size 1000]`,
`./dev bench api [--duration 20] [--clients 32] [--rate 200] [--store sqlite]`,
`./dev bench draws [--seeds 200] [--baseline] [--ceremonies 30]`,
`./dev bench export [--repeat 3]`,
`./dev bench web [--requests 50] [--loads 10] [--store postgres] [--no-browser]`,
`./dev bench caps [--draws 1000] [--repeat 5] [--cap 0.2] [--leader-cap 0.1] [--no-teams]`,
`./dev bench practice [--province] [--plain-seats 5]`.

Prints a table of measured figures against the targets of the issue.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

TARGETS = {"sqlite": 30_000.0, "postgres": 50_000.0}
MEMORY_TARGET_MIB = 2048.0
SNAPSHOT_TARGET_S = 20.0  # load_snapshot of the province
SNAPSHOT_TARGET_MIB = 1536.0  # peak RSS of the process that loaded it
INDEX_TARGET_MIB = 3072.0  # peak RSS of the process that also built the conflict index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev bench")
    sub = parser.add_subparsers(dest="suite", required=True)
    imp = sub.add_parser("import", help="bulk import into SQLite and PostgreSQL")
    imp.add_argument("--scale", choices=["city", "province"], default="province")
    imp.add_argument("--seed", type=int, default=7)
    imp.add_argument("--repeat", type=int, default=1)
    imp.add_argument("--store", action="append", choices=["sqlite", "postgres"])
    imp.add_argument("--postgres-admin-url", default=os.environ.get(
        "XUNCHA_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    con = sub.add_parser("conflicts", help="conflicts engine on the generated province")
    con.add_argument("--scale", choices=["city", "province"], default="province")
    con.add_argument("--seed", type=int, default=7)
    con.add_argument("--cadres", type=int, default=2000)
    con.add_argument("--targets", type=int, default=300)
    con.add_argument("--repeat", type=int, default=5)
    con.add_argument("--baseline-pairs", type=int, default=40,
                     help="pairs for the per-pair networkx baseline (0: skip it)")
    snap = sub.add_parser("snapshot", help="load_snapshot (and the conflict index) of an "
                                           "imported pool")
    snap.add_argument("--scale", choices=["city", "province"], default="province")
    snap.add_argument("--seed", type=int, default=7)
    snap.add_argument("--repeat", type=int, default=1)
    snap.add_argument("--store", action="append", choices=["sqlite", "postgres"],
                      help="default sqlite; postgres imports the data first (minutes)")
    snap.add_argument("--as-of", default="2026-11-01")
    snap.add_argument("--no-index", action="store_true",
                      help="measure the snapshot load only, not the conflict index on it")
    snap.add_argument("--postgres-admin-url", default=os.environ.get(
        "XUNCHA_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    plain = sub.add_parser("plain", help="plain assignment form: public instances, dense "
                                         "random instance, CP-SAT baseline")
    plain.add_argument("--size", type=int, default=1000, help="dense instance: people = targets")
    plain.add_argument("--seed", type=int, default=7)
    plain.add_argument("--repeat", type=int, default=5)
    plain.add_argument("--baseline-size", type=int, default=1000,
                       help="dense instance for the CP-SAT baseline (0: skip it; ~1 min at 1000)")
    plain.add_argument("--baseline-limit", type=float, default=600.0,
                       help="CP-SAT wall-clock safety limit, seconds")
    asm = sub.add_parser("assemble", help="team assembly: sample-city and province rounds")
    asm.add_argument("--seed", type=int, default=7)
    asm.add_argument("--draws", type=int, default=200, help="random-draw baseline runs")
    asm.add_argument("--no-province", dest="province", action="store_false")
    asm.add_argument("--province-dtime", type=float, default=20.0,
                     help="deterministic time per phase for the province round")
    pair = sub.add_parser("pair", help="cross-inspection pairing: 20, 100, 300 groups")
    pair.add_argument("--seed", type=int, default=1, help="first solver seed")
    pair.add_argument("--seeds", type=int, default=3, help="solver seeds per instance")
    pair.add_argument("--groups", type=int, nargs="*", default=[20, 100, 300])
    pair.add_argument("--free", type=int, nargs="*", default=[20, 100],
                      help="group counts to run without rotation too")
    pair.add_argument("--dtime", type=float, default=60.0)
    pair.add_argument("--exchange", action="store_true",
                      help="互派: a lead and a partner side for every team, in one solve")
    api = sub.add_parser("api", help="HTTP load: recusal checks on xuncha serve (SQLite, "
                                     "PostgreSQL with several workers)")
    api.add_argument("--duration", type=float, default=20.0, help="seconds per timed run")
    api.add_argument("--warmup", type=float, default=5.0, help="seconds of warm-up load")
    api.add_argument("--clients", type=int, default=32)
    api.add_argument("--rate", type=float, nargs="+", default=[200.0, 100.0],
                     help="requests/s of the paced runs (one run each)")
    api.add_argument("--seed", type=int, default=1, help="seed of the random pairs")
    api.add_argument("--as-of", default="2026-11-01")
    api.add_argument("--store", action="append", choices=["sqlite", "postgres"])
    api.add_argument("--pg-workers", type=int, default=2)
    api.add_argument("--postgres-admin-url", default=os.environ.get(
        "XUNCHA_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    draws = sub.add_parser("draws", help="draw ceremony: spread of the teams drawn with "
                                         "ceremony seeds, and the ceremony's overhead")
    draws.add_argument("--seeds", type=int, default=200,
                       help="ceremony seeds to draw the sample-city round with")
    draws.add_argument("--baseline", action="store_true",
                       help="also draw with the integer seeds 0..N-1 (doubles the time)")
    draws.add_argument("--baseline-seeds", type=int, default=None,
                       help="N of the baseline (default: --seeds)")
    draws.add_argument("--ceremonies", type=int, default=30,
                       help="ceremonies over HTTP for the overhead (0: skip it)")
    export = sub.add_parser("export", help="xlsx export of the sample city and its "
                                           "re-import into a fresh database")
    export.add_argument("--repeat", type=int, default=3)
    web = sub.add_parser("web", help="workbench pages: server time and browser load on the "
                                     "sample city")
    web.add_argument("--requests", type=int, default=50,
                     help="sequential requests per page for the server time")
    web.add_argument("--loads", type=int, default=10, help="browser loads per page")
    web.add_argument("--no-browser", action="store_true", help="server time only")
    web.add_argument("--store", action="append", choices=["sqlite", "postgres"],
                     help="default sqlite")
    web.add_argument("--postgres-admin-url", default=os.environ.get(
        "XUNCHA_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    caps = sub.add_parser("caps", help="probability caps: preflib1 at the published caps")
    caps.add_argument("--draws", type=int, default=1000, help="draws per cap")
    caps.add_argument("--repeat", type=int, default=5)
    caps.add_argument("--cap", default="0.2", help="team cap of the sample round")
    caps.add_argument("--leader-cap", default="0.1", help="leader cap of the sample round")
    caps.add_argument("--no-teams", action="store_true", help="preflib1 only")
    practice = sub.add_parser("practice", help="issue 15's rules: the sample round with "
                              "every rule on and off, replacement suggestions per seat")
    practice.add_argument("--seed", type=int, default=7)
    practice.add_argument("--province", action="store_true",
                          help="also the province round (imports the province once)")
    practice.add_argument("--province-dtime", type=float, default=20.0)
    practice.add_argument("--plain-seats", type=int, default=5,
                          help="seats also ranked by the plain method (the baseline)")
    args = parser.parse_args(argv)
    suites = {"caps": "bench.caps_bench:run", "practice": "bench.practice_bench:run",
              "pair": "bench.pairing_bench:run", "assemble": "bench.assembly_bench:run",
              "conflicts": "bench.conflicts_bench:main_table", "api": "bench.api:run",
              "draws": "bench.draws_bench:run", "export": "bench.export_bench:run",
              "web": "bench.web:run"}
    if args.suite in suites:
        module, name = suites[args.suite].split(":")
        getattr(importlib.import_module(module), name)(args)
        return 0
    if args.suite == "plain":
        plain_table(args)
        return 0
    if args.suite == "snapshot":
        snapshot_table(args)
        return 0

    from bench.import_bench import run

    console = Console(width=150)
    stores = args.store or ["sqlite", "postgres"]
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-") as tmp:
        results, baseline = run(args.scale, args.seed, args.repeat, stores,
                                args.postgres_admin_url, Path(tmp))
    table = Table(title=f"bulk import · {args.scale} (seed {args.seed}) · median of "
                        f"{args.repeat} · {platform.processor() or platform.machine()}, "
                        f"{os.cpu_count()} cores")
    for col in ("store", "rows", "seconds", "rows/s", "target rows/s", "vs ORM baseline",
                "peak RSS MiB", "target MiB", "met"):
        table.add_column(col, justify="left" if col == "store" else "right")
    for m in results:
        met = m.rows_per_second >= TARGETS[m.store] and m.peak_rss_mib <= MEMORY_TARGET_MIB
        table.add_row(m.store, f"{m.rows:,}", f"{m.seconds:.1f}", f"{m.rows_per_second:,.0f}",
                      f"{TARGETS[m.store]:,.0f}", f"{m.rows_per_second / baseline:.1f}×",
                      f"{m.peak_rss_mib:,.0f}", f"{MEMORY_TARGET_MIB:,.0f}",
                      "yes" if met else "NO")
    table.add_row("ORM add_all (baseline, persons sample, SQLite)", "", "",
                  f"{baseline:,.0f}", "", "1.0×", "", "", "")
    console.print(table)
    return 0


def snapshot_table(args: argparse.Namespace) -> None:
    from bench.snapshot_bench import run

    results = run(args.scale, args.seed, args.repeat, args.store or ["sqlite"],
                  args.postgres_admin_url, args.as_of, not args.no_index)
    table = Table(title=f"snapshot load · {args.scale} (seed {args.seed}) as of {args.as_of} "
                        f"· median of {args.repeat} · "
                        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for col in ("store", "measured", "persons", "ties", "employments", "load s", "target s",
                "index s", "peak RSS MiB", "target MiB", "met"):
        table.add_column(col, justify="left" if col in ("store", "measured") else "right")
    for m in results:
        indexed = m.index_seconds is not None
        target_mib = INDEX_TARGET_MIB if indexed else SNAPSHOT_TARGET_MIB
        met = m.peak_rss_mib <= target_mib and (indexed or m.seconds <= SNAPSHOT_TARGET_S)
        table.add_row(m.store, m.what, f"{m.rows['persons']:,}", f"{m.rows['ties']:,}",
                      f"{m.rows['employments']:,}", f"{m.seconds:.1f}",
                      "" if indexed else f"{SNAPSHOT_TARGET_S:.0f}",
                      f"{m.index_seconds:.1f}" if indexed else "",
                      f"{m.peak_rss_mib:,.0f}", f"{target_mib:,.0f}", "yes" if met else "NO")
    Console(width=150).print(table)


def plain_table(args: argparse.Namespace) -> None:
    from bench.assignment_bench import run

    figures, baseline = run(args.size, args.seed, args.repeat, args.baseline_size,
                            args.baseline_limit)
    table = Table(title=f"plain assignment form · min-cost flow · median of {args.repeat} · "
                        f"dense seed {args.seed} · "
                        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for col in ("instance", "people × targets", "seconds", "target s", "objective",
                "published", "valid", "met"):
        table.add_column(col, justify="left" if col == "instance" else "right")
    for f in figures:
        exact = f.expected is None or round(f.objective, 2) == f.expected
        fast = f.target_s is None or f.seconds <= f.target_s
        table.add_row(f.name, f"{f.shape[0]:,} × {f.shape[1]:,}", f"{f.seconds:.3f}",
                      "" if f.target_s is None else f"≤ {f.target_s:g}", f"{f.objective:.4f}",
                      "" if f.expected is None else f"{f.expected:.2f}",
                      "yes" if f.valid else "NO", "yes" if exact and fast and f.valid else "NO")
    console = Console(width=150)
    if baseline is not None:
        b = baseline
        total = b.build_s + b.solve_s
        same = b.objective is not None and abs(b.objective - b.flow_objective) <= 3 * b.size / 1e6
        table.add_row(f"CP-SAT baseline, dense {b.size:,} × {b.size:,} ({b.status})",
                      f"{b.size:,} × {b.size:,}", f"{total:.1f}", "",
                      "" if b.objective is None else f"{b.objective:.4f}", "",
                      "same optimum" if same else "DIFFERS", "")
    console.print(table)
    if baseline is not None:
        console.print(f"CP-SAT (1 worker, linearization 2): build {b.build_s:.1f} s + solve "
                      f"{b.solve_s:.1f} s; min-cost flow on the same instance {b.flow_s:.3f} s "
                      f"(median of {args.repeat}): {total / b.flow_s:,.0f}× faster")


if __name__ == "__main__":
    sys.exit(main())
