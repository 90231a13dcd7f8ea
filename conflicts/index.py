"""The compact index the screening runs on, built once per snapshot and date.

One encoder per axis: persons, units and regions are numbered in key order (so results
never depend on the order records arrived in); every relation is a numpy array or a CSR
matrix over those numbers. Tie and employment arrays keep their row numbers so evidence
can name the record it rests on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from conflicts.kinship import BIT, KinEdges, KinshipGraph, in_force, kins_of
from conflicts.policy import Kin, RegionLevel, TargetScope
from pool.records import Cadre, Employment, Region, Snapshot, Tie, Unit

LEVELS = tuple(RegionLevel)
# schooling ties that count as 学缘 (a classmate alone does not)
SCHOOLING_TIES = ("teacher_student", "same_supervisor")


def columns(records: Iterable[Any], names: Sequence[str]) -> dict[str, pd.Series]:
    """Columns of frozen records as pandas Series; a columnar table (one with a
    `columns_frame`) passes its columns through without building a record per row."""
    frame = getattr(records, "columns_frame", None)
    if frame is not None:
        return {n: frame[n].reset_index(drop=True) for n in names}
    rows = list(records)
    return {n: pd.Series([getattr(r, n) for r in rows], dtype=object) for n in names}


def dates(values: pd.Series) -> np.ndarray:
    """date/None (or datetime) values → datetime64[D] with NaT for missing."""
    if values.dtype.kind == "M":
        return values.to_numpy().astype("datetime64[D]")
    return pd.to_datetime(values.astype(object).where(values.notna(), None)) \
        .to_numpy().astype("datetime64[D]")


def flags(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy().astype(bool)


def is_in(values: pd.Series, codes: Iterable[str]) -> np.ndarray:
    return values.isin(list(codes)).to_numpy(dtype=bool)


def years_before(day: dt.date, years: float) -> dt.date:
    """The date `years` (rounded to whole months) before `day`; 29 Feb falls back to 28."""
    months = round(years * 12)
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    if y < dt.MINYEAR:  # a look-back reaching before year 1 looks back to the beginning
        return dt.date.min
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m + 1, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class Encoder:
    """Keys ↔ positions for one axis, in sorted key order."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = np.array(sorted(keys), dtype=object)
        self._index = pd.Index(self.keys)
        self._arrow: pa.Array | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def pos(self, keys: Sequence[Any] | np.ndarray | pd.Series) -> np.ndarray:
        """Positions of `keys`; -1 for a missing or None key. Arrow-backed strings are
        looked up in Arrow, without a Python object per value."""
        if isinstance(keys, pd.Series) and keys.dtype != object:
            if self._arrow is None:
                self._arrow = pa.array(self.keys.tolist(), type=pa.string())
            found = pc.index_in(pa.array(keys, type=pa.string()), value_set=self._arrow)
            return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        arr = np.asarray(keys, dtype=object)
        if not len(arr):
            return np.zeros(0, dtype=np.int64)
        return self._index.get_indexer(arr).astype(np.int64)

    def one(self, key: str) -> int:
        p = int(self._index.get_indexer([key])[0])
        if p < 0:
            raise KeyError(key)
        return p


@dataclass(frozen=True, slots=True)
class TieArrays:
    """All ties of the snapshot as columns (row number = position)."""

    key: pd.Series
    kind: pd.Series
    subject: np.ndarray  # person position
    other: np.ndarray  # person position or -1
    unit: np.ndarray  # unit position or -1
    category: pd.Series
    adoptive: np.ndarray
    step: np.ndarray
    start: np.ndarray
    end: np.ndarray
    records: Sequence[Tie]


