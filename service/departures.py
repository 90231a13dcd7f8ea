"""Departures mid-round (issue 15 item 1): a member leaves a team of a draft or approved
proposal (illness, recalled by the home unit, other) and the seat is filled by lot.

`record_departure` ranks who could take the seat as of the departure's date
(`assignment.replacement.rank_replacements`, every hard rule holding, cadres the pool
says cannot serve from that date to the round's end left out), draws one among the
options within the round's sealed tolerance of the best (`draw_replacement`: the ticket
is sha256 of the round's ceremony seed, the proposal, the team and the leaving member,
nothing the recorder picks), applies the swap as a change of kind "replacement" (placed
by lot), and records it in the proposal's history and in the audit log
(`proposal.departure`) with everything needed to recompute the lot.

Rules that keep it unsteerable: only a ceremony's draw of record has a lot (a trial is
refused); a member leaves a proposal once; the date lies in the round and not after
today (Beijing) and is not hashed; nothing is undone except by a further recorded event.
On an approved proposal the approval stays: the departure is an amendment after
approval, and the round's participation history follows the teams (the leaving member's
row is replaced by the newcomer's)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assignment.instance import Instance
from assignment.replacement import (
    DRAW_DOMAIN,
    ReplacementDraw,
    draw_replacement,
    near_best,
    rank_replacements,
)
from assignment.validate import objective, term_values, violations
from pool import models as m
from service import audit
from service.auth import ROLE_ZH, Action, Principal
from service.ceremony import today_beijing
from service.changes import (
    ChangeCreate,
    _apply,
    _as_proposal,
    _part_teams,
    _renumber,
    regroup,
    stored_parts,
)
from service.decisions import proposal_or_404
from service.errors import Conflict, Forbidden, Unprocessable
from service.replacements import _unavailable

OP = "replacement"
REASONS: dict[str, tuple[str, str]] = {
    "illness": ("病休", "illness"),
    "recalled": ("单位召回", "recalled by the home unit"),
    "other": ("其他", "other"),
}
TEXT_MIN, TEXT_MAX = 4, 2000


class DepartureCreate(BaseModel):
    """A member leaves a team mid-round: who, why and when. The replacement is drawn by
    lot; nothing in the request chooses it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"leaving": "P00000367", "reason": "illness", "date": "2027-03-15"}]})

    leaving: str = Field(min_length=1, max_length=64,
                         description="离组成员（人员编号）/ the key of the member who leaves")
    reason: Literal["illness", "recalled", "other"] = Field(
        description="illness 病休 / recalled 单位召回 / other 其他（须写明 text）")
    text: str | None = Field(default=None, max_length=TEXT_MAX, description=(
        "说明；原因为 other 时必填（至少4个字）/ details; required for other"))
    date: dt.date = Field(description="离组日期，须在本轮期间且不晚于今天（北京时间）/ the "
                                      "departure's date: within the round, not after today")

    @field_validator("text")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        value = None if value is None else value.strip() or None
        if value is not None and "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        return value


def today() -> dt.date:
    """The service's date in Beijing (tests move it into the round)."""
    return today_beijing()


def reason_words(reason: str, text: str | None) -> str:
    """The stored reason: "病休 / illness", with the details after it."""
    zh, en = REASONS.get(reason, (reason, reason))
    return f"{zh} / {en}" + (f"：{text}" if text else "")


def tolerance_of(row: m.ProposalRecord) -> float:
    """The tolerance the round's draw of record sealed (a cross round: its teams')."""
    params = json.loads(row.parameters)
    if "tolerance" in params:
        return float(params["tolerance"])
    return float((params.get("teams") or {}).get("tolerance", 0.0))


def departures_of(session: Session, proposal_id: int) -> list[m.ProposalChange]:
    """The proposal's recorded departures, in order."""
    rows = session.execute(select(m.ProposalChange).where(
        m.ProposalChange.proposal_id == proposal_id).order_by(m.ProposalChange.revision))
    return [c for c in rows.scalars() if json.loads(c.change).get("op") == OP]


