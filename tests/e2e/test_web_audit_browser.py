"""An auditor reads the audit log in a real browser: a round drawn in a ceremony and
approved, a real `xuncha serve`, headless Chromium with every request off 127.0.0.1
aborted and recorded. Sign in → the log → filter by kind (htmx refreshes the table) →
open an event's details → verify the chain → replay the proposal. Screenshots go to
$XUNCHA_TEST_SHOTS/xuncha-shots/web-audit-*.png."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

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


def _approved_round(url: str) -> int:
    with running_api(url) as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": ROUND, "region": "320100"})
        assert made.status_code == 201, made.text
        held = ceremony.hold(api, ROUND["key"])
        assert held.proposal is not None
        pid = int(held.proposal["id"])
        ok = api.post(f"/v1/proposals/{pid}/approve", "approver",
                      json={"note": "经巡察工作领导小组研究同意"})
        assert ok.status_code == 200, ok.text
    engine = make_engine(url)
    with transaction(engine) as session:
        create_user(session, name="审计员𠮷", password=PASSWORD, role=Role.auditor, scope=None,
                    actor="tests", now=audit.utcnow())
    engine.dispose()
    return pid


@pytest.mark.slow
def test_an_auditor_filters_the_log_verifies_the_chain_and_replays(
        city_sqlite_url: str) -> None:
    pid = _approved_round(city_sqlite_url)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900})
        page, outside, problems = watched.page, watched.outside, watched.problems

        page.goto(f"{server.base_url}/audit", wait_until="networkidle")
        assert urlsplit(page.url).path == "/signin"  # and back to the log after signing in
        page.get_by_label("账户名").fill("审计员𠮷")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录 / Sign in").click()
        page.wait_for_url(f"{server.base_url}/audit", wait_until="networkidle")
        assert page.get_by_role("heading", name="审计日志 Audit log").is_visible()
        page.screenshot(path=str(SHOTS / "web-audit-log.png"), full_page=True)
        save_screenshot(page, "audit-log.png")

        # filter by kind: htmx replaces the table only, and the address follows
        page.get_by_label("事件类型").select_option("proposal.approve")
        page.get_by_role("button", name="筛选 / Filter").click()
        page.wait_for_url("**/audit?kind=proposal.approve**", wait_until="networkidle")
        table = page.locator("#audit-results tbody tr")
        assert table.count() == 1
        assert "批准方案" in table.first.inner_text()
        # the details toggle: the event's data as a definition list, no script needed
        table.first.get_by_text("详情").click()
        details = table.first.locator("dl")
        assert details.is_visible()
        assert "经巡察工作领导小组研究同意" in details.inner_text()
        link = table.first.get_by_role("link", name=str(pid))
        assert link.get_attribute("href") == f"/audit/proposals/{pid}/replay"
        page.screenshot(path=str(SHOTS / "web-audit-filtered.png"), full_page=True)

        # verify the chain
        page.get_by_role("link", name="校验哈希链与检查点").click()
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name="校验哈希链 / Verify the chain").click()
        page.wait_for_load_state("networkidle")
        result = page.get_by_role("status")
        assert "校验通过" in result.inner_text() and "链头哈希" in result.inner_text()
        page.screenshot(path=str(SHOTS / "web-audit-verify.png"), full_page=True)

        # replay the approved proposal: progress polled, then the four comparisons
        page.goto(f"{server.base_url}/audit/proposals/{pid}/replay", wait_until="networkidle")
        page.get_by_role("button", name="开始复算 / Replay").click()
        page.get_by_text("四项比较全部一致").wait_for(timeout=180_000)
        assert page.locator(".replay-table tbody tr").count() == 4
        page.screenshot(path=str(SHOTS / "web-audit-replay.png"), full_page=True)
        save_screenshot(page, "audit-replay.png")

        assert outside == [], f"requests beyond the app: {outside}"
        assert problems == [], problems