class ConflictIndex:
    """Everything the rules look at, encoded, as of one date."""

    def __init__(self, snapshot: Snapshot, as_of: dt.date | None = None) -> None:
        self.snapshot = snapshot
        self.as_of = as_of or snapshot.as_of
        self.persons = Encoder(snapshot.persons.keys())
        self.units = Encoder(snapshot.units.keys())
        self.regions = Encoder(snapshot.regions.keys())
        self.cadres: Mapping[str, Cadre] = snapshot.cadres
        self._build_units(snapshot.units, snapshot.regions)
        self._build_persons(snapshot)
        self._build_employments(snapshot.employments)
        self._build_ties(snapshot.ties)

    # -- units and regions --------------------------------------------------------------

    def _build_units(self, units: Mapping[str, Unit], regions: Mapping[str, Region]) -> None:
        rows = [units[k] for k in self.units.keys]
        self.unit_parent = self.units.pos([u.parent_key for u in rows])
        self.unit_supervisor = self.units.pos([u.supervisor_key for u in rows])
        self.unit_region = self.regions.pos([u.region_code for u in rows])
        systems = sorted({u.system_code for u in rows})
        self.system_keys = systems
        self.unit_system = np.array([systems.index(u.system_code) for u in rows],
                                    dtype=np.int64) if rows else np.zeros(0, np.int64)
        # region ancestor at each level (itself when it is at that level), -1 above it
        reg_rows = [regions[k] for k in self.regions.keys]
        parent = self.regions.pos([r.parent_code for r in reg_rows])
        level = np.array([LEVELS.index(RegionLevel(r.level)) for r in reg_rows], dtype=np.int64)
        n = len(reg_rows)
        self.region_at: dict[RegionLevel, np.ndarray] = {}
        for li, lvl in enumerate(LEVELS):
            at = np.full(n, -1, dtype=np.int64)
            cur = np.arange(n)
            for _ in range(len(LEVELS)):
                hit = (cur >= 0) & (at < 0)
                hit[hit] &= level[cur[hit]] == li
                at[hit] = cur[hit]
                nxt = np.where(cur >= 0, parent[np.maximum(cur, 0)], -1)
                cur = np.where(cur >= 0, nxt, -1)
            self.region_at[lvl] = at
        # subordinates: unit → all descendants (二级单位 and below), as CSR (unit × unit)
        child = np.flatnonzero(self.unit_parent >= 0)
        n_units = len(self.units)
        direct = sp.csr_matrix((np.ones(len(child), np.int32), (self.unit_parent[child], child)),
                               shape=(n_units, n_units))
        desc = direct.copy()
        frontier = direct
        for _ in range(n_units):
            frontier = frontier @ direct
            if not frontier.nnz:
                break
            desc = desc + frontier
        desc.data[:] = 1
        self.unit_descendants = desc.tocsr()

    def region_of(self, region_pos: np.ndarray, level: RegionLevel) -> np.ndarray:
        at = self.region_at[level]
        return np.where(region_pos >= 0, at[np.maximum(region_pos, 0)], -1)

    def scope_matrix(self, targets: np.ndarray, scopes: Iterable[TargetScope]) -> sp.csr_matrix:
        """(units × targets) 0/1: unit u is within the rule's scope of target t."""
        n_units = len(self.units)
        t_idx = np.arange(len(targets))
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        scopes = set(scopes)
        if TargetScope.unit in scopes:
            rows.append(targets)
            cols.append(t_idx)
        if TargetScope.parent in scopes:
            par = self.unit_parent[targets]
            rows.append(par[par >= 0])
            cols.append(t_idx[par >= 0])
        if TargetScope.subordinates in scopes:
            sub = self.unit_descendants[targets].tocoo()
            rows.append(sub.col.astype(np.int64))
            cols.append(sub.row.astype(np.int64))
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        m = sp.csr_matrix((np.ones(len(r), np.int32), (r, c)), shape=(n_units, len(targets)))
        m.data[:] = 1
        return m

    # -- persons ------------------------------------------------------------------------

    def _build_persons(self, snapshot: Snapshot) -> None:
        persons = snapshot.persons
        names = ("key", "name", "gender", "native_region", "grew_up_region")
        columnar = getattr(persons, "columns_frame", None) is not None
        cols = columns(persons if columnar else [persons[k] for k in self.persons.keys], names)
        if columnar:  # align to the encoder
            order = np.argsort(self.persons.pos(cols["key"]))
            cols = {n: c.iloc[order].reset_index(drop=True) for n, c in cols.items()}
        self.person_name = cols["name"].to_numpy(dtype=object)
        self.person_gender = cols["gender"].to_numpy(dtype=object)
        self.person_native = self.regions.pos(cols["native_region"])
        self.person_grew_up = self.regions.pos(cols["grew_up_region"])

    # -- employments --------------------------------------------------------------------

    def _build_employments(self, employments: Sequence[Employment]) -> None:
        cols = columns(employments, ("person_key", "unit_key", "is_leader", "start", "end"))
        self.employment_records = employments
        self.emp_person = self.persons.pos(cols["person_key"])
        self.emp_unit = self.units.pos(cols["unit_key"])
        self.emp_leader = flags(cols["is_leader"])
        self.emp_start = dates(cols["start"])
        self.emp_end = dates(cols["end"])
        active = in_force(self.as_of, self.emp_start, self.emp_end)
        n_p, n_u = len(self.persons), len(self.units)
        self.works_in = _relation(self.emp_person[active], self.emp_unit[active], (n_p, n_u))
        lead = active & self.emp_leader
        self.leads = _relation(self.emp_person[lead], self.emp_unit[lead], (n_p, n_u))
        # employment rows by person, for the cadre's own history
        order = np.argsort(self.emp_person, kind="stable")
        self.emp_by_person = order
        self.emp_person_sorted = self.emp_person[order]

    def employments_of(self, person_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(owner row, employment row) for every employment of the given persons."""
        lo = np.searchsorted(self.emp_person_sorted, person_pos, side="left")
        hi = np.searchsorted(self.emp_person_sorted, person_pos, side="right")
        counts = hi - lo
        owner = np.repeat(np.arange(len(person_pos)), counts)
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        rows = self.emp_by_person[starts + np.arange(counts.sum())]
        return owner, rows

    # -- ties ---------------------------------------------------------------------------

    def _build_ties(self, ties: Sequence[Tie]) -> None:
        cols = columns(ties, ("key", "kind", "subject_key", "object_person_key",
                              "object_unit_key", "category", "adoptive", "step", "start",
                              "end"))
        t = TieArrays(
            key=cols["key"], kind=cols["kind"],
            subject=self.persons.pos(cols["subject_key"]),
            other=self.persons.pos(cols["object_person_key"]),
            unit=self.units.pos(cols["object_unit_key"]),
            category=cols["category"], adoptive=flags(cols["adoptive"]),
            step=flags(cols["step"]), start=dates(cols["start"]),
            end=dates(cols["end"]), records=ties)
        self.ties = t
        now = in_force(self.as_of, t.start, t.end)
        rows = np.arange(len(t.key))
        kind = {k: is_in(t.kind, [k]) for k in ("parent_of", "spouse_of", "declared",
                                                  "business_interest", "recusal", "schooling",
                                                  "supervisor_of")}
        par = now & kind["parent_of"]
        spo = now & kind["spouse_of"]
        dec = now & kind["declared"] & is_in(t.category, (k.value for k in Kin))
        self.kinship = KinshipGraph(len(self.persons), KinEdges(
            parent=t.subject[par], child=t.other[par], parent_tie=rows[par],
            spouse_a=t.subject[spo], spouse_b=t.other[spo], spouse_tie=rows[spo],
            declared_subject=t.subject[dec], declared_object=t.other[dec],
            declared_bit=np.array([BIT[Kin(c)] for c in t.category[dec].tolist()],
                                  dtype=np.int64),
            declared_tie=rows[dec]))
        n_p, n_u = len(self.persons), len(self.units)
        bus = now & kind["business_interest"]
        self.business = _relation(t.subject[bus], t.unit[bus], (n_p, n_u), rows[bus])
        rec = now & kind["recusal"]
        self.recusal_ties = _relation(t.subject[rec], t.unit[rec], (n_p, n_u), rows[rec])
        begun = np.isnat(t.start) | (t.start <= np.datetime64(self.as_of, "D"))
        school = begun & kind["schooling"] & is_in(t.category, SCHOOLING_TIES)
        self.schooling = _symmetric(t.subject[school], t.other[school], n_p, rows[school])
        sup = begun & kind["supervisor_of"]
        # both directions, value = tie row + 1; the look-back is applied per screening
        self.supervision = _symmetric(t.subject[sup], t.other[sup], n_p, rows[sup])
        self.business01 = _ones(self.business)

    def supervision_partners(self, people: np.ndarray, cutoff: dt.date) -> sp.csr_matrix:
        """(people × persons) superior/subordinate ties that lasted into [cutoff, as_of];
        values are tie row + 1."""
        block = self.supervision[people].tocoo()
        end = self.ties.end[block.data - 1]
        keep = np.isnat(end) | (end >= np.datetime64(cutoff, "D"))
        return sp.csr_matrix((block.data[keep], (block.row[keep], block.col[keep])),
                             shape=block.shape)

    def relatives_of(self, person_key: str) -> dict[str, tuple[Kin, ...]]:
        """Every relative in scope of one person on the index date: key → categories."""
        row = self.kinship.relatives([self.persons.one(person_key)]).tocoo()
        return {str(self.persons.keys[c]): kins_of(int(m))
                for c, m in sorted(zip(row.col.tolist(), row.data.tolist(), strict=True))}

    # -- names --------------------------------------------------------------------------

    def person_label(self, pos: int) -> str:
        return str(self.person_name[pos])

    def unit_label(self, pos: int) -> str:
        return self.snapshot.units[self.units.keys[pos]].name


def _relation(a: np.ndarray, b: np.ndarray, shape: tuple[int, int],
              record: np.ndarray | None = None) -> sp.csr_matrix:
    """0/1 CSR (or `record + 1` values, the first record per pair) from index pairs."""
    if record is None:
        m = sp.csr_matrix((np.ones(len(a), np.int32), (a, b)), shape=shape)
        m.data[:] = 1
        return m
    order = np.lexsort((record, b, a))
    a, b, record = a[order], b[order], record[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return sp.csr_matrix((record[first] + 1, (a[first], b[first])), shape=shape,
                         dtype=np.int64)


def _ones(m: sp.csr_matrix) -> sp.csr_matrix:
    out = m.copy()
    out.data = np.ones(len(out.data), dtype=np.int32)
    return out


def _symmetric(a: np.ndarray, b: np.ndarray, n: int, record: np.ndarray) -> sp.csr_matrix:
    return _relation(np.concatenate([a, b]), np.concatenate([b, a]), (n, n),
                     np.concatenate([record, record]))
