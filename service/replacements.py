"""Ranked replacements for a member who leaves a team of a draft proposal: who could take
the seat with every hard rule still holding, best first, each with why
(`assignment.replacement`). Nothing is written: a swap with the chosen option is
applied with `service.changes.apply_change` (op "swap", with its required reason).

The proposal is read as a manual change reads it (its current teams, earlier manual
changes included, and the stored instance of the part the team belongs to), refused as
a change is refused (a role that may not change proposals, a round outside the caller's
region, a proposal that is no longer a draft), and answered only to roles that may see
the names of an undecided proposal (`service.sealing.names_visible`): the ranking names
the team's members and, by leaving them out, everyone on a team.

Beyond the stored instance, cadres the pool now says cannot serve during the round are
left out: a status other than active, a recorded unavailability, or a team in an
overlapping round that has been decided since the draw."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assignment.instance import Instance
from assignment.replacement import Ranking, ReplacementError, skill_text
from assignment.replacement import rank_replacements as rank
from assignment.validate import term_values
from conflicts.screening import STATUS_TEXT
from pool import models as m
from service.auth import ROLE_ZH, Action, Principal
from service.changes import stored_parts
from service.decisions import proposal_or_404
from service.errors import Conflict, Forbidden, Unprocessable
from service.sealing import names_visible

MAX_LIMIT = 200


@dataclass(frozen=True)
class ReplacementOption:
    rank: int  # 1 = best
    cadre: str  # key
    name: str
    home_unit: str  # display: "云川市公安局（U00003）"
    role: str  # the seat's role: leader / deputy / member
    skills: tuple[str, ...]  # display: ("财务 finance", ...)
    objective_change: int  # the proposal's objective after minus before
    terms: tuple[dict[str, Any], ...]  # per soft term: {"name","zh","before","after"} (+"en",
    # "weight", "change": the term's share of the objective change)
    why_zh: str  # one Chinese sentence: why this rank (coverage kept, terms)
    why_en: str


@dataclass(frozen=True)
class ReplacementRanking:
    proposal_id: int
    team: int
    leaving: str  # key of the member who leaves
    leaving_name: str
    role: str
    options: tuple[ReplacementOption, ...]  # every eligible cadre, best first (capped by limit)
    eligible: int  # how many cadres could take the seat in all
    considered: int  # how many candidates were examined
    none_zh: str | None  # when no one can: why, in Chinese (diagnosis), else None
    none_en: str | None
    objective: int | None = None  # the proposal's objective now
    # why the others cannot take the seat: {"code","count","zh","en"}, one per reason
    excluded: tuple[dict[str, Any], ...] = ()


def rank_replacements(session: Session, principal: Principal, proposal_id: int,
                      team: int, leaving: str, *, limit: int = 20) -> ReplacementRanking:
    """Raises the service's DomainError subclasses (not_found, Forbidden, Conflict,
    Unprocessable) exactly as applying a change to that proposal would."""
    if not principal.may(Action.rounds_write):
        raise Forbidden(f"角色“{ROLE_ZH[principal.role]}”无权调整方案（rounds:write）",
                        f"role {principal.role.value} may not change proposals "
                        "(rounds:write)", details={"role": principal.role.value})
    row = proposal_or_404(session, proposal_id)
    rnd = session.get(m.Round, row.round_key)
    if rnd is None or not principal.sees_region(rnd.region_code):
        raise Forbidden(f"方案 {proposal_id}不在令牌的区划范围（{principal.scope}）内",
                        f"proposal {proposal_id} lies outside the token's region scope "
                        f"({principal.scope})", details={"role": principal.role.value})
    if not names_visible(row, principal):
        raise Forbidden("批准前只有可查看名单的角色能看到替换人选",
                        "before approval only roles that may see the names get replacements",
                        details={"role": principal.role.value})
    if not 1 <= limit <= MAX_LIMIT:
        raise Unprocessable(f"limit 须在1到{MAX_LIMIT}之间", f"limit must lie between 1 and "
                            f"{MAX_LIMIT}", field="limit")
    if row.status != "draft":
        raise Conflict(f"方案状态为 {row.status}，只有草案可以调整",
                       f"the proposal is {row.status}; only a draft can be changed",
                       field="proposal_id")
    parts = _parts(row.instance)
    current = json.loads(row.teams)
    found = next(((offset, i) for offset, i in parts
                  if offset < team <= offset + len(i.teams)), None)
    if found is None:
        raise Unprocessable(f"没有第{team}组", f"no team {team}", field="team")
    offset, inst = found
    rows = {t["no"]: t for t in current["teams"]}
    seat = next((x for x in rows.get(team, {}).get("members", []) if x["key"] == leaving),
                None)
    if seat is None:
        raise Unprocessable(f"{leaving} 不在第{team}组", f"{leaving} is not on team {team}",
                            field="leaving")
    local = {no - offset: {x["key"]: x["role"] for x in t["members"]}
             for no, t in rows.items() if offset < no <= offset + len(inst.teams)}
    elsewhere = {x["key"] for no, t in rows.items()
                 if not offset < no <= offset + len(inst.teams) for x in t["members"]}
    try:
        ranking = rank(inst, local, team - offset, leaving,
                       unavailable=_unavailable(session, rnd, inst), elsewhere=elsewhere,
                       verify=limit, shown_as=team)
    except ReplacementError as exc:  # checked above; kept for the pure function's own
        raise Unprocessable(exc.zh, exc.en, field=exc.field) from exc
    return _display(session, row.id, team, seat, ranking, inst, parts, rows, limit,
                    current.get("objective"))


def _parts(stored: str) -> tuple[tuple[int, Instance], ...]:
    """The stored instances of a proposal (offset of its teams, instance), parsed once
    for the few proposals last read (`service.changes.stored_parts`)."""
    return tuple((part["offset"], inst) for part, inst in stored_parts(stored))


def _unavailable(session: Session, rnd: m.Round, inst: Instance
                 ) -> dict[str, tuple[str, str]]:
    """Candidates the pool now says cannot serve during the round (key → why)."""
    keys = set(inst.index)
    out: dict[str, tuple[str, str]] = {}
    busy = session.execute(
        select(m.Participation.person_key, m.Round.key).join(
            m.Round, m.Round.key == m.Participation.round_key)
        .where(m.Round.key != rnd.key, m.Round.start <= rnd.end, rnd.start <= m.Round.end))
    for key, other in busy:
        if key in keys:
            out.setdefault(key, (f"已在时间重叠的轮次 {other} 任职",
                                 f"serves in the overlapping round {other}"))
    status = session.execute(
        select(m.Cadre.person_key, m.Cadre.status, m.Cadre.status_from, m.Cadre.status_to)
        .where(m.Cadre.status != "active"))
    for key, code, start, end in status:
        if key in keys and (start is None or start <= rnd.end) and \
                (end is None or rnd.start <= end):
            zh, en = STATUS_TEXT.get(code, (code, code))
            out.setdefault(key, (f"状态为{zh}", f"status is {en}"))
    away = session.execute(
        select(m.CadreUnavailability.person_key, m.CadreUnavailability.start,
               m.CadreUnavailability.end)
        .where(m.CadreUnavailability.start <= rnd.end,
               rnd.start <= m.CadreUnavailability.end))
    for key, start, end in away:
        if key in keys:
            out.setdefault(key, (f"{start}至{end}不可用", f"unavailable {start} to {end}"))
    return out


def _display(session: Session, proposal_id: int, team: int, seat: dict[str, Any],
             ranking: Ranking, inst: Instance, parts: tuple[tuple[int, Instance], ...],
             rows: dict[int, dict[str, Any]], limit: int,
             objective: int | None) -> ReplacementRanking:
    shown = ranking.options[:limit]
    units = {key: f"{name}（{unit}）" for key, name, unit in session.execute(
        select(m.Cadre.person_key, m.Unit.name, m.Unit.key)
        .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key)
        .where(m.Cadre.person_key.in_([o.cadre for o in shown])))}
    skill_names = dict(inst.skill_names)
    skill_names.update({code: name for code, name in session.execute(
        select(m.Skill.code, m.Skill.name_zh))})
    # the other parts' terms (cross-inspection): the same before and after
    rest: dict[str, int] = {}
    for offset, i in parts:
        if i is inst:
            continue
        mine = {no - offset: {x["key"]: x["role"] for x in t["members"]}
                for no, t in rows.items() if offset < no <= offset + len(i.teams)}
        for name, value in term_values(i, mine).items():
            rest[name] = rest.get(name, 0) + value
    cands = {c.key: c for c in inst.candidates}
    options = tuple(ReplacementOption(
        rank=o.rank, cadre=o.cadre, name=cands[o.cadre].name,
        home_unit=units.get(o.cadre, ""), role=o.role,
        skills=tuple(skill_text(s, skill_names) for s in cands[o.cadre].skills),
        objective_change=o.objective_change,
        terms=tuple({"name": t.name, "zh": t.zh, "en": t.en, "weight": t.weight,
                     "before": t.before + rest.get(t.name, 0),
                     "after": t.after + rest.get(t.name, 0),
                     "change": t.contribution_change} for t in o.terms),
        why_zh=o.why_zh, why_en=o.why_en) for o in shown)
    excluded = tuple({"code": e.code, "count": e.count, "zh": e.zh, "en": e.en}
                     for e in ranking.excluded)
    return ReplacementRanking(
        proposal_id=proposal_id, team=team, leaving=ranking.leaving,
        leaving_name=seat.get("name") or ranking.leaving, role=ranking.role, options=options,
        eligible=len(ranking.options), considered=ranking.considered,
        none_zh=ranking.none_zh, none_en=ranking.none_en, objective=objective,
        excluded=excluded)
