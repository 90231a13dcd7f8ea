"""The draw ceremony in the workbench (DESIGN §5, docs/draw.md): a round's draws with a
form to open one (`/rounds/{key}/draw`), and one ceremony (`/draws/{id}`) whose state htmx
refreshes while each party, signed in on its own screen, commits and later reveals.

The secret is made in the party's browser (`static/draws.js`: `crypto.getRandomValues`,
the commitment of `assignment.ceremony.secret_commitment`); only the commitment is posted
here, and the secret only at its reveal. Every step calls `service.ceremony` under the
API's rules (`service.api.draws`: the same actions, scope and refusals, audited as
`draw.refused`); a refused step shows the service's message on the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from assignment.capped_draw import cap_sentence, percent
from pool import models as m
from pool.db import transaction
from service import ceremony
from service.api.common import wake_worker
from service.api.draws import DrawRead, draw_read, round_draw_reads, visible_draw
from service.api.jobs import JobRead, job_read, visible_job
from service.api.rounds import visible_round
from service.auth import ROLE_ZH, Action, Principal, Role, same_person
from service.decisions import round_decided, round_file, round_plan
from service.deps import StateDep, ensure_may, record_refusal, refusals_audited
from service.errors import DomainError, Unprocessable
from service.report_data import holder_name
from service.state import ServiceState
from service.web.pages import render
from service.web.session import MaybePersonDep, Person, now, signin_redirect

router = APIRouter()
DrawId = Annotated[int, Path(ge=1, le=2**31 - 1, description="抽取编号 / draw id")]
RoundKey = Annotated[str, Path(pattern=r"^[^\s/]{1,64}$", description="轮次编号 / round key")]
BEIJING = dt.timezone(dt.timedelta(hours=8))
HEX64 = re.compile(r"^[0-9a-f]{64}$")
POLL_SECONDS = 3
FINAL_JOB = ("succeeded", "failed", "cancelled")
JOB_STATUS = {"queued": ("排队等待抽取", "queued"), "running": ("正在抽取", "drawing"),
              "succeeded": ("抽取完成", "drawn"), "failed": ("抽取失败", "failed"),
              "cancelled": ("已取消", "cancelled")}
STATUS_EN = {"awaiting_consent": "awaiting a second role's consent",
             "committing": "collecting commitments", "revealing": "revealing secrets",
             "awaiting_public": "awaiting the public value",
             "seeded": "seed fixed, to be drawn", "drawn": "drawn",
             "stale": "void (data or versions changed)",
             "abandoned": "superseded by a later draw",
             "expired": "expired (a party did not reveal)"}
# the service's error fields as the ids of this page's inputs (others: the ceremony box)
FIELDS = ("commitment", "secret", "value", "note", "reason", "reveal_by", "public_source",
          "public_after")
FIELD_ALIASES = {"public": "public_source", "public.after": "public_after"}
TEXT_LIMIT = 2000


def beijing(at: dt.datetime | None) -> str:
    """A time (aware, or naive UTC as stored) in Beijing time, to the minute."""
    if at is None:
        return ""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def role_name(role: str) -> str:
    """组织人员 organizer"""
    try:
        return f"{ROLE_ZH[Role(role)]} {role}"
    except ValueError:
        return role


def _error(field: str, zh: str, en: str) -> dict[str, str]:
    return {"field": field, "zh": zh, "en": en}


def _field(name: str | None, default: str) -> str:
    name = FIELD_ALIASES.get(name or "", name or "")
    return name if name in FIELDS else default


@dataclass(frozen=True)
class Turn:
    """What the signed-in person can do in this ceremony now (`stage`), and why not
    otherwise (a sentence in Chinese and English). `party` is their role's party."""

    stage: str  # commit / reveal / public / consent / wait / watch / closed
    zh: str
    en: str
    party: Any = None  # service.api.draws.PartyRead


