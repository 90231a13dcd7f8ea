"""What one API process keeps between requests: the engine, cached conflict indexes (by
as-of date and pool revision, so any data change makes them stale) and region subtrees."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from conflicts.index import ConflictIndex
from service.audit import pool_revision
from service.jobs import Worker
from service.recusals import open_index
from service.settings import Settings


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    index_slots: int = 3
    worker: Worker | None = None  # this process's job worker, woken when a job is queued
    # SQLite has no row locks: decisions in this (the only) process queue here instead
    decision_lock: threading.Lock = field(default_factory=threading.Lock)
    _indexes: OrderedDict[tuple[dt.date, int], ConflictIndex] = field(
        default_factory=OrderedDict)
    _scopes: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _building: dict[tuple[dt.date, int], threading.Lock] = field(default_factory=dict)

    def conflict_index(self, session: Session, as_of: dt.date) -> ConflictIndex:
        """The index of the pool as of `as_of`, built once per pool revision."""
        key = (as_of, pool_revision(session))
        with self._lock:
            found = self._indexes.get(key)
            if found is not None:
                self._indexes.move_to_end(key)
                return found
            gate = self._building.setdefault(key, threading.Lock())
        with gate:  # one build per key; other requests for it wait for that build
            with self._lock:
                found = self._indexes.get(key)
            if found is None:
                found = open_index(session, as_of)
                with self._lock:
                    self._indexes[key] = found
                    while len(self._indexes) > self.index_slots:
                        self._indexes.popitem(last=False)
                    self._building.pop(key, None)
            return found

    def scope_regions(self, session: Session, root: str,
                      compute: Callable[[str], frozenset[str]]) -> frozenset[str]:
        key = (root, pool_revision(session))
        with self._lock:
            found = self._scopes.get(key)
        if found is None:
            found = compute(root)
            with self._lock:
                self._scopes[key] = found
        return found
