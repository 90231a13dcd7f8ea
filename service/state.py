"""What one API process keeps between requests: the engine, cached conflict indexes and
whole-pool screenings (by as-of date and pool revision, so any data change makes them
stale), and region subtrees."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from conflicts.index import ConflictIndex
from conflicts.policy import Policy
from conflicts.screening import screen_index
from pool.db import transaction
from service.audit import pool_revision
from service.auth import Principal
from service.jobs import Worker
from service.recusals import open_index
from service.settings import Settings
from service.throttle import FailedSignIns


@dataclass(frozen=True)
class PoolScreen:
    """Every cadre screened against every unit once; `applies[(cadre, unit)]` are the ids
    of the rules that apply (absent: none), so a check only collects evidence."""

    index: ConflictIndex
    policy: Policy
    applies: dict[tuple[str, str], tuple[str, ...]]


class _Cache:
    """A small LRU whose values are built once per key, other callers waiting."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._gates: dict[Hashable, threading.Lock] = {}

    def peek(self, key: Hashable) -> Any:
        with self._lock:
            return self._values.get(key)

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = build()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self.slots:
                    self._values.popitem(last=False)
                self._gates.pop(key, None)
            return value


@dataclass
class ServiceState:
    # a token is looked up again after this many seconds, so a revocation made by another
    # process (`xuncha token revoke`) takes effect within them
    TOKEN_TTL = 5.0

    settings: Settings
    engine: Engine
    worker: Worker | None = None  # this process's job worker, woken when a job is queued
    # SQLite has no row locks: decisions in this (the only) process queue here instead
    decision_lock: threading.Lock = field(default_factory=threading.Lock)
    _indexes: _Cache = field(default_factory=lambda: _Cache(3))
    _screens: _Cache = field(default_factory=lambda: _Cache(4))
    _scopes: _Cache = field(default_factory=lambda: _Cache(256))
    _tokens: dict[str, tuple[Principal, float, dt.date]] = field(default_factory=dict)
    # failed tokens per client address (per process: see service/throttle.py)
    sign_ins: FailedSignIns = field(init=False)

    def __post_init__(self) -> None:
        self.sign_ins = FailedSignIns(self.settings.auth_failures_per_window,
                                      self.settings.auth_failure_window_seconds)

    def known_token(self, digest: str, today: dt.date) -> Principal | None:
        hit = self._tokens.get(digest)
        if hit is None or hit[1] < time.monotonic() or hit[2] != today:
            return None
        return hit[0]

    def remember_token(self, digest: str, principal: Principal, today: dt.date) -> None:
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[digest] = (principal, time.monotonic() + self.TOKEN_TTL, today)

    def forget_tokens(self) -> None:
        self._tokens.clear()

    def conflict_index(self, session: Session, as_of: dt.date) -> ConflictIndex:
        """The index of the pool as of `as_of`, built once per pool revision."""
        index: ConflictIndex = self._indexes.get(
            (as_of, pool_revision(session)), lambda: open_index(session, as_of))
        return index

    def ready_screen(self, as_of: dt.date, policy: Policy) -> PoolScreen | None:
        """The cached screening for the pool's current revision, or None (not built yet):
        one short read, cheap enough for the event loop."""
        with self.engine.connect() as conn:
            revision = pool_revision(conn)
        found: PoolScreen | None = self._screens.peek((as_of, revision, policy.hash))
        return found

    def pool_screen_now(self, as_of: dt.date, policy: Policy) -> PoolScreen:
        with transaction(self.engine) as session:
            return self.pool_screen(session, as_of, policy)

    def pool_screen(self, session: Session, as_of: dt.date, policy: Policy) -> PoolScreen:
        """The whole pool screened under `policy` as of `as_of`, once per pool revision."""
        revision = pool_revision(session)

        def build() -> PoolScreen:
            index = self.conflict_index(session, as_of)
            result = screen_index(index, policy, sorted(index.cadres),
                                  sorted(index.snapshot.units))
            applies: dict[tuple[str, str], tuple[str, ...]] = {}
            for r in result.recusals():  # in policy rule order per pair
                key = (r.cadre_key, r.target_key)
                applies[key] = (*applies.get(key, ()), r.rule_id)
            return PoolScreen(index, policy, applies)

        screen: PoolScreen = self._screens.get((as_of, revision, policy.hash), build)
        return screen

    def scope_regions(self, session: Session, root: str,
                      compute: Callable[[str], frozenset[str]]) -> frozenset[str]:
        regions: frozenset[str] = self._scopes.get((root, pool_revision(session)),
                                                   lambda: compute(root))
        return regions