def turn_of(draw: DrawRead, principal: Principal, today: dt.date) -> Turn:
    """The person's next step, by the service's rules (`service.ceremony`): this only
    decides which form to show; the service decides again when it is sent."""
    status = draw.status
    if status == "awaiting_consent":
        if principal.may(Action.draw_consent) and principal.role.value != draw.requested_role \
                and not same_person(draw.requested_by, principal.actor):
            return Turn("consent", "这是一次再次抽取，须由提出人以外、另一角色的人员同意后才开始。",
                        "This is a further draw: it starts once a second role consents.")
        return Turn("wait", "等待另一角色（审批人或监督人员）同意再次抽取。",
                    "Waiting for a second role (approver or supervisor) to consent.")
    mine = next((p for p in draw.parties if p.role == principal.role.value), None) \
        if principal.may(Action.draw_party) else None
    if status not in ("committing", "revealing", "awaiting_public"):
        return Turn("closed", "", "", mine)
    if mine is None:
        return Turn("watch", "你的角色不是本次抽取的参与方，只能查看进度。",
                    "Your role is not a party of this draw: you can follow it only.")
    committer = mine.committed_by
    if status == "committing":
        if committer is None:
            return Turn("commit", "", "", mine)
        if not same_person(committer, principal.actor):
            return Turn("watch", f"本方已由 {holder_name(committer)} 提交承诺。",
                        f"{holder_name(committer)} has committed for your role.", mine)
        return Turn("wait", "你已提交承诺。所有参与方提交后即可揭示，本页会自动更新。",
                    "You have committed. Once every party has, you reveal; this page "
                    "updates itself.", mine)
    if committer is None or not same_person(committer, principal.actor):
        return Turn("watch", f"只有提交承诺的 {holder_name(committer)} 可以揭示本方秘密值。",
                    f"Only {holder_name(committer)}, who committed, may reveal.", mine)
    if status == "revealing":
        if mine.secret is not None:
            return Turn("wait", "你已揭示。等待其他参与方揭示，本页会自动更新。",
                        "You have revealed. Waiting for the other parties; this page "
                        "updates itself.", mine)
        before = [p for p in draw.parties if p.position < mine.position and p.secret is None]
        if before:
            return Turn("wait", f"须由{before[0].role_zh}先揭示；轮到你时本页会自动更新。",
                        f"The {before[0].role} reveals first; this page updates itself "
                        "when it is your turn.", mine)
        return Turn("reveal", "", "", mine)
    if mine.public_value is not None:
        return Turn("wait", "你已录入公开值，等待其他参与方录入。",
                    "You have entered the public value; waiting for the others.", mine)
    if draw.public_after is not None and today < draw.public_after:
        return Turn("wait", f"公开值于 {draw.public_after} 公布，之后才能录入。",
                    f"The public value is published on {draw.public_after}; enter it "
                    "then.", mine)
    return Turn("public", "", "", mine)


@dataclass(frozen=True)
class Progress:
    """The draw's job as the person may see it (sealed as the API seals it)."""

    job: JobRead | None
    proposal_id: int | None
    polling: bool  # whether the page keeps asking


def progress_of(session: Session, state: ServiceState, request: Request,
                principal: Principal, draw: DrawRead) -> Progress:
    job = None
    if draw.job_id is not None:
        row = session.get(m.Job, draw.job_id)
        if row is not None:
            job = job_read(session, visible_job(session, state, request, principal, row.id),
                           principal)
    proposal = draw.proposal_id
    if proposal is None and job is not None and isinstance(job.result, dict):
        found = job.result.get("proposal_id")
        proposal = found if isinstance(found, int) else None
    open_ceremony = draw.status in ("awaiting_consent", "committing", "revealing",
                                    "awaiting_public")
    running = draw.status == "seeded" and (job is None or job.status not in FINAL_JOB)
    return Progress(job, proposal, open_ceremony or running)


def draw_summary(draw: DrawRead) -> dict[str, Any]:
    """What the sealed specification says, for the page (the text itself is shown too).
    A round under probability caps is drawn under its caps, not its tolerance: `caps`
    holds them as percentages with the sentence that says what they promise."""
    spec = json.loads(draw.spec_text)
    params = spec.get("parameters") or {}
    sealed = params.get("caps")
    caps = None
    if isinstance(sealed, dict):
        cap, leader = Fraction(str(sealed["cap"])), Fraction(str(sealed["leader_cap"]))
        zh, en = cap_sentence(cap, leader)
        caps = {"cap": percent(cap), "leader_cap": percent(leader), "zh": zh, "en": en}
    return {"policy": spec.get("policy") or {}, "tolerance": params.get("tolerance"),
            "caps": caps, "versions": spec.get("versions") or {}, "as_of": spec.get("as_of")}


def _today() -> dt.date:
    return ceremony.today_beijing()


