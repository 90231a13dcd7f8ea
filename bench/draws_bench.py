"""Draw-ceremony benchmark: how the teams drawn with ceremony seeds spread, and what the
ceremony itself costs.

* Fairness of the seeds: the sample-city round (`sample_data/rounds/2026-4.yaml` on the
  imported sample city, the instance `bench assemble` builds) is drawn with N ceremony
  seeds, each `derive_seed` of a fixed specification hash and two fresh `new_secret()`s,
  given to `assemble` as the 256-bit number a draw of record takes (tolerance: the round
  file's, other settings `SolveSettings` defaults). Reported: distinct team sets, the
  largest (cadre, team), (leader, team) and per-cadre selection shares, the leader's
  entropy per team, the median solve time. `--baseline` draws the same round with the
  plain integer seeds 0..N−1 in the same process, for a side-by-side column; the figures
  measured earlier with service-chosen integer seeds are shown too.
* Overhead: ceremonies over HTTP in this process (`TestClient`, the app without its job
  worker, so the final reveal queues the draw of record but nothing runs it) on a copy of
  the cached sample-city SQLite database, each on a fresh round so every ceremony is a
  first draw (no reason, no consent). Timed per request: opening (sealing: screening +
  instance, as a draw does anyway), each party's commitment (bound to the sealed
  specification's hash, computed on the client and not timed), the non-final reveal, the
  final reveal (derives the seed, queues the job); and `derive_seed` alone.
"""

from __future__ import annotations

import math
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assignment.assemble import SolveSettings, assemble
from assignment.ceremony import (
    derive_seed,
    new_secret,
    secret_commitment,
    seed_number,
    spec_hash,
    spec_text,
)
from assignment.instance import Instance
from assignment.validate import violations
from bench.assembly_bench import CITY_ROUND, city_instance

STEP_TARGET_MS = 50.0
NEGLIGIBLE_SHARE = 0.01  # the ceremony's requests together, against one median solve
SOLVE_TARGET_S = 10.0  # the city round's target in `bench assemble`
PARTIES = ("organizer", "supervisor")  # the reveal order (service.ceremony.PARTIES)
# Measured earlier with service-chosen integer seeds at tolerance 2 %, 150 draws.
EARLIER_N = 150
EARLIER_DISTINCT = 150
EARLIER_SHARES = {"cadre_team": 0.08, "leader_team": 0.067, "selection": 0.37}
EARLIER_ENTROPY = (5.2, 5.4)
FIXED_SPEC = spec_hash(spec_text({"bench": "draws", "round": "R2026-04"}))

TeamSet = frozenset[tuple[int, str, str]]


@dataclass(frozen=True)
class Spread:
    """What N draws of one round look like, seed by seed aggregated."""

    label: str
    n: int
    distinct: int
    cadre_team: float  # largest share of draws putting one cadre on one team
    leader_team: float  # largest share of draws making one cadre one team's leader
    selection: float  # largest share of draws placing one cadre on any team
    entropy: dict[int, float]  # team → Shannon entropy of its leader, bits
    entropy_se: dict[int, float]  # team → per-draw spread of −log2 p (delta method)
    solve_s: list[float]
    det_s: list[float]  # CP-SAT's deterministic time, both phases
    slowest: tuple[int, float, float]  # seed, seconds, deterministic seconds
    optimal: int  # draws whose phase one proved its best objective optimal
    objectives: list[int]
    best: list[int]
    invalid: int
    wall_hits: int

    @property
    def entropy_range(self) -> tuple[float, float]:
        return min(self.entropy.values()), max(self.entropy.values())


@dataclass
class Overhead:
    ceremonies: int
    sealing: list[float] = field(default_factory=list)  # seconds, per request
    commitments: list[float] = field(default_factory=list)
    reveals: list[float] = field(default_factory=list)
    final_reveals: list[float] = field(default_factory=list)
    derive: list[float] = field(default_factory=list)
    round_setup: list[float] = field(default_factory=list)


# -- fairness of the seeds -------------------------------------------------------------

def ceremony_seed() -> int:
    """One ceremony's seed: two parties' fresh secrets, no public value."""
    revealed = [(role, new_secret()) for role in PARTIES]
    return seed_number(derive_seed(FIXED_SPEC, revealed, None))


