"""Person attributes: names, 籍贯 and 成长地, and resident ID numbers (GB 11643)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pool.synthetic.common import (
    AS_OF,
    Bools,
    Groups,
    Ints,
    Objects,
    categorical,
    date_parts,
    or_none,
    years,
)
from pool.synthetic.families import Kinship
from pool.synthetic.geography import Geography
from pool.synthetic.names import full_names, given_names, minority_name, rare_name

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = "10X98765432"
RARE_NAMES = 6  # names with a character outside the BMP, per dataset
MINORITY_SHARE = 0.001


@dataclass(frozen=True)
class PersonAttributes:
    names: Objects
    native: Ints  # region row
    grew_up: Ints  # region row
    id_numbers: Objects  # str or None


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident ID number."""
    total = sum(int(c) * int(w) for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_minor(birth: Ints) -> Bools:
    """Under 18 on the snapshot day."""
    return birth > AS_OF - years(18)


def _names(rng: np.random.Generator, kin: Kinship) -> Objects:
    n = kin.size
    two = rng.random(n) < np.where(kin.generation == 2, 0.6, 0.78)  # 单名 popular around 1990
    names = full_names(kin.surname, given_names(rng, kin.male, two, kin.shared_char))
    for k, i in enumerate(rng.choice(n, size=min(RARE_NAMES, n), replace=False).tolist()):
        names[i] = rare_name(rng, int(kin.surname[i]), k)
    n_minority = max(3, round(MINORITY_SHARE * n)) if n >= 50 else 0
    for i in rng.choice(n, size=n_minority, replace=False).tolist():
        names[i] = minority_name(rng, bool(kin.male[i]))
    return names


def _regions(rng: np.random.Generator, geo: Geography, kin: Kinship) -> tuple[Ints, Ints]:
    """籍贯 follows the father's (else the county of origin, sometimes a town or another
    county); 成长地 is mostly a town of the county of origin."""
    n = kin.size
    towns = Groups(geo.town_county, geo.n_counties)
    own_town = towns.draw(rng, kin.county)
    own_town_row = np.where(own_town >= 0, geo.town_rows[np.maximum(own_town, 0)],
                            geo.county_rows[kin.county])
    elsewhere = geo.county_rows[categorical(rng, geo.county_weight, n)]
    r = rng.random(n)
    native = np.where(r < 0.85, geo.county_rows[kin.county],
                      np.where(r < 0.93, own_town_row, elsewhere))
    # children take the father's 籍贯; fathers always come before their children
    for gen in range(1, int(kin.generation.max(initial=0)) + 1):
        kids = np.flatnonzero((kin.generation == gen) & (kin.father >= 0))
        native[kids] = native[kin.father[kids]]
    r = rng.random(n)
    grew_up = np.where(r < 0.7, own_town_row,
                       np.where(r < 0.9, geo.county_rows[kin.county], elsewhere))
    return native, grew_up


def _id_numbers(rng: np.random.Generator, geo: Geography, kin: Kinship,
                grew_up: Ints) -> Objects:
    """Valid, unique 18-digit IDs: county code of 成长地, birth date, a sequence number
    (odd for men, even for women) and the check character. About 8% of adults and half of
    the minors have none on file."""
    n = kin.size
    region = np.array([int(c[:6]) for c in geo.codes.tolist()], dtype=np.int64)[grew_up]
    year, month, mday = date_parts(kin.birth)
    ymd = year * 10000 + month * 100 + mday
    # sequence: distinct within (region, birth date, sex); 000 is never used
    group = (region * 10**8 + ymd) * 2 + kin.male
    base = rng.integers(0, 499, n)
    order = np.argsort(group, kind="stable")
    g_sorted = group[order]
    first = np.ones(n, dtype=bool)
    first[1:] = g_sorted[1:] != g_sorted[:-1]
    idx = np.arange(n)
    start = np.maximum.accumulate(np.where(first, idx, 0)) if n else idx
    k = np.empty(n, dtype=np.int64)
    k[order] = (base[order][start] + idx - start) % 499
    seq = np.where(kin.male, 2 * k + 1, 2 * k + 2)
    prefix = region * 10**11 + ymd * 1000 + seq
    digits = (prefix[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = np.array(list(ID_CHECK), dtype=object)[(digits @ ID_WEIGHTS) % 11]
    numbers = prefix.astype(str).astype(object) + check
    has_id = rng.random(n) < np.where(is_minor(kin.birth), 0.5, 0.92)
    return or_none(has_id, numbers)


def build_person_attributes(rng: np.random.Generator, geo: Geography,
                            kin: Kinship) -> PersonAttributes:
    names = _names(rng, kin)
    native, grew_up = _regions(rng, geo, kin)
    return PersonAttributes(names, native, grew_up, _id_numbers(rng, geo, kin, grew_up))
