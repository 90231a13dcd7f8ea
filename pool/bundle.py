"""A proposal's input bundle: the pool snapshot it used (as of its date), with the round
plan and policy, as canonical JSON, so a stored decision can be re-run byte for byte
whatever happens to the database afterwards.

`encode` returns the gzip of the canonical text and the sha256 of that text; `decode`
checks the hash before it gives anything back. Rows are written as lists in field order
(the field names once per table), dates as ISO text, so the text depends only on the
records, never on the machine or the database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from pool import records as r

FORMAT = "xuncha-bundle/1"

_TABLES: tuple[tuple[str, type], ...] = (
    ("regions", r.Region), ("systems", r.System), ("skills", r.Skill), ("units", r.Unit),
    ("persons", r.Person), ("cadres", r.Cadre), ("employments", r.Employment),
    ("ties", r.Tie), ("rounds", r.Round), ("participations", r.Participation),
    ("evaluations", r.Evaluation),
)


class BundleError(ValueError):
    """A stored bundle that does not match its hash or cannot be read."""


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [_plain(getattr(value, f.name)) for f in dataclasses.fields(value)]
    return value


def _rows(records: Iterable[Any], fields: list[str]) -> list[list[Any]]:
    return [[_plain(getattr(rec, f)) for f in fields] for rec in records]


def _values(table: Any) -> Iterable[Any]:
    return table.values() if isinstance(table, Mapping) else table


def encode(snapshot: r.Snapshot, extra: Mapping[str, Any]) -> tuple[bytes, str]:
    """(gzip of the canonical JSON, sha256 of the canonical JSON)."""
    tables = {}
    for name, record_type in _TABLES:
        fields = [f.name for f in dataclasses.fields(record_type)]
        tables[name] = {"fields": fields,
                        "rows": _rows(_values(getattr(snapshot, name)), fields)}
    doc = {"format": FORMAT, "as_of": snapshot.as_of.isoformat(), "extra": dict(extra),
           "tables": tables}
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    raw = text.encode("utf-8")
    return gzip.compress(raw, compresslevel=6, mtime=0), hashlib.sha256(raw).hexdigest()


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _datetime(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


_TYPES = {"date": _date, "datetime": _datetime}


def _converters(record_type: type) -> list[Any]:
    out = []
    for f in dataclasses.fields(record_type):
        hint = str(f.type)
        out.append(_datetime if "datetime" in hint else _date if "date" in hint else None)
    return out


def _older(record_type: type, fields: list[str]) -> bool:
    """A bundle written before trailing fields with defaults were added (e.g. the cadre's
    full_time flag): its rows are read with those defaults."""
    known = dataclasses.fields(record_type)
    return (len(fields) < len(known) and fields == [f.name for f in known[:len(fields)]]
            and all(f.default is not dataclasses.MISSING for f in known[len(fields):]))


def _build(record_type: type, fields: list[str], rows: list[list[Any]]) -> list[Any]:
    expected = [f.name for f in dataclasses.fields(record_type)]
    if fields != expected and not _older(record_type, fields):
        raise BundleError(f"捆绑包中 {record_type.__name__} 的字段与本版本不符 / "
                          f"{record_type.__name__} fields differ: {fields} vs {expected}")
    conv = _converters(record_type)[:len(fields)]
    if record_type is r.Cadre:
        return [_cadre(fields, row) for row in rows]
    return [record_type(*[c(v) if c else v for c, v in zip(conv, row, strict=True)])
            for row in rows]


def _cadre(names: list[str], row: list[Any]) -> r.Cadre:
    values = dict(zip(names, row, strict=True))
    values["skills"] = tuple((code, level) for code, level in values["skills"])
    values["unavailable"] = tuple(r.Period(_date(s), _date(e), why)  # type: ignore[arg-type]
                                  for s, e, why in values["unavailable"])
    for name in ("status_from", "status_to", "joined_on"):
        values[name] = _date(values[name])
    return r.Cadre(**values)


def decode(blob: bytes, expected_sha256: str) -> tuple[r.Snapshot, dict[str, Any]]:
    """The snapshot and the extra data of a stored bundle; raises BundleError when the
    bundle's text does not hash to `expected_sha256`."""
    try:
        raw = gzip.decompress(blob)
    except (OSError, EOFError) as exc:
        raise BundleError(f"输入包无法解压 / the input bundle cannot be read: {exc}") from None
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected_sha256:
        raise BundleError(f"输入包哈希不符：存储 {expected_sha256}，实际 {actual}（输入包被改动）"
                          f" / the input bundle's sha256 is {actual}, not the stored "
                          f"{expected_sha256}: the bundle was altered")
    doc = json.loads(raw)
    if doc.get("format") != FORMAT:
        raise BundleError(f"未知的输入包格式 {doc.get('format')} / unknown bundle format")
    built = {name: _build(t, doc["tables"][name]["fields"], doc["tables"][name]["rows"])
             for name, t in _TABLES}
    keyed = {"regions": "code", "systems": "code", "skills": "code", "units": "key",
             "rounds": "key"}
    snapshot = r.Snapshot(
        as_of=dt.date.fromisoformat(doc["as_of"]),
        **{name: MappingProxyType({getattr(x, k): x for x in built[name]})
           for name, k in keyed.items()},
        persons=r.KeyedTable.from_records(r.Person, built["persons"]),
        cadres=MappingProxyType({c.person_key: c for c in built["cadres"]}),
        employments=r.RecordTable.from_records(r.Employment, built["employments"]),
        ties=r.RecordTable.from_records(r.Tie, built["ties"]),
        participations=tuple(built["participations"]),
        evaluations=tuple(built["evaluations"]),
    )
    return snapshot, doc["extra"]
