"""Ties between persons (and units): kinship from the families, declared relations,
schooling ties, former superiors, and relatives' business interests in units.

Each builder returns a `TiePart` (persons as row numbers, days as day numbers);
`frames.ties_rows` stacks the parts, in this order, into the ties table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pool.synthetic.cadres import CadrePool
from pool.synthetic.careers import Careers
from pool.synthetic.common import (
    AS_OF,
    NO_DAY,
    YEAR,
    Bools,
    Groups,
    Ints,
    categorical,
    date_parts,
    day,
    or_none,
    uniform_days,
    years,
)
from pool.synthetic.families import ADOPTIVE, STEP, Kinship
from pool.synthetic.geography import Units

KINDS = ("parent_of", "spouse_of", "declared", "schooling", "supervisor_of",
         "business_interest")
SOURCES = ("personnel_file", "personal_report", "declaration", "organization", "other")
# declared category, share, and how many years older the other person is (range) or None
_DECLARED = (
    ("friend", 0.35, None), ("former_colleague", 0.22, None), ("cousin", 0.14, (-12, 12)),
    ("sibling", 0.04, (-10, 10)), ("uncle_aunt", 0.05, (15, 40)),
    ("nephew_niece", 0.04, (-40, -15)), ("sibling_in_law", 0.04, (-12, 12)),
    ("collateral_spouse", 0.02, (-15, 15)), ("other", 0.10, None),
)
DECLARED_PER_PERSON = 0.5
SCHOOLING_PER_PERSON = 0.4
SUPERVISION_TRIES = (0.2, 0.3, 0.5)  # per subordinate record: 0, 1 or 2 tries
BUSINESS_CADRE_SHARE = 0.3
BUSINESS_PERSON_SHARE = 0.004


@dataclass(frozen=True)
class TiePart:
    """Ties of one kind (an index into KINDS)."""

    kind: int
    subject: Ints
    obj: Ints  # person, or unit for business_interest
    category: list[str] | np.ndarray  # per row, "" for none
    start: Ints
    end: Ints
    source: Ints  # index into SOURCES
    adoptive: Bools | None = None
    step: Bools | None = None
    note: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.subject)


def _no_days(n: int) -> Ints:
    return np.full(n, NO_DAY, dtype=np.int64)


def _dedupe(subject: Ints, obj: Ints, n: int) -> Ints:
    """Rows to keep: the first of each unordered pair, and never a person with themself."""
    a, b = np.minimum(subject, obj), np.maximum(subject, obj)
    _, first = np.unique(a * n + b, return_index=True)
    first = np.sort(first)
    return first[subject[first] != obj[first]]


def kinship_parts(rng: np.random.Generator, kin: Kinship) -> list[TiePart]:
    n_p = len(kin.parent)
    adoptive, step = kin.parent_kind == ADOPTIVE, kin.parent_kind == STEP
    note = np.full(n_p, None, dtype=object)
    note[adoptive], note[step] = "收养", "继父母子女"
    src = np.where(rng.random(n_p) < 0.9, 0, 1)
    parents = TiePart(0, kin.parent, kin.child, np.full(n_p, "", dtype=object),
                      kin.parent_start, _no_days(n_p), src, adoptive, step, note)
    n_c = len(kin.husband)
    note = or_none(kin.end != NO_DAY, "离婚")
    spouses = TiePart(1, kin.husband, kin.wife, np.full(n_c, "", dtype=object), kin.start,
                      kin.end, np.where(rng.random(n_c) < 0.9, 0, 1), note=note)
    return [parents, spouses]


def declared_part(rng: np.random.Generator, kin: Kinship, careers: Careers,
                  pool: CadrePool) -> TiePart:
    """Relations people declare themselves: friends, former colleagues, and kin whose
    linking relatives are not on file (so the kinship cannot be derived)."""
    n_persons = kin.size
    adult = kin.birth <= AS_OF - years(18)
    weight = np.where(careers.current >= 0, 1.0, 0.05) * adult
    weight[pool.person] = 5.0
    n = round(DECLARED_PER_PERSON * n_persons)
    cum = np.cumsum(weight)
    subject = np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"),
                         n_persons - 1)
    cat = categorical(rng, [s for _, s, _ in _DECLARED], n)
    home = kin.home
    adults = Groups(home, int(home.max()) + 1, adult.astype(np.float64))
    obj = adults.draw(rng, home[subject])
    # former colleagues: someone from one of the subject's units
    colleague = cat == 1
    by_person = Groups(careers.person, n_persons)
    by_unit = Groups(careers.unit, int(careers.unit.max(initial=0)) + 1)
    rec = by_person.draw(rng, subject[colleague])
    mate = by_unit.draw(rng, careers.unit[np.maximum(rec, 0)])
    obj[colleague] = np.where((rec >= 0) & (mate >= 0), careers.person[np.maximum(mate, 0)],
                              obj[colleague])
    # kin: relatives without parents on file, of a fitting age, from the same county
    orphan = adult & (kin.father < 0) & (kin.mother < 0)
    strays = Groups(home, int(home.max()) + 1, orphan.astype(np.float64))
    ok = np.ones(n, dtype=bool)
    for c, (_, _, gap) in enumerate(_DECLARED):
        if gap is None:
            continue
        rows = np.flatnonzero(cat == c)
        found = np.full(len(rows), -1, dtype=np.int64)
        for _ in range(4):
            cand = strays.draw(rng, home[subject[rows]])
            older = (kin.birth[subject[rows]] - kin.birth[np.maximum(cand, 0)]) / YEAR
            fits = (cand >= 0) & (found < 0) & (older >= gap[0]) & (older <= gap[1])
            found[fits] = cand[fits]
        obj[rows] = found
        ok[rows] = found >= 0
    spouse = _current_spouse(kin)
    ok &= (obj >= 0) & (spouse[subject] != obj)
    subject, obj, cat = subject[ok], obj[ok], cat[ok]
    keep = _dedupe(subject, obj, n_persons)
    subject, obj, cat = subject[keep], obj[keep], cat[keep]
    codes = np.array([c for c, _, _ in _DECLARED], dtype=object)
    m = len(subject)
    return TiePart(2, subject, obj, codes[cat], _no_days(m), _no_days(m),
                   np.where(rng.random(m) < 0.6, 2, 1))


def _current_spouse(kin: Kinship) -> Ints:
    spouse = np.full(kin.size, -1, dtype=np.int64)
    now = kin.end == NO_DAY
    spouse[kin.husband[now]] = kin.wife[now]
    spouse[kin.wife[now]] = kin.husband[now]
    return spouse


def schooling_part(rng: np.random.Generator, kin: Kinship, careers: Careers) -> TiePart:
    """Classmates (similar age, same county), fellow students of one supervisor, and
    teachers with their students, among people with a career in the units."""
    people = np.unique(careers.person)
    n = round(SCHOOLING_PER_PERSON * kin.size) if len(people) > 1 else 0
    cat = categorical(rng, (0.25, 0.15, 0.60), n)  # teacher_student, same_supervisor, classmate
    birth = kin.birth
    by_county = people[np.lexsort((birth[people], kin.county[people]))]
    by_birth = people[np.argsort(birth[people], kind="stable")]
    m = len(people)
    i = rng.integers(0, max(m, 1), n)
    subject = np.where(cat == 2, by_county[i], by_birth[i])
    near = np.minimum(i + rng.integers(1, np.where(cat == 2, 9, 41)), m - 1)
    obj = np.where(cat == 2, by_county[near], by_birth[near])
    classmates = cat == 2
    classmates &= kin.county[subject] == kin.county[obj]
    # teacher_student: the subject is the teacher, 12–40 years older than the student
    ts = np.flatnonzero(cat == 0)
    student = by_birth[i[ts]]
    lo = np.searchsorted(birth[by_birth], birth[student] - years(40))
    hi = np.searchsorted(birth[by_birth], birth[student] - years(12))
    teacher = by_birth[np.minimum(lo + np.floor(rng.random(len(ts)) * (hi - lo)).astype(
        np.int64), m - 1)]
    subject[ts], obj[ts] = teacher, student
    teaching = np.zeros(n, dtype=bool)
    teaching[ts[hi > lo]] = True
    valid = (cat == 1) | classmates | teaching
    subject, obj, cat = subject[valid], obj[valid], cat[valid]
    keep = _dedupe(subject, obj, kin.size)
    subject, obj, cat = subject[keep], obj[keep], cat[keep]
    younger = np.where(birth[subject] > birth[obj], subject, obj)
    y, _, _ = date_parts(birth[np.where(cat == 0, obj, younger)])
    college = (y + 18 - 1970) * 365.2425  # about September of the year the student is 18
    start = (np.rint(college).astype(np.int64) + 243)
    start = np.where(cat == 1, start + years(4), start)
    end = np.where(cat == 1, NO_DAY, start + years(4) - 70)
    codes = np.array(["teacher_student", "same_supervisor", "classmate"], dtype=object)
    return TiePart(3, subject, obj, codes[cat], start, end,
                   np.where(rng.random(len(subject)) < 0.5, 0, 1))


def supervision_part(rng: np.random.Generator, careers: Careers, n_persons: int) -> TiePart:
    """Former (or current) direct superiors: a higher-level colleague in the same unit
    whose time there overlapped the subordinate's by at least 90 days."""
    tries = categorical(rng, SUPERVISION_TRIES, len(careers))
    sub = np.repeat(np.arange(len(careers)), tries)
    seniors = Groups(careers.unit, int(careers.unit.max(initial=0)) + 1,
                     (careers.level >= 1).astype(np.float64))
    sup = seniors.draw(rng, careers.unit[sub])
    far = AS_OF + 1
    s_end = np.where(careers.end == NO_DAY, far, careers.end)
    sup_ok = np.maximum(sup, 0)
    start = np.maximum(careers.start[sub], careers.start[sup_ok])
    end = np.minimum(s_end[sub], s_end[sup_ok])
    ok = (sup >= 0) & (careers.level[sup_ok] > careers.level[sub]) & (end >= start + 90) \
        & (careers.person[sup_ok] != careers.person[sub])
    sub, sup, start, end = sub[ok], sup[ok], start[ok], end[ok]
    subject, obj = careers.person[sup], careers.person[sub]
    _, first = np.unique(subject * n_persons + obj, return_index=True)
    first = np.sort(first)
    m = len(first)
    return TiePart(4, subject[first], obj[first], np.full(m, "", dtype=object),
                   start[first], np.where(end[first] == far, NO_DAY, end[first]),
                   np.zeros(m, dtype=np.int64))


