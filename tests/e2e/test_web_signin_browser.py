"""Signing in to the workbench in a real browser, as an organizer does: an account made by
`xuncha user create`, a real `xuncha serve`, headless Chromium with every request off
127.0.0.1 aborted and recorded. A wrong password reads exactly like an unknown name;
the home page shows the person, their role and region; sign-out works; and the whole
sign-in can be done with the keyboard alone. Screenshots go to $XUNCHA_TEST_SHOTS."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import chromium, save_screenshot, watched_page
from tests.e2e.serve_process import CLI, ROOT, serving

SHOTS = Path(os.environ.get("XUNCHA_TEST_SHOTS", tempfile.gettempdir())) / "xuncha-shots"
PASSWORD = "春风化雨 𠮷 2026"


@pytest.mark.slow
def test_an_organizer_signs_in_and_out(city_sqlite_url: str) -> None:
    made = subprocess.run(
        [*CLI, "user", "create", "林晓𠮷", "--role", "organizer", "--scope", "320100",
         "--password-stdin", "--database-url", city_sqlite_url],
        cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1100, "height": 760})
        page, outside, problems = watched.page, watched.outside, watched.problems

        page.goto(f"{server.base_url}/", wait_until="networkidle")
        assert urlsplit(page.url).path == "/signin"
        page.screenshot(path=str(SHOTS / "web-signin.png"))
        save_screenshot(page, "signin.png")

        def refusal(name: str, password: str) -> str:
            page.get_by_label("账户名").fill(name)
            page.get_by_label("密码").fill(password)
            page.get_by_role("button", name="登录 / Sign in").click()
            page.wait_for_load_state("networkidle")
            return page.get_by_role("alert").inner_text()

        wrong = refusal("林晓𠮷", "not the password")
        page.screenshot(path=str(SHOTS / "web-signin-error.png"))
        assert "账户名或密码不正确" in wrong
        assert refusal("无此人", PASSWORD) == wrong  # nobody learns who has an account
        # the error summary links to the field
        page.get_by_role("alert").get_by_role("link").click()
        assert page.evaluate("document.activeElement.id") == "name"

        # keyboard only: tab to each field, type, press Enter
        page.goto(f"{server.base_url}/signin", wait_until="networkidle")
        for _ in range(6):  # the name field has focus on arrival, or a few tabs away
            if page.evaluate("document.activeElement.id") == "name":
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "name"
        page.keyboard.type("林晓𠮷")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/", wait_until="networkidle")

        header = page.get_by_label("当前登录 / signed in")
        assert "林晓𠮷" in header.inner_text()
        assert "组织人员 organizer" in header.inner_text()
        assert "云川市 320100" in header.inner_text()
        assert page.get_by_role("heading", name="你好，林晓𠮷").is_visible()
        assert page.get_by_text("导入和修改人才库数据").is_visible()
        page.screenshot(path=str(SHOTS / "web-home.png"))
        save_screenshot(page, "home.png")
        cookie = next(c for c in page.context.cookies() if c["name"] == "xuncha_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        page.get_by_role("button", name="退出 / Sign out").click()
        page.wait_for_load_state("networkidle")
        assert urlsplit(page.url).path == "/signin"
        assert page.get_by_role("status").inner_text() == "你已退出登录 / You have signed out"
        page.goto(f"{server.base_url}/", wait_until="networkidle")
        assert urlsplit(page.url).path == "/signin"  # signed out for good

        page.goto(f"{server.base_url}/no-such-page", wait_until="networkidle")
        assert page.get_by_role("heading", name="找不到页面 Page not found").is_visible()
        page.screenshot(path=str(SHOTS / "web-404.png"))

        assert outside == [], f"requests beyond the app: {outside}"
        # the deliberate 401 and 404 answers are logged by Chromium as failed loads
        assert [p for p in problems if "status of 40" not in p] == [], problems
