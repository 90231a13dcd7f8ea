"""Verification's second half (DESIGN §8): the service's records checked against the
audit events that wrote them, so a change made straight in the database is found even
while the hash chain is whole: tokens, accounts, round plans, draws and their parties here;
proposals, approvals and participations in `service.audit_decisions`.

Each finding names the record, what differs and the event to compare it with. Records
written before an event carried a field (say `teams_sha256` on `proposal.create`) are
checked as far as their events allow."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from assignment.ceremony import CeremonyError, derive_seed, secret_commitment, spec_hash
from pool import models as m
from service.accounts import hash_digest
from service.audit import Verification
from service.audit_decisions import check_decisions
from service.record_events import (
    Event,
    Where,
    deleted_records,
    first,
    last,
    load_events,
    role_of,
    show,
)


def cross_check(session: Session, out: Verification) -> None:
    """Add a problem to `out` for every record that disagrees with its events."""
    events = load_events(session)
    # who may do what, as issued: tokens by id, accounts (the workbench) by user:<name>
    roles = _check_tokens(session, out, events["token"]) | \
        _check_users(session, out, events["user"])
    service_rounds = _check_rounds(session, out, events["round"])
    _check_draws(session, out, events["draw"], roles)
    check_decisions(session, out, events["proposal"], roles, service_rounds)


# -- tokens ------------------------------------------------------------------------------

def _check_tokens(session: Session, out: Verification,
                  events: dict[str, list[Event]]) -> dict[str, str]:
    """Every token row was issued (`token.create`) as it stands, and is revoked exactly
    when a `token.revoke` says so. Returns each token's role as issued."""
    rows = session.execute(select(m.ApiToken)).scalars().all()
    for row in rows:
        where = Where("token", row.id, f"令牌 {row.id}", f"token {row.id}")
        evs = events.get(row.id, [])
        made = first(evs, "token.create")
        if made is None:
            where.say(out, 0, f"角色 {row.role}，没有签发事件 token.create：不是本服务签发的，"
                      "而是直接写入数据库的；请立即吊销"
                      f"（./dev xuncha token revoke {row.id}）并查明来源",
                      f"role {row.role}, has no token.create event: the service did not "
                      "issue it, it was written into the database directly; revoke it now "
                      f"(`./dev xuncha token revoke {row.id}`) and find out who wrote it")
            continue
        for name, zh, stored in (("role", "角色", row.role), ("scope", "区划范围", row.scope),
                                 ("name", "名称", row.name)):
            if name in made.data and made.data[name] != stored:
                where.differs(out, made, zh, name, stored, made.data[name])
        if made.actor != row.created_by:
            where.differs(out, made, "签发人", "issuer", row.created_by, made.actor)
        if "token_sha256" in made.data and made.data["token_sha256"] != row.token_sha256:
            where.say(out, made.seq, f"令牌哈希与签发时（第{made.seq}号事件）不同：有人可能在用"
                      "自己的秘密冒用此令牌的角色；请立即吊销",
                      f"its hash differs from the one issued (event {made.seq}): someone may "
                      "be using a secret of their own under this token's role; revoke it now")
        revoked = first(evs, "token.revoke")
        if revoked is not None and row.revoked_at is None:
            where.say(out, revoked.seq, f"已于第{revoked.seq}号事件吊销，库中却仍有效：吊销被撤销；"
                      "请再次吊销并查明来源",
                      f"was revoked by event {revoked.seq} but is valid again in the "
                      "database: the revocation was undone; revoke it again and find out who")
        elif revoked is None and row.revoked_at is not None:
            where.say(out, made.seq, "库中标为已吊销，但没有吊销事件 token.revoke",
                      "is marked revoked without a token.revoke event")
    deleted_records(out, events, {r.id for r in rows}, "token.create", "token",
                    ("令牌", "token"), ("签发", "issued"))
    out.checked["tokens"] = len(rows)
    return {key: str(made.data.get("role")) for key, evs in events.items()
            if (made := first(evs, "token.create")) is not None}


# -- accounts ----------------------------------------------------------------------------

_PASSWORD_EVENTS = ("user.create", "user.reset-password", "user.rehash")


