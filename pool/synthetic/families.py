"""Multi-generation families: births, marriages across families, divorces, remarriages,
step-parents and adoptions, built generation by generation with vectorized numpy.

Four generations are born around 1935–1950, 1960–1975, 1985–2000 and 2008–2020. Every
parent is at least 16 years older than the child, so `parent_of` can never form a cycle;
nobody marries a sibling or a first cousin, and nobody has two marriages at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pool.synthetic.common import (
    AS_OF,
    NO_DAY,
    Bools,
    Ints,
    categorical,
    day,
    expand_ranges,
    group_rank,
    uniform_days,
    years,
)
from pool.synthetic.geography import Geography
from pool.synthetic.names import draw_surnames

# Persons produced per founding couple, measured on large runs; sizes the founder count.
PERSONS_PER_FOUNDER = 9.4

_GENERATIONS = (  # per generation after the founders: latest birth year, children per couple
    (1980, (0.05, 0.12, 0.28, 0.30, 0.17, 0.08)),
    (2004, (0.08, 0.47, 0.38, 0.07)),
    (2026, (0.20, 0.50, 0.27, 0.03)),
)
_MARRY = ((0.92, 0.35), (0.85, 0.35))  # per generation: share marrying, share marrying outside
BIRTH, ADOPTIVE, STEP = 0, 1, 2


@dataclass
class _Family:
    """Columnar persons and couples, growing block by block (each attribute a list of
    array blocks until `col` joins them)."""

    male: list[Bools] = field(default_factory=list)
    birth: list[Ints] = field(default_factory=list)
    county: list[Ints] = field(default_factory=list)  # county of origin
    father: list[Ints] = field(default_factory=list)
    mother: list[Ints] = field(default_factory=list)
    couple_of_birth: list[Ints] = field(default_factory=list)  # parents' couple or -1
    surname: list[Ints] = field(default_factory=list)
    shared_char: list[Ints] = field(default_factory=list)  # generation character or -1
    generation: list[Ints] = field(default_factory=list)
    husband: list[Ints] = field(default_factory=list)
    wife: list[Ints] = field(default_factory=list)
    start: list[Ints] = field(default_factory=list)
    end: list[Ints] = field(default_factory=list)
    couple_county: list[Ints] = field(default_factory=list)
    size: int = 0
    n_couples: int = 0

    def add_persons(self, male: Bools, birth: Ints, county: Ints, generation: Ints | int, *,
                    surname: Ints, father: Ints | None = None, mother: Ints | None = None,
                    couple: Ints | None = None, shared_char: Ints | None = None) -> Ints:
        n = len(male)
        none = np.full(n, -1, dtype=np.int64)
        self.male.append(male)
        self.birth.append(birth)
        self.county.append(county)
        self.father.append(none if father is None else father)
        self.mother.append(none if mother is None else mother)
        self.couple_of_birth.append(none if couple is None else couple)
        self.surname.append(surname)
        self.shared_char.append(none if shared_char is None else shared_char)
        self.generation.append(np.broadcast_to(np.asarray(generation, np.int64), (n,)).copy())
        self.size += n
        return np.arange(self.size - n, self.size, dtype=np.int64)

    def add_couples(self, husband: Ints, wife: Ints, start: Ints, county: Ints) -> Ints:
        n = len(husband)
        self.husband.append(husband)
        self.wife.append(wife)
        self.start.append(start)
        self.end.append(np.full(n, NO_DAY, dtype=np.int64))
        self.couple_county.append(county)
        self.n_couples += n
        return np.arange(self.n_couples - n, self.n_couples, dtype=np.int64)

    def col(self, name: str) -> Ints:
        """One column as a single array (the blocks are joined once and kept joined)."""
        blocks = getattr(self, name)
        if len(blocks) != 1:
            blocks[:] = [np.concatenate(blocks)]
        joined: Ints = blocks[0]
        return joined


@dataclass(frozen=True)
class Kinship:
    """The finished families: per person, per couple, and the parent_of edges."""

    male: Bools
    birth: Ints
    county: Ints  # county of origin
    home: Ints  # county of residence: the latest marriage's county, else of origin
    father: Ints  # birth parents, -1 when not in the data
    mother: Ints
    surname: Ints
    shared_char: Ints
    generation: Ints
    husband: Ints  # couples
    wife: Ints
    start: Ints
    end: Ints  # NO_DAY while the marriage lasts
    parent: Ints  # parent_of edges
    child: Ints
    parent_kind: Ints  # BIRTH, ADOPTIVE or STEP
    parent_start: Ints  # NO_DAY for birth

    @property
    def size(self) -> int:
        return len(self.birth)


def _marriage_start(rng: np.random.Generator, h_birth: Ints, w_birth: Ints) -> Ints:
    """A wedding day once both are of marriageable age (22 and 20)."""
    earliest = np.maximum(h_birth + years(22), w_birth + years(20))
    return earliest + years(rng.gamma(1.5, 1.2, len(h_birth)))


def _bear(rng: np.random.Generator, fam: _Family, couples: Ints, latest: int,
          probs: tuple[float, ...], generation: int) -> Ints:
    """Children of `couples`: the first about a year after the wedding, then every 1–4
    years, while the mother is at most 42, up to the end of year `latest`."""
    birth, surname = fam.col("birth"), fam.col("surname")
    husband, wife = fam.col("husband")[couples], fam.col("wife")[couples]
    start, county = fam.col("start")[couples], fam.col("couple_county")[couples]
    counts = categorical(rng, probs, len(couples))
    shared = np.where(rng.random(len(couples)) < 0.4, rng.integers(0, 10**6, len(couples)), -1)
    rep = np.repeat(np.arange(len(couples)), counts)
    first = np.ones(len(rep), dtype=bool)
    first[1:] = rep[1:] != rep[:-1]
    gaps = np.where(first, 300 + years(rng.gamma(1.5, 0.8, len(rep))),
                    years(rng.uniform(1.2, 4.0, len(rep))))
    total = np.cumsum(gaps)
    eldest = np.maximum.accumulate(np.where(first, np.arange(len(rep)), 0))
    born = start[rep] + total - (total - gaps)[eldest]  # wedding + this family's gaps so far
    limit = np.minimum.reduce([np.full(len(rep), day(latest, 12, 31)),
                               birth[wife[rep]] + years(42), np.full(len(rep), AS_OF - 30)])
    ok = born <= limit
    rep, born = rep[ok], born[ok]
    dad, mum = husband[rep], wife[rep]
    return fam.add_persons(
        rng.random(len(rep)) < 0.51, born, county[rep], generation,
        father=dad, mother=mum, couple=couples[rep],
        surname=np.where(rng.random(len(rep)) < 0.95, surname[dad], surname[mum]),
        shared_char=shared[rep],
    )


def _kin_conflict(fam: _Family, men: Ints, women: Ints) -> Bools:
    """True where the pair shares parents or grandparents (siblings, first cousins)."""
    cob = np.append(fam.col("couple_of_birth"), -1)  # index -1 reads "unknown"
    father, mother = np.append(fam.col("father"), -1), np.append(fam.col("mother"), -1)
    conflict = (cob[men] == cob[women]) & (cob[men] >= 0)
    for a in (cob[father[men]], cob[mother[men]]):
        for b in (cob[father[women]], cob[mother[women]]):
            conflict |= (a == b) & (a >= 0)
    return conflict


def _rank_keys(groups: Ints) -> Ints:
    """group * 10**8 + the element's position within its group."""
    return groups * 10**8 + group_rank(groups)


