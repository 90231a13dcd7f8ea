"""Split a drawn team into its checking groups (检查小组): every member in exactly one
group, each group within its size and *qualified* (at least one member holds one of its
skills). Exact and deterministic.

When a split exists (the condition the model enforces). With groups g of sizes
[a_g, b_g] (a_g ≥ 1) and n members, a split exists iff Σa_g ≤ n ≤ Σb_g and the groups
have a system of distinct representatives: each group its own qualified member. Necessary:
a split's groups are disjoint, so one qualified member of each is such a system. Enough:
put each representative in its group; the n − k others qualify nowhere in particular and
fill the groups' remaining places a_g − 1 … b_g − 1, which hold between Σ(a_g − 1) and
Σ(b_g − 1) people, exactly the range n − k lies in.

Which split (`split`): the one with the most members in a group they qualify for; among
those, the first member (in the order given: the team's order, leader first) in the
earliest group (in the team's order) that still allows the best, then the second, and so
on. Each step asks a min-cost flow for the best still reachable (representatives arcs
carry the qualification, the other places take anyone), so the answer does not depend on
how the solver breaks ties.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ortools.graph.python import min_cost_flow

from assignment.instance import GroupSpec
from assignment.proposal import Group, Requirement
from assignment.proposal import Member as TeamMember

Member = tuple[str, Sequence[str]]  # (cadre key, skill codes)
Split = tuple[tuple[str, tuple[str, ...]], ...]  # (group code, member keys) in group order


def qualifies(skills: Sequence[str], group: GroupSpec) -> bool:
    return not set(skills).isdisjoint(group.skills)


def skill_label(code: str, names: Mapping[str, str]) -> str:
    """行政执法（law_enforcement）, or the bare code when it has no name."""
    name = names.get(code)
    return f"{name}（{code}）" if name and name != code else code


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Why a team cannot be split: the groups at fault and the members qualified for any
    of them (fewer than the groups), or a size the groups cannot hold."""

    groups: tuple[str, ...]
    qualified: tuple[str, ...]
    size: bool = False  # the member count is outside Σmin…Σmax


def shortfall(members: Sequence[Member], groups: Sequence[GroupSpec]) -> Shortfall | None:
    """None when the members can be split into `groups`, else why not (a Hall set: groups
    whose qualified members are fewer than they are)."""
    if not groups:
        return None
    n = len(members)
    if not sum(g.size_min for g in groups) <= n <= sum(g.size_max for g in groups):
        return Shortfall(tuple(g.code for g in groups), (), size=True)
    return representatives_short(members, groups)


def representatives_short(members: Sequence[Member],
                          groups: Sequence[GroupSpec]) -> Shortfall | None:
    """None when each group can have its own qualified member among `members`, else a
    Hall set: groups whose qualified members are fewer than they are."""
    can = [[i for i, (_k, skills) in enumerate(members) if qualifies(skills, g)]
           for g in groups]
    rep: dict[int, int] = {}  # member row → group row

    def augment(g: int, seen: set[int]) -> bool:
        for i in can[g]:
            if i not in seen:
                seen.add(i)
                if i not in rep or augment(rep[i], seen):
                    rep[i] = g
                    return True
        return False

    for g in range(len(groups)):
        seen: set[int] = set()
        if not augment(g, seen):
            # the groups reached by alternating paths from g have too few qualified
            held = {rep[i] for i in seen}
            at_fault = sorted(held | {g})
            qualified = sorted(seen)
            return Shortfall(tuple(groups[x].code for x in at_fault),
                             tuple(members[i][0] for i in qualified))
    return None


def _best(members: Sequence[Member], groups: Sequence[GroupSpec],
          fixed: dict[int, int]) -> int | None:
    """The most members in a group they qualify for, with member i in group fixed[i];
    None when no split allows it."""
    n, k = len(members), len(groups)
    flow = min_cost_flow.SimpleMinCostFlow()
    rep, rest, sink = n, n + k, n + 2 * k
    for i, (_key, skills) in enumerate(members):
        for g, spec in enumerate(groups):
            if fixed.get(i, g) != g:
                continue
            good = qualifies(skills, spec)
            if good:
                flow.add_arc_with_capacity_and_unit_cost(i, rep + g, 1, -1)
            flow.add_arc_with_capacity_and_unit_cost(i, rest + g, 1, -int(good))
        flow.set_node_supply(i, 1)
    for g, spec in enumerate(groups):
        flow.set_node_supply(rep + g, -1)
        flow.set_node_supply(rest + g, -(spec.size_min - 1))
        flow.add_arc_with_capacity_and_unit_cost(rest + g, sink, spec.size_max - spec.size_min,
                                                 0)
    flow.set_node_supply(sink, -(n - k - sum(g.size_min - 1 for g in groups)))
    if flow.solve() != flow.OPTIMAL:
        return None
    return -flow.optimal_cost()


def split(members: Sequence[Member], groups: Sequence[GroupSpec]) -> Split | None:
    """The split of the module docstring; None when none exists (see `shortfall`). No
    groups: the empty split."""
    if not groups:
        return ()
    if shortfall(members, groups) is not None:
        return None
    fixed: dict[int, int] = {}
    best = _best(members, groups, fixed)
    assert best is not None  # the shortfall check says a split exists
    for i in range(len(members)):
        for g in range(len(groups)):
            fixed[i] = g
            if _best(members, groups, fixed) == best:
                break
        else:  # pragma: no cover - some group always keeps the best reachable
            raise AssertionError("no group keeps the best split")
    return tuple((spec.code, tuple(members[i][0] for i in range(len(members))
                                   if fixed[i] == g)) for g, spec in enumerate(groups))


