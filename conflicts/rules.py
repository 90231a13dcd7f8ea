"""Vectorized rule evaluation: one function per relation, each returning a sparse
(cadres × targets) 0/1 matrix of the pairs the rule recuses.

`Batch` carries the encoded cadres and targets of one screening; everything here works on
whole arrays, so 2,000 cadres × 300 targets cost a handful of sparse products.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from conflicts.index import ConflictIndex, years_before
from conflicts.kinship import mask_of
from conflicts.policy import Relation, Rule

DAYS_PER_YEAR = 365.25


@dataclass
class Batch:
    index: ConflictIndex
    cadre_keys: tuple[str, ...]
    target_keys: tuple[str, ...]

    @cached_property
    def people(self) -> np.ndarray:
        return self.index.persons.pos(self.cadre_keys)

    @cached_property
    def targets(self) -> np.ndarray:
        return self.index.units.pos(self.target_keys)

    @cached_property
    def home_units(self) -> np.ndarray:
        cadres = self.index.cadres
        return self.index.units.pos([cadres[k].home_unit_key for k in self.cadre_keys])

    @cached_property
    def relatives(self) -> sp.csr_matrix:
        """(cadres × persons) kinship category masks."""
        return self.index.kinship.relatives(self.people)

    def kin(self, rule: Rule) -> sp.csr_matrix:
        """0/1 (cadres × persons): relatives in the rule's kinship scope."""
        rel = self.relatives.tocoo()
        keep = (rel.data & mask_of(rule.kinship)) != 0
        return sp.csr_matrix((np.ones(int(keep.sum()), np.int32), (rel.row[keep], rel.col[keep])),
                             shape=rel.shape)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cadre_keys), len(self.target_keys)


def evaluate(batch: Batch, rule: Rule) -> sp.csr_matrix:
    """(cadres × targets) 0/1 matrix of the pairs `rule` recuses."""
    out = RULES[rule.relation](batch, rule)
    out = sp.csr_matrix(out, shape=batch.shape)
    out.data = (out.data != 0).astype(np.int8)
    out.eliminate_zeros()
    return out


