"""Every query on the pool database lives here (the importer, exporter, snapshot and CLI
call these; nothing else builds SQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session, aliased

from pool import models as m
from pool.arrow import KEY_SEPARATOR
from pool.formats import Entity


def _key_part(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


class PoolRepository:
    """Reads for validation, export and summaries, on the caller's session/transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def connection(self) -> Connection:
        return self.session.connection()

    def frame(self, stmt: Select) -> pd.DataFrame:
        result = self.connection.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def table_frame(self, entity: Entity, columns: Sequence[str] | None = None) -> pd.DataFrame:
        table = m.Base.metadata.tables[entity.table]
        names = list(columns) if columns is not None else [
            c for c in entity.fields if c in table.c
        ]
        order = [table.c[k] for k in entity.key]
        return self.frame(select(*[table.c[n] for n in names]).order_by(*order))

    def key_array(self, entity: Entity) -> pa.Array:
        """External keys in the database as strings (composite keys joined, dates ISO)."""
        table = m.Base.metadata.tables[entity.table]
        cols = [table.c[k] for k in entity.key]
        rows = self.connection.execute(select(*cols))
        if len(cols) == 1:
            return pa.array(rows.scalars().all(), type=pa.large_string())
        return pa.array([KEY_SEPARATOR.join(_key_part(v) for v in row) for row in rows],
                        type=pa.large_string())

    def skill_labels(self) -> pd.DataFrame:
        """Code, Chinese and English name of every skill, for the label-clash check."""
        return self.frame(select(m.Skill.code, m.Skill.name_zh, m.Skill.name_en))

    def system_labels(self) -> pd.DataFrame:
        """Code, Chinese and English name of every system, by code (the template's list)."""
        return self.frame(select(m.System.code, m.System.name_zh, m.System.name_en)
                          .order_by(m.System.code))

    def skill_names(self) -> dict[str, str]:
        rows = self.connection.execute(select(m.Skill.code, m.Skill.name_zh))
        return {code: zh for code, zh in rows}

    def unit_links(self) -> pd.DataFrame:
        return self.frame(select(m.Unit.key, m.Unit.parent_key, m.Unit.supervisor_key))

    def person_facts(self) -> pd.DataFrame:
        return self.frame(select(m.Person.key, m.Person.birth_date, m.Person.id_number))

    def ties_of_kinds(self, kinds: Sequence[str]) -> pd.DataFrame:
        return self.frame(
            select(m.Tie.key, m.Tie.kind, m.Tie.subject_key, m.Tie.object_person_key,
                   m.Tie.adoptive, m.Tie.step, m.Tie.start, m.Tie.end)
            .where(m.Tie.kind.in_(kinds))
        )

    def participation_frame(self) -> pd.DataFrame:
        return self.frame(select(m.Participation.round_key, m.Participation.person_key,
                                 m.Participation.team_no, m.Participation.role))

    def cadre_skills(self) -> pd.DataFrame:
        return self.frame(
            select(m.CadreSkill.person_key, m.CadreSkill.skill_code, m.CadreSkill.level)
            .order_by(m.CadreSkill.person_key, m.CadreSkill.skill_code)
        )

    def counts(self) -> dict[str, int]:
        """Row count per table, for summaries."""
        counts = {}
        for table in m.Base.metadata.sorted_tables:
            counts[table.name] = self.connection.execute(
                select(func.count()).select_from(table)
            ).scalar_one()
        return counts

    def pool_summary(self) -> dict[str, object]:
        """Figures an organization department asks first about its pool."""
        c = self.connection
        status = {k: n for k, n in c.execute(
            select(m.Cadre.status, func.count()).group_by(m.Cadre.status))}
        flags = c.execute(select(
            func.count().filter(m.Cadre.leader_pool),
            func.count().filter(m.Cadre.deputy_pool),
            func.count().filter(m.Cadre.expert_pool),
            func.count().filter(m.Cadre.reserve),
            func.count().filter(m.Cadre.newly_promoted),
        )).one()
        skills = c.execute(
            select(m.Skill.code, m.Skill.name_zh, func.count(m.CadreSkill.person_key))
            .join(m.CadreSkill, m.CadreSkill.skill_code == m.Skill.code, isouter=True)
            .group_by(m.Skill.code, m.Skill.name_zh).order_by(m.Skill.code)
        ).all()
        regions = {k: n for k, n in c.execute(
            select(m.Region.level, func.count()).group_by(m.Region.level))}
        by_system = c.execute(
            select(m.System.name_zh, func.count(m.Cadre.person_key))
            .join(m.Unit, m.Unit.system_code == m.System.code)
            .join(m.Cadre, m.Cadre.home_unit_key == m.Unit.key)
            .group_by(m.System.name_zh).order_by(func.count(m.Cadre.person_key).desc())
        ).all()
        return {
            "status": status,
            "flags": dict(zip(("leader_pool", "deputy_pool", "expert_pool", "reserve",
                               "newly_promoted"), flags, strict=True)),
            "skills": [(code, zh, n) for code, zh, n in skills],
            "regions": regions,
            "cadres_by_system": [(name, n) for name, n in by_system],
        }

    def persons_named(self, name: str) -> list[tuple[str, dt.date | None, str | None,
                                                     str | None]]:
        """Persons with exactly this name: key, birth date, and for cadres the home
        unit's key and name (None for persons who are not cadres), by key."""
        home = aliased(m.Unit)
        rows = self.session.execute(
            select(m.Person.key, m.Person.birth_date, m.Cadre.home_unit_key, home.name)
            .join(m.Cadre, m.Cadre.person_key == m.Person.key, isouter=True)
            .join(home, home.key == m.Cadre.home_unit_key, isouter=True)
            .where(m.Person.name == name).order_by(m.Person.key))
        return [(key, born, unit_key, unit_name) for key, born, unit_key, unit_name in rows]

    def units_named(self, name: str) -> list[tuple[str, str, str | None]]:
        """Units with exactly this name: key, region name and parent unit name, by key."""
        parent = aliased(m.Unit)
        rows = self.session.execute(
            select(m.Unit.key, m.Region.name, parent.name)
            .join(m.Region, m.Region.code == m.Unit.region_code)
            .join(parent, parent.key == m.Unit.parent_key, isouter=True)
            .where(m.Unit.name == name).order_by(m.Unit.key))
        return [(key, region, parent_name) for key, region, parent_name in rows]

    def unit_labels(self) -> list[tuple[str, str, str, str]]:
        """Every unit's key, name, region code and region name, by key: what a round file
        may name a target by."""
        rows = self.session.execute(
            select(m.Unit.key, m.Unit.name, m.Unit.region_code, m.Region.name)
            .join(m.Region, m.Region.code == m.Unit.region_code).order_by(m.Unit.key))
        return [(key, name, code, region) for key, name, code, region in rows]

    def cadre_keys(self) -> frozenset[str]:
        return frozenset(self.session.execute(select(m.Cadre.person_key)).scalars())