def _check_users(session: Session, out: Verification,
                 events: dict[str, list[Event]]) -> dict[str, str]:
    """Every account was created (`user.create`) as it stands, its password hash is the
    one its last password event recorded, and it is disabled exactly when a
    `user.disable` says so. Returns each account's role as created, by `user:<name>`."""
    rows = session.execute(select(m.User)).scalars().all()
    for row in rows:
        where = Where("user", row.name, f"账户 {row.name}", f"account {row.name}")
        evs = events.get(row.name, [])
        made = first(evs, "user.create")
        if made is None:
            where.say(out, 0, f"角色 {row.role}，没有开设事件 user.create：不是本服务开设的，"
                      "而是直接写入数据库的；请立即停用"
                      f"（./dev xuncha user disable {row.name}）并查明来源",
                      f"role {row.role}, has no user.create event: the service did not "
                      "create it, it was written into the database directly; disable it now "
                      f"(`./dev xuncha user disable {row.name}`) and find out who wrote it")
            continue
        for name, zh, stored in (("role", "角色", row.role), ("scope", "区划范围", row.scope)):
            if name in made.data and made.data[name] != stored:
                where.differs(out, made, zh, name, stored, made.data[name])
        if made.actor != row.created_by:
            where.differs(out, made, "开设人", "created by", row.created_by, made.actor)
        password = next((e for e in reversed(evs) if e.kind in _PASSWORD_EVENTS
                         and "password_sha256" in e.data), None)
        if password is not None and password.data["password_sha256"] != \
                hash_digest(row.password_hash):
            where.say(out, password.seq, f"密码哈希与第{password.seq}号事件设定的不同：有人可能"
                      "直接改了密码以冒用此账户；请立即停用并重设密码",
                      f"its password hash differs from the one event {password.seq} set: "
                      "someone may have changed the password in the database to use this "
                      "account; disable it now and reset the password")
        disabled = first(evs, "user.disable")
        if disabled is not None and row.disabled_at is None:
            where.say(out, disabled.seq, f"已于第{disabled.seq}号事件停用，库中却仍可登录：停用被"
                      "撤销；请再次停用并查明来源",
                      f"was disabled by event {disabled.seq} but may sign in again in the "
                      "database: the disabling was undone; disable it again and find out who")
        elif disabled is None and row.disabled_at is not None:
            where.say(out, made.seq, "库中标为已停用，但没有停用事件 user.disable",
                      "is marked disabled without a user.disable event")
    deleted_records(out, events, {r.name for r in rows}, "user.create", "user",
                    ("账户", "account"), ("开设", "created"))
    out.checked["users"] = len(rows)
    return {f"user:{name}": str(made.data.get("role")) for name, evs in events.items()
            if (made := first(evs, "user.create")) is not None}


# -- rounds and draws ----------------------------------------------------------------------

def _check_rounds(session: Session, out: Verification,
                  events: dict[str, list[Event]]) -> set[str]:
    """Every round the service plans was created by a `round.create` with these dates.
    Returns the keys of those rounds."""
    rows = session.execute(select(m.Round).join(m.RoundPlan,
                                                m.RoundPlan.round_key == m.Round.key)
                           ).scalars().all()
    for row in rows:
        where = Where("round", row.key, f"轮次 {row.key}", f"round {row.key}")
        made = first(events.get(row.key, []), "round.create")
        if made is None:
            where.say(out, 0, "有轮次计划，却没有创建事件 round.create：是直接写入数据库的",
                      "has a plan but no round.create event: written into the database")
            continue
        spec = made.data.get("spec") or {}
        for name, zh, stored in (("name", "名称", row.name), ("start", "开始日期", row.start),
                                 ("end", "结束日期", row.end)):
            value = stored.isoformat() if hasattr(stored, "isoformat") else stored
            if name in spec and spec[name] != value:
                where.differs(out, made, zh, name, value, spec[name])
        if "region" in made.data and made.data["region"] != row.region_code:
            where.differs(out, made, "区划", "region", row.region_code, made.data["region"])
    out.checked["rounds"] = len(rows)
    return {r.key for r in rows}


