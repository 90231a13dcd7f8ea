"""One journey in a real browser (issue 15 item 1): a round in progress today, drawn in a
ceremony and served by a real `xuncha serve`; the organizer opens the proposal, records
that a member left (illness, today), and reads who took the seat by lot and the ticket,
in the result, the team and the departures section. Screenshots go to
$XUNCHA_TEST_SHOTS/xuncha-shots/web-departure-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.auth import Role
from service.ceremony import today_beijing
from tests.e2e import ceremony
from tests.e2e.api_client import running_api
from tests.e2e.browser import chromium, watched_page
from tests.e2e.serve_process import serving
from tests.e2e.test_api_rounds import ROUND
from tests.e2e.test_web_proposals_browser import PASSWORD, SHOTS, _sign_in


def _round_in_progress(url: str) -> dict[str, Any]:
    """The sample round, moved so that it runs today (a departure is recorded once it
    has happened, within the round)."""
    day = today_beijing()
    plan = ROUND | {"start": (day.replace(day=1)).isoformat(),
                    "end": f"{day.year + (day.month == 12)}-"
                           f"{day.month % 12 + 1:02d}-28",
                    "as_of": day.replace(day=1).isoformat()}
    with running_api(url) as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": plan, "region": "320100"})
        assert made.status_code == 201, made.text
        held = ceremony.hold(api, ROUND["key"])
        assert held.proposal is not None
    engine = make_engine(url)
    with transaction(engine) as session:
        create_user(session, name="王组织𠮷", password=PASSWORD, role=Role.organizer,
                    scope=None, actor="tests", now=audit.utcnow())
    engine.dispose()
    return held.proposal


@pytest.mark.slow
def test_record_a_departure_and_read_who_took_the_seat(city_sqlite_url: str) -> None:
    proposal = _round_in_progress(city_sqlite_url)
    pid = proposal["id"]
    leaving = next(x for x in proposal["teams"][0]["members"] if x["role"] == "member")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_sqlite_url) as server, chromium() as browser:
        base = f"{server.base_url}/proposals/{pid}"
        org = watched_page(browser, locale="zh-CN", viewport={"width": 1200, "height": 900})
        page = org.page
        page.goto(base, wait_until="networkidle")
        _sign_in(page, "王组织𠮷")
        page.wait_for_url(base, wait_until="networkidle")
        departures = page.locator("#departures")
        departures.get_by_text("记录离组 Record a departure").click()
        departures.get_by_label("离组成员").select_option(f"1:{leaving['key']}")
        departures.get_by_label("原因 Reason", exact=True).select_option("illness")
        departures.get_by_label("说明").fill("住院治疗，经组织同意")
        assert departures.get_by_label("离组日期").input_value() == today_beijing().isoformat()
        departures.screenshot(path=str(SHOTS / "web-departure-form.png"))
        departures.get_by_role("button", name="记录离组并抽签 / Record and draw").click()
        page.wait_for_url(re.compile(r"done=departure"), wait_until="networkidle")
        assert "离组已记录" in page.get_by_role("status").first.inner_text()
        result = page.locator(".proposal-departure-result").inner_text()
        assert leaving["name"] in result and "接替" in result and "签号" in result
        ticket = re.search(r"[0-9a-f]{64}", result)
        assert ticket
        team = page.locator("#team-1").inner_text()
        assert "离组后抽签替换" in team and ticket.group(0) in team
        assert leaving["key"] not in team
        table = page.locator(".proposal-departure-table").inner_text()
        assert "病休" in table and "住院治疗" in table and "王组织𠮷" in table
        departures.screenshot(path=str(SHOTS / "web-departure-result.png"))
        page.screenshot(path=str(SHOTS / "web-departure-page.png"), full_page=True)
        assert org.outside == [] and org.problems == [], (org.outside, org.problems)
