"""Past inspection rounds (2023–2026), their teams (participations) and evaluations.

Each team has one leader from the leader pool, one or two deputies, members and sometimes
a liaison; nobody serves twice in a round or more rounds a year than allowed, nobody
inspects their own home unit, and every cadre was in the pool before the round began.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pool.synthetic.cadres import CadrePool
from pool.synthetic.common import (
    AS_OF,
    Ints,
    Objects,
    categorical,
    date_parts,
    day,
    uniform_days,
)
from pool.synthetic.geography import LEVEL_CITY, Units

_KINDS = (("regular", 0.55), ("special", 0.2), ("cross", 0.15), ("elevated", 0.1))
_TOPICS = ("乡村振兴", "粮食购销", "医保基金", "教育收费", "国企改革", "工程建设")
_NUMERALS = "一二三四五六七八九十"
_GRADES = (("excellent", 0.2), ("competent", 0.66), ("basic", 0.11), ("incompetent", 0.03))
_SCORES = {"excellent": (90.0, 99.5), "competent": (78.0, 90.0), "basic": (66.0, 78.0),
           "incompetent": (60.0, 66.0)}
_COMMENTS = {
    "excellent": ("政治站位高，发现问题精准，底稿扎实", "业务精通，带头攻坚，作风过硬",
                  "善于发现深层次问题，报告质量高"),
    "competent": ("认真履职，完成分工任务", "遵守巡察纪律，工作较为扎实",
                  "能够按要求完成谈话和查阅资料工作"),
    "basic": ("基本完成任务，发现问题能力有待提高", "工作主动性不足，底稿质量一般"),
    "incompetent": ("未能有效履职，多次未按时完成任务",),
}


@dataclass(frozen=True)
class Rounds:
    keys: list[str]
    names: list[str]
    kinds: list[str]
    start: Ints
    end: Ints


@dataclass(frozen=True)
class Participations:
    round: Ints
    cadre: Ints  # row in the pool
    team_no: Ints
    role: Objects
    target: Ints  # unit row
    second_target: Ints  # unit row or -1


@dataclass(frozen=True)
class Evaluations:
    row: Ints  # participation row
    grade: Objects
    score: np.ndarray
    comment: Objects
    evaluator: Objects
    evaluated_on: Ints


def build_rounds(rng: np.random.Generator, n_rounds: int, region_name: str) -> Rounds:
    """`n_rounds` rounds spread from spring 2023 to summer 2026, 25–60 days each."""
    first, last = day(2023, 3, 1), day(2026, 7, 1)
    spacing = (last - first) / max(n_rounds, 1)
    start = (first + spacing * np.arange(n_rounds)).astype(np.int64) \
        + rng.integers(0, 21, n_rounds)
    kinds = np.array([k for k, _ in _KINDS])[categorical(rng, [p for _, p in _KINDS],
                                                         n_rounds)]
    if n_rounds:
        kinds[0] = "regular"
    if n_rounds >= 4:  # every kind of round at least once
        kinds[rng.permutation(np.arange(1, n_rounds))[:3]] = ["special", "cross", "elevated"]
    length = np.where(kinds == "special", rng.integers(25, 41, n_rounds),
                      rng.integers(35, 61, n_rounds))
    end = np.minimum(start + length, AS_OF - 60)
    year, _, _ = date_parts(start)
    keys, names = [], []
    ordinal: dict[int, int] = {}
    for y, kind in zip(year.tolist(), kinds.tolist(), strict=True):
        ordinal[y] = ordinal.get(y, 0) + 1
        k = ordinal[y]
        keys.append(f"R{y}-{k:02d}")
        suffix = {"special": f"（{_TOPICS[int(rng.integers(len(_TOPICS)))]}专项巡察）",
                  "cross": "（交叉巡察）", "elevated": "（提级巡察）"}.get(kind, "")
        names.append(f"{region_name}委{y}年第{_NUMERALS[k - 1]}轮巡察{suffix}")
    return Rounds(keys, names, kinds.tolist(), start, end)


def build_participations(rng: np.random.Generator, rounds: Rounds, units: Units,
                         pool: CadrePool, teams_per_round: int) -> Participations:
    top = np.flatnonzero(units.parents < 0)
    upper = top[units.levels[top] <= LEVEL_CITY]
    lower = top[units.levels[top] > LEVEL_CITY]
    year, _, _ = date_parts(rounds.start)
    served: dict[int, Ints] = {}  # year -> rounds served per cadre
    rows: list[tuple[int, int, int, str, int, int]] = []
    for r in range(len(rounds.keys)):
        local = rounds.kinds[r] in ("cross", "elevated")
        targets = lower if local and len(lower) else (upper if len(upper) else lower)
        if not len(targets):
            targets = top
        free = _eligible(pool, int(rounds.start[r]), int(rounds.end[r]))
        used_targets: set[int] = set()
        order = rng.permutation(targets)
        team = 0
        for _ in range(teams_per_round):
            picks = [int(u) for u in order.tolist() if u not in used_targets][:2]
            if not picks:
                break
            first = picks[0]
            second = picks[1] if len(picks) > 1 and rng.random() < 0.3 else -1
            used_targets.update(p for p in (first, second) if p >= 0)
            blocked = np.isin(pool.home_unit, [first, second])
            quota = served.setdefault(int(year[r]), np.zeros(len(pool), dtype=np.int64))
            ok = free & ~blocked & (quota < pool.max_rounds)
            team_rows = _staff_team(rng, pool, ok)
            if team_rows is None:
                continue
            team += 1
            for cadre, role in team_rows:
                free[cadre] = False
                quota[cadre] += 1
                rows.append((r, cadre, team, role, first, second))

    def col(i: int, dtype: type) -> np.ndarray:
        return np.array([row[i] for row in rows], dtype=dtype)

    return Participations(round=col(0, np.int64), cadre=col(1, np.int64),
                          team_no=col(2, np.int64), role=col(3, object),
                          target=col(4, np.int64), second_target=col(5, np.int64))


def _eligible(pool: CadrePool, start: int, end: int) -> np.ndarray:
    """In the pool before the round began and active throughout it."""
    active = (pool.status == "active") | (pool.status_from > end)
    return active & (pool.joined <= start)


def _staff_team(rng: np.random.Generator, pool: CadrePool,
                ok: np.ndarray) -> list[tuple[int, str]] | None:
    leaders = np.flatnonzero(ok & pool.leader)
    if not len(leaders):
        return None
    leader = int(rng.choice(leaders))
    ok = ok.copy()
    ok[leader] = False
    size = int(rng.integers(5, 8))
    n_dep = int(rng.integers(1, 3))
    deputies = np.flatnonzero(ok & pool.deputy)
    if len(deputies) < n_dep:
        deputies = np.flatnonzero(ok & ~pool.leader)
    deputies = rng.choice(deputies, size=min(n_dep, len(deputies)), replace=False)
    ok[deputies] = False
    members = np.flatnonzero(ok & ~pool.leader)
    n_mem = min(size - 1 - len(deputies), len(members))
    members = rng.choice(members, size=n_mem, replace=False)
    team = [(leader, "leader")] + [(int(d), "deputy") for d in deputies]
    roles = ["member"] * n_mem
    if n_mem >= 3 and rng.random() < 0.4:
        roles[-1] = "liaison"
    team += [(int(m), role) for m, role in zip(members, roles, strict=True)]
    return team


def build_evaluations(rng: np.random.Generator, rounds: Rounds, parts: Participations,
                      cadre_names: Objects, region_name: str) -> Evaluations:
    """About 85% of the participations get a grade, a score in the grade's band, a
    comment, and an evaluator: the team leader for members, the inspection office for
    the leaders, some days after the round ended."""
    rows = np.flatnonzero(rng.random(len(parts.round)) < 0.85)
    grades = np.array([g for g, _ in _GRADES], dtype=object)[
        categorical(rng, [p for _, p in _GRADES], len(rows))]
    lo = np.array([_SCORES[g][0] for g in grades.tolist()])
    hi = np.array([_SCORES[g][1] for g in grades.tolist()])
    score = np.round(lo + rng.random(len(rows)) * (hi - lo), 1)
    comment = np.array([_COMMENTS[g][int(rng.integers(len(_COMMENTS[g])))]
                        for g in grades.tolist()], dtype=object)
    leader_of = {(int(r), int(t)): int(c) for r, t, c, role in zip(
        parts.round, parts.team_no, parts.cadre, parts.role, strict=True) if role == "leader"}
    office = f"{region_name}委巡察办"
    evaluator = np.array([
        office if parts.role[i] == "leader" else
        f"第{parts.team_no[i]}巡察组组长"
        f"{cadre_names[leader_of[(int(parts.round[i]), int(parts.team_no[i]))]]}"
        for i in rows.tolist()], dtype=object)
    end = rounds.end[parts.round[rows]]
    on = np.minimum(end + uniform_days(rng, np.full(len(rows), 7), 45), AS_OF - 1)
    return Evaluations(rows, grades, score, comment, evaluator, on)
