"""Rounds, their plans and seed commitments."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select

from pool import models as m
from service.api.common import Page, Paging, UtcTime, paging
from service.auth import Action, Principal
from service.cross import CrossFile
from service.decisions import create_round, publish_commitment, round_file, round_plan
from service.deps import SessionDep, StateDep, ensure_region, require
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


class CommitmentRead(BaseModel):
    id: int
    round_key: str
    digest: str = Field(description="sha256(种子‖输入哈希)，抽取前公布 / publish before the draw")
    input_hash: str
    seed: int | None = Field(description="抽取后公开 / revealed after the draw")
    revealed: bool
    created_by: str
    created_at: UtcTime


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
    decided: bool
    proposals: list[int]
    commitments: list[CommitmentRead]


class CommitmentCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"seed": 20270301}]})

    seed: int | None = Field(default=None, ge=0, le=2**31 - 1,
                             description="不给则由服务随机生成 / drawn by the service if absent")


def commitment_read(c: m.Commitment) -> CommitmentRead:
    return CommitmentRead(id=c.id, round_key=c.round_key, digest=c.digest,
                          input_hash=c.input_hash, seed=c.seed if c.revealed else None,
                          revealed=c.revealed, created_by=c.created_by,
                          created_at=c.created_at)


def round_read(session: SessionDep, row: m.Round) -> RoundRead:
    plan = session.get(m.RoundPlan, row.key)
    proposals = session.execute(select(m.ProposalRecord.id, m.ProposalRecord.status)
                                .where(m.ProposalRecord.round_key == row.key)
                                .order_by(m.ProposalRecord.id)).all()
    commitments = session.execute(select(m.Commitment).where(m.Commitment.round_key == row.key)
                                  .order_by(m.Commitment.id)).scalars()
    decided = any(s == "approved" for _i, s in proposals) or session.execute(
        select(m.Participation.person_key).where(m.Participation.round_key == row.key)
    ).first() is not None
    return RoundRead(key=row.key, name=row.name, kind=row.kind, region=row.region_code,
                     start=row.start, end=row.end, mode=plan.mode if plan else None,
                     policy=plan.policy if plan else None,
                     plan=json.loads(plan.spec) if plan else None, decided=decided,
                     proposals=[i for i, _s in proposals],
                     commitments=[commitment_read(c) for c in commitments])


@router.post("/rounds", response_model=RoundRead, status_code=status.HTTP_201_CREATED)
def post_round(body: Annotated[RoundCreate, Body(openapi_examples={"round": {
                   "summary": "两个组、三个单位 / two teams, three units",
                   "value": {"plan": ROUND_EXAMPLE, "region": "320100"}}})],
               session: SessionDep, state: StateDep, request: Request,
               principal: Writer) -> RoundRead:
    """新建轮次：被巡察单位、人员要求、日期、类型、回避规则 / create a round."""
    region = body.region if body.region is not None else principal.scope
    if principal.scope is not None:
        ensure_region(state, request, principal, region, "轮次所属区划", "the round's region")
    row = create_round(session, body.spec, region=region, actor=principal.actor)
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
    """一个轮次及其方案与承诺 / one round, its proposals and commitments."""
    return round_read(session, visible_round(session, state, request, principal, round_key))


@router.post("/rounds/{round_key}/commitments", response_model=CommitmentRead,
             status_code=status.HTTP_201_CREATED)
def post_commitment(round_key: RoundKey, body: CommitmentCreate, session: SessionDep,
                    state: StateDep, request: Request, principal: Writer) -> CommitmentRead:
    """抽取前公布种子承诺 sha256(种子‖输入哈希)；种子保密到抽取之后 / publish the seed
    commitment before the draw; the seed stays secret until the draw."""
    row = visible_round(session, state, request, principal, round_key)
    spec = round_file(round_plan(session, round_key)[1])
    index = state.conflict_index(session, spec.as_of or row.start)
    return commitment_read(publish_commitment(session, index, round_key, body.seed,
                                              principal.actor))
