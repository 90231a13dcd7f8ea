"""Import pool data from `.csv`/`.xlsx` files: all-or-nothing, idempotent (upsert by
external key), with a dry run, reporting every bad row at once.

The importer validates every table before anything is trusted, writes into the caller's
transaction only while no error has been seen, and raises `ImportRejected` with all
errors at the end, so the caller's rollback leaves the database untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from pool import bulk
from pool.checks import check_table
from pool.formats import Entity
from pool.parsing import ROW, ErrorSink, RowError, parse_table
from pool.repository import PoolRepository
from pool.state import PoolState
from pool.tabular import SourceTable, read_tables

Progress = Callable[[str, int], None]  # (entity name, rows) after each table


@dataclass(frozen=True, slots=True)
class TableReport:
    entity: str
    source: str
    rows: int
    new: int
    updated: int


@dataclass
class ImportReport:
    tables: list[TableReport] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


class ImportRejected(Exception):
    """The batch has errors; nothing may be kept. `errors` lists every one of them."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(f"导入被拒绝：{len(self.errors)} 处错误 / import rejected: "
                         f"{len(self.errors)} error(s)")


def _db_reads(repo: PoolRepository) -> dict[str, Callable[[], pd.DataFrame]]:
    return {
        "unit_links": repo.unit_links,
        "person_facts": repo.person_facts,
        "kin_ties": lambda: repo.ties_of_kinds(["parent_of", "spouse_of"]),
        "participations": repo.participation_frame,
    }


def _key_loader(repo: PoolRepository) -> Callable[[Entity], set]:
    def load(entity: Entity) -> set:
        return repo.keys(entity) if len(entity.key) == 1 else repo.composite_keys(entity)
    return load


def _batch_keys(entity: Entity, frame: pd.DataFrame) -> set:
    if len(entity.key) == 1:
        return set(frame[entity.key[0]].dropna())
    return {k for k in zip(*(frame[c] for c in entity.key), strict=True) if None not in k}


def import_path(session: Session, path: Path, *, dry_run: bool = False,
                progress: Progress | None = None) -> ImportReport:
    """Import a file or a directory of files (see `pool.tabular.read_tables`)."""
    return import_tables(session, read_tables(path), dry_run=dry_run, progress=progress)


def import_tables(session: Session, tables: Sequence[SourceTable], *, dry_run: bool = False,
                  progress: Progress | None = None) -> ImportReport:
    started = time.perf_counter()
    sink = ErrorSink()
    _check_one_table_per_entity(tables, sink)
    repo = PoolRepository(session)
    reads = _db_reads(repo)
    state = PoolState(_key_loader(repo), lambda what: reads[what]())
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not dry_run:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    skill_lookup = repo.skill_lookup()
    report = ImportReport(dry_run=dry_run)
    for table in tables:
        entity = table.entity
        frame = parse_table(table, sink, skill_lookup)
        check_table(table, frame, state, sink)
        keys = _batch_keys(entity, frame)
        existing = state.keys(entity.name)
        updated = len(keys & existing)
        report.tables.append(TableReport(entity.name, table.location(), len(frame),
                                         len(keys) - updated, updated))
        state.add_keys(entity.name, keys)
        if entity.name == "persons":
            state.add_births(frame["key"], frame["birth_date"])
        if entity.name == "skills":
            for code, zh, en in zip(frame["code"], frame["name_zh"], frame["name_en"],
                                    strict=True):
                for label in (code, zh, en):
                    if code and label:
                        skill_lookup[str(label).lower()] = code
        if not sink.errors and not dry_run:
            _write(session, entity, frame)
        if progress:
            progress(entity.name, len(frame))
    if sink.errors:
        order = {t.location(): i for i, t in enumerate(tables)}
        raise ImportRejected(sorted(
            sink.errors, key=lambda e: (order.get(e.file + (f"[{e.sheet}]" if e.sheet else ""),
                                                  0), e.row or 0)))
    report.seconds = time.perf_counter() - started
    return report


def _check_one_table_per_entity(tables: Sequence[SourceTable], sink: ErrorSink) -> None:
    seen: dict[str, SourceTable] = {}
    for table in tables:
        first = seen.setdefault(table.entity.name, table)
        if first is not table:
            sink.table_error(table, None,
                             f"{table.entity.zh}已在 {first.location()} 中出现；"
                             "每批每类数据只能有一个表",
                             f"{table.entity.name} also appears in {first.location()}; "
                             "one table per entity per import")


def _write(session: Session, entity: Entity, frame: pd.DataFrame) -> None:
    conn = session.connection()
    data = frame.drop(columns=[ROW])
    if entity.name == "cadres":
        skills = [(k, code, level) for k, pairs in zip(data["person_key"], data["skills"],
                                                        strict=True) for code, level in pairs]
        bulk.upsert(conn, entity.table, data.drop(columns=["skills"]))
        bulk.delete_where_in(conn, "cadre_skills", "person_key", list(data["person_key"]))
        bulk.upsert(conn, "cadre_skills", pd.DataFrame(
            skills, columns=["person_key", "skill_code", "level"]))
        return
    bulk.upsert(conn, entity.table, data)
