"""A team-assembly instance: the round's teams and requirements, the candidates, the
recusals and within-team conflicts from `conflicts`, and the weights of the soft terms.

Everything is frozen and canonical: `Instance.input_hash` is the sha256 of its canonical
JSON, so the same instance hashes the same on any machine, and a draw's sealed
specification can bind it before any randomness is known (`assignment.ceremony`).

Sides (互派, the exchange mode of cross-inspection): a candidate may belong to a side (the
group that sends them) and a team may name the side its leader comes from and the side its
deputies come from; such a team is staffed only from its sides, with at least
`min_per_side` members (role "member") from each. Liaison (联络员) and petition reception
(信访接待) are duties the team leader gives to members, not roles of the model: with
`min_per_side` ≥ 1 the lead side has a member for the first and the other side one for the
second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

ROLES = ("leader", "deputy", "member")
_OPEN = {(lead, deputy): frozenset(r for r, ok in (("leader", lead), ("deputy", deputy),
                                                    ("member", True)) if ok)
         for lead in (False, True) for deputy in (False, True)}


class InstanceError(ValueError):
    """An instance that cannot be solved as given; the message says what to change."""


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A checking group (检查小组) inside a team: the skills that qualify a member for it
    and its size. After the draw every member of the team is put in exactly one of the
    team's groups, each group within its size and with at least one qualified member
    (`assignment.subgroups`)."""

    code: str
    name: str
    skills: tuple[str, ...]  # skill codes, sorted: a member with any of them qualifies
    size_min: int = 2
    size_max: int = 3


@dataclass(frozen=True, slots=True)
class TeamSpec:
    """One inspection team: its target units (一托二: one or two) and requirements."""

    no: int
    targets: tuple[str, ...]
    size_min: int = 5
    size_max: int = 7
    deputies_min: int = 1
    deputies_max: int = 2
    skill_min: tuple[tuple[str, int], ...] = ()  # (skill, at least this many members)
    skill_depth: tuple[tuple[str, int], ...] = ()  # (skill, members wanted): soft
    # 互派 (exchange): the leader from one side, deputies from the other; members of
    # both, at least `min_per_side` from each. No side named: anyone may serve.
    leader_side: str | None = None
    deputy_side: str | None = None
    min_per_side: int = 0
    groups: tuple[GroupSpec, ...] = ()  # checking groups the members are split into
    full_time_min: int = 0  # members who are full-time staff (专职巡察干部), at least

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides that staff this team, lead side first (empty: no side rule)."""
        named = (self.leader_side, self.deputy_side)
        return tuple(dict.fromkeys(s for s in named if s is not None))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A cadre as the optimizer sees them."""

    key: str
    name: str
    gender: str | None
    skills: tuple[str, ...]  # skill codes, sorted
    leader_pool: bool = False
    deputy_pool: bool = False
    trainee: bool = False  # reserve or newly promoted: 老带新 wants them placed
    veteran: bool = False  # enough past rounds to lead the way
    recent_rounds: int = 0  # rounds served in the look-back window (workload)
    capacity: int = 1  # teams in this round at most
    minimum: int = 0  # teams in this round at least
    led_targets: tuple[str, ...] = ()  # targets led in the last N rounds (rotation)
    inspected_targets: tuple[str, ...] = ()  # targets inspected in the last N rounds
    side: str | None = None  # the group that sends them, for teams with sides (互派)
    full_time: bool = False  # full-time inspection staff (专职巡察干部), not seconded
    home_unit: str | None = None  # the unit seconding them, when the round caps units
    commended: bool = False  # recent evaluations all 优秀/称职 (巡后评估), for leading


@dataclass(frozen=True, slots=True)
class Weights:
    """Integer weights of the soft terms (per unit of each term, see `model.py`)."""

    experience: int = 40  # a team without a veteran
    training: int = 10  # each trainee placed (up to two per team)
    rotation_leader: int = 60  # a leader back at a target they led recently
    rotation_member: int = 20  # a member back at a target they inspected recently
    rotation_pair: int = 15  # two members who served together recently, together again
    fairness: int = 3  # per placement, per recent round of the cadre placed
    depth: int = 8  # each member of a wanted skill, up to the depth wanted
    gender: int = 10  # a team of one gender
    suitability: int = 1  # per point of a given suitability score
    commended: int = 0  # each leader whose recent evaluations are 优秀/称职 (0: term off)


