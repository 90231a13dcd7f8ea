"""What practice asks of a team beyond skills (`./dev bench practice`, issue 15): the
sample city's round with every new rule on (retirement margin, post-round evaluations,
full-time staff per team, a home-unit limit, checking groups) against the same round with
them off, solved in the same process; replacement suggestions for every seat of the
drawn proposal against trying every candidate with the validator (the plain method);
and, with `--province`, the generated province's round with the rules on and off (its
gap against the recorded 1.15 % without them).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from dataclasses import replace
from typing import Any

from assignment.assemble import SolveSettings, assemble
from assignment.build import RoundPlan
from assignment.eligibility import AgeRule, EvaluationRule
from assignment.home_units import UnitLimit
from assignment.instance import GroupSpec, Instance, TeamSpec
from assignment.proposal import Proposal
from assignment.replacement import rank_replacements
from assignment.validate import objective, term_values, violations
from bench.assembly_bench import CITY_ROUND, SKILLS, _as_proposal, _instance


def without_rules(plan: RoundPlan) -> RoundPlan:
    """The plan with issue 15's rules off: what the round was before them."""
    return replace(plan, age=AgeRule(), evaluations=EvaluationRule(),
                   home_unit_limit=UnitLimit(),
                   teams=tuple(replace(t, full_time_min=0, groups=()) for t in plan.teams))


def city_instances() -> tuple[Instance, Instance]:
    from sqlalchemy.orm import Session

    from bench.conflicts_bench import database
    from pool.db import make_engine
    from service.rounds import read_round_file

    spec = read_round_file(CITY_ROUND)
    plan = spec.plan()
    with Session(make_engine(database("city", 2026))) as session:
        day = spec.as_of or spec.start
        return _instance(session, plan, day), _instance(session, without_rules(plan), day)


GROUPS = (GroupSpec("party_personnel", "党建人事", ("party_building", "personnel")),
          GroupSpec("finance_audit", "财务审计", ("audit", "finance")))


def province_instances(seed: int) -> tuple[Instance, Instance]:
    """The province round of `bench assemble` (same targets and teams), with the rules on
    and off."""
    import random

    from sqlalchemy.orm import Session

    from bench.conflicts_bench import database
    from pool.db import make_engine
    from pool.snapshot import load_snapshot

    url = database("province", 7)
    with Session(make_engine(url)) as session:
        units = sorted(load_snapshot(session, dt.date(2026, 11, 1)).units)
    rng = random.Random(seed)
    targets = rng.sample(units, 90)
    teams = tuple(TeamSpec(no + 1, tuple(targets[2 * no:2 * no + 2]) if no < 30 else
                           (targets[30 + no],), skill_min=SKILLS,
                           skill_depth=(("finance", 2), ("audit", 2)) if no % 3 == 0 else (),
                           full_time_min=1, groups=GROUPS)
                  for no in range(60))
    plan = RoundPlan("P-BENCH", "省级基准轮次", dt.date(2026, 12, 1), dt.date(2027, 1, 25),
                     teams, age=AgeRule(retirement_margin_months=6),
                     evaluations=EvaluationRule(window_months=36),
                     home_unit_limit=UnitLimit(max=2, share=0.2))
    with Session(make_engine(url)) as session:
        day = dt.date(2026, 11, 1)
        return _instance(session, plan, day), _instance(session, without_rules(plan), day)


def solve(instance: Instance, seed: int, settings: SolveSettings) -> tuple[Proposal, float]:
    started = time.perf_counter()
    proposal = assemble(instance, seed, settings)
    return proposal, time.perf_counter() - started


