"""Holding a draw ceremony over the HTTP API in tests, as the organizing office and the
supervisor would: open (seal), consent when it is a redraw, commit, reveal in order,
wait for the draw of record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from assignment.ceremony import new_secret, secret_commitment
from tests.e2e.api_client import Api

PARTIES = ("organizer", "supervisor")


def deadline(hours: float = 2.0) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()


@dataclass
class Ceremony:
    draw: dict[str, Any]
    secrets: dict[str, str]
    job: dict[str, Any] | None = None
    proposal: dict[str, Any] | None = None


def open_draw(api: Api, key: str, *, reason: str | None = None, role: str = "organizer",
              consent_role: str | None = "approver", **extra: Any) -> dict[str, Any]:
    body = {"reveal_by": deadline()} | ({"reason": reason} if reason else {}) | extra
    r = api.post(f"/v1/rounds/{key}/draws", role, json=body)
    assert r.status_code == 201, r.text
    draw = r.json()
    if draw["status"] == "awaiting_consent" and consent_role is not None:
        c = api.post(f"/v1/draws/{draw['id']}/consent", consent_role,
                     json={"note": "同意再次抽取"})
        assert c.status_code == 200, c.text
        draw = c.json()
    return draw


def commit_all(api: Api, draw_id: int) -> dict[str, str]:
    """Each party reads the sealed specification and commits to a fresh secret."""
    secrets = {role: new_secret() for role in PARTIES}
    for role in PARTIES:
        spec = api.get(f"/v1/draws/{draw_id}", role).json()["spec_sha256"]
        r = api.post(f"/v1/draws/{draw_id}/commitments", role,
                     json={"commitment": secret_commitment(spec, secrets[role])})
        assert r.status_code == 200, r.text
    return secrets


def reveal_all(api: Api, draw_id: int, secrets: dict[str, str]) -> dict[str, Any]:
    draw: dict[str, Any] = {}
    for role in PARTIES:
        r = api.post(f"/v1/draws/{draw_id}/reveals", role, json={"secret": secrets[role]})
        assert r.status_code == 200, r.text
        draw = r.json()
    return draw


def hold(api: Api, key: str, *, reason: str | None = None, expect: str = "succeeded",
         **extra: Any) -> Ceremony:
    """A whole ceremony; returns the draw, the secrets, the job and the proposal."""
    draw = open_draw(api, key, reason=reason, **extra)
    secrets = commit_all(api, draw["id"])
    draw = reveal_all(api, draw["id"], secrets)
    assert draw["status"] == "seeded" and draw["job_id"], draw
    job = api.wait(draw["job_id"], "organizer")
    assert job["status"] == expect, job
    proposal = None
    if job["status"] == "succeeded":
        proposal = api.get(f"/v1/proposals/{job['result']['proposal_id']}",
                           "organizer").json()
    return Ceremony(api.get(f"/v1/draws/{draw['id']}", "auditor").json(), secrets, job,
                    proposal)
