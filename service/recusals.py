"""Orchestration of recusal checks over the database: load the snapshot as of a date,
build the conflicts index once, then screen or explain. No rule logic lives here."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from conflicts.evidence import explain
from conflicts.explanation import Explanation
from conflicts.index import ConflictIndex
from conflicts.policy import Policy
from conflicts.screening import Screening, ScreeningError, screen_index
from pool.snapshot import load_snapshot


@dataclass(frozen=True)
class CadreCheck:
    """One cadre against many units: the screening and an explanation per recused unit."""

    screening: Screening
    explanations: tuple[Explanation, ...]


@dataclass(frozen=True)
class PoolScreening:
    """Every active cadre against every unit: what the demo and the pool overview show."""

    screening: Screening
    example: Explanation | None  # one kinship recusal, explained


def screen_pool(index: ConflictIndex, policy: Policy) -> PoolScreening:
    cadres = sorted(k for k, c in index.cadres.items() if c.status_on(index.as_of) == "active")
    result = screen_index(index, policy, cadres, sorted(index.snapshot.units))
    kin = itertools.islice((r for r in result.recusals() if r.rule_id.startswith("kin-")), 30)
    explained = [explain(index, policy, r.cadre_key, r.target_key) for r in kin]
    # the example with the longest evidence path shows the most of how kinship is derived
    example = max(explained, default=None, key=lambda ex: max(
        len(ev.edges) for reason in ex.reasons for ev in reason.evidence))
    return PoolScreening(result, example)


def open_index(session: Session, as_of: dt.date) -> ConflictIndex:
    return ConflictIndex(load_snapshot(session, as_of), as_of)


def check_cadre(index: ConflictIndex, policy: Policy, cadre: str,
                units: Sequence[str] | None = None) -> CadreCheck:
    """Screen one cadre against `units` (all units when None) and explain every unit
    that any rule, hard or soft, recuses them from."""
    if cadre not in index.cadres:
        known = "person" if cadre in index.snapshot.persons else "key"
        hint = ("此人不在巡察干部人才库中 / this person is not a cadre in the pool"
                if known == "person" else "没有这个人员编号 / no person has this key")
        raise ScreeningError(f"{cadre}：{hint}")
    targets = list(units) if units else sorted(index.snapshot.units)
    result = screen_index(index, policy, [cadre], targets)
    recused = sorted({r.target_key for r in result.recusals()}, key=targets.index)
    if units:  # the units asked for by name are explained even when nothing applies
        recused = targets
    return CadreCheck(result, tuple(explain(index, policy, cadre, t) for t in recused))
