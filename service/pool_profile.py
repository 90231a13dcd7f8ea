"""A cadre's profile as the workbench shows it, under the API's rules
(`service.api.pool_access`): every reader sees the summary, skills, participation history,
employment history and unavailable periods; only roles with `pool:read-sensitive` see ties
(relatives among them), evaluations and the ID number, and that one masked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pool import api_profile
from pool import models as m
from pool.api_repository import CadreRow, PoolBrowser
from pool.formats import (
    ALL_CATEGORIES,
    EVALUATION_GRADES,
    GENDERS,
    RANKS,
    SOURCE_TYPES,
    TEAM_ROLES,
    TIE_KINDS,
    Choice,
)
from pool.validation import mask_id_number
from service.auth import Action, Principal


def label(choices: tuple[Choice, ...], code: str | None) -> str:
    """A code list's code as a person reads it: 组长 leader (an unknown code as it is)."""
    if code is None:
        return ""
    found = next((c for c in choices if c.code == code), None)
    return code if found is None else f"{found.zh} {found.en}"


@dataclass(frozen=True)
class Participation:
    round_key: str
    round_name: str
    start: dt.date
    team_no: int
    role: str  # 组长 leader
    target_key: str
    target_name: str


@dataclass(frozen=True)
class Evaluation:
    round_key: str
    round_name: str | None
    grade: str  # 优秀 excellent
    score: float | None
    comment: str | None
    evaluator: str | None
    evaluated_on: dt.date | None


@dataclass(frozen=True)
class Employment:
    unit_key: str
    unit_name: str
    post: str | None
    is_leader: bool
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class Tie:
    kind: str  # 夫妻 spouse of
    side: str  # how the cadre stands in it, for directed ties
    other_key: str | None
    other_name: str | None
    category: str
    start: dt.date | None
    end: dt.date | None
    source: str


@dataclass(frozen=True)
class CadreProfile:
    row: CadreRow
    gender: str
    rank: str
    participations: list[Participation]
    employments: list[Employment]
    unavailability: list[m.CadreUnavailability]
    sensitive: bool  # the reader may see what follows
    id_number: str | None  # masked
    ties: list[Tie]
    evaluations: list[Evaluation]


def _side(tie: m.Tie, key: str) -> str:
    subject = tie.subject_key == key
    if tie.kind == "parent_of":
        return "本人为父母 the cadre is the parent" if subject else \
            "本人为子女 the cadre is the child"
    if tie.kind == "supervisor_of":
        return "本人为上级 the cadre is the superior" if subject else \
            "本人为下级 the cadre is the subordinate"
    return "" if subject else "本人为对方 the cadre is the other party"


def _ties(pool: PoolBrowser, key: str) -> list[Tie]:
    out = []
    for tie, subject_name, other_name, unit_name in api_profile.ties(pool, key):
        if tie.subject_key == key:
            other_key = tie.object_person_key or tie.object_unit_key
            other = other_name if tie.object_person_key else unit_name
        else:
            other_key, other = tie.subject_key, subject_name
        source = " ".join(x for x in (label(SOURCE_TYPES, tie.source_type),
                                      tie.source_ref or "") if x)
        out.append(Tie(label(TIE_KINDS, tie.kind), _side(tie, key), other_key, other,
                       label(ALL_CATEGORIES, tie.category), tie.start, tie.end, source))
    return out


def cadre_profile(pool: PoolBrowser, principal: Principal, row: CadreRow) -> CadreProfile:
    """The profile of a cadre the caller may see (`pool_access.visible_cadre` checked it)."""
    key = row.cadre.person_key
    sensitive = principal.may(Action.pool_read_sensitive)
    person = pool.person(key)
    id_number = person[0].id_number if person is not None and sensitive else None
    return CadreProfile(
        row=row, gender=label(GENDERS, row.gender), rank=label(RANKS, row.cadre.rank),
        participations=[Participation(p.round_key, name, start, p.team_no,
                                      label(TEAM_ROLES, p.role), p.target_unit_key, target)
                        for p, name, start, target in api_profile.participations(pool, key)],
        employments=[Employment(e.unit_key, unit, e.post, e.is_leader, e.start, e.end)
                     for e, unit in api_profile.employments(pool, key)],
        unavailability=api_profile.unavailability(pool, key),
        sensitive=sensitive,
        id_number=None if id_number is None else mask_id_number(id_number),
        ties=_ties(pool, key) if sensitive else [],
        evaluations=[Evaluation(e.round_key, name, label(EVALUATION_GRADES, e.grade),
                                e.score, e.comment, e.evaluator, e.evaluated_on)
                     for e, name in api_profile.evaluations(pool, key)] if sensitive else [])
