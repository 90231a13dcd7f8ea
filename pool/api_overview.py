"""Reads behind the workbench's overview: counts of the pool's cadres, skills, rounds,
proposals and participations, each limited to the reader's region scope as
`PoolBrowser` limits the API's lists (cadres by their home unit's region, rounds by
their committee's region, participations by the cadre)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, func, or_, select

from pool import models as m
from pool.api_repository import PoolBrowser

REMOVED = "removed"  # 出库: no longer in the pool; left out of every figure but the status


def _cadres_in_scope(pool: PoolBrowser) -> Select:
    """Person keys of the cadres whose home unit lies in the scope (all when unscoped)."""
    stmt = select(m.Cadre.person_key)
    if pool.regions is not None:
        stmt = stmt.join(m.Unit, m.Unit.key == m.Cadre.home_unit_key) \
            .where(m.Unit.region_code.in_(pool.regions))
    return stmt


def _in_pool(pool: PoolBrowser) -> Select:
    """Cadres in scope that are still in the pool (active or suspended)."""
    return _cadres_in_scope(pool).where(m.Cadre.status != REMOVED)


def status_counts(pool: PoolBrowser) -> dict[str, int]:
    """Cadres in scope per status code (removed ones included)."""
    rows = pool.session.execute(
        select(m.Cadre.status, func.count())
        .where(m.Cadre.person_key.in_(_cadres_in_scope(pool))).group_by(m.Cadre.status))
    return {status: n for status, n in rows}


def skill_coverage(pool: PoolBrowser, senior_level: int) -> list[tuple[str, str, str | None,
                                                                        int, int]]:
    """Every skill: (code, Chinese name, English name, cadres in the pool who have it,
    of whom at level `senior_level` or above), by code; skills nobody has are listed
    with 0."""
    senior = func.count(m.CadreSkill.person_key).filter(m.CadreSkill.level >= senior_level)
    holders = (select(m.CadreSkill.skill_code, func.count(m.CadreSkill.person_key).label("n"),
                      senior.label("senior"))
               .where(m.CadreSkill.person_key.in_(_in_pool(pool)))
               .group_by(m.CadreSkill.skill_code).subquery())
    rows = pool.session.execute(
        select(m.Skill.code, m.Skill.name_zh, m.Skill.name_en,
               func.coalesce(holders.c.n, 0), func.coalesce(holders.c.senior, 0))
        .join(holders, holders.c.skill_code == m.Skill.code, isouter=True)
        .order_by(m.Skill.code))
    return [(code, zh, en, int(n), int(s)) for code, zh, en, n, s in rows]


def cadres_in_pool(pool: PoolBrowser) -> int:
    return int(pool.session.execute(
        select(func.count()).select_from(_in_pool(pool).subquery())).scalar_one())


def _round_visible(pool: PoolBrowser) -> ColumnElement[bool] | None:
    """A round the reader may count: its committee's region lies in the scope, or a cadre
    in the scope served in it (the participations list shows that round already)."""
    if pool.regions is None:
        return None
    served = select(m.Participation.round_key) \
        .where(m.Participation.person_key.in_(_cadres_in_scope(pool)))
    return or_(m.Round.region_code.in_(pool.regions), m.Round.key.in_(served))


def staffed_rounds(pool: PoolBrowser, last: int) -> list[tuple[str, str, dt.date]]:
    """The latest `last` rounds with teams on record (participations), newest first:
    (key, name, start)."""
    stmt = (select(m.Round.key, m.Round.name, m.Round.start)
            .where(m.Round.key.in_(select(m.Participation.round_key)))
            .order_by(m.Round.start.desc(), m.Round.key.desc()).limit(last))
    if (visible := _round_visible(pool)) is not None:
        stmt = stmt.where(visible)
    return [(key, name, start) for key, name, start in pool.session.execute(stmt)]


def times_served(pool: PoolBrowser, round_keys: Sequence[str]
                 ) -> list[tuple[str, str, str, str, int, int]]:
    """Cadres in the pool who served in any of `round_keys`: (person key, name, home unit
    key, home unit name, rounds served, rounds led), most rounds first, then by key."""
    times = func.count(m.Participation.round_key)
    led = func.count(m.Participation.round_key).filter(m.Participation.role == "leader")
    rows = pool.session.execute(
        select(m.Participation.person_key, m.Person.name, m.Unit.key, m.Unit.name, times,
               led)
        .join(m.Cadre, m.Cadre.person_key == m.Participation.person_key)
        .join(m.Person, m.Person.key == m.Participation.person_key)
        .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key)
        .where(m.Participation.round_key.in_(list(round_keys)),
               m.Participation.person_key.in_(_in_pool(pool)))
        .group_by(m.Participation.person_key, m.Person.name, m.Unit.key, m.Unit.name)
        .order_by(times.desc(), m.Participation.person_key))
    return [(key, name, unit_key, unit, int(n), int(k))
            for key, name, unit_key, unit, n, k in rows]


def round_counts(pool: PoolBrowser) -> dict[str, int]:
    """Rounds whose committee's region lies in the scope: how many, how many have teams
    on record, proposals of theirs awaiting approval (drafts of a draw, not trials, in a
    round not yet decided) and decisions (approved proposals)."""
    rounds = select(m.Round.key)
    if pool.regions is not None:
        rounds = rounds.where(m.Round.region_code.in_(pool.regions))
    staffed = select(m.Participation.round_key)
    approved = select(m.ProposalRecord.round_key).where(m.ProposalRecord.status == "approved")
    count = func.count()
    s = pool.session
    return {
        "rounds": int(s.execute(select(count).select_from(rounds.subquery())).scalar_one()),
        "staffed": int(s.execute(select(count).select_from(
            rounds.where(or_(m.Round.key.in_(staffed), m.Round.key.in_(approved)))
            .subquery())).scalar_one()),
        "pending": int(s.execute(
            select(count).select_from(m.ProposalRecord)
            .where(m.ProposalRecord.round_key.in_(rounds), m.ProposalRecord.status == "draft",
                   m.ProposalRecord.kind != "trial",
                   m.ProposalRecord.round_key.not_in(staffed),
                   m.ProposalRecord.round_key.not_in(approved))).scalar_one()),
        "decisions": int(s.execute(
            select(count).select_from(m.ProposalRecord)
            .where(m.ProposalRecord.round_key.in_(rounds),
                   m.ProposalRecord.status == "approved")).scalar_one()),
    }
