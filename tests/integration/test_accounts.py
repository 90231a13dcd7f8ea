"""Accounts and sessions on SQLite and PostgreSQL: hashed passwords, the per-account
lock-out, idle and absolute session expiry (a clock passed in, never a sleep), and a
disabled account or a new password ending sessions at once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from pool import models as m
from pool.db import transaction
from service.accounts import (
    AccountError,
    LockPolicy,
    Outcome,
    check_sign_in,
    create_user,
    disable_user,
    password_problem,
    reset_password,
)
from service.auth import Role
from service.web_sessions import SessionLimits, resolve_session, start_session

T0 = dt.datetime(2026, 12, 1, 9, 0)
PASSWORD = "红旗渠精神 𠮷 2026"
POLICY = LockPolicy(failures=5, window=dt.timedelta(minutes=15),
                    lock=dt.timedelta(minutes=15))
LIMITS = SessionLimits(idle=dt.timedelta(minutes=30), lifetime=dt.timedelta(hours=12))


def _user(engine: Engine, name: str = "王𠮷", password: str = PASSWORD) -> None:
    with transaction(engine) as session:
        create_user(session, name=name, password=password, role=Role.organizer, scope=None,
                    actor="tests", now=T0)


def _try(engine: Engine, password: str, at: dt.datetime, name: str = "王𠮷") -> Outcome:
    with transaction(engine) as session:
        outcome, _user = check_sign_in(session, name, password, policy=POLICY, now=at,
                                       client="127.0.0.1")
        return outcome


def _events(engine: Engine) -> list[m.AuditEvent]:
    with transaction(engine) as session:
        return list(session.execute(select(m.AuditEvent).order_by(m.AuditEvent.seq))
                    .scalars())


def test_a_password_is_stored_as_an_argon2id_hash_and_never_logged(engine: Engine) -> None:
    _user(engine)
    assert _try(engine, PASSWORD, T0) is Outcome.signed_in
    assert _try(engine, "not the password", T0) is Outcome.refused
    with transaction(engine) as session:
        stored = session.get(m.User, "王𠮷")
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
    kinds = [e.kind for e in _events(engine)]
    assert kinds == ["user.create", "web.signin-failed"]
    assert all(PASSWORD not in e.data and "not the password" not in e.data
               for e in _events(engine))


def test_weak_passwords_are_refused_with_the_rule_in_both_languages(engine: Engine) -> None:
    assert password_problem("123456789012") is not None  # all digits
    assert password_problem("short") is not None
    assert password_problem("long enough phrase") is None
    with pytest.raises(AccountError) as caught, transaction(engine) as session:
        create_user(session, name="x", password="1234567890123", role=Role.viewer,
                    scope=None, actor="tests", now=T0)
    assert "至少10个字符" in caught.value.zh and "at least 10 characters" in caught.value.en
    with transaction(engine) as session:
        assert session.get(m.User, "x") is None  # nothing half-written


def test_an_unknown_name_and_a_wrong_password_are_refused_alike(engine: Engine) -> None:
    _user(engine)
    assert _try(engine, PASSWORD, T0, name="nobody") is Outcome.refused
    assert _try(engine, "wrong password!", T0) is Outcome.refused
    failed = [json.loads(e.data) for e in _events(engine) if e.kind == "web.signin-failed"]
    assert [f["reason"] for f in failed] == ["unknown_or_wrong", "unknown_or_wrong"]


def test_five_failures_lock_the_account_for_fifteen_minutes(engine: Engine) -> None:
    _user(engine)
    outcomes = [_try(engine, "wrong password!", T0 + dt.timedelta(minutes=i))
                for i in range(5)]
    assert outcomes == [Outcome.refused] * 4 + [Outcome.locked_now]
    # locked: even the right password is refused, and said the same way
    assert _try(engine, PASSWORD, T0 + dt.timedelta(minutes=10)) is Outcome.refused
    assert _try(engine, PASSWORD, T0 + dt.timedelta(minutes=19, seconds=1)) \
        is Outcome.signed_in
    kinds = [e.kind for e in _events(engine)]
    assert kinds.count("web.locked") == 1
    # the refusal while locked (a sign-in is audited when its session starts, not here)
    assert kinds[-1] == "web.signin-failed"
    assert json.loads(_events(engine)[-1].data)["reason"] == "locked"


def test_failures_spread_beyond_the_window_do_not_lock(engine: Engine) -> None:
    _user(engine)
    for i in range(8):  # one every 4 minutes: never 5 within 15 minutes of the first
        at = T0 + dt.timedelta(minutes=4 * i)
        outcome = _try(engine, "wrong password!", at)
        assert outcome is Outcome.refused, i
    assert _try(engine, PASSWORD, T0 + dt.timedelta(minutes=33)) is Outcome.signed_in


def test_a_hash_with_old_parameters_is_upgraded_on_sign_in(engine: Engine) -> None:
    _user(engine)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with transaction(engine) as session:
        user = session.get(m.User, "王𠮷")
        assert user is not None
        user.password_hash = weak
    assert _try(engine, PASSWORD, T0) is Outcome.signed_in
    with transaction(engine) as session:
        user = session.get(m.User, "王𠮷")
        assert user is not None and user.password_hash != weak
        assert not PasswordHasher().check_needs_rehash(user.password_hash)


def _session(engine: Engine, at: dt.datetime = T0) -> str:
    with transaction(engine) as session:
        user = session.get(m.User, "王𠮷")
        assert user is not None
        return start_session(session, user, now=at, client="127.0.0.1").secret


def _alive(engine: Engine, secret: str, at: dt.datetime) -> bool:
    with transaction(engine) as session:
        return resolve_session(session, secret, limits=LIMITS, now=at) is not None


def test_a_session_ends_after_thirty_idle_minutes(engine: Engine) -> None:
    _user(engine)
    secret = _session(engine)
    assert _alive(engine, secret, T0 + dt.timedelta(minutes=29))
    assert _alive(engine, secret, T0 + dt.timedelta(minutes=58))  # 29 min since last seen
    assert not _alive(engine, secret, T0 + dt.timedelta(minutes=89))
    assert not _alive(engine, secret, T0 + dt.timedelta(minutes=90))  # ended for good
    expired = [json.loads(e.data) for e in _events(engine) if e.kind == "web.session-expired"]
    assert [e["reason"] for e in expired] == ["idle"]
    with transaction(engine) as session:
        stored = session.execute(select(m.WebSession)).scalar_one()
        assert stored.id_sha256 != secret and secret not in stored.id_sha256


def test_a_busy_session_still_ends_after_twelve_hours(engine: Engine) -> None:
    _user(engine)
    secret = _session(engine)
    at = T0
    while at + dt.timedelta(minutes=20) < T0 + dt.timedelta(hours=12):
        at += dt.timedelta(minutes=20)  # a request every 20 minutes until 11:40
        assert _alive(engine, secret, at), at
    assert not _alive(engine, secret, T0 + dt.timedelta(hours=12))
    expired = [json.loads(e.data) for e in _events(engine) if e.kind == "web.session-expired"]
    assert [e["reason"] for e in expired] == ["lifetime"]


def test_disabling_an_account_ends_its_sessions_and_refuses_sign_in(engine: Engine) -> None:
    _user(engine)
    _user(engine, "other")
    mine, also_mine = _session(engine), _session(engine)
    with transaction(engine) as session:
        ended = disable_user(session, "王𠮷", actor="tests", now=T0 + dt.timedelta(minutes=1))
    assert ended == 2
    assert not _alive(engine, mine, T0 + dt.timedelta(minutes=2))
    assert not _alive(engine, also_mine, T0 + dt.timedelta(minutes=2))
    assert _try(engine, PASSWORD, T0 + dt.timedelta(minutes=3)) is Outcome.refused
    assert _try(engine, PASSWORD, T0 + dt.timedelta(minutes=3), name="other") \
        is Outcome.signed_in


def test_a_new_password_lifts_the_lock_and_ends_sessions(engine: Engine) -> None:
    _user(engine)
    secret = _session(engine)
    for i in range(5):
        _try(engine, "wrong password!", T0 + dt.timedelta(seconds=i))
    with transaction(engine) as session:
        assert reset_password(session, "王𠮷", "a brand new phrase", actor="tests",
                              now=T0 + dt.timedelta(minutes=1)) == 1
    assert not _alive(engine, secret, T0 + dt.timedelta(minutes=2))
    assert _try(engine, PASSWORD, T0 + dt.timedelta(minutes=2)) is Outcome.refused
    assert _try(engine, "a brand new phrase", T0 + dt.timedelta(minutes=2)) \
        is Outcome.signed_in
