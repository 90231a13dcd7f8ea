"""The columnar snapshot loader gives exactly the records the row-by-row loader gave.

`_reference` is the loader as it was before the tables became columnar (one SQLAlchemy row
and one dataclass per database row, in key order); both run on the sample city, on SQLite
and on PostgreSQL, and every record of the three big tables is compared, field types too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from pool import models as m
from pool import records as r
from pool.db import transaction
from pool.importer import import_path
from pool.snapshot import load_snapshot

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "city"


def _reference(session: Session, as_of: dt.date) -> dict[str, Any]:
    conn = session.connection()
    persons = {row.key: r.Person(row.key, row.name, row.gender, row.birth_date,
                                 row.native_region, row.grew_up_region)
               for row in conn.execute(select(m.Person))}
    employments = [
        r.Employment(row.key, row.person_key, row.unit_key, row.post, row.is_leader,
                     row.start, row.end, row.source_type, row.source_ref)
        for row in conn.execute(select(m.Employment).where(m.Employment.start <= as_of))]
    ties = [
        r.Tie(row.key, row.kind, row.subject_key, row.object_person_key, row.object_unit_key,
              row.adoptive, row.step, row.category, row.start, row.end, row.source_type,
              row.source_ref, row.recorded_by, row.recorded_at, row.note)
        for row in conn.execute(select(m.Tie).where(or_(m.Tie.start.is_(None),
                                                        m.Tie.start <= as_of)))]
    # key order is code-point order (Python's), whatever the database's collation
    return {"persons": dict(sorted(persons.items())),
            "employments": tuple(sorted(employments, key=lambda e: e.key)),
            "ties": tuple(sorted(ties, key=lambda t: t.key))}


def _same_types(a: Any, b: Any) -> bool:
    return all(type(getattr(a, f.name)) is type(getattr(b, f.name))
               for f in dataclasses.fields(a))


@pytest.fixture
def city(engine: Engine) -> Engine:
    with transaction(engine) as session:
        import_path(session, SAMPLE)
    return engine


@pytest.mark.slow
@pytest.mark.parametrize("as_of", [dt.date(2026, 11, 22), dt.date(2012, 6, 30)])
def test_columnar_snapshot_equals_row_by_row_loader(city: Engine, as_of: dt.date) -> None:
    with transaction(city) as session:
        snap = load_snapshot(session, as_of)
        ref = _reference(session, as_of)
    assert isinstance(snap.persons, r.KeyedTable)
    assert isinstance(snap.ties, r.RecordTable) and isinstance(snap.employments, r.RecordTable)
    assert len(snap.persons) == len(ref["persons"]) > 20_000
    assert list(snap.persons) == list(ref["persons"])
    assert dict(snap.persons.items()) == ref["persons"]
    assert snap.ties == ref["ties"] and snap.employments == ref["employments"]
    assert len(ref["ties"]) > 0 and len(ref["employments"]) > 0
    for name in ("ties", "employments"):
        assert all(_same_types(a, b) for a, b in zip(getattr(snap, name), ref[name],
                                                       strict=True)), name
    assert all(_same_types(a, b) for a, b in zip(snap.persons.values(),
                                                   ref["persons"].values(), strict=True))
    # random access agrees with iteration
    for key in list(ref["persons"])[::997]:
        assert snap.persons[key] == ref["persons"][key]
    for i in range(0, len(ref["ties"]), 1009):
        assert snap.ties[i] == ref["ties"][i]
    # the vectorized view: field columns, dates as datetime64 with NaT for None
    frame = snap.ties.columns_frame
    assert list(frame.columns) == [f.name for f in dataclasses.fields(r.Tie)]
    for column in ("start", "end", "recorded_at"):
        assert pd.api.types.is_datetime64_dtype(frame[column])
    assert frame["start"].isna().sum() == sum(t.start is None for t in ref["ties"])
    assert frame["key"].tolist() == [t.key for t in ref["ties"]]


def test_snapshot_of_an_empty_pool(engine: Engine) -> None:
    with transaction(engine) as session:
        snap = load_snapshot(session, dt.date(2026, 11, 22))
    assert len(snap.persons) == len(snap.ties) == len(snap.employments) == 0
    assert snap.ties == () and dict(snap.persons) == {}
    assert list(snap.ties.columns_frame.columns) == [f.name for f in dataclasses.fields(r.Tie)]


AWKWARD = ["引号\"与反斜杠\\", "换行\n回车\r制表\t", "𠮷野家", "", " 空格 ", "\x01控制", "a,b;c",
           "{\"json\": [1]}", "null", "0"]


def test_awkward_values_survive_on_both_databases(engine: Engine) -> None:
    """Strings the JSON rows must escape, empty strings beside NULLs, dates far apart,
    microseconds; and rows written earlier in the same transaction are seen."""
    recorded = dt.datetime(2025, 12, 31, 23, 59, 58, 123456)
    with transaction(engine) as session:
        session.add(m.Region(code="320000", name="江淮省", level="province"))
        session.add(m.System(code="finance", name_zh="财政", name_en=None))
        session.flush()
        session.add(m.Unit(key="U1", name="单位", region_code="320000", system_code="finance"))
        for i, text in enumerate(AWKWARD):
            session.add(m.Person(key=f"P{i:02d}", name=text, gender=None if i % 2 else "F",
                                 birth_date=dt.date(1900 + i, 1, 1) if i % 3 else None,
                                 native_region="320000" if i % 2 else None))
        session.flush()
        for i, text in enumerate(AWKWARD):
            session.add(m.Tie(key=f"T{i:02d}", kind="declared", subject_key=f"P{i:02d}",
                              object_person_key="P00", adoptive=bool(i % 2), step=i == 3,
                              category=text or None, start=dt.date(1, 1, 1) if i == 1 else None,
                              end=dt.date(9999, 12, 31) if i == 2 else None, note=text,
                              recorded_at=recorded if i % 2 else None, source_ref=text))
            session.add(m.Employment(key=f"E{i:02d}", person_key=f"P{i:02d}", unit_key="U1",
                                     post=text, is_leader=i == 0, start=dt.date(2000, 1, i + 1),
                                     end=None if i else dt.date(2001, 1, 1)))
        session.add(m.Employment(key="E_LATER", person_key="P00", unit_key="U1",
                                 start=dt.date(2027, 1, 1)))
        # written last, first in key order: the loader sorts what the database does not
        session.add(m.Person(key="P-0", name="后来者"))
        session.flush()
        session.add(m.Tie(key="T-0", kind="spouse_of", subject_key="P-0",
                          object_person_key="P01"))
        session.add(m.Employment(key="E-0", person_key="P-0", unit_key="U1",
                                 start=dt.date(2020, 1, 1)))
        session.flush()
        snap = load_snapshot(session, dt.date(2026, 11, 22))
        ref = _reference(session, dt.date(2026, 11, 22))
    assert [p.name for p in snap.persons.values()] == ["后来者", *AWKWARD]
    assert dict(snap.persons.items()) == ref["persons"]
    assert snap.ties == ref["ties"] and snap.employments == ref["employments"]
    assert (snap.ties[0].key, snap.employments[0].key) == ("T-0", "E-0")
    assert "E_LATER" not in {e.key for e in snap.employments}
    ties = {t.key: t for t in snap.ties}
    assert ties["T01"].recorded_at == recorded and ties["T00"].recorded_at is None
    assert (ties["T01"].start, ties["T02"].end) == (dt.date(1, 1, 1), dt.date(9999, 12, 31))
    assert ties["T03"].note == "" and ties["T03"].category is None
    for name in ("ties", "employments"):
        assert all(_same_types(a, b) for a, b in zip(getattr(snap, name), ref[name],
                                                       strict=True)), name
