"""The draw ceremony of a round (DESIGN §5; the arithmetic is `assignment.ceremony`).

1. `open_draw` seals the draw specification (input hash, policy, every setting that
   decides the result, library versions, parties, deadlines) before any randomness
   exists. Draw 2 onwards of a round needs a written reason and `consent` by a second
   role; consenting supersedes every earlier draw of the round.
2. Each party (the organizing office, then the supervisor) reads the sealed
   specification and `commit`s to a secret made on its own machine, bound to the
   specification's hash; the service never sees a secret before its reveal.
3. When all have committed, each `reveal`s in the fixed order; a secret that does not
   match its commitment is refused. A party that never reveals lets the ceremony expire
   at `reveal_by`: nothing is drawn, and only a new draw (reason and consent) goes on.
4. Optionally both parties enter a public value published after the deadline.
5. The seed is then fixed and the draw of record is queued, to run once.

Service functions over the caller's session; they flush, never commit. Refusals are
typed errors the API audits."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assignment.ceremony import (
    CeremonyError,
    check_digest,
    derive_seed,
    library_versions,
    secret_commitment,
    seed_preimage,
    spec_hash,
    spec_text,
)
from conflicts.index import ConflictIndex
from pool import models as m
from service import audit, jobs
from service.auth import ROLE_ZH, Principal, Role, same_person
from service.decisions import (
    input_hash_of,
    round_decided,
    round_file,
    round_plan,
    sealed_parameters,
)
from service.errors import Conflict, Forbidden, Unprocessable, not_found

PARTIES: tuple[Role, ...] = (Role.organizer, Role.supervisor)  # also the reveal order
OPEN = ("awaiting_consent", "committing", "revealing", "awaiting_public", "seeded")
BEIJING = dt.timezone(dt.timedelta(hours=8))
MAX_WINDOW = dt.timedelta(days=90)
STATUS_ZH = {"awaiting_consent": "待第二角色同意", "committing": "收取承诺",
             "revealing": "揭示秘密", "awaiting_public": "待录入公开值",
             "seeded": "种子已定，待抽取", "drawn": "已抽取",
             "stale": "作废（数据或版本已变）", "abandoned": "已被后续抽取取代",
             "expired": "已过期（有参与方未揭示）"}


@dataclass(frozen=True)
class DrawRequest:
    """What the opener decides: the reveal deadline, why (draw 2 onwards), an optional
    public value's source and publication date, and the deterministic solve budget."""

    reveal_by: dt.datetime  # aware
    reason: str | None = None
    public_source: str | None = None
    public_after: dt.date | None = None
    deterministic_time: float | None = None


def now_utc() -> dt.datetime:
    """The service's clock (naive UTC); tests move it to show deadlines at work."""
    return audit.utcnow()


