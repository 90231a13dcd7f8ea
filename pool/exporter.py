"""Export the pool in the import format (Chinese headers): a CSV directory or an `.xlsx`
workbook. Rows are ordered by key so that exports are deterministic; importing an export
reproduces the database exactly (lossless round trip)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from pool.formats import ENTITIES, ENTITY_BY_NAME, Entity
from pool.repository import PoolRepository
from pool.tabular import render, write_tables


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


def export_pool(session: Session, target: Path, *, entities: Sequence[str] | None = None,
                fmt: str | None = None,
                progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write the chosen entities (default: all) and return the row count of each."""
    repo = PoolRepository(session)
    chosen = [ENTITY_BY_NAME[n] for n in entities] if entities else list(ENTITIES)
    skill_names = repo.skill_names()
    tables: dict[str, pd.DataFrame] = {}
    for entity in chosen:
        frame = entity_frame(repo, entity)
        tables[entity.name] = render(entity, frame, skill_names)
        if progress:
            progress(entity.name, len(frame))
    write_tables(tables, target, fmt=fmt)
    return {name: len(frame) for name, frame in tables.items()}
