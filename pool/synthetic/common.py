"""Shared helpers of the synthetic generator: day arithmetic, keys and grouped sampling.

Dates are int64 day numbers since 1970-01-01 (`NO_DAY` when unknown) until the very end,
where `dates` turns them into `datetime.date` objects for the field-space frames.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]

_EPOCH = dt.date(1970, 1, 1)
NO_DAY = -(10**9)  # "no date"; far below any real day number
YEAR = 365.2425


def day(year: int, month: int = 1, mday: int = 1) -> int:
    """The day number of a calendar date."""
    return (dt.date(year, month, mday) - _EPOCH).days


AS_OF = day(2026, 11, 1)  # the synthetic data is a snapshot taken on this day


def years(x: npt.ArrayLike) -> Ints:
    """A number of years as whole days."""
    return np.rint(np.asarray(x, dtype=np.float64) * YEAR).astype(np.int64)


def uniform_days(rng: np.random.Generator, lo: npt.ArrayLike, hi: npt.ArrayLike) -> Ints:
    """One day drawn uniformly from each closed interval [lo, hi] (hi < lo gives lo)."""
    lo_a = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo_a, 0) + 1
    return lo_a + np.floor(rng.random(np.broadcast(lo_a, span).shape) * span).astype(np.int64)


def dates(days: Ints) -> Objects:
    """Day numbers as `datetime.date` objects, `None` where the day is `NO_DAY`."""
    values = days.astype("datetime64[D]")
    values[days == NO_DAY] = np.datetime64("NaT")
    return values.astype(object)


def date_parts(days: Ints) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of month of each day number."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    mday = (d - months).astype(np.int64) + 1
    return year, month, mday


def keys(prefix: str, n: int, width: int, start: int = 1) -> Objects:
    """External keys `prefix` + zero-padded serial number, e.g. `P00000001`."""
    return np.array([f"{prefix}{i:0{width}d}" for i in range(start, start + n)], dtype=object)


def group_rank(groups: Ints) -> Ints:
    """The rank of each element among the elements of its group, in order of appearance."""
    n = len(groups)
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    idx = np.arange(n)
    first = np.ones(n, dtype=bool)
    first[1:] = sorted_groups[1:] != sorted_groups[:-1]
    starts = np.maximum.accumulate(np.where(first, idx, 0)) if n else idx
    rank = np.empty(n, dtype=np.int64)
    rank[order] = idx - starts
    return rank


class Groups:
    """Members of integer-labelled groups, for drawing a random member of a given group."""

    def __init__(self, labels: Ints, n_groups: int, weights: Floats | None = None) -> None:
        self.order = np.argsort(labels, kind="stable")
        counts = np.bincount(labels, minlength=n_groups)
        self.offsets = np.concatenate(([0], np.cumsum(counts)))
        w = np.ones(len(labels)) if weights is None else weights[self.order]
        self.cum = np.concatenate(([0.0], np.cumsum(w)))
        self.sizes = counts

    def draw(self, rng: np.random.Generator, groups: Ints) -> Ints:
        """One member (weighted) of each requested group; -1 where the group is empty."""
        lo = self.cum[self.offsets[groups]]
        hi = self.cum[self.offsets[groups + 1]]
        target = lo + rng.random(len(groups)) * (hi - lo)
        pos = np.searchsorted(self.cum, target, side="right") - 1
        pos = np.clip(pos, self.offsets[groups], np.maximum(self.offsets[groups + 1] - 1, 0))
        found = self.sizes[groups] > 0
        out = np.full(len(groups), -1, dtype=np.int64)
        out[found] = self.order[pos[found]]
        return out


def weighted_sample(rng: np.random.Generator, weights: Floats, k: int) -> Ints:
    """`k` distinct indices drawn with probability proportional to `weights`
    (Efraimidis–Spirakis keys), in draw order."""
    k = min(k, int(np.count_nonzero(weights > 0)))
    with np.errstate(divide="ignore"):
        score = np.where(weights > 0, rng.exponential(size=len(weights)) / weights, np.inf)
    return np.argsort(score, kind="stable")[:k].astype(np.int64)


def categorical(rng: np.random.Generator, probs: npt.ArrayLike, size: int) -> Ints:
    """`size` draws from a discrete distribution over 0..len(probs)-1."""
    p = np.asarray(probs, dtype=np.float64)
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(p) - 1)


def numbered(template: str, years_: Ints, numbers: Ints, first_year: int = 1950) -> Objects:
    """Document numbers like `档案〔2019〕123号`, sharing one string per distinct value."""
    years_ = np.clip(years_, first_year, 2030)
    code = (years_ - first_year) * 1000 + numbers
    uniq, inverse = np.unique(code, return_inverse=True)
    table = np.array(
        [template.format(year=c // 1000 + first_year, n=c % 1000) for c in uniq.tolist()],
        dtype=object,
    )
    return table[inverse]


def expand_ranges(lo: Ints, hi: Ints) -> tuple[Ints, Ints]:
    """For half-open ranges [lo, hi): the range number and the position of every member."""
    counts = np.maximum(hi - lo, 0)
    rep = np.repeat(np.arange(len(lo)), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(rep)) - starts[rep] + lo[rep]
    return rep, pos


def or_none(mask: Bools, values: Objects | str) -> Objects:
    """An object array: `values` (an array or one value) where `mask`, else None."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = values[mask] if isinstance(values, np.ndarray) else values
    return out
