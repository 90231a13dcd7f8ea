"""The overview in a real browser, as an organizer opens it: an account made by `xuncha user
create`, a real `xuncha serve` on the sample city, headless Chromium with every request off
127.0.0.1 aborted and recorded. The organizer signs in, opens 概览 from the navigation,
sees the three charts drawn (Chart.js, vendored) beside their tables, and narrows the
participation window. Screenshots: $XUNCHA_TEST_SHOTS/xuncha-shots/web-overview*.png, and
overview.png where XUNCHA_SCREENSHOTS says."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.browser import chromium, save_screenshot, watched_page
from tests.e2e.serve_process import CLI, ROOT, serving

SHOTS = Path(os.environ.get("XUNCHA_TEST_SHOTS", tempfile.gettempdir())) / "xuncha-shots"
PASSWORD = "统筹兼顾 𠮷 2026"
CHARTS = ("skills", "participation", "recusals")

# pixels of a canvas that are not transparent: a drawn chart has thousands
INKED = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { inked += 1; } }
  return inked;
}"""


@pytest.mark.slow
def test_an_organizer_reads_the_overview_charts(city_sqlite_url: str) -> None:
    made = subprocess.run(
        [*CLI, "user", "create", "钱统计𠮷", "--role", "organizer", "--password-stdin",
         "--database-url", city_sqlite_url],
        cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1100, "height": 900})
        page = watched.page
        page.goto(f"{server.base_url}/", wait_until="networkidle")
        page.get_by_label("账户名").fill("钱统计𠮷")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录 / Sign in").click()
        page.wait_for_url(f"{server.base_url}/", wait_until="networkidle")
        page.get_by_role("navigation", name="主要栏目 / main sections").get_by_role(
            "link", name="概览 Overview").click()
        page.wait_for_url(f"{server.base_url}/overview", wait_until="networkidle")
        assert page.get_by_role("heading", level=1).inner_text() == "概览 Overview"

        def drawn() -> dict[str, int]:
            inked = {}
            for name in CHARTS:
                figure = page.locator(f'figure[data-chart="{name}"]')
                assert figure.get_attribute("data-drawn"), f"{name} was not drawn"
                canvas = figure.locator("canvas")
                box = canvas.bounding_box()
                assert box and box["width"] > 300 and box["height"] > 150, (name, box)
                inked[name] = int(canvas.evaluate(INKED))
            return inked

        inked = drawn()
        assert all(n > 2000 for n in inked.values()), inked
        # the numbers are in tables too, read by their headings
        assert page.get_by_role("table", name="各专业特长的干部数 Cadres per skill") \
            .get_by_role("row", name="财务 finance finance").is_visible()
        assert page.get_by_role("table", name="参加最多的干部 Cadres who served most") \
            .get_by_role("link").count() == 10
        assert page.get_by_role("img", name="各回避规则适用的干部与单位对数").count() == 1
        page.screenshot(path=str(SHOTS / "web-overview.png"), full_page=True)
        save_screenshot(page, "overview.png")

        # a shorter window: the form reloads the page with it, and the chart is drawn again
        spread = page.locator("#participation-table tbody").inner_text()
        page.get_by_label("统计最近几轮").select_option(label="最近 3 轮 last 3")
        page.get_by_role("button", name="更新 / Update").click()
        page.wait_for_load_state("networkidle")
        assert parse_qs(urlsplit(page.url).query)["rounds"] == ["3"]
        assert page.locator("#participation-table tbody").inner_text() != spread
        assert drawn()["participation"] > 2000
        page.screenshot(path=str(SHOTS / "web-overview-3-rounds.png"), full_page=True)

        assert watched.outside == [], f"requests beyond the app: {watched.outside}"
        assert watched.problems == [], watched.problems