def matched(members: Sequence[Member], groups: Sequence[GroupSpec], result: Split) -> int:
    """How many members sit in a group they qualify for (what `split` maximizes)."""
    skills = dict(members)
    specs = {g.code: g for g in groups}
    return sum(qualifies(skills[k], specs[code]) for code, keys in result for k in keys)


def shortfall_text(found: Shortfall, groups: Sequence[GroupSpec], n: int,
                   skill_names: Mapping[str, str] | None = None,
                   names: Mapping[str, str] | None = None,
                   who: tuple[str, str] = ("成员", "member(s)")) -> tuple[str, str]:
    """Why the team cannot be split, in words (zh, en): the groups at fault with the skills
    that would qualify, and the members (`who`) who qualify, by name."""
    specs = {g.code: g for g in groups}
    if found.size:
        low, high = sum(g.size_min for g in groups), sum(g.size_max for g in groups)
        return (f"{len(groups)}个检查小组须{low}–{high}人，本组{n}人",
                f"{len(groups)} checking groups need {low}–{high} members; the team has {n}")
    skill_names = skill_names or {}
    names = names or {}
    at_fault = [specs[c] for c in found.groups]
    skills = sorted({s for g in at_fault for s in g.skills})
    zh_groups = "、".join(f"{g.name}（{g.code}）" for g in at_fault)
    en_groups = ", ".join(g.code for g in at_fault)
    zh_skills = "、".join(skill_label(s, skill_names) for s in skills)
    who_zh = "、".join(f"{names.get(k, k)}（{k}）" for k in found.qualified) or "无"
    who_en = ", ".join(found.qualified) or "none"
    each = "同时" if len(at_fault) > 1 else ""
    return (f"无法{each}分出{zh_groups}小组：具备{zh_skills}专长的{who[0]}"
            f"{len(found.qualified)}人（{who_zh}），少于{len(at_fault)}个小组各需的1人",
            f"cannot split off the checking group(s) {en_groups}: {len(found.qualified)} "
            f"{who[1]} hold {', '.join(skills)} ({who_en}), fewer than the "
            f"{len(at_fault)} group(s) need, one each")


def split_violations(groups: Sequence[GroupSpec], members: Sequence[Member],
                     given: Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, str]]:
    """What is wrong with a given split (group code, member keys) of `members` into
    `groups`, in words (zh, en); empty when it is a valid split."""
    out: list[tuple[str, str]] = []
    specs = {g.code: g for g in groups}
    if sorted(code for code, _k in given) != sorted(specs):
        out.append(("检查小组与本组要求不符", "the checking groups differ from the team's"))
    placed = [k for _c, keys in given for k in keys]
    if sorted(placed) != sorted(k for k, _s in members):
        out.append(("并非每名成员恰在一个检查小组", "not every member is in exactly one "
                    "checking group"))
    skills = dict(members)
    for code, keys in given:
        g = specs.get(code)
        if g is None:
            continue
        if not g.size_min <= len(keys) <= g.size_max:
            out.append((f"{g.name}小组{len(keys)}人，须{g.size_min}–{g.size_max}人",
                        f"group {code} has {len(keys)}, needs {g.size_min}–{g.size_max}"))
        if not any(qualifies(skills.get(k, ()), g) for k in keys):
            out.append((f"{g.name}小组没有具备相应专长的成员",
                        f"group {code} has no member holding one of its skills"))
    return out


def team_groups(groups: Sequence[GroupSpec], members: Sequence[TeamMember]) -> tuple[Group, ...]:
    """A team's members split into its checking groups (`split`), as the proposal carries
    them; empty when the team has no groups or cannot be split (`validate` says why)."""
    found = split([(m.key, m.skills) for m in members], groups)
    names = {g.code: g.name for g in groups}
    return tuple(Group(code, names[code], keys) for code, keys in found or ())


def groups_requirement(groups: Sequence[GroupSpec], members: Sequence[TeamMember],
                       skill_names: Mapping[str, str]) -> Requirement:
    """The team's split into checking groups, in words (requirement code "groups")."""
    by_key = {m.key: m for m in members}
    split_ = team_groups(groups, members)
    if not split_:
        found = shortfall([(m.key, m.skills) for m in members], groups)
        zh, en = shortfall_text(found or Shortfall((), ()), groups, len(members), skill_names,
                                {m.key: m.name for m in members})
        return Requirement("groups", f"检查小组：{zh}", f"checking groups: {en}", False)
    zh = "；".join(f"{g.name}：" + "、".join(by_key[k].name for k in g.members)
                  for g in split_)
    en = "; ".join(f"{g.code}: " + ", ".join(g.members) for g in split_)
    return Requirement("groups", f"检查小组：{zh}", f"checking groups: {en}", True)


def newcomer_fits(groups: Sequence[GroupSpec],
                  stay: Sequence[Member]) -> Callable[[Sequence[str]], bool]:
    """Whether a newcomer with given skills joining `stay` leaves a team that can be split
    (for ranking a seat's replacements: one matching per distinct qualification, not
    per candidate). No groups: always."""
    if not groups:
        return lambda _skills: True
    seen: dict[frozenset[str], bool] = {}

    def fits(skills: Sequence[str]) -> bool:
        wanted = frozenset(s for g in groups for s in g.skills if s in skills)
        if wanted not in seen:
            seen[wanted] = shortfall([*stay, ("\0newcomer", tuple(wanted))], groups) is None
        return seen[wanted]

    return fits
