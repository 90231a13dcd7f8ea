"""The draw ceremony over HTTP: open (seal) a round's draw, consent to a redraw, commit,
reveal, enter the public value, run again after a wall-clock failure. Every refused step
is audited as `draw.refused`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Path, Request, status
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from assignment.ceremony import seed_preimage
from pool import models as m
from service import ceremony
from service.api.common import Accepted, UtcTime, wake_worker
from service.api.rounds import RoundKey, visible_round
from service.auth import ROLE_ZH, Action, Principal, Role
from service.bounds import convertible_to_utc
from service.decisions import round_file, round_plan
from service.deps import SessionDep, StateDep, ensure_region, refusals_audited, require
from service.rounds import PublicValue
from service.state import ServiceState

router = APIRouter(tags=["draws"])
Reader = Annotated[Principal, Depends(require(Action.rounds_read))]
Opener = Annotated[Principal, Depends(require(Action.rounds_write))]
Party = Annotated[Principal, Depends(require(Action.draw_party))]
Consenter = Annotated[Principal, Depends(require(Action.draw_consent))]
Rerunner = Annotated[Principal, Depends(require(Action.draw_rerun))]
DrawId = Annotated[int, Path(ge=1, le=2**31 - 1, description="抽取编号 / draw id")]
HEX64 = r"^[0-9a-f]{64}$"


class DrawCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reveal_by": "2027-02-20T18:00:00+08:00"},
        {"reveal_by": "2027-02-20T18:00:00+08:00", "reason": "第1次抽取的监督方未在截止前揭示",
         "public": {"source": "福彩3D 2027-02-21 开奖号码", "after": "2027-02-21"}}]})

    reveal_by: Annotated[AwareDatetime, AfterValidator(convertible_to_utc)] = Field(
        description="揭示截止时间（带时区）/ reveal deadline")
    reason: str | None = Field(default=None, min_length=4, max_length=2000, description=(
        "第2次起必填：为何再次抽取 / required from the second draw: why"))
    public: PublicValue | None = Field(default=None, description=(
        "公开值；不给则用轮次计划中的 public / the public value; default: the plan's"))
    deterministic_time: float | None = Field(default=None, gt=0, le=600, description=(
        "每阶段确定性求解时间（封存）/ deterministic solve budget per phase (sealed)"))


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class CommitmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"commitment": "a" * 64}]})
    commitment: str = Field(pattern=HEX64, description=(
        "对本次规格的承诺，在本方电脑上用 `xuncha seed new --spec 规格哈希` 生成 / the "
        "party's commitment to this draw's specification, made on its own machine"))


class RevealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    secret: str = Field(min_length=32, max_length=128, description=(
        "本方秘密值（32–128位小写十六进制）/ the party's secret (32–128 lowercase hex)"))


class PublicValueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=200, description=(
        "按公布原文录入的公开值 / the value as published"))


class RerunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    wall_time: float | None = Field(default=None, gt=0, le=3600, description=(
        "仅管理员：每阶段墙钟安全时限（秒），不影响结果 / admin only: the wall-clock safety "
        "net per phase in seconds; it does not change the result"))


class PartyRead(BaseModel):
    position: int
    role: str
    role_zh: str
    commitment: str | None
    committed_by: str | None
    committed_at: UtcTime | None
    secret: str | None = Field(description="揭示后公开 / public once revealed")
    revealed_at: UtcTime | None
    public_value: str | None


class DrawRead(BaseModel):
    id: int
    round_key: str
    number: int = Field(description="本轮第几次抽取 / the draw's number in its round")
    of: int = Field(description="本轮抽取总次数 / how many draws the round has had")
    status: str
    status_zh: str
    reason: str | None
    requested_by: str
    requested_role: str
    consented_by: str | None
    consented_at: UtcTime | None
    consent_note: str | None
    spec: dict[str, Any]
    spec_text: str = Field(description="封存的规格原文，其 sha256 即 spec_sha256 / the sealed "
                                       "text whose sha256 is spec_sha256")
    spec_sha256: str
    input_hash: str
    reveal_by: UtcTime
    public_source: str | None
    public_after: dt.date | None
    public_value: str | None
    seed: str | None = Field(description="全部揭示后确定 / fixed by the last reveal")
    seed_preimage: str | None = Field(description="sha256 即种子的原文 / the text whose "
                                                  "sha256 is the seed")
    parties: list[PartyRead]
    job_id: str | None
    failure: dict[str, Any] | None
    proposal_id: int | None
    created_at: UtcTime
    seeded_at: UtcTime | None
    closed_at: UtcTime | None


def draw_read(session: Session, row: m.Draw, total: int | None = None) -> DrawRead:
    parties = ceremony.parties_of(session, row.id)
    total = total or len(ceremony.round_draws(session, row.round_key))
    status_now = ceremony.status_of(row)
    proposal = session.execute(select(m.ProposalRecord.id).where(
        m.ProposalRecord.draw_id == row.id)).scalar()
    return DrawRead(
        id=row.id, round_key=row.round_key, number=row.number, of=total, status=status_now,
        status_zh=ceremony.STATUS_ZH.get(status_now, status_now), reason=row.reason,
        requested_by=row.requested_by, requested_role=row.requested_role,
        consented_by=row.consented_by, consented_at=row.consented_at,
        consent_note=row.consent_note, spec=json.loads(row.spec), spec_text=row.spec,
        spec_sha256=row.spec_sha256, input_hash=row.input_hash, reveal_by=row.reveal_by,
        public_source=row.public_source, public_after=row.public_after,
        public_value=row.public_value, seed=row.seed,
        seed_preimage=None if row.seed is None else seed_preimage(
            row.spec_sha256, ceremony.revealed(parties), row.public_value),
        parties=[PartyRead(position=p.position, role=p.role, role_zh=ROLE_ZH[Role(p.role)],
                           commitment=p.commitment, committed_by=p.committed_by,
                           committed_at=p.committed_at, secret=p.secret,
                           revealed_at=p.revealed_at, public_value=p.public_value)
                 for p in parties],
        job_id=row.job_id, failure=None if row.failure is None else json.loads(row.failure),
        proposal_id=proposal, created_at=row.created_at, seeded_at=row.seeded_at,
        closed_at=row.closed_at)


def round_draw_reads(session: Session, round_key: str) -> list[DrawRead]:
    """Every draw of the round in full, numbered n of m."""
    rows = ceremony.round_draws(session, round_key)
    return [draw_read(session, r, len(rows)) for r in rows]


def visible_draw(session: Session, state: ServiceState, request: Request,
                 principal: Principal, draw_id: int) -> m.Draw:
    row = ceremony.draw_or_404(session, draw_id)
    rnd = session.get(m.Round, row.round_key)
    ensure_region(state, request, principal, rnd.region_code if rnd else None,
                  f"抽取 {draw_id}", f"draw {draw_id}")
    return row


@router.post("/rounds/{round_key}/draws", response_model=DrawRead,
             status_code=status.HTTP_201_CREATED)
def post_draw(round_key: RoundKey, body: Annotated[DrawCreate, Body()], session: SessionDep,
              state: StateDep, request: Request, principal: Opener) -> DrawRead:
    """开始一次抽取：封存抽取规格（输入哈希、参数、版本、参与方、截止时间）；第2次起须写明
    理由并经另一角色同意 / open a draw: seal its specification; from the second draw on a
    reason and a second role's consent are needed."""
    with refusals_audited(request, principal, "draw.refused"):
        rnd = visible_round(session, state, request, principal, round_key)
        spec = round_file(round_plan(session, round_key)[1])
        index = state.conflict_index(session, spec.as_of or rnd.start)
        row = ceremony.open_draw(session, index, round_key, ceremony.DrawRequest(
            body.reveal_by, body.reason, body.public.source if body.public else None,
            body.public.after if body.public else None, body.deterministic_time), principal)
        return draw_read(session, row)


