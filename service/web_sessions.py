"""Server-side sessions of signed-in browsers: the cookie holds a random id, the database
its sha256 (so a copy of the table signs nobody in), with the CSRF token of its forms.
A session ends on sign-out, after `idle` without a request, `lifetime` after sign-in, or
at once when its account is disabled or its password reset; every end is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pool import models as m
from service import audit
from service.settings import Settings

# a request refreshes `last_seen_at` only when it is older than this (not a write per page)
TOUCH_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class SessionLimits:
    idle: dt.timedelta = dt.timedelta(minutes=30)
    lifetime: dt.timedelta = dt.timedelta(hours=12)

    @classmethod
    def of(cls, settings: Settings) -> SessionLimits:
        return cls(dt.timedelta(minutes=settings.session_idle_minutes),
                   dt.timedelta(hours=settings.session_max_hours))


@dataclass(frozen=True)
class StartedSession:
    secret: str  # the cookie's value: never stored
    csrf_token: str


@dataclass(frozen=True)
class ActiveSession:
    """A live session: its account and the CSRF token its forms must carry."""

    id_sha256: str
    user: m.User
    csrf_token: str


def session_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start_session(session: Session, user: m.User, *, now: dt.datetime,
                  client: str) -> StartedSession:
    """A fresh session (a new id on every sign-in: no session fixation), audited as
    `web.signin`."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    digest = session_digest(secret)
    session.add(m.WebSession(id_sha256=digest, user_name=user.name, csrf_token=csrf,
                             created_at=now, last_seen_at=now))
    session.flush()
    audit.record(session, f"user:{user.name}", "web.signin", object_type="user",
                 object_key=user.name, region=user.scope,
                 data={"client": client, "role": user.role, "scope": user.scope,
                       "session": digest[:12]})
    return StartedSession(secret, csrf)


def resolve_session(session: Session, secret: str, *, limits: SessionLimits,
                    now: dt.datetime) -> ActiveSession | None:
    """The live session a cookie names, or None. A session found past its idle time or
    lifetime ends here (`web.session-expired`); one whose account is disabled ends too."""
    row = session.get(m.WebSession, session_digest(secret))
    if row is None or row.ended_at is not None:
        return None
    user = session.get(m.User, row.user_name)
    reason = ("disabled" if user is None or user.disabled_at is not None else
              "lifetime" if now - row.created_at >= limits.lifetime else
              "idle" if now - row.last_seen_at >= limits.idle else None)
    if reason is not None:
        _end(session, row, now, reason)
        audit.record(session, f"user:{row.user_name}", "web.session-expired",
                     object_type="user", object_key=row.user_name,
                     region=None if user is None else user.scope,
                     data={"reason": reason, "session": row.id_sha256[:12]})
        return None
    assert user is not None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return ActiveSession(row.id_sha256, user, row.csrf_token)


def end_session(session: Session, id_sha256: str, *, now: dt.datetime, client: str) -> None:
    """Sign-out: the session ends for good (`web.signout`)."""
    row = session.get(m.WebSession, id_sha256)
    if row is None or row.ended_at is not None:
        return
    _end(session, row, now, "signout")
    user = session.get(m.User, row.user_name)
    audit.record(session, f"user:{row.user_name}", "web.signout", object_type="user",
                 object_key=row.user_name, region=None if user is None else user.scope,
                 data={"client": client, "session": row.id_sha256[:12]})


def end_user_sessions(session: Session, user_name: str, *, now: dt.datetime,
                      reason: str) -> int:
    """End every open session of an account (the caller audits why); returns how many."""
    open_ids = session.execute(select(m.WebSession.id_sha256).where(
        m.WebSession.user_name == user_name, m.WebSession.ended_at.is_(None))).scalars().all()
    if open_ids:
        session.execute(update(m.WebSession)
                        .where(m.WebSession.id_sha256.in_(open_ids))
                        .values(ended_at=now, end_reason=reason))
    return len(open_ids)


def _end(session: Session, row: m.WebSession, now: dt.datetime, reason: str) -> None:
    row.ended_at, row.end_reason = now, reason
    session.flush()