def today_beijing() -> dt.date:
    return now_utc().replace(tzinfo=dt.UTC).astimezone(BEIJING).date()


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """An aware time as the service stores times: naive UTC."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def status_of(row: m.Draw, now: dt.datetime | None = None) -> str:
    """The draw's status as of now: a ceremony not yet revealed (or a request never
    consented to) past its deadline has expired (stored as such when next touched)."""
    if row.status in ("awaiting_consent", "committing", "revealing") and \
            (now or now_utc()) > row.reveal_by:
        return "expired"
    return row.status


def round_draws(session: Session, round_key: str) -> list[m.Draw]:
    return list(session.execute(select(m.Draw).where(m.Draw.round_key == round_key)
                                .order_by(m.Draw.number)).scalars())


def parties_of(session: Session, draw_id: int) -> list[m.DrawParty]:
    return list(session.execute(select(m.DrawParty).where(m.DrawParty.draw_id == draw_id)
                                .order_by(m.DrawParty.position)).scalars())


def draw_or_404(session: Session, draw_id: int, *, lock: bool = False) -> m.Draw:
    row = session.get(m.Draw, draw_id, with_for_update=lock or None)
    if row is None:
        raise not_found("抽取", "draw", draw_id, field="draw_id")
    return row


def _check_request(req: DrawRequest, number: int, now: dt.datetime) -> None:
    reveal_by = naive_utc(req.reveal_by)
    if number > 1 and not (req.reason and req.reason.strip()):
        raise Unprocessable(f"本轮已抽取过{number - 1}次；再次抽取须写明理由",
                            f"this round has had {number - 1} draw(s); a further draw needs "
                            "a written reason", field="reason")
    if reveal_by <= now:
        raise Unprocessable("揭示截止时间须在将来", "reveal_by must lie in the future",
                            field="reveal_by")
    if reveal_by - now > MAX_WINDOW:
        raise Unprocessable("揭示截止时间不得晚于90天后", "reveal_by may be at most 90 days "
                            "ahead", field="reveal_by")
    if (req.public_source is None) != (req.public_after is None):
        raise Unprocessable("公开值须同时写明来源和公布日期", "a public value needs both its "
                            "source and its publication date", field="public")
    if req.public_after is not None:
        published = dt.datetime.combine(req.public_after, dt.time(), BEIJING)
        if naive_utc(published) <= reveal_by:
            raise Unprocessable(
                "公开值的公布日期须在揭示截止之后（否则揭示者可能已知该值）",
                "the public value must be published after the reveal deadline (else a "
                "revealing party could know it)", field="public.after")


def open_draw(session: Session, index: ConflictIndex, round_key: str, req: DrawRequest,
              principal: Principal) -> m.Draw:
    """Seal a new draw of the round: draw 1 starts collecting commitments at once, a
    later draw waits for a second role's consent."""
    rnd = session.get(m.Round, round_key, with_for_update=True)  # one opener at a time
    _row, plan = round_plan(session, round_key)
    assert rnd is not None
    if round_decided(session, round_key):
        raise Conflict(f"轮次 {round_key} 已有决定，不能再抽取",
                       f"round {round_key} is already decided; no further draws",
                       field="round_key", code="round_decided")
    record_expiry(session, round_key)
    earlier = round_draws(session, round_key)
    now = now_utc()
    if any(status_of(d, now) == "awaiting_consent" for d in earlier):
        raise Conflict("本轮已有一次抽取在等待同意；请先处理该请求",
                       "a draw of this round is already waiting for consent",
                       field="round_key", code="draw_pending")
    number = len(earlier) + 1
    spec = round_file(plan)
    if req.public_source is None and spec.public is not None:  # the plan's, by default
        req = replace(req, public_source=spec.public.source, public_after=spec.public.after)
    _check_request(req, number, now)
    input_hash, policy = input_hash_of(index, spec)
    reveal_by = naive_utc(req.reveal_by)
    sealed = {
        "round": round_key, "draw": number, "mode": plan.mode,
        "plan_sha256": audit.sha256_text(plan.spec), "input_hash": input_hash,
        "as_of": (spec.as_of or spec.start).isoformat(),
        "policy": {"name": policy.name, "hash": policy.hash},
        "parameters": sealed_parameters(spec, req.deterministic_time),
        "versions": library_versions(), "parties": [p.value for p in PARTIES],
        "reveal_by": reveal_by.isoformat() + "Z",
        "public": None if req.public_source is None else {
            "source": req.public_source, "after": req.public_after},
    }
    text = spec_text(json.loads(audit.canonical_json(sealed)))
    row = m.Draw(round_key=round_key, number=number,
                 status="committing" if number == 1 else "awaiting_consent",
                 reason=req.reason, requested_by=principal.actor,
                 requested_role=principal.role.value, spec=text, spec_sha256=spec_hash(text),
                 input_hash=input_hash, reveal_by=reveal_by, public_source=req.public_source,
                 public_after=req.public_after, created_at=now)
    session.add(row)
    session.flush()
    for position, role in enumerate(PARTIES, start=1):
        session.add(m.DrawParty(draw_id=row.id, position=position, role=role.value))
    audit.record(session, principal.actor, "draw.open", object_type="draw",
                 object_key=str(row.id), data={
                     "round": round_key, "number": number, "reason": req.reason,
                     "spec_sha256": row.spec_sha256, "input_hash": input_hash,
                     "status": row.status})
    session.flush()
    return row


