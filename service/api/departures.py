"""Departures mid-round: record that a member left a team and have the seat filled by
the seeded lot (`service.departures`), and read the departures of a proposal with
everything needed to recompute each lot."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, Field

from pool import models as m
from service.api.common import UtcTime
from service.api.proposals import ProposalId, Reader, Writer, visible_proposal
from service.departures import DepartureCreate, departure_read, departures_of, record_departure
from service.deps import SessionDep, StateDep, refusals_audited
from service.sealing import seal_for

router = APIRouter(tags=["proposals"])
TeamNo = Annotated[int, Path(ge=1, le=10_000, description="组号 / the team's number")]


class DepartureMember(BaseModel):
    key: str | None = Field(description="批准前仅可见名单的角色可见 / hidden with the names")
    name: str | None
    role: str


class LotOption(BaseModel):
    cadre: str | None
    ticket: str = Field(description="sha256(preimage + 'candidate KEY\\n')")


class Lot(BaseModel):
    domain: str
    seed: str = Field(description="本轮抽取仪式的种子 / the round's ceremony seed")
    preimage: str | None = Field(description="参与抽签的事件原文 / the hashed event text")
    event_sha256: str
    tolerance: float = Field(description="本轮封存的容差 / the round's sealed tolerance")
    floor: int = Field(description="参与抽签的最低目标值 / the lowest objective in the lot")
    winner_ticket: str
    options: list[LotOption] = Field(description="容差内的全部人选及其签号（按名次）/ every "
                                                 "option within the tolerance, with its ticket")


class DepartureRead(BaseModel):
    proposal_id: int
    revision: int = Field(description="方案的第几次调整 / the proposal's revision it made")
    team: int
    date: str = Field(description="离组日期 / the departure's date")
    reason: str = Field(description="illness / recalled / other")
    reason_zh: str
    reason_en: str
    text: str | None
    leaving: DepartureMember
    replacement: DepartureMember
    placed: str = Field(description="lot 抽签产生 / placed by lot")
    amendment: bool = Field(description="批准后的变更 / recorded after approval")
    why_zh: str | None
    why_en: str | None
    lot: Lot
    recorded_by: str
    recorded_at: UtcTime


@router.post("/proposals/{proposal_id}/teams/{team}/departures",
             response_model=DepartureRead, status_code=201)
def post_departure(proposal_id: ProposalId, team: TeamNo,
                   body: Annotated[DepartureCreate, Body(openapi_examples={"illness": {
                       "value": {"leaving": "P00000367", "reason": "illness",
                                 "date": "2027-03-15"}}})],
                   session: SessionDep, state: StateDep, request: Request,
                   principal: Writer) -> DepartureRead:
    """记录离组：成员病休、被单位召回等离开巡察组；替换人员在本轮容差内的最佳人选中按签号抽取
    （签号由本轮抽取仪式的种子、方案、组号和离组成员决定，任何人不能挑选），对调随即生效并记入
    调整记录和审计日志；草案和已批准的方案均可（批准后记为变更）/ record a departure: the
    replacement is drawn by lot among the near-best and swapped in at once."""
    with refusals_audited(request, principal, "proposal.refused"):
        visible_proposal(session, state, request, principal, proposal_id)
        read = record_departure(session, principal, proposal_id, team, body)
        return DepartureRead.model_validate(read)


@router.get("/proposals/{proposal_id}/departures", response_model=list[DepartureRead])
def list_departures(proposal_id: ProposalId, session: SessionDep, state: StateDep,
                    request: Request, principal: Reader) -> list[DepartureRead]:
    """离组与抽签替换记录（可复算签号）/ the departures recorded, each with its lot."""
    row: m.ProposalRecord = visible_proposal(session, state, request, principal, proposal_id)
    seal = seal_for(session, principal, [row])
    out: list[Any] = [departure_read(c) for c in departures_of(session, proposal_id)]
    return [DepartureRead.model_validate(seal(d) if seal else d) for d in out]
