"""One journey in a real browser: a round drawn under probability caps in a ceremony, a
real `xuncha serve`, headless Chromium with every request off 127.0.0.1 aborted and
recorded. The organizer opens the proposal, reads what the caps promise and which team
set was drawn, and opens the distribution. Screenshots go to
$XUNCHA_TEST_SHOTS/xuncha-shots/web-proposal-caps*.png, and proposal-caps.png under
$XUNCHA_SCREENSHOTS."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.auth import Role
from tests.e2e import ceremony
from tests.e2e.api_client import running_api
from tests.e2e.browser import chromium, save_screenshot, watched_page
from tests.e2e.serve_process import serving
from tests.e2e.test_api_rounds import ROUND

SHOTS = Path(os.environ.get("XUNCHA_TEST_SHOTS", tempfile.gettempdir())) / "xuncha-shots"
PASSWORD = "明察秋毫 𠮷 2026"
CAPPED: dict[str, Any] = ROUND | {"cap": 0.2, "leader_cap": 0.1}


@pytest.mark.slow
def test_open_a_capped_proposal_and_its_distribution(city_sqlite_url: str) -> None:
    with running_api(city_sqlite_url) as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": CAPPED, "region": "320100"})
        assert made.status_code == 201, made.text
        held = ceremony.hold(api, CAPPED["key"])
        assert held.proposal is not None
    proposal = held.proposal
    capped = proposal["result"]["capped"]
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        create_user(session, name="王组织𠮷", password=PASSWORD, role=Role.organizer,
                    scope=None, actor="tests", now=audit.utcnow())
    engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        base = f"{server.base_url}/proposals/{proposal['id']}"
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900})
        page = watched.page
        page.goto(base, wait_until="networkidle")
        page.get_by_label("账户名").fill("王组织𠮷")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录 / Sign in").click()
        page.wait_for_url(base, wait_until="networkidle")

        caps = page.get_by_role("region", name="概率上限 Probability caps")
        assert caps.is_visible()
        text = caps.inner_text()
        assert "担任某一巡察组组长的概率不超过 10%" in text and "进组 20% · 任组长 10%" in text
        assert f"第 {capped['drawn']} 套" in text
        assert "容差不适用：按概率上限抽取" in page.locator("#proposal-tolerance").inner_text()

        # the distribution is folded away until asked for
        table = caps.get_by_role("table")
        assert not table.is_visible()
        caps.get_by_text(f"全部{capped['team_sets']}套组队方案及其概率").click()
        assert table.is_visible()
        drawn = table.locator("tr.proposal-caps__drawn")
        assert drawn.count() == 1 and "抽中" in drawn.inner_text()
        leader = next(x for t in proposal["teams"] for x in t["members"]
                      if x["role"] == "leader")
        assert leader["name"] in drawn.inner_text()
        assert table.locator("tbody tr").count() == capped["team_sets"]
        caps.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "web-proposal-caps.png"), full_page=True)
        page.evaluate("document.getElementById('caps').scrollIntoView()")
        save_screenshot(page, "proposal-caps.png")
        page.screenshot(path=str(SHOTS / "web-proposal-caps-view.png"))
        assert watched.outside == [] and watched.problems == [], (watched.outside,
                                                                  watched.problems)
