"""The proposal page shows each team's checking groups (检查小组) with their members, in a
real browser (headless Chromium, a real `xuncha serve`); the screenshot is
$XUNCHA_TEST_SHOTS/xuncha-shots/web-proposal-groups.png."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.auth import Role
from tests.e2e import ceremony
from tests.e2e.api_client import running_api
from tests.e2e.browser import chromium, watched_page
from tests.e2e.serve_process import serving
from tests.e2e.test_api_groups import PLAN

SHOTS = Path(os.environ.get("XUNCHA_TEST_SHOTS", tempfile.gettempdir())) / "xuncha-shots"
PASSWORD = "明察秋毫 𠮷 2026"


@pytest.mark.slow
def test_the_proposal_page_lists_each_teams_groups(city_sqlite_url: str) -> None:
    with running_api(city_sqlite_url) as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": PLAN, "region": None})
        assert made.status_code == 201, made.text
        proposal = ceremony.hold(api, PLAN["key"]).proposal
        assert proposal is not None
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        create_user(session, name="王组织", password=PASSWORD, role=Role.organizer, scope=None,
                    actor="tests", now=audit.utcnow())
    engine.dispose()
    first = proposal["teams"][0]
    names = {x["key"]: x["name"] for x in first["members"]}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        base = f"{server.base_url}/proposals/{proposal['id']}"
        page = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900}).page
        page.goto(base, wait_until="networkidle")
        page.get_by_label("账户名").fill("王组织")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录 / Sign in").click()
        page.wait_for_url(base, wait_until="networkidle")
        groups = page.get_by_role("list", name="检查小组 Checking groups").first
        items = groups.get_by_role("listitem")
        assert items.count() == 3
        for item, g in zip(items.all(), first["groups"], strict=True):
            text = item.inner_text()
            assert g["name"] in text and all(names[k] in text for k in g["members"])
        assert "检查小组：" in page.locator("#team-1 .proposal-checks").inner_text()
        page.locator("#team-1").screenshot(path=str(SHOTS / "web-proposal-groups.png"))
        # the round's page shows the groups the plan defines and how each team is split
        page.goto(f"{server.base_url}/rounds/{PLAN['key']}", wait_until="networkidle")
        summary = page.get_by_text("第1组：党建人事、财务审计、行政执法")
        assert summary.is_visible()
        assert page.get_by_text("行政执法（law_enforcement）：行政执法 law_enforcement").count()
