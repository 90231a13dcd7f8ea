"""The draw ceremony's pages over HTTP, as each party's browser uses them (TestClient, one
client per signed-in account): open a draw from the round's page, commit and reveal on
each party's own screen, the state fragment htmx polls, the seed and the draw job ending
in the proposal's link; and the API's rules on the pages: one person cannot be two
parties, nobody reveals for another or out of order, a wrong secret stores nothing, an
administrator cannot take part, a county's account cannot see the city's draw, every
refused step shows the service's words and is audited, and bad input is a field message,
never a 500. The secrets are made here as a party's machine makes them
(`assignment.ceremony`); the page's own JavaScript is tested in test_web_draws_browser."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from assignment.ceremony import derive_seed, new_secret, secret_commitment
from pool import models as m
from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.app import create_app
from service.auth import Role, issue_token
from service.settings import Settings
from tests.e2e.api_client import Api, running_api
from tests.e2e.test_api_insider import SMALL

PAGE = {"accept": "text/html,application/xhtml+xml"}
PASSWORD = "抽签公开 𠮷 2026"
KEY = "R-WEB"
CITY, COUNTY = "320100", "320125"


class Browser:
    """One signed-in account's browser (a TestClient keeping its cookies)."""

    def __init__(self, client: TestClient, name: str) -> None:
        self.client, self.name = client, name

    def get(self, path: str, **headers: str) -> httpx.Response:
        return self.client.get(path, headers={**PAGE, **headers}, follow_redirects=False)

    def token(self, path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)
        assert found, f"no form on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], page: str | None = None
             ) -> httpx.Response:
        """A form sent from `page` (default: the form's own page), with its token."""
        token = self.token(page or path.rsplit("/", 1)[0])
        return self.client.post(path, headers=PAGE, follow_redirects=False,
                                data={"csrf_token": token, **data})


@contextmanager
def browsers(url: str, *accounts: tuple[str, Role, str | None],
             wall_times: dict[str, float] | None = None) -> Iterator[dict[str, Browser]]:
    """Each account created (as `xuncha user create` does) and signed in in a browser of
    its own, on an app of its own that runs no jobs (`running_api` does); `wall_times`
    sets an account's app's draw wall-clock safety net."""
    engine = make_engine(url)
    with transaction(engine) as session:
        for name, role, scope in accounts:
            if session.get(m.User, name) is None:
                create_user(session, name=name, password=PASSWORD, role=role, scope=scope,
                            actor="tests", now=audit.utcnow())
    engine.dispose()
    with ExitStack() as stack:
        out = {}
        for name, _role, _scope in accounts:
            app = create_app(Settings(  # type: ignore[call-arg]
                database_url=url, run_jobs=False,
                draw_wall_time=(wall_times or {}).get(name, 120.0)))
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            token = re.search(r'name="csrf_token" value="([^"]+)"',
                              client.get("/signin", headers=PAGE).text)
            assert token
            signed = client.post("/signin", headers=PAGE, follow_redirects=False, data={
                "name": name, "password": PASSWORD, "csrf_token": token.group(1)})
            assert signed.status_code == 303, signed.text
            out[name] = Browser(client, name)
        yield out


def new_round(api: Api, key: str = KEY) -> str:
    r = api.post("/v1/rounds", "organizer", json={"plan": SMALL | {"key": key,
                                                                  "region": CITY}})
    assert r.status_code == 201, r.text
    return key


def query(url: str, stmt: Any) -> Any:
    engine = make_engine(url)
    with transaction(engine) as session:
        value = session.execute(stmt).all()
    engine.dispose()
    return value


def refused(url: str, code: str) -> list[dict[str, Any]]:
    """The `draw.refused` events with this error code."""
    rows = query(url, select(m.AuditEvent.data).where(m.AuditEvent.kind == "draw.refused"))
    return [d for (raw,) in rows if (d := json.loads(raw)).get("code") == code]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def error_of(response: httpx.Response) -> str:
    """The error summary's text (the service's message as the page shows it)."""
    found = re.search(r'<div class="error-summary".*?</div>', response.text, re.S)
    assert found, f"no error summary ({response.status_code}): {text_of(response.text)[:400]}"
    return text_of(found.group(0))


def open_draw(person: Browser, key: str = KEY, **form: str) -> int:
    r = person.post(f"/rounds/{key}/draw", {"reveal_by": soon(), **form})
    assert r.status_code == 303, error_of(r)
    found = re.fullmatch(r"/draws/(\d+)", r.headers["location"])
    assert found
    return int(found.group(1))