def draw_many(instance: Instance, seeds: Iterable[int], n: int, settings: SolveSettings,
              label: str) -> Spread:
    sets: list[TeamSet] = []
    times: list[float] = []
    det: list[float] = []
    slowest = (0, 0.0, 0.0)
    objectives: list[int] = []
    best: list[int] = []
    invalid = wall_hits = optimal = 0
    started = time.perf_counter()
    for i, seed in enumerate(seeds, start=1):
        t0 = time.perf_counter()
        proposal = assemble(instance, seed, settings)
        times.append(time.perf_counter() - t0)
        det.append(proposal.deterministic_time)
        if times[-1] > slowest[1]:
            slowest = (seed, times[-1], det[-1])
        optimal += proposal.status == "optimal"
        invalid += bool(not proposal.feasible or violations(instance, proposal))
        wall_hits += proposal.wall_limit_hit
        if proposal.objective is not None and proposal.best_objective is not None:
            objectives.append(proposal.objective)
            best.append(proposal.best_objective)
        sets.append(frozenset((t.no, m.key, m.role) for t in proposal.teams
                              for m in t.members))
        if i % 10 == 0 or i == n:
            print(f"{label}: {i}/{n} draws, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    return spread(label, sets, times, det, slowest, optimal, objectives, best, invalid,
                  wall_hits)


def spread(label: str, sets: list[TeamSet], times: list[float], det: list[float],
           slowest: tuple[int, float, float], optimal: int, objectives: list[int],
           best: list[int], invalid: int, wall_hits: int) -> Spread:
    n = len(sets)
    on_team: Counter[tuple[str, int]] = Counter()
    leads: Counter[tuple[str, int]] = Counter()
    chosen: Counter[str] = Counter()
    leaders: dict[int, Counter[str]] = {}
    for s in sets:
        for no, key, role in s:
            on_team[key, no] += 1
            if role == "leader":
                leads[key, no] += 1
                leaders.setdefault(no, Counter())[key] += 1
        chosen.update({key for _no, key, _role in s})
    entropy, entropy_se = {}, {}
    for no, counts in sorted(leaders.items()):
        p = [c / n for c in counts.values()]
        h = -sum(q * math.log2(q) for q in p)
        entropy[no] = h
        entropy_se[no] = math.sqrt(max(sum(q * math.log2(q) ** 2 for q in p) - h * h, 0.0))

    def top(counter: Counter[Any]) -> float:
        return max(counter.values()) / n if counter else 0.0

    return Spread(label, n, len(set(sets)), top(on_team), top(leads), top(chosen), entropy,
                  entropy_se, times, det, slowest, optimal, objectives, best, invalid,
                  wall_hits)


def eligible_leaders(instance: Instance) -> list[int]:
    return [sum("leader" in instance.open_roles(c, t) for c in instance.candidates)
            for t in instance.teams]


# -- overhead of the ceremony over HTTP --------------------------------------------------

