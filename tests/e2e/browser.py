"""Headless Chromium for the browser tests: Playwright (from PyPI) driving the system's
Chromium (Debian's `chromium`; no browser download). `XUNCHA_TEST_BROWSER` decides what
happens without one, as `XUNCHA_TEST_POSTGRES` does for PostgreSQL: `auto` (default) skips,
`required` (CI) fails, `off` always skips."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

MODE = os.environ.get("XUNCHA_TEST_BROWSER", "auto")
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def _unavailable(why: str) -> None:
    if MODE == "required":
        pytest.fail(f"a browser is required (XUNCHA_TEST_BROWSER=required): {why}")
    pytest.skip(why)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a Playwright `Browser`)."""
    if MODE == "off":
        pytest.skip("browser tests are off (XUNCHA_TEST_BROWSER=off)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    path = os.environ.get("XUNCHA_CHROMIUM") or next(
        (found for name in CANDIDATES if (found := shutil.which(name))), None)
    if path is None:
        _unavailable("no chromium found (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class WatchedPage:
    """A page whose every request outside this machine's loopback is refused and listed
    (`outside`: the workbench must work on an intranet without internet), and whose
    console errors and uncaught exceptions are listed (`problems`)."""

    page: Any
    outside: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def watched_page(browser: Any, **options: Any) -> WatchedPage:
    """A new page of `browser` (Playwright `new_page` options, e.g. locale, viewport)."""
    watched = WatchedPage(browser.new_page(**options))

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            watched.outside.append(route.request.url)
            route.abort()

    watched.page.route("**/*", only_loopback)
    watched.page.on("console", lambda m: watched.problems.append(m.text)
                    if m.type == "error" else None)
    watched.page.on("pageerror", lambda e: watched.problems.append(str(e)))
    return watched


SCREENSHOTS = os.environ.get("XUNCHA_SCREENSHOTS")  # a directory: keep the main pages' shots


def save_screenshot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Save `page` as `name` (e.g. "overview.png") in the directory `XUNCHA_SCREENSHOTS`
    names, when it is set (`./dev screenshots` sets it to docs/screenshots): the visible
    part of the page unless `full_page`. Otherwise nothing is written; tests take and look
    at their own screenshots either way."""
    if not SCREENSHOTS:
        return
    from pathlib import Path

    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=full_page)
