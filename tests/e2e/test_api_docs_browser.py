"""/docs in a real browser with no internet, as on the intranet: a real `xuncha serve` on
loopback, headless Chromium with every request off 127.0.0.1 aborted; the page must list
the API's operations, ask nothing of any other host, and break no content-policy rule."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.e2e.browser import chromium, watched_page
from tests.e2e.serve_process import serving

SHOTS = Path(os.environ.get("XUNCHA_TEST_SHOTS", tempfile.gettempdir())) / "xuncha-shots"


@pytest.mark.slow
def test_the_docs_page_works_offline(sqlite_url: str) -> None:
    with serving(sqlite_url) as server, chromium() as browser:
        watched = watched_page(browser, locale="zh-CN", viewport={"width": 1280, "height": 900})
        page, outside, problems = watched.page, watched.outside, watched.problems
        page.goto(f"{server.base_url}/docs", wait_until="networkidle")

        operations = page.locator(".opblock")
        operations.first.wait_for(state="visible", timeout=15_000)
        assert operations.count() > 20, operations.count()
        assert page.get_by_text("/v1/imports").first.is_visible()
        assert page.get_by_text("xuncha 巡察").first.is_visible()
        page.locator(".opblock-summary").first.click()  # an operation opens
        page.locator(".opblock-body").first.wait_for(state="visible", timeout=5_000)

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "api-docs.png"), full_page=False)
        assert outside == [], f"requests beyond the loopback: {outside}"
        assert problems == [], f"errors in the page (content policy?): {problems}"
