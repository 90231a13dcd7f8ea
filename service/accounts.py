"""Accounts for people (the workbench's sign-in; tokens stay for machines): create,
disable, reset a password, and check a sign-in with the per-account lock-out.

An account has a token's role and region scope and signs in as the same `Principal`
(kind "user"), so every permission and scope rule applies unchanged. Passwords are
stored as argon2id hashes (argon2-cffi); every change and every sign-in outcome is an
audit event, never with a password in it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import models as m
from service import audit
from service.auth import Principal, Role
from service.settings import Settings
from service.web_sessions import end_user_sessions

MIN_PASSWORD_CHARS = 10
NAME_CHARS = 64
PASSWORD_RULE_ZH = f"密码至少{MIN_PASSWORD_CHARS}个字符，且不能全是数字"
PASSWORD_RULE_EN = f"a password has at least {MIN_PASSWORD_CHARS} characters and is not " \
                   "all digits"

_hasher = PasswordHasher()
# verified against when the name is unknown, so a wrong name costs what a wrong password does
_DUMMY_HASH = _hasher.hash("xuncha: no such account")


class AccountError(ValueError):
    """A request about accounts that cannot be done, in Chinese and English."""

    def __init__(self, zh: str, en: str, field: str | None = None) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.field = zh, en, field


@dataclass(frozen=True)
class LockPolicy:
    """`failures` failed sign-ins of one account within `window` lock it for `lock`."""

    failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def of(cls, settings: Settings) -> LockPolicy:
        return cls(settings.signin_lock_failures,
                   dt.timedelta(minutes=settings.signin_lock_window_minutes),
                   dt.timedelta(minutes=settings.signin_lock_minutes))


def password_problem(password: str) -> tuple[str, str] | None:
    """What is wrong with a new password (Chinese, English), or None."""
    if len(password) < MIN_PASSWORD_CHARS or password.isdigit():
        return PASSWORD_RULE_ZH, PASSWORD_RULE_EN
    if "\x00" in password:
        return "密码中不能含有空字符（NUL）", "a password may not contain the NUL character"
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem is not None:
        raise AccountError(*problem, field="password")
    return _hasher.hash(password)


def find_user(session: Session, name: str) -> m.User | None:
    return session.get(m.User, name) if 0 < len(name) <= NAME_CHARS else None


def all_users(session: Session) -> Sequence[m.User]:
    return session.execute(select(m.User).order_by(m.User.name)).scalars().all()


def _named(session: Session, name: str) -> m.User:
    user = find_user(session, name)
    if user is None:
        raise AccountError(f"没有名为 {name} 的账户（用 ./dev xuncha user list 查看）",
                           f"no account is named {name} (see ./dev xuncha user list)")
    return user


def hash_digest(password_hash: str) -> str:
    """The sha256 of a stored password hash, kept in the audit events that set it, so
    that verification finds a hash replaced straight in the database (the argon2 hash
    itself, salted, is never logged)."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()


def create_user(session: Session, *, name: str, password: str, role: Role,
                scope: str | None, actor: str, now: dt.datetime) -> m.User:
    """A new account, with its `user.create` event."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_CHARS or any(not c.isprintable() for c in name):
        raise AccountError(f"账户名须为1–{NAME_CHARS}个可见字符",
                           f"an account name has 1–{NAME_CHARS} printable characters", "name")
    if session.get(m.User, name) is not None:
        raise AccountError(f"账户 {name} 已存在", f"an account named {name} exists already",
                           "name")
    if scope is not None and session.get(m.Region, scope) is None:
        raise AccountError(f"行政区划 {scope} 不存在", f"unknown region {scope}", "scope")
    user = m.User(name=name, password_hash=hash_password(password), role=role.value,
                  scope=scope, created_by=actor, created_at=now, failures=0)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", object_type="user", object_key=name,
                 data={"role": role.value, "scope": scope,
                       "password_sha256": hash_digest(user.password_hash)}, region=scope)
    return user


def disable_user(session: Session, name: str, *, actor: str, now: dt.datetime) -> int:
    """Disable an account and end its sessions at once; returns how many were open.
    Disabling a disabled account changes nothing."""
    user = _named(session, name)
    if user.disabled_at is not None:
        return 0
    user.disabled_at = now
    ended = end_user_sessions(session, user.name, now=now, reason="disabled")
    audit.record(session, actor, "user.disable", object_type="user", object_key=user.name,
                 data={"sessions_ended": ended}, region=user.scope)
    return ended


def reset_password(session: Session, name: str, password: str, *, actor: str,
                   now: dt.datetime) -> int:
    """A new password: the lock-out is lifted and every session of the account ends
    (whoever knew the old password is signed out). Returns the sessions ended."""
    user = _named(session, name)
    user.password_hash = hash_password(password)
    user.failures, user.first_failure_at, user.locked_until = 0, None, None
    ended = end_user_sessions(session, user.name, now=now, reason="password_reset")
    audit.record(session, actor, "user.reset-password", object_type="user",
                 object_key=user.name, region=user.scope,
                 data={"sessions_ended": ended,
                       "password_sha256": hash_digest(user.password_hash)})
    return ended


class Outcome(StrEnum):
    signed_in = "signed_in"
    refused = "refused"  # wrong name or password, disabled, or locked: one message for all
    locked_now = "locked_now"  # this failure locked the account


def check_sign_in(session: Session, name: str, password: str, *, policy: LockPolicy,
                  now: dt.datetime, client: str) -> tuple[Outcome, m.User | None]:
    """Whether `name` may sign in with `password` now. Failures count towards the lock;
    a locked or disabled account is refused even with the right password. The caller
    shows every refusal the same way, so nobody learns whether an account exists."""
    user = find_user(session, name.strip())
    right = _verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None:
        audit.record(session, "anonymous", "web.signin-failed",
                     data={"client": client, "reason": "unknown_or_wrong"})
        return Outcome.refused, None
    reason = ("disabled" if user.disabled_at is not None else
              "locked" if user.locked_until is not None and user.locked_until > now else
              None if right else "unknown_or_wrong")
    if reason is None:
        user.failures, user.first_failure_at, user.locked_until = 0, None, None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
            audit.record(session, f"user:{user.name}", "user.rehash", object_type="user",
                         object_key=user.name, region=user.scope,
                         data={"password_sha256": hash_digest(user.password_hash)})
        return Outcome.signed_in, user
    outcome = Outcome.refused
    if reason == "unknown_or_wrong":
        if user.first_failure_at is None or now - user.first_failure_at > policy.window:
            user.failures, user.first_failure_at = 0, now
        user.failures += 1
        if user.failures >= policy.failures:
            user.locked_until, user.failures, user.first_failure_at = now + policy.lock, 0, None
            outcome = Outcome.locked_now
    audit.record(session, "anonymous", "web.signin-failed", object_type="user",
                 object_key=user.name, region=user.scope,
                 data={"client": client, "reason": reason})
    if outcome is Outcome.locked_now:
        audit.record(session, "anonymous", "web.locked", object_type="user",
                     object_key=user.name, region=user.scope,
                     data={"client": client, "failures": policy.failures,
                           "until": user.locked_until})
    return outcome, user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_of_user(user: m.User, subtree: Callable[[str], frozenset[str]]) -> Principal:
    """The caller an account stands for: a token's role and scope, kind "user"."""
    return Principal(user.name, user.name, Role(user.role), user.scope,
                     None if user.scope is None else subtree(user.scope), kind="user")