def _check_draws(session: Session, out: Verification, events: dict[str, list[Event]],
                 roles: dict[str, str]) -> None:
    """Each draw is what `draw.open` sealed; each party's commitment, reveal and public
    value is what its events recorded, by the party it names; the seed follows."""
    parties: dict[int, list[m.DrawParty]] = defaultdict(list)
    for p in session.execute(select(m.DrawParty).order_by(m.DrawParty.draw_id,
                                                          m.DrawParty.position)).scalars():
        parties[p.draw_id].append(p)
    rows = session.execute(select(m.Draw).order_by(m.Draw.id)).scalars().all()
    for row in rows:
        where = Where("draw", str(row.id), f"抽取 {row.id}", f"draw {row.id}")
        evs = events.get(str(row.id), [])
        opened = first(evs, "draw.open")
        if opened is None:
            where.say(out, 0, "没有开始事件 draw.open：是直接写入数据库的",
                      "has no draw.open event: written into the database")
            continue
        for name, zh, stored in (("round", "轮次", row.round_key), ("number", "序号", row.number),
                                 ("spec_sha256", "规格哈希", row.spec_sha256),
                                 ("input_hash", "输入哈希", row.input_hash)):
            if name in opened.data and opened.data[name] != stored:
                where.differs(out, opened, zh, name, stored, opened.data[name])
        if opened.actor != row.requested_by:
            where.differs(out, opened, "发起人", "opener", row.requested_by, opened.actor)
        if spec_hash(row.spec) != row.spec_sha256:
            where.say(out, opened.seq, "封存的规格原文与其哈希不符：规格被改动",
                      "its sealed specification text no longer hashes to spec_sha256: altered")
        consent = last(evs, "draw.consent")
        if (consent.actor if consent else None) != row.consented_by:
            where.say(out, consent.seq if consent else opened.seq,
                      f"同意人为 {show(row.consented_by)}，事件记录为 "
                      f"{show(consent.actor if consent else None)}",
                      f"consented by {show(row.consented_by)} but its events say "
                      f"{show(consent.actor if consent else None)}")
        for party in parties.get(row.id, []):
            _check_party(out, where, row, party, evs, roles)
        seeded = last(evs, "draw.seed")
        recorded_seed = seeded.data.get("seed") if seeded else None
        if row.seed != recorded_seed:
            where.say(out, seeded.seq if seeded else opened.seq,
                      f"种子为 {show(row.seed)}，事件记录为 {show(recorded_seed)}",
                      f"its seed is {show(row.seed)} but its events say "
                      f"{show(recorded_seed)}")
        revealed = [(p.role, p.secret) for p in parties.get(row.id, [])]
        if row.seed is not None and all(s is not None for _r, s in revealed):
            try:
                derived = derive_seed(row.spec_sha256, [(r, str(s)) for r, s in revealed],
                                      row.public_value)
            except CeremonyError:
                derived = None
            if derived != row.seed:
                where.say(out, seeded.seq if seeded else opened.seq,
                          "种子不能由各方揭示的秘密值和公开值推出", "its seed does not follow "
                          "from the parties' revealed secrets and the public value")
    deleted_records(out, events, {str(r.id) for r in rows}, "draw.open", "draw",
                    ("抽取", "draw"), ("开始", "opened"))
    out.checked["draws"] = len(rows)


def _check_party(out: Verification, where: Where, row: m.Draw, party: m.DrawParty,
                 evs: list[Event], roles: dict[str, str]) -> None:
    mine = [e for e in evs if e.data.get("role") == party.role]
    committed, shown = last(mine, "draw.commit"), last(mine, "draw.reveal")
    public = last(mine, "draw.public_value")
    role_zh = f"{party.role} 方"
    for event, name, zh, stored in (
            (committed, "commitment", "承诺", party.commitment),
            (shown, "secret", "揭示的秘密值", party.secret),
            (public, "value", "录入的公开值", party.public_value)):
        recorded = event.data.get(name) if event else None
        if stored != recorded:
            seq = event.seq if event else 0
            where.say(out, seq, f"{role_zh}的{zh}与事件记录不符（库中{'有' if stored else '无'}，"
                      f"事件{'有' if recorded else '无'}）",
                      f"the {party.role}'s {name} differs from its events (stored: "
                      f"{'yes' if stored else 'none'}, recorded: {'yes' if recorded else 'none'})")
    if committed is not None:
        if committed.actor != party.committed_by:
            where.differs(out, committed, f"{role_zh}承诺人", f"{party.role}'s committer",
                          party.committed_by, committed.actor)
        role = role_of(committed.actor, roles)
        if role is not None and role != party.role:
            where.say(out, committed.seq, f"{role_zh}的承诺（第{committed.seq}号事件）由“{role}”"
                      "角色的令牌或账户提交，不是该参与方",
                      f"the {party.role}'s commitment (event {committed.seq}) came from a "
                      f"{role} token or account, not that party")
    if party.secret is not None and party.commitment is not None:
        try:
            opens = secret_commitment(row.spec_sha256, party.secret) == party.commitment
        except CeremonyError:
            opens = False
        if not opens:
            where.say(out, shown.seq if shown else 0, f"{role_zh}揭示的秘密值与其承诺不符",
                      f"the {party.role}'s revealed secret does not open its commitment")
