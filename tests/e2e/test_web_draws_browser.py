"""The draw ceremony in real browsers, each party on its own screen: a real `xuncha serve`
on the sample city, headless Chromium with one browser context per signed-in account
(separate cookies and storage, as separate machines), every request off 127.0.0.1
aborted and recorded.

The page's JavaScript makes the commitment exactly as Python does (compared for edge-case
secrets); the organizer opens the draw, each party makes its secret in its own browser,
keeps it (download), commits, and reveals when its page turns to the reveal by itself
(htmx polling); the server never sees a secret before its reveal. A party without
JavaScript is told what to run instead. The draw job runs and the page ends with the
proposal's link. Screenshots: $XUNCHA_TEST_SHOTS/xuncha-shots/web-draw-*.png, and
draw-ceremony.png under $XUNCHA_SCREENSHOTS."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from assignment.ceremony import secret_commitment
from pool import models as m
from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.auth import Role
from tests.e2e.browser import chromium, save_screenshot, watched_page
from tests.e2e.serve_process import create_token, serving
from tests.e2e.test_api_insider import SMALL
from tests.e2e.test_web_signin_browser import SHOTS

PASSWORD = "公开公平 𠮷 2026"
KEY = "R-BROWSER"
ORG, SUP, ORG2 = "林晓𠮷", "赵监督", "王组织"
VIEW = {"width": 1100, "height": 900}
# secrets at the edges of what the service takes (32 and 128 hex digits), and others
SECRETS = ["0" * 32, "f" * 128, "0123456789abcdef" * 4, "9bb438ef57b80738e294fbf83785beee"
           "944188c895cf23ed98252a2b3d7ec0ef", "a" * 33, "1" * 127]
NOT_SECRETS = ["", "A" * 64, "0" * 31, "0" * 129, "g" * 32, "𠮷" * 32, "0" * 64 + "\n",
               " " + "0" * 64]


def everything_stored(url: str) -> str:
    """Every commitment, secret and audit event as text (what an insider with the
    database could read)."""
    engine = make_engine(url)
    with transaction(engine) as session:
        parties = session.execute(select(m.DrawParty)).scalars().all()
        events = session.execute(select(m.AuditEvent.data)).scalars().all()
        text = json.dumps([[p.commitment, p.secret] for p in parties]) + "".join(events)
    engine.dispose()
    return text


@pytest.mark.slow
def test_two_parties_hold_the_ceremony_on_their_own_screens(city_sqlite_url: str,
                                                             tmp_path: Path) -> None:
    url = city_sqlite_url
    engine = make_engine(url)
    with transaction(engine) as session:
        for name, role in ((ORG, Role.organizer), (SUP, Role.supervisor),
                           (ORG2, Role.organizer)):
            create_user(session, name=name, password=PASSWORD, role=role, scope=None,
                        actor="tests", now=audit.utcnow())
    engine.dispose()
    token = create_token(url, "organizer")
    SHOTS.mkdir(parents=True, exist_ok=True)

    with serving(url) as server, chromium() as browser:
        from playwright.sync_api import expect

        made = httpx.post(f"{server.base_url}/v1/rounds", headers={
            "Authorization": f"Bearer {token}"}, json={"plan": SMALL | {"key": KEY,
                                                                        "region": "320100"}})
        assert made.status_code == 201, made.text
        base = server.base_url
        watched: list[Any] = []

        def open_as(name: str, path: str, **options: Any) -> Any:
            w = watched_page(browser, locale="zh-CN", viewport=VIEW, accept_downloads=True,
                             **options)
            watched.append(w)
            page = w.page
            page.goto(f"{base}{path}", wait_until="networkidle")
            assert urlsplit(page.url).path == "/signin"  # and back to `path` after
            page.get_by_label("账户名").fill(name)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录 / Sign in").click()
            page.wait_for_url(f"{base}{path}", wait_until="networkidle")
            return page

        # the organizer opens the draw from the round's page (the deadline is prefilled)
        org = open_as(ORG, f"/rounds/{KEY}/draw")
        assert org.get_by_text("本轮还没有抽取").is_visible()
        assert org.get_by_label("揭示截止时间（北京时间）").input_value()
        org.get_by_role("button", name="封存规格并开始 / Seal the specification and open").click()
        org.wait_for_url(re.compile(r"/draws/\d+$"), wait_until="networkidle")
        draw_path = urlsplit(org.url).path
        spec = org.locator("#draw-spec").inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", spec)

        # the page's commitment is Python's, for secrets at the edges; others are refused
        for secret in SECRETS:
            made_here = org.evaluate("([s, x]) => window.xunchaDraw.commitment(s, x)",
                                     [spec, secret])
            assert made_here == secret_commitment(spec, secret), secret
        other_spec = "e" * 64
        assert org.evaluate("([s, x]) => window.xunchaDraw.commitment(s, x)",
                            [other_spec, SECRETS[2]]) == secret_commitment(other_spec,
                                                                           SECRETS[2])
        for bad in NOT_SECRETS:
            thrown = org.evaluate("""([s, x]) => { try { window.xunchaDraw.commitment(s, x);
                return null; } catch (e) { return e.message; } }""", [spec, bad])
            assert thrown and "32–128" in thrown, bad
        fresh = org.evaluate("() => [window.xunchaDraw.newSecret(), window.xunchaDraw.newSecret()]")
        assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in fresh) and fresh[0] != fresh[1]

        # a party whose browser runs no JavaScript is told what to run instead
        nojs = open_as(ORG2, draw_path, java_script_enabled=False)
        notice = nojs.get_by_role("note")
        assert "本浏览器未启用 JavaScript" in notice.inner_text()
        assert f"./dev xuncha seed new --spec {spec}" in notice.inner_text()
        assert not nojs.get_by_role("button", name="在本机生成秘密值 / Make my secret on this "
                                                  "computer").is_visible()
        nojs.screenshot(path=str(SHOTS / "web-draw-nojs.png"), full_page=True)
        nojs.close()

        def make_and_commit(page: Any, who: str) -> str:
            page.get_by_role("button", name="在本机生成秘密值 / Make my secret on this "
                                            "computer").click()
            secret = page.get_by_label("你的秘密值").input_value()
            assert re.fullmatch(r"[0-9a-f]{64}", secret)
            assert page.get_by_label("承诺值").input_value() == secret_commitment(spec, secret)
            with page.expect_download() as download:
                page.get_by_role("button", name="下载 / Download").click()
            saved = tmp_path / f"{who}.secret"
            download.value.save_as(saved)
            assert saved.read_text(encoding="utf-8") == secret + "\n"  # as `seed new --out`
            # not sent before the party says it has kept the secret
            page.get_by_role("button", name="提交承诺 / Submit my commitment").click()
            assert "请先保存秘密值" in page.get_by_role("status").filter(
                has_text="请先保存").inner_text()
            assert urlsplit(page.url).path == draw_path
            assert secret not in everything_stored(url)
            page.screenshot(path=str(SHOTS / f"web-draw-commit-{who}.png"), full_page=True)
            page.get_by_label("我已保存秘密值").check()
            page.get_by_role("button", name="提交承诺 / Submit my commitment").click()
            page.wait_for_load_state("networkidle")
            assert page.locator("#draw-party").get_attribute("data-stage") == "wait"
            return secret

        org_secret = make_and_commit(org, "organizer")
        sup = open_as(SUP, draw_path)
        assert "已承诺 committed" in sup.locator("#draw-state").inner_text()
        sup_secret = make_and_commit(sup, "supervisor")
        # the service holds commitments only: neither secret is anywhere in the database
        stored = everything_stored(url)
        assert org_secret not in stored and sup_secret not in stored
        assert secret_commitment(spec, org_secret) in stored
        # nor in the other party's browser
        for page, other in ((org, sup_secret), (sup, org_secret)):
            assert other not in page.content()
            assert other not in json.dumps(page.evaluate("() => ({...localStorage})"))

        # the organizer's page turns to the reveal by itself, the secret filled in from
        # this browser and checked against the commitment before it is sent
        secret_field = org.locator("#secret")
        expect(secret_field).to_have_value(org_secret, timeout=15_000)
        expect(org.locator("#draw-secret-check")).to_contain_text("与本方承诺相符")
        org.screenshot(path=str(SHOTS / "web-draw-reveal.png"), full_page=True)
        org.get_by_role("button", name="揭示 / Reveal").click()
        org.wait_for_load_state("networkidle")
        assert org.evaluate("() => Object.keys(localStorage).length") == 0  # forgotten

        # the supervisor's browser lost its copy: it pastes the secret from its file
        sup.evaluate("() => localStorage.clear()")
        sup_field = sup.locator("#secret")
        sup_field.wait_for(timeout=15_000)
        sup.reload(wait_until="networkidle")
        expect(sup_field).to_have_value("")
        sup_field.fill(org_secret)
        expect(sup.locator("#draw-secret-check")).to_contain_text("与本方承诺不符")
        sup_field.fill((tmp_path / "supervisor.secret").read_text(encoding="utf-8").strip())
        expect(sup.locator("#draw-secret-check")).to_contain_text("与本方承诺相符")
        sup.get_by_role("button", name="揭示 / Reveal").click()
        sup.wait_for_load_state("networkidle")

        # the seed is fixed, the draw runs once, and the pages end with the proposal
        for page in (org, sup):
            page.get_by_role("link", name=re.compile(r"查看方案 \d+")).wait_for(
                timeout=180_000)
        link = org.get_by_role("link", name=re.compile(r"查看方案 \d+"))
        assert re.fullmatch(r"/proposals/\d+", link.get_attribute("href") or "")
        state = org.locator("#draw-state").inner_text()
        assert "已抽取" in state and "抽取完成" in state and "已揭示 revealed" in state
        assert org_secret in state and sup_secret in state  # public once revealed
        org.screenshot(path=str(SHOTS / "web-draw-ceremony.png"), full_page=True)
        save_screenshot(org, "draw-ceremony.png", full_page=True)

        history = org.goto(f"{base}/rounds/{KEY}/draw", wait_until="networkidle")
        assert history is not None and history.status == 200
        assert org.get_by_role("link", name=re.compile("第1次")).is_visible()
        org.screenshot(path=str(SHOTS / "web-draw-round.png"), full_page=True)

        for w in watched:
            assert w.outside == [], f"requests beyond the app: {w.outside}"
            assert w.problems == [], w.problems
