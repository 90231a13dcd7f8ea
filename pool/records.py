"""Frozen, ORM-free records of the pool. `conflicts/` and `assignment/` consume only these.

Dates are `datetime.date`; an `end` of None means "still current"; intervals include
both ends. Resident ID numbers are deliberately absent: no rule needs them.

The big tables of a snapshot (persons, ties, employments: millions of rows at province
scale) are kept as columns (`RecordTable`, `KeyedTable`): a record is built only when it is
asked for, and vectorized consumers read `columns_frame` directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import types
import typing
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    Sequence,
    ValuesView,
)
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def covers(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """Whether the closed interval [start, end] (None = open) contains `day`."""
    return (start is None or start <= day) and (end is None or day <= end)


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    parent_code: str | None
    level: str  # province / city / county / town


def subtree(parents: Iterable[tuple[str, str | None]], root: str) -> frozenset[str]:
    """`root` and every region below it, given (code, parent code) pairs."""
    children: dict[str, list[str]] = {}
    for code, parent in parents:
        if parent is not None:
            children.setdefault(parent, []).append(code)
    out, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class System:
    code: str
    name_zh: str
    name_en: str | None


@dataclass(frozen=True, slots=True)
class Skill:
    code: str
    name_zh: str
    name_en: str | None


@dataclass(frozen=True, slots=True)
class Unit:
    key: str
    name: str
    region_code: str
    system_code: str
    parent_key: str | None
    supervisor_key: str | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    name: str
    gender: str | None
    birth_date: dt.date | None
    native_region: str | None
    grew_up_region: str | None


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date
    reason: str | None

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and start <= self.end


@dataclass(frozen=True, slots=True)
class Cadre:
    person_key: str
    home_unit_key: str
    rank: str | None
    political_status: str | None
    skills: tuple[tuple[str, int], ...]  # (skill code, level 1-5), sorted by code
    leader_pool: bool
    deputy_pool: bool
    expert_pool: bool
    reserve: bool
    newly_promoted: bool
    status: str  # active / suspended / removed
    status_reason: str | None
    status_from: dt.date | None
    status_to: dt.date | None
    max_rounds_per_year: int | None
    joined_on: dt.date | None
    unavailable: tuple[Period, ...] = ()
    full_time: bool = False  # 专职巡察干部, as opposed to seconded (抽调)

    def status_on(self, day: dt.date) -> str:
        """The recorded status applies inside its window; outside it the cadre is active."""
        if self.status == "active" or covers(self.status_from, self.status_to, day):
            return self.status
        return "active"

    def skill_level(self, code: str) -> int:
        return next((level for c, level in self.skills if c == code), 0)

    def available(self, start: dt.date, end: dt.date) -> bool:
        return not any(p.overlaps(start, end) for p in self.unavailable)


@dataclass(frozen=True, slots=True)
class Employment:
    key: str
    person_key: str
    unit_key: str
    post: str | None
    is_leader: bool
    start: dt.date
    end: dt.date | None
    source_type: str | None
    source_ref: str | None

    def active_on(self, day: dt.date) -> bool:
        return covers(self.start, self.end, day)


@dataclass(frozen=True, slots=True)
class Tie:
    """A dated, sourced edge. For parent_of the subject is the parent; for supervisor_of
    the superior; for business_interest the person holding the interest in a unit. Only
    business_interest and recusal (the subject recused from a unit: self-declared,
    requested by the unit or decided by the organization, the reason in `note`) name a
    unit (`object_unit_key`); every other kind names a person (`object_person_key`)."""

    key: str
    kind: str
    subject_key: str
    object_person_key: str | None
    object_unit_key: str | None
    adoptive: bool
    step: bool
    category: str | None
    start: dt.date | None
    end: dt.date | None
    source_type: str | None
    source_ref: str | None
    recorded_by: str | None
    recorded_at: dt.datetime | None
    note: str | None

    def valid_on(self, day: dt.date) -> bool:
        return covers(self.start, self.end, day)


@dataclass(frozen=True, slots=True)
class Round:
    key: str
    name: str
    kind: str
    region_code: str | None
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class Participation:
    round_key: str
    person_key: str
    team_no: int
    role: str
    target_unit_key: str
    second_target_unit_key: str | None

    @property
    def targets(self) -> tuple[str, ...]:
        second = self.second_target_unit_key
        return (self.target_unit_key,) if second is None else (self.target_unit_key, second)


@dataclass(frozen=True, slots=True)
class Evaluation:
    round_key: str
    person_key: str
    grade: str
    score: float | None
    comment: str | None
    evaluator: str | None
    evaluated_on: dt.date | None
    accountability: str | None = None  # 问责情况, e.g. 隐情不报


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the pool knew to have begun by `as_of`, keyed for lookup.

    Records that began after `as_of` are left out; records that ended before it are kept
    with their end dates, because look-back rules (e.g. employment within three years)
    need them. Mappings and sequences are read-only. `load_snapshot` gives `persons` as a
    `KeyedTable` and `employments`/`ties` as `RecordTable`s (rows in key order); a snapshot
    built by hand may use plain dicts and tuples.
    """

    as_of: dt.date
    regions: Mapping[str, Region]
    systems: Mapping[str, System]
    skills: Mapping[str, Skill]
    units: Mapping[str, Unit]
    persons: Mapping[str, Person]
    cadres: Mapping[str, Cadre]
    employments: Sequence[Employment]
    ties: Sequence[Tie]
    rounds: Mapping[str, Round]
    participations: tuple[Participation, ...]
    evaluations: tuple[Evaluation, ...]