def business_part(rng: np.random.Generator, kin: Kinship, units: Units, careers: Careers,
                  pool: CadrePool) -> TiePart:
    """Relatives of some cadres (spouse, adult child or sibling) and a few other adults hold
    shares in, run, or supply a unit near where the cadre works."""
    picked = np.flatnonzero(rng.random(len(pool)) < BUSINESS_CADRE_SHARE)
    cadre = pool.person[picked]
    adult = kin.birth <= AS_OF - years(20)
    child_of = _ChildLookup(kin, adult)
    child = child_of.draw(rng, cadre, kin.male[cadre])
    linking = np.where(kin.father[cadre] >= 0, kin.father[cadre], kin.mother[cadre])
    sibling = child_of.draw(rng, np.maximum(linking, 0), kin.father[cadre] >= 0)
    sibling[(linking < 0) | (sibling == cadre)] = -1
    spouse = _current_spouse(kin)[cadre]
    r = rng.random(len(cadre))
    relative = np.select([r < 0.45, r < 0.75], [spouse, child], default=sibling)
    for option in (spouse, child, sibling):
        relative = np.where(relative >= 0, relative, option)
    others = np.flatnonzero(adult & (rng.random(kin.size) < BUSINESS_PERSON_SHARE))
    near_pool = units.pools[pool.home_unit[picked]]  # where the cadre works
    subject = np.concatenate([relative, others])
    pools = np.concatenate([near_pool, kin.home[others]])  # county pools come first
    ok = subject >= 0
    subject, pools = subject[ok], pools[ok]
    sizes = np.bincount(units.pools, minlength=units.n_pools)
    pools = np.where(sizes[pools] > 0, pools, units.pools[0])
    enterprise_w = np.where(units.kinds == "enterprise", 6.0, 1.0)  # firms hold stakes
    unit = Groups(units.pools, units.n_pools, enterprise_w).draw(rng, pools)
    m = len(subject)
    enterprise = units.kinds[unit] == "enterprise"
    cat = np.where(enterprise, np.where(rng.random(m) < 0.55, "shareholder", "executive"),
                   "supplier").astype(object)
    start = uniform_days(rng, np.full(m, day(2010)), AS_OF - 60)
    end = start + uniform_days(rng, np.full(m, years(1)), years(6))
    end = np.where((rng.random(m) < 0.2) & (end < AS_OF), end, NO_DAY)
    return TiePart(5, subject, unit, cat, start, end,
                   np.where(np.arange(m) < int(ok[: len(relative)].sum()), 1, 3))


class _ChildLookup:
    """Adult children of a person, listed by father and by mother."""

    def __init__(self, kin: Kinship, adult: Bools) -> None:
        born = np.flatnonzero((kin.father >= 0) & adult)
        self.by_father = born[np.argsort(kin.father[born], kind="stable")]
        self.by_mother = born[np.argsort(kin.mother[born], kind="stable")]
        self.fathers = kin.father[self.by_father]
        self.mothers = kin.mother[self.by_mother]

    def draw(self, rng: np.random.Generator, parents: Ints, male: Bools) -> Ints:
        """A random adult child of each parent (fathers where `male`), or -1."""
        out = np.full(len(parents), -1, dtype=np.int64)
        for is_m, keys, kids in ((True, self.fathers, self.by_father),
                                 (False, self.mothers, self.by_mother)):
            rows = np.flatnonzero(male == is_m)
            lo = np.searchsorted(keys, parents[rows], side="left")
            hi = np.searchsorted(keys, parents[rows], side="right")
            pos = lo + np.floor(rng.random(len(rows)) * (hi - lo)).astype(np.int64)
            has = hi > lo
            out[rows[has]] = kids[pos[has]]
        return out
