"""Verification checks the service's records against the events that wrote them: with
the hash chain untouched and no checkpoint at hand, an approved proposal's teams edited,
a participation deleted or added, a draft flipped to approved, a token row added, a
revocation undone, a manual change erased or a commitment replaced straight in the
database are each found and named, over HTTP and on the command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pool import models as m
from pool.db import make_engine, transaction
from service import audit
from service.cli import app
from tests.conftest import PG_ADMIN_URL, _admin_engine, _pg_ran
from tests.e2e import ceremony
from tests.e2e.api_client import Api, running_api
from tests.e2e.test_api_insider import _replacements, new_round

TEAMS = [{"targets": ["U00003"]}, {"targets": ["U00004", "U00012"]}]


@dataclass(frozen=True)
class Decided:
    """A database in which one round was drawn, changed by hand and approved, another
    holds a trial draft, and one token was revoked."""

    url: str
    round_key: str
    approved: int
    draft: int
    draw: int
    revoked: str
    seated: dict[str, tuple[int, str]]


def _decide(api: Api) -> Decided:
    key = new_round(api, "R-AUD", teams=TEAMS)
    record = ceremony.hold(api, key)
    assert record.proposal is not None
    pid = record.proposal["id"]
    proposal = api.get(f"/v1/proposals/{pid}", "organizer").json()
    team = proposal["teams"][0]
    seated = {x["key"] for t in proposal["teams"] for x in t["members"]}
    member, replacement = next((x, ranked[0]) for x in team["members"]
                               if x["role"] == "member"
                               if (ranked := _replacements(api, pid, x, seated)))
    swap = api.post(f"/v1/proposals/{pid}/changes", "organizer", json={
        "op": "swap", "team": team["no"], "cadre": member["key"],
        "replacement": replacement, "reason": "原组员因病不能参加"})
    assert swap.status_code == 200, swap.text
    approved = api.post(f"/v1/proposals/{pid}/approve", "approver", json={"note": "同意"})
    assert approved.status_code == 200, approved.text
    new_round(api, "R-AUD-2", teams=TEAMS[:1], start="2027-06-01", end="2027-07-31")
    trial = api.run_job("POST", "/v1/rounds/R-AUD-2/proposals", "organizer",
                        json={"seed": 7})
    assert trial["status"] == "succeeded", trial
    runner = CliRunner()
    made = runner.invoke(app, ["token", "create", "--role", "viewer", "--database-url",
                               api.url])
    assert made.exit_code == 0, made.output
    token_id = made.output.strip().split("_")[1]
    revoked = runner.invoke(app, ["token", "revoke", token_id, "--database-url", api.url])
    assert revoked.exit_code == 0, revoked.output
    return Decided(api.url, key, pid, trial["result"]["proposal_id"], record.draw["id"],
                   token_id, {x["key"]: (t["no"], x["role"]) for t in approved.json()["teams"]
                              for x in t["members"]})


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def decided(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Decided]:
    """Built once per store; the tests only change it inside transactions they roll
    back."""
    name = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("decided") / "city.sqlite3"
        shutil.copy(request.getfixturevalue("city_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        template = request.getfixturevalue("city_pg_template")
        name = f"xuncha_aud_{uuid.uuid4().hex[:10]}"
        with _admin_engine().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        _pg_ran.append(request.node.nodeid)
    with running_api(url) as api:
        built = _decide(api)
    yield built
    if name is not None:
        with _admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _verify_tampered(url: str, tamper: Callable[[Session, Decided], None] | None,
                     decided: Decided) -> audit.Verification:
    """Verify with `tamper` applied inside a transaction that is then rolled back."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if tamper is not None:
                tamper(session, decided)
                session.flush()
            result = audit.verify(session)
            session.rollback()
    finally:
        engine.dispose()
    return result


def test_a_decided_round_verifies_whole(decided: Decided) -> None:
    result = _verify_tampered(decided.url, None, decided)
    assert result.ok, result.problems
    assert result.checked["proposals"] == 2 and result.checked["draws"] == 1
    assert result.checked["participations"] == len(decided.seated)
    assert result.checked["tokens"] >= 5 and "teams_unverifiable" not in result.checked


def _teams(session: Session, proposal_id: int) -> dict[str, Any]:
    row = session.get(m.ProposalRecord, proposal_id)
    assert row is not None
    teams: dict[str, Any] = json.loads(row.teams)
    return teams


def _edit_approved_teams(session: Session, d: Decided) -> None:
    teams = _teams(session, d.approved)  # a member moves from team 1 to team 2
    moved = next(x for x in teams["teams"][0]["members"] if x["role"] == "member")
    teams["teams"][0]["members"].remove(moved)
    teams["teams"][1]["members"].append(moved)
    session.execute(update(m.ProposalRecord).where(m.ProposalRecord.id == d.approved)
                    .values(teams=audit.canonical_json(teams)))


