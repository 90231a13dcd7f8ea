"""Declared recusals (申请或决定回避): a few cadres recused from a unit at their own request,
at the inspected unit's request or by the organization's decision, each with its reason.

They are drawn from a generator of their own and written after every other tie, so that
they leave every other generated row as it was before they existed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pool.synthetic.cadres import CadrePool
from pool.synthetic.common import (
    AS_OF,
    NO_DAY,
    Ints,
    Objects,
    categorical,
    day,
    numbered,
    uniform_days,
    years,
)
from pool.synthetic.geography import Units

RECUSALS_PER_CADRE = 15 / 1_200  # about 15 in the city's pool
STREAM = 31  # the recusals' generator is default_rng([seed, STREAM])
# category, share, source type, document number, reasons (备注)
_CATEGORIES = (
    ("self", 0.5, "declaration", "回避申请〔{year}〕{n}号", (
        "本人曾在该单位工作，申请回避",
        "本人近亲属在该单位任职，申请回避",
        "本人与该单位主要负责人系同学，申请回避",
        "本人曾参与该单位有关项目的评审，申请回避",
    )),
    ("unit_request", 0.2, "other", "回避建议函〔{year}〕{n}号", (
        "被巡察单位反映该同志与本单位主要负责人有利害关系，提出回避",
        "被巡察单位反映该同志曾办理涉及本单位的信访事项，提出回避",
    )),
    ("organization", 0.3, "organization", "巡办〔{year}〕{n}号", (
        "该同志近三年曾参与对该单位的审计，组织决定回避",
        "该同志亲属与该单位有经济往来，组织决定回避",
        "经巡察工作领导小组研究，为确保巡察公正，决定回避",
    )),
)


@dataclass(frozen=True)
class Recusals:
    cadre: Ints  # row in the pool
    unit: Ints
    category: Objects
    start: Ints
    end: Ints  # NO_DAY: open-ended
    source_type: Objects
    source_ref: Objects
    recorded_at: Ints  # seconds since 1970-01-01
    note: Objects

    def __len__(self) -> int:
        return len(self.cadre)


def build_recusals(rng: np.random.Generator, pool: CadrePool, units: Units) -> Recusals:
    """Distinct cadres, each recused from one unit other than their home unit, since a day
    in 2022 or later; about half the recusals are open-ended."""
    n = min(round(RECUSALS_PER_CADRE * len(pool)), len(pool)) if len(units) > 1 else 0
    cadre = np.sort(rng.choice(len(pool), size=n, replace=False)).astype(np.int64)
    home = pool.home_unit[cadre]
    unit = rng.integers(0, len(units) - 1, n) if n else np.zeros(0, dtype=np.int64)
    unit = unit + (unit >= home)  # any unit but the home unit
    cat = categorical(rng, [share for _, share, *_ in _CATEGORIES], n)
    start = uniform_days(rng, np.full(n, day(2022)), AS_OF - 30)
    end = start + uniform_days(rng, np.full(n, years(1)), years(3))
    end = np.where(rng.random(n) < 0.5, NO_DAY, end)
    recorded = (start - rng.integers(0, 15, n)) * 86400 + \
        rng.integers(8 * 3600 + 1800, 17 * 3600 + 1800, n)
    pick = rng.random(n)
    numbers = rng.integers(1, 200, n)
    year = (recorded // 86400).astype("datetime64[D]").astype("datetime64[Y]").astype(
        np.int64) + 1970
    source_type = np.empty(n, dtype=object)
    source_ref = np.empty(n, dtype=object)
    note = np.empty(n, dtype=object)
    for c, (_, _, source, template, reasons) in enumerate(_CATEGORIES):
        rows = cat == c
        source_type[rows] = source
        source_ref[rows] = numbered(template, year[rows], numbers[rows])
        note[rows] = np.array(reasons, dtype=object)[
            np.floor(pick[rows] * len(reasons)).astype(np.int64)]
    codes = np.array([code for code, *_ in _CATEGORIES], dtype=object)
    return Recusals(cadre, unit.astype(np.int64), codes[cat], start, end, source_type,
                    source_ref, recorded, note)
