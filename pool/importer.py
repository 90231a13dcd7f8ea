"""Import pool data from `.csv`/`.xlsx` files: all-or-nothing, idempotent (upsert by
external key), with a dry run, reporting every bad row at once.

The importer validates every table, writes into the caller's transaction only while no
error has been seen, and raises `ImportRejected` with all errors at the end, so the
caller's rollback leaves the database untouched. A column left out of a file is left
unchanged on rows that already exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from pool import bulk
from pool.arrow import key_strings
from pool.checks import check_table
from pool.formats import NOTE_SHEETS, Entity
from pool.parsing import ROW, ErrorSink, RowError, parse_table
from pool.repository import PoolRepository
from pool.state import PoolState
from pool.tabular import SourceTable, TableReadError, read_tables
from pool.text_encoding import reading_note
from pool.values import add_skill_labels

Progress = Callable[[str, int], None]  # (entity name, rows) after each table
# A progress callback may also have `stage(entity, doing)`, told what a table is going
# through (reading, parsing, checking, writing) so that a long step shows where it is.


def _stage(progress: Progress | None, entity: str, doing: str) -> None:
    stage = getattr(progress, "stage", None)
    if stage is not None:
        stage(entity, doing)
DERIVED = {"regions": ("level",)}  # fields the importer computes, written with the row


@dataclass(frozen=True, slots=True)
class TableReport:
    entity: str
    source: str
    rows: int
    new: int
    updated: int
    encoding: str | None = None  # a CSV file's text encoding (UTF-8 or GB18030)


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
        "skill_labels": repo.skill_labels,
    }


def import_path(session: Session, path: Path, *, dry_run: bool = False,
                progress: Progress | None = None) -> ImportReport:
    """Import a file or a directory of files (see `pool.tabular.read_tables`). A
    workbook's notes and code-list sheets (`pool.formats.NOTE_SHEETS`, as in the import
    template) are not data and are skipped."""
    tables, problems = read_tables(path, stage=getattr(progress, "stage", None))
    problems = [p for p in problems if not (p.sheet in NOTE_SHEETS and p.row is None)]
    return import_tables(session, tables, dry_run=dry_run, progress=progress,
                         read_problems=problems)


def import_tables(session: Session, tables: Sequence[SourceTable], *, dry_run: bool = False,
                  progress: Progress | None = None,
                  read_problems: Sequence[TableReadError] = ()) -> ImportReport:
    started = time.perf_counter()
    sink = ErrorSink()
    sink.errors.extend(_read_error(p) for p in read_problems)
    _check_one_table_per_entity(tables, sink)
    repo = PoolRepository(session)
    reads = _db_reads(repo)
    state = PoolState(repo.key_array, lambda what: reads[what]())
    if session.connection().dialect.name == "sqlite" and not dry_run:
        session.connection().exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    skill_lookup: dict[str, str] = {}
    add_skill_labels(skill_lookup, state.db("skill_labels"))
    report = ImportReport(dry_run=dry_run)
    for table in tables:
        entity = table.entity
        _stage(progress, entity.name, "读取、解析 reading, parsing")
        try:
            parsed = parse_table(table, sink, skill_lookup)
        except TableReadError as problem:
            sink.errors.append(_read_error(problem))
            continue
        finally:
            table.release()
        frame = parsed.frame
        keys = key_strings(frame, entity.key)
        existing = state.in_database(entity.name, keys)
        _fill_absent_from_database(repo, entity, frame, parsed.present, keys, existing)
        _stage(progress, entity.name, "检查 checking")
        check_table(table, frame, state, sink)
        updated = int(existing.sum())
        report.tables.append(TableReport(entity.name, table.location(), len(frame),
                                         int(keys.notna().sum()) - updated, updated,
                                         table.encoding))
        state.add_keys(entity.name, keys)
        if entity.name == "skills":
            add_skill_labels(skill_lookup, frame)
        if not sink.errors and not dry_run:
            _stage(progress, entity.name, "写入 writing")
            _write(session, entity, frame, parsed.present, existing)
        if progress:
            progress(entity.name, len(frame))
        del parsed, frame, keys, existing  # before the next table is read
    if sink.errors:
        order = {t.location(): i for i, t in enumerate(tables)}
        raise ImportRejected(sorted(
            _with_encodings(sink.errors, tables),
            key=lambda e: (order.get(e.file + (f"[{e.sheet}]" if e.sheet else ""), -1),
                           e.row or 0)))
    report.seconds = time.perf_counter() - started
    return report


def _read_error(problem: TableReadError) -> RowError:
    return RowError(problem.file, problem.sheet, problem.row, problem.column, problem.value,
                    problem.zh, problem.en)


def _with_encodings(errors: list[RowError], tables: Sequence[SourceTable]) -> list[RowError]:
    """Errors in a file read in a legacy encoding say so: a wrong guess shows as mojibake
    in the values, and the note tells why."""
    notes = {(t.file, t.sheet): reading_note(t.encoding) for t in tables
             if any(reading_note(t.encoding))}
    return [replace(e, zh=e.zh + notes[e.file, e.sheet][0], en=e.en + notes[e.file, e.sheet][1])
            if (e.file, e.sheet) in notes else e for e in errors]


def _fill_absent_from_database(repo: PoolRepository, entity: Entity, frame: pd.DataFrame,
                               present: frozenset[str], keys: pd.Series,
                               existing: np.ndarray) -> None:
    """A column left out of the file keeps its stored values: put them into the frame so
    that every check sees the rows as they will be after the import."""
    absent = [f for f in entity.fields if f not in present and f != "skills"]
    if not absent or not existing.any():
        return
    stored = repo.table_frame(entity, list(entity.key) + absent)
    stored.index = pd.Index(key_strings(stored, entity.key))
    rows = keys[existing]
    for name in absent:
        values = stored[name].reindex(rows.to_numpy())
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            values = pd.to_datetime(values).astype(column.dtype)
        elif pd.api.types.is_bool_dtype(column):
            values = values.fillna(False).astype(bool)
        elif isinstance(column.dtype, pd.StringDtype):
            values = values.astype("str")
        elif isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
            values = values.astype(column.dtype)
        frame.loc[existing, name] = values.to_numpy()


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


def _write(session: Session, entity: Entity, frame: pd.DataFrame,
           present: frozenset[str], existing: np.ndarray) -> None:
    conn = session.connection()
    data = frame.drop(columns=[ROW])
    updates = [f for f in entity.fields if f in present and f not in entity.key]
    updates += list(DERIVED.get(entity.name, ()))
    if entity.name == "cadres":
        bulk.upsert(conn, entity.table, data.drop(columns=["skills"]),
                    update_columns=[f for f in updates if f != "skills"], existing=existing)
        if "skills" in present:  # a file with a 专业特长 column replaces the skill set
            skills = [(k, code, level) for k, pairs in zip(data["person_key"], data["skills"],
                                                            strict=True)
                      for code, level in pairs]
            bulk.delete_where_in(conn, "cadre_skills", "person_key", list(data["person_key"]))
            bulk.upsert(conn, "cadre_skills", pd.DataFrame(
                skills, columns=["person_key", "skill_code", "level"]))
        return
    if entity.name == "persons" and "id_number" in present and existing.any():
        # unique numbers may move between persons of this batch in any row order
        bulk.clear_column(conn, "persons", "id_number", "key",
                          list(data.loc[existing, "key"]))
    bulk.upsert(conn, entity.table, data, update_columns=updates, existing=existing)