def seat_times(instance: Instance, proposal: Proposal, plain_seats: int
               ) -> tuple[list[float], list[int], list[float]]:
    """Time of `rank_replacements` for every seat; options per seat; and the plain method
    (every candidate swapped in and judged by `violations`, scored by `term_values`) for
    the first `plain_seats` seats, checked to give the same options."""
    teams = {t.no: {m.key: m.role for m in t.members} for t in proposal.teams}
    times: list[float] = []
    counts: list[int] = []
    plain: list[float] = []
    for no, members in sorted(teams.items()):
        for leaving in sorted(members):
            started = time.perf_counter()
            ranking = rank_replacements(instance, teams, no, leaving)
            times.append(time.perf_counter() - started)
            counts.append(len(ranking.options))
            if len(plain) < plain_seats:
                started = time.perf_counter()
                expected = _plain(instance, teams, no, leaving)
                plain.append(time.perf_counter() - started)
                got = [(o.objective_after, o.cadre) for o in ranking.options]
                if got != expected:
                    raise AssertionError(f"ranking differs from the plain method: team {no}, "
                                         f"{leaving}")
    return times, counts, plain


def _plain(instance: Instance, teams: dict[int, dict[str, str]], no: int, leaving: str
           ) -> list[tuple[int, str]]:
    placed = {k for m in teams.values() for k in m}
    out = []
    for c in instance.candidates:
        if c.key == leaving or c.key in placed:
            continue
        after = {n: dict(m) for n, m in teams.items()}
        role = after[no].pop(leaving)
        after[no][c.key] = role
        if violations(instance, _as_proposal(instance, after)):
            continue
        out.append((objective(instance, term_values(instance, after)), c.key))
    return sorted(out, key=lambda v: (-v[0], v[1]))


def run(args: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    settings = SolveSettings()
    rows = []
    with_rules, plain_round = city_instances()
    for name, inst in (("sample city, rules off", plain_round),
                       ("sample city, every rule on", with_rules)):
        proposal, seconds = solve(inst, args.seed, settings)
        rows.append((name, inst, proposal, seconds, "≤ 10 s, optimal"))
    if args.province:
        p_rules, p_plain = province_instances(args.seed)
        p_settings = SolveSettings(deterministic_time=args.province_dtime, wall_time=120.0)
        for name, inst in (("province, rules off", p_plain),
                           ("province, every rule on", p_rules)):
            proposal, seconds = solve(inst, args.seed, p_settings)
            rows.append((name, inst, proposal, seconds, "≤ 60 s, gap ≤ 2 % (was 1.15 %)"))
    table = Table(title="team assembly with issue 15's rules (retirement margin 6 months, "
                        "evaluations 36 months, ≥1 full-time staff per team, home-unit limit "
                        "min(2, 20 %), checking groups)")
    for col in ("round", "candidates", "solve s", "status", "objective", "best", "bound",
                "gap", "target", "valid"):
        table.add_column(col, justify="left" if col in ("round", "status", "target")
                         else "right")
    for name, inst, p, seconds, target in rows:
        table.add_row(name, f"{len(inst.candidates):,}", f"{seconds:.1f}", p.status,
                      str(p.objective), str(p.best_objective),
                      f"{p.bound:.0f}" if p.bound is not None else "—",
                      f"{p.gap:.2%}" if p.gap is not None else "—", target,
                      "yes" if p.feasible and not violations(inst, p) else "NO")
    console.print(table)
    drawn = rows[1][2]
    times, counts, plain = seat_times(with_rules, drawn, args.plain_seats)
    seats = Table(title="replacement suggestions, every seat of the drawn proposal (sample "
                        "city, every rule on)")
    for col in ("method", "seats", "median s", "max s", "target", "options per seat (median)",
                "vs plain"):
        seats.add_column(col, justify="left" if col == "method" else "right")
    med = statistics.median(times)
    seats.add_row("rank_replacements (rules per candidate, top 20 re-validated)",
                  str(len(times)), f"{med:.3f}", f"{max(times):.3f}", "≤ 1 s",
                  f"{statistics.median(counts):.0f}",
                  f"{statistics.median(plain) / med:.0f}× faster" if plain else "")
    if plain:
        seats.add_row("plain: every candidate swapped in, judged by the validator (same "
                      "options)", str(len(plain)), f"{statistics.median(plain):.3f}",
                      f"{max(plain):.3f}", "", "", "1×")
    console.print(seats)
