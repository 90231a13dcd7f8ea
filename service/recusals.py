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
from pool.repository import PoolRepository
from pool.snapshot import load_snapshot
from pool.validation import normalize_name


class AmbiguousName(ScreeningError):
    """A name several cadres (or units) share; `candidates` lets a page offer them as
    choices: (key, home unit key, home unit name, birth year) for cadres, (key, region
    name, parent unit name) for units."""

    def __init__(self, message: str, candidates: Sequence[tuple[object, ...]]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


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


def resolve_cadre(repo: PoolRepository, index: ConflictIndex, given: str) -> str:
    """The person key `given` names: a key as it is, else the one cadre (or, failing
    that, the one person) with exactly this name. Several cadres of that name: a
    ScreeningError listing them with key, home unit and birth year, asking for the key."""
    given = given.strip()
    if given in index.cadres or given in index.snapshot.persons:
        return given
    given = normalize_name(given)  # as the import stored the names: "王 𠮷", "王\u200b𠮷"
    named = repo.persons_named(given)
    cadres = [p for p in named if p[2] is not None]
    if len(cadres) == 1:
        return cadres[0][0]
    if cadres:
        lines = [f"  {key}  {given}  {unit_name}（{unit_key}）  "
                 f"{born.year if born else '—'}年生 born" for key, born, unit_key, unit_name
                 in cadres]
        raise AmbiguousName("\n".join([
            f"有{len(cadres)}名干部同名“{given}”，请用人员编号指明（--cadre 编号）/ "
            f"{len(cadres)} cadres are named {given}: give the person key (--cadre KEY)",
            *lines]), [(key, unit_key, unit_name, born.year if born else None)
                       for key, born, unit_key, unit_name in cadres])
    if len(named) == 1:
        return named[0][0]  # check_cadre says that this person is not a cadre
    if named:
        keys = "、".join(key for key, *_ in named)
        raise ScreeningError(f"名为“{given}”的{len(named)}人（{keys}）都不在巡察干部人才库中 / "
                             f"none of the {len(named)} persons named {given} ({keys}) is a "
                             "cadre in the pool")
    raise ScreeningError(f"没有人员编号或姓名为“{given}”的人员 / no person has this key or "
                         f"name: {given}")


def resolve_units(repo: PoolRepository, index: ConflictIndex,
                  given: Sequence[str]) -> list[str]:
    """Unit keys for `given` keys or exact unit names; a name shared by several units is a
    ScreeningError listing them (key, region, parent unit) and asking for the key."""
    keys = []
    for text in (g.strip() for g in given):
        if text in index.snapshot.units:
            keys.append(text)
            continue
        text = normalize_name(text)  # as the import stored the names
        named = repo.units_named(text)
        if len(named) == 1:
            keys.append(named[0][0])
            continue
        if not named:
            raise ScreeningError(f"没有单位编号或名称为“{text}”的单位 / no unit has this key or "
                                 f"name: {text}")
        lines = [f"  {key}  {text}  {region}" + (f" · {parent}" if parent else "")
                 for key, region, parent in named]
        raise AmbiguousName("\n".join([
            f"有{len(named)}个单位名为“{text}”，请用单位编号指明（--unit 编号）/ {len(named)} "
            f"units are named {text}: give the unit key (--unit KEY)", *lines]), named)
    return keys
