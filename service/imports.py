"""Imports as the service records them: the pool import itself (`pool.importer`), then,
in the same transaction, an audit event and a new pool revision, so cached conflict
indexes go stale exactly when the import commits. Used by the CLI and the API."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from sqlalchemy.orm import Session

from pool.importer import ImportReport, Progress, import_path
from service import audit


def cli_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"cli:{user}"


def record_import(session: Session, actor: str, report: ImportReport, source: str) -> None:
    if report.dry_run or not report.rows:  # nothing written (an empty template), no event
        return
    audit.record(session, actor, "data.import", object_type="import", object_key=source,
                 data={"source": source, "rows": report.rows,
                       "tables": [{"entity": t.entity, "source": t.source, "rows": t.rows,
                                   "new": t.new, "updated": t.updated}
                                  for t in report.tables]})
    audit.bump_pool(session)


def import_and_record(session: Session, path: Path, *, actor: str, dry_run: bool = False,
                      progress: Progress | None = None, source: str | None = None
                      ) -> ImportReport:
    report = import_path(session, path, dry_run=dry_run, progress=progress)
    record_import(session, actor, report, source or path.name)
    return report
