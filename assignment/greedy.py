"""A greedy team builder: team by team, fill the leader, the deputies, each side's members
(互派), each required skill, then up to the minimum size, never breaking a recusal, a side
rule or a within-team conflict.

It is the starting point handed to CP-SAT (a solution hint) and, with a random `pick`,
the benchmark's model of a hand-made draw with the recusal filter. It may fail to meet
every requirement; `validate.violations` says where.
"""

from __future__ import annotations

from collections.abc import Callable

from assignment.instance import Instance, TeamSpec
from assignment.shortlist import placement_score

Pick = Callable[[list[int], int, TeamSpec], list[int]]


def best_first(inst: Instance) -> Pick:
    cands = inst.candidates

    def pick(pool: list[int], n: int, team: TeamSpec) -> list[int]:
        return sorted(pool, key=lambda i: (-placement_score(inst, cands[i], team),
                                           cands[i].key))[:n]

    return pick


def greedy_teams(inst: Instance, pick: Pick | None = None,
                 allowed: dict[int, set[int]] | None = None) -> dict[int, dict[str, str]]:
    """team number → {cadre: role}; `allowed` limits each team to its shortlist."""
    choose = pick or best_first(inst)
    cands = inst.candidates
    partners: dict[str, set[str]] = {}
    for a, b in inst.conflicts:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    used: set[int] = set()
    out: dict[int, dict[str, str]] = {}
    for j, team in enumerate(inst.teams):
        rows: list[int] = sorted(allowed[j]) if allowed is not None else list(range(len(cands)))
        open_roles = {i: inst.open_roles(cands[i], team) for i in rows}
        roles: dict[str, str] = {}

        def free(ok: Callable[[int], bool], rows: list[int] = rows,
                 roles: dict[str, str] = roles) -> list[int]:
            return [i for i in rows if i not in used and ok(i)
                    and not partners.get(cands[i].key, set()) & roles.keys()]

        def fill(ok: Callable[[int], bool], n: int, role: str, team: TeamSpec = team,
                 roles: dict[str, str] = roles) -> None:
            for _ in range(n):  # one at a time: a pick must not conflict with the last
                chosen = choose(free(ok), 1, team)
                if not chosen:
                    return
                used.add(chosen[0])
                roles[cands[chosen[0]].key] = role

        def can(i: int, role: str, o: dict[int, frozenset[str]] = open_roles) -> bool:
            return role in o[i]

        fill(lambda i: can(i, "leader"), 1, "leader")
        fill(lambda i: can(i, "deputy"), team.deputies_min, "deputy")
        for side in team.sides if team.min_per_side else ():
            fill(lambda i, s=side: cands[i].side == s and can(i, "member"),  # type: ignore[misc]
                 team.min_per_side, "member")
        for skill, need in team.skill_min:
            have = sum(skill in cands[inst.index[k]].skills for k in roles)
            fill(lambda i, s=skill: s in cands[i].skills and can(i, "member"),  # type: ignore[misc]
                 need - have, "member")
        fill(lambda i: can(i, "member"), team.size_min - len(roles), "member")
        out[team.no] = roles
    return out
