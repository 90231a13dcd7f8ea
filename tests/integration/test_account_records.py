"""Verification checks accounts against the events that made them, so an account written
or changed straight in the database is found while the hash chain is whole: an account
with no `user.create`, a role raised, a password hash replaced (someone signing in as
another person), a disabling undone, a disabled flag without its event, an account
deleted. An account made, reset, disabled and re-hashed by the service verifies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.orm import Session

from pool import models as m
from pool.db import transaction
from service import audit
from service.accounts import (
    LockPolicy,
    Outcome,
    check_sign_in,
    create_user,
    disable_user,
    reset_password,
)
from service.auth import Role

T0 = dt.datetime(2026, 12, 3, 9, 0)
PASSWORD = "春风化雨 𠮷 2026"


def _accounts(engine: Engine) -> None:
    with transaction(engine) as session:
        for name, role in (("王𠮷", Role.organizer), ("李审", Role.auditor),
                           ("赵停", Role.viewer)):
            create_user(session, name=name, password=PASSWORD, role=role, scope=None,
                        actor="cli:admin", now=T0)
        reset_password(session, "李审", PASSWORD + "!", actor="cli:admin", now=T0)
        disable_user(session, "赵停", actor="cli:admin", now=T0)
        weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
        session.execute(update(m.User).where(m.User.name == "王𠮷")
                        .values(password_hash=weak))  # as an older release hashed it
    with transaction(engine) as session:  # so this sign-in re-hashes it, with its event
        outcome, _ = check_sign_in(session, "王𠮷", PASSWORD, policy=LockPolicy(),
                                   now=T0, client="127.0.0.1")
        assert outcome is Outcome.signed_in


def _problems(engine: Engine) -> list[tuple[str | None, str | None, str, str]]:
    with transaction(engine) as session:
        result = audit.verify(session)
    return [(p.object_type, p.object_key, p.zh, p.en) for p in result.problems]


def test_accounts_the_service_made_verify(engine: Engine) -> None:
    _accounts(engine)
    with transaction(engine) as session:
        result = audit.verify(session)
    assert result.ok, result.problems
    assert result.checked["users"] == 3


def _insert(session: Session) -> None:
    session.execute(insert(m.User).values(
        name="影子", password_hash=PasswordHasher().hash("shadow-password-1"), role="admin",
        scope=None, created_by="cli:admin", created_at=T0, failures=0))


def _raise_role(session: Session) -> None:
    session.execute(update(m.User).where(m.User.name == "李审").values(role="admin"))


def _replace_password(session: Session) -> None:
    session.execute(update(m.User).where(m.User.name == "王𠮷").values(
        password_hash=PasswordHasher().hash("the insider's own")))


def _undo_disable(session: Session) -> None:
    session.execute(update(m.User).where(m.User.name == "赵停").values(disabled_at=None))


def _disable_silently(session: Session) -> None:
    session.execute(update(m.User).where(m.User.name == "李审").values(disabled_at=T0))


def _delete(session: Session) -> None:
    session.execute(delete(m.User).where(m.User.name == "李审"))


@pytest.mark.parametrize(("tamper", "key", "words"), [
    (_insert, "影子", ("no user.create event", "没有开设事件")),
    (_raise_role, "李审", ("role is admin", "角色")),
    (_replace_password, "王𠮷", ("password hash differs", "密码哈希")),
    (_undo_disable, "赵停", ("disabling was undone", "停用被撤销")),
    (_disable_silently, "李审", ("without a user.disable event", "没有停用事件")),
    (_delete, "李审", ("deleted from the database", "已从数据库删除")),
])
def test_an_account_changed_in_the_database_is_found(
        engine: Engine, tamper: Callable[[Session], None], key: str,
        words: tuple[str, str]) -> None:
    _accounts(engine)
    with transaction(engine) as session:
        tamper(session)
    problems = _problems(engine)
    assert any(t == "user" and k == key and words[0] in en and words[1] in zh
               for t, k, zh, en in problems), problems
