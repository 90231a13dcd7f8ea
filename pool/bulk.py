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


def wire_frame(table: Table, frame: pd.DataFrame, sqlite: bool
               ) -> tuple[list[str], list[np.ndarray]]:
    names = [c.name for c in table.columns if c.name in frame.columns]
    return names, [_wire_column(frame[n], table.c[n].type, sqlite) for n in names]


def _rows(columns: Sequence[np.ndarray], start: int, stop: int) -> Iterator[tuple]:
    return zip(*(c[start:stop] for c in columns), strict=True)


def upsert(conn: Connection, table_name: str, frame: pd.DataFrame) -> None:
    """Insert or update `frame` rows (field names = column names) by primary key."""
    if frame.empty:
        return
    table = Base.metadata.tables[table_name]
    sqlite = conn.dialect.name == "sqlite"
    names, columns = wire_frame(table, frame, sqlite)
    q = conn.dialect.identifier_preparer.quote
    pk = [c.name for c in table.primary_key.columns]
    updates = [n for n in names if n not in pk]
    cols_sql = ", ".join(q(n) for n in names)
    conflict = f"ON CONFLICT ({', '.join(q(n) for n in pk)}) " + (
        "DO UPDATE SET " + ", ".join(f"{q(n)} = excluded.{q(n)}" for n in updates)
        if updates else "DO NOTHING"
    )
    n = len(frame)
    if sqlite:
        sql = f"INSERT INTO {q(table_name)} ({cols_sql}) VALUES " \
              f"({', '.join('?' for _ in names)}) {conflict}"
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()  # type: ignore[union-attr]
        for start in range(0, n, CHUNK):
            cursor.executemany(sql, list(_rows(columns, start, start + CHUNK)))
        cursor.close()
        return
    stage = f"_stage_{table_name}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {q(stage)} "
        f"(LIKE {q(table_name)} INCLUDING DEFAULTS) ON COMMIT DROP")
    conn.exec_driver_sql(f"TRUNCATE {q(stage)}")
    raw = conn.connection.dbapi_connection
    copy_sql = f"COPY {q(stage)} ({cols_sql}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]
        for start in range(0, n, CHUNK):
            chunk = pd.DataFrame({nm: col[start:start + CHUNK]
                                  for nm, col in zip(names, columns, strict=True)})
            buffer = io.StringIO()
            chunk.to_csv(buffer, header=False, index=False, lineterminator="\n")
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
