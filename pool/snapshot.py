"""Load the pool as of a date into frozen records (`pool.records.Snapshot`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from types import MappingProxyType
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pool import models as m
from pool import records as r


def _rows(session: Session, stmt: Any) -> list[Any]:
    return list(session.connection().execute(stmt))


def load_snapshot(session: Session, as_of: dt.date) -> r.Snapshot:
    """Everything that had begun by `as_of` (see `Snapshot` for the exact rule)."""
    regions = {row.code: r.Region(row.code, row.name, row.parent_code, row.level)
               for row in _rows(session, select(m.Region).order_by(m.Region.code))}
    systems = {row.code: r.System(row.code, row.name_zh, row.name_en)
               for row in _rows(session, select(m.System).order_by(m.System.code))}
    skills = {row.code: r.Skill(row.code, row.name_zh, row.name_en)
              for row in _rows(session, select(m.Skill).order_by(m.Skill.code))}
    units = {row.key: r.Unit(row.key, row.name, row.region_code, row.system_code,
                             row.parent_key, row.supervisor_key, row.kind)
             for row in _rows(session, select(m.Unit).order_by(m.Unit.key))}
    persons = {row.key: r.Person(row.key, row.name, row.gender, row.birth_date,
                                 row.native_region, row.grew_up_region)
               for row in _rows(session, select(
                   m.Person.key, m.Person.name, m.Person.gender, m.Person.birth_date,
                   m.Person.native_region, m.Person.grew_up_region).order_by(m.Person.key))}
    cadres = _cadres(session, as_of)
    employments = tuple(
        r.Employment(row.key, row.person_key, row.unit_key, row.post, row.is_leader,
                     row.start, row.end, row.source_type, row.source_ref)
        for row in _rows(session, select(m.Employment).where(m.Employment.start <= as_of)
                         .order_by(m.Employment.key)))
    ties = tuple(
        r.Tie(row.key, row.kind, row.subject_key, row.object_person_key, row.object_unit_key,
              row.adoptive, row.step, row.category, row.start, row.end, row.source_type,
              row.source_ref, row.recorded_by, row.recorded_at, row.note)
        for row in _rows(session, select(m.Tie)
                         .where(or_(m.Tie.start.is_(None), m.Tie.start <= as_of))
                         .order_by(m.Tie.key)))
    rounds = {row.key: r.Round(row.key, row.name, row.kind, row.region_code, row.start,
                               row.end)
              for row in _rows(session, select(m.Round).where(m.Round.start <= as_of)
                               .order_by(m.Round.key))}
    participations = tuple(
        r.Participation(row.round_key, row.person_key, row.team_no, row.role,
                        row.target_unit_key, row.second_target_unit_key)
        for row in _rows(session, select(m.Participation)
                         .order_by(m.Participation.round_key, m.Participation.person_key))
        if row.round_key in rounds)
    evaluations = tuple(
        r.Evaluation(row.round_key, row.person_key, row.grade, row.score, row.comment,
                     row.evaluator, row.evaluated_on)
        for row in _rows(session, select(m.Evaluation)
                         .order_by(m.Evaluation.round_key, m.Evaluation.person_key))
        if row.round_key in rounds and (row.evaluated_on is None or row.evaluated_on <= as_of))
    return r.Snapshot(
        as_of=as_of,
        regions=MappingProxyType(regions), systems=MappingProxyType(systems),
        skills=MappingProxyType(skills), units=MappingProxyType(units),
        persons=MappingProxyType(persons), cadres=MappingProxyType(cadres),
        employments=employments, ties=ties, rounds=MappingProxyType(rounds),
        participations=participations, evaluations=evaluations,
    )


def _cadres(session: Session, as_of: dt.date) -> dict[str, r.Cadre]:
    skills: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in _rows(session, select(m.CadreSkill).order_by(m.CadreSkill.person_key,
                                                            m.CadreSkill.skill_code)):
        skills[row.person_key].append((row.skill_code, row.level))
    periods: dict[str, list[r.Period]] = defaultdict(list)
    for row in _rows(session, select(m.CadreUnavailability)
                     .where(m.CadreUnavailability.end >= as_of)
                     .order_by(m.CadreUnavailability.person_key,
                               m.CadreUnavailability.start)):
        periods[row.person_key].append(r.Period(row.start, row.end, row.reason))
    cadres = {}
    for row in _rows(session, select(m.Cadre).order_by(m.Cadre.person_key)):
        if row.joined_on is not None and row.joined_on > as_of:
            continue
        cadres[row.person_key] = r.Cadre(
            row.person_key, row.home_unit_key, row.rank, row.political_status,
            tuple(skills.get(row.person_key, ())), row.leader_pool, row.deputy_pool,
            row.expert_pool, row.reserve, row.newly_promoted, row.status, row.status_reason,
            row.status_from, row.status_to, row.max_rounds_per_year, row.joined_on,
            tuple(periods.get(row.person_key, ())))
    return cadres
