"""The journey's form posts as a browser sends them (TestClient, one client per account),
for what the per-area tests leave out: a session that ended while its page was open
(idle timeout) refuses the wizard, change and approval forms, writes nothing and sends
the person to sign in; the draw's open, commit and reveal forms and the approval form
refuse a post without its token or with a forged one and write nothing (the wizard and
change forms: test_web_rounds, test_web_proposals); and audit verification knows an
account's role as created: an approval made on the workbench verifies as authorized, one
under an account that may not approve is found."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from assignment.ceremony import new_secret, secret_commitment
from pool import models as m
from pool.db import make_engine, transaction
from service import audit
from service.app import create_app
from service.auth import Role
from service.changes import approve
from service.settings import Settings
from tests.e2e import ceremony
from tests.e2e.api_client import running_api
from tests.e2e.test_api_insider import SMALL
from tests.e2e.test_web_draws import query, soon
from tests.e2e.test_web_proposals import proposal_row, removable
from tests.e2e.test_web_signin import Browser
from tests.e2e.web_journey import create_accounts

PASSWORD = "会话过期 𠮷 2026"
ORG, SUP, APPR = "林组织𠮷", "赵监督", "钱审批"
ACCOUNTS = ((ORG, Role.organizer, "320100"), (SUP, Role.supervisor, None),
            (APPR, Role.approver, "320100"))
KEY = "R-JOURNEY"
REASON = "本人患病住院，经组织同意调整"
WIZARD = {"step": "check", "action": "create", "key": "R-LATE", "name": "云川市委迟到的轮次",
          "kind": "regular", "start": "2027-03-01", "end": "2027-04-30", "policy": "default",
          "region": "320100", "teams": "U00003", "size_min": "5", "size_max": "6",
          "deputies_min": "1", "deputies_max": "1", "skill_finance": "1"}


@dataclass
class World:
    path: Path  # the sample city, a round drawn in a ceremony, the accounts
    proposal: dict[str, Any]  # its draw of record as the organizer reads it


@pytest.fixture(scope="module")
def world(city_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("journeys-web") / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    url = f"sqlite:///{path}"
    with running_api(url) as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": SMALL | {"key": KEY},
                                                         "region": "320100"})
        assert made.status_code == 201, made.text
        held = ceremony.hold(api, KEY)
        assert held.proposal is not None
    create_accounts(url, PASSWORD, ACCOUNTS)
    return World(path, held.proposal)


@pytest.fixture
def url(world: World, tmp_path: Path) -> str:
    copy = tmp_path / "city.sqlite3"
    shutil.copy(world.path, copy)
    return f"sqlite:///{copy}"


@contextmanager
def people(url: str, *names: str) -> Iterator[dict[str, Browser]]:
    """Each account signed in on an app of its own (no jobs), whose clock the test moves
    (`Browser.at`)."""
    with ExitStack() as stack:
        out = {}
        for name in names:
            app = create_app(Settings(database_url=url, run_jobs=False))  # type: ignore[call-arg]
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            b = Browser(client, url)
            assert b.sign_in(name, PASSWORD).status_code == 303
            out[name] = b
        yield out


def count(url: str, model: Any, *where: Any) -> int:
    return int(query(url, select(func.count()).select_from(model).where(*where))[0][0])


def sent_to_sign_in(answer: Any) -> None:
    """Refused with nothing done, and the page says so and leads to the sign-in page."""
    assert answer.status_code == 401, answer.status_code
    assert "本次提交未做任何更改" in answer.text and 'href="/signin"' in answer.text


def test_a_session_that_ended_mid_journey_refuses_every_form_and_writes_nothing(
        url: str, world: World) -> None:
    pid = world.proposal["id"]
    page = f"/proposals/{pid}"
    n, leaving = removable(world.proposal)
    with people(url, ORG, APPR) as b:
        org, appr = b[ORG], b[APPR]
        # each opens a form while signed in ...
        org_token, appr_token = org.token(page), appr.token(page)
        wizard_token = org.token("/rounds/new")
        before = proposal_row(url, pid)
        events = count(url, m.AuditEvent)
        # ... and sends it after more than the idle timeout (30 minutes)
        for person in (org, appr):
            person.at += dt.timedelta(minutes=30, seconds=5)
        change = org.post(f"{page}/changes", {
            "csrf_token": org_token, "op": "remove", "team": str(n),
            "cadre": leaving["key"], "reason": REASON})
        sent_to_sign_in(change)
        approval = appr.post(f"{page}/approve", {"csrf_token": appr_token, "note": "同意"})
        sent_to_sign_in(approval)
        wizard = org.post("/rounds/new", WIZARD | {"csrf_token": wizard_token})
        sent_to_sign_in(wizard)
        # nothing written: the proposal as it was, no round, no change or approval event
        assert proposal_row(url, pid) == before
        assert count(url, m.Round, m.Round.key == "R-LATE") == 0
        kinds = query(url, select(m.AuditEvent.kind).where(m.AuditEvent.seq > events))
        assert [k for (k,) in kinds] == ["web.session-expired"] * 2  # one each
        # the page itself now sends them to sign in, and back to it after
        gone = org.get(page)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")
        again = org.sign_in(ORG, PASSWORD)
        assert again.status_code == 303
        assert org.get(page).status_code == 200


def test_the_draw_and_approval_forms_refuse_a_missing_or_forged_token(url: str,
                                                                     world: World) -> None:
    pid = world.proposal["id"]
    with running_api(url, run_jobs=False) as api, people(url, ORG, SUP, APPR) as b:
        made = api.post("/v1/rounds", "organizer", json={
            "plan": SMALL | {"key": "R-CSRF"}, "region": "320100"})
        assert made.status_code == 201, made.text
        org, sup, appr = b[ORG], b[SUP], b[APPR]

        def refused(person: Browser, path: str, form: dict[str, str]) -> None:
            for sent in (form, form | {"csrf_token": "forged"},
                         form | {"csrf_token": person.token("/") + "x"}):
                answer = person.post(path, sent)
                assert answer.status_code == 403 and "表单已失效" in answer.text, (
                    path, answer.status_code)

        # opening a draw
        refused(org, "/rounds/R-CSRF/draw", {"reveal_by": soon()})
        assert count(url, m.Draw, m.Draw.round_key == "R-CSRF") == 0
        opened = org.post("/rounds/R-CSRF/draw", {
            "reveal_by": soon(), "csrf_token": org.token("/rounds/R-CSRF/draw")})
        assert opened.status_code == 303, opened.text
        draw_id = int(opened.headers["location"].rsplit("/", 1)[1])
        found = re.search(r'data-spec="([0-9a-f]{64})"', org.get(f"/draws/{draw_id}").text)
        assert found
        spec = found.group(1)

        # committing, for either party
        secrets = {ORG: new_secret(), SUP: new_secret()}
        for name in (ORG, SUP):
            refused(b[name], f"/draws/{draw_id}/commit",
                    {"commitment": secret_commitment(spec, secrets[name])})
        assert count(url, m.DrawParty, m.DrawParty.draw_id == draw_id,
                     m.DrawParty.commitment.is_not(None)) == 0
        for name in (ORG, SUP):
            done = b[name].post(f"/draws/{draw_id}/commit", {
                "commitment": secret_commitment(spec, secrets[name]),
                "csrf_token": b[name].token(f"/draws/{draw_id}")})
            assert done.status_code == 303, done.text

        # revealing (the organizer's own secret, with a forged token)
        refused(org, f"/draws/{draw_id}/reveal", {"secret": secrets[ORG]})
        refused(sup, f"/draws/{draw_id}/reveal", {"secret": secrets[SUP]})
        assert count(url, m.DrawParty, m.DrawParty.draw_id == draw_id,
                     m.DrawParty.secret.is_not(None)) == 0

        # approving the drawn proposal
        before = proposal_row(url, pid)
        refused(appr, f"/proposals/{pid}/approve", {"note": "同意"})
        assert proposal_row(url, pid) == before and before[1] != "approved"
        assert count(url, m.AuditEvent, m.AuditEvent.kind == "proposal.approve") == 0
        assert org.count("web.csrf-refused") == 18  # every refusal audited


def test_an_approval_from_the_workbench_verifies_as_authorized(
        url: str, world: World) -> None:
    pid = world.proposal["id"]
    page = f"/proposals/{pid}"
    with people(url, APPR) as b:
        appr = b[APPR]
        ok = appr.post(f"{page}/approve", {"csrf_token": appr.token(page), "note": "同意"})
        assert ok.status_code == 303, ok.text
    engine = make_engine(url)
    with transaction(engine) as session:
        result = audit.verify(session)
    engine.dispose()
    assert result.ok, [p for p in result.problems]


def test_an_approval_by_an_account_that_may_not_approve_is_found(url: str,
                                                                  world: World) -> None:
    """An insider with the code and the database approves under the organizer's account
    (no page allows it): verification names the account and its role as created."""
    engine = make_engine(url)
    with transaction(engine) as session:
        approve(session, world.proposal["id"], f"user:{ORG}", None)
    with transaction(engine) as session:
        result = audit.verify(session)
    engine.dispose()
    found = [p.zh for p in result.problems]
    assert not result.ok and any(f"批准人 user:{ORG}（角色 organizer）无权批准方案" in p
                                 for p in found), found
