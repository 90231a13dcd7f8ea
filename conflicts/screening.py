"""Screening: every (cadre, target) recusal under a policy, the within-team conflict pairs
among the cadres, and who is not eligible at all.

    index = ConflictIndex(snapshot, as_of)           # once per snapshot and date
    result = screen_index(index, policy, cadres, targets, period=(start, end))
    result.recused(Role.leader)                      # (cadres × targets) bool, for the optimizer
    explain(index, policy, cadre, target)            # why, with evidence (conflicts.evidence)

Axis order: rows follow `cadres` as given, columns follow `targets` as given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from conflicts.index import ConflictIndex
from conflicts.policy import Policy, Relation, Role, Rule
from conflicts.rules import Batch, evaluate, team_pairs
from pool.records import Snapshot


class ScreeningError(ValueError):
    """Input a screening cannot run on; the message names what and what to do."""


@dataclass(frozen=True, slots=True)
class Recusal:
    cadre_key: str
    target_key: str
    rule_id: str
    hard: bool
    roles: tuple[Role, ...]

    def applies_to(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class TeamConflict:
    """Two cadres who must not serve on one team."""

    cadre_a: str
    cadre_b: str
    rule_id: str
    reason: str  # kin / same_home_unit
    hard: bool


@dataclass(frozen=True, slots=True)
class Ineligibility:
    cadre_key: str
    rule_id: str
    reason: str  # status / unavailable
    zh: str
    en: str


@dataclass(frozen=True)
class Screening:
    policy: Policy
    as_of: dt.date
    cadre_keys: tuple[str, ...]
    target_keys: tuple[str, ...]
    hits: dict[str, sp.csr_matrix]  # rule id → (cadres × targets) 0/1
    team_conflicts: tuple[TeamConflict, ...]
    ineligible: tuple[Ineligibility, ...]

    def recused(self, role: Role | None = None, *, soft: bool = False) -> np.ndarray:
        """(cadres × targets) bool: recused under the hard rules (and the soft ones if
        `soft`) that apply to `role` (any role when None)."""
        out = np.zeros((len(self.cadre_keys), len(self.target_keys)), dtype=bool)
        for rule in self.policy.rules:
            hit = self.hits.get(rule.id)
            if hit is None or not hit.nnz or (not rule.hard and not soft):
                continue
            if role is not None and role not in rule.roles:
                continue
            coo = hit.tocoo()
            out[coo.row, coo.col] = True
        return out

    def recusals(self) -> Iterator[Recusal]:
        """Every (cadre, target, rule), ordered by cadre, target, then policy rule order."""
        rows: list[tuple[int, int, int]] = []
        for order, rule in enumerate(self.policy.rules):
            hit = self.hits.get(rule.id)
            if hit is not None and hit.nnz:
                coo = hit.tocoo()
                rows.extend(zip(coo.row.tolist(), coo.col.tolist(),
                                [order] * len(coo.row), strict=True))
        for c, t, k in sorted(rows):
            rule = self.policy.rules[k]
            yield Recusal(self.cadre_keys[c], self.target_keys[t], rule.id, rule.hard,
                          rule.roles)

    def reasons(self, cadre_key: str, target_key: str) -> list[Recusal]:
        c = self.cadre_keys.index(cadre_key)
        t = self.target_keys.index(target_key)
        return [Recusal(cadre_key, target_key, rule.id, rule.hard, rule.roles)
                for rule in self.policy.rules
                if rule.id in self.hits and self.hits[rule.id][c, t]]

    def count(self) -> int:
        return sum(int(h.nnz) for h in self.hits.values())


def screen(snapshot: Snapshot, policy: Policy, cadres: Sequence[str], targets: Sequence[str],
           as_of: dt.date | None = None,
           period: tuple[dt.date, dt.date] | None = None) -> Screening:
    """Screen `cadres` against `targets` as of `as_of` (default: the snapshot's date)."""
    return screen_index(ConflictIndex(snapshot, as_of), policy, cadres, targets, period)


def screen_index(index: ConflictIndex, policy: Policy, cadres: Sequence[str],
                 targets: Sequence[str],
                 period: tuple[dt.date, dt.date] | None = None) -> Screening:
    batch = prepare(index, cadres, targets, period)
    hits: dict[str, sp.csr_matrix] = {}
    conflicts: list[TeamConflict] = []
    ineligible: list[Ineligibility] = []
    for rule in policy.rules:
        if rule.relation is Relation.within_team:
            conflicts.extend(TeamConflict(batch.cadre_keys[a], batch.cadre_keys[b], rule.id,
                                          reason, rule.hard)
                             for a, b, reason in team_pairs(batch, rule))
        elif rule.relation is Relation.eligibility:
            ineligible.extend(_eligibility(index, rule, batch.cadre_keys, period))
        else:
            hits[rule.id] = evaluate(batch, rule)
    return Screening(policy, index.as_of, batch.cadre_keys, batch.target_keys, hits,
                     tuple(conflicts), tuple(ineligible))


def prepare(index: ConflictIndex, cadres: Sequence[str], targets: Sequence[str],
            period: tuple[dt.date, dt.date] | None = None) -> Batch:
    """Check the keys and the period; a screening never runs on half-known input."""
    cadres, targets = tuple(cadres), tuple(targets)
    problems = []
    unknown = [k for k in cadres if k not in index.cadres]
    if unknown:
        problems.append(f"人才库中没有这些干部：{_few(unknown)}；请先导入或核对编号 / "
                        f"not cadres in the pool: {_few(unknown)}; import them or check the keys")
    missing = [k for k in targets if k not in index.snapshot.units]
    if missing:
        problems.append(f"没有这些被巡察单位：{_few(missing)}；请核对单位编号 / "
                        f"unknown target units: {_few(missing)}; check the unit keys")
    for name, keys in (("干部 cadres", cadres), ("被巡察单位 targets", targets)):
        dupes = sorted({k for k in keys if keys.count(k) > 1}) if len(set(keys)) < len(keys) \
            else []
        if dupes:
            problems.append(f"{name} 重复 / listed twice: {_few(dupes)}")
    if period is not None and period[0] > period[1]:
        problems.append(f"巡察期间起止颠倒：{period[0]} 晚于 {period[1]}；请交换起止日期 / "
                        f"the round's period is reversed: {period[0]} is after {period[1]}")
    if problems:
        raise ScreeningError("\n".join(problems))
    return Batch(index, cadres, targets)


def _few(keys: Sequence[str], limit: int = 10) -> str:
    shown = "、".join(keys[:limit])
    return shown + (f" 等 {len(keys)} 个 / and {len(keys) - limit} more"
                    if len(keys) > limit else "")


def _eligibility(index: ConflictIndex, rule: Rule, cadres: Sequence[str],
                 period: tuple[dt.date, dt.date] | None) -> Iterator[Ineligibility]:
    day = index.as_of
    for key in cadres:
        cadre = index.cadres[key]
        # with the round's period: a non-active status window overlapping it; without
        # one: the status on the screening date
        if period is None:
            barred = cadre.status_on(day) != "active"
        else:
            barred = cadre.status != "active" and (
                (cadre.status_from or dt.date.min) <= period[1]
                and period[0] <= (cadre.status_to or dt.date.max))
        if barred:
            zh, en = STATUS_TEXT.get(cadre.status, (cadre.status, cadre.status))
            when = _window(cadre.status_from, cadre.status_to)
            why = f"：{cadre.status_reason}" if cadre.status_reason else ""
            why_en = f": {cadre.status_reason}" if cadre.status_reason else ""
            yield Ineligibility(key, rule.id, "status", f"状态为{zh}{when}{why}",
                                f"status is {en}{when}{why_en}")
        if period is not None:
            for p in cadre.unavailable:
                if p.overlaps(*period):
                    note = f"：{p.reason}" if p.reason else ""
                    note_en = f": {p.reason}" if p.reason else ""
                    yield Ineligibility(key, rule.id, "unavailable",
                                        f"{p.start}至{p.end}不能参加{note}",
                                        f"unavailable {p.start} to {p.end}{note_en}")


STATUS_TEXT = {"suspended": ("暂停（审查或处分影响期）", "suspended (investigation or discipline)"),
               "removed": ("已出库", "removed from the pool")}


def _window(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return ""
    return f"（{start or ''}—{end or ''}）"