def soon() -> str:
    """A deadline two days ahead in Beijing time, as the datetime-local field sends it."""
    return time.strftime("%Y-%m-%dT18:00", time.gmtime(time.time() + 2 * 86400 + 8 * 3600))


def spec_of(person: Browser, draw_id: int) -> str:
    found = re.search(r'data-spec="([0-9a-f]{64})"', person.get(f"/draws/{draw_id}").text)
    assert found
    return found.group(1)


def stage_of(person: Browser, draw_id: int) -> str:
    found = re.search(r'data-stage="([a-z]+)"', person.get(f"/draws/{draw_id}").text)
    assert found
    return found.group(1)


ORG, ORG2, SUP = "林晓𠮷", "王组织", "赵监督"
ACCOUNTS = ((ORG, Role.organizer, CITY), (ORG2, Role.organizer, None),
            (SUP, Role.supervisor, None))


def test_two_parties_commit_and_reveal_each_on_their_own_screen(city_sqlite_url: str) -> None:
    url = city_sqlite_url
    with running_api(url, run_jobs=False) as api, browsers(url, *ACCOUNTS) as b:
        new_round(api)
        org, sup = b[ORG], b[SUP]
        round_page = org.get(f"/rounds/{KEY}/draw")
        assert round_page.status_code == 200
        assert "本轮还没有抽取" in round_page.text and 'id="reveal_by"' in round_page.text
        draw_id = open_draw(org)
        spec = spec_of(org, draw_id)
        page = org.get(f"/draws/{draw_id}").text
        # the sealed hash to read, the commit form, and for a browser without JavaScript
        # the offline command that makes the secret on the party's own machine
        assert spec in page and 'data-stage="commit"' in page
        assert f"./dev xuncha seed new --spec {spec}" in page and "<noscript>" in page
        # the commit form posts a commitment and nothing else: no secret reaches the server
        form = page.split('id="draw-commit-form"')[1].split("</form>")[0]
        assert sorted(re.findall(r'name="([^"]+)"', form)) == ["commitment", "csrf_token"]
        assert '<script type="module" src="/static/draws.js"></script>' in page

        secrets = {ORG: new_secret(), SUP: new_secret()}
        committed = org.post(f"/draws/{draw_id}/commit",
                             {"commitment": secret_commitment(spec, secrets[ORG])})
        assert committed.status_code == 303 and committed.headers["location"] == \
            f"/draws/{draw_id}"
        assert stage_of(org, draw_id) == "wait"
        assert stage_of(sup, draw_id) == "commit"
        sup_page = sup.get(f"/draws/{draw_id}").text
        assert "已承诺 committed" in sup_page and ORG in sup_page  # who committed, when
        assert secrets[ORG] not in sup_page

        # the organizer's page polls the state; the fragment answers with a reload when
        # what the person can do has changed (here: the supervisor committed)
        fragment = org.get(f"/draws/{draw_id}/state?view=committing.wait",
                           **{"hx-request": "true"})
        assert fragment.status_code == 200 and "HX-Refresh" not in fragment.headers
        assert 'hx-trigger="every 3s"' in fragment.text and "<html" not in fragment.text
        sup.post(f"/draws/{draw_id}/commit", {"commitment": secret_commitment(
            spec, secrets[SUP])})
        stale = org.get(f"/draws/{draw_id}/state?view=committing.wait",
                        **{"hx-request": "true"})
        assert stale.headers.get("HX-Refresh") == "true"
        # without htmx, the fragment's address is the whole page
        assert org.get(f"/draws/{draw_id}/state").headers["location"] == f"/draws/{draw_id}"

        assert stage_of(org, draw_id) == "reveal" and stage_of(sup, draw_id) == "wait"
        assert "须由组织人员先揭示" in sup.get(f"/draws/{draw_id}").text
        reveal_page = org.get(f"/draws/{draw_id}").text
        assert f'data-commitment="{secret_commitment(spec, secrets[ORG])}"' in reveal_page
        r = org.post(f"/draws/{draw_id}/reveal", {"secret": f"  {secrets[ORG]}\n"})
        assert r.status_code == 303, error_of(r)
        assert stage_of(sup, draw_id) == "reveal"
        r = sup.post(f"/draws/{draw_id}/reveal", {"secret": secrets[SUP]})
        assert r.status_code == 303, error_of(r)

        seed = derive_seed(spec, [("organizer", secrets[ORG]), ("supervisor", secrets[SUP])],
                           None)
        done = org.get(f"/draws/{draw_id}").text
        assert seed in done and "种子已定，待抽取" in done
        assert 'data-revealed="true"' in done  # the page's script forgets the kept secret
        assert "排队等待抽取" in done  # the draw's job, not run in this test
        history = text_of(org.get(f"/rounds/{KEY}/draw").text)
        assert "第1次" in history and seed in history
        assert f"组织人员： {ORG} 承诺" in history and "揭示" in history
        # the round's page links to the ceremony
        assert f'href="/draws/{draw_id}"' in org.get(f"/rounds/{KEY}/draw").text


