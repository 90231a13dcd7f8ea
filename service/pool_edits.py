"""Edits of pool data from the API, written as one-row imports: a request becomes one row
of the entity's table (`pool.formats` headers, absent columns kept), so every check the
importer makes (codes, references, date ranges, skill codes, status reasons, kinship
consistency) applies to the API as well, and the write is the importer's upsert.

Errors come back as `Unprocessable` naming the request field (the column's field name)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd
from sqlalchemy.orm import Session

from pool.formats import Entity
from pool.importer import ImportRejected, import_tables
from pool.parsing import RowError
from pool.tabular import SourceTable
from service.errors import Unprocessable

SOURCE = "请求 request"  # the "file" the importer names in its errors


def cell(value: object) -> str:
    """A request value as an import cell ('' clears the column)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_row(session: Session, entity: Entity, values: Mapping[str, object]) -> None:
    """Upsert one row of `entity` from field values; fields left out keep their stored
    values on an existing row. Raises `Unprocessable` with every problem found."""
    header = {c.field: c.zh for c in entity.columns}
    for name, value in values.items():
        if "\x00" in cell(value):  # PostgreSQL text cannot hold NUL
            raise Unprocessable("文本中不能含有空字符（NUL）", "text may not contain NUL "
                                "characters", field=name)
    frame = pd.DataFrame({header[f]: [cell(v)] for f, v in values.items()})
    table = SourceTable.of(entity, frame, SOURCE)
    try:
        import_tables(session, [table])
    except ImportRejected as exc:
        raise rejected(entity, exc.errors) from None


def rejected(entity: Entity, errors: list[RowError]) -> Unprocessable:
    field_of = {c.zh: c.field for c in entity.columns}
    details = [{"field": field_of.get(e.column or "", e.column), "value": e.value,
                "zh": e.zh, "en": e.en} for e in errors]
    first = details[0]
    where_zh = f"“{first['field']}”：" if first["field"] else ""
    where_en = f"{first['field']}: " if first["field"] else ""
    more_zh = f"（另有 {len(errors) - 1} 处错误）" if len(errors) > 1 else ""
    more_en = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Unprocessable(f"{where_zh}{first['zh']}{more_zh}",
                         f"{where_en}{first['en']}{more_en}",
                         field=str(first["field"]) if first["field"] else None,
                         details=details)