def _delete_participation(session: Session, d: Decided) -> None:
    person = sorted(d.seated)[0]
    session.execute(delete(m.Participation).where(m.Participation.round_key == d.round_key,
                                                  m.Participation.person_key == person))


def _add_participation(session: Session, d: Decided) -> None:
    outsider = session.execute(select(m.Cadre.person_key).where(
        m.Cadre.person_key.not_in(list(d.seated))).limit(1)).scalar_one()
    session.execute(insert(m.Participation).values(
        round_key=d.round_key, person_key=outsider, team_no=1, role="member",
        target_unit_key="U00003"))


def _change_participation(session: Session, d: Decided) -> None:
    person = next(k for k, (_no, role) in sorted(d.seated.items()) if role == "member")
    session.execute(update(m.Participation).where(
        m.Participation.round_key == d.round_key, m.Participation.person_key == person)
        .values(role="leader"))


def _flip_draft_to_approved(session: Session, d: Decided) -> None:
    approver = session.execute(select(m.ProposalRecord.approved_by).where(
        m.ProposalRecord.id == d.approved)).scalar_one()
    session.execute(update(m.ProposalRecord).where(m.ProposalRecord.id == d.draft).values(
        status="approved", approved_by=approver, approved_at=dt.datetime(2026, 12, 1)))


def _add_token(session: Session, _d: Decided) -> None:
    session.execute(insert(m.ApiToken).values(
        id="feedfacecafe", name="运维", token_sha256="ab" * 32, role="admin", scope=None,
        created_by="cli:root", created_at=dt.datetime(2026, 12, 1)))


def _undo_revocation(session: Session, d: Decided) -> None:
    session.execute(update(m.ApiToken).where(m.ApiToken.id == d.revoked)
                    .values(revoked_at=None))


def _promote_token(session: Session, d: Decided) -> None:
    session.execute(update(m.ApiToken).where(m.ApiToken.id == d.revoked)
                    .values(role="admin"))


def _erase_manual_change(session: Session, d: Decided) -> None:
    session.execute(delete(m.ProposalChange).where(m.ProposalChange.proposal_id == d.approved))


def _replace_commitment(session: Session, d: Decided) -> None:
    session.execute(update(m.DrawParty).where(m.DrawParty.draw_id == d.draw,
                                              m.DrawParty.role == "supervisor")
                    .values(commitment="0" * 64))


def _rewrite_approver(session: Session, d: Decided) -> None:
    session.execute(update(m.ProposalRecord).where(m.ProposalRecord.id == d.approved)
                    .values(approved_by="token:000000000000:某领导"))


@pytest.mark.parametrize(("tamper", "object_type", "words"), [
    (_edit_approved_teams, "proposal", ("its teams differ", "组队")),
    (_delete_participation, "participation", ("is missing", "缺失")),
    (_add_participation, "participation", ("do not hold this cadre", "直接写入")),
    (_change_participation, "participation", ("changed in the database", "直接改动")),
    (_flip_draft_to_approved, "proposal", ("no proposal.approve event", "没有批准事件")),
    (_add_token, "token", ("no token.create event", "立即吊销")),
    (_undo_revocation, "token", ("revocation was undone", "吊销被撤销")),
    (_promote_token, "token", ("role is admin", "角色")),
    (_erase_manual_change, "proposal", ("manual change 1", "人工调整")),
    (_replace_commitment, "draw", ("supervisor's commitment", "承诺")),
    (_rewrite_approver, "proposal", ("approver is", "批准人")),
])
def test_a_record_changed_in_the_database_is_found_without_a_checkpoint(
        decided: Decided, tamper: Callable[[Session, Decided], None], object_type: str,
        words: tuple[str, str]) -> None:
    result = _verify_tampered(decided.url, tamper, decided)
    assert not result.ok
    assert all(p.object_type is not None for p in result.problems), "the chain is whole"
    found = [p for p in result.problems if p.object_type == object_type
             and words[0] in p.en and words[1] in p.zh]
    assert found, result.problems


def test_verify_names_a_token_written_into_the_database_over_http_and_cli(api: Api) -> None:
    before = api.get("/v1/audit/verify", "auditor").json()
    assert before["ok"] and before["checked"]["tokens"] >= 1, before
    with transaction(api.engine) as session:
        _add_token(session, Decided(api.url, "", 0, 0, 0, "", {}))
    after = api.get("/v1/audit/verify", "auditor").json()
    assert not after["ok"]
    problem = next(p for p in after["problems"] if p["object_type"] == "token")
    assert problem["object_key"] == "feedfacecafe" and "token.create" in problem["en"]
    scoped = api.get("/v1/audit/verify", "auditor", scope="320125").json()
    assert not scoped["ok"] and "feedfacecafe" not in json.dumps(scoped)
    assert "unscoped token must look" in scoped["problems"][-1]["en"]
    result = CliRunner().invoke(app, ["audit", "verify", "--database-url", api.url])
    assert result.exit_code == 4
    assert "token feedfacecafe" in result.output and "xuncha token revoke" in result.output
