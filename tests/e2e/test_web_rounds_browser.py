"""The round wizard in a real browser (a real `xuncha serve` on the sample city, headless
Chromium, every request off 127.0.0.1 aborted and recorded): the city's organizer creates
a regular round with the keyboard alone (Tab, Enter, Space and typing; the unit search
answers as they type), and a cross-inspection round with the mouse, picking a unit by
search into its group and reading the service's message when one group is not enough.
Screenshots: $XUNCHA_TEST_SHOTS/xuncha-shots/web-rounds-*.png, and round-wizard.png where
XUNCHA_SCREENSHOTS says."""

from __future__ import annotations

import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import chromium, save_screenshot, watched_page
from tests.e2e.serve_process import CLI, ROOT, serving
from tests.e2e.test_web_signin_browser import SHOTS

PASSWORD = "巡察利剑 𠮷 2026"
NAME = "周敏𠮷"


def _account(url: str) -> None:
    made = subprocess.run(
        [*CLI, "user", "create", NAME, "--role", "organizer", "--scope", "320100",
         "--password-stdin", "--database-url", url],
        cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    SHOTS.mkdir(parents=True, exist_ok=True)


def _sign_in(page: Any, base: str, path: str) -> None:
    page.goto(f"{base}{path}", wait_until="networkidle")
    assert urlsplit(page.url).path == "/signin"
    page.get_by_label("账户名").fill(NAME)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录 / Sign in").click()
    page.wait_for_url(f"{base}{path}", wait_until="networkidle")


def tab_to(page: Any, selector: str, limit: int = 150) -> None:
    """Press Tab until the element `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def submit(page: Any, key: str = "Enter") -> None:
    """Press `key` on the focused element, which sends the form: wait for the new page."""
    with page.expect_navigation(wait_until="networkidle"):
        page.keyboard.press(key)


def step(page: Any) -> str:
    return str(page.locator("input[name=step]").get_attribute("value"))


@pytest.mark.slow
def test_an_organizer_creates_a_regular_round_with_the_keyboard_alone(
        city_sqlite_url: str) -> None:
    _account(city_sqlite_url)
    with serving(city_sqlite_url) as server, chromium() as browser:
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900})
        page = watched.page
        _sign_in(page, server.base_url, "/rounds")
        assert page.get_by_role("link", name="巡察轮次 Rounds").get_attribute(
            "aria-current") == "page"
        tab_to(page, 'a[href="/rounds/new"]')
        submit(page)
        assert step(page) == "basics"

        # basics: type each field; Enter in a field goes on (the kind stays 常规)
        for selector, text in (("#key", "R2027 K1"), ("#name", "云川市委2027年第一轮巡察 𠮷"),
                               ("#start", "2027-03-01"), ("#end", "2027/04/30")):
            tab_to(page, selector)
            page.keyboard.type(text)
        submit(page)
        # two mistakes: the summary has the focus, its links lead to the fields
        assert page.evaluate("document.activeElement.className") == "error-summary"
        summary = page.get_by_role("alert").inner_text()
        assert "轮次编号须为1–64个字母" in summary and "你是否要写 2027-04-30" in summary
        assert page.locator("#end").input_value() == "2027/04/30"  # as typed
        page.screenshot(path=str(SHOTS / "web-rounds-errors.png"), full_page=True)
        tab_to(page, ".error-summary a[href='#key']")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "key"
        page.keyboard.press("Tab")
        page.keyboard.press("Shift+Tab")  # back into the field: its text selected
        page.keyboard.type("R2027-K1")
        tab_to(page, "#end")
        page.keyboard.type("2027-04-30")
        submit(page)
        assert step(page) == "targets", page.get_by_role("alert").all_inner_texts()

        # targets: the search answers as one types; a result's button adds it as a team
        tab_to(page, "#unit-q")
        page.keyboard.type("公安局")
        page.get_by_role("button", name="作为新组 云川市公安局 / new team").wait_for()
        found = page.locator("#unit-results .round-search__name").all_inner_texts()
        assert "云川市公安局" in found and "东溪区公安局" in found
        page.keyboard.press("Enter")  # Enter in the search searches, never goes on
        page.wait_for_timeout(500)
        assert step(page) == "targets"
        page.screenshot(path=str(SHOTS / "web-rounds-targets.png"), full_page=True)
        save_screenshot(page, "round-wizard.png", full_page=True)
        tab_to(page, 'button[name=add][value="U00003"]')
        submit(page)
        assert page.locator("#teams").input_value() == "U00003"
        tab_to(page, "#teams")  # typed before the unit picked: a second line (一托二)
        page.keyboard.type("云川市教育局、云川市第一中学")
        page.keyboard.press("Enter")
        assert page.locator("#teams").input_value() == "云川市教育局、云川市第一中学\nU00003"
        tab_to(page, 'button[value=next]:not(.visually-hidden)')
        submit(page)
        assert step(page) == "requirements", page.locator(".error-summary").all_inner_texts()

        # requirements: skills by Chinese name; team 2 of its own (a summary opened by Space)
        for selector, text in (("#skill_finance", "1"), ("#skill_audit", "1")):
            tab_to(page, selector)
            page.keyboard.type(text)
        tab_to(page, "details.round-team:nth-of-type(2) summary")
        page.keyboard.press("Space")
        tab_to(page, "#t1_size_min")
        page.keyboard.type("6")
        tab_to(page, "#t1_size_max")
        page.keyboard.type("8")
        page.screenshot(path=str(SHOTS / "web-rounds-requirements.png"), full_page=True)
        tab_to(page, 'button[value=next]:not(.visually-hidden)')
        submit(page, "Space")
        assert step(page) == "check"

        # check your answers, then create
        plan = page.locator("table.round-plan").inner_text()
        assert "云川市公安局（U00003）" in plan and "云川市第一中学（U00012）" in plan
        assert "财务 finance × 1" in plan and "6–8" in plan
        page.screenshot(path=str(SHOTS / "web-rounds-check.png"), full_page=True)
        tab_to(page, "button[value=create]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/rounds/R2027-K1?created=1",
                          wait_until="networkidle")
        assert page.get_by_role("status").inner_text().startswith("轮次已建立")
        assert page.get_by_role("heading", level=1).inner_text().startswith(
            "云川市委2027年第一轮巡察 𠮷")
        assert page.get_by_role("link", name="抽取仪式 The draw ceremony").is_visible()
        page.screenshot(path=str(SHOTS / "web-rounds-round.png"), full_page=True)

        assert watched.outside == [], f"requests beyond the app: {watched.outside}"
        # the step with mistakes is answered 400, which Chromium logs as a failed load
        assert [p for p in watched.problems if "status of 400" not in p] == [], \
            watched.problems


@pytest.mark.slow
def test_an_organizer_creates_a_cross_inspection_round(city_sqlite_url: str) -> None:
    _account(city_sqlite_url)
    with serving(city_sqlite_url) as server, chromium() as browser:
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900})
        page = watched.page
        _sign_in(page, server.base_url, "/rounds/new")
        page.get_by_label("轮次编号").fill("X2027-B1")
        page.get_by_label("轮次名称").fill("云川市2027年第一轮交叉巡察")
        page.get_by_label("交叉巡察 cross-inspection").check()
        page.get_by_label("开始日期").fill("2027-03-01")
        page.get_by_label("结束日期").fill("2027-04-15")
        page.get_by_role("button", name="继续 / Continue").click()
        page.wait_for_load_state("networkidle")
        assert step(page) == "targets"

        # one group only: the service's own words, at the top and beside the groups
        page.locator("#targets_320102").fill("东溪区公安局、东溪区教育局")
        page.get_by_role("button", name="继续 / Continue").click()
        page.wait_for_load_state("networkidle")
        assert "至少2项" in page.get_by_role("alert").inner_text()
        assert page.locator("#targets_320102").input_value() == "东溪区公安局、东溪区教育局"

        # a unit found by name joins its own county's group
        page.get_by_label("按名称查找单位").fill("青岚区公安")
        page.get_by_role("button", name="加入青岚区分组 青岚区公安局 / add").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#targets_320103").input_value() == "U00070"
        page.locator("#targets_320104").fill("鹭洲区公安局")
        page.get_by_role("button", name="继续 / Continue").click()
        page.wait_for_load_state("networkidle")
        assert step(page) == "requirements"
        page.locator("#skill_finance").fill("1")
        page.get_by_role("button", name="继续 / Continue").click()
        page.wait_for_load_state("networkidle")
        assert step(page) == "check"
        groups = page.locator("table.round-plan").inner_text()
        assert "东溪区公安局（U00052）、东溪区教育局（U00053）" in groups
        assert "青岚区公安局（U00070）" in groups
        page.screenshot(path=str(SHOTS / "web-rounds-cross-check.png"), full_page=True)
        page.get_by_role("button", name="建立轮次 / Create the round").click()
        page.wait_for_url(f"{server.base_url}/rounds/X2027-B1?created=1",
                          wait_until="networkidle")
        assert "鹭洲区公安局（U00086）" in page.locator("table.round-plan").inner_text()
        page.screenshot(path=str(SHOTS / "web-rounds-cross.png"), full_page=True)

        page.get_by_role("link", name="巡察轮次 Rounds", exact=True).click()
        page.wait_for_load_state("networkidle")
        row = page.get_by_role("row").filter(has_text="X2027-B1")
        assert "交叉" in row.inner_text() and "已建，待抽取" in row.inner_text()
        page.screenshot(path=str(SHOTS / "web-rounds-list.png"), full_page=True)

        assert watched.outside == [], f"requests beyond the app: {watched.outside}"
        # the step with a problem is answered 400, which Chromium logs as a failed load
        assert [p for p in watched.problems if "status of 400" not in p] == [], \
            watched.problems