def overhead(ceremonies: int, plan: dict[str, Any], database_url: str) -> Overhead:
    from tests.e2e.api_client import running_api
    from tests.e2e.ceremony import deadline

    source = Path(database_url.removeprefix("sqlite:///"))
    out = Overhead(ceremonies)
    with tempfile.TemporaryDirectory(prefix="xuncha-bench-draws-") as tmp:
        copy = Path(tmp) / "city.sqlite3"
        shutil.copy(source, copy)
        with running_api(f"sqlite:///{copy}", run_jobs=False) as api:
            for role in ("admin", *PARTIES):
                api.token(role)  # issued before the clock runs

            def timed(samples: list[float], path: str, role: str,
                      body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
                t0 = time.perf_counter()
                r = api.post(path, role, json=body)
                samples.append(time.perf_counter() - t0)
                if r.status_code != expect:
                    raise RuntimeError(f"POST {path} as {role}: {r.status_code} {r.text}")
                reply: dict[str, Any] = r.json()
                return reply

            for i in range(1, ceremonies + 1):
                key = f"{plan['key']}-BENCH-{i:03d}"
                timed(out.round_setup, "/v1/rounds", "admin", {"plan": plan | {"key": key}},
                      201)
                draw = timed(out.sealing, f"/v1/rounds/{key}/draws", "organizer",
                             {"reveal_by": deadline()}, 201)
                if draw["status"] != "committing" or draw["number"] != 1:
                    raise RuntimeError(f"draw {draw['id']}: not a first draw: {draw['status']}")
                secrets = {role: new_secret() for role in PARTIES}
                for role in PARTIES:
                    timed(out.commitments, f"/v1/draws/{draw['id']}/commitments", role,
                          {"commitment": secret_commitment(draw["spec_sha256"],
                                                           secrets[role])})
                first, last = PARTIES
                timed(out.reveals, f"/v1/draws/{draw['id']}/reveals", first,
                      {"secret": secrets[first]})
                seeded = timed(out.final_reveals, f"/v1/draws/{draw['id']}/reveals", last,
                               {"secret": secrets[last]})
                revealed = [(role, secrets[role]) for role in PARTIES]
                t0 = time.perf_counter()
                seed = derive_seed(draw["spec_sha256"], revealed, None)
                out.derive.append(time.perf_counter() - t0)
                if seeded["status"] != "seeded" or not seeded["job_id"] or \
                        seeded["seed"] != seed:
                    raise RuntimeError(f"draw {draw['id']} not seeded as expected: {seeded}")
                job = api.get(f"/v1/jobs/{seeded['job_id']}", "organizer").json()
                if job["status"] != "queued":
                    raise RuntimeError(f"job {seeded['job_id']} is {job['status']}, not queued")
            print(f"overhead: {ceremonies} ceremonies over HTTP", file=sys.stderr, flush=True)
    return out


# -- the report ------------------------------------------------------------------------

def _ms(values: list[float]) -> tuple[float, float]:
    return statistics.median(values) * 1000, max(values) * 1000


def _noise(p: float, n_a: int, n_b: int) -> float:
    """Two binomial standard errors of the difference of two shares near `p`."""
    return 2 * math.sqrt(p * (1 - p) * (1 / n_a + 1 / n_b))


def run(args: Any) -> None:
    import os
    import platform

    from rich.console import Console
    from rich.table import Table

    from bench.conflicts_bench import database
    from service.rounds import read_round_file

    console = Console(width=160)
    round_file = read_round_file(CITY_ROUND)
    settings = SolveSettings(tolerance=round_file.tolerance)
    instance, prep_s = city_instance()
    url = database("city", 2026)
    plan = round_file.model_dump(mode="json", exclude_unset=True)

    cost = overhead(args.ceremonies, plan, url) if args.ceremonies else None
    ceremony = draw_many(instance, (ceremony_seed() for _ in range(args.seeds)), args.seeds,
                         settings, "ceremony seeds")
    baseline = None
    if args.baseline:
        n = args.baseline_seeds or args.seeds
        baseline = draw_many(instance, range(n), n, settings, "integer seeds")

    cols: list[Spread] = [ceremony] + ([baseline] if baseline else [])
    table = Table(title=f"draw ceremony seeds · sample city round {round_file.key} "
                        f"({len(instance.candidates):,} candidates, {len(instance.teams)} "
                        f"teams) · tolerance {settings.tolerance:.0%} · "
                        f"{platform.processor() or platform.machine()}, {os.cpu_count()} "
                        f"cores")
    table.add_column("measure")
    table.add_column(f"ceremony seeds (256-bit), N = {ceremony.n}", justify="right")
    if baseline:
        table.add_column(f"baseline: integer seeds 0..{baseline.n - 1}", justify="right")
    table.add_column(f"earlier: service integer seeds, N = {EARLIER_N}", justify="right")

    def row(name: str, fmt: Callable[[Spread], str], earlier: str) -> None:
        table.add_row(name, *(fmt(s) for s in cols), earlier)

    row("valid draws (wall-clock stops)",
        lambda s: f"{s.n - s.invalid} / {s.n} ({s.wall_hits})", "")
    row("distinct team sets", lambda s: f"{s.distinct} / {s.n}",
        f"{EARLIER_DISTINCT} / {EARLIER_N}")
    row("largest (cadre, team) share", lambda s: f"{s.cadre_team:.3f}",
        f"{EARLIER_SHARES['cadre_team']:.3f}")
    row("largest (leader, team) share", lambda s: f"{s.leader_team:.3f}",
        f"{EARLIER_SHARES['leader_team']:.3f}")
    row("largest per-cadre selection rate", lambda s: f"{s.selection:.3f}",
        f"{EARLIER_SHARES['selection']:.3f}")
    lo, hi = EARLIER_ENTROPY
    row("leader entropy per team, bits (min–max)",
        lambda s: "{:.2f}–{:.2f}".format(*s.entropy_range), f"{lo:.1f}–{hi:.1f}")
    row("objective: min / median / max (best)",
        lambda s: f"{min(s.objectives)} / {statistics.median(s.objectives):g} / "
                  f"{max(s.objectives)} ({max(s.best)})" if s.objectives else "—", "")
    row("phase one proven optimal", lambda s: f"{s.optimal} / {s.n}", "")
    row("solve time per draw, median (min–max) s",
        lambda s: f"{statistics.median(s.solve_s):.2f} ({min(s.solve_s):.2f}–"
                  f"{max(s.solve_s):.2f})", "")
    row("deterministic time per draw, median (max)",
        lambda s: f"{statistics.median(s.det_s):.2f} ({max(s.det_s):.2f})", "")
    console.print(table)
    for s in cols:
        seed, secs, det = s.slowest
        shown = f"{seed:#066x}" if seed >= 2**63 else str(seed)
        console.print(f"slowest draw, {s.label}: seed {shown}: {secs:.1f} s, "
                      f"{det:.1f} deterministic s (limit {settings.deterministic_time:g} "
                      "per phase)")
    eligible = eligible_leaders(instance)
    console.print(f"instance built in {prep_s:.1f} s; leader-pool cadres eligible per team "
                  f"{min(eligible)}–{max(eligible)} (entropy ceiling "
                  f"{math.log2(min(min(eligible), ceremony.n)):.2f}–"
                  f"{math.log2(min(max(eligible), ceremony.n)):.2f} bits at N = {ceremony.n})")
    _fairness_verdicts(console, ceremony, baseline)

    if cost is not None:
        _overhead_table(console, cost, statistics.median(ceremony.solve_s))


def _fairness_verdicts(console: Any, c: Spread, baseline: Spread | None) -> None:
    if baseline is not None:
        ref_name, n_ref = f"baseline (integer seeds, N = {baseline.n})", baseline.n
        ref = {"cadre_team": baseline.cadre_team, "leader_team": baseline.leader_team,
               "selection": baseline.selection}
        ref_entropy = baseline.entropy_range
    else:
        ref_name, n_ref = f"earlier integer seeds (N = {EARLIER_N})", EARLIER_N
        ref = EARLIER_SHARES
        ref_entropy = EARLIER_ENTROPY

    def say(met: bool, text: str) -> None:
        console.print(f"{'[green]met[/]' if met else '[red]NOT MET[/]'}: {text}")

    valid = c.invalid == 0 and c.wall_hits == 0
    say(valid, f"every ceremony draw valid, none stopped by the wall clock "
               f"({c.n - c.invalid} / {c.n} valid, {c.wall_hits} wall-clock stops)")
    say(c.distinct == c.n, f"every draw a different team set: {c.distinct} / {c.n}")
    if c.n < n_ref / 2:
        console.print(f"not judged: the spread against {ref_name}, N = {c.n} is too few "
                      "draws (the largest shares fall and the entropies rise as N grows)")
    else:
        _spread_verdicts(say, c, ref_name, n_ref, ref, ref_entropy)
    med = statistics.median(c.solve_s)
    say(med <= SOLVE_TARGET_S, f"median solve {med:.2f} s per draw ≤ {SOLVE_TARGET_S:g} s "
                               "(the city round's target in bench assemble)")


def _spread_verdicts(say: Callable[[bool, str], None], c: Spread, ref_name: str, n_ref: int,
                     ref: dict[str, float], ref_entropy: tuple[float, float]) -> None:
    names = {"cadre_team": "largest (cadre, team) share",
             "leader_team": "largest (leader, team) share",
             "selection": "largest per-cadre selection rate"}
    for key, name in names.items():
        got = float(getattr(c, key))
        slack = _noise(ref[key], c.n, n_ref)
        say(got <= ref[key] + slack, f"{name} {got:.3f} no higher than with {ref_name} "
                                     f"{ref[key]:.3f} + 2 s.e. {slack:.3f}")
    lo_team = min(c.entropy, key=lambda no: c.entropy[no])
    slack = 2 * c.entropy_se[lo_team] * math.sqrt(1 / c.n + 1 / n_ref)
    lo = c.entropy[lo_team]
    say(lo >= ref_entropy[0] - slack,
        f"lowest leader entropy {lo:.2f} bits (team {lo_team}) no lower than with {ref_name} "
        f"{ref_entropy[0]:.2f} − 2 s.e. {slack:.2f}")


def _overhead_table(console: Any, cost: Overhead, solve_s: float) -> None:
    from rich.table import Table

    table = Table(title=f"ceremony overhead · in-process HTTP (TestClient, no job worker) on a "
                        f"copy of the sample city SQLite · {cost.ceremonies} ceremonies, each "
                        f"a first draw on a fresh round")
    for col in ("step", "timed", "median ms", "max ms", "target", "met"):
        table.add_column(col, justify="left" if col == "step" else "right")
    steps = [("POST /v1/draws/{id}/commitments (each party)", cost.commitments),
             ("POST /v1/draws/{id}/reveals, non-final (organizer)", cost.reveals),
             ("POST /v1/draws/{id}/reveals, final (supervisor: seed, queue the job)",
              cost.final_reveals),
             ("derive_seed alone", cost.derive)]
    verdicts = []
    for name, values in steps:
        med, top = _ms(values)
        met = "yes" if top <= STEP_TARGET_MS else "at the median" \
            if med <= STEP_TARGET_MS else "NO"
        verdicts.append((name, med, top, met))
        digits = 3 if top < 0.1 else 2
        table.add_row(name, str(len(values)), f"{med:.{digits}f}", f"{top:.{digits}f}",
                      f"≤ {STEP_TARGET_MS:g}", met)
    med, top = _ms(cost.sealing)
    table.add_row("sealing (screening + instance, as a draw does anyway): "
                  "POST /v1/rounds/{key}/draws", str(len(cost.sealing)), f"{med:.1f}",
                  f"{top:.1f}", "", "")
    table.add_row("  the first (also builds the conflict index)", "1",
                  f"{cost.sealing[0] * 1000:.1f}", f"{cost.sealing[0] * 1000:.1f}", "", "")
    if len(cost.sealing) > 1:
        rest_med, rest_top = _ms(cost.sealing[1:])
        table.add_row("  the others", str(len(cost.sealing) - 1), f"{rest_med:.1f}",
                      f"{rest_top:.1f}", "", "")
    setup_med, setup_top = _ms(cost.round_setup)
    table.add_row("(setup, not the ceremony) POST /v1/rounds", str(len(cost.round_setup)),
                  f"{setup_med:.1f}", f"{setup_top:.1f}", "", "")
    console.print(table)
    for name, med, top, met in verdicts:
        verdict = {"yes": "[green]met[/]", "at the median": "[yellow]met at the median, "
                   "not at the max[/]"}.get(met, "[red]NOT MET[/]")
        console.print(f"{verdict}: {name}: median {med:.3f} ms, max {top:.3f} ms "
                      f"(target ≤ {STEP_TARGET_MS:g} ms per step)")
    requests = 2 * statistics.median(cost.commitments) + statistics.median(cost.reveals) + \
        statistics.median(cost.final_reveals)
    share = requests / solve_s
    console.print(f"{'[green]met[/]' if share <= NEGLIGIBLE_SHARE else '[red]NOT MET[/]'}: "
                  f"negligible next to the solve: the four ceremony requests together "
                  f"{requests * 1000:.1f} ms = {share:.2%} of one median solve "
                  f"({solve_s:.2f} s; target ≤ {NEGLIGIBLE_SHARE:.0%}); sealing "
                  f"{statistics.median(cost.sealing):.2f} s = "
                  f"{statistics.median(cost.sealing) / solve_s:.1%} of it, work a draw "
                  f"does anyway")