@dataclass(frozen=True)
class Instance:
    round_key: str
    teams: tuple[TeamSpec, ...]
    candidates: tuple[Candidate, ...]
    # (cadre, target unit) → roles the cadre may not take on a team covering that unit
    recusals: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    conflicts: frozenset[tuple[str, str]] = frozenset()  # never on one team (a < b)
    past_pairs: frozenset[tuple[str, str]] = frozenset()  # served together recently
    suitability: Mapping[tuple[str, int], int] = field(default_factory=dict)  # (cadre, team)
    weights: Weights = Weights()
    skill_names: Mapping[str, str] = field(default_factory=dict)  # code → 中文 name, for text
    side_names: Mapping[str, str] = field(default_factory=dict)  # side → name, for text
    # 被抽调单位: home unit → people drawn from it in this round at most (all teams)
    unit_caps: Mapping[str, int] = field(default_factory=dict)
    unit_names: Mapping[str, str] = field(default_factory=dict)  # unit → 中文 name, for text

    def __post_init__(self) -> None:
        # canonical order: candidates by key, so the input order never matters
        object.__setattr__(self, "candidates",
                           tuple(sorted(self.candidates, key=lambda c: c.key)))
        problems = list(_problems(self))
        if problems:
            raise InstanceError("\n".join(problems))

    @cached_property
    def team_nos(self) -> tuple[int, ...]:
        return tuple(t.no for t in self.teams)

    @cached_property
    def index(self) -> dict[str, int]:
        """Candidate key → row (the one place ids become indices; rows follow
        `candidates` in key order)."""
        return {c.key: i for i, c in enumerate(self.candidates)}

    @cached_property
    def by_key(self) -> dict[str, Candidate]:
        """Candidate key → candidate (built once; the validator and the soft-term
        recomputation read it, which a replacement ranking calls once per candidate)."""
        return {c.key: c for c in self.candidates}

    def barred(self, cadre: str, team: TeamSpec) -> frozenset[str]:
        """Roles the cadre may not take on `team` (recused from any of its targets)."""
        out: frozenset[str] = frozenset()
        for target in team.targets:
            out |= self.recusals.get((cadre, target), frozenset())
        return out

    def open_roles(self, c: Candidate, team: TeamSpec) -> frozenset[str]:
        """Roles `c` may take on `team`: the leader pool leads, the leader and deputy pools
        deputize, anyone is a member; on a team with sides only its sides' cadres serve,
        leading only from `leader_side` and deputizing only from `deputy_side`; minus the
        roles a recusal bars. The one place that says who may serve where."""
        lead, deputy = c.leader_pool, c.deputy_pool or c.leader_pool
        if team.leader_side is not None or team.deputy_side is not None:
            if c.side not in team.sides:
                return frozenset()
            lead = lead and team.leader_side in (None, c.side)
            deputy = deputy and team.deputy_side in (None, c.side)
        roles = _OPEN[lead, deputy]
        barred = self.barred(c.key, team)
        return roles - barred if barred else roles

    def side_name(self, side: str | None) -> str:
        return "" if side is None else self.side_names.get(side, side)

    def canonical(self) -> dict[str, Any]:
        """Plain data in a fixed order: what the hash covers. Side fields at their
        defaults are left out, so instances without sides hash as they did before sides
        existed and specifications sealed then still verify."""
        data: dict[str, Any] = {
            "round": self.round_key,
            "teams": [_without_defaults(asdict(t), _NO_SIDES) for t in self.teams],
            "candidates": [_without_defaults(asdict(c), _NEW_CANDIDATE_FIELDS)
                           for c in self.candidates],
            "recusals": sorted([c, u, sorted(r)] for (c, u), r in self.recusals.items()),
            "conflicts": sorted(list(p) for p in self.conflicts),
            "past_pairs": sorted(list(p) for p in self.past_pairs),
            "suitability": sorted([c, t, v] for (c, t), v in self.suitability.items()),
            "weights": _without_defaults(asdict(self.weights), _NEW_WEIGHTS),
            "skill_names": sorted(self.skill_names.items()),
        }
        if self.side_names:
            data["side_names"] = sorted(self.side_names.items())
        if self.unit_caps:
            data["unit_caps"] = sorted(self.unit_caps.items())
        if self.unit_names:
            data["unit_names"] = sorted(self.unit_names.items())
        return data

    @cached_property
    def input_hash(self) -> str:
        text = json.dumps(self.canonical(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


_NO_SIDES = {"leader_side": None, "deputy_side": None, "min_per_side": 0,
             "groups": (),  # no checking groups either: left out of the hash
             "full_time_min": 0}  # nor a minimum of full-time staff (专职巡察干部)


# fields added after instances were first sealed: left out of the hash at their defaults
_NEW_CANDIDATE_FIELDS: dict[str, Any] = {"side": None, "commended": False,
                                         "full_time": False, "home_unit": None}
_NEW_WEIGHTS: dict[str, Any] = {"commended": 0}


def _without_defaults(data: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in defaults or v != defaults[k]}


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _problems(inst: Instance) -> Iterable[str]:
    keys = [c.key for c in inst.candidates]
    dupes = sorted({k for k in keys if keys.count(k) > 1}) if len(set(keys)) < len(keys) else []
    if dupes:
        yield f"候选人重复 / candidates listed twice: {dupes[:10]}"
    nos = [t.no for t in inst.teams]
    if len(set(nos)) != len(nos):
        yield f"巡察组编号重复 / team numbers repeat: {nos}"
    if not inst.teams:
        yield "没有巡察组 / the round has no teams"
    seen_targets: dict[str, int] = {}
    for t in inst.teams:
        where = f"第{t.no}组 / team {t.no}"
        if not 1 <= len(t.targets) <= 2:
            yield f"{where}: 每组巡察一至两个单位（一托二）/ a team covers one or two units"
        for u in t.targets:
            if u in seen_targets:
                yield (f"{where}: 被巡察单位 {u} 已分给第{seen_targets[u]}组 / target {u} "
                       f"is already covered by team {seen_targets[u]}")
            seen_targets[u] = t.no
        if not 1 <= t.size_min <= t.size_max:
            yield f"{where}: 人数范围无效 {t.size_min}–{t.size_max} / invalid size range"
        if not 0 <= t.deputies_min <= t.deputies_max:
            yield f"{where}: 副组长人数范围无效 / invalid deputy range"
        if 1 + t.deputies_min > t.size_max:
            yield f"{where}: 组长加副组长超过人数上限 / leader and deputies exceed the size"
        for skill, n in (*t.skill_min, *t.skill_depth):
            if n < 0:
                yield f"{where}: {skill} 人数不能为负 / a skill count cannot be negative"
        if t.min_per_side < 0 or (t.min_per_side and not t.sides):
            yield (f"{where}: 每方最少组员数须为非负数，且须指明组长、副组长来自哪一方 / "
                   "min_per_side must be non-negative and needs a leader or deputy side")
        elif 1 + t.deputies_min + t.min_per_side * len(t.sides) > t.size_max:
            yield (f"{where}: 组长、副组长加每方至少{t.min_per_side}名组员超过人数上限"
                   f"{t.size_max} / leader, deputies and {t.min_per_side} member(s) per side "
                   f"exceed the size {t.size_max}")
        yield from _group_problems(t, where)
        yield from _full_time_problems(t, where)
    for c in inst.candidates:
        if not 0 <= c.minimum <= c.capacity:
            yield (f"干部 {c.key}: 参加组数下限 {c.minimum} 大于上限 {c.capacity} / "
                   f"cadre {c.key}: minimum teams above capacity")
    known = set(keys)
    for a, b in inst.conflicts | inst.past_pairs:
        if a >= b:
            yield f"成对关系须按 (小, 大) 给出 / pairs must be ordered (a < b): {a}, {b}"
    unknown = sorted({c for (c, _u) in inst.recusals if c not in known})
    if unknown:
        yield f"回避记录中的干部不在候选人中 / recusals name non-candidates: {unknown[:5]}"
    for unit, cap in sorted(inst.unit_caps.items()):
        if cap < 0:
            yield (f"单位 {unit}: 本轮抽调人数上限不能为负 ({cap}) / unit {unit}: the cap on "
                   f"people drawn cannot be negative")


def _full_time_problems(t: TeamSpec, where: str) -> Iterable[str]:
    if not 0 <= t.full_time_min <= t.size_max:
        yield (f"{where}: 专职巡察干部至少{t.full_time_min}人，须在0到人数上限{t.size_max}之间 / "
               f"full_time_min {t.full_time_min} must lie between 0 and the size "
               f"{t.size_max}")


def _group_problems(t: TeamSpec, where: str) -> Iterable[str]:
    """Checking groups: distinct codes, each with skills and a size of at least one, and
    room for all of them in the team's size range (k groups hold Σmin…Σmax people)."""
    if not t.groups:
        return
    codes = [g.code for g in t.groups]
    if len(set(codes)) != len(codes):
        yield f"{where}: 检查小组重复 / a checking group is listed twice: {codes}"
    for g in t.groups:
        if not g.skills:
            yield f"{where}: 小组 {g.code} 没有专业特长 / group {g.code} has no skills"
        if not 1 <= g.size_min <= g.size_max:
            yield (f"{where}: 小组 {g.code} 人数范围无效 {g.size_min}–{g.size_max} / "
                   f"group {g.code}: invalid size range")
    low, high = sum(g.size_min for g in t.groups), sum(g.size_max for g in t.groups)
    if low > t.size_max or high < t.size_min:
        yield (f"{where}: {len(t.groups)}个检查小组须{low}–{high}人，本组{t.size_min}–"
               f"{t.size_max}人，无法分组 / {len(t.groups)} checking groups hold {low}–{high}"
               f" members, the team {t.size_min}–{t.size_max}: they cannot fit")