def _draw_context(session: Session, state: ServiceState, request: Request, person: Person,
                  draw_id: int) -> dict[str, Any]:
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_read)
    row = visible_draw(session, state, request, principal, draw_id)
    draw = draw_read(session, row)
    rnd = session.get(m.Round, draw.round_key)
    turn = turn_of(draw, principal, _today())
    progress = progress_of(session, state, request, principal, draw)
    may_rerun = (draw.status == "seeded" and progress.job is not None
                 and progress.job.status in ("failed", "cancelled")
                 and principal.may(Action.draw_rerun))
    return {"draw": draw, "round": rnd, "turn": turn, "progress": progress,
            "summary": draw_summary(draw),
            "view": f"{draw.status}.{turn.stage}", "may_rerun": may_rerun,
            "status_en": STATUS_EN, "job_status": JOB_STATUS, "beijing": beijing,
            "who": holder_name, "poll_seconds": POLL_SECONDS,
            "account": principal.name, "role_zh": ROLE_ZH[principal.role],
            "role_name": role_name}


@router.get("/draws/{draw_id}")
def draw_page(draw_id: DrawId, request: Request, state: StateDep,
              person: MaybePersonDep) -> Response:
    """One ceremony: the sealed specification's hash, the parties and their state, this
    person's step (commit, reveal, public value, consent), the seed and the draw's job."""
    if person is None:
        return signin_redirect(request)
    with transaction(state.engine) as session:
        context = _draw_context(session, state, request, person, draw_id)
        return render(request, "draws/draw.html", {**context, "errors": []})


@router.get("/draws/{draw_id}/state")
def draw_state(draw_id: DrawId, request: Request, state: StateDep, person: MaybePersonDep,
               view: str = "") -> Response:
    """The ceremony's state as a fragment (htmx polls it). When what this person can do
    has changed (`view` is what the page was made for), the whole page is reloaded, so
    the right form appears; a browser without htmx gets the whole page."""
    if person is None:
        return signin_redirect(request)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/draws/{draw_id}", status_code=303)
    with transaction(state.engine) as session:
        context = _draw_context(session, state, request, person, draw_id)
        if view[:64] != context["view"]:
            return Response(status_code=200, headers={"HX-Refresh": "true"})
        return render(request, "draws/_state.html", context)


# -- the steps: each in a writing transaction of its own; a refusal is audited and shown

Step = Callable[[Session, Principal], Any]


def _run_step(state: ServiceState, request: Request, person: Person, draw_id: int,
              action: Action, step: Step) -> tuple[Any, DomainError | None]:
    """Run `step` as the API runs it (permission, scope, `draw.refused` on refusal).
    A 403 or 404 is raised to the error page (audited by the handler); a refusal of
    the ceremony's (409, 422) is audited here and returned, nothing written."""
    principal = person.principal
    ensure_may(state, request, principal, action)
    try:
        with transaction(state.engine, write=True) as session, \
                refusals_audited(request, principal, "draw.refused"):
            visible_draw(session, state, request, principal, draw_id)
            return step(session, principal), None
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        record_refusal(state.engine, exc)
        return None, exc


def _refused_page(state: ServiceState, request: Request, person: Person, draw_id: int,
                  error: DomainError, typed: Mapping[str, str]) -> Response:
    with transaction(state.engine) as session:
        context = _draw_context(session, state, request, person, draw_id)
        return render(request, "draws/draw.html", {
            **context, "typed": typed,
            "errors": [_error(_field(error.field, "ceremony"), error.zh, error.en)]},
            status=error.status)


def _done(draw_id: int) -> Response:
    return RedirectResponse(f"/draws/{draw_id}", status_code=303)