# -- columnar tables -------------------------------------------------------------------

R = TypeVar("R")

# Python type of a record field → Arrow type of its column
_ARROW_TYPES: dict[Any, pa.DataType] = {
    str: pa.string(), bool: pa.bool_(), int: pa.int64(), float: pa.float64(),
    dt.date: pa.date32(), dt.datetime: pa.timestamp("us"),
}
_BATCH = 65_536  # records built at a time when iterating


def record_schema(record_type: type) -> pa.Schema:
    """The Arrow schema of a flat record type: one column per dataclass field, in field
    order. Fields may be str, bool, int, float, date or datetime, each optionally None."""
    return _record_schema(record_type)


@functools.cache
def _record_schema(record_type: Any) -> pa.Schema:
    hints = typing.get_type_hints(record_type)
    fields = []
    for f in dataclasses.fields(record_type):
        hint = hints[f.name]
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        base = [a for a in args if a is not type(None)]
        if len(base) != 1 or base[0] not in _ARROW_TYPES:
            raise TypeError(f"{record_type.__name__}.{f.name}: {hint} has no column type")
        fields.append(pa.field(f.name, _ARROW_TYPES[base[0]]))
    return pa.schema(fields)


def sort_columns(columns: list[pa.ChunkedArray], by: int) -> bool:
    """Put the rows of `columns` (a table's columns) in ascending order of `columns[by]`
    (strings in code-point order, the order of Python's `sorted`), in place: one column
    is copied at a time, so when the list holds the only reference to the old one, it is
    freed before the next is copied. False when the rows were in order already."""
    values = columns[by]
    if len(values) < 2 or pc.all(pc.greater_equal(values.slice(1),
                                                  values.slice(0, len(values) - 1))).as_py():
        return False
    order = pc.sort_indices(values)
    del values
    for i in range(len(columns)):
        columns[i] = columns[i].take(order)
    return True


def sorted_by(table: pa.Table, column: str) -> pa.Table:
    """`table` with its rows in ascending order of `column` (see `sort_columns`); the
    table itself when it is already in that order."""
    columns = table.columns
    if not sort_columns(columns, table.schema.get_field_index(column)):
        return table
    return pa.table(columns, schema=table.schema)


def _series(values: pa.ChunkedArray, type_: pa.DataType) -> pd.Series:
    """One column for `columns_frame`: dates → datetime64[s] and datetimes →
    datetime64[us] (NaT for None); bool/int/float without None → numpy; strings (and
    bool/int/float with None) stay Arrow-backed, zero-copy, with NA for None."""
    if values.type != type_:
        values = values.cast(type_)
    if pa.types.is_date32(type_):
        return pd.Series(values.cast(pa.timestamp("s")).to_numpy(), copy=False)
    if pa.types.is_timestamp(type_):
        return pd.Series(values.to_numpy(), copy=False)
    if not pa.types.is_string(type_) and values.null_count == 0:
        return pd.Series(values.to_numpy(), copy=False)
    return pd.Series(pd.arrays.ArrowExtensionArray(values), copy=False)


