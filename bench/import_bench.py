"""Bulk-import benchmark: generated data into SQLite and PostgreSQL.

Each measured import runs in its own child process (so its peak RSS is its own) into a
fresh database with migrations applied; rows per second count every imported row of
every table. A naive ORM baseline (`session.add_all` of Person objects) on a sample of
the same persons runs in this process for a ratio.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pool.db import make_engine, transaction, upgrade

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"


@dataclass(frozen=True)
class Measurement:
    store: str
    rows: int
    seconds: float
    peak_rss_mib: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def dataset(scale: str, seed: int) -> Path:
    """Generate (once) and return the directory of the synthetic dataset."""
    target = DATA_DIR / f"{scale}-{seed}"
    if (target / ".complete").exists():
        return target
    from pool.synthetic import generate

    print(f"generating {scale} data (seed {seed}) into {target} …", file=sys.stderr)
    generate(scale, seed, target)  # type: ignore[arg-type]
    (target / ".complete").write_text("ok")
    return target


def _child(url: str, data: Path) -> None:
    """Run inside the child process: import `data` into `url`, print JSON."""
    from pool.importer import import_path

    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(engine) as session:
        report = import_path(session, data)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": report.rows, "seconds": seconds}))


def _run_child(url: str, data: Path) -> Measurement:
    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from bench.import_bench import _child; "
         "_child(sys.argv[1], __import__('pathlib').Path(sys.argv[2]))", url, str(data)],
        stdout=subprocess.PIPE, cwd=ROOT, env=os.environ.copy(), text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise RuntimeError(f"import into {url} failed (status {status}): {out}")
    result = json.loads(out.strip().splitlines()[-1])
    return Measurement("", result["rows"], result["seconds"], usage.ru_maxrss / 1024)


def _fresh_sqlite(tmp: Path) -> str:
    path = tmp / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def _fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"xuncha_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    upgrade(url)
    return url, name


def _drop_postgres(admin_url: str, name: str) -> None:
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def orm_baseline(data: Path, tmp: Path, sample: int = 20_000) -> float:
    """Rows/s of the obvious approach: build ORM objects, `add_all`, flush."""
    from pool import models as m
    from pool.importer import import_path

    url = _fresh_sqlite(tmp)
    engine = make_engine(url)
    with transaction(engine) as session:  # regions are needed for the foreign keys
        import_path(session, data / "regions.csv")
    persons = pd.read_csv(data / "persons.csv", dtype=str, keep_default_na=False,
                          encoding="utf-8-sig", nrows=sample)
    started = time.perf_counter()
    with transaction(engine) as session:
        session.add_all(
            m.Person(key=row[0], name=row[1], gender={"男": "M", "女": "F"}.get(row[2]),
                     birth_date=pd.Timestamp(row[3]).date() if row[3] else None,
                     native_region=row[4] or None, grew_up_region=row[5] or None,
                     id_number=row[6] or None)
            for row in persons.itertuples(index=False))
        session.flush()
    seconds = time.perf_counter() - started
    engine.dispose()
    return len(persons) / seconds


def run(scale: str, seed: int, repeat: int, stores: list[str], admin_url: str,
        tmp: Path) -> tuple[list[Measurement], float]:
    data = dataset(scale, seed)
    results: list[Measurement] = []
    for store in stores:
        runs = []
        for _ in range(repeat):
            if store == "sqlite":
                url = _fresh_sqlite(tmp)
                runs.append(_run_child(url, data))
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            else:
                url, name = _fresh_postgres(admin_url)
                try:
                    runs.append(_run_child(url, data))
                finally:
                    _drop_postgres(admin_url, name)
        results.append(Measurement(
            store, runs[0].rows, statistics.median(r.seconds for r in runs),
            max(r.peak_rss_mib for r in runs)))
    return results, orm_baseline(data, tmp)
