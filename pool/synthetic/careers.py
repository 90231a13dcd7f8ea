"""Employment histories of working-age persons (born 1955–2000) in the units.

A career starts after school, is split into one to four consecutive posts, and ends at
retirement or stays open. Most posts are in the unit pool of the county a person lives in
(so relatives tend to work in the same county), some in the city or province pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pool.synthetic.common import (
    AS_OF,
    NO_DAY,
    YEAR,
    Bools,
    Groups,
    Ints,
    day,
    group_rank,
    years,
)
from pool.synthetic.families import Kinship
from pool.synthetic.geography import Geography, Units

EMPLOYED_SHARE = 0.8  # working-age persons with posts in the units; the rest work elsewhere
_LEVEL_THRESHOLDS = (4.0, 9.0, 16.0, 23.0)  # seniority score (years) for levels 1..4
_CEILING = (0.2, 0.25, 0.33, 0.15, 0.07)  # share of careers that top out at each level


@dataclass(frozen=True)
class Careers:
    """Employment records, sorted by person and start."""

    person: Ints
    unit: Ints
    level: Ints  # 0 staff … 4 head of unit
    start: Ints
    end: Ints  # NO_DAY while current
    current: Ints  # per person: their current record, or -1

    def __len__(self) -> int:
        return len(self.person)


def _pool_fallback(units: Units, geo: Geography) -> Ints:
    """For every pool, itself when it has units, else the nearest non-empty pool above."""
    sizes = np.bincount(units.pools, minlength=units.n_pools)
    n_c, n_ct = geo.n_counties, geo.n_cities
    province = n_c + n_ct
    any_pool = int(np.flatnonzero(sizes)[0])
    fallback = np.arange(units.n_pools)
    if sizes[province] == 0:
        fallback[province] = any_pool
    for c in range(n_ct):
        if sizes[n_c + c] == 0:
            fallback[n_c + c] = fallback[province]
    county_pool = n_c + geo.county_city
    empty = sizes[:n_c] == 0
    fallback[:n_c] = np.where(empty, fallback[county_pool], fallback[:n_c])
    return fallback


def _draw_pools(rng: np.random.Generator, geo: Geography, county: Ints, n_pools: int) -> Ints:
    """A pool per record: home county 70%, its city 20%, province 3%, a neighbour 7%."""
    n = len(county)
    city = geo.county_city[county]
    same_city = Groups(geo.county_city, geo.n_cities)
    r = rng.random(n)
    neighbour = same_city.draw(rng, city)
    return np.select(
        [r < 0.7, r < 0.9, r < 0.93],
        [county, geo.n_counties + city, np.full(n, n_pools - 1)],
        default=neighbour,
    )


def build_careers(rng: np.random.Generator, geo: Geography, units: Units,
                  kin: Kinship) -> Careers:
    birth = kin.birth
    cand = np.flatnonzero((birth >= day(1955)) & (birth <= day(2000, 12, 31))
                          & (rng.random(kin.size) < EMPLOYED_SHARE))
    c_start = birth[cand] + years(rng.uniform(21.5, 26.0, len(cand)))
    keep = c_start <= AS_OF - 180
    cand, c_start = cand[keep], c_start[keep]
    n = len(cand)
    retire_age = np.where(kin.male[cand] | (rng.random(n) < 0.5), 60.0, 55.0)
    c_end = birth[cand] + years(retire_age)
    early = rng.random(n) < 0.04
    c_end = np.where(early, c_start + ((np.minimum(c_end, AS_OF) - c_start)
                                       * rng.uniform(0.3, 0.9, n)).astype(np.int64), c_end)
    c_end = np.where(c_end >= AS_OF, NO_DAY, c_end)
    span = np.where(c_end == NO_DAY, AS_OF, c_end) - c_start
    count = np.minimum(1 + rng.poisson(span / YEAR / 9.0), 4)

    # records: the first at the career start, the others at sorted random points
    who = np.repeat(np.arange(n), count)
    first = np.ones(len(who), dtype=bool)
    first[1:] = who[1:] != who[:-1]
    u = np.where(first, 0.0, rng.uniform(0.05, 1.0, len(who)))
    order = np.lexsort((u, who))
    who, u = who[order], u[order]
    start = c_start[who] + (u * span[who]).astype(np.int64)
    prev_ok = np.ones(len(who), dtype=bool)
    prev_ok[1:] = (who[1:] != who[:-1]) | (start[1:] >= start[:-1] + 180)
    who, start = who[prev_ok], start[prev_ok]
    last = np.ones(len(who), dtype=bool)
    last[:-1] = who[1:] != who[:-1]
    next_start = np.append(start[1:], NO_DAY)
    gap = np.where(rng.random(len(who)) < 0.8, 1, rng.integers(1, 61, len(who)))
    end = np.where(last, c_end[who], next_start - gap)

    # units: a new pool on a move (35%), otherwise the previous record's pool
    first = np.ones(len(who), dtype=bool)
    first[1:] = who[1:] != who[:-1]
    pools = _draw_pools(rng, geo, kin.home[cand[who]], units.n_pools)
    moved = first | (rng.random(len(who)) < 0.35)
    idx = np.arange(len(who))
    pools = _pool_fallback(units, geo)[pools[np.maximum.accumulate(np.where(moved, idx, 0))]]
    unit = Groups(units.pools, units.n_pools, units.weights).draw(rng, pools)

    # levels rise with seniority and never fall within a career
    seniority = (start - c_start[who]) / YEAR + rng.normal(0, 3.5, len(who))
    level = np.searchsorted(np.array(_LEVEL_THRESHOLDS), seniority).astype(np.int64)
    level = np.maximum.accumulate(level + who * 10) - who * 10
    ceiling = np.searchsorted(np.cumsum(_CEILING), rng.random(n), side="right")
    level = np.minimum(level, ceiling[who])
    level = _cap_leaders(rng, unit, level, end == NO_DAY)

    person = cand[who]
    current = np.full(kin.size, -1, dtype=np.int64)
    open_rows = np.flatnonzero(end == NO_DAY)
    current[person[open_rows]] = open_rows
    return Careers(person, unit, level, start, end, current)


def _cap_leaders(rng: np.random.Generator, unit: Ints, level: Ints, is_open: Bools) -> Ints:
    """At most one current head (level 4) and four current deputies (level 3) per unit."""
    level = level.copy()
    noise = rng.permutation(len(unit))
    for lvl, cap in ((4, 1), (3, 4)):
        rows = np.flatnonzero(is_open & (level == lvl))
        rows = rows[np.argsort(noise[rows], kind="stable")]
        excess = rows[group_rank(unit[rows]) >= cap]
        level[excess] = lvl - 1
    return level

