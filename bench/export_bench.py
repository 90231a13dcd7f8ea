"""Export benchmark: the sample city's `.xlsx` export (full ID numbers, as for a backup)
and its re-import into a fresh SQLite database, each step in a child process of its own,
so that its peak RSS (from `wait4`) is its own. Seconds are wall-clock times inside the
child (read + build + write for the export; `import_path` in one transaction for the
re-import), interpreter start-up excluded; medians over `--repeat` runs. Baselines, run
in the same process on the same data: the workbook written by openpyxl (write-only mode,
as exports were written before the in-memory writer) and the re-import read by openpyxl
(as imports read workbooks before python-calamine)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pool.db import make_engine, transaction, upgrade

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "city"
BASELINE = {"export": "28 s", "re-import": "40–60 s"}  # issue 13, before the rework


def _export(url: str, target: str) -> None:
    """In the child: read the pool and write the workbook as `xuncha export` does."""
    from pool.display import table_bytes
    from service.exports import read_export

    started = time.perf_counter()
    tables = read_export(make_engine(url), entities=None, id_numbers="full")
    Path(target).write_bytes(table_bytes(tables, "xlsx"))
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": sum(len(t) for t in tables.values()), "seconds": seconds}))


def _export_openpyxl(url: str, target: str) -> None:
    """In the child, the baseline: the same tables written by openpyxl (write-only)."""
    from openpyxl import Workbook

    from service.exports import read_export

    started = time.perf_counter()
    tables = read_export(make_engine(url), entities=None, id_numbers="full")  # display frames
    book = Workbook(write_only=True)
    for entity, shown in tables.items():
        sheet = book.create_sheet(entity)
        sheet.append(list(shown.columns))
        for row in shown.itertuples(index=False):
            sheet.append(list(row))
    book.save(target)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": sum(len(t) for t in tables.values()), "seconds": seconds}))


def _import_openpyxl(url: str, source: str) -> None:
    """In the child, the baseline: the re-import with workbooks read by openpyxl."""
    from pool import tabular

    tabular.XLSX_READER = "openpyxl"
    _import(url, source)


def _import(url: str, source: str) -> None:
    """In the child: import the workbook into the fresh database at `url`."""
    from pool.importer import import_path

    started = time.perf_counter()
    with transaction(make_engine(url)) as session:
        report = import_path(session, Path(source))
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": report.rows, "seconds": seconds}))


def _child(step: str, url: str, path: Path) -> tuple[int, float, float]:
    """(rows, seconds, peak RSS MiB) of one step run in a fresh interpreter."""
    proc = subprocess.Popen(
        [sys.executable, "-c", f"import sys; from bench.export_bench import _{step}; "
         f"_{step}(sys.argv[1], sys.argv[2])", url, str(path)],
        stdout=subprocess.PIPE, cwd=ROOT, env=os.environ.copy(), text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise RuntimeError(f"{step} failed (status {status}): {out}")
    result = json.loads(out.strip().splitlines()[-1])
    return int(result["rows"]), float(result["seconds"]), usage.ru_maxrss / 1024


def _fresh(tmp: Path, name: str) -> str:
    url = f"sqlite:///{tmp / name}"
    upgrade(url)
    return url


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-export-") as tmp_dir:
        tmp = Path(tmp_dir)
        source = _fresh(tmp, "city.sqlite3")
        with transaction(make_engine(source)) as session:
            from pool.importer import import_path

            import_path(session, SAMPLE)
        runs: dict[str, list[tuple[int, float, float]]] = {
            "export": [], "export, openpyxl (baseline)": [], "re-import": [],
            "re-import, openpyxl reader (baseline)": []}
        for n in range(args.repeat):
            workbook = tmp / f"city-{n}.xlsx"
            runs["export"].append(_child("export", source, workbook))
            runs["export, openpyxl (baseline)"].append(
                _child("export_openpyxl", source, tmp / f"baseline-{n}.xlsx"))
            runs["re-import"].append(_child("import", _fresh(tmp, f"again-{n}.sqlite3"),
                                            workbook))
            runs["re-import, openpyxl reader (baseline)"].append(
                _child("import_openpyxl", _fresh(tmp, f"base-{n}.sqlite3"), workbook))
        size = workbook.stat().st_size / 2**20
    table = Table(title=f"sample city · xlsx export and re-import (SQLite) · median of "
                        f"{args.repeat} · {size:.1f} MiB workbook")
    for header in ("step", "rows", "seconds", "rows/s", "peak RSS", "× baseline",
                   "issue baseline"):
        table.add_column(header, justify="left" if header == "step" else "right")
    medians = {step: statistics.median(r[1] for r in measured)
               for step, measured in runs.items()}
    for step, measured in runs.items():
        seconds = medians[step]
        base = next((b for b in medians if b != step and b.startswith(step + ",")), None)
        table.add_row(step, f"{measured[0][0]:,}", f"{seconds:.1f}",
                      f"{measured[0][0] / seconds:,.0f}",
                      f"{max(r[2] for r in measured):,.0f} MiB",
                      f"{medians[base] / seconds:.1f}× faster" if base else "",
                      BASELINE.get(step, ""))
    Console(width=150).print(table)