def consent(session: Session, draw_id: int, principal: Principal, note: str | None) -> m.Draw:
    """A second role agrees to a further draw: it opens, and every earlier draw of the
    round is superseded (an open ceremony abandoned, a drafted draw of record set aside)."""
    row = draw_or_404(session, draw_id, lock=True)
    _expect(row, "awaiting_consent")
    if round_decided(session, row.round_key):
        raise Conflict(f"轮次 {row.round_key} 已有决定，不能再抽取",
                       f"round {row.round_key} is already decided; no further draws",
                       field="draw_id", code="round_decided")
    if principal.role.value == row.requested_role or same_person(row.requested_by,
                                                                 principal.actor):
        raise Conflict("再次抽取须由提出人以外、另一角色的人员同意",
                       "a further draw needs the consent of a second role, not the "
                       "requester's", field="draw_id", code="consent_same_role")
    now = now_utc()
    row.status, row.consented_by, row.consented_at = "committing", principal.actor, now
    row.consent_note = note
    superseded = _supersede_earlier(session, row, principal.actor)
    audit.record(session, principal.actor, "draw.consent", object_type="draw",
                 object_key=str(row.id), data={"round": row.round_key, "number": row.number,
                                               "note": note, "superseded": superseded})
    session.flush()
    return row


def _supersede_earlier(session: Session, row: m.Draw, actor: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {"draws": [], "proposals": []}
    for d in round_draws(session, row.round_key):
        if d.number < row.number and status_of(d) in (*OPEN, "expired"):
            d.status = "expired" if status_of(d) == "expired" else "abandoned"
            d.closed_at = d.closed_at or now_utc()
            out["draws"].append(d.id)
    drafts = session.execute(select(m.ProposalRecord).where(
        m.ProposalRecord.round_key == row.round_key, m.ProposalRecord.kind == "record",
        m.ProposalRecord.status.in_(("draft", "infeasible")))).scalars()
    for p in drafts:
        p.status = "superseded"
        out["proposals"].append(p.id)
        audit.record(session, actor, "proposal.supersede", object_type="proposal",
                     object_key=str(p.id), data={"round": row.round_key, "by_draw": row.id,
                                                 "number": row.number})
    return out


def _party(session: Session, row: m.Draw, principal: Principal) -> m.DrawParty:
    for p in parties_of(session, row.id):
        if p.role == principal.role.value:
            return p
    raise Forbidden(f"角色“{ROLE_ZH[principal.role]}”不是本次抽取的参与方",
                    f"role {principal.role.value} is not a party of this draw",
                    field="draw_id")


def _expect(row: m.Draw, wanted: str) -> None:
    now_status = status_of(row)
    if now_status == "expired":
        raise Conflict(
            f"第{row.number}次抽取已于揭示截止时间过期，未抽取；须写明理由、经另一角色同意后重新抽取",
            f"draw {row.id} expired at its reveal deadline and nothing was drawn; a new "
            "draw needs a reason and a second role's consent", field="draw_id",
            code="draw_expired")
    if now_status != wanted:
        raise Conflict(f"第{row.number}次抽取当前为“{STATUS_ZH.get(now_status, now_status)}”，"
                       "不能进行此步骤", f"draw {row.id} is {now_status}; this step is not "
                       "open", field="draw_id", code="draw_state")


def commit(session: Session, draw_id: int, principal: Principal, digest: str) -> m.Draw:
    """A party's commitment: its secret bound to the sealed specification
    (`assignment.ceremony.secret_commitment`); once given it cannot change."""
    row = draw_or_404(session, draw_id, lock=True)
    _expect(row, "committing")
    party = _party(session, row, principal)
    if party.commitment is not None:
        raise Conflict("本方已提交承诺，承诺不能更改", "this party has committed already; a "
                       "commitment cannot be changed", field="commitment",
                       code="already_committed")
    others = [p for p in parties_of(session, row.id) if p.id != party.id]
    if any(p.committed_by and same_person(p.committed_by, principal.actor) for p in others):
        raise Conflict("同一人不能代表两个参与方", "one person cannot be two parties",
                       field="commitment", code="same_person")
    try:
        party.commitment = check_digest(digest)
    except CeremonyError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise Unprocessable(zh, en, field="commitment") from None
    party.committed_by, party.committed_at = principal.actor, now_utc()
    if all(p.commitment for p in parties_of(session, row.id)):
        row.status = "revealing"
    audit.record(session, principal.actor, "draw.commit", object_type="draw",
                 object_key=str(row.id), data={"round": row.round_key, "number": row.number,
                                               "role": party.role, "commitment": digest,
                                               "status": row.status})
    session.flush()
    return row


def reveal(session: Session, draw_id: int, principal: Principal, secret: str,
           wall_time: float | None = None) -> tuple[m.Draw, m.Job | None]:
    """A party reveals its secret, in the fixed order; the last reveal fixes the seed
    (unless a public value is awaited) and queues the draw of record."""
    row = draw_or_404(session, draw_id, lock=True)
    _expect(row, "revealing")
    party = _party(session, row, principal)
    if party.committed_by is None or not same_person(party.committed_by, principal.actor):
        raise Conflict("只有提交承诺的本人可以揭示", "only the person who committed may "
                       "reveal", field="secret", code="not_the_committer")
    if party.secret is not None:
        raise Conflict("本方已揭示", "this party has revealed already", field="secret",
                       code="already_revealed")
    parties = parties_of(session, row.id)
    waiting = [p for p in parties if p.position < party.position and p.secret is None]
    if waiting:
        first = Role(waiting[0].role)
        raise Conflict(f"须由{ROLE_ZH[first]}先揭示", f"the {first.value} reveals first",
                       field="secret", code="reveal_order")
    try:
        digest = secret_commitment(row.spec_sha256, secret)
    except CeremonyError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise Unprocessable(zh, en, field="secret") from None
    if digest != party.commitment:
        raise Conflict("揭示的秘密值与本方承诺不符（承诺须按本次抽取的规格哈希生成），"
                       "已拒绝，未保存",
                       "the secret does not match this party's commitment (made for this "
                       "draw's specification hash?); refused, nothing stored",
                       field="secret", code="reveal_mismatch",
                       details={"commitment": party.commitment, "sha256_of_secret": digest})
    party.secret, party.revealed_at = secret, now_utc()
    audit.record(session, principal.actor, "draw.reveal", object_type="draw",
                 object_key=str(row.id), data={"round": row.round_key, "number": row.number,
                                               "role": party.role, "secret": secret})
    job = None
    if all(p.secret for p in parties):
        if row.public_source is not None:
            row.status = "awaiting_public"
        else:
            job = _seed(session, row, parties, principal.actor, wall_time)
    session.flush()
    return row, job


def enter_public_value(session: Session, draw_id: int, principal: Principal, value: str,
                       wall_time: float | None = None) -> tuple[m.Draw, m.Job | None]:
    """Each party enters the public value (e.g. a lottery result) once it is published;
    when all entries agree, the seed is fixed."""
    row = draw_or_404(session, draw_id, lock=True)
    _expect(row, "awaiting_public")
    assert row.public_after is not None
    if today_beijing() < row.public_after:
        raise Conflict(f"公开值于 {row.public_after} 公布，之前不能录入",
                       f"the public value is published on {row.public_after}; not before",
                       field="value", code="public_not_yet")
    value = value.strip()
    if not value or "\n" in value or len(value) > 200:
        raise Unprocessable("公开值须为一行、200字以内", "the public value is one line of at "
                            "most 200 characters", field="value")
    party = _party(session, row, principal)
    if party.public_value is not None:
        raise Conflict("本方已录入公开值", "this party has entered the value already",
                       field="value", code="already_entered")
    parties = parties_of(session, row.id)
    entered = {p.public_value for p in parties if p.public_value is not None}
    if entered and value not in entered:
        raise Conflict("录入的公开值与另一参与方录入的不一致，已拒绝；请核对公布的原始结果",
                       "the value differs from the other party's entry; refused: check "
                       "the published result", field="value", code="public_mismatch")
    party.public_value = value
    audit.record(session, principal.actor, "draw.public_value", object_type="draw",
                 object_key=str(row.id), data={"round": row.round_key, "number": row.number,
                                               "role": party.role, "value": value,
                                               "source": row.public_source})
    job = None
    if all(p.public_value is not None for p in parties):
        row.public_value = value
        job = _seed(session, row, parties, principal.actor, wall_time)
    session.flush()
    return row, job


def revealed(parties: list[m.DrawParty]) -> list[tuple[str, str]]:
    return [(p.role, p.secret) for p in parties if p.secret is not None]


def _seed(session: Session, row: m.Draw, parties: list[m.DrawParty], actor: str,
          wall_time: float | None) -> m.Job:
    row.seed = derive_seed(row.spec_sha256, revealed(parties), row.public_value)
    row.status, row.seeded_at = "seeded", now_utc()
    audit.record(session, actor, "draw.seed", object_type="draw", object_key=str(row.id),
                 data={"round": row.round_key, "number": row.number, "seed": row.seed,
                       "preimage": seed_preimage(row.spec_sha256, revealed(parties),
                                                 row.public_value)})
    return _queue(session, row, actor, wall_time)


def _queue(session: Session, row: m.Draw, actor: str, wall_time: float | None) -> m.Job:
    payload: dict[str, Any] = {"draw_id": row.id, "actor": actor}
    if wall_time is not None:
        payload["wall_time"] = wall_time
    rnd = session.get(m.Round, row.round_key)
    job = jobs.enqueue(session, "proposal", payload, actor=actor,
                       scope=rnd.region_code if rnd else None)
    row.job_id = job.id
    return job


def rerun(session: Session, draw_id: int, principal: Principal,
          wall_time: float | None, default_wall_time: float | None = None) -> m.Job:
    """Run a seeded draw again after its run failed (the wall clock, a lost worker): the
    same sealed specification and seed give the one deterministic result (or fail
    again)."""
    row = draw_or_404(session, draw_id, lock=True)
    last = session.get(m.Job, row.job_id) if row.job_id else None
    if row.status != "seeded":
        raise Conflict("只有种子已定、尚未抽出结果的抽取可以重新运行",
                       "only a seeded draw without a result can run again",
                       field="draw_id", code="draw_state")
    if last is not None and last.status not in jobs.FINAL:
        raise Conflict("该抽取的任务仍在运行", "the draw's job is still running",
                       field="draw_id", code="draw_running")
    if wall_time is not None and principal.role is not Role.admin:
        raise Forbidden("只有管理员可以放宽墙钟时限", "only an administrator may raise the "
                        "wall-clock limit", field="wall_time")
    audit.record(session, principal.actor, "draw.rerun", object_type="draw",
                 object_key=str(row.id), data={"round": row.round_key, "number": row.number,
                                               "wall_time": wall_time,
                                               "failure": None if row.failure is None
                                               else json.loads(row.failure)})
    return _queue(session, row, principal.actor,
                  wall_time if wall_time is not None else default_wall_time)


def record_expiry(session: Session, round_key: str) -> None:
    """Store as expired every ceremony of the round whose deadline passed unrevealed
    (status_of already reads them so), with its audit event."""
    for d in round_draws(session, round_key):
        if d.status != "expired" and status_of(d) == "expired":
            was = d.status
            d.status, d.closed_at = "expired", now_utc()
            missing = [p.role for p in parties_of(session, d.id) if p.secret is None]
            audit.record(session, "service", "draw.expire", object_type="draw",
                         object_key=str(d.id), data={"round": round_key, "number": d.number,
                                                     "was": was, "not_revealed": missing})
