"""Frozen, ORM-free records of the pool. `conflicts/` and `assignment/` consume only these.

Dates are `datetime.date`; an `end` of None means "still current"; intervals include
both ends. Resident ID numbers are deliberately absent: no rule needs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


def covers(start: dt.date | None, end: dt.date | None, day: dt.date) -> bool:
    """Whether the closed interval [start, end] (None = open) contains `day`."""
    return (start is None or start <= day) and (end is None or day <= end)


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    parent_code: str | None
    level: str  # province / city / county / town


@dataclass(frozen=True, slots=True)
class System:
    code: str
    name_zh: str
    name_en: str | None


@dataclass(frozen=True, slots=True)
class Skill:
    code: str
    name_zh: str
    name_en: str | None


@dataclass(frozen=True, slots=True)
class Unit:
    key: str
    name: str
    region_code: str
    system_code: str
    parent_key: str | None
    supervisor_key: str | None
    kind: str | None


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    name: str
    gender: str | None
    birth_date: dt.date | None
    native_region: str | None
    grew_up_region: str | None


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date
    reason: str | None

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and start <= self.end


@dataclass(frozen=True, slots=True)
class Cadre:
    person_key: str
    home_unit_key: str
    rank: str | None
    political_status: str | None
    skills: tuple[tuple[str, int], ...]  # (skill code, level 1-5), sorted by code
    leader_pool: bool
    deputy_pool: bool
    expert_pool: bool
    reserve: bool
    newly_promoted: bool
    status: str  # active / suspended / removed
    status_reason: str | None
    status_from: dt.date | None
    status_to: dt.date | None
    max_rounds_per_year: int | None
    joined_on: dt.date | None
    unavailable: tuple[Period, ...] = ()

    def status_on(self, day: dt.date) -> str:
        """The recorded status applies inside its window; outside it the cadre is active."""
        if self.status == "active" or covers(self.status_from, self.status_to, day):
            return self.status
        return "active"

    def skill_level(self, code: str) -> int:
        return next((level for c, level in self.skills if c == code), 0)

    def available(self, start: dt.date, end: dt.date) -> bool:
        return not any(p.overlaps(start, end) for p in self.unavailable)


@dataclass(frozen=True, slots=True)
class Employment:
    key: str
    person_key: str
    unit_key: str
    post: str | None
    is_leader: bool
    start: dt.date
    end: dt.date | None
    source_type: str | None
    source_ref: str | None

    def active_on(self, day: dt.date) -> bool:
        return covers(self.start, self.end, day)


@dataclass(frozen=True, slots=True)
class Tie:
    """A dated, sourced edge. For parent_of the subject is the parent; for supervisor_of
    the superior; for business_interest the person holding the interest in a unit. Only
    business_interest and recusal (the subject recused from a unit: self-declared,
    requested by the unit or decided by the organization, the reason in `note`) name a
    unit (`object_unit_key`); every other kind names a person (`object_person_key`)."""

    key: str
    kind: str
    subject_key: str
    object_person_key: str | None
    object_unit_key: str | None
    adoptive: bool
    step: bool
    category: str | None
    start: dt.date | None
    end: dt.date | None
    source_type: str | None
    source_ref: str | None
    recorded_by: str | None
    recorded_at: dt.datetime | None
    note: str | None

    def valid_on(self, day: dt.date) -> bool:
        return covers(self.start, self.end, day)


@dataclass(frozen=True, slots=True)
class Round:
    key: str
    name: str
    kind: str
    region_code: str | None
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class Participation:
    round_key: str
    person_key: str
    team_no: int
    role: str
    target_unit_key: str
    second_target_unit_key: str | None

    @property
    def targets(self) -> tuple[str, ...]:
        second = self.second_target_unit_key
        return (self.target_unit_key,) if second is None else (self.target_unit_key, second)


@dataclass(frozen=True, slots=True)
class Evaluation:
    round_key: str
    person_key: str
    grade: str
    score: float | None
    comment: str | None
    evaluator: str | None
    evaluated_on: dt.date | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the pool knew to have begun by `as_of`, keyed for lookup.

    Records that began after `as_of` are left out; records that ended before it are kept
    with their end dates, because look-back rules (e.g. employment within three years)
    need them. Mappings are read-only views.
    """

    as_of: dt.date
    regions: Mapping[str, Region]
    systems: Mapping[str, System]
    skills: Mapping[str, Skill]
    units: Mapping[str, Unit]
    persons: Mapping[str, Person]
    cadres: Mapping[str, Cadre]
    employments: tuple[Employment, ...]
    ties: tuple[Tie, ...]
    rounds: Mapping[str, Round]
    participations: tuple[Participation, ...]
    evaluations: tuple[Evaluation, ...]
