"""Province-size rounds: keep, for each team, the few candidates who could matter, and
bound the objective of the unreduced problem so the gap stays honest.

The idea (an exchange argument): within a team, a candidate who is not among the best of
any group they belong to (could lead, could deputize, each required or wanted skill,
veteran, trainee, each gender, anyone) can usually be swapped for a better-scoring
shortlisted candidate of the same group. "Usually" is not "always" (the swapped-in cadre
may differ in other groups, pair terms, or be wanted by another team), so the reduction
is a heuristic: the proposal's gap is measured against `upper_bound`, a bound of the
problem *before* the reduction, never against the reduced model's own bound.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

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


def shortlist(inst: Instance, k: int = 4) -> dict[int, set[int]]:
    """team index → candidate rows kept for that team (see the module docstring).

    Each group is dealt out like cards: in turns, every team takes its best-scoring
    eligible candidate of the group that no team has taken *for that group* yet, until
    each holds its own need of the group plus `k`. Teams that all prefer the same people
    (equal scores) so get distinct ones, and the model stays small: about a hundred
    candidates per team instead of thousands."""
    ranked: dict[str, list[list[tuple[int, str, int]]]] = {}
    need: dict[str, list[int]] = {}
    for j, team in enumerate(inst.teams):
        wanted = {s for s, _ in team.skill_min} | {s for s, _ in team.skill_depth}
        for group, n in _needs(team).items():
            need.setdefault(group, [0] * len(inst.teams))[j] = n + k
        for i, c in enumerate(inst.candidates):
            roles = inst.open_roles(c, team)
            if not roles:
                continue
            entry = (-placement_score(inst, c, team), c.key, i)
            for group in _groups(c, roles, wanted, team.min_per_side > 0):
                ranked.setdefault(group, [[] for _ in inst.teams])[j].append(entry)
    out: dict[int, set[int]] = {j: set() for j in range(len(inst.teams))}
    for group, per_team in ranked.items():
        queues = [sorted(entries, reverse=True) for entries in per_team]  # best last
        wants = need.get(group, [k] * len(inst.teams))
        taken: set[int] = set()
        held = [0] * len(inst.teams)
        while True:
            moved = False
            for j, queue in enumerate(queues):
                while held[j] < wants[j] and queue:
                    _s, _key, i = queue.pop()
                    if i not in taken:
                        taken.add(i)
                        out[j].add(i)
                        held[j] += 1
                        moved = True
                        break
            if not moved:
                break
    return out


def _needs(team: TeamSpec) -> dict[str, int]:
    """How many of each group one team can place."""
    out = {"leader": 1, "deputy": team.deputies_max, "anyone": team.size_max, "veteran": 1,
           "trainee": 2, "gender:M": 1, "gender:F": 1}
    for skill, n in (*team.skill_min, *team.skill_depth):
        out[f"skill:{skill}"] = max(out.get(f"skill:{skill}", 0), n)
    if team.min_per_side:
        out.update({f"side:{side}": team.min_per_side for side in team.sides})
    return out


def _groups(c: Candidate, roles: frozenset[str], wanted: set[str],
            mixed: bool) -> Iterable[str]:
    """The groups `c` belongs to for one team (`roles`: what is open to them there)."""
    if "leader" in roles:
        yield "leader"
    if "deputy" in roles:
        yield "deputy"
    if "member" not in roles:
        return
    yield "anyone"
    if mixed and c.side is not None:
        yield f"side:{c.side}"
    yield from (f"skill:{s}" for s in c.skills if s in wanted)
    if c.veteran:
        yield "veteran"
    if c.trainee:
        yield "trainee"
    if c.gender:
        yield f"gender:{c.gender}"


def upper_bound(inst: Instance) -> int:
    """An upper bound of the objective over *all* candidates: each reward at the most the
    pool can give it, each penalty at the least the pool allows (a veteran or a
    trainee can serve one team per place of capacity; a mixed team needs one of each
    gender; workload at the lightest possible teams)."""
    w = inst.weights
    cands = inst.candidates
    teams = len(inst.teams)

    def places(pred: Callable[[Candidate], bool]) -> int:
        return sum(c.capacity for c in cands if pred(c))

    rewards = w.training * min(2 * teams, places(lambda c: c.trainee))
    wanted: dict[str, int] = {}
    for team in inst.teams:
        for skill, want in team.skill_depth:
            wanted[skill] = wanted.get(skill, 0) + want
    for skill, want in wanted.items():
        holders = sum(c.capacity for c in cands if skill in c.skills)
        rewards += w.depth * min(want, holders)
    for team in inst.teams:
        best_suit = sorted((v for (_c, no), v in inst.suitability.items() if no == team.no),
                           reverse=True)[:team.size_max]
        rewards += w.suitability * sum(v for v in best_suit if v > 0)
    penalties = w.experience * max(0, teams - places(lambda c: c.veteran))
    mixed = min(places(lambda c: c.gender == "M"), places(lambda c: c.gender == "F"))
    penalties += w.gender * max(0, teams - mixed)
    need = sum(t.size_min for t in inst.teams)
    penalties += w.fairness * sum(heapq.nsmallest(need, (c.recent_rounds for c in cands)))
    return rewards - penalties
