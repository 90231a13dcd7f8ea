"""Reads behind a cadre's page in the workbench: the cadre's histories with the names of
rounds, units and persons beside their keys. Each builds on the scoped statement of
`PoolBrowser` (so a scope limits it exactly as it limits the API's lists)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import aliased

from pool import models as m
from pool.api_repository import PoolBrowser


def participations(pool: PoolBrowser, key: str) -> list[tuple[Any, ...]]:
    """(participation, round name, round start, target unit name), latest round first."""
    target = aliased(m.Unit)
    stmt = (pool.participations_list(None, key)
            .add_columns(m.Round.name, m.Round.start, target.name)
            .join(m.Round, m.Round.key == m.Participation.round_key)
            .join(target, target.key == m.Participation.target_unit_key)
            .order_by(None).order_by(m.Round.start.desc(), m.Round.key))
    return [tuple(r) for r in pool.session.execute(stmt)]


def evaluations(pool: PoolBrowser, key: str) -> list[tuple[Any, ...]]:
    """(evaluation, round name or None), latest round first."""
    stmt = (pool.evaluations_list(None, key)
            .add_columns(m.Round.name)
            .join(m.Round, m.Round.key == m.Evaluation.round_key, isouter=True)
            .order_by(None).order_by(m.Round.start.desc(), m.Evaluation.round_key))
    return [tuple(r) for r in pool.session.execute(stmt)]


def employments(pool: PoolBrowser, key: str) -> list[tuple[Any, ...]]:
    """(employment, unit name), latest first."""
    stmt = (pool.employments_list(key, None, cadres_only=False)
            .add_columns(m.Unit.name)
            .join(m.Unit, m.Unit.key == m.Employment.unit_key)
            .order_by(None).order_by(m.Employment.start.desc(), m.Employment.key))
    return [tuple(r) for r in pool.session.execute(stmt)]


def ties(pool: PoolBrowser, key: str) -> list[tuple[Any, ...]]:
    """(tie, subject name, other person's name or None, unit name or None) of every tie
    with the person at either end."""
    subject, other = aliased(m.Person), aliased(m.Person)
    stmt = (pool.ties_list(None, key)
            .add_columns(subject.name, other.name, m.Unit.name)
            .join(subject, subject.key == m.Tie.subject_key)
            .join(other, other.key == m.Tie.object_person_key, isouter=True)
            .join(m.Unit, m.Unit.key == m.Tie.object_unit_key, isouter=True))
    return [tuple(r) for r in pool.session.execute(stmt)]


def unavailability(pool: PoolBrowser, key: str) -> list[m.CadreUnavailability]:
    return list(pool.session.execute(pool.unavailability_list(key)).scalars())