@router.get("/rounds/{round_key}/draws", response_model=list[DrawRead])
def list_draws(round_key: RoundKey, session: SessionDep, state: StateDep, request: Request,
               principal: Reader) -> list[DrawRead]:
    """本轮全部抽取（第1次、第2次……及理由）/ every draw of the round, numbered, with reasons."""
    visible_round(session, state, request, principal, round_key)
    return round_draw_reads(session, round_key)


@router.get("/draws/{draw_id}", response_model=DrawRead)
def get_draw(draw_id: DrawId, session: SessionDep, state: StateDep, request: Request,
             principal: Reader) -> DrawRead:
    """一次抽取：规格、承诺、揭示、种子 / one draw: specification, commitments, seed."""
    return draw_read(session, visible_draw(session, state, request, principal, draw_id))


@router.post("/draws/{draw_id}/consent", response_model=DrawRead)
def post_consent(draw_id: DrawId, body: ConsentCreate, session: SessionDep, state: StateDep,
                 request: Request, principal: Consenter) -> DrawRead:
    """同意再次抽取（须为提出人以外的另一角色）；此前各次抽取随之作废 / consent to a further
    draw (a second role); every earlier draw of the round is superseded."""
    with refusals_audited(request, principal, "draw.refused"):
        visible_draw(session, state, request, principal, draw_id)
        return draw_read(session, ceremony.consent(session, draw_id, principal, body.note))