def _employment(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    owner, rows = ix.employments_of(batch.people)
    start, end = ix.emp_start[rows], ix.emp_end[rows]
    as_of = np.datetime64(ix.as_of, "D")
    begun = start <= as_of
    scope = ix.scope_matrix(batch.targets, rule.target_scope)
    n_c, n_u = len(batch.cadre_keys), len(ix.units)
    if rule.min_years_any_time is not None:
        stop = np.where(np.isnat(end) | (end > as_of), as_of, end)
        days = (stop - start).astype(np.int64) + 1
        keep = begun & (days > 0)
        units = ix.emp_unit[rows][keep]
        served = sp.csr_matrix((days[keep].astype(np.float64), (owner[keep], units)),
                               shape=(n_c, n_u)) @ scope
        served = served.tocoo()
        need = rule.min_years_any_time * DAYS_PER_YEAR
        hit = served.data >= max(need, 1)
        return sp.csr_matrix((np.ones(int(hit.sum()), np.int8), (served.row[hit], served.col[hit])),
                             shape=batch.shape)
    cutoff = ix.as_of if rule.look_back_years is None else years_before(ix.as_of,
                                                                         rule.look_back_years)
    keep = begun & (np.isnat(end) | (end >= np.datetime64(cutoff, "D")))
    units = np.concatenate([ix.emp_unit[rows][keep], batch.home_units])
    who = np.concatenate([owner[keep], np.arange(n_c)])  # the home unit is current work
    ok = units >= 0
    worked = sp.csr_matrix((np.ones(int(ok.sum()), np.int32), (who[ok], units[ok])),
                           shape=(n_c, n_u))
    return worked @ scope


def _kin_employment(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    # (cadres × persons) @ (persons × units) first: a few hundred relatives, not all staff
    return (batch.kin(rule) @ ix.works_in) @ ix.scope_matrix(batch.targets, rule.target_scope)


def _kin_business(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    return (batch.kin(rule) @ ix.business01) @ ix.scope_matrix(batch.targets, rule.target_scope)


def _region(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    assert rule.region_level is not None
    level = rule.region_level
    target_region = ix.region_of(ix.unit_region[batch.targets], level)
    hit = np.zeros(batch.shape, dtype=bool)
    for places in region_sources(batch):
        here = ix.region_of(places, level)
        hit |= (here[:, None] == target_region[None, :]) & (here[:, None] >= 0)
    return sp.csr_matrix(hit)


def region_sources(batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Region positions of each cadre's native place, place of growing up, current work."""
    ix = batch.index
    home = batch.home_units
    work = np.where(home >= 0, ix.unit_region[np.maximum(home, 0)], -1)
    return ix.person_native[batch.people], ix.person_grew_up[batch.people], work


def _system(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    home = batch.home_units
    mine = np.where(home >= 0, ix.unit_system[np.maximum(home, 0)], -1)
    theirs = ix.unit_system[batch.targets]
    return sp.csr_matrix((mine[:, None] == theirs[None, :]) & (mine[:, None] >= 0))


def _supervision(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    scope = ix.scope_matrix(batch.targets, rule.target_scope)  # units × targets
    home = batch.home_units
    ok = home >= 0
    n_c, n_u = batch.shape[0], len(ix.units)
    # the home unit's supervisor is in scope, or a unit in scope is supervised by home
    sup = ix.unit_supervisor[np.maximum(home, 0)]
    has_sup = ok & (sup >= 0)
    up = sp.csr_matrix((np.ones(int(has_sup.sum()), np.int32),
                        (np.flatnonzero(has_sup), sup[has_sup])), shape=(n_c, n_u))
    supervised = np.flatnonzero(ix.unit_supervisor >= 0)
    by = sp.csr_matrix((np.ones(len(supervised), np.int32),
                        (ix.unit_supervisor[supervised], supervised)), shape=(n_u, n_u))
    mine = sp.csr_matrix((np.ones(int(ok.sum()), np.int32), (np.flatnonzero(ok), home[ok])),
                         shape=(n_c, n_u))
    return (up + mine @ by) @ scope


def _with_leaders(batch: Batch, rule: Rule, partners: sp.csr_matrix) -> sp.csr_matrix:
    """(cadres × targets): some partner holds a leadership post in the target scope."""
    ix = batch.index
    return (_ones(partners) @ ix.leads) @ ix.scope_matrix(batch.targets, rule.target_scope)


def _leadership_ties(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    cutoff = ix.as_of if rule.look_back_years is None else years_before(ix.as_of,
                                                                         rule.look_back_years)
    return _with_leaders(batch, rule, ix.supervision_partners(batch.people, cutoff))


def _schooling(batch: Batch, rule: Rule) -> sp.csr_matrix:
    return _with_leaders(batch, rule, batch.index.schooling[batch.people])


def _declared(batch: Batch, rule: Rule) -> sp.csr_matrix:
    ix = batch.index
    declared = _ones(ix.recusal_ties[batch.people])
    return declared @ ix.scope_matrix(batch.targets, rule.target_scope)


def _none(batch: Batch, rule: Rule) -> sp.csr_matrix:
    return sp.csr_matrix(batch.shape, dtype=np.int8)


def _ones(m: sp.csr_matrix) -> sp.csr_matrix:
    out = m.copy()
    out.data = np.ones(len(out.data), dtype=np.int32)
    return out


RULES: dict[Relation, Callable[[Batch, Rule], sp.csr_matrix]] = {
    Relation.employment: _employment,
    Relation.kin_employment: _kin_employment,
    Relation.kin_business: _kin_business,
    Relation.region: _region,
    Relation.system: _system,
    Relation.supervision: _supervision,
    Relation.leadership_ties: _leadership_ties,
    Relation.schooling: _schooling,
    Relation.declared: _declared,
    # pair rules and the eligibility check are not (cadre, target) recusals
    Relation.within_team: _none,
    Relation.eligibility: _none,
}


def team_pairs(batch: Batch, rule: Rule) -> list[tuple[int, int, str]]:
    """Within-team conflicts among the batch's cadres: (i, j, reason) with i < j, reason
    `kin` or `same_home_unit`."""
    out: list[tuple[int, int, str]] = []
    if rule.kinship:
        col_of = np.full(len(batch.index.persons), -1, dtype=np.int64)
        col_of[batch.people] = np.arange(len(batch.people))
        kin = batch.kin(rule).tocoo()
        j = col_of[kin.col]
        keep = j >= 0
        pairs = {(min(a, b), max(a, b)) for a, b in zip(kin.row[keep].tolist(),
                                                        j[keep].tolist(), strict=True)}
        out.extend((a, b, "kin") for a, b in sorted(pairs))
    if rule.same_home_unit:
        home = batch.home_units
        order = np.argsort(home, kind="stable")
        for unit in np.unique(home[home >= 0]):
            members = order[home[order] == unit]
            out.extend((int(a), int(b), "same_home_unit")
                       for k, a in enumerate(members) for b in members[k + 1:])
    return sorted(set(out))
