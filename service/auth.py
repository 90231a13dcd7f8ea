"""Bearer tokens (stored as sha256 only), roles, what each role may do, and region scope.

Roles: admin (everything but taking part in a draw ceremony), organizer (pool data,
rounds, proposals, changes; the organizing office's party in a draw ceremony), approver
(approves decisions, consents to a redraw), supervisor (纪检监察/巡察办 supervision: the
second party of every draw ceremony, consents to a redraw, reads rounds; nothing else),
auditor (reads everything including the audit log, writes nothing but signed audit
checkpoints), viewer (pool
summaries without kinship details or ID numbers). A token scoped to a region sees and
changes only that region's subtree."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import models as m
from pool.records import subtree
from service import audit

TOKEN_PREFIX = "xc_"
TOKEN_NAME_CHARS = 100


class Role(StrEnum):
    admin = "admin"
    organizer = "organizer"
    approver = "approver"
    auditor = "auditor"
    viewer = "viewer"
    supervisor = "supervisor"


class Action(StrEnum):
    pool_read = "pool:read"  # regions, systems, units, cadres: summaries
    pool_read_sensitive = "pool:read-sensitive"  # kinship ties, ID numbers, employments
    pool_write = "pool:write"  # imports and edits
    recusal_check = "recusal:check"  # recusal checks, screenings and explanations
    rounds_read = "rounds:read"
    rounds_write = "rounds:write"  # rounds, commitments, proposals, manual changes
    names_before_approval = "proposals:names"  # member names of undecided proposals
    approve = "proposals:approve"
    draw_party = "draws:party"  # commit and reveal a secret, enter the public value
    draw_consent = "draws:consent"  # consent to a further draw of a round (a redraw)
    draw_rerun = "draws:rerun"  # run a seeded draw again after a wall-clock failure
    audit_read = "audit:read"
    audit_checkpoint = "audit:checkpoint"  # sign a checkpoint of the audit chain
    tokens_manage = "tokens:manage"


_ALL = frozenset(Role)
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.pool_read: _ALL,
    Action.pool_read_sensitive: frozenset({Role.admin, Role.organizer, Role.auditor}),
    Action.pool_write: frozenset({Role.admin, Role.organizer}),
    Action.recusal_check: frozenset({Role.admin, Role.organizer, Role.approver, Role.auditor}),
    Action.rounds_read: frozenset({Role.admin, Role.organizer, Role.approver, Role.auditor,
                                   Role.supervisor}),
    Action.rounds_write: frozenset({Role.admin, Role.organizer}),
    Action.names_before_approval: frozenset({Role.admin, Role.organizer, Role.approver}),
    Action.approve: frozenset({Role.admin, Role.approver}),
    Action.draw_party: frozenset({Role.organizer, Role.supervisor}),
    Action.draw_consent: frozenset({Role.admin, Role.approver, Role.supervisor}),
    Action.draw_rerun: frozenset({Role.admin, Role.organizer}),
    Action.audit_read: frozenset({Role.admin, Role.auditor}),
    Action.audit_checkpoint: frozenset({Role.admin, Role.auditor}),
    Action.tokens_manage: frozenset({Role.admin}),
}

ROLE_ZH = {Role.admin: "管理员", Role.organizer: "组织人员", Role.approver: "审批人",
           Role.auditor: "审计人员", Role.viewer: "查看人员", Role.supervisor: "监督人员"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id and name (or the account's, `kind` "user"), role
    and region scope (None: all)."""

    token_id: str
    name: str
    role: Role
    scope: str | None
    regions: frozenset[str] | None  # the scope's subtree; None when unscoped
    kind: str = "token"  # or "user": a person's account signed in to the workbench

    @property
    def actor(self) -> str:
        return f"user:{self.name}" if self.kind == "user" else \
            f"token:{self.token_id}:{self.name}"

    def same_person(self, actor: str) -> bool:
        """Whether `actor` (as recorded) is this caller: the same token, or a token under
        the same holder's name. Conservative: two people sharing a token name are taken
        as one, so neither may both change and approve."""
        return same_person(self.actor, actor)

    def may(self, action: Action) -> bool:
        return self.role in PERMISSIONS[action]

    def sees_region(self, region: str | None) -> bool:
        return self.regions is None or (region is not None and region in self.regions)


@dataclass(frozen=True)
class IssuedToken:
    id: str
    secret: str  # shown once, never stored
    role: Role
    scope: str | None


def _holder(actor: str) -> tuple[str, str]:
    kind, _, rest = actor.partition(":")
    if kind == "user":  # an account: the same holder as a token under its name
        return actor, rest.strip().casefold()
    if kind != "token":
        return actor, actor
    token_id, _, name = rest.partition(":")
    return token_id, name.strip().casefold()


def same_person(a: str, b: str) -> bool:
    (id_a, name_a), (id_b, name_b) = _holder(a), _holder(b)
    return id_a == id_b or (bool(name_a) and name_a == name_b)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, name: str, role: Role, scope: str | None,
                created_by: str, now: dt.datetime) -> IssuedToken:
    """A new token, with its `token.create` event (audit verification finds a token row
    without one); only its sha256 is stored. Raises ValueError for an unknown scope or a
    name that is empty or longer than 100 characters."""
    if scope is not None and session.get(m.Region, scope) is None:
        raise ValueError(f"行政区划 {scope} 不存在 / unknown region {scope}")
    if not 1 <= len(name) <= TOKEN_NAME_CHARS:  # the actor token:<id>:<name> fits String(128)
        raise ValueError(f"令牌名称须为1–{TOKEN_NAME_CHARS}个字符 / a token name has 1–"
                         f"{TOKEN_NAME_CHARS} characters")
    token_id = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    digest = token_digest(secret)
    session.add(m.ApiToken(id=token_id, name=name, token_sha256=digest, role=role.value,
                           scope=scope, created_by=created_by, created_at=now))
    session.flush()
    audit.record(session, created_by, "token.create", object_type="token", object_key=token_id,
                 data={"role": role.value, "scope": scope, "name": name, "token_sha256": digest})
    return IssuedToken(token_id, secret, role, scope)


def find_token(session: Session, secret: str) -> m.ApiToken | None:
    row = session.execute(select(m.ApiToken)
                          .where(m.ApiToken.token_sha256 == token_digest(secret))).scalar()
    return None if row is None or row.revoked_at is not None else row


def token_named(session: Session, reference: str) -> m.ApiToken | None:
    """The token an operator names, revoked or not: by its id, or by the full secret
    `xuncha token create` printed (`xc_<id>_…`, matched by its hash)."""
    reference = reference.strip()
    if reference.startswith(TOKEN_PREFIX):
        return session.execute(select(m.ApiToken).where(
            m.ApiToken.token_sha256 == token_digest(reference))).scalar()
    return session.get(m.ApiToken, reference)


def all_tokens(session: Session) -> Sequence[m.ApiToken]:
    return session.execute(select(m.ApiToken).order_by(m.ApiToken.created_at,
                                                       m.ApiToken.id)).scalars().all()


def principal_of(token: m.ApiToken,
                 subtree: Callable[[str], frozenset[str]]) -> Principal:
    """The caller a token stands for; `subtree` gives a scope's regions (cached by the
    service, computed afresh on the command line)."""
    return Principal(token.id, token.name, Role(token.role), token.scope,
                     None if token.scope is None else subtree(token.scope))


def region_subtree(session: Session, root: str) -> frozenset[str]:
    """`root` and every region below it."""
    return subtree(session.execute(select(m.Region.code, m.Region.parent_code)).all(),
                   root)