async def _form_text(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value.strip() if isinstance(value, str) else ""


def _too_long(name: str, value: str, limit: int) -> Unprocessable | None:
    if len(value) > limit:
        return Unprocessable(f"内容过长（最多{limit}个字符）", f"too long (at most {limit} "
                             "characters)", field=name)
    return None


async def _step_post(request: Request, state: ServiceState, person: Person | None,
                     draw_id: int, action: Action, name: str, limit: int,
                     check: Callable[[str], Unprocessable | None],
                     step: Callable[[Session, Principal, str], Any],
                     background: BackgroundTasks | None = None) -> Response:
    if person is None:
        return signin_redirect(request)
    value = await _form_text(request, name)
    problem = _too_long(name, value, limit) or check(value)
    if problem is not None:
        ensure_may(state, request, person.principal, action)
        return await run_in_threadpool(_refused_page, state, request, person, draw_id,
                                       problem, {name: value[:limit]})
    job, refused = await run_in_threadpool(
        _run_step, state, request, person, draw_id, action,
        lambda session, principal: step(session, principal, value))
    if refused is not None:
        return await run_in_threadpool(_refused_page, state, request, person, draw_id,
                                       refused, {name: value[:limit]})
    if job is not None and background is not None:
        wake_worker(state, background)
    return _done(draw_id)


def _no_job(_row: m.Draw) -> None:
    return None


def _commitment_format(value: str) -> Unprocessable | None:
    if HEX64.fullmatch(value):
        return None
    if not value:
        return Unprocessable("请先在本机生成秘密值（或粘贴 `xuncha seed new` 给出的承诺值）",
                             "make your secret on this computer first (or paste the "
                             "commitment `xuncha seed new` printed)", field="commitment")
    return Unprocessable("承诺值须为64位小写十六进制 sha256，请核对后重新粘贴",
                         "a commitment is a sha256: 64 lowercase hex digits; check it and "
                         "paste it again", field="commitment")


def _secret_present(value: str) -> Unprocessable | None:
    if value:
        return None
    return Unprocessable("请填写本方的秘密值（本浏览器保存的会自动填入，或从下载的文件粘贴）",
                         "enter your secret (filled in when this browser kept it, or paste "
                         "it from the file you saved)", field="secret")


def _value_present(value: str) -> Unprocessable | None:
    if value:
        return None
    return Unprocessable("请按公布原文录入公开值", "enter the public value as published",
                         field="value")


@router.post("/draws/{draw_id}/commit")
async def commit_post(draw_id: DrawId, request: Request, state: StateDep,
                      person: MaybePersonDep) -> Response:
    """A party's commitment, made in its browser (or by `xuncha seed new`); never a
    secret."""
    return await _step_post(
        request, state, person, draw_id, Action.draw_party, "commitment", 200,
        _commitment_format,
        lambda session, principal, value: _no_job(ceremony.commit(session, draw_id, principal,
                                                                  value)))


@router.post("/draws/{draw_id}/reveal")
async def reveal_post(draw_id: DrawId, request: Request, state: StateDep,
                      person: MaybePersonDep, background: BackgroundTasks) -> Response:
    """A party reveals its secret in the fixed order; the last reveal fixes the seed and
    queues the draw."""
    wall_time = state.settings.draw_wall_time
    return await _step_post(
        request, state, person, draw_id, Action.draw_party, "secret", 200,
        _secret_present,
        lambda session, principal, value: ceremony.reveal(session, draw_id, principal,
                                                          value, wall_time)[1],
        background)


@router.post("/draws/{draw_id}/public")
async def public_post(draw_id: DrawId, request: Request, state: StateDep,
                      person: MaybePersonDep, background: BackgroundTasks) -> Response:
    """Each party enters the published public value; when they agree the seed is fixed."""
    wall_time = state.settings.draw_wall_time
    return await _step_post(
        request, state, person, draw_id, Action.draw_party, "value", 200, _value_present,
        lambda session, principal, value: ceremony.enter_public_value(
            session, draw_id, principal, value, wall_time)[1],
        background)


@router.post("/draws/{draw_id}/consent")
async def consent_post(draw_id: DrawId, request: Request, state: StateDep,
                       person: MaybePersonDep) -> Response:
    """A second role consents to a further draw (every earlier draw is superseded)."""
    return await _step_post(
        request, state, person, draw_id, Action.draw_consent, "note", TEXT_LIMIT,
        lambda value: None,
        lambda session, principal, value: _no_job(ceremony.consent(
            session, draw_id, principal, value or None)))


@router.post("/draws/{draw_id}/rerun")
async def rerun_post(draw_id: DrawId, request: Request, state: StateDep,
                     person: MaybePersonDep, background: BackgroundTasks) -> Response:
    """Run a seeded draw again after its run failed (same specification and seed)."""
    default = state.settings.draw_wall_time
    return await _step_post(
        request, state, person, draw_id, Action.draw_rerun, "note", TEXT_LIMIT,
        lambda value: None,
        lambda session, principal, value: ceremony.rerun(session, draw_id, principal,
                                                         None, default),
        background)


# -- a round's draws ------------------------------------------------------------------------

def _default_deadline(request: Request) -> str:
    """Tomorrow, 18:00 Beijing time, as a datetime-local value."""
    today = now(request).replace(tzinfo=dt.UTC).astimezone(BEIJING).date()
    return f"{today + dt.timedelta(days=1)}T18:00"


def _round_context(session: Session, state: ServiceState, request: Request,
                   person: Person, key: str) -> dict[str, Any]:
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_read)
    rnd = visible_round(session, state, request, principal, key)
    draws = round_draw_reads(session, key)
    spec = round_file(round_plan(session, key)[1])
    decided = round_decided(session, key)
    return {"round": rnd, "draws": draws, "plan_public": spec.public, "decided": decided,
            "may_open": principal.may(Action.rounds_write) and not decided,
            "reason_required": bool(draws), "status_en": STATUS_EN, "beijing": beijing,
            "who": holder_name, "default_deadline": _default_deadline(request)}