def test_refused_steps_show_the_services_words_and_are_audited(city_sqlite_url: str) -> None:
    url = city_sqlite_url
    accounts = (*ACCOUNTS, ("管理员甲", Role.admin, None), ("查看乙", Role.viewer, None),
                ("县组织丙", Role.organizer, COUNTY))
    with running_api(url, run_jobs=False) as api, browsers(url, *accounts) as b:
        new_round(api)
        org, org2, sup = b[ORG], b[ORG2], b[SUP]
        draw_id = open_draw(org)
        spec = spec_of(org, draw_id)
        mine, theirs = new_secret(), new_secret()
        assert org.post(f"/draws/{draw_id}/commit", {
            "commitment": secret_commitment(spec, mine)}).status_code == 303
        # one role, one party: the organizer cannot commit again, nor another organizer
        for person in (org, org2):
            again = person.post(f"/draws/{draw_id}/commit", {
                "commitment": secret_commitment(spec, new_secret())}, f"/draws/{draw_id}")
            assert again.status_code == 409
            assert "本方已提交承诺，承诺不能更改" in error_of(again)
            assert 'href="#commitment"' in again.text
        assert len(refused(url, "already_committed")) == 2
        # nor can the organizer commit for the supervisor with a supervisor's token under
        # the same name: the account and the token are one person
        with transaction(api.engine) as session:
            alias = issue_token(session, name=ORG, role=Role.supervisor, scope=None,
                                created_by="tests", now=audit.utcnow()).secret
        r = api.client.post(f"/v1/draws/{draw_id}/commitments", headers={
            "Authorization": f"Bearer {alias}"}, json={"commitment": "b" * 64})
        assert r.status_code == 409 and r.json()["error"]["code"] == "same_person", r.text
        # an administrator, a viewer and a county's organizer cannot take part at all
        for name in ("管理员甲", "查看乙", "县组织丙"):
            denied = b[name].client.post(f"/draws/{draw_id}/commit", headers=PAGE, data={
                "csrf_token": b[name].token("/"), "commitment": "0" * 64},
                follow_redirects=False)
            assert denied.status_code == 403, (name, denied.text)
            assert "<!doctype html>" in denied.text.lower()
        assert b["县组织丙"].get(f"/draws/{draw_id}").status_code == 403
        assert b["县组织丙"].get(f"/rounds/{KEY}/draw").status_code == 403
        assert b["查看乙"].get(f"/draws/{draw_id}").status_code == 403
        # revealing before everyone committed
        early = org.post(f"/draws/{draw_id}/reveal", {"secret": mine}, f"/draws/{draw_id}")
        assert early.status_code == 409 and "当前为“收取承诺”" in error_of(early)

        assert sup.post(f"/draws/{draw_id}/commit", {
            "commitment": secret_commitment(spec, theirs)}).status_code == 303
        # the supervisor cannot reveal first; the other organizer cannot reveal for the
        # one who committed; nobody can reveal a secret that does not match
        first = sup.post(f"/draws/{draw_id}/reveal", {"secret": theirs}, f"/draws/{draw_id}")
        assert first.status_code == 409 and "须由组织人员先揭示" in error_of(first)
        assert stage_of(org2, draw_id) == "watch"
        other = org2.post(f"/draws/{draw_id}/reveal", {"secret": mine}, f"/draws/{draw_id}")
        assert other.status_code == 409 and "只有提交承诺的本人可以揭示" in error_of(other)
        wrong = org.post(f"/draws/{draw_id}/reveal", {"secret": new_secret()})
        assert wrong.status_code == 409
        assert "揭示的秘密值与本方承诺不符" in error_of(wrong) and 'href="#secret"' in wrong.text
        for code in ("reveal_order", "not_the_committer", "reveal_mismatch", "draw_state"):
            assert refused(url, code), code
        assert query(url, select(func.count()).select_from(m.DrawParty).where(
            m.DrawParty.secret.is_not(None))) == [(0,)]  # nothing stored
        assert org.post(f"/draws/{draw_id}/reveal", {"secret": mine}).status_code == 303
        # a revealed party cannot reveal again (nor change what it revealed)
        twice = org.post(f"/draws/{draw_id}/reveal", {"secret": mine}, f"/draws/{draw_id}")
        assert twice.status_code == 409 and "本方已揭示" in error_of(twice)


