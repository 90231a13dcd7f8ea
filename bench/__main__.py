"""Benchmarks: `./dev bench import [--scale province] [--repeat N] [--store sqlite]`.

Prints a table of measured figures against the targets of the issue.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

TARGETS = {"sqlite": 30_000.0, "postgres": 50_000.0}
MEMORY_TARGET_MIB = 2048.0


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
    args = parser.parse_args(argv)
    if args.suite == "conflicts":
        from bench.conflicts_bench import main_table

        main_table(args)
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


if __name__ == "__main__":
    sys.exit(main())
