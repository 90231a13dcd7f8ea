"""Columnar record tables: records on demand, the columns for vectorized readers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pool.records import (
    Cadre,
    Employment,
    KeyedTable,
    Person,
    RecordTable,
    Tie,
    record_schema,
    sorted_by,
)

PERSONS = (
    Person("P3", "王𠮷", "M", dt.date(1970, 1, 31), "320902", None),
    Person("P1", "张三", None, None, None, "320902001"),
    Person("P2", "", "F", dt.date(1, 1, 1), "320000", "320000"),
)


def tie(key: str, **kw: object) -> Tie:
    values: dict[str, object] = dict(
        key=key, kind="spouse_of", subject_key="P1", object_person_key="P2",
        object_unit_key=None, adoptive=False, step=False, category=None, start=None, end=None,
        source_type="personnel_file", source_ref=None, recorded_by=None, recorded_at=None,
        note=None) | kw
    return Tie(**values)  # type: ignore[arg-type]


TIES = (
    tie("T2", start=dt.date(2001, 2, 3), note="换行\n引号\""),
    tie("T1", adoptive=True, end=dt.date(9999, 12, 31),
        recorded_at=dt.datetime(2024, 5, 6, 7, 8, 9, 123456)),
    tie("T3", kind="business_interest", object_person_key=None, object_unit_key="U1",
        step=True, category="shareholder"),
)


def test_record_table_is_a_read_only_sequence_of_the_records() -> None:
    table = RecordTable.from_records(Tie, TIES)
    assert isinstance(table, Sequence) and len(table) == 3
    assert tuple(table) == TIES and table == TIES and table == list(TIES)
    assert table != TIES[:2] and table != (TIES[1], TIES[0], TIES[2])
    assert table[0] == TIES[0] and table[-1] == TIES[2] and table[1:] == TIES[1:]
    assert table[::2] == (TIES[0], TIES[2]) and table[5:] == ()
    assert TIES[2] in table and table.index(TIES[1]) == 1
    with pytest.raises(IndexError):
        table[3]
    with pytest.raises(IndexError):
        table[-4]
    assert table[1].adoptive is True and table[2].step is True
    assert type(table[1].recorded_at) is dt.datetime and type(table[0].start) is dt.date
    assert table[1].recorded_at == dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    assert table[0].end is None and table[0].note == "换行\n引号\""


def test_columns_frame_holds_the_fields_as_typed_columns() -> None:
    frame = RecordTable.from_records(Tie, TIES).columns_frame
    assert list(frame.columns) == [f.name for f in dataclasses.fields(Tie)]
    assert frame["start"].dtype.kind == frame["recorded_at"].dtype.kind == "M"
    assert frame["start"].isna().tolist() == [False, True, True]
    assert frame["start"].to_numpy().astype("datetime64[D]")[0] == np.datetime64("2001-02-03")
    assert frame["adoptive"].dtype == bool and frame["adoptive"].tolist() == [False, True, False]
    assert frame["object_unit_key"].isna().tolist() == [True, True, False]
    assert frame["object_unit_key"].dtype == pd.ArrowDtype(pa.string())
    assert frame["key"].tolist() == ["T2", "T1", "T3"]  # from_records keeps the given order


def test_a_table_over_a_frame_built_elsewhere() -> None:
    """Object, pandas `str` and numpy columns all give the same records back."""
    frame = pd.DataFrame({
        "key": pd.Series(["P1", "P2"], dtype="str"),
        "name": pd.Series(["甲", None], dtype=object),
        "gender": pd.Series([None, "F"], dtype="str"),
        "birth_date": pd.to_datetime(pd.Series(["1980-02-29", None])),
        "native_region": [None, "320000"],
        "grew_up_region": pd.Series([np.nan, "320902"], dtype=object),
    })
    table = KeyedTable(Person, frame)
    assert table["P1"] == Person("P1", "甲", None, dt.date(1980, 2, 29), None, None)
    assert table["P2"] == Person("P2", None, "F", None, "320000", "320902")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="columns"):
        RecordTable(Person, frame[["name", "key", "gender", "birth_date", "native_region",
                                   "grew_up_region"]])
    with pytest.raises(ValueError, match="ascending"):
        KeyedTable(Person, frame.iloc[::-1])
    objects = KeyedTable(Person, frame.astype({"key": object}))
    assert list(objects) == ["P1", "P2"] and objects["P2"].native_region == "320000"


def test_keyed_table_is_a_mapping_in_key_order() -> None:
    table = KeyedTable.from_records(Person, PERSONS)
    assert isinstance(table, Mapping) and len(table) == 3
    assert list(table) == list(table.keys()) == ["P1", "P2", "P3"]
    assert table.columns_frame["key"].tolist() == ["P1", "P2", "P3"]
    by_key = {p.key: p for p in PERSONS}
    assert table == by_key and dict(table.items()) == by_key
    assert list(table.values()) == [by_key[k] for k in ("P1", "P2", "P3")]
    assert table["P3"].name == "王𠮷" and table["P2"].birth_date == dt.date(1, 1, 1)
    assert "P2" in table and "P9" not in table and None not in table
    assert table.get("P9") is None
    with pytest.raises(KeyError):
        table["P9"]
    assert table.positions(["P3", "P9", "P1"]).tolist() == [2, -1, 0]
    assert tuple(table.records) == tuple(by_key[k] for k in ("P1", "P2", "P3"))


def test_keyed_table_rejects_duplicate_keys() -> None:
    with pytest.raises(ValueError, match="unique"):
        KeyedTable.from_records(Person, (*PERSONS, PERSONS[0]))


def test_empty_tables() -> None:
    table = RecordTable.from_records(Employment, [])
    keyed = KeyedTable.from_records(Person, [])
    assert len(table) == 0 and table == () and list(table) == [] and table[:] == ()
    assert len(keyed) == 0 and dict(keyed) == {} and "P1" not in keyed
    assert list(table.columns_frame.columns) == [f.name for f in dataclasses.fields(Employment)]


def test_iteration_crosses_batches() -> None:
    many = [tie(f"T{i:06d}", start=dt.date(2000, 1, 1) + dt.timedelta(days=i))
            for i in range(70_000)]
    table = RecordTable.from_records(Tie, many)
    assert list(table) == many and table[65_536] == many[65_536]


def test_schema_and_sorting_helpers() -> None:
    schema = record_schema(Tie)
    assert schema.names == [f.name for f in dataclasses.fields(Tie)]
    assert schema.field("start").type == pa.date32()
    assert schema.field("recorded_at").type == pa.timestamp("us")
    assert schema.field("adoptive").type == pa.bool_()
    with pytest.raises(TypeError, match="skills"):
        record_schema(Cadre)
    unsorted = pa.table({"key": ["b", "𠮷", "a", "Z"], "n": [1, 2, 3, 4]})
    assert sorted_by(unsorted, "key").column("key").to_pylist() == sorted(["b", "𠮷", "a", "Z"])
    ordered = pa.table({"key": ["a", "b"]})
    assert sorted_by(ordered, "key") is ordered


def test_tables_pickle_after_use() -> None:
    table, keyed = RecordTable.from_records(Tie, TIES), KeyedTable.from_records(Person, PERSONS)
    assert table[0] == TIES[0] and keyed["P1"] == PERSONS[1]  # readers and key index built
    assert pickle.loads(pickle.dumps(table)) == TIES
    assert pickle.loads(pickle.dumps(keyed)) == keyed
    assert repr(table) == "RecordTable[Tie](3 rows)" and repr(keyed) == "KeyedTable[Person](3 rows)"
