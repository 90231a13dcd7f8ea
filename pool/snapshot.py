"""Load the pool as of a date into frozen records (`pool.records.Snapshot`).

The three big tables (persons, ties, employments: millions of rows at province scale) are
read straight into Arrow columns and kept columnar (`KeyedTable`, `RecordTable`): no ORM
object, SQLAlchemy row or record per database row. The small tables become plain records.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import MappingProxyType
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
from sqlalchemy import ColumnElement, Connection, Integer, Text, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from pool import models as m
from pool import records as r

FETCH_ROWS = 20_000  # SQLite: rows per driver fetch
PARSE_AHEAD = 2  # SQLite: fetched chunks waiting for the parser, at most (bounds memory)


def _rows(session: Session, stmt: Any) -> list[Any]:
    return list(session.connection().execute(stmt))


def read_columns(session: Session, model: type[m.Base], record_type: type,
                 where: ColumnElement[bool] | None = None,
                 order_by: str | None = None) -> pa.Table:
    """The rows of `model`'s table (filtered by `where`) as Arrow columns typed by
    `records.record_schema(record_type)`, read inside the session's transaction; in
    ascending order of the field `order_by` (code-point order, whatever the database's
    collation), else in the order the database returns them.

    A driver builds one Python object per value it returns, and at 60 million values that
    costs more than everything else together; so each database writes its rows as text
    that Arrow parses in C++: PostgreSQL streams CSV (`COPY … TO STDOUT`), SQLite writes
    each row as one JSON object. Both end in the same Arrow types.
    """
    schema = r.record_schema(record_type)
    conn = session.connection()
    columns = [model.__table__.c[name] for name in schema.names]
    if conn.dialect.name == "postgresql":
        # the primary-key index gives the order nearly free; under a collation other than
        # C it may differ from code-point order, which the sort below then mends
        key = None if order_by is None else model.__table__.c[order_by]
        table = _read_postgres(conn, columns, where, key, schema)
    elif conn.dialect.name == "sqlite":
        table = _read_sqlite(conn, columns, where, schema)
    else:
        raise NotImplementedError(f"snapshot columns from {conn.dialect.name}")
    if order_by is None:
        return table
    arrays = table.columns
    del table  # sorted (when it is not yet) one column at a time, each old one freed
    r.sort_columns(arrays, schema.get_field_index(order_by))
    return pa.table(arrays, schema=schema)


def _sql(conn: Connection, stmt: Any) -> str:
    # literal binds: the only parameters are dates and constants, rendered by the dialect
    return str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def _read_postgres(conn: Connection, columns: list[Any], where: ColumnElement[bool] | None,
                   order_by: Any, schema: pa.Schema) -> pa.Table:
    """`COPY (SELECT …) TO STDOUT` as CSV into Arrow's streaming CSV reader: the server
    streams, Python only hands blocks of bytes over. Dates and datetimes are written by
    `to_char`, whatever the session's DateStyle; booleans come as t/f; NULL is an unquoted
    empty field and '' a quoted one, which keeps the two apart."""
    values = []
    for column, f in zip(columns, schema, strict=True):
        if pa.types.is_date(f.type):
            values.append(func.to_char(column, "YYYY-MM-DD"))
        elif pa.types.is_timestamp(f.type):
            values.append(func.to_char(column, "YYYY-MM-DD HH24:MI:SS.US"))
        else:
            values.append(column)
    stmt = select(*values)
    if where is not None:
        stmt = stmt.where(where)
    if order_by is not None:
        stmt = stmt.order_by(order_by)
    raw: Any = conn.connection.dbapi_connection
    encoding = raw.info.encoding
    with raw.cursor() as cursor, cursor.copy(f"COPY ({_sql(conn, stmt)}) TO STDOUT "
                                             "(FORMAT csv)") as copy:
        blocks = iter(copy)
        first = next(blocks, None)
        if first is None:
            return schema.empty_table()
        stream = io.BufferedReader(_ByteStream(itertools.chain([first], blocks)), 1 << 20)
        return pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(column_names=schema.names, block_size=4 << 20,
                                            use_threads=False,  # the server is busy too
                                            **({} if encoding == "utf-8"
                                               else {"encoding": encoding})),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=schema, strings_can_be_null=True, null_values=[""],
                quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]),
        ).read_all()


class _ByteStream(io.RawIOBase):
    """A readable binary file over an iterator of byte blocks."""

    def __init__(self, blocks: Iterable[Any]) -> None:
        self._blocks: Iterator[Any] = iter(blocks)
        self._rest = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._rest = memoryview(bytes(block))  # the driver may reuse its buffer
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def _read_sqlite(conn: Connection, columns: list[Any], where: ColumnElement[bool] | None,
                 schema: pa.Schema) -> pa.Table:
    """Each row as one JSON object (`json_object`; keys are field positions, dates and
    datetimes ISO strings as stored, booleans 0/1), fetched one string per row and parsed
    by Arrow's JSON reader a chunk at a time, in a worker thread while the next chunk is
    fetched (SQLite itself runs without the GIL)."""
    pairs: list[Any] = []
    for i, (column, f) in enumerate(zip(columns, schema, strict=True)):
        pairs += [literal(str(i)), cast(column, Integer) if f.type == pa.bool_() else column]
    stmt = select(cast(func.json_object(*pairs), Text))
    if where is not None:
        stmt = stmt.where(where)
    wire = pa.schema([(str(i), pa.string() if pa.types.is_date(f.type)
                       or pa.types.is_timestamp(f.type) else
                       pa.int64() if f.type == pa.bool_() else f.type)
                      for i, f in enumerate(schema)])
    options = pa_json.ParseOptions(explicit_schema=wire, unexpected_field_behavior="error")
    single = pa_json.ReadOptions(use_threads=False)  # the fetching thread is the other core

    def parse(text: bytes) -> pa.Table:
        chunk = pa_json.read_json(pa.BufferReader(text), read_options=single,
                                  parse_options=options)
        return pa.table([chunk.column(i).cast(f.type) for i, f in enumerate(schema)],
                        schema=schema)

    pending: deque[Future[pa.Table]] = deque()
    parsed: list[pa.Table] = []
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot") as parser:
            cursor.execute(_sql(conn, stmt))
            while rows := cursor.fetchmany(FETCH_ROWS):
                text = "\n".join([row[0] for row in rows]).encode()
                del rows
                pending.append(parser.submit(parse, text))
                del text
                while len(pending) > PARSE_AHEAD:
                    parsed.append(pending.popleft().result())
            parsed += [chunk.result() for chunk in pending]
    finally:
        cursor.close()
    return pa.concat_tables(parsed) if parsed else schema.empty_table()


def load_snapshot(session: Session, as_of: dt.date) -> r.Snapshot:
    """Everything that had begun by `as_of` (see `Snapshot` for the exact rule)."""
    regions = {row.code: r.Region(row.code, row.name, row.parent_code, row.level)
               for row in _rows(session, select(m.Region).order_by(m.Region.code))}
    systems = {row.code: r.System(row.code, row.name_zh, row.name_en)
               for row in _rows(session, select(m.System).order_by(m.System.code))}
    skills = {row.code: r.Skill(row.code, row.name_zh, row.name_en)
              for row in _rows(session, select(m.Skill).order_by(m.Skill.code))}
    units = {row.key: r.Unit(row.key, row.name, row.region_code, row.system_code,
                             row.parent_key, row.supervisor_key, row.kind)
             for row in _rows(session, select(m.Unit).order_by(m.Unit.key))}
    persons = r.KeyedTable.from_arrow(
        r.Person, read_columns(session, m.Person, r.Person, order_by="key"))
    cadres = _cadres(session, as_of)
    employments = r.RecordTable.from_arrow(r.Employment, read_columns(
        session, m.Employment, r.Employment, m.Employment.start <= as_of, order_by="key"))
    ties = r.RecordTable.from_arrow(r.Tie, read_columns(
        session, m.Tie, r.Tie, or_(m.Tie.start.is_(None), m.Tie.start <= as_of),
        order_by="key"))
    rounds = {row.key: r.Round(row.key, row.name, row.kind, row.region_code, row.start,
                               row.end)
              for row in _rows(session, select(m.Round).where(m.Round.start <= as_of)
                               .order_by(m.Round.key))}
    participations = tuple(
        r.Participation(row.round_key, row.person_key, row.team_no, row.role,
                        row.target_unit_key, row.second_target_unit_key)
        for row in _rows(session, select(m.Participation)
                         .order_by(m.Participation.round_key, m.Participation.person_key))
        if row.round_key in rounds)
    evaluations = tuple(
        r.Evaluation(row.round_key, row.person_key, row.grade, row.score, row.comment,
                     row.evaluator, row.evaluated_on, row.accountability)
        for row in _rows(session, select(m.Evaluation)
                         .order_by(m.Evaluation.round_key, m.Evaluation.person_key))
        if row.round_key in rounds and (row.evaluated_on is None or row.evaluated_on <= as_of))
    return r.Snapshot(
        as_of=as_of,
        regions=MappingProxyType(regions), systems=MappingProxyType(systems),
        skills=MappingProxyType(skills), units=MappingProxyType(units),
        persons=persons, cadres=MappingProxyType(cadres),
        employments=employments, ties=ties, rounds=MappingProxyType(rounds),
        participations=participations, evaluations=evaluations,
    )


def _cadres(session: Session, as_of: dt.date) -> dict[str, r.Cadre]:
    skills: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in _rows(session, select(m.CadreSkill).order_by(m.CadreSkill.person_key,
                                                            m.CadreSkill.skill_code)):
        skills[row.person_key].append((row.skill_code, row.level))
    periods: dict[str, list[r.Period]] = defaultdict(list)
    for row in _rows(session, select(m.CadreUnavailability)
                     .where(m.CadreUnavailability.end >= as_of)
                     .order_by(m.CadreUnavailability.person_key,
                               m.CadreUnavailability.start)):
        periods[row.person_key].append(r.Period(row.start, row.end, row.reason))
    cadres = {}
    for row in _rows(session, select(m.Cadre).order_by(m.Cadre.person_key)):
        if row.joined_on is not None and row.joined_on > as_of:
            continue
        cadres[row.person_key] = r.Cadre(
            row.person_key, row.home_unit_key, row.rank, row.political_status,
            tuple(skills.get(row.person_key, ())), row.leader_pool, row.deputy_pool,
            row.expert_pool, row.reserve, row.newly_promoted, row.status, row.status_reason,
            row.status_from, row.status_to, row.max_rounds_per_year, row.joined_on,
            tuple(periods.get(row.person_key, ())), row.full_time)
    return cadres
