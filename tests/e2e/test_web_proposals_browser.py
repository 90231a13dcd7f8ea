"""One journey through proposal review in a real browser: a round drawn in a ceremony, a
real `xuncha serve`, headless Chromium with every request off 127.0.0.1 aborted and
recorded. The organizer opens the proposal, asks for the ranked replacements of a member
(htmx), swaps in the best one with a reason; the approver, in a second browser context,
approves it with a note; the sealed list is printed (print media, A4 PDF). Screenshots go
to $XUNCHA_TEST_SHOTS/xuncha-shots/web-proposal-*.png, and proposal-review.png and
print-sealed-list.png under $XUNCHA_SCREENSHOTS."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any
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
REASON = "本人患病住院，经组织同意调整"


def _drawn_round(url: str) -> tuple[int, dict[str, Any]]:
    with running_api(url) as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": ROUND, "region": "320100"})
        assert made.status_code == 201, made.text
        held = ceremony.hold(api, ROUND["key"])
        assert held.proposal is not None
    engine = make_engine(url)
    with transaction(engine) as session:
        for name, role in (("王组织𠮷", Role.organizer), ("李审批", Role.approver)):
            create_user(session, name=name, password=PASSWORD, role=role, scope=None,
                        actor="tests", now=audit.utcnow())
    engine.dispose()
    return int(held.proposal["id"]), held.proposal


def _sign_in(page: Any, name: str) -> None:
    page.get_by_label("账户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录 / Sign in").click()


@pytest.mark.slow
def test_replace_a_member_approve_in_another_context_and_print(city_sqlite_url: str) -> None:
    pid, proposal = _drawn_round(city_sqlite_url)
    team = proposal["teams"][0]
    leaving = next(x for x in team["members"] if x["role"] == "member")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        base = f"{server.base_url}/proposals/{pid}"
        org = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900})
        page = org.page
        page.goto(base, wait_until="networkidle")
        assert urlsplit(page.url).path == "/signin"  # and back to the proposal after
        _sign_in(page, "王组织𠮷")
        page.wait_for_url(base, wait_until="networkidle")
        assert page.get_by_role("heading", name=f"方案 {pid} Proposal {pid}").is_visible()
        first = page.locator("#team-1")
        assert "✓" in first.locator(".proposal-checks").inner_text()

        # the ranked suggestions come into the row below the member (htmx)
        page.get_by_role("link", name=f"替换 Replace {leaving['name']}").click()
        suggestions = page.locator(f"#replace-1-{leaving['key']} .replacements")
        suggestions.wait_for()
        assert "符合全部硬性规则" in suggestions.inner_text()
        assert urlsplit(page.url).path == f"/proposals/{pid}"  # still the review page
        options = suggestions.get_by_role("radio")
        assert options.count() >= 1
        best = options.first
        chosen = best.get_attribute("value")
        assert chosen and chosen != leaving["key"]
        # a swap without a reason is refused on the form, nothing changed
        best.check()
        suggestions.get_by_role("button", name="确认对调 / Swap").click()
        page.wait_for_load_state("networkidle")
        summary = page.get_by_role("alert").first
        assert "请写明调整理由" in summary.inner_text()
        again = page.locator(f"#replace-1-{leaving['key']} .replacements")
        assert again.get_by_role("radio", checked=True).get_attribute("value") == chosen
        again.get_by_label("对调理由（必填）").fill(REASON)
        again.get_by_role("button", name="确认对调 / Swap").click()
        page.wait_for_url(re.compile(r"done=change"), wait_until="networkidle")
        assert "调整已保存" in page.get_by_role("status").first.inner_text()
        row = page.locator("#team-1 tr.proposal-member--by-hand")
        assert row.count() == 1
        text = row.inner_text()
        assert chosen in text and REASON in text and "王组织𠮷" in text
        assert leaving["key"] not in page.locator("#team-1").inner_text()
        page.screenshot(path=str(SHOTS / "web-proposal-review.png"), full_page=True)
        save_screenshot(page, "proposal-review.png")

        # the approver, in a second browser context (its own cookies), approves
        appr = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900})
        second = appr.page
        second.goto(base, wait_until="networkidle")
        _sign_in(second, "李审批")
        second.wait_for_url(base, wait_until="networkidle")
        assert second.get_by_text("可以批准。").is_visible()
        second.get_by_label("批准意见").fill("经巡察工作领导小组研究同意")
        second.get_by_role("button", name="批准方案 / Approve").click()
        second.wait_for_url(re.compile(r"done=approved"), wait_until="networkidle")
        assert "方案已批准" in second.get_by_role("status").first.inner_text()
        assert "已由 李审批 于" in second.locator("#approve").inner_text()

        # the sealed list, as printed
        page.get_by_role("link", name="打印：抽取结果 Print: Draw result (sealed list)").click()
        page.wait_for_url(f"{base}/print/sealed-list", wait_until="networkidle")
        assert page.get_by_role("button", name="打印 / Print").is_visible()
        page.emulate_media(media="print")
        assert not page.get_by_role("button", name="打印 / Print").is_visible()
        assert page.get_by_role("heading", name=re.compile("抽取结果")).is_visible()
        printed = page.locator(".print-doc").inner_text()
        assert chosen in printed and "李审批" in printed and "签字" in printed
        page.screenshot(path=str(SHOTS / "web-proposal-print-sealed-list.png"), full_page=True)
        save_screenshot(page, "print-sealed-list.png", full_page=True)
        pdf = SHOTS / "web-proposal-sealed-list.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
        assert pages == len(proposal["teams"]) + 1, pages  # a page per team, then provenance

        assert org.outside == [] and appr.outside == [], (org.outside, appr.outside)
        # the one refused form (400: no reason given) is the only failed load
        assert [p for p in org.problems if "status of 400" not in p] == [], org.problems
        assert len(org.problems) <= 1 and appr.problems == [], (org.problems, appr.problems)