def _marry(rng: np.random.Generator, fam: _Family, geo: Geography, people: Ints,
           p_marry: float, p_outside: float) -> Ints:
    """Marry `people` to each other (mostly within their county, similar ages, never kin)
    or to newcomers from outside the data; returns the new couples."""
    birth, male, county = fam.col("birth"), fam.col("male"), fam.col("county")
    wants = rng.random(len(people)) < p_marry
    outside = wants & (rng.random(len(people)) < p_outside)
    market = people[wants & ~outside]
    mkt = np.where(rng.random(len(market)) < 0.85, county[market],
                   categorical(rng, geo.county_weight, len(market)))
    age_key = birth[market] + years(rng.normal(0, 1.5, len(market))) \
        - np.where(male[market], 0, years(2.5))
    is_m = male[market]
    order_m = np.lexsort((age_key[is_m], mkt[is_m]))
    order_w = np.lexsort((age_key[~is_m], mkt[~is_m]))
    _, im, iw = np.intersect1d(_rank_keys(mkt[is_m][order_m]), _rank_keys(mkt[~is_m][order_w]),
                               return_indices=True)
    h, w = market[is_m][order_m][im], market[~is_m][order_w][iw]
    ok = ~_kin_conflict(fam, h, w)
    h, w = h[ok], w[ok]
    h_start = _marriage_start(rng, birth[h], birth[w])
    keep = h_start <= AS_OF - 30
    h, w, h_start = h[keep], w[keep], h_start[keep]
    h_county = np.where(rng.random(len(h)) < 0.8, county[h], county[w])

    paired = np.zeros(fam.size, dtype=bool)
    paired[h] = paired[w] = True
    leftover = market[~paired[market] & (rng.random(len(market)) < 0.7)]
    movers = np.concatenate([people[outside], leftover])
    # newcomers marrying in: opposite sex, similar age, often from the same county
    m_male = male[movers]
    gap = years(np.clip(rng.normal(2.5, 2.5, len(movers)), -6, 10))
    o_birth = birth[movers] + np.where(m_male, gap, -gap)  # husbands a little older
    o_start = _marriage_start(rng, np.where(m_male, birth[movers], o_birth),
                              np.where(m_male, o_birth, birth[movers]))
    keep = o_start <= AS_OF - 30
    movers, m_male, o_birth, o_start = movers[keep], m_male[keep], o_birth[keep], o_start[keep]
    o_county = np.where(rng.random(len(movers)) < 0.6, county[movers],
                        categorical(rng, geo.county_weight, len(movers)))
    newcomers = fam.add_persons(~m_male, o_birth, o_county, fam.col("generation")[movers],
                                surname=draw_surnames(rng, len(movers)))
    m_county = np.where(rng.random(len(movers)) < 0.85, county[movers], o_county)
    return fam.add_couples(
        np.concatenate([h, np.where(m_male, movers, newcomers)]),
        np.concatenate([w, np.where(m_male, newcomers, movers)]),
        np.concatenate([h_start, o_start]), np.concatenate([h_county, m_county]),
    )


