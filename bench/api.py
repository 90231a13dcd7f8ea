"""HTTP load benchmark: `GET /v1/recusals/check` on a real `xuncha serve` over loopback.

The sample city is imported into a fresh SQLite file (served by one process) and a fresh
PostgreSQL database `xuncha_bench_<rand>` (served by `--workers 2`, dropped afterwards).
After a warm-up that makes every worker build its conflict index, 32 asyncio clients
(one `httpx.AsyncClient`, 32 keep-alive connections) ask about random (cadre, unit) pairs
of the sample city for a fixed time, twice:

* paced: requests scheduled at a fixed rate (default 200/s, the issue's figure); latency
  counts from the scheduled start, so a request that waited for a free client is charged
  for the wait (no coordinated omission);
* saturated: every client sends its next request as soon as the last one answered; this
  gives the throughput ceiling, and its latency is about clients ÷ throughput.

The load generator runs on the same cores as the server; the table gives the CPU time
each side used. The in-process baseline times the same endpoint through a TestClient,
sequentially (median of 200), on the same database: the server's own cost per request.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.import_bench import ROOT, _drop_postgres, _fresh_postgres
from pool.db import make_engine, transaction, upgrade
from tests.e2e.serve_process import Server, serving

SAMPLE = ROOT / "sample_data" / "city"
PATH = "/v1/recusals/check"
TARGET_P50_MS, TARGET_P99_MS, TARGET_RPS = 10.0, 50.0, 200.0


@dataclass(frozen=True)
class Load:
    """One timed run: per-request latencies (seconds) and what it cost each side."""

    backend: str
    mode: str  # "paced 200/s" or "saturated"
    seconds: float
    latencies: list[float]
    errors: Counter[str]
    server_cpu_s: list[float]  # per server process (uvicorn's workers, or the one)
    client_cpu_s: float
    machine_busy_s: float  # every core's busy time, PostgreSQL's processes included

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def ms(self, q: float) -> float:
        return quantile(self.latencies, q) * 1000


@dataclass(frozen=True)
class Baseline:
    backend: str
    latencies: list[float]

    def ms(self, q: float) -> float:
        return quantile(self.latencies, q) * 1000


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def sample_pairs(seed: int, n: int = 5000) -> list[tuple[str, str]]:
    """Random (cadre, unit) pairs of the sample city."""
    def keys(name: str) -> list[str]:
        with (SAMPLE / name).open(encoding="utf-8-sig", newline="") as f:
            return [row[0] for row in itertools.islice(csv.reader(f), 1, None)]

    cadres, units = keys("cadres.csv"), keys("units.csv")
    rng = random.Random(seed)
    return [(rng.choice(cadres), rng.choice(units)) for _ in range(n)]


def import_city(url: str) -> str:
    """Import the sample city into `url`; return an admin token for it."""
    from service import audit
    from service.auth import Role, issue_token
    from service.imports import import_and_record

    upgrade(url)
    engine = make_engine(url)
    with transaction(engine) as session:
        import_and_record(session, SAMPLE, actor="bench", source="sample_data/city")
    with transaction(engine) as session:
        secret = issue_token(session, name="bench", role=Role.admin, scope=None,
                             created_by="bench", now=audit.utcnow()).secret
    engine.dispose()
    return secret


def in_process(backend: str, url: str, token: str, pairs: list[tuple[str, str]],
               as_of: str, n: int = 200) -> Baseline:
    """The endpoint through a TestClient, one request at a time (after one warm-up)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    headers = {"Authorization": f"Bearer {token}"}
    times = []
    with TestClient(create_app(Settings(database_url=url, run_jobs=False))) as client:
        for cadre, unit in [pairs[0], *pairs[:n]]:
            started = time.perf_counter()
            r = client.get(PATH, params={"cadre": cadre, "unit": unit, "as_of": as_of},
                           headers=headers)
            times.append(time.perf_counter() - started)
            if r.status_code != 200:
                raise RuntimeError(f"in-process check failed: {r.status_code} {r.text}")
    return Baseline(backend, times[1:])


