"""Probability caps (`./dev bench caps`): the plain form on preflib1 at the published caps
(time to the capped optimum, expected total as a share of the optimum 124.25, the largest
pair frequency over many draws, time per draw), against the uncapped min-cost flow solved
in the same process as the baseline; then the sample city's round at Q = 0.2 and leader
cap 0.1 (time to build the distribution by column generation, expected objective as a
share of the uncapped optimum, the largest marginal reached over the draws, time per
draw), against one uncapped draw (`assemble`) in the same process."""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from assignment.capped import capped_plain, sample_plain
from assignment.plain import PREFLIB_CAPACITY, load_preflib, solve_plain

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "external"
PUBLISHED = (("0.4482", 0.80), ("0.5410", 0.85), ("0.6611", 0.90), ("0.8184", 0.95))
OPTIMUM = 124.25


@dataclass(frozen=True)
class CapFigures:
    cap: str
    published_share: float
    build_s: float  # median time to the capped optimum
    expected: float
    share: float
    max_marginal: float  # of the distribution (≤ cap by construction)
    max_frequency: float  # over the draws
    noise: float  # 4.5 standard deviations of a frequency at the cap
    mean_total: float
    sample_s: float  # median time per draw


def plain_figures(draws: int, repeat: int) -> tuple[list[CapFigures], float]:
    instance = load_preflib(EXTERNAL / "preflib1.in", PREFLIB_CAPACITY["preflib1"])
    baseline = statistics.median(_timed(lambda: solve_plain(instance)) for _ in range(repeat))
    out = []
    for cap, share in PUBLISHED:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            capped = capped_plain(instance, cap)
            times.append(time.perf_counter() - started)
        counts = np.zeros(instance.shape)
        totals, per_draw = [], []
        for seed in range(draws):
            started = time.perf_counter()
            drawn = sample_plain(capped, seed)
            per_draw.append(time.perf_counter() - started)
            counts += drawn
            totals.append(float(instance.suitability[drawn].sum()))
        q = float(capped.cap)
        out.append(CapFigures(
            cap, share, statistics.median(times), capped.expected or 0.0, capped.share or 0.0,
            float(capped.marginals.max()), float(counts.max() / draws),
            4.5 * math.sqrt(q * (1 - q) / draws), statistics.fmean(totals),
            statistics.median(per_draw)))
    return out, baseline


def _timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


@dataclass(frozen=True)
class TeamFigures:
    cap: str
    leader_cap: str
    status: str
    build_s: float
    deterministic_s: float
    iterations: int
    columns: int
    expected: float
    uncapped: int
    gap: float
    max_marginal: float  # of the distribution
    max_leader_marginal: float
    max_frequency: float  # over the draws, (cadre, team)
    max_leader_frequency: float
    noise: float
    leader_noise: float
    sample_s: float
    baseline_s: float  # one uncapped draw of the same round (assemble, 2 % tolerance)


def team_figures(draws: int, cap: str, leader_cap: str) -> TeamFigures:
    """The distribution as the draw of record builds it (solver seed DISTRIBUTION_SEED),
    then `draws` proposals as the draw makes them (`capped_proposal`: the pick, the
    teams with their requirements, the record); every one is checked by the validator."""
    from assignment.assemble import assemble
    from assignment.capped_draw import DISTRIBUTION_SEED, capped_proposal
    from assignment.capped_teams import CapSettings, capped_teams
    from assignment.validate import violations
    from bench.assembly_bench import city_instance

    instance, _prepare = city_instance()
    started = time.perf_counter()
    assemble(instance, 1)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    dist = capped_teams(instance, CapSettings.of(cap, leader_cap), seed=DISTRIBUTION_SEED)
    build = time.perf_counter() - started
    on: dict[tuple[str, int], int] = {}
    leads: dict[tuple[str, int], int] = {}
    per_draw = []
    invalid = 0
    for seed in range(draws):
        started = time.perf_counter()
        proposal = capped_proposal(instance, dist, seed, {})
        per_draw.append(time.perf_counter() - started)
        invalid += bool(violations(instance, proposal))
        for team in proposal.teams:
            for m in team.members:
                on[(m.key, team.no)] = on.get((m.key, team.no), 0) + 1
                if m.role == "leader":
                    leads[(m.key, team.no)] = leads.get((m.key, team.no), 0) + 1
    if invalid:
        raise SystemExit(f"{invalid} of {draws} sampled team sets break a hard rule")
    q, ql = float(dist.settings.cap), float(dist.settings.leader_cap)
    return TeamFigures(
        cap, leader_cap, dist.status, build, dist.deterministic_time, dist.iterations,
        len(dist.columns), dist.expected or 0.0, dist.uncapped or 0, dist.gap or 0.0,
        dist.max_marginal, dist.max_leader_marginal, max(on.values()) / draws,
        max(leads.values()) / draws, 4.5 * math.sqrt(q * (1 - q) / draws),
        4.5 * math.sqrt(ql * (1 - ql) / draws), statistics.median(per_draw), baseline)


