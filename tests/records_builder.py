"""Hand-built snapshots for the pure engines: records in memory, no database.

    b = SnapshotBuilder()
    me = b.person("王𠮷")
    b.cadre(me, b.unit("市财政局"))
    snap = b.snapshot(dt.date(2026, 11, 1))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pool import records as r

PROVINCE, CITY, COUNTY_A, COUNTY_B, TOWN_A1, TOWN_A2 = (
    "320000", "320900", "320902", "320903", "320902001", "320902002")


@dataclass
class SnapshotBuilder:
    regions: dict[str, r.Region] = field(default_factory=dict)
    systems: dict[str, r.System] = field(default_factory=dict)
    units: dict[str, r.Unit] = field(default_factory=dict)
    persons: dict[str, r.Person] = field(default_factory=dict)
    cadres: dict[str, r.Cadre] = field(default_factory=dict)
    employments: list[r.Employment] = field(default_factory=list)
    ties: list[r.Tie] = field(default_factory=list)
    rounds: dict[str, r.Round] = field(default_factory=dict)
    participations: list[r.Participation] = field(default_factory=list)
    skills: dict[str, r.Skill] = field(default_factory=dict)
    evaluations: list[r.Evaluation] = field(default_factory=list)
    _seq: int = 0

    def __post_init__(self) -> None:
        for code, name, parent, level in (
                (PROVINCE, "江淮省", None, "province"), (CITY, "云川市", PROVINCE, "city"),
                (COUNTY_A, "东溪区", CITY, "county"), (COUNTY_B, "西岭区", CITY, "county"),
                (TOWN_A1, "东溪街道", COUNTY_A, "town"), (TOWN_A2, "北塘镇", COUNTY_A, "town")):
            self.regions[code] = r.Region(code, name, parent, level)
        for code, zh, en in (("finance", "财政", "finance"), ("education", "教育", "education"),
                             ("health", "卫健", "health")):
            self.systems[code] = r.System(code, zh, en)
        for code, zh, en in (("finance", "财务", "finance"), ("audit", "审计", "audit"),
                             ("discipline", "纪检监察", "discipline inspection"),
                             ("personnel", "组织人事", "personnel")):
            self.skills[code] = r.Skill(code, zh, en)

    def _next(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq:04d}"

    def unit(self, name: str, *, key: str | None = None, region: str = CITY,
             system: str = "finance", parent: str | None = None,
             supervisor: str | None = None) -> str:
        key = key or self._next("U")
        self.units[key] = r.Unit(key, name, region, system, parent, supervisor, "organ")
        return key

    def person(self, name: str, gender: str | None = "M", *, key: str | None = None,
               native: str | None = COUNTY_B, grew_up: str | None = COUNTY_B,
               birth: dt.date | None = None) -> str:
        key = key or self._next("P")
        self.persons[key] = r.Person(key, name, gender, birth, native, grew_up)
        return key

    def cadre(self, person: str, home_unit: str, **kw: Any) -> str:
        values: dict[str, Any] = dict(
            rank=None, political_status=None, skills=(("finance", 3),), leader_pool=False,
            deputy_pool=False, expert_pool=False, reserve=False, newly_promoted=False,
            status="active", status_reason=None, status_from=None, status_to=None,
            max_rounds_per_year=None, joined_on=None, unavailable=()) | kw
        self.cadres[person] = r.Cadre(person, home_unit, **values)
        return person

    def tie(self, kind: str, subject: str, other: str | None = None, *,
            unit: str | None = None, adoptive: bool = False, step: bool = False,
            category: str | None = None, start: dt.date | None = None,
            end: dt.date | None = None, note: str | None = None,
            recorded_by: str | None = "组织部干部一科") -> str:
        key = self._next("T")
        self.ties.append(r.Tie(key, kind, subject, other, unit, adoptive, step, category,
                               start, end, "personnel_file", f"档案〔2024〕{self._seq}号",
                               recorded_by, None, note))
        return key

    def parent(self, parent: str, child: str, **kw: Any) -> str:
        return self.tie("parent_of", parent, child, **kw)

    def marry(self, a: str, b: str, **kw: Any) -> str:
        return self.tie("spouse_of", a, b, **kw)

    def job(self, person: str, unit: str, start: dt.date, end: dt.date | None = None, *,
            leader: bool = False, post: str | None = "科员") -> str:
        key = self._next("E")
        self.employments.append(r.Employment(key, person, unit, post, leader, start, end,
                                             "personnel_file", f"任〔{start.year}〕1号"))
        return key

    def round(self, key: str, start: dt.date, days: int = 40) -> str:
        self.rounds[key] = r.Round(key, f"{key}轮巡察", "regular", CITY, start,
                                   start + dt.timedelta(days=days))
        return key

    def served(self, round_key: str, person: str, team_no: int, role: str,
               target: str) -> None:
        self.participations.append(r.Participation(round_key, person, team_no, role, target,
                                                    None))

    def evaluated(self, round_key: str, person: str, grade: str, *,
                  on: dt.date | None = None, accountability: str | None = None) -> None:
        self.evaluations.append(r.Evaluation(round_key, person, grade, None, None,
                                             "巡察办", on, accountability))

    def snapshot(self, as_of: dt.date) -> r.Snapshot:
        return r.Snapshot(
            as_of=as_of, regions=MappingProxyType(dict(self.regions)),
            systems=MappingProxyType(dict(self.systems)),
            skills=MappingProxyType(dict(self.skills)),
            units=MappingProxyType(dict(self.units)),
            persons=MappingProxyType(dict(self.persons)),
            cadres=MappingProxyType(dict(self.cadres)), employments=tuple(self.employments),
            ties=tuple(self.ties), rounds=MappingProxyType(dict(self.rounds)),
            participations=tuple(self.participations), evaluations=tuple(self.evaluations))