def test_bad_input_is_a_field_message_never_a_500(city_sqlite_url: str) -> None:
    url = city_sqlite_url
    with running_api(url, run_jobs=False) as api, browsers(url, *ACCOUNTS) as b:
        new_round(api)
        org, sup = b[ORG], b[SUP]
        for form, field, words in (
                ({"reveal_by": ""}, "reveal_by", "请填写揭示截止时间"),
                ({"reveal_by": "明天下午"}, "reveal_by", "请填写揭示截止时间"),
                ({"reveal_by": "2020-01-01T18:00"}, "reveal_by", "揭示截止时间须在将来"),
                ({"reveal_by": "2099-01-01T18:00"}, "reveal_by", "不得晚于90天后"),
                ({"reveal_by": soon(), "reason": "短"}, "reason", "理由至少写4个字"),
                ({"reveal_by": soon(), "public_source": "福彩3D"}, "public_source",
                 "公开值须同时写明来源和公布日期"),
                ({"reveal_by": soon(), "public_source": "福彩3D", "public_after": "2026-02-30"},
                 "public_after", "公布日期须为日期"),
                ({"reveal_by": soon(), "reason": "理" * 2001}, "reason", "最多2000个字符")):
            r = org.post(f"/rounds/{KEY}/draw", form)
            assert r.status_code in (409, 422), (form, r.status_code)
            assert words in error_of(r) and f'href="#{field}"' in r.text, (form, error_of(r))
            assert f'id="{field}"' in r.text  # the link leads to the field
        assert query(url, select(func.count()).select_from(m.Draw)) == [(0,)]

        draw_id = open_draw(org)
        for value, words in (("", "请先在本机生成秘密值"), ("xyz", "64位小写十六进制"),
                             ("A" * 64, "64位小写十六进制"), ("a" * 65, "64位小写十六进制"),
                             ("𠮷" * 64, "64位小写十六进制"), ("a" * 5000, "内容过长")):
            r = org.post(f"/draws/{draw_id}/commit", {"commitment": value})
            assert r.status_code == 422, (value[:10], r.status_code)
            assert words in error_of(r) and 'href="#commitment"' in r.text
        spec = spec_of(org, draw_id)
        mine, theirs = new_secret(), new_secret()
        org.post(f"/draws/{draw_id}/commit", {"commitment": secret_commitment(spec, mine)})
        sup.post(f"/draws/{draw_id}/commit", {"commitment": secret_commitment(spec, theirs)})
        for value, words in (("", "请填写本方的秘密值"), ("zz", "32–128位小写十六进制"),
                             (mine.upper(), "32–128位小写十六进制"), ("0" * 129, "32–128位"),
                             ("\x00" * 40, "32–128位")):
            r = org.post(f"/draws/{draw_id}/reveal", {"secret": value})
            assert r.status_code == 422, (value[:10], r.status_code)
            assert words in error_of(r) and 'href="#secret"' in r.text
        # a malformed address or an unknown draw is a page, not a traceback
        for path, status in (("/draws/0", 422), ("/draws/abc", 422), ("/draws/99", 404),
                             ("/rounds/no-such-round/draw", 404),
                             (f"/draws/{2**40}", 422)):
            r = org.get(path)
            assert r.status_code == status and "<!doctype html>" in r.text.lower(), path
        # a form without its token, or from another site, changes nothing
        forged = org.client.post(f"/draws/{draw_id}/reveal", headers=PAGE,
                                 data={"secret": mine}, follow_redirects=False)
        assert forged.status_code == 403
        assert query(url, select(func.count()).select_from(m.DrawParty).where(
            m.DrawParty.secret.is_not(None))) == [(0,)]


def test_signed_out_people_are_sent_to_sign_in(city_sqlite_url: str) -> None:
    app = create_app(Settings(database_url=city_sqlite_url, run_jobs=False))  # type: ignore[call-arg]
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/draws/1", f"/rounds/{KEY}/draw", "/draws/1/state"):
            r = client.get(path, headers=PAGE, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), \
                path