def _refuse_unless_allowed(session: Session, principal: Principal, row: m.ProposalRecord,
                           body: DepartureCreate, rnd: m.Round) -> None:
    if not principal.may(Action.rounds_write):
        raise Forbidden(f"角色“{ROLE_ZH[principal.role]}”无权调整方案（rounds:write）",
                        f"role {principal.role.value} may not change proposals "
                        "(rounds:write)", details={"role": principal.role.value})
    if row.kind == "trial":
        raise Conflict("试算方案没有抽取结果，不能记录离组并抽取替换人员；"
                       "请在抽取仪式产生的方案上记录",
                       "a trial has no draw of record: departures are recorded on the "
                       "ceremony's proposal", field="proposal_id", code="trial")
    if row.kind != "record" or not row.seed_hex:
        raise Conflict("该方案不是抽取仪式产生的抽取结果，没有可用于替换抽签的种子",
                       "this proposal is not a ceremony's draw of record: there is no seed "
                       "for the replacement lot", field="proposal_id",
                       code="not_a_draw_of_record")
    if row.status not in ("draft", "approved"):
        raise Conflict(f"方案状态为 {row.status}，只有草案或已批准的方案可以记录离组",
                       f"the proposal is {row.status}; departures are recorded on a draft "
                       "or an approved proposal", field="proposal_id")
    if body.reason == "other" and (body.text is None or len(body.text) < TEXT_MIN):
        raise Unprocessable(f"原因为“其他”时须写明说明（至少{TEXT_MIN}个字）",
                            f"reason 'other' needs the details in text (at least {TEXT_MIN} "
                            "characters)", field="text")
    if not rnd.start <= body.date <= rnd.end:
        raise Unprocessable(f"离组日期 {body.date} 不在本轮期间（{rnd.start}至{rnd.end}）",
                            f"the date {body.date} lies outside the round ({rnd.start} to "
                            f"{rnd.end})", field="date")
    now = today()
    if body.date > now:
        raise Unprocessable(f"离组日期 {body.date} 晚于今天（{now}），离组须在发生后记录",
                            f"the date {body.date} is after today ({now}): record a departure "
                            "once it has happened", field="date")
    for c in departures_of(session, row.id):
        if json.loads(c.change).get("cadre") == body.leaving:
            raise Conflict(f"{body.leaving} 的离组已于第{c.revision}次调整记录，"
                           "不能再次记录或重新抽签",
                           f"{body.leaving}'s departure is already recorded (revision "
                           f"{c.revision}); it cannot be recorded or drawn again",
                           field="leaving", code="already_recorded")


def _seat(row: m.ProposalRecord, team: int, leaving: str
          ) -> tuple[dict[str, Any], Instance, dict[str, Any], dict[str, Any]]:
    """The part of the proposal the team belongs to, its instance, the current teams and
    the leaving member's seat."""
    current = json.loads(row.teams)
    part, inst = next(((p, i) for p, i in stored_parts(row.instance)
                       if p["offset"] < team <= p["offset"] + len(i.teams)), (None, None))
    if part is None or inst is None:
        raise Unprocessable(f"没有第{team}组", f"no team {team}", field="team")
    members: list[dict[str, Any]] = next((t["members"] for t in current["teams"]
                                          if t["no"] == team), [])
    seat = next((x for x in members if x["key"] == leaving), None)
    if seat is None:
        raise Unprocessable(f"{leaving} 不在第{team}组", f"{leaving} is not on team {team}",
                            field="leaving")
    return part, inst, current, seat