def _divorce_and_remarry(rng: np.random.Generator, fam: _Family, couples: Ints,
                         children: Ints) -> tuple[Ints, Ints, Ints]:
    """End ~6% of `couples` some years after their last child; about half of the
    ex-spouses remarry a newcomer, who becomes step-parent of the earlier children who
    are still minors.
    Returns the step edges (step parent, child, start)."""
    birth, cob, start = fam.col("birth"), fam.col("couple_of_birth"), fam.col("start")
    last_child = np.full(fam.n_couples, NO_DAY, dtype=np.int64)
    np.maximum.at(last_child, cob[children], birth[children])
    chosen = couples[rng.random(len(couples)) < 0.06]
    end = np.maximum(start[chosen] + years(2), last_child[chosen] + years(1)) \
        + years(rng.uniform(0, 8, len(chosen)))
    ok = end <= AS_OF - years(1)
    chosen, end = chosen[ok], end[ok]
    fam.col("end")[chosen] = end

    husband, wife, male = fam.col("husband"), fam.col("wife"), fam.col("male")
    who = np.concatenate([husband[chosen], wife[chosen]])
    old = np.concatenate([chosen, chosen])
    new_start = np.concatenate([end, end]) + uniform_days(rng, np.full(len(who), 180), years(5))
    ok = (rng.random(len(who)) < 0.55) & (new_start <= AS_OF - 30)
    who, old, new_start = who[ok], old[ok], new_start[ok]
    w_male = male[who]
    of_age = new_start - np.where(w_male, years(20), years(22))  # the newcomer's latest birth
    o_birth = np.minimum(birth[who] + years(rng.uniform(-8, 5, len(who))), of_age)
    county = fam.col("couple_county")[old]
    newcomers = fam.add_persons(~w_male, o_birth, county, fam.col("generation")[who],
                                surname=draw_surnames(rng, len(who)))
    fam.add_couples(np.where(w_male, who, newcomers), np.where(w_male, newcomers, who),
                    new_start, county)

    birth, cob = fam.col("birth"), fam.col("couple_of_birth")
    kids = children[np.argsort(cob[children], kind="stable")]
    rep, pos = expand_ranges(np.searchsorted(cob[kids], old, side="left"),
                             np.searchsorted(cob[kids], old, side="right"))
    step_parent, kid = newcomers[rep], kids[pos]
    # a step-parent relation forms with a child who is still a minor at the wedding
    ok = (birth[step_parent] <= birth[kid] - years(16)) & (new_start[rep] < birth[kid] + years(18))
    return step_parent[ok], kid[ok], new_start[rep][ok]


