"""The inspection-cadre pool: who is in it, rank, skills, pool flags, status, unavailability.

Cadres are drawn among persons currently employed, mostly from party and government
organs; the leader pool (组长库) takes experienced unit leaders aged 42–58.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pool.formats import DEFAULT_SKILLS
from pool.synthetic.careers import Careers
from pool.synthetic.common import (
    AS_OF,
    NO_DAY,
    YEAR,
    Bools,
    Ints,
    Objects,
    categorical,
    day,
    uniform_days,
    weighted_sample,
)
from pool.synthetic.families import Kinship
from pool.synthetic.geography import LEVEL_COUNTY, Units

SKILL_CODES = tuple(c.code for c in DEFAULT_SKILLS)
# finance, audit, discipline, personnel common; engineering and it rare
_SKILL_WEIGHTS = np.array([0.20, 0.17, 0.17, 0.15, 0.07, 0.05, 0.08, 0.05, 0.03, 0.03])
_SKILL_BOOST = {  # system → skills its staff more often have
    "finance": ("finance", "audit"), "state_assets": ("finance", "audit"),
    "politics_law": ("legal", "law_enforcement", "discipline"),
    "market_regulation": ("law_enforcement", "legal"), "environment": ("law_enforcement",),
    "party_mass": ("personnel", "party_building"), "township": ("petition", "party_building"),
    "civil_affairs": ("petition",), "housing": ("engineering",),
    "transport": ("engineering",), "natural_resources": ("engineering", "law_enforcement"),
    "human_resources": ("personnel",),
}
# rank by unit level (province, city, county, town) and career level 0..4
_RANKS = (
    ("level1_principal", "county_deputy", "county_chief", "bureau_deputy", "bureau_chief"),
    ("level2_principal", "section_deputy", "section_chief", "county_deputy", "county_chief"),
    ("staff", "level2_principal", "level1_principal", "section_deputy", "section_chief"),
    ("staff", "level2_principal", "level1_principal", "section_deputy", "section_chief"),
)
_POLITICAL = (("cpc_member", 0.89), ("cpc_probationary", 0.02), ("democratic_party", 0.03),
              ("masses", 0.05), ("cyl_member", 0.01))
_SUSPENSIONS = ("接受组织调查", "病休", "借调外单位工作", "长期外出学习")
_REMOVALS = ("退休", "调离", "本人申请退出", "年度考核不称职")
_UNAVAILABLE = ("参加培训", "病假", "借调", "挂职锻炼", "援派", "产假")
_KIND_WEIGHT = {"organ": 3.0, "township": 2.0, "institution": 1.0, "enterprise": 0.5}


@dataclass(frozen=True)
class CadrePool:
    person: Ints
    home_unit: Ints
    rank: Objects
    political: Objects
    skills: list[list[tuple[str, int]]]
    leader: Bools
    deputy: Bools
    expert: Bools
    reserve: Bools
    newly_promoted: Bools
    status: Objects
    status_reason: Objects
    status_from: Ints
    status_to: Ints
    max_rounds: Ints
    joined: Ints

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class Unavailability:
    cadre: Ints  # row in the pool
    start: Ints
    end: Ints
    reason: Objects


def _select(rng: np.random.Generator, units: Units, kin: Kinship, careers: Careers,
            n_cadres: int, n_leaders: int) -> tuple[Ints, Ints]:
    """Rows of current employment records for the leader pool and for the other cadres."""
    rows = np.flatnonzero(careers.end == NO_DAY)
    age = (AS_OF - kin.birth[careers.person[rows]]) / YEAR
    level = careers.level[rows]
    lead_w = np.where((level >= 3) & (age >= 42) & (age <= 58), 1.0,
                      np.where((level >= 2) & (age >= 38) & (age <= 58), 0.02, 0.0))
    leaders = weighted_sample(rng, lead_w, n_leaders)
    kind_w = np.array([_KIND_WEIGHT.get(k, 1.0) for k in units.kinds.tolist()])
    weight = kind_w[careers.unit[rows]] * ((age >= 27) & (age <= 58)) * (1 + 0.3 * level)
    weight[leaders] = 0.0
    others = weighted_sample(rng, weight, n_cadres - len(leaders))
    return rows[leaders], rows[others]


def _skills(rng: np.random.Generator, systems: Objects) -> list[list[tuple[str, int]]]:
    """One to three distinct skills per cadre with a level 1–5, in the code-list order."""
    n = len(systems)
    weight = np.tile(_SKILL_WEIGHTS, (n, 1))
    for system, boosted in _SKILL_BOOST.items():
        rows = systems == system
        for code in boosted:
            weight[rows, SKILL_CODES.index(code)] *= 2.5
    keys = np.log(weight) + rng.gumbel(size=weight.shape)  # Gumbel top-k: no replacement
    ranked = np.argsort(-keys, axis=1, kind="stable")
    count = 1 + categorical(rng, (0.35, 0.45, 0.20), n)
    levels = 1 + categorical(rng, (0.12, 0.30, 0.30, 0.18, 0.10), n * 3).reshape(n, 3)
    out = []
    for i in range(n):
        chosen = sorted(zip(ranked[i, : count[i]].tolist(), levels[i, : count[i]].tolist(),
                            strict=True))
        out.append([(SKILL_CODES[s], lvl) for s, lvl in chosen])
    return out


def _flag(rng: np.random.Generator, weight: npt.ArrayLike, share: float) -> Bools:
    w = np.asarray(weight, dtype=np.float64)
    flag = np.zeros(len(w), dtype=bool)
    flag[weighted_sample(rng, w, round(share * len(w)))] = True
    return flag


def build_pool(rng: np.random.Generator, units: Units, kin: Kinship, careers: Careers,
               n_cadres: int, n_leaders: int) -> CadrePool:
    lead_rows, other_rows = _select(rng, units, kin, careers, n_cadres, n_leaders)
    rows = np.concatenate([lead_rows, other_rows])
    rows = rows[np.argsort(careers.person[rows], kind="stable")]
    lead_set = np.isin(rows, lead_rows)
    person, unit, level = careers.person[rows], careers.unit[rows], careers.level[rows]
    n = len(rows)
    age = (AS_OF - kin.birth[person]) / YEAR
    unit_level = units.levels[unit]
    rank_level = np.where((level == 0) & (age >= 45), 1, level)
    rank = np.array(_RANKS, dtype=object)[unit_level, rank_level]
    rank[lead_set] = np.where(unit_level[lead_set] < LEVEL_COUNTY, "county_chief",
                              "section_chief")
    political = np.array([p for p, _ in _POLITICAL], dtype=object)[
        categorical(rng, [w for _, w in _POLITICAL], n)]
    political[(age > 28) & (political == "cyl_member")] = "cpc_member"
    skills = _skills(rng, units.systems[unit])
    top_skill = np.array([max(lvl for _, lvl in s) for s in skills])

    deputy = ~lead_set & _flag(rng, np.where(lead_set, 0.0, (level >= 2) + 0.2 * (age >= 40)),
                               0.10)
    political[lead_set | deputy] = "cpc_member"
    expert = _flag(rng, (top_skill >= 4) + 0.05, 0.05)
    reserve = _flag(rng, np.where(lead_set, 0.0, (age <= 45) + 0.05), 0.08)
    recent = careers.start[rows] >= AS_OF - 2 * 365
    newly = _flag(rng, np.where(lead_set, 0.0, (recent & (level >= 1)) + 0.02), 0.05)

    status = np.full(n, "active", dtype=object)
    reason = np.full(n, None, dtype=object)
    s_from = np.full(n, NO_DAY, dtype=np.int64)
    s_to = np.full(n, NO_DAY, dtype=np.int64)
    r = np.where(lead_set | deputy, 1.0, rng.random(n))
    suspended, removed = r < 0.03, (r >= 0.03) & (r < 0.05)
    status[suspended], status[removed] = "suspended", "removed"
    reason[suspended] = np.array(_SUSPENSIONS, dtype=object)[
        rng.integers(0, len(_SUSPENSIONS), int(suspended.sum()))]
    reason[removed] = np.array(_REMOVALS, dtype=object)[
        rng.integers(0, len(_REMOVALS), int(removed.sum()))]
    changed = suspended | removed
    s_from[changed] = uniform_days(rng, np.full(int(changed.sum()), AS_OF - 240), AS_OF - 10)
    s_to[suspended] = s_from[suspended] + uniform_days(
        rng, np.full(int(suspended.sum()), 60), 365)

    joined_lo = np.where(lead_set | deputy, day(2018), day(2019))
    joined_hi = np.where(lead_set | deputy, day(2022, 6, 30), AS_OF - 90)
    joined = np.minimum(np.maximum(uniform_days(rng, joined_lo, joined_hi),
                                   careers.start[rows] + 30), AS_OF - 30)
    return CadrePool(
        person=person, home_unit=unit, rank=rank, political=political, skills=skills,
        leader=lead_set, deputy=deputy, expert=expert, reserve=reserve, newly_promoted=newly,
        status=status, status_reason=reason, status_from=s_from, status_to=s_to,
        max_rounds=np.array([1, 2, 3])[categorical(rng, (0.10, 0.85, 0.05), n)],
        joined=joined,
    )


def build_unavailability(rng: np.random.Generator, pool: CadrePool,
                         male: Bools) -> Unavailability:
    """One period for about 5% of the cadres, around the snapshot day."""
    n = min(len(pool), max(1, round(0.05 * len(pool))))
    cadre = np.sort(rng.choice(len(pool), size=n, replace=False))
    start = uniform_days(rng, np.full(len(cadre), AS_OF - 90), AS_OF + 240)
    end = start + uniform_days(rng, np.full(len(cadre), 7), 180)
    n_reasons = np.where(male[pool.person[cadre]], len(_UNAVAILABLE) - 1, len(_UNAVAILABLE))
    reason = np.array(_UNAVAILABLE, dtype=object)[
        np.floor(rng.random(len(cadre)) * n_reasons).astype(np.int64)]
    return Unavailability(cadre, start, end, reason)