def _lot(session: Session, row: m.ProposalRecord, rnd: m.Round, team: int, on: dt.date,
         part: dict[str, Any], inst: Instance, current: dict[str, Any], leaving: str
         ) -> tuple[ReplacementDraw, float]:
    offset = part["offset"]
    inside = {t["no"]: t for t in current["teams"]
              if offset < t["no"] <= offset + len(inst.teams)}
    local = {no - offset: {x["key"]: x["role"] for x in t["members"]}
             for no, t in inside.items()}
    elsewhere = {x["key"] for t in current["teams"] if t["no"] not in inside
                 for x in t["members"]}
    # who the pool says cannot serve from the departure's date to the round's end
    window = m.Round(key=rnd.key, start=on, end=rnd.end)
    away = _unavailable(session, window, inst)
    tolerance = tolerance_of(row)
    verify = 20
    while True:  # every option that takes part in the lot is checked by the validator
        ranking = rank_replacements(inst, local, team - offset, leaving, unavailable=away,
                                    elsewhere=elsewhere, verify=verify, shown_as=team)
        _floor, pool = near_best(ranking.options, tolerance)
        if all(o.verified for o in pool):
            break
        verify = len(ranking.options)
    if not ranking.options:
        raise Conflict(ranking.none_zh or "没有人能接替该席位",
                       ranking.none_en or "nobody can take the seat", field="leaving",
                       code="no_replacement", details={
                           "excluded": [{"code": e.code, "count": e.count, "zh": e.zh,
                                         "en": e.en} for e in ranking.excluded]})
    assert row.seed_hex is not None
    drawn = draw_replacement(ranking.options, tolerance, seed=row.seed_hex,
                             proposal_id=row.id, team=team, leaving=leaving)
    assert drawn is not None
    return drawn, tolerance


def record_departure(session: Session, principal: Principal, proposal_id: int, team: int,
                     body: DepartureCreate) -> dict[str, Any]:
    """Record the departure, draw the replacement and apply the swap; returns the record
    as `departure_read` shows it. Raises the service's DomainErrors; writes nothing then."""
    row = proposal_or_404(session, proposal_id, lock=True)
    rnd = session.get(m.Round, row.round_key)
    assert rnd is not None
    _refuse_unless_allowed(session, principal, row, body, rnd)
    part, inst, current, seat = _seat(row, team, body.leaving)
    drawn, tolerance = _lot(session, row, rnd, team, body.date, part, inst, current,
                            body.leaving)
    winner = drawn.chosen.cadre
    reason = reason_words(body.reason, body.text)
    offset = part["offset"]
    swap = ChangeCreate(op="swap", team=team - offset, cadre=body.leaving,
                        replacement=winner, reason=reason)
    after_local = _apply(inst, _renumber(_part_teams(current["teams"], offset, inst),
                                         -offset), swap)
    broken = violations(inst, _as_proposal(inst, after_local))
    if broken:  # the ranking checked this option; kept as the last word
        raise Conflict("替换后违反硬性规则，未保存：" + "；".join(broken[:5]),
                       "the replacement breaks hard rules and was not saved",
                       field="leaving", details={"violations": broken})
    regroup(inst, next(t for t in after_local if t["no"] == team - offset))
    amendment = row.status == "approved"
    revision = row.revision + 1
    at = audit.utcnow()
    tickets = dict(drawn.tickets)
    lot = {"domain": DRAW_DOMAIN, "seed": row.seed_hex, "preimage": drawn.preimage,
           "event_sha256": drawn.event_sha256, "tolerance": tolerance,
           "floor": drawn.floor, "winner_ticket": tickets[winner],
           "options": [{"cadre": k, "ticket": t} for k, t in drawn.tickets]}
    sides = {c.key: part["side"] or c.side for c in inst.candidates}
    changed = {t["no"]: t for t in _renumber(after_local, offset)}
    for x in changed[team]["members"]:
        x["side"] = sides[x["key"]]
        if x["key"] == winner:
            x["placed"] = {"revision": revision, "actor": principal.actor, "reason": reason,
                           "op": OP, "at": at.isoformat(), "ticket": tickets[winner],
                           "amendment": amendment}
    after = [changed.get(t["no"], t) for t in current["teams"]]
    new = {"teams": after} | _scores(row, after)
    change = {"op": OP, "team": team, "cadre": body.leaving,
              "cadre_name": seat.get("name"), "role": seat["role"], "replacement": winner,
              "replacement_name": inst.by_key[winner].name, "reason": body.reason,
              "text": body.text, "date": body.date.isoformat(), "placed": "lot",
              "amendment": amendment, "why_zh": drawn.chosen.why_zh,
              "why_en": drawn.chosen.why_en, "lot": lot}
    row.revision = revision
    row.teams = audit.canonical_json(new)
    session.add(m.ProposalChange(proposal_id=row.id, revision=revision,
                                 change=audit.canonical_json(change), reason=reason,
                                 actor=principal.actor, at=at))
    if amendment:
        _follow_participations(session, rnd, changed[team], body.leaving, winner)
    audit.record(session, principal.actor, "proposal.departure", object_type="proposal",
                 object_key=str(row.id), at=at, data={
                     "round": rnd.key, "revision": revision, "change": change,
                     "reason": reason, "amendment": amendment,
                     "before": next(t for t in current["teams"] if t["no"] == team),
                     "after": changed[team], "objective_before": current["objective"],
                     "objective_after": new["objective"],
                     "teams_sha256": audit.sha256_text(row.teams)})
    if amendment:
        audit.bump_pool(session)
    session.flush()
    return departure_read(session.get(m.ProposalChange, _last_id(session, row.id)))


