"""Province-size rounds: keep, for each team, the few candidates who could matter, and
bound the objective of the unreduced problem so the gap stays honest.

Exchange argument behind the shortlist: within a team, a candidate outside the team's
top `k` of every group they belong to (could lead, could deputize, each required or wanted
skill, veteran, trainee, each gender, anyone) can be swapped for an unused shortlisted
candidate of the same groups with at least the same per-placement score, unless `k` of
them are taken by other teams. With hundreds of candidates per slot that is rare, but not
impossible; so the proposal's gap is measured against `upper_bound`, a bound of the
problem *before* the reduction, never against the reduced model's own bound.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from assignment.instance import Candidate, Instance, TeamSpec


def placement_score(inst: Instance, c: Candidate, team: TeamSpec) -> int:
    """The part of the objective one placement adds on its own (pairs and per-team
    caps aside): rotation, workload, training, suitability."""
    w = inst.weights
    targets = set(team.targets)
    score = -w.fairness * c.recent_rounds + inst.suitability.get((c.key, team.no), 0) \
        * w.suitability
    score -= w.rotation_member * bool(targets & set(c.inspected_targets))
    score += w.training * c.trainee
    score += w.depth * sum(1 for skill, _ in team.skill_depth if skill in c.skills)
    return score


def shortlist(inst: Instance, k: int = 12) -> dict[int, set[int]]:
    """team index → candidate rows kept for that team (see the module docstring)."""
    out: dict[int, set[int]] = {}
    for j, team in enumerate(inst.teams):
        groups: dict[str, list[tuple[int, str, int]]] = {}
        wanted = {s for s, _ in team.skill_min} | {s for s, _ in team.skill_depth}
        for i, c in enumerate(inst.candidates):
            barred = inst.barred(c.key, team)
            if {"leader", "deputy", "member"} <= barred:
                continue
            entry = (placement_score(inst, c, team), c.key, i)
            for group in _groups(c, barred, wanted):
                groups.setdefault(group, []).append(entry)
        keep: set[int] = set()
        for group, entries in groups.items():
            size = k * (team.size_max if group == "anyone" else 1)
            keep.update(i for _s, _key, i in heapq.nlargest(size, entries))
        out[j] = keep
    return out


def _groups(c: Candidate, barred: frozenset[str], wanted: set[str]) -> Iterable[str]:
    if c.leader_pool and "leader" not in barred:
        yield "leader"
    if (c.deputy_pool or c.leader_pool) and "deputy" not in barred:
        yield "deputy"
    if "member" in barred:
        return
    yield "anyone"
    yield from (f"skill:{s}" for s in c.skills if s in wanted)
    if c.veteran:
        yield "veteran"
    if c.trainee:
        yield "trainee"
    if c.gender:
        yield f"gender:{c.gender}"


def upper_bound(inst: Instance) -> int:
    """An upper bound of the objective over *all* candidates: every reward at its cap,
    every penalty at its least (zero, and for workload the lightest possible teams)."""
    w = inst.weights
    rewards = 0
    for team in inst.teams:
        rewards += w.training * 2 + w.depth * sum(want for _s, want in team.skill_depth)
        best_suit = sorted((v for (_c, no), v in inst.suitability.items() if no == team.no),
                           reverse=True)[:team.size_max]
        rewards += w.suitability * sum(v for v in best_suit if v > 0)
    places = sum(t.size_min for t in inst.teams)
    lightest = heapq.nsmallest(places, (c.recent_rounds for c in inst.candidates))
    return rewards - w.fairness * sum(lightest)
