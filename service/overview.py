"""The overview of the pool and its rounds (the workbench's 概览 page): counts, skill
coverage, how often cadres served in the last rounds, and recusals by rule, all within
the reader's region scope and by what their role may see:

- every role (pool:read): cadres by status, skill coverage, the spread of participation;
- rounds:read adds rounds, proposals awaiting approval and decisions;
- recusal:check adds the recusals found by screening the pool against its units;
- the cadres who served most, by name, only for the roles that see drawn members' names
  (`NAMES`: those who assemble and approve teams); the others get the spread alone."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from conflicts.policy import Policy, Relation, cached_policy
from pool import api_overview as q
from pool.api_repository import PoolBrowser
from pool.formats import CADRE_STATUSES
from service.auth import Action, Principal
from service.state import PoolScreen, ServiceState

NAMES = Action.names_before_approval  # who may read the list of who served most
SENIOR_LEVEL = 3  # skill levels 3–5 count as depth (骨干)
LAST_ROUNDS = 6  # default window of the participation spread
MAX_ROUNDS = 50
TOP = 10  # cadres listed by name
POLICY = "default"
# rules a screening of cadres against units never gives (they are about teams and dates)
NOT_PAIRWISE = (Relation.within_team, Relation.eligibility)
BUCKETS = ((0, "0 次", "none"), (1, "1 次", "once"), (2, "2 次", "twice"),
           (3, "3 次及以上", "3 times or more"))


@dataclass(frozen=True)
class Figure:
    """One labelled number: a status, a skill, a bucket, a rule."""

    code: str
    zh: str
    en: str
    value: int
    extra: int | None = None  # skills: of which senior; rules: distinct cadres


@dataclass(frozen=True)
class RoundFigures:
    rounds: int
    staffed: int  # with teams on record (participations or an approved proposal)
    pending: int  # proposals awaiting approval
    decisions: int  # approved proposals


@dataclass(frozen=True)
class Served:
    key: str
    name: str
    unit_key: str
    unit_name: str
    times: int
    led: int


@dataclass(frozen=True)
class Participation:
    last: int  # the window asked for
    rounds: list[tuple[str, str, dt.date]]  # the rounds counted: key, name, start
    cadres: int  # cadres in the pool (the spread's total)
    buckets: list[Figure]  # cadres per number of rounds served
    top: list[Served] | None  # None: the role may not see names


@dataclass(frozen=True)
class Recusals:
    as_of: dt.date
    policy: str  # 默认回避规则 default policy（default 1.2）
    rules: list[Figure]  # per rule: (cadre, unit) pairs; extra: distinct cadres
    pairs: int  # pairs with at least one rule
    cadres: int  # cadres screened (in the pool, in scope)
    units: int  # units screened (in scope)


@dataclass(frozen=True)
class Overview:
    cadres: int  # in the pool (active or suspended)
    statuses: list[Figure]  # every cadre in scope per status, removed ones included
    skills: list[Figure]  # value: cadres in the pool with the skill; extra: at level ≥ 3
    rounds: RoundFigures | None  # None: the role may not read rounds
    participation: Participation
    recusals: Recusals | None  # None: the role may not check recusals


def overview(session: Session, state: ServiceState, principal: Principal, *,
             as_of: dt.date, last_rounds: int = LAST_ROUNDS) -> Overview:
    """The overview as `principal` may see it; `last_rounds` (1–50) is the window of the
    participation spread, `as_of` the day the recusal screening applies."""
    if not 1 <= last_rounds <= MAX_ROUNDS:
        raise ValueError(f"last_rounds must be 1–{MAX_ROUNDS}")
    pool = PoolBrowser(session, principal.regions)
    by_status = q.status_counts(pool)
    statuses = [Figure(c.code, c.zh, c.en, by_status.get(c.code, 0)) for c in CADRE_STATUSES]
    statuses += [Figure(code, code, code, n) for code, n in sorted(by_status.items())
                 if code not in {c.code for c in CADRE_STATUSES}]
    skills = [Figure(code, zh, en or code, n, senior)
              for code, zh, en, n, senior in q.skill_coverage(pool, SENIOR_LEVEL)]
    rounds = None
    if principal.may(Action.rounds_read):
        rounds = RoundFigures(**q.round_counts(pool))
    recusals = None
    if principal.may(Action.recusal_check):
        recusals = _recusals(session, state, principal, as_of)
    total = q.cadres_in_pool(pool)
    return Overview(total, statuses, skills, rounds,
                    _participation(pool, principal, last_rounds, total), recusals)


def _participation(pool: PoolBrowser, principal: Principal, last: int,
                   total: int) -> Participation:
    """Cadres in the pool per number of rounds served in the latest `last` staffed rounds
    the reader may see (`api_overview.staffed_rounds`); names only for `NAMES`."""
    rounds = q.staffed_rounds(pool, last)
    served = q.times_served(pool, [key for key, _name, _start in rounds])
    per_times = Counter(min(s[4], BUCKETS[-1][0]) for s in served)
    per_times[0] = total - len(served)
    buckets = [Figure(str(n), zh, en, per_times[n]) for n, zh, en in BUCKETS]
    top = None
    if principal.may(NAMES):
        top = [Served(*s) for s in served[:TOP]]
    return Participation(last, rounds, total, buckets, top)


class _Tallies:
    """Recusals per rule of one screening seen from one scope, kept while that screening
    is (a weak reference: a screening the service dropped is not kept alive here): the
    sum over tens of thousands of pairs is done once per pool revision and scope."""

    SLOTS = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[int, frozenset[str] | None],
                                tuple[weakref.ref[PoolScreen], Recusals]] = OrderedDict()

    def get(self, screen: PoolScreen, regions: frozenset[str] | None,
            tally: Callable[[], Recusals]) -> Recusals:
        key = (id(screen), regions)
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None and hit[0]() is screen:
                self._kept.move_to_end(key)
                return hit[1]
        found = tally()
        with self._lock:
            self._kept[key] = (weakref.ref(screen), found)
            while len(self._kept) > self.SLOTS:
                self._kept.popitem(last=False)
        return found


_TALLIES = _Tallies()


def _recusals(session: Session, state: ServiceState, principal: Principal,
              as_of: dt.date) -> Recusals:
    """The pool's screening under the default policy (cached per pool revision, the one
    the recusal check uses): (cadre, unit) pairs per rule, for cadres in the pool and
    units both in the scope."""
    policy = cached_policy(POLICY)
    screen = state.ready_screen(as_of, policy) or state.pool_screen(session, as_of, policy)
    return _TALLIES.get(screen, principal.regions,
                        lambda: _tally(screen, policy, principal, as_of))


def _tally(screen: PoolScreen, policy: Policy, principal: Principal,
           as_of: dt.date) -> Recusals:
    snapshot = screen.index.snapshot
    units = {k for k, u in snapshot.units.items() if principal.sees_region(u.region_code)}
    cadres = {k for k, c in snapshot.cadres.items() if c.status != q.REMOVED and
              c.home_unit_key in snapshot.units and
              principal.sees_region(snapshot.units[c.home_unit_key].region_code)}
    pairs: Counter[str] = Counter()
    who: dict[str, set[str]] = {}
    found = 0
    for (cadre, unit), rule_ids in screen.applies.items():
        if cadre in cadres and unit in units:
            found += 1
            for rule_id in rule_ids:
                pairs[rule_id] += 1
                who.setdefault(rule_id, set()).add(cadre)
    rules = [Figure(r.id, r.title_zh, r.title_en, pairs[r.id], len(who.get(r.id, ())))
             for r in policy.rules if r.id in pairs or r.relation not in NOT_PAIRWISE]
    return Recusals(as_of, f"{policy.title_zh} {policy.title_en}（{policy.name} "
                           f"{policy.version}）", rules, found, len(cadres), len(units))