async def _drive(base_url: str, token: str, pairs: list[tuple[str, str]], as_of: str,
                 clients: int, seconds: float, rate: float | None
                 ) -> tuple[list[float], Counter[str], float]:
    """`clients` tasks on one connection pool; returns latencies, errors, elapsed."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    order = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        start = time.perf_counter()
        stop = start + seconds

        async def client() -> None:
            while True:
                i = next(order)
                due = start + i / rate if rate else time.perf_counter()
                if due >= stop:
                    return
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                cadre, unit = pairs[i % len(pairs)]
                try:
                    r = await http.get(PATH, params={"cadre": cadre, "unit": unit,
                                                     "as_of": as_of})
                    if r.status_code != 200:
                        errors[str(r.status_code)] += 1
                        continue
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - due)

        await asyncio.gather(*(client() for _ in range(clients)))
        return latencies, errors, time.perf_counter() - start


def cpu_seconds(processes: list[psutil.Process]) -> list[float]:
    out = []
    for p in processes:
        try:
            t = p.cpu_times()
            out.append(t.user + t.system)
        except psutil.NoSuchProcess:
            out.append(0.0)
    return out


def busy_seconds() -> float:
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def timed(server: Server, backend: str, mode: str, token: str,
          pairs: list[tuple[str, str]], as_of: str, clients: int, seconds: float,
          rate: float | None) -> Load:
    processes = server.workers() or server.processes()[:1]
    server_before, client_before = cpu_seconds(processes), time.process_time()
    busy_before = busy_seconds()
    latencies, errors, elapsed = asyncio.run(
        _drive(server.base_url, token, pairs, as_of, clients, seconds, rate))
    server_after = cpu_seconds(processes)
    return Load(backend, mode, elapsed, latencies, errors,
                [a - b for a, b in zip(server_after, server_before, strict=True)],
                time.process_time() - client_before, busy_seconds() - busy_before)


def measure(backend: str, url: str, workers: int, args: Any) -> tuple[list[Load], Baseline]:
    token = import_city(url)
    pairs = sample_pairs(args.seed)
    baseline = in_process(backend, url, token, pairs, args.as_of)
    loads = []
    with serving(url, workers=workers) as server:
        # every worker builds its conflict index on its first request: warm them all
        warm = timed(server, backend, "warm-up", token, pairs, args.as_of, args.clients,
                     args.warmup, None)
        if warm.errors:
            raise RuntimeError(f"warm-up errors on {backend}: {dict(warm.errors)}")
        for rate in [*args.rate, None]:
            mode = f"paced {rate:g}/s" if rate else "saturated"
            loads.append(timed(server, backend, mode, token, pairs[1000:], args.as_of,
                               args.clients, args.duration, rate))
        if any(load.errors for load in loads):
            print(f"server log ({backend}):\n{server.log_tail()}", file=sys.stderr)
    return loads, baseline


def run(args: Any) -> None:
    results: list[Load] = []
    baselines: list[Baseline] = []
    stores = args.store or ["sqlite", "postgres"]
    if "sqlite" in stores:
        with tempfile.TemporaryDirectory(prefix="xuncha-bench-api-") as tmp:
            loads, base = measure("SQLite, 1 process",
                                  f"sqlite:///{Path(tmp) / 'city.sqlite3'}", 1, args)
            results += loads
            baselines.append(base)
    if "postgres" in stores:
        url, name = _fresh_postgres(args.postgres_admin_url)
        try:
            loads, base = measure(f"PostgreSQL, {args.pg_workers} workers", url,
                                  args.pg_workers, args)
            results += loads
            baselines.append(base)
        finally:
            _drop_postgres(args.postgres_admin_url, name)
    print_table(results, baselines, args)


def print_table(results: list[Load], baselines: list[Baseline], args: Any) -> None:
    import os
    import platform

    from rich.console import Console
    from rich.table import Table

    load1, _, _ = psutil.getloadavg()
    table = Table(title=f"GET {PATH} · sample city · {args.clients} clients on loopback · "
                        f"{args.duration:g} s per run · "
                        f"{platform.processor() or platform.machine()}, "
                        f"{os.cpu_count()} cores shared by server and load generator · "
                        f"load average {load1:.1f} at the end")
    for col in ("server", "load", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms",
                "max ms", "errors", "server CPU", "loadgen CPU", "machine CPU", "met"):
        table.add_column(col, justify="left" if col in ("server", "load") else "right")
    for r in results:
        met = (r.ms(0.5) <= TARGET_P50_MS and r.ms(0.99) <= TARGET_P99_MS
               and r.rps >= TARGET_RPS * 0.98 and not r.errors)
        table.add_row(r.backend, r.mode, f"{len(r.latencies):,}", f"{r.rps:,.0f}",
                      f"{r.ms(0.5):.1f}", f"{r.ms(0.9):.1f}", f"{r.ms(0.99):.1f}",
                      f"{r.ms(1.0):.1f}",
                      ", ".join(f"{k}×{v}" for k, v in r.errors.items()) or "0",
                      " + ".join(f"{c / r.seconds:.0%}" for c in r.server_cpu_s),
                      f"{r.client_cpu_s / r.seconds:.0%}", f"{r.machine_busy_s / r.seconds:.0%}",
                      "yes" if met else "NO")
    for b in baselines:
        table.add_row(b.backend, f"in-process, sequential ×{len(b.latencies)}", "",
                      f"{1000 / b.ms(0.5):,.0f}", f"{b.ms(0.5):.1f}", f"{b.ms(0.9):.1f}",
                      f"{b.ms(0.99):.1f}", f"{b.ms(1.0):.1f}", "", "", "", "", "")
    console = Console(width=160)
    console.print(table)
    console.print(f"targets: p50 ≤ {TARGET_P50_MS:g} ms, p99 ≤ {TARGET_P99_MS:g} ms at ≥ "
                  f"{TARGET_RPS:g} req/s, no errors. Paced latency counts from the scheduled "
                  "start. CPU is a share of one core (200 % = both cores); server: per "
                  "process; machine: every process, PostgreSQL and anything else running. "
                  "In-process req/s is 1 / median.")