@router.post("/draws/{draw_id}/commitments", response_model=DrawRead)
def post_draw_commitment(draw_id: DrawId, body: CommitmentCreate, session: SessionDep,
                         state: StateDep, request: Request, principal: Party) -> DrawRead:
    """参与方提交对本次规格的承诺；秘密值留在本方电脑上 / a party commits to its secret."""
    with refusals_audited(request, principal, "draw.refused"):
        visible_draw(session, state, request, principal, draw_id)
        return draw_read(session, ceremony.commit(session, draw_id, principal,
                                                  body.commitment))


@router.post("/draws/{draw_id}/reveals", response_model=DrawRead)
def post_reveal(draw_id: DrawId, body: RevealCreate, session: SessionDep, state: StateDep,
                request: Request, background: BackgroundTasks, principal: Party) -> DrawRead:
    """参与方按顺序揭示秘密值；最后一次揭示确定种子并开始抽取 / a party reveals its secret,
    in order; the last reveal fixes the seed and starts the draw."""
    with refusals_audited(request, principal, "draw.refused"):
        visible_draw(session, state, request, principal, draw_id)
        row, job = ceremony.reveal(session, draw_id, principal, body.secret,
                                   state.settings.draw_wall_time)
        if job is not None:
            wake_worker(state, background)
        return draw_read(session, row)


@router.post("/draws/{draw_id}/public-value", response_model=DrawRead)
def post_public_value(draw_id: DrawId, body: PublicValueCreate, session: SessionDep,
                      state: StateDep, request: Request, background: BackgroundTasks,
                      principal: Party) -> DrawRead:
    """各参与方录入公布的公开值；一致后确定种子并开始抽取 / each party enters the published
    value; when they agree the seed is fixed and the draw starts."""
    with refusals_audited(request, principal, "draw.refused"):
        visible_draw(session, state, request, principal, draw_id)
        row, job = ceremony.enter_public_value(session, draw_id, principal, body.value,
                                               state.settings.draw_wall_time)
        if job is not None:
            wake_worker(state, background)
        return draw_read(session, row)


@router.post("/draws/{draw_id}/rerun", response_model=Accepted,
             status_code=status.HTTP_202_ACCEPTED)
def post_rerun(draw_id: DrawId, body: RerunCreate, session: SessionDep, state: StateDep,
               request: Request, background: BackgroundTasks,
               principal: Rerunner) -> Accepted:
    """墙钟超时失败后重新运行同一抽取（同一规格、同一种子，结果唯一）/ run a draw again
    after a wall-clock failure (same specification and seed: one result)."""
    with refusals_audited(request, principal, "draw.refused"):
        visible_draw(session, state, request, principal, draw_id)
        job = ceremony.rerun(session, draw_id, principal, body.wall_time,
                             state.settings.draw_wall_time)
        wake_worker(state, background)
        return Accepted(job_id=job.id, status=job.status, status_url=f"/v1/jobs/{job.id}")