@router.get("/rounds/{round_key}/draw")
def round_draws_page(round_key: RoundKey, request: Request, state: StateDep,
                     person: MaybePersonDep) -> Response:
    """The round's draws, numbered, with reasons, parties, seeds and outcomes; and the
    form that opens (seals) a draw, for those who may."""
    if person is None:
        return signin_redirect(request)
    with transaction(state.engine) as session:
        context = _round_context(session, state, request, person, round_key)
        return render(request, "draws/round.html", {**context, "errors": [], "typed": {}})


@dataclass
class OpenForm:
    """The open-a-draw form as typed."""

    reveal_by: str = ""
    reason: str = ""
    public_source: str = ""
    public_after: str = ""

    def request(self) -> tuple[ceremony.DrawRequest | None, list[dict[str, str]]]:
        errors = []
        reveal_by = None
        try:
            moment = dt.datetime.fromisoformat(self.reveal_by)
            reveal_by = moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)
            reveal_by.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            errors.append(_error("reveal_by", "请填写揭示截止时间（北京时间），如 2026-12-04 18:00",
                                 "enter the reveal deadline (Beijing time), like "
                                 "2026-12-04 18:00"))
        for name, value in (("reason", self.reason), ("public_source", self.public_source)):
            if len(value) > TEXT_LIMIT:
                errors.append(_error(name, f"最多{TEXT_LIMIT}个字符",
                                     f"at most {TEXT_LIMIT} characters"))
        if self.reason and len(self.reason) < 4:
            errors.append(_error("reason", "理由至少写4个字", "write a reason of at least 4 "
                                 "characters"))
        after = None
        if self.public_after:
            try:
                after = dt.date.fromisoformat(self.public_after)
            except ValueError:
                errors.append(_error("public_after", "公布日期须为日期，如 2026-12-05",
                                     "the publication date is a date, like 2026-12-05"))
        if errors or reveal_by is None:
            return None, errors
        return ceremony.DrawRequest(reveal_by, self.reason or None,
                                    self.public_source or None, after), []


def _open(state: ServiceState, request: Request, person: Person, key: str,
          req: ceremony.DrawRequest) -> tuple[int | None, DomainError | None]:
    principal = person.principal
    ensure_may(state, request, principal, Action.rounds_write)
    try:
        with transaction(state.engine, write=True) as session, \
                refusals_audited(request, principal, "draw.refused"):
            rnd = visible_round(session, state, request, principal, key)
            spec = round_file(round_plan(session, key)[1])
            index = state.conflict_index(session, spec.as_of or rnd.start)
            return ceremony.open_draw(session, index, key, req, principal).id, None
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        record_refusal(state.engine, exc)
        return None, exc


def _round_refused(state: ServiceState, request: Request, person: Person, key: str,
                   errors: list[dict[str, str]], typed: OpenForm, status: int) -> Response:
    with transaction(state.engine) as session:
        context = _round_context(session, state, request, person, key)
        return render(request, "draws/round.html", {
            **context, "errors": errors, "typed": typed.__dict__}, status=status)


@router.post("/rounds/{round_key}/draw")
async def open_post(round_key: RoundKey, request: Request, state: StateDep,
                    person: MaybePersonDep) -> Response:
    """Open (seal) a draw of the round; from the second draw on with a reason, and it
    waits for a second role's consent."""
    if person is None:
        return signin_redirect(request)
    form = OpenForm(*[await _form_text(request, name) for name in (
        "reveal_by", "reason", "public_source", "public_after")])
    req, errors = form.request()
    if req is None:
        ensure_may(state, request, person.principal, Action.rounds_write)
        return await run_in_threadpool(_round_refused, state, request, person, round_key,
                                       errors, form, 422)
    draw_id, refused = await run_in_threadpool(_open, state, request, person, round_key, req)
    if refused is not None:
        return await run_in_threadpool(
            _round_refused, state, request, person, round_key,
            [_error(_field(refused.field, "open-draw"), refused.zh, refused.en)], form,
            refused.status)
    return _done(int(draw_id or 0))