def _last_id(session: Session, proposal_id: int) -> int:
    return int(session.execute(select(m.ProposalChange.id).where(
        m.ProposalChange.proposal_id == proposal_id)
        .order_by(m.ProposalChange.revision.desc()).limit(1)).scalar_one())


def _scores(row: m.ProposalRecord, teams: list[dict[str, Any]]) -> dict[str, Any]:
    terms: dict[str, int] = {}
    total = 0
    for p, i in stored_parts(row.instance):
        mine = _part_teams(teams, p["offset"], i)
        values = term_values(i, {t["no"] - p["offset"]: {x["key"]: x["role"]
                                                         for x in t["members"]} for t in mine})
        total += objective(i, values)
        for name, value in values.items():
            terms[name] = terms.get(name, 0) + value
    return {"terms": terms, "objective": total}


def _follow_participations(session: Session, rnd: m.Round, team: dict[str, Any],
                           leaving: str, winner: str) -> None:
    """An approved round's participation history is its teams: the newcomer's row
    replaces the leaving member's (the departure record keeps who served before)."""
    session.execute(delete(m.Participation).where(m.Participation.round_key == rnd.key,
                                                  m.Participation.person_key == leaving))
    seat = next(x for x in team["members"] if x["key"] == winner)
    targets = team["targets"]
    session.add(m.Participation(round_key=rnd.key, person_key=winner, team_no=team["no"],
                                role=seat["role"], target_unit_key=targets[0],
                                second_target_unit_key=targets[1] if len(targets) > 1
                                else None))


def departure_read(c: m.ProposalChange | None) -> dict[str, Any]:
    """One recorded departure as the API answers it (unsealed: the caller seals)."""
    assert c is not None
    change = json.loads(c.change)
    zh, en = REASONS.get(change["reason"], (change["reason"], change["reason"]))
    return {"proposal_id": c.proposal_id, "revision": c.revision, "team": change["team"],
            "date": change["date"], "reason": change["reason"], "reason_zh": zh,
            "reason_en": en, "text": change.get("text"),
            "leaving": {"key": change["cadre"], "name": change.get("cadre_name"),
                        "role": change["role"]},
            "replacement": {"key": change["replacement"],
                            "name": change.get("replacement_name"), "role": change["role"]},
            "placed": change.get("placed", "lot"), "amendment": change.get("amendment", False),
            "why_zh": change.get("why_zh"), "why_en": change.get("why_en"),
            "lot": change["lot"], "recorded_by": c.actor, "recorded_at": c.at}
