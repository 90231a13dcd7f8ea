"""A team-assembly instance: the round's teams and requirements, the candidates, the
recusals and within-team conflicts from `conflicts`, and the weights of the soft terms.

Everything is frozen and canonical: `Instance.input_hash` is the sha256 of its canonical
JSON, so the same instance hashes the same on any machine, and a seed commitment can be
published before the draw (`commitment(seed, input_hash)`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

ROLES = ("leader", "deputy", "member")


class InstanceError(ValueError):
    """An instance that cannot be solved as given; the message says what to change."""


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

    def barred(self, cadre: str, team: TeamSpec) -> frozenset[str]:
        """Roles the cadre may not take on `team` (recused from any of its targets)."""
        out: frozenset[str] = frozenset()
        for target in team.targets:
            out |= self.recusals.get((cadre, target), frozenset())
        return out

    def canonical(self) -> dict[str, Any]:
        """Plain data in a fixed order: what the hash covers."""
        return {
            "round": self.round_key,
            "teams": [asdict(t) for t in self.teams],
            "candidates": [asdict(c) for c in self.candidates],
            "recusals": sorted([c, u, sorted(r)] for (c, u), r in self.recusals.items()),
            "conflicts": sorted(list(p) for p in self.conflicts),
            "past_pairs": sorted(list(p) for p in self.past_pairs),
            "suitability": sorted([c, t, v] for (c, t), v in self.suitability.items()),
            "weights": asdict(self.weights),
            "skill_names": sorted(self.skill_names.items()),
        }

    @cached_property
    def input_hash(self) -> str:
        text = json.dumps(self.canonical(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment(seed: int, input_hash: str) -> str:
    """sha256(seed ‖ input hash): publish before the draw, verify after the seed is out."""
    return hashlib.sha256(f"{seed}|{input_hash}".encode()).hexdigest()


def verify_commitment(published: str, seed: int, input_hash: str) -> bool:
    return published == commitment(seed, input_hash)


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
