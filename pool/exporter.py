"""Export the pool in the import format (Chinese headers): a CSV directory or an `.xlsx`
workbook. Rows are ordered by key so that exports are deterministic.

ID numbers are masked (`110105**********2X`) unless the caller asks for them in full: a
masked export is for reading and cannot be imported again (the importer says so); a full
export reproduces the database exactly (lossless round trip), for backups and migration."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pool.display import Names, render, write_tables
from pool.formats import ENTITIES, ENTITY_BY_NAME, REFERENCE_NAMES, Entity
from pool.repository import PoolRepository
from pool.validation import mask_id_number

IdNumbers = Literal["masked", "full"]


def consistent(engine: Engine) -> Engine:
    """The engine for an export's read transaction: every table as of one moment
    (REPEATABLE READ on PostgreSQL; a SQLite transaction reads one snapshot already)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


def entity_frame(repo: PoolRepository, entity: Entity) -> pd.DataFrame:
    """One entity's rows in field space, ordered by key."""
    if entity.name != "cadres":
        return repo.table_frame(entity)
    frame = repo.table_frame(entity, [f for f in entity.fields if f != "skills"])
    skills = repo.cadre_skills()
    grouped: dict[str, list[tuple[str, int]]] = {}
    for key, code, level in skills.itertuples(index=False):
        grouped.setdefault(key, []).append((code, int(level)))
    frame["skills"] = [tuple(grouped.get(k, ())) for k in frame["person_key"]]
    return frame


def reference_names(repo: PoolRepository, chosen: Sequence[Entity]) -> Names:
    """key → name of every entity whose rows the chosen ones reference by key, for the
    name columns beside the keys (`Column.beside`)."""
    wanted = {REFERENCE_NAMES[c.ref] for e in chosen for c in e.columns
              if c.beside is not None and c.ref in REFERENCE_NAMES}
    names: dict[str, dict[str, str]] = {}
    for source, field in sorted(wanted):
        entity = ENTITY_BY_NAME[source]
        frame = repo.table_frame(entity, [entity.key[0], field])
        names[source] = dict(zip(frame.iloc[:, 0].astype(str), frame.iloc[:, 1].astype(str),
                                 strict=True))
    return names


def export_tables(session: Session, *, entities: Sequence[str] | None = None,
                  id_numbers: IdNumbers = "masked",
                  progress: Callable[[str, int], None] | None = None
                  ) -> dict[str, pd.DataFrame]:
    """The chosen entities (default: all) as display frames, in memory, each key that
    references another table followed by the referenced name (read-only)."""
    repo = PoolRepository(session)
    chosen = [ENTITY_BY_NAME[n] for n in entities] if entities else list(ENTITIES)
    skill_names = repo.skill_names()
    names = reference_names(repo, chosen)
    tables: dict[str, pd.DataFrame] = {}
    for entity in chosen:
        frame = entity_frame(repo, entity)
        if id_numbers != "full":
            for col in entity.columns:
                if col.kind == "id_number" and col.field in frame.columns:
                    frame[col.field] = frame[col.field].map(mask_id_number, na_action="ignore")
        tables[entity.name] = render(entity, frame, skill_names, names)
        if progress:
            progress(entity.name, len(frame))
    return tables


def row_counts(tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    return {name: len(frame) for name, frame in tables.items()}


def export_pool(session: Session, target: Path, *, entities: Sequence[str] | None = None,
                fmt: str | None = None, id_numbers: IdNumbers = "masked",
                progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write the chosen entities (default: all) and return the row count of each."""
    tables = export_tables(session, entities=entities, id_numbers=id_numbers,
                           progress=progress)
    write_tables(tables, target, fmt=fmt)
    return row_counts(tables)
