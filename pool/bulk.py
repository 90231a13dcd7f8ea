"""Bulk upsert of validated field frames: COPY into a staging table + one
`INSERT … ON CONFLICT DO UPDATE` on PostgreSQL, `executemany` upserts on SQLite.

Runs on the caller's connection and transaction; never commits.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Connection, Date, DateTime, Float, Integer, Table

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
                cursor.executemany(sql, zip(*columns, strict=True))
        cursor.close()
        for ix in rebuild:
            ix.create(bind=conn)
        return
    stage = f"_stage_{table_name}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {q(stage)} "
        f"(LIKE {q(table_name)} INCLUDING DEFAULTS) ON COMMIT DROP")
    conn.exec_driver_sql(f"TRUNCATE {q(stage)}")
    copy_sql = f"COPY {q(stage)} ({cols_sql}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]
        for columns in _wire_chunks(table, frame, names, sqlite):
            buffer = io.StringIO()
            pd.DataFrame(dict(zip(names, columns, strict=True))).to_csv(
                buffer, header=False, index=False, lineterminator="\n")
            copy.write(buffer.getvalue())
    conn.exec_driver_sql(
        f"INSERT INTO {q(table_name)} ({cols_sql}) SELECT {cols_sql} FROM {q(stage)} {conflict}")


def delete_where_in(conn: Connection, table_name: str, column: str, keys: Sequence[str]) -> None:
    """Delete the rows whose `column` is one of `keys` (used to replace child rows)."""
    if not keys:
        return
    q = conn.dialect.identifier_preparer.quote
    raw = conn.connection.dbapi_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    if conn.dialect.name == "sqlite":
        cursor.executemany(f"DELETE FROM {q(table_name)} WHERE {q(column)} = ?",
                           [(k,) for k in keys])
    else:
        cursor.execute(f"DELETE FROM {q(table_name)} WHERE {q(column)} = ANY(%s)", (list(keys),))
    cursor.close()
