"""The recusal check in a real browser, as an organizer does it: an account made by `xuncha
user create`, a real `xuncha serve` on the sample city, headless Chromium with every
request off 127.0.0.1 aborted and recorded. The organizer types a cadre and a unit by
name, reads 须回避 with the rule and its basis, and sees the evidence drawn from the
cadre through her husband to the unit. Screenshots go to $XUNCHA_TEST_SHOTS."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.browser import chromium, save_screenshot, watched_page
from tests.e2e.serve_process import CLI, ROOT, serving
from tests.e2e.test_web_recusals import (
    AS_OF,
    CADRE,
    CADRE_KEY,
    RELATIVE,
    RELATIVE_KEY,
    UNIT,
    UNIT_KEY,
)

SHOTS = Path(os.environ.get("XUNCHA_TEST_SHOTS", tempfile.gettempdir())) / "xuncha-shots"
PASSWORD = "实事求是 𠮷 2026"


@pytest.mark.slow
def test_an_organizer_checks_a_cadre_with_a_relative_in_the_unit(city_sqlite_url: str) -> None:
    made = subprocess.run(
        [*CLI, "user", "create", "林晓𠮷", "--role", "organizer", "--password-stdin",
         "--database-url", city_sqlite_url],
        cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1100, "height": 900})
        page = watched.page
        page.goto(f"{server.base_url}/recusals", wait_until="networkidle")
        assert urlsplit(page.url).path == "/signin"  # and back here after signing in
        page.get_by_label("账户名").fill("林晓𠮷")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录 / Sign in").click()
        page.wait_for_url(f"{server.base_url}/recusals", wait_until="networkidle")
        assert page.get_by_role("link", name="回避审查 Recusals").is_visible()
        page.screenshot(path=str(SHOTS / "web-recusals-form.png"), full_page=True)

        # a mistyped unit first: the error summary says what to write, and links to it
        page.get_by_label("干部").fill(CADRE)
        page.get_by_label("被巡察单位").fill("云川市农业技术推广")
        page.get_by_label("审查日期").fill(AS_OF)
        page.get_by_role("button", name="审查 / Check").click()
        page.wait_for_load_state("networkidle")
        alert = page.get_by_role("alert")
        assert "没有单位编号或名称为“云川市农业技术推广”的单位" in alert.inner_text()
        page.screenshot(path=str(SHOTS / "web-recusals-error.png"), full_page=True)
        alert.get_by_role("link").click()
        assert page.evaluate("document.activeElement.id") == "units"

        page.get_by_label("被巡察单位").fill(UNIT)
        page.get_by_role("button", name="审查 / Check").click()
        page.wait_for_load_state("networkidle")
        query = parse_qs(urlsplit(page.url).query)  # a result has a URL to share
        assert query["cadre"] == [CADRE] and query["units"] == [UNIT]

        result = page.get_by_role("region", name=f"{CADRE} {CADRE_KEY} → {UNIT} {UNIT_KEY}")
        verdicts = result.get_by_role("table", name="各角色结论 Verdict per role")
        assert verdicts.get_by_role("row", name="组长 leader").inner_text().count("须回避") == 1
        assert "亲属任职回避" in result.inner_text()
        assert "《公务员法》第七十四条" in result.inner_text()
        graph = result.get_by_role("img", name="证据路径 evidence paths")
        assert graph.is_visible()
        keys = graph.locator("[data-key]").evaluate_all(
            "nodes => nodes.map(n => n.getAttribute('data-key'))")
        assert {CADRE_KEY, RELATIVE_KEY, UNIT_KEY} <= set(keys)
        assert RELATIVE in graph.inner_html() and "丈夫" in graph.inner_html()
        box = graph.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 40
        graph.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "web-recusals-result.png"), full_page=True)
        save_screenshot(page, "recusal-check.png")
        graph.screenshot(path=str(SHOTS / "web-recusals-graph.png"))

        assert watched.outside == [], "a page asked for something outside this machine"
        # the deliberate 400 of the mistyped unit is logged by Chromium as a failed load
        assert [p for p in watched.problems if "status of 400" not in p] == [], \
            watched.problems