def _frame_from_arrow(record_type: type, table: pa.Table) -> pd.DataFrame:
    schema = record_schema(record_type)
    return pd.DataFrame({f.name: _series(table.column(f.name), f.type) for f in schema},
                        copy=False)


def _arrow_from_records(record_type: type, records: Iterable[Any]) -> pa.Table:
    rows = list(records)
    schema = record_schema(record_type)
    return pa.table([pa.array([getattr(row, f.name) for row in rows], type=f.type)
                     for f in schema], schema=schema)


def _arrow(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column as Arrow (zero-copy when it is Arrow-backed), nulls for NaN/None/NA."""
    if isinstance(column.dtype, np.dtype):
        return pa.array(column.to_numpy(), from_pandas=True)
    return pa.array(column.array)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and value != value)


def _reader(column: pd.Series, type_: pa.DataType) -> Callable[[int, int], list[Any]]:
    """Python values of rows [a, b) of one column: date/datetime/None, str/None …"""
    if isinstance(column.dtype, np.dtype):
        values = column.to_numpy()
        if values.dtype.kind == "M":  # NaT → None; datetime64[D] → date, [us] → datetime
            unit = "datetime64[D]" if pa.types.is_date32(type_) else "datetime64[us]"
            return lambda a, b: values[a:b].astype(unit).tolist()
        if values.dtype == object or values.dtype.kind == "f":  # NaN/NA → None
            return lambda a, b: [None if _missing(v) else v for v in values[a:b].tolist()]
        return lambda a, b: values[a:b].tolist()
    arrow = _arrow(column)  # Arrow-backed: zero-copy, nulls → None
    if arrow.type != type_ and not (pa.types.is_string(type_)
                                    and pa.types.is_large_string(arrow.type)):
        arrow = arrow.cast(type_)
    return lambda a, b: arrow.slice(a, b - a).to_pylist()


class RecordTable(Sequence[R], Generic[R]):
    """Read-only rows of one flat record type, kept as columns.

    `columns_frame` is a pandas DataFrame whose columns are the dataclass fields in
    order (see `_series` for the dtypes); `table[i]` builds the frozen record of row i on
    demand, a slice gives a tuple of them, iteration builds them a batch at a time. A table
    equals a tuple, list or table of equal records in the same order.
    """

    __slots__ = ("_frame", "_readers", "_type")

    def __init__(self, record_type: type[R], columns_frame: pd.DataFrame) -> None:
        names = [f.name for f in dataclasses.fields(record_type)]  # type: ignore[arg-type]
        if list(columns_frame.columns) != names:
            raise ValueError(f"{record_type.__name__} table needs the columns {names}, "
                             f"got {list(columns_frame.columns)}")
        self._type = record_type
        self._frame = columns_frame
        self._readers: list[Callable[[int, int], list[Any]]] | None = None

    @classmethod
    def from_arrow(cls, record_type: type[R], table: pa.Table) -> RecordTable[R]:
        """From Arrow columns named after the fields (cast to `record_schema` types)."""
        return cls(record_type, _frame_from_arrow(record_type, table))

    @classmethod
    def from_records(cls, record_type: type[R], records: Iterable[R]) -> RecordTable[R]:
        """From records, in the order given."""
        return cls.from_arrow(record_type, _arrow_from_records(record_type, records))

    @property
    def record_type(self) -> type[R]:
        return self._type

    @property
    def columns_frame(self) -> pd.DataFrame:
        return self._frame

    def __len__(self) -> int:
        return len(self._frame)

    def rows(self, start: int, stop: int) -> list[R]:
        """Records of rows [start, stop), built together (0 ≤ start ≤ stop ≤ len)."""
        if self._readers is None:
            schema = record_schema(self._type)
            self._readers = [_reader(self._frame[f.name], f.type) for f in schema]
        if start >= stop:
            return []
        make = self._type
        return [make(*values) for values in zip(*(r(start, stop) for r in self._readers),
                                                strict=True)]

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[R, ...]: ...

    def __getitem__(self, index: int | slice) -> R | tuple[R, ...]:
        n = len(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(n)
            if step == 1:
                return tuple(self.rows(start, stop))
            return tuple(self.rows(i, i + 1)[0] for i in range(start, stop, step))
        i = operator.index(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {index} of a table of {n}")
        return self.rows(i, i + 1)[0]

    def __iter__(self) -> Iterator[R]:
        n = len(self)
        for start in range(0, n, _BATCH):
            yield from self.rows(start, min(start + _BATCH, n))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (tuple, list, RecordTable)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                       strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:  # pickles its columns, not its readers
        return (type(self), (self._type, self._frame))

    def __repr__(self) -> str:
        return f"RecordTable[{self._type.__name__}]({len(self):,} rows)"


class KeyedTable(Mapping[str, R], Generic[R]):
    """Read-only records by key, kept as columns, rows (and iteration) in key order.

    `columns_frame` is as in `RecordTable`; `table[key]` finds the row through a key
    index built on first use and builds its record; `keys()`, `values()` and `items()`
    run over the columns without looking keys up one by one.
    """

    __slots__ = ("_index", "_key", "_rows")

    def __init__(self, record_type: type[R], columns_frame: pd.DataFrame,
                 key: str = "key") -> None:
        self._rows = RecordTable(record_type, columns_frame)
        self._key = key
        self._index: pd.Index | None = None
        keys = _arrow(columns_frame[key])
        if keys.null_count or (len(keys) > 1 and not pc.all(
                pc.greater(keys.slice(1), keys.slice(0, len(keys) - 1))).as_py()):
            raise ValueError(f"{record_type.__name__} rows must be in ascending order of "
                             f"unique, non-null {key!r}")

    @classmethod
    def from_arrow(cls, record_type: type[R], table: pa.Table,
                   key: str = "key") -> KeyedTable[R]:
        """From Arrow columns named after the fields, in any row order."""
        return cls(record_type, _frame_from_arrow(record_type, sorted_by(table, key)), key)

    @classmethod
    def from_records(cls, record_type: type[R], records: Iterable[R],
                     key: str = "key") -> KeyedTable[R]:
        return cls.from_arrow(record_type, _arrow_from_records(record_type, records), key)

    @property
    def columns_frame(self) -> pd.DataFrame:
        return self._rows.columns_frame

    @property
    def records(self) -> RecordTable[R]:
        """The records as a sequence, in key order."""
        return self._rows

    def positions(self, keys: Iterable[str] | pd.Series | np.ndarray) -> np.ndarray:
        """Row numbers of `keys`, -1 for a key that is absent."""
        values = keys if isinstance(keys, (pd.Series, np.ndarray)) else list(keys)
        return np.asarray(self._key_index().get_indexer(values), dtype=np.int64)

    def _key_index(self) -> pd.Index:
        if self._index is None:
            self._index = pd.Index(self.columns_frame[self._key])
        return self._index

    def _position(self, key: object) -> int:
        if not isinstance(key, str):
            raise KeyError(key)
        try:
            return int(self._key_index().get_loc(key))
        except KeyError:
            raise KeyError(key) from None

    def __getitem__(self, key: str) -> R:
        return self._rows[self._position(key)]

    def __contains__(self, key: object) -> bool:
        try:
            self._position(key)
        except KeyError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[str]:
        keys = _arrow(self.columns_frame[self._key])
        for start in range(0, len(keys), _BATCH):
            yield from keys.slice(start, _BATCH).to_pylist()

    def keys(self) -> KeysView[str]:
        return KeysView(self)

    def values(self) -> ValuesView[R]:
        return _TableValues(self)

    def items(self) -> ItemsView[str, R]:
        return _TableItems(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._rows.record_type, self.columns_frame, self._key))

    def __repr__(self) -> str:
        return f"KeyedTable[{self._rows.record_type.__name__}]({len(self):,} rows)"


class _TableValues(ValuesView[R]):
    _mapping: KeyedTable[R]

    def __iter__(self) -> Iterator[R]:
        return iter(self._mapping.records)


class _TableItems(ItemsView[str, R]):
    _mapping: KeyedTable[R]

    def __iter__(self) -> Iterator[tuple[str, R]]:
        return zip(iter(self._mapping), iter(self._mapping.records), strict=True)
