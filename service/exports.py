"""Exports as the service records them, for the CLI and the API: the tables are read in one
transaction (one snapshot of the pool) and built in memory, so no copy stays on disk; the
audit event follows in a short write transaction of its own. On SQLite a read transaction
that then writes fails at once ("database is locked") when another writer committed in
between, while a write transaction waits its turn; and an export that failed is never
recorded as done."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from sqlalchemy import Engine

from pool.db import transaction
from pool.exporter import IdNumbers, consistent, export_tables, row_counts
from service import audit


def read_export(engine: Engine, *, entities: Sequence[str] | None, id_numbers: IdNumbers,
                progress: Callable[[str, int], None] | None = None
                ) -> dict[str, pd.DataFrame]:
    """The chosen entities (default: all) as display frames, ID numbers masked unless
    `id_numbers` is "full"."""
    with transaction(consistent(engine)) as session:
        return export_tables(session, entities=entities, id_numbers=id_numbers,
                             progress=progress)


def record_export(engine: Engine, actor: str, name: str, tables: dict[str, pd.DataFrame], *,
                  fmt: str, id_numbers: IdNumbers, **more: object) -> None:
    """The `data.export` event: what was exported, how many rows, and whether with full ID
    numbers."""
    with transaction(engine, write=True) as session:
        audit.record(session, actor, "data.export", object_type="export", object_key=name,
                     data={"format": fmt, "id_numbers": id_numbers,
                           "rows": row_counts(tables), **more})