def test_a_further_draw_needs_a_reason_and_a_second_roles_consent(
        city_sqlite_url: str) -> None:
    url = city_sqlite_url
    accounts = (*ACCOUNTS, ("审批丁", Role.approver, None))
    with running_api(url, run_jobs=False) as api, browsers(url, *accounts) as b:
        new_round(api)
        org, sup = b[ORG], b[SUP]
        first = open_draw(org)
        page = text_of(org.get(f"/rounds/{KEY}/draw").text)
        assert "再次抽取" in page and "本轮已抽取过1次，须写明为何再次抽取" in page
        no_reason = org.post(f"/rounds/{KEY}/draw", {"reveal_by": soon()})
        assert no_reason.status_code == 422
        assert "再次抽取须写明理由" in error_of(no_reason)
        assert refused(url, "unprocessable")
        second = open_draw(org, reason="第1次抽取的监督方无法按时到场，重新组织")
        assert second != first
        # the requester waits; a second role consents (the supervisor here)
        assert stage_of(org, second) == "wait"
        assert "等待另一角色" in org.get(f"/draws/{second}").text
        assert stage_of(sup, second) == "consent"
        assert stage_of(b["审批丁"], second) == "consent"
        consented = sup.post(f"/draws/{second}/consent", {"note": "同意 𠮷"})
        assert consented.status_code == 303, error_of(consented)
        assert stage_of(org, second) == "commit"
        history = text_of(org.get(f"/rounds/{KEY}/draw").text)
        assert "已被后续抽取取代" in history and "第1次抽取的监督方无法按时到场" in history
        assert f"{SUP} 同意 consented" in history
        gone = org.post(f"/draws/{first}/commit", {"commitment": "a" * 64},
                        f"/draws/{first}")
        assert gone.status_code == 409 and "已被后续抽取取代" in error_of(gone)


def test_the_draw_runs_once_and_the_page_ends_with_the_proposal(city_sqlite_url: str) -> None:
    """The last reveal queues the draw; the page follows its job. A run the wall clock
    stops is a failure shown in both languages (the organizer's browser here runs under
    a 1 ms safety net, so its reveal's run is stopped for real); running it again under
    the normal net gives the one result, and the page links to the proposal."""
    url = city_sqlite_url
    with running_api(url) as api, browsers(url, *ACCOUNTS,  # the API runs the jobs
                                           wall_times={SUP: 0.001}) as b:
        new_round(api)
        org, org2, sup = b[ORG], b[ORG2], b[SUP]
        draw_id = open_draw(org)
        spec = spec_of(org, draw_id)
        secrets = {ORG: new_secret(), SUP: new_secret()}
        for person in (org, sup):
            person.post(f"/draws/{draw_id}/commit", {
                "commitment": secret_commitment(spec, secrets[person.name])})
        for person in (org, sup):  # the supervisor's reveal, the last, queues the draw
            assert person.post(f"/draws/{draw_id}/reveal", {
                "secret": secrets[person.name]}).status_code == 303
        job_id = query(url, select(m.Draw.job_id).where(m.Draw.id == draw_id))[0][0]
        assert api.wait(job_id, "organizer")["status"] == "failed"
        failed = org.get(f"/draws/{draw_id}").text
        assert "墙钟" in error_of(org.get(f"/draws/{draw_id}"))
        assert "wall" in error_of(org.get(f"/draws/{draw_id}")).lower()
        assert "hx-trigger" not in failed  # nothing to wait for until it runs again
        assert "重新运行抽取 / Run the draw again" in failed
        assert "重新运行抽取" not in sup.get(f"/draws/{draw_id}").text  # not the supervisor's
        assert "墙钟" in text_of(org.get(f"/rounds/{KEY}/draw").text)

        rerun = org2.post(f"/draws/{draw_id}/rerun", {}, f"/draws/{draw_id}")
        assert rerun.status_code == 303, error_of(rerun)
        again = query(url, select(m.Draw.job_id).where(m.Draw.id == draw_id))[0][0]
        assert again != job_id
        running = org.get(f"/draws/{draw_id}").text
        assert "hx-trigger" in running or "抽取完成" in running  # polled until final
        job = api.wait(again, "organizer")
        assert job["status"] == "succeeded", job
        proposal = job["result"]["proposal_id"]
        for person in (org, sup):
            page = person.get(f"/draws/{draw_id}").text
            assert f'href="/proposals/{proposal}"' in page and "抽取完成" in page
            assert "hx-trigger" not in page and "重新运行抽取" not in page
        assert f'href="/proposals/{proposal}"' in org.get(f"/rounds/{KEY}/draw").text
        twice = org.post(f"/draws/{draw_id}/rerun", {}, f"/draws/{draw_id}")
        assert twice.status_code == 409  # drawn once: no second run
