"""Proposals: draws of the optimizer (jobs), manual changes, approval, replay, report."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Depends,
    Path,
    Query,
    Request,
    Response,
    status,
)
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from pool import models as m
from pool.db import transaction
from service.api.common import Accepted, UtcTime, queue_job
from service.api.rounds import DrawSummary, RoundKey, draw_summaries, visible_round
from service.auth import Action, Principal
from service.changes import ChangeCreate, apply_change, approval_blockers, approve
from service.decisions import MAX_SEED, proposal_or_404, round_plan
from service.deps import SessionDep, StateDep, ensure_region, refusals_audited, require
from service.errors import ErrorResponse, Unprocessable
from service.replacements import MAX_LIMIT, rank_replacements
from service.report_files import PDF, XLSX, report_file
from service.sealing import MASK, names_visible, seal_for

router = APIRouter(tags=["proposals"])
KIND_ZH = {"record": "抽取结果", "trial": "试算（不可批准）", "legacy": "旧方式抽取（不可批准）"}
Reader = Annotated[Principal, Depends(require(Action.rounds_read))]
Writer = Annotated[Principal, Depends(require(Action.rounds_write))]
Approver = Annotated[Principal, Depends(require(Action.approve))]
ProposalId = Annotated[int, Path(ge=1, le=2**31 - 1, description="方案编号 / proposal id")]


class ProposalCreate(BaseModel):
    """A trial draw (试算): what-if planning with a seed of the caller's. It can never be
    approved nor become the round's draw of record, which only a ceremony produces
    (`POST /v1/rounds/{key}/draws`)."""

    model_config = ConfigDict(extra="forbid")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description=(
        "试算种子，不给则由服务随机生成 / the trial's seed; drawn by the service if absent"))
    tolerance: float | None = Field(default=None, ge=0, le=0.5, description=(
        "试算：与最优目标值的容差（组队轮次）/ trial: the tolerance (team assembly)"))
    deterministic_time: float | None = Field(default=None, gt=0, le=600)
    draw_id: int | None = Field(default=None, description=(
        "不接受：抽取结果由抽取仪式产生 / not accepted: a draw of record comes from its "
        "ceremony"))
    commitment_id: int | None = Field(default=None, description=(
        "不再接受（旧接口）/ no longer accepted (the former seed commitment)"))


class PlacedRead(BaseModel):
    revision: int
    op: str
    actor: str
    reason: str | None = Field(description="批准前仅可见名单的角色可见 / hidden with the names")
    at: str
    ticket: str | None = Field(default=None, description="离组替换：中签签号 / a replacement's "
                                                         "winning ticket")
    amendment: bool = Field(default=False, description="批准后的变更 / after approval")


class MemberRead(BaseModel):
    key: str | None = Field(description="批准前仅组织、审批角色可见 / hidden before approval "
                                        "except to organizer and approver roles")
    name: str | None
    role: str
    skills: list[str]
    side: str | None = Field(default=None, description="交叉巡察：派出方 / cross-inspection: "
                                                       "the group that sent them")
    placed: str = Field(description="drawn 抽取产生 / by_hand 人工调整 / by_lot 离组后抽签替换")
    placed_by_hand: PlacedRead | None = None


class GroupRead(BaseModel):
    code: str = Field(description="检查小组代码 / the checking group's code")
    name: str
    members: list[str | None] = Field(description="小组成员（人员编号，随姓名一并隐藏）/ its "
                                                  "members' keys, hidden with the names")


class TeamRead(BaseModel):
    no: int
    targets: list[str]
    members: list[MemberRead]
    groups: list[GroupRead] = Field(default_factory=list, description=(
        "检查小组：每名成员恰在一个小组 / the checking groups, every member in exactly one"))


class ApprovalBlocker(BaseModel):
    code: str
    zh: str
    en: str


class ProposalRead(BaseModel):
    id: int
    round_key: str
    mode: str
    status: str  # draft / infeasible / approved / superseded
    kind: str = Field(description="record 抽取结果 / trial 试算（不可批准）/ legacy 旧方式")
    kind_zh: str
    seed: int | None = Field(description="试算种子 / a trial's seed")
    seed_hex: str | None = Field(description="抽取仪式的种子 / the ceremony's seed")
    draw: DrawSummary | None = Field(description="产生本方案的抽取 / the draw behind it")
    draws: list[DrawSummary] = Field(description="本轮全部抽取（第几次、共几次、理由）/ "
                                                 "every draw of the round")
    approvable: bool
    not_approvable: list[ApprovalBlocker]
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


class ReplacementTermRead(BaseModel):
    name: str
    zh: str
    en: str
    weight: int
    before: int = Field(description="调整前该项的值（本方案）/ the term's value before")
    after: int = Field(description="换入此人后的值 / after the swap")
    change: int = Field(description="该项对目标值的影响 / its share of the objective change")


class ReplacementOptionRead(BaseModel):
    rank: int = Field(description="名次，1为最佳 / 1 = best")
    cadre: str
    name: str
    home_unit: str = Field(description="所在单位（编号）/ home unit, e.g. 云川市公安局（U00003）")
    role: str
    skills: list[str] = Field(description="专业特长，如“财务 finance” / skills")
    objective_change: int = Field(description="对调后方案目标值的变化 / objective after − "
                                              "before")
    terms: list[ReplacementTermRead]
    why_zh: str
    why_en: str


class ExclusionRead(BaseModel):
    code: str = Field(description="on_team / unavailable / role / recused / tie / skill / "
                                  "side / other")
    count: int
    zh: str
    en: str


class ReplacementsRead(BaseModel):
    """Who could take a leaving member's seat keeping every hard rule, best first. Only a
    suggestion: the swap is `POST /v1/proposals/{id}/changes` with a reason."""

    proposal_id: int
    team: int
    leaving: str
    leaving_name: str
    role: str = Field(description="席位的角色 / the seat's role: leader / deputy / member")
    objective: int | None = Field(description="方案当前目标值 / the proposal's objective now")
    eligible: int = Field(description="可接替的总人数 / how many could take the seat")
    considered: int = Field(description="考察的候选人数 / candidates examined")
    options: list[ReplacementOptionRead]
    excluded: list[ExclusionRead] = Field(description="其余候选人不能接替的原因及人数 / why "
                                                      "the others cannot, with counts")
    none_zh: str | None = Field(description="无人可接替时的原因 / why nobody can, if so")
    none_en: str | None


class ApprovalCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"note": "经市委巡察工作领导小组2027年第2次会议研究同意"}]})

    note: str | None = Field(default=None, max_length=2000)


def _hide(team: dict[str, Any], show: bool) -> dict[str, Any]:
    groups = team.get("groups") or []
    return team | {"members": [_member(x, show) for x in team["members"]]} | (
        {} if show or not groups else {"groups": [g | {"members": [None] * len(g["members"])}
                                                  for g in groups]})


def _member(x: dict[str, Any], show: bool) -> dict[str, Any]:
    placed = x.get("placed")
    out = {k: v for k, v in x.items() if k != "placed"} | {
        "placed": "drawn" if not placed else "by_lot" if placed.get("op") == "replacement"
        else "by_hand",
        "placed_by_hand": None if not placed else placed | ({} if show else {"reason": None})}
    return out if show else out | {"key": None, "name": None}


def _hide_capped(capped: dict[str, Any], show: bool) -> dict[str, Any]:
    """A capped draw's record: the team sets of its distribution keep their weights,
    objectives and sizes, but their members only where names may be seen."""
    if show:
        return capped
    return capped | {"distribution": [
        row | {"teams": [{"no": t["no"], "members": [None] * len(t["members"])}
                         for t in row["teams"]]} for row in capped["distribution"]]}


def proposal_read(session: SessionDep, row: m.ProposalRecord,
                  principal: Principal) -> ProposalRead:
    show = names_visible(row, principal)
    current = json.loads(row.teams)
    stored = json.loads(row.result)
    result = stored["proposal"]
    if result is not None:
        result = result | {"teams": [_hide(t, show) for t in result["teams"]]} | (
            {"capped": _hide_capped(result["capped"], show)} if result.get("capped") else {})
    pairing = stored.get("pairing")
    if pairing is not None:  # the teams are in `teams` (names hidden as above)
        parts = dict(pairing.get("teams") or {})
        if (pairing.get("exchange") or {}).get("proposal") is not None:
            parts["exchange"] = pairing["exchange"]["proposal"]
        capped = {k: _hide_capped(p["capped"], show) for k, p in sorted(parts.items())
                  if p.get("capped")}
        pairing = {k: v for k, v in pairing.items() if k not in ("teams", "exchange")} | {
            "exchange": None if pairing.get("exchange") is None else {
                k: v for k, v in pairing["exchange"].items() if k != "proposal"}} | (
            {"capped": capped} if capped else {})
    summaries = draw_summaries(session, row.round_key)
    blockers = approval_blockers(session, row)
    read = ProposalRead(
        id=row.id, round_key=row.round_key, mode=row.mode, status=row.status, kind=row.kind,
        kind_zh=KIND_ZH.get(row.kind, row.kind), seed=row.seed, seed_hex=row.seed_hex,
        draw=next((d for d in summaries if d.id == row.draw_id), None), draws=summaries,
        approvable=not blockers,
        not_approvable=[ApprovalBlocker(code=c, zh=z, en=e) for c, z, e in blockers],
        input_hash=row.input_hash, bundle_sha256=row.bundle_sha256,
        recusals_sha256=row.recusals_sha256, parameters=json.loads(row.parameters),
        revision=row.revision, objective=current["objective"], terms=current["terms"],
        teams=[TeamRead.model_validate(_hide(t, show)) for t in current["teams"]],
        names_visible=show, result=result, pairing=pairing, diagnosis=stored["diagnosis"],
        created_by=row.created_by, created_at=row.created_at, approved_by=row.approved_by,
        approved_at=row.approved_at)
    seal = seal_for(session, principal, [row])
    return ProposalRead.model_validate(seal(read.model_dump(mode="json"))) if seal else read


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
                      openapi_examples={"trial": {"value": {"seed": 7}},
                                        "service seed": {"value": {}}})],
                  session: SessionDep, state: StateDep, request: Request,
                  background: BackgroundTasks, principal: Writer) -> Accepted:
    """试算（任务）：按给定种子组队，标为试算，永远不能批准 / a trial draw (a job), marked as
    a trial everywhere and never approvable; the draw of record comes from a ceremony."""
    with refusals_audited(request, principal, "proposal.refused"):
        rnd = visible_round(session, state, request, principal, round_key)
        if body.draw_id is not None or body.commitment_id is not None:
            sealed = next((f for f in ("tolerance", "deterministic_time")
                           if getattr(body, f) is not None), None)
            if sealed is not None:
                raise Unprocessable(
                    f"抽取结果的参数已在抽取规格中封存，不能再给出 {sealed}",
                    f"a draw of record's settings are sealed in its specification; {sealed} "
                    "cannot be given", field=sealed, code="sealed")
            raise Unprocessable(
                "抽取结果只能由抽取仪式产生（POST /v1/rounds/{key}/draws），这里只做试算",
                "a draw of record comes only from its ceremony (POST /v1/rounds/{key}/draws); "
                "this endpoint draws trials",
                field="draw_id" if body.draw_id is not None else "commitment_id",
                code="not_a_ceremony")
        _row, stored_plan = round_plan(session, round_key)
        if stored_plan.mode == "pairing" and body.tolerance is not None:
            raise Unprocessable("交叉巡察的容差在计划中给出", "a cross plan's tolerance is set in "
                                "the plan", field="tolerance")
        if body.tolerance is not None and json.loads(stored_plan.spec).get("cap") is not None:
            raise Unprocessable("本轮按概率上限（cap）抽取，不使用容差；请不要给出 tolerance",
                                "this round draws under probability caps (cap) and uses no "
                                "tolerance; leave tolerance out", field="tolerance",
                                code="capped_round")
        params = {k: v for k, v in (("tolerance", body.tolerance),
                                    ("deterministic_time", body.deterministic_time))
                  if v is not None}
        seed = secrets.randbelow(MAX_SEED) if body.seed is None else body.seed
        payload = {"round": round_key, "seed": seed, "parameters": params,
                   "actor": principal.actor}
        return queue_job(session, state, background, "proposal", payload, principal,
                         region=rnd.region_code)


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
    with refusals_audited(request, principal, "proposal.refused"):
        visible_proposal(session, state, request, principal, proposal_id)
        row, _new = apply_change(session, proposal_id, change, principal.actor)
        return proposal_read(session, row, principal)


@router.get("/proposals/{proposal_id}/teams/{team}/replacements",
            response_model=ReplacementsRead)
def get_replacements(
        proposal_id: ProposalId,
        team: Annotated[int, Path(ge=1, le=10_000, description="组号 / the team's number")],
        leaving: Annotated[str, Query(min_length=1, max_length=64, description=(
            "离开的成员（人员编号）/ the key of the member who leaves"))],
        session: SessionDep, state: StateDep, request: Request, principal: Writer,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=(
            "最多列出几人 / how many options to list"))] = 20) -> ReplacementsRead:
    """替换人选：谁能接替离开成员的席位且全部硬性规则仍然成立，按调整后的目标值由好到差排列，
    各附理由；仅供参考，对调仍须 `POST /v1/proposals/{id}/changes` 并写明理由 / ranked
    replacements for a leaving member, each keeping every hard rule, with why."""
    visible_proposal(session, state, request, principal, proposal_id)
    ranking = rank_replacements(session, principal, proposal_id, team, leaving, limit=limit)
    return ReplacementsRead.model_validate(asdict(ranking))


@router.get("/proposals/{proposal_id}/changes", response_model=list[ChangeRead])
def list_changes(proposal_id: ProposalId, session: SessionDep, state: StateDep,
                 request: Request, principal: Reader) -> list[ChangeRead]:
    """人工调整记录 / the manual changes, in order."""
    row = visible_proposal(session, state, request, principal, proposal_id)
    seal = seal_for(session, principal, [row])
    rows = session.execute(select(m.ProposalChange).where(
        m.ProposalChange.proposal_id == proposal_id).order_by(m.ProposalChange.revision))
    return [ChangeRead(revision=c.revision, change=seal(json.loads(c.change)),
                       reason=seal(c.reason) or MASK, actor=c.actor, at=c.at)
            for c in rows.scalars()]


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalRead)
def post_approval(proposal_id: ProposalId, body: ApprovalCreate, state: StateDep,
                  request: Request, principal: Approver) -> ProposalRead:
    """批准：方案成为本轮决定并写入参加记录；同一干部不能同时在时间重叠的两轮任职 /
    approve: the proposal becomes the round's decision and participation history."""
    with refusals_audited(request, principal, "proposal.refused"), \
            transaction(state.engine) as session:
        visible_proposal(session, state, request, principal, proposal_id)
    sqlite = state.engine.dialect.name == "sqlite"
    if sqlite:
        state.decision_lock.acquire()
    try:
        with refusals_audited(request, principal, "proposal.refused"), \
                transaction(state.engine, write=True) as session:
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
    row = visible_proposal(session, state, request, principal, proposal_id)
    rnd = session.get(m.Round, row.round_key)
    return queue_job(session, state, background, "replay",
                     {"proposal_id": proposal_id, "actor": principal.actor}, principal,
                     region=rnd.region_code if rnd else None)


