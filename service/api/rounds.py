"""Rounds and their plans (their draws: `service/api/draws.py`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select

from pool import models as m
from service.api.common import Page, Paging, paging
from service.auth import Action, Principal
from service.ceremony import status_of
from service.cross import CrossFile
from service.decisions import create_round, round_decided, round_plan
from service.deps import SessionDep, StateDep, ensure_region, refusals_audited, require
from service.errors import Forbidden
from service.rounds import RoundFile

router = APIRouter(tags=["rounds"])
Reader = Annotated[Principal, Depends(require(Action.rounds_read))]
Writer = Annotated[Principal, Depends(require(Action.rounds_write))]
RoundKey = Annotated[str, Path(pattern=r"^[^\s/]{1,64}$", description="轮次编号 / round key")]

ROUND_EXAMPLE = {
    "key": "2027-1", "name": "2027年第一轮巡察", "start": "2027-03-01", "end": "2027-04-30",
    "policy": "default", "defaults": {"size": [5, 7], "deputies": [1, 2],
                                      "skills": {"finance": 1}},
    "teams": [{"targets": ["U00178"]}, {"targets": ["U00067", "U00068"]}],
}


class RoundCreate(BaseModel):
    plan: RoundFile | None = Field(default=None, description=(
        "组队轮次：轮次文件（见 docs/round-file.md）/ a team-assembly round: the round file"))
    cross: CrossFile | None = Field(default=None, description=(
        "交叉巡察：交叉巡察计划（见 docs/round-file.md）/ a cross-inspection: the plan"))
    region: str | None = Field(default=None, max_length=12,
                               description="组织本轮的党委所在区划 / the committee's region")

    @model_validator(mode="after")
    def _one_plan(self) -> RoundCreate:
        if (self.plan is None) == (self.cross is None):
            raise ValueError("give exactly one of plan (team assembly) and cross "
                             "(cross-inspection)")
        return self

    @property
    def spec(self) -> RoundFile | CrossFile:
        spec = self.plan or self.cross
        assert spec is not None
        return spec


class DrawSummary(BaseModel):
    id: int
    number: int = Field(description="第几次抽取 / the draw's number")
    of: int = Field(description="本轮共几次 / of how many")
    status: str
    reason: str | None
    proposal_id: int | None


class RoundRead(BaseModel):
    key: str
    name: str
    kind: str
    region: str | None
    start: dt.date
    end: dt.date
    mode: str | None
    policy: str | None
    plan: dict[str, Any] | None
    plan_text: str | None = Field(description="计划原文（其 sha256 记入抽取规格的 plan_sha256）/ "
                                              "the stored plan text, whose sha256 a draw "
                                              "specification seals as plan_sha256")
    decided: bool
    proposals: list[int]
    draws: list[DrawSummary] = Field(description="本轮各次抽取（编号、状态、理由）/ the "
                                     "round's draws, numbered, with reasons")


def draw_summaries(session: SessionDep, round_key: str) -> list[DrawSummary]:
    """The round's draws, numbered n of m, each with the proposal it drew (if any)."""
    draws = session.execute(select(m.Draw).where(m.Draw.round_key == round_key)
                            .order_by(m.Draw.number)).scalars().all()
    drawn = dict(session.execute(select(m.ProposalRecord.draw_id, m.ProposalRecord.id).where(
        m.ProposalRecord.round_key == round_key, m.ProposalRecord.draw_id.is_not(None))).all())
    return [DrawSummary(id=d.id, number=d.number, of=len(draws), status=status_of(d),
                        reason=d.reason, proposal_id=drawn.get(d.id)) for d in draws]


def round_read(session: SessionDep, row: m.Round) -> RoundRead:
    plan = session.get(m.RoundPlan, row.key)
    proposals = session.execute(select(m.ProposalRecord.id)
                                .where(m.ProposalRecord.round_key == row.key)
                                .order_by(m.ProposalRecord.id)).scalars().all()
    return RoundRead(key=row.key, name=row.name, kind=row.kind, region=row.region_code,
                     start=row.start, end=row.end, mode=plan.mode if plan else None,
                     policy=plan.policy if plan else None,
                     plan=json.loads(plan.spec) if plan else None,
                     plan_text=plan.spec if plan else None,
                     decided=round_decided(session, row.key),
                     proposals=list(proposals),
                     draws=draw_summaries(session, row.key))


@router.post("/rounds", response_model=RoundRead, status_code=status.HTTP_201_CREATED)
def post_round(body: Annotated[RoundCreate, Body(openapi_examples={"round": {
                   "summary": "两个组、三个单位 / two teams, three units",
                   "value": {"plan": ROUND_EXAMPLE, "region": "320100"}}})],
               session: SessionDep, state: StateDep, request: Request,
               principal: Writer) -> RoundRead:
    """新建轮次：被巡察单位、人员要求、日期、类型、回避规则 / create a round."""
    with refusals_audited(request, principal, "auth.denied", Forbidden):
        row = create_round(session, body.spec, region=body.region, actor=principal.actor,
                           creator=principal.regions, creator_scope=principal.scope)
    return round_read(session, row)


@router.get("/rounds", response_model=Page[RoundRead])
def list_rounds(session: SessionDep, principal: Reader,
                page: Annotated[Paging, Depends(paging)]) -> Page[RoundRead]:
    """轮次列表（含历史轮次）/ rounds, newest first (history included)."""
    stmt = select(m.Round)
    if principal.regions is not None:
        stmt = stmt.where(m.Round.region_code.in_(principal.regions))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(m.Round.start.desc(), m.Round.key)
                           .limit(page.limit).offset(page.offset)).scalars().all()
    return Page(items=[round_read(session, r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


def visible_round(session: SessionDep, state: StateDep, request: Request,
                  principal: Principal, key: str) -> m.Round:
    row, _plan = round_plan(session, key)
    ensure_region(state, request, principal, row.region_code, f"轮次 {key}", f"round {key}")
    return row


@router.get("/rounds/{round_key}", response_model=RoundRead)
def get_round(round_key: RoundKey, session: SessionDep, state: StateDep, request: Request,
              principal: Reader) -> RoundRead:
    """一个轮次及其方案与各次抽取 / one round, its proposals and draws."""
    return round_read(session, visible_round(session, state, request, principal, round_key))
