"""Team-assembly benchmark: the sample-city round and a generated-province round, with two
baselines measured in the same run on the city round: a random draw with the recusal
filter (as many pools do it by hand) and a greedy builder.

The city round is `sample_data/rounds/2026-4.yaml` on the imported sample city; the
province round draws 90 target units (30 teams of two, 30 of one) from the province
imported by `bench conflicts` (bench/data/province-7.sqlite3) and screens all its cadres.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from assignment.assemble import SolveSettings, assemble
from assignment.build import RoundPlan, build_instance
from assignment.greedy import greedy_teams
from assignment.instance import Instance, TeamSpec
from assignment.proposal import Member, Proposal, Team
from assignment.validate import objective, term_values, violations
from bench.import_bench import ROOT

CITY_ROUND = ROOT / "sample_data" / "rounds" / "2026-4.yaml"
SKILLS = (("audit", 1), ("discipline", 1), ("finance", 1), ("personnel", 1))


@dataclass(frozen=True)
class Figures:
    name: str
    candidates: int
    teams: int
    targets: int
    prepare_s: float
    solve_s: float
    proposal: Proposal
    problems: list[str]


def city_instance() -> tuple[Instance, float]:
    from sqlalchemy.orm import Session

    from bench.conflicts_bench import database
    from pool.db import make_engine
    from service.rounds import read_round_file

    started = time.perf_counter()
    url = database("city", 2026)  # the generator's city 2026 is sample_data/city
    spec = read_round_file(CITY_ROUND)
    with Session(make_engine(url)) as session:
        instance = _instance(session, spec.plan(), spec.as_of or spec.start)
    return instance, time.perf_counter() - started


def province_instance(url: str, seed: int) -> tuple[Instance, float]:
    from sqlalchemy.orm import Session

    from pool.db import make_engine

    started = time.perf_counter()
    with Session(make_engine(url)) as session:
        from pool.snapshot import load_snapshot

        units = sorted(load_snapshot(session, dt.date(2026, 11, 1)).units)
    rng = random.Random(seed)
    targets = rng.sample(units, 90)
    teams = tuple(TeamSpec(no + 1, tuple(targets[2 * no:2 * no + 2]) if no < 30 else
                           (targets[30 + no],), skill_min=SKILLS,
                           skill_depth=(("finance", 2), ("audit", 2)) if no % 3 == 0 else ())
                  for no in range(60))
    plan = RoundPlan("P-BENCH", "省级基准轮次", dt.date(2026, 12, 1), dt.date(2027, 1, 25),
                     teams)
    with Session(make_engine(url)) as session:
        instance = _instance(session, plan, dt.date(2026, 11, 1))
    return instance, time.perf_counter() - started


def _instance(session: Any, plan: RoundPlan, as_of: dt.date) -> Instance:
    from conflicts.policy import load_policy
    from conflicts.screening import screen_index
    from service.recusals import open_index

    index = open_index(session, as_of)
    screening = screen_index(index, load_policy(plan.policy), sorted(index.cadres),
                             plan.targets, period=(plan.start, plan.end))
    instance, _ctx = build_instance(index.snapshot, screening, plan)
    return instance


def measure(name: str, instance: Instance, prepare_s: float, seed: int,
            settings: SolveSettings) -> Figures:
    started = time.perf_counter()
    proposal = assemble(instance, seed, settings)
    return Figures(name, len(instance.candidates), len(instance.teams),
                   sum(len(t.targets) for t in instance.teams), prepare_s,
                   time.perf_counter() - started, proposal, violations(instance, proposal))


# -- baselines -------------------------------------------------------------------------

def _as_proposal(inst: Instance, teams: dict[int, dict[str, str]]) -> Proposal:
    cands = {c.key: c for c in inst.candidates}
    built = tuple(Team(t.no, t.targets, tuple(Member(k, cands[k].name, r, cands[k].skills)
                                              for k, r in teams.get(t.no, {}).items()), ())
                  for t in inst.teams)
    return Proposal(inst.round_key, "feasible", 0, 0, None, None, (), built, 0, "", 0.0, {},
                    0.0, 0.0, False)


def random_draws(inst: Instance, n: int, seed: int) -> tuple[float, float | None]:
    """Share of random draws (with the recusal filter) meeting every requirement, and the
    mean objective of those that do."""
    rng = random.Random(seed)
    ok_values = []
    for _ in range(n):
        teams = greedy_teams(inst, lambda pool, k, _team: rng.sample(pool, min(k, len(pool))))
        if not violations(inst, _as_proposal(inst, teams)):
            ok_values.append(objective(inst, term_values(inst, teams)))
    return len(ok_values) / n, (statistics.mean(ok_values) if ok_values else None)


def greedy(inst: Instance) -> tuple[bool, int | None]:
    """Team by team, the best-scoring free candidate for each slot."""
    teams = greedy_teams(inst)
    valid = not violations(inst, _as_proposal(inst, teams))
    return valid, objective(inst, term_values(inst, teams)) if valid else None


def run(args: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from bench.conflicts_bench import database

    console = Console(width=160)
    rows: list[Figures] = []
    city, city_prep = city_instance()
    rows.append(measure("sample city round", city, city_prep, args.seed, SolveSettings()))
    draw_share, draw_mean = random_draws(city, args.draws, args.seed)
    greedy_ok, greedy_value = greedy(city)
    if args.province:
        url = database("province", 7)
        inst, prep = province_instance(url, args.seed)
        rows.append(measure("province round", inst, prep, args.seed,
                            SolveSettings(deterministic_time=args.province_dtime,
                                          wall_time=60.0)))
    table = Table(title="team assembly")
    for col in ("round", "candidates", "teams", "targets", "prepare s", "solve s", "status",
                "objective", "best", "bound", "gap", "target", "valid"):
        table.add_column(col, justify="left" if col in ("round", "status") else "right")
    targets = {"sample city round": "≤ 10 s, gap ≤ 0.5%", "province round": "≤ 60 s, gap ≤ 2%"}
    for f in rows:
        p = f.proposal
        table.add_row(f.name, f"{f.candidates:,}", str(f.teams), str(f.targets),
                      f"{f.prepare_s:.1f}", f"{f.solve_s:.1f}", p.status, str(p.objective),
                      str(p.best_objective), f"{p.bound:.0f}" if p.bound is not None else "—",
                      f"{p.gap:.2%}" if p.gap is not None else "—", targets[f.name],
                      "yes" if not f.problems else f"NO ({len(f.problems)})")
    console.print(table)
    best = rows[0].proposal.best_objective
    base = Table(title="baselines on the sample city round (same run)")
    for col in ("method", "meets every requirement", "objective", "below the best"):
        base.add_column(col, justify="left" if col == "method" else "right")
    assert best is not None
    base.add_row("optimizer (draw within 2%)", "yes", str(rows[0].proposal.objective),
                 str(best - (rows[0].proposal.objective or 0)))
    base.add_row(f"random draw with recusal filter ({args.draws} draws, mean of valid)",
                 f"{draw_share:.0%}", f"{draw_mean:.0f}" if draw_mean is not None else "—",
                 f"{best - draw_mean:.0f}" if draw_mean is not None else "—")
    base.add_row("greedy builder", "yes" if greedy_ok else "no",
                 str(greedy_value) if greedy_value is not None else "—",
                 str(best - greedy_value) if greedy_value is not None else "—")
    console.print(base)

