"""Queries behind the API's pool resources: lists with filters and paging, one object by
key, and what a region-scoped reader may see (every statement here is built seen
through an optional set of region codes).

Visibility under a scope (a set of region codes; None sees everything):
units by their region; cadres by their home unit's region; persons who are a cadre in
scope or have (had) an employment in a unit in scope; employments, unavailable periods,
participations and evaluations by their person; ties when either person end is visible
or their unit is in scope; regions inside the scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, union
from sqlalchemy.orm import Session

from pool import models as m

CADRE_FLAGS = ("leader_pool", "deputy_pool", "expert_pool", "reserve", "newly_promoted")


@dataclass(frozen=True)
class CadreFilter:
    skill: str | None = None
    skill_level: int | None = None  # at least this level of `skill`
    flags: tuple[str, ...] = ()  # every one must hold
    status: str | None = None
    regions: frozenset[str] | None = None  # home unit's region among these
    q: str | None = None  # substring of the name or the person key
    system: str | None = None  # home unit's system
    full_time: bool | None = None  # 专职巡察干部 (True) or seconded (False); None: both


@dataclass(frozen=True)
class CadreRow:
    """A cadre with what a reader wants beside it: the person, home unit and region."""

    cadre: m.Cadre
    name: str
    gender: str | None
    home_unit_name: str
    region_code: str
    region_name: str
    skills: tuple[tuple[str, str, str | None, int], ...]  # code, zh, en, level


class PoolBrowser:
    """Reads (and the few direct writes) of the API on the caller's session, limited to
    `regions` when the caller is region-scoped."""

    def __init__(self, session: Session, regions: frozenset[str] | None = None) -> None:
        self.session = session
        self.regions = regions

    # -- paging ----------------------------------------------------------------------

    def page(self, stmt: Select, limit: int, offset: int) -> tuple[list[Any], int]:
        """One page of `stmt` (already ordered) and the total number of rows."""
        total = self.session.execute(
            select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
        rows = self.session.execute(stmt.limit(limit).offset(offset))
        items = list(rows.scalars() if len(stmt.column_descriptions) == 1 else rows)
        return items, total

    # -- scope predicates -----------------------------------------------------------

    def _units_in_scope(self) -> Select:
        assert self.regions is not None
        return select(m.Unit.key).where(m.Unit.region_code.in_(self.regions))

    def _visible_persons(self) -> Any:
        units = self._units_in_scope()
        return union(select(m.Cadre.person_key).where(m.Cadre.home_unit_key.in_(units)),
                     select(m.Employment.person_key).where(m.Employment.unit_key.in_(units)))

    def _person_visible(self, column: Any) -> ColumnElement[bool]:
        return column.in_(self._visible_persons())

    def _scoped(self, stmt: Select, person_column: Any) -> Select:
        return stmt if self.regions is None else stmt.where(self._person_visible(person_column))

    def person_visible(self, key: str) -> bool:
        return self.persons_any_visible([key])

    def tie_visible(self, subject: str, object_person: str | None,
                    object_unit: str | None) -> bool:
        """Either person end is visible, or the tie's unit lies in the scope."""
        if self.regions is None:
            return True
        return self.persons_any_visible([subject, object_person]) or (
            object_unit is not None and self.unit_region(object_unit) in self.regions)

    def persons_any_visible(self, keys: Sequence[str | None]) -> bool:
        wanted = [k for k in keys if k is not None]
        if self.regions is None:
            return True
        return bool(wanted) and bool(self.session.execute(
            select(m.Person.key).where(m.Person.key.in_(wanted),
                                       self._person_visible(m.Person.key))).first())

    # -- code lists and places ---------------------------------------------------------

    def regions_list(self, parent: str | None, level: str | None) -> Select:
        stmt = select(m.Region).order_by(m.Region.code)
        if self.regions is not None:
            stmt = stmt.where(m.Region.code.in_(self.regions))
        if parent:
            stmt = stmt.where(m.Region.parent_code == parent)
        if level:
            stmt = stmt.where(m.Region.level == level)
        return stmt

    def region(self, code: str) -> m.Region | None:
        return self.session.get(m.Region, code)

    def systems_list(self) -> Select:
        return select(m.System).order_by(m.System.code)

    def system(self, code: str) -> m.System | None:
        return self.session.get(m.System, code)

    def skills_list(self) -> Select:
        return select(m.Skill).order_by(m.Skill.code)

    def skill(self, code: str) -> m.Skill | None:
        return self.session.get(m.Skill, code)

    def units_list(self, regions: Collection[str] | None, system: str | None,
                   parent: str | None) -> Select:
        stmt = select(m.Unit).order_by(m.Unit.key)
        if self.regions is not None:
            stmt = stmt.where(m.Unit.region_code.in_(self.regions))
        if regions is not None:
            stmt = stmt.where(m.Unit.region_code.in_(regions))
        if system:
            stmt = stmt.where(m.Unit.system_code == system)
        if parent:
            stmt = stmt.where(m.Unit.parent_key == parent)
        return stmt

    def units_matching(self, q: str, limit: int) -> list[tuple[str, str, str, str]]:
        """Units whose name contains `q` or whose key contains it in any case, in the
        scope: key, name, region code and region name, by key (the round wizard's
        search)."""
        stmt = (select(m.Unit.key, m.Unit.name, m.Unit.region_code, m.Region.name)
                .join(m.Region, m.Region.code == m.Unit.region_code)
                .where(or_(m.Unit.name.contains(q, autoescape=True),
                           m.Unit.key.icontains(q, autoescape=True)))
                .order_by(m.Unit.key).limit(limit))
        if self.regions is not None:
            stmt = stmt.where(m.Unit.region_code.in_(self.regions))
        return [(k, n, c, r) for k, n, c, r in self.session.execute(stmt)]

    def unit(self, key: str) -> m.Unit | None:
        return self.session.get(m.Unit, key)

    def unit_region(self, key: str) -> str | None:
        return self.session.execute(
            select(m.Unit.region_code).where(m.Unit.key == key)).scalar()

    # -- persons and cadres -------------------------------------------------------------

    def persons_list(self, q: str | None, cadres_only: bool) -> Select:
        is_cadre = m.Cadre.person_key.is_not(None).label("is_cadre")
        stmt = (select(m.Person, is_cadre)
                .join(m.Cadre, m.Cadre.person_key == m.Person.key, isouter=True)
                .order_by(m.Person.key))
        if q and q.strip():
            stmt = stmt.where(_matches(q.strip()))
        if cadres_only:
            stmt = stmt.where(m.Cadre.person_key.is_not(None))
        return self._scoped(stmt, m.Person.key)

    def person(self, key: str) -> tuple[m.Person, bool] | None:
        """The person and whether they are a cadre (whatever the scope)."""
        row = self.session.execute(
            select(m.Person, m.Cadre.person_key.is_not(None))
            .join(m.Cadre, m.Cadre.person_key == m.Person.key, isouter=True)
            .where(m.Person.key == key)).first()
        return None if row is None else (row[0], bool(row[1]))

    def is_cadre(self, person_key: str) -> bool:
        return self.session.get(m.Cadre, person_key) is not None

    def cadres_list(self, f: CadreFilter) -> Select:
        stmt = (select(m.Cadre, m.Person.name, m.Person.gender, m.Unit.name,
                       m.Unit.region_code, m.Region.name)
                .join(m.Person, m.Person.key == m.Cadre.person_key)
                .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key)
                .join(m.Region, m.Region.code == m.Unit.region_code)
                .order_by(m.Cadre.person_key))
        if self.regions is not None:
            stmt = stmt.where(m.Unit.region_code.in_(self.regions))
        if f.regions is not None:
            stmt = stmt.where(m.Unit.region_code.in_(f.regions))
        if f.skill:
            having = select(m.CadreSkill.person_key).where(m.CadreSkill.skill_code == f.skill)
            if f.skill_level:
                having = having.where(m.CadreSkill.level >= f.skill_level)
            stmt = stmt.where(m.Cadre.person_key.in_(having))
        for flag in f.flags:
            stmt = stmt.where(getattr(m.Cadre, flag).is_(True))
        if f.full_time is not None:
            stmt = stmt.where(m.Cadre.full_time.is_(f.full_time))
        if f.status:
            stmt = stmt.where(m.Cadre.status == f.status)
        if f.system:
            stmt = stmt.where(m.Unit.system_code == f.system)
        if f.q and f.q.strip():
            stmt = stmt.where(_matches(f.q.strip()))
        return stmt

    def cadre_rows(self, rows: Sequence[Any]) -> list[CadreRow]:
        """Rows of `cadres_list` with each cadre's skills (one query for the page)."""
        keys = [r[0].person_key for r in rows]
        skills: dict[str, list[tuple[str, str, str | None, int]]] = {}
        if keys:
            for person, code, zh, en, level in self.session.execute(
                    select(m.CadreSkill.person_key, m.Skill.code, m.Skill.name_zh,
                           m.Skill.name_en, m.CadreSkill.level)
                    .join(m.Skill, m.Skill.code == m.CadreSkill.skill_code)
                    .where(m.CadreSkill.person_key.in_(keys))
                    .order_by(m.CadreSkill.person_key, m.Skill.code)):
                skills.setdefault(person, []).append((code, zh, en, level))
        return [CadreRow(r[0], r[1], r[2], r[3], r[4], r[5],
                         tuple(skills.get(r[0].person_key, ()))) for r in rows]

    def cadre(self, key: str) -> CadreRow | None:
        unscoped = PoolBrowser(self.session)
        row = self.session.execute(unscoped.cadres_list(CadreFilter())
                                   .where(m.Cadre.person_key == key)).first()
        return None if row is None else self.cadre_rows([row])[0]

    def unavailability_list(self, person_key: str) -> Select:
        return (select(m.CadreUnavailability)
                .where(m.CadreUnavailability.person_key == person_key)
                .order_by(m.CadreUnavailability.start))

    def unavailability(self, person_key: str, start: dt.date) -> m.CadreUnavailability | None:
        return self.session.get(m.CadreUnavailability, (person_key, start))

    # -- histories and ties ---------------------------------------------------------------

    def employments_list(self, person: str | None, unit: str | None,
                         cadres_only: bool) -> Select:
        stmt = select(m.Employment).order_by(m.Employment.key)
        if person:
            stmt = stmt.where(m.Employment.person_key == person)
        if unit:
            stmt = stmt.where(m.Employment.unit_key == unit)
        if cadres_only:
            stmt = stmt.where(m.Employment.person_key.in_(select(m.Cadre.person_key)))
        return self._scoped(stmt, m.Employment.person_key)

    def employment(self, key: str) -> m.Employment | None:
        return self.session.get(m.Employment, key)

    def ties_list(self, kind: str | None, person: str | None) -> Select:
        stmt = select(m.Tie).order_by(m.Tie.key)
        if kind:
            stmt = stmt.where(m.Tie.kind == kind)
        if person:
            stmt = stmt.where(or_(m.Tie.subject_key == person,
                                  m.Tie.object_person_key == person))
        if self.regions is not None:
            stmt = stmt.where(or_(self._person_visible(m.Tie.subject_key),
                                  self._person_visible(m.Tie.object_person_key),
                                  m.Tie.object_unit_key.in_(self._units_in_scope())))
        return stmt

    def tie(self, key: str) -> m.Tie | None:
        return self.session.get(m.Tie, key)

    def delete_tie(self, key: str) -> None:
        self.session.execute(delete(m.Tie).where(m.Tie.key == key))

    def participations_list(self, round_key: str | None, person: str | None) -> Select:
        stmt = select(m.Participation).order_by(m.Participation.round_key,
                                                m.Participation.person_key)
        if round_key:
            stmt = stmt.where(m.Participation.round_key == round_key)
        if person:
            stmt = stmt.where(m.Participation.person_key == person)
        return self._scoped(stmt, m.Participation.person_key)

    def participation(self, round_key: str, person: str) -> m.Participation | None:
        return self.session.get(m.Participation, (round_key, person))

    def evaluations_list(self, round_key: str | None, person: str | None) -> Select:
        stmt = select(m.Evaluation).order_by(m.Evaluation.round_key, m.Evaluation.person_key)
        if round_key:
            stmt = stmt.where(m.Evaluation.round_key == round_key)
        if person:
            stmt = stmt.where(m.Evaluation.person_key == person)
        return self._scoped(stmt, m.Evaluation.person_key)

    def evaluation(self, round_key: str, person: str) -> m.Evaluation | None:
        return self.session.get(m.Evaluation, (round_key, person))

    def person_exists(self, key: str) -> bool:
        return self.session.execute(
            select(m.Person.key).where(m.Person.key == key)).first() is not None


def _matches(q: str) -> ColumnElement[bool]:
    """A person whose name contains `q`, or whose key contains it in any case."""
    return or_(m.Person.name.contains(q, autoescape=True),
               m.Person.key.icontains(q, autoescape=True))
