"""Proposals: draws of the optimizer (jobs), manual changes, approval, replay, report."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from pool import models as m
from pool.db import transaction
from service.api.common import Accepted, UtcTime, queue_job
from service.api.rounds import RoundKey, visible_round
from service.auth import Action, Principal
from service.changes import ChangeCreate, apply_change, approve
from service.decisions import proposal_or_404
from service.deps import SessionDep, StateDep, ensure_region, require
from service.errors import Conflict, Unprocessable
from service.report import round_report

router = APIRouter(tags=["proposals"])
Reader = Annotated[Principal, Depends(require(Action.rounds_read))]
Writer = Annotated[Principal, Depends(require(Action.rounds_write))]
Approver = Annotated[Principal, Depends(require(Action.approve))]
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1, description="方案编号 / proposal id")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ProposalCreate(BaseModel):
    commitment_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description=(
        "用已公布承诺的种子抽取（可批准）/ draw with a committed seed (approvable)"))
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description=(
        "未经承诺的试算种子（不可批准）/ an uncommitted trial seed (cannot be approved)"))
    tolerance: float | None = Field(default=None, ge=0, le=0.5)
    deterministic_time: float | None = Field(default=None, gt=0, le=600)


class MemberRead(BaseModel):
    key: str | None = Field(description="批准前仅组织、审批角色可见 / hidden before approval "
                                        "except to organizer and approver roles")
    name: str | None
    role: str
    skills: list[str]
    side: str | None = Field(default=None, description="交叉巡察：派出方 / cross-inspection: "
                                                       "the group that sent them")


class TeamRead(BaseModel):
    no: int
    targets: list[str]
    members: list[MemberRead]


class ProposalRead(BaseModel):
    id: int
    round_key: str
    mode: str
    status: str  # draft / infeasible / approved
    seed: int
    commitment_id: int | None
    commitment_digest: str | None
    input_hash: str
    bundle_sha256: str
    recusals_sha256: str
    parameters: dict[str, Any]
    revision: int
    objective: int | None
    terms: dict[str, int]
    teams: list[TeamRead]
    names_visible: bool
    result: dict[str, Any] | None = Field(description="优化器原始输出 / the optimizer's output")
    pairing: dict[str, Any] | None = Field(
        default=None, description="交叉巡察：分组配对（谁巡谁）及其目标值 / cross-inspection: "
                                  "who inspects whom, and why")
    diagnosis: dict[str, Any] | None
    created_by: str
    created_at: UtcTime
    approved_by: str | None
    approved_at: UtcTime | None


class ChangeRead(BaseModel):
    revision: int
    change: dict[str, Any]
    reason: str
    actor: str
    at: UtcTime


class ApprovalCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"note": "经市委巡察工作领导小组2027年第2次会议研究同意"}]})

    note: str | None = Field(default=None, max_length=2000)


def names_visible(row: m.ProposalRecord, principal: Principal) -> bool:
    return row.status == "approved" or principal.may(Action.names_before_approval)


def _hide(team: dict[str, Any], show: bool) -> dict[str, Any]:
    return team | {"members": [x if show else x | {"key": None, "name": None}
                               for x in team["members"]]}


def proposal_read(session: SessionDep, row: m.ProposalRecord,
                  principal: Principal) -> ProposalRead:
    show = names_visible(row, principal)
    current = json.loads(row.teams)
    stored = json.loads(row.result)
    result = stored["proposal"]
    if result is not None:
        result = result | {"teams": [_hide(t, show) for t in result["teams"]]}
    pairing = stored.get("pairing")
    if pairing is not None:  # the teams are in `teams` (names hidden as above)
        pairing = {k: v for k, v in pairing.items() if k not in ("teams", "exchange")} | {
            "exchange": None if pairing.get("exchange") is None else {
                k: v for k, v in pairing["exchange"].items() if k != "proposal"}}
    promise = session.get(m.Commitment, row.commitment_id) if row.commitment_id else None
    return ProposalRead(
        id=row.id, round_key=row.round_key, mode=row.mode, status=row.status, seed=row.seed,
        commitment_id=row.commitment_id, commitment_digest=promise.digest if promise else None,
        input_hash=row.input_hash, bundle_sha256=row.bundle_sha256,
        recusals_sha256=row.recusals_sha256, parameters=json.loads(row.parameters),
        revision=row.revision, objective=current["objective"], terms=current["terms"],
        teams=[TeamRead.model_validate(_hide(t, show)) for t in current["teams"]],
        names_visible=show, result=result, pairing=pairing, diagnosis=stored["diagnosis"],
        created_by=row.created_by, created_at=row.created_at, approved_by=row.approved_by,
        approved_at=row.approved_at)


def visible_proposal(session: SessionDep, state: StateDep, request: Request,
                     principal: Principal, proposal_id: int) -> m.ProposalRecord:
    row = proposal_or_404(session, proposal_id)
    rnd = session.get(m.Round, row.round_key)
    ensure_region(state, request, principal, rnd.region_code if rnd else None,
                  f"方案 {proposal_id}", f"proposal {proposal_id}")
    return row


@router.post("/rounds/{round_key}/proposals", response_model=Accepted,
             status_code=status.HTTP_202_ACCEPTED)
def post_proposal(round_key: RoundKey, body: Annotated[ProposalCreate, Body(
                      openapi_examples={"committed": {"value": {"commitment_id": 1}},
                                        "trial": {"value": {"seed": 7}}})],
                  session: SessionDep, state: StateDep, request: Request,
                  background: BackgroundTasks, principal: Writer) -> Accepted:
    """抽取方案（任务）：组队优化，带种子 / draw a proposal (a job)."""
    visible_round(session, state, request, principal, round_key)
    if (body.commitment_id is None) == (body.seed is None):
        raise Unprocessable("须且只能给出 commitment_id 或 seed 之一",
                            "give exactly one of commitment_id and seed", field="commitment_id")
    if body.commitment_id is not None:
        promise = session.get(m.Commitment, body.commitment_id)
        if promise is None or promise.round_key != round_key:
            raise Unprocessable(f"轮次 {round_key} 没有承诺 {body.commitment_id}",
                                f"round {round_key} has no commitment {body.commitment_id}",
                                field="commitment_id")
        if promise.revealed:
            raise Conflict("该承诺的种子已用过；每个承诺只抽取一次",
                           "this commitment's seed was already used; one draw per commitment",
                           field="commitment_id")
    params = {k: v for k, v in (("tolerance", body.tolerance),
                                ("deterministic_time", body.deterministic_time))
              if v is not None}
    payload = {"round": round_key, "commitment_id": body.commitment_id, "seed": body.seed,
               "parameters": params, "actor": principal.actor}
    return queue_job(session, state, background, "proposal", payload, principal)


@router.get("/proposals/{proposal_id}", response_model=ProposalRead)
def get_proposal(proposal_id: ProposalId, session: SessionDep, state: StateDep,
                 request: Request, principal: Reader) -> ProposalRead:
    """方案：队伍、角色、各项要求、目标值分解、种子与哈希 / a proposal in full."""
    return proposal_read(session, visible_proposal(session, state, request, principal,
                                                   proposal_id), principal)


@router.post("/proposals/{proposal_id}/changes", response_model=ProposalRead)
def post_change(proposal_id: ProposalId, change: Annotated[ChangeCreate, Body(
                    openapi_examples={"swap": {"value": {
                        "op": "swap", "team": 1, "cadre": "P00000367",
                        "replacement": "P00002538", "reason": "本人提出回避申请，组织同意"}}})],
                session: SessionDep, state: StateDep, request: Request,
                principal: Writer) -> ProposalRead:
    """人工调整（对调、增加、移出），重新核验全部硬性规则，须写明理由 / a manual change,
    re-validated against every hard rule, with a written reason."""
    visible_proposal(session, state, request, principal, proposal_id)
    row, _new = apply_change(session, proposal_id, change, principal.actor)
    return proposal_read(session, row, principal)


@router.get("/proposals/{proposal_id}/changes", response_model=list[ChangeRead])
def list_changes(proposal_id: ProposalId, session: SessionDep, state: StateDep,
                 request: Request, principal: Reader) -> list[ChangeRead]:
    """人工调整记录 / the manual changes, in order."""
    visible_proposal(session, state, request, principal, proposal_id)
    rows = session.execute(select(m.ProposalChange).where(
        m.ProposalChange.proposal_id == proposal_id).order_by(m.ProposalChange.revision))
    return [ChangeRead(revision=c.revision, change=json.loads(c.change), reason=c.reason,
                       actor=c.actor, at=c.at) for c in rows.scalars()]


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalRead)
def post_approval(proposal_id: ProposalId, body: ApprovalCreate, state: StateDep,
                  request: Request, principal: Approver) -> ProposalRead:
    """批准：方案成为本轮决定并写入参加记录；同一干部不能同时在时间重叠的两轮任职 /
    approve: the proposal becomes the round's decision and participation history."""
    with transaction(state.engine) as session:
        visible_proposal(session, state, request, principal, proposal_id)
    sqlite = state.engine.dialect.name == "sqlite"
    if sqlite:
        state.decision_lock.acquire()
    try:
        with transaction(state.engine, write=True) as session:
            approve(session, proposal_id, principal.actor, body.note)
    finally:
        if sqlite:
            state.decision_lock.release()
    with transaction(state.engine) as session:
        return proposal_read(session, proposal_or_404(session, proposal_id), principal)


@router.post("/proposals/{proposal_id}/replay", response_model=Accepted,
             status_code=status.HTTP_202_ACCEPTED)
def post_replay(proposal_id: ProposalId, session: SessionDep, state: StateDep,
                request: Request, background: BackgroundTasks, principal: Reader) -> Accepted:
    """复算（任务）：仅用存储的输入包重跑，核对结果与回避说明是否完全一致 / replay from
    the stored input bundle alone and compare."""
    visible_proposal(session, state, request, principal, proposal_id)
    return queue_job(session, state, background, "replay",
                     {"proposal_id": proposal_id, "actor": principal.actor}, principal)


@router.get("/proposals/{proposal_id}/report.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def get_report(proposal_id: ProposalId, session: SessionDep, state: StateDep,
               request: Request, principal: Reader) -> Response:
    """轮次报告（.xlsx）：队伍、角色、专长、成员回避说明、回避情况说明 / the round report."""
    row = visible_proposal(session, state, request, principal, proposal_id)
    rnd = session.get(m.Round, row.round_key)
    assert rnd is not None
    data = round_report(rnd, row, show_names=names_visible(row, principal))
    return Response(content=data, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="proposal-{row.id}.xlsx"'})