def _adopt(rng: np.random.Generator, fam: _Family, couples: Ints,
           children: Ints) -> tuple[Ints, Ints, Ints]:
    """A few of `children` are adopted by childless, married `couples` who are at least 16
    years older. Returns adoptive edges (parent, child, start)."""
    birth, cob = fam.col("birth"), fam.col("couple_of_birth")
    has_kids = np.zeros(fam.n_couples, dtype=bool)
    has_kids[cob[children]] = True
    childless = couples[~has_kids[couples] & (fam.col("end")[couples] == NO_DAY)]
    n = min(len(childless), max(1, round(0.015 * len(children))) if len(children) else 0)
    kids = rng.permutation(children)[:n]
    adopters = rng.permutation(childless)[:n]
    husband, wife = fam.col("husband")[adopters], fam.col("wife")[adopters]
    when = np.maximum(birth[kids] + uniform_days(rng, np.zeros(n, np.int64), years(3)),
                      fam.col("start")[adopters] + years(1))
    ok = (np.maximum(birth[husband], birth[wife]) <= birth[kids] - years(16)) \
        & (when <= AS_OF - 30) & (when < birth[kids] + years(14))
    kids, husband, wife, when = kids[ok], husband[ok], wife[ok], when[ok]
    return (np.concatenate([husband, wife]), np.concatenate([kids, kids]),
            np.concatenate([when, when]))


def build_families(rng: np.random.Generator, geo: Geography, persons: int) -> Kinship:
    """About `persons` people in four generations of intermarried families."""
    fam = _Family()
    n = max(2, round(persons / PERSONS_PER_FOUNDER))
    county = categorical(rng, geo.county_weight, n)
    w_birth = uniform_days(rng, np.full(n, day(1934)), day(1949, 12, 31))
    h_birth = w_birth - years(np.clip(rng.normal(2.5, 2.0, n), -3, 8))
    husbands = fam.add_persons(np.ones(n, bool), h_birth, county, 0,
                               surname=draw_surnames(rng, n))
    wives = fam.add_persons(np.zeros(n, bool), w_birth, county, 0,
                            surname=draw_surnames(rng, n))
    couples = fam.add_couples(husbands, wives, _marriage_start(rng, h_birth, w_birth), county)
    first_marriages, generations = [], []
    for gen, (latest, probs) in enumerate(_GENERATIONS, start=1):
        kids = _bear(rng, fam, couples, latest, probs, gen)
        generations.append(kids)
        if gen <= len(_MARRY):
            couples = _marry(rng, fam, geo, kids, *_MARRY[gen - 1])
            first_marriages.append(couples)
    children = np.concatenate(generations)
    step_parent, step_child, step_start = _divorce_and_remarry(
        rng, fam, np.concatenate(first_marriages), children)
    adopt_parent, adopt_child, adopt_start = _adopt(rng, fam, first_marriages[-1],
                                                    generations[-1])

    father, mother = fam.col("father"), fam.col("mother")
    born = np.flatnonzero(father >= 0)
    n_born, n_adopt, n_step = len(born), len(adopt_child), len(step_child)
    husband, wife, end = fam.col("husband"), fam.col("wife"), fam.col("end")
    home = fam.col("county").copy()
    c_county = fam.col("couple_county")
    for idx in (np.flatnonzero(end != NO_DAY), np.flatnonzero(end == NO_DAY)):
        home[husband[idx]] = c_county[idx]  # the current marriage is written last
        home[wife[idx]] = c_county[idx]
    return Kinship(
        male=fam.col("male").astype(bool), birth=fam.col("birth"), county=fam.col("county"),
        home=home,
        father=father, mother=mother, surname=fam.col("surname"),
        shared_char=fam.col("shared_char"), generation=fam.col("generation"),
        husband=husband, wife=wife, start=fam.col("start"), end=end,
        parent=np.concatenate([father[born], mother[born], adopt_parent, step_parent]),
        child=np.concatenate([born, born, adopt_child, step_child]),
        parent_kind=np.repeat(np.array([BIRTH, ADOPTIVE, STEP]),
                              [2 * n_born, n_adopt, n_step]),
        parent_start=np.concatenate([np.full(2 * n_born, NO_DAY, np.int64), adopt_start,
                                     step_start]),
    )