def _report(session: SessionDep, state: StateDep, request: Request, principal: Principal,
            proposal_id: int, fmt: str) -> Response:
    row = visible_proposal(session, state, request, principal, proposal_id)
    report = report_file(session, row, fmt, show_names=names_visible(row, principal),
                         seal=seal_for(session, principal, [row]),
                         font=state.settings.report_font)
    return Response(content=report.content, media_type=report.media_type, headers={
        "Content-Disposition": f'attachment; filename="{report.filename}"'})


@router.get("/proposals/{proposal_id}/report.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def get_report(proposal_id: ProposalId, session: SessionDep, state: StateDep,
               request: Request, principal: Reader) -> Response:
    """轮次报告（.xlsx，可直接打印）：队伍、成员回避声明、回避情况说明、人工调整、抽取记录、
    批准与签字 / the round report, print-ready."""
    return _report(session, state, request, principal, proposal_id, "xlsx")


@router.get("/proposals/{proposal_id}/report.pdf", response_class=Response,
            responses={200: {"content": {PDF: {}}},
                       503: {"model": ErrorResponse, "description": (
                           "未安装中文字体 / no CJK font installed (fonts-noto-cjk or "
                           "XUNCHA_REPORT_FONT)")}})
def get_report_pdf(proposal_id: ProposalId, session: SessionDep, state: StateDep,
                   request: Request, principal: Reader) -> Response:
    """轮次报告（.pdf，内容与 .xlsx 相同）/ the round report as a PDF, the same content."""
    return _report(session, state, request, principal, proposal_id, "pdf")
