"""Snapshot benchmark: `load_snapshot` of an imported pool, and the conflict index on it.

Each measurement runs in its own child process, so its peak RSS is that whole process's
(interpreter and imports included). SQLite reads the database the conflicts benchmark
imports once and keeps under bench/data/ (`<scale>-<seed>.sqlite3`); PostgreSQL gets a
fresh database per run (imported in a child process, dropped afterwards).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.conflicts_bench import database
from bench.import_bench import ROOT, _drop_postgres, _fresh_postgres, dataset
from pool.db import make_engine, transaction


@dataclass(frozen=True)
class Measurement:
    store: str
    what: str  # "snapshot" or "snapshot + conflict index"
    rows: dict[str, int]
    seconds: float  # load_snapshot
    index_seconds: float | None  # ConflictIndex(snapshot), when measured
    peak_rss_mib: float


def _import(url: str, data: Path) -> None:
    """Import `data` into `url` in a child process (its memory is not the benchmark's)."""
    subprocess.run([sys.executable, "-c",
                    "import sys, pathlib; from bench.snapshot_bench import _import_child; "
                    "_import_child(sys.argv[1], pathlib.Path(sys.argv[2]))", url, str(data)],
                   check=True, cwd=ROOT, env=os.environ.copy())


def _import_child(url: str, data: Path) -> None:
    from pool.importer import import_path

    with transaction(make_engine(url)) as session:
        import_path(session, data)


def _child(url: str, as_of: str, with_index: bool) -> None:
    """Run inside the child process: load the snapshot (and build the index), print JSON."""
    import datetime as dt

    from sqlalchemy.orm import Session

    from pool.snapshot import load_snapshot

    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        snap = load_snapshot(session, dt.date.fromisoformat(as_of))
    seconds = time.perf_counter() - started
    index_seconds = None
    if with_index:
        from conflicts.index import ConflictIndex

        started = time.perf_counter()
        ConflictIndex(snap)
        index_seconds = time.perf_counter() - started
    rows = {"persons": len(snap.persons), "ties": len(snap.ties),
            "employments": len(snap.employments)}
    print(json.dumps({"rows": rows, "seconds": seconds, "index_seconds": index_seconds}))


def _run_child(url: str, as_of: str, with_index: bool, store: str) -> Measurement:
    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from bench.snapshot_bench import _child; "
         "_child(sys.argv[1], sys.argv[2], sys.argv[3] == 'index')",
         url, as_of, "index" if with_index else "load"],
        stdout=subprocess.PIPE, cwd=ROOT, env=os.environ.copy(), text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise RuntimeError(f"snapshot of {url} failed (status {status}): {out}")
    result = json.loads(out.strip().splitlines()[-1])
    return Measurement(store, "snapshot + conflict index" if with_index else "snapshot",
                       result["rows"], result["seconds"], result["index_seconds"],
                       usage.ru_maxrss / 1024)


def run(scale: str, seed: int, repeat: int, stores: list[str], admin_url: str,
        as_of: str, with_index: bool) -> list[Measurement]:
    results: list[Measurement] = []
    for store in stores:
        name = None
        if store == "sqlite":
            url = database(scale, seed)
        else:
            url, name = _fresh_postgres(admin_url)
        try:
            if name is not None:
                print(f"importing {scale} data into PostgreSQL {name} …", file=sys.stderr)
                _import(url, dataset(scale, seed))
            for index in (False, True) if with_index else (False,):
                runs = [_run_child(url, as_of, index, store) for _ in range(repeat)]
                results.append(Measurement(
                    store, runs[0].what, runs[0].rows,
                    statistics.median(r.seconds for r in runs),
                    statistics.median(r.index_seconds or 0.0 for r in runs) if index else None,
                    max(r.peak_rss_mib for r in runs)))
        finally:
            if name is not None:
                _drop_postgres(admin_url, name)
    return results