def run(args: argparse.Namespace) -> None:
    figures, baseline = plain_figures(args.draws, args.repeat)
    table = Table(title=f"probability caps · preflib1 (54 papers × 31 reviewers, 3 per paper, "
                        f"capacity 6) · {args.draws} draws per cap · median of {args.repeat} · "
                        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for col in ("cap Q", "capped optimum s", "vs uncapped flow", "expected total",
                "share of 124.25", "published", "max marginal", "max frequency",
                "≤ Q + 4.5σ", "mean total", "s per draw", "met"):
        table.add_column(col, justify="right")
    for f in figures:
        met = (abs(f.share - f.published_share) <= 5e-4 and f.max_marginal <= float(f.cap)
               and f.max_frequency <= float(f.cap) + f.noise)
        table.add_row(f.cap, f"{f.build_s:.4f}", f"{f.build_s / baseline:.1f}×",
                      f"{f.expected:.3f}", f"{f.share:.4f}", f"{f.published_share:.2f}",
                      f"{f.max_marginal:.4f}", f"{f.max_frequency:.3f}",
                      f"{float(f.cap) + f.noise:.3f}", f"{f.mean_total:.2f}",
                      f"{f.sample_s:.4f}", "yes" if met else "NO")
    Console(width=170).print(table)
    print(f"baseline: uncapped min-cost flow on preflib1, median {baseline:.4f} s")
    if args.no_teams:
        return
    t = team_figures(args.draws, args.cap, args.leader_cap)
    table = Table(title=f"probability caps · sample city round R2026-04 (8 teams) · Q = {t.cap}, "
                        f"leader Q = {t.leader_cap} · {args.draws} draws")
    for col in ("status", "build s", "target s", "vs one uncapped draw", "det. s",
                "pricing rounds", "team sets", "expected / uncapped", "gap",
                "max marginal", "max frequency", "≤ Q + 4.5σ", "max leader marginal",
                "max leader freq.", "≤ Q_lead + 4.5σ", "s per draw", "met"):
        table.add_column(col, justify="right")
    met = (t.build_s <= 60 and t.sample_s <= 1 and t.max_frequency <= float(t.cap) + t.noise
           and t.max_leader_frequency <= float(t.leader_cap) + t.leader_noise)
    table.add_row(t.status, f"{t.build_s:.1f}", "60", f"{t.build_s / t.baseline_s:.1f}×",
                  f"{t.deterministic_s:.1f}", str(t.iterations), str(t.columns),
                  f"{t.expected:.2f} / {t.uncapped} ({t.expected / t.uncapped:.1%})"
                  if t.uncapped else f"{t.expected:.2f}", f"{t.gap:.2%}",
                  f"{t.max_marginal:.3f}", f"{t.max_frequency:.3f}",
                  f"{float(t.cap) + t.noise:.3f}", f"{t.max_leader_marginal:.3f}",
                  f"{t.max_leader_frequency:.3f}", f"{float(t.leader_cap) + t.leader_noise:.3f}",
                  f"{t.sample_s:.4f}", "yes" if met else "NO")
    Console(width=200).print(table)
    print(f"baseline: one uncapped draw of the same round (assemble), {t.baseline_s:.1f} s")
