"""Bulk upsert of validated field frames: COPY into a staging table + one
`INSERT … ON CONFLICT DO UPDATE` on PostgreSQL, `executemany` upserts on SQLite.

Runs on the caller's connection and transaction; never commits.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Boolean, Connection, Date, DateTime, Float, Integer, Table
from sqlalchemy.schema import AddConstraint, DropConstraint

from pool.models import Base

CHUNK = 50_000


def _wire_column(series: pd.Series, column_type: object, sqlite: bool) -> np.ndarray:
    """Values the driver takes as they are: ISO strings for dates, 0/1 or t/f, None."""
    if isinstance(column_type, DateTime):
        ts = pd.to_datetime(series)
        text = ts.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        return text.astype(object).where(ts.notna(), None).to_numpy()
    if isinstance(column_type, Date):
        ts = pd.to_datetime(series)
        text = ts.dt.strftime("%Y-%m-%d")
        return text.astype(object).where(ts.notna(), None).to_numpy()
    if isinstance(column_type, Boolean):
        flags = series.fillna(False).astype(bool).to_numpy()
        return np.where(flags, 1, 0).astype(object) if sqlite else \
            np.where(flags, "t", "f").astype(object)
    if isinstance(column_type, Integer):
        values = pd.array(series, dtype="Int64")
        return np.array([None if v is pd.NA else int(v) for v in values], dtype=object)
    if isinstance(column_type, Float):
        values = pd.array(series, dtype="Float64")
        return np.array([None if v is pd.NA else float(v) for v in values], dtype=object)
    obj = series.astype(object)
    return obj.where(obj.notna(), None).to_numpy()


def _wire_chunks(table: Table, frame: pd.DataFrame, names: Sequence[str], sqlite: bool
                 ) -> Iterator[list[np.ndarray]]:
    """Driver values chunk by chunk, so a million rows never exist as Python objects at once."""
    for start in range(0, len(frame), CHUNK):
        chunk = frame.iloc[start:start + CHUNK]
        yield [_wire_column(chunk[n], table.c[n].type, sqlite) for n in names]


BIG_LOAD = 50_000  # SQLite rebuilds secondary indexes after loading this many new rows


def upsert(conn: Connection, table_name: str, frame: pd.DataFrame,
           update_columns: Sequence[str] | None = None,
           existing: np.ndarray | None = None) -> None:
    """Insert `frame` rows (field names = column names); on a primary-key conflict update
    `update_columns` (default: every non-key column in the frame).

    `existing` marks the rows whose key is already in the database, when the caller
    knows: SQLite then inserts the others with a plain INSERT, which is faster.
    """
    if frame.empty:
        return
    table = Base.metadata.tables[table_name]
    sqlite = conn.dialect.name == "sqlite"
    names = [c.name for c in table.columns if c.name in frame.columns]
    q = conn.dialect.identifier_preparer.quote
    pk = [c.name for c in table.primary_key.columns]
    updates = [n for n in (update_columns if update_columns is not None else names)
               if n not in pk and n in names]
    cols_sql = ", ".join(q(n) for n in names)
    conflict = f"ON CONFLICT ({', '.join(q(n) for n in pk)}) " + (
        "DO UPDATE SET " + ", ".join(f"{q(n)} = excluded.{q(n)}" for n in updates)
        if updates else "DO NOTHING"
    )
    raw = conn.connection.dbapi_connection
    if sqlite:
        insert = f"INSERT INTO {q(table_name)} ({cols_sql}) VALUES " \
                 f"({', '.join('?' for _ in names)})"
        if existing is None:
            existing = np.ones(len(frame), dtype=bool)
        new_rows = frame[~existing]
        rebuild = [ix for ix in table.indexes if not ix.unique] \
            if len(new_rows) >= BIG_LOAD else []
        for ix in rebuild:  # one sorted build beats a million random index inserts
            ix.drop(bind=conn)
        cursor = raw.cursor()  # type: ignore[union-attr]
        for sql, part in ((insert, new_rows), (f"{insert} {conflict}", frame[existing])):
            for columns in _wire_chunks(table, part, names, sqlite):
                cursor.executemany(sql, list(zip(*columns, strict=True)))
        cursor.close()
        for ix in rebuild:
            ix.create(bind=conn)
        return
    if existing is None:
        existing = np.ones(len(frame), dtype=bool)
    new_rows = frame[~existing]
    big = len(new_rows) >= BIG_LOAD
    if big:
        _drop_for_load(conn, table)
    _copy(raw, q(table_name), names, table, new_rows)  # new keys: straight into the table
    if existing.any():
        stage = f"_stage_{table_name}"
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {q(stage)} "
            f"(LIKE {q(table_name)} INCLUDING DEFAULTS) ON COMMIT DROP")
        conn.exec_driver_sql(f"TRUNCATE {q(stage)}")
        _copy(raw, q(stage), names, table, frame[existing])
        conn.exec_driver_sql(
            f"INSERT INTO {q(table_name)} ({cols_sql}) SELECT {cols_sql} FROM {q(stage)} "
            f"{conflict}")
    if big:
        _restore_after_load(conn, table)


def _drop_for_load(conn: Connection, table: Table) -> None:
    """PostgreSQL's bulk-load recipe: drop the table's foreign keys and secondary indexes,
    load, then re-create them (one set-based check and one sorted build each)."""
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for fk in table.foreign_key_constraints:
        conn.execute(DropConstraint(fk))
    for ix in table.indexes:
        if not ix.unique:
            ix.drop(bind=conn)


def _restore_after_load(conn: Connection, table: Table) -> None:
    for ix in table.indexes:
        if not ix.unique:
            ix.create(bind=conn)
    for fk in table.foreign_key_constraints:
        conn.execute(AddConstraint(fk))


def _arrow_column(series: pd.Series, column_type: object) -> pa.Array:
    if isinstance(column_type, DateTime):
        return pa.array(pd.to_datetime(series)).cast(pa.timestamp("us"))
    if isinstance(column_type, Date):
        return pa.array(pd.to_datetime(series)).cast(pa.date32())
    if isinstance(column_type, Boolean):
        return pa.array(series.fillna(False).astype(bool).to_numpy())
    if isinstance(column_type, Integer):
        return pa.array(pd.array(series, dtype="Int64"))
    if isinstance(column_type, Float):
        return pa.array(pd.array(series, dtype="Float64"))
    if isinstance(series.dtype, pd.StringDtype):  # already Arrow-backed: no Python objects
        return pa.array(series, from_pandas=True).cast(pa.large_string())
    return pa.array(series.astype(object).where(series.notna(), None), type=pa.large_string())


def _copy(raw: object, target: str, names: Sequence[str], table: Table,
          frame: pd.DataFrame) -> None:
    """COPY rows in CSV form, built by Arrow's C++ writer chunk by chunk."""
    if frame.empty:
        return
    cols_sql = ", ".join(f'"{n}"' for n in names)
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with raw.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
            f"COPY {target} ({cols_sql}) FROM STDIN WITH (FORMAT csv)") as copy:
        for start in range(0, len(frame), CHUNK):
            chunk = frame.iloc[start:start + CHUNK]
            arrays = {n: _arrow_column(chunk[n], table.c[n].type) for n in names}
            buffer = io.BytesIO()
            pacsv.write_csv(pa.table(arrays), buffer, options)
            copy.write(buffer.getvalue())


def _for_keys(conn: Connection, statement: str, keys: Sequence[str]) -> None:
    """Run `statement` (ending in "<key column> = ") for every key: executemany on
    SQLite, one `= ANY(array)` statement on PostgreSQL."""
    if not keys:
        return
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    if conn.dialect.name == "sqlite":
        cursor.executemany(statement + "?", [(k,) for k in keys])
    else:
        cursor.execute(statement + "ANY(%s)", (list(keys),))
    cursor.close()


def clear_column(conn: Connection, table_name: str, column: str, key_column: str,
                 keys: Sequence[str]) -> None:
    """Set `column` to NULL on the rows whose `key_column` is one of `keys`: frees unique
    values (ID numbers) that an upsert may move between rows."""
    q = conn.dialect.identifier_preparer.quote
    _for_keys(conn, f"UPDATE {q(table_name)} SET {q(column)} = NULL WHERE {q(key_column)} = ",
              keys)


def delete_where_in(conn: Connection, table_name: str, column: str, keys: Sequence[str]) -> None:
    """Delete the rows whose `column` is one of `keys` (used to replace child rows)."""
    q = conn.dialect.identifier_preparer.quote
    _for_keys(conn, f"DELETE FROM {q(table_name)} WHERE {q(column)} = ", keys)
