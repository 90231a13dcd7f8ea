"""The workbench in real browsers, one person per browser context (own cookies and
storage, as separate machines): accounts made as `xuncha user create` makes them, signing
in through the sign-in page, a party's turn at the draw ceremony on its own screen, what
a page names, and the text of a printed PDF when poppler is there."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from assignment.ceremony import secret_commitment
from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.auth import Role
from tests.e2e import render
from tests.e2e.browser import WatchedPage, watched_page


def create_accounts(url: str, password: str,
                    accounts: Iterable[tuple[str, Role, str | None]]) -> None:
    """Each (name, role, scope) as an account with `password`."""
    engine = make_engine(url)
    with transaction(engine) as session:
        for name, role, scope in accounts:
            create_user(session, name=name, password=password, role=role, scope=scope,
                        actor="tests", now=audit.utcnow())
    engine.dispose()


def signed_in(browser: Any, base: str, name: str, password: str, path: str,
              **options: Any) -> WatchedPage:
    """A new browser context for `name` (Playwright `new_page` options): it opens `path`,
    is sent to the sign-in page, signs in there and comes back to `path`."""
    watched = watched_page(browser, **options)
    page = watched.page
    page.goto(f"{base}{path}", wait_until="networkidle")
    assert urlsplit(page.url).path == "/signin", page.url
    page.get_by_label("账户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录 / Sign in").click()
    page.wait_for_url(f"{base}{path}", wait_until="networkidle")
    return watched


def commit_here(page: Any) -> str:
    """On a draw's page: make the secret in this browser, keep it, send the commitment
    (only the commitment leaves the browser). Returns the secret."""
    spec = page.locator("#draw-spec").inner_text().strip()
    page.get_by_role("button", name="在本机生成秘密值 / Make my secret on this "
                                    "computer").click()
    secret = str(page.get_by_label("你的秘密值").input_value())
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert page.get_by_label("承诺值").input_value() == secret_commitment(spec, secret)
    page.get_by_label("我已保存秘密值").check()
    page.get_by_role("button", name="提交承诺 / Submit my commitment").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#draw-party").get_attribute("data-stage") == "wait"
    return secret


def reveal_here(page: Any, secret: str, timeout_ms: float = 30_000) -> None:
    """On a draw's page, once it turns to the reveal by itself: the secret this browser
    kept is filled in and checked against the commitment; reveal it."""
    from playwright.sync_api import expect

    expect(page.locator("#secret")).to_have_value(secret, timeout=timeout_ms)
    expect(page.locator("#draw-secret-check")).to_contain_text("与本方承诺相符")
    page.get_by_role("button", name="揭示 / Reveal").click()
    page.wait_for_load_state("networkidle")


def members_shown(page: Any) -> dict[str, str]:
    """A proposal's members as its review page names them to a person who may change it:
    key → name, from each member's 替换 Replace link."""
    out = {}
    links = page.get_by_role("link", name=re.compile(r"^替换 Replace "))
    for i in range(links.count()):
        link = links.nth(i)
        key = parse_qs(urlsplit(link.get_attribute("href") or "").query)["cadre"][0]
        text = " ".join((link.text_content() or "").split())
        out[key] = text.removeprefix("替换 Replace").strip()
    return out


def pdf_text(pdf: Path) -> str | None:
    """A PDF's text by poppler's pdftotext, or None where the render tools are missing and
    not required (as tests.e2e.render decides: XUNCHA_TEST_RENDER)."""
    if render.MODE == "off" or (render.MODE == "auto" and shutil.which("pdftotext") is None):
        return None
    return "\f".join(render.pages(pdf))
