"""Workbench pages on the sample city (`./dev bench web`): server time and browser load.

The sample city is imported into a fresh SQLite file (or, with `--store postgres`, a fresh
PostgreSQL database `xuncha_bench_<rand>`, dropped afterwards), an unscoped organizer
account is made, and a real `xuncha serve` (uvicorn, one process) is started on a free
loopback port (`tests/e2e/serve_process.py`). Pages that need an object first get it
through the API (the proposal review: a trial draw of `sample_data/rounds/2026-4.yaml`).

* **server time**: `--requests` sequential GETs of each page by one signed-in
  `httpx.Client` (keep-alive, loopback), after two warm-up requests per page (the first
  builds the pool's conflict index and screening, cached per pool revision); the latency
  is the request's wall time at the client, so it includes the loopback round trip.
* **browser**: headless Chromium (Playwright driving the system's chromium, as the browser
  tests do), signed in once, then `--loads` navigations per page (after one warm-up load),
  each `page.goto(url, wait_until="load")` timed around the call; the Navigation Timing
  entry gives `domInteractive` and `loadEventEnd` beside it. Static files are revalidated
  from the browser's cache after the first load (`Cache-Control: no-store` is on pages
  only). `networkidle` is not used: it adds a fixed 500 ms quiet period.

The pages are the one table `PAGES`: a page to add is a line there (with a setup in
`SETUPS` when its address needs an object made first).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.api import import_city, quantile
from bench.import_bench import _drop_postgres, _fresh_postgres
from pool.db import make_engine, transaction
from tests.e2e.serve_process import Server, serving

ACCOUNT, PASSWORD = "基准测试员", "bench 𠮷 password 2026"
TARGET_SERVER_P95_MS, TARGET_BROWSER_P95_MS = 300.0, 1000.0
# 邱璧璐 (P00000045): her husband works at 云川市农业技术推广中心 (U00037), so the check
# draws an evidence graph (the same pair as tests/e2e/test_web_recusals.py)
CADRE, UNIT, AS_OF = "P00000045", "U00037", "2026-11-01"


@dataclass(frozen=True)
class PageCase:
    name: str
    path: str  # `{proposal}` and the like are filled in by the setup named in `needs`
    needs: str | None = None


PAGES = [
    PageCase("pool list, all 1,200 cadres (page 1 of 24)", "/pool"),
    PageCase("pool list, filtered (财务 finance + 组长库 leader pool)",
             "/pool?skill=finance&flag=leader_pool"),
    PageCase("pool list, filtered by text (王)", "/pool?q=%E7%8E%8B"),
    PageCase("cadre page (邱璧璐)", f"/pool/cadres/{CADRE}"),
    PageCase("recusal check with its evidence graph",
             f"/recusals?cadre={CADRE}&units={UNIT}&as_of={AS_OF}"),
    PageCase("overview (counts, 3 charts)", "/overview"),
    PageCase("proposal review (a trial of 2026-4.yaml)", "/proposals/{proposal}",
             needs="proposal"),
]


@dataclass
class Measured:
    page: PageCase
    url: str | None  # None: skipped
    why_skipped: str = ""
    server: list[float] = field(default_factory=list)  # seconds
    load: list[float] = field(default_factory=list)  # goto(..., "load") wall seconds
    interactive: list[float] = field(default_factory=list)  # domInteractive, ms
    load_event: list[float] = field(default_factory=list)  # loadEventEnd, ms
    bytes: int = 0


# -- setups: objects some pages need -------------------------------------------------------

def _has_page(path: str) -> bool:
    """Whether the workbench (not the API under /v1) has a GET route `path`: a page
    still being built may not."""
    from fastapi import FastAPI

    from service.errors import install_handlers
    from service.web import install_web

    app = FastAPI()
    install_handlers(app)
    install_web(app)

    def routes(found: list[Any]) -> Iterator[Any]:
        for route in found:
            inner = getattr(route, "original_router", None)  # FastAPI ≥ 0.16x nests them
            if inner is not None:
                yield from routes(inner.routes)
            else:
                yield route

    return any(getattr(r, "path", None) == path and "GET" in (getattr(r, "methods", None) or ())
               for r in routes(app.routes))


def trial_proposal(server: Server, token: str) -> dict[str, str] | str:
    """A trial draw of the sample round through the API; its proposal id, or why not."""
    if not _has_page("/proposals/{proposal_id}"):
        return "no proposal review page in this checkout"
    from bench.assembly_bench import CITY_ROUND
    from service.rounds import read_round_file

    plan = read_round_file(CITY_ROUND).model_dump(mode="json", exclude_unset=True)
    key = f"{plan['key']}-WEB"
    with httpx.Client(base_url=server.base_url, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as api:
        made = api.post("/v1/rounds", json={"plan": plan | {"key": key}})
        if made.status_code != 201:
            return f"round not created: {made.status_code} {made.text[:200]}"
        queued = api.post(f"/v1/rounds/{key}/proposals", json={"seed": 7})
        if queued.status_code != 202:
            return f"trial not queued: {queued.status_code} {queued.text[:200]}"
        deadline = time.monotonic() + 300
        while (job := api.get(f"/v1/jobs/{queued.json()['job_id']}").json())["status"] \
                not in ("succeeded", "failed", "cancelled"):
            if time.monotonic() > deadline:
                return "trial draw still running after 300 s"
            time.sleep(0.2)
    if job["status"] != "succeeded":
        return f"trial draw {job['status']}: {str(job.get('error'))[:200]}"
    return {"proposal": str(job["result"]["proposal_id"])}


SETUPS: dict[str, Callable[[Server, str], dict[str, str] | str]] = {
    "proposal": trial_proposal,
}


# -- measuring -------------------------------------------------------------------------------

def make_account(url: str) -> None:
    from service import audit
    from service.accounts import create_user
    from service.auth import Role

    engine = make_engine(url)
    with transaction(engine) as session:
        create_user(session, name=ACCOUNT, password=PASSWORD, role=Role.organizer,
                    scope=None, actor="bench", now=audit.utcnow())
    engine.dispose()


def sign_in(http: httpx.Client) -> None:
    form = http.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no sign-in form")
    done = http.post("/signin", data={"name": ACCOUNT, "password": PASSWORD,
                                      "csrf_token": token.group(1)})
    if done.status_code != 303:
        raise RuntimeError(f"sign-in failed: {done.status_code}")


def server_times(server: Server, cases: list[Measured], requests: int) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60, follow_redirects=False,
                      headers={"Accept": "text/html"}) as http:
        sign_in(http)
        for case in cases:
            if case.url is None:
                continue
            for i in range(2 + requests):
                started = time.perf_counter()
                answer = http.get(case.url)
                elapsed = time.perf_counter() - started
                if answer.status_code != 200:
                    raise RuntimeError(f"{case.url}: {answer.status_code} {answer.text[:300]}")
                if i >= 2:
                    case.server.append(elapsed)
                case.bytes = len(answer.content)


NAVIGATION = """() => { const n = performance.getEntriesByType("navigation")[0];
  return [n.domInteractive, n.loadEventEnd]; }"""


def chromium_path() -> str:
    found = os.environ.get("XUNCHA_CHROMIUM") or next(
        (p for name in ("chromium", "chromium-browser", "google-chrome")
         if (p := shutil.which(name))), None)
    if found is None:
        raise RuntimeError("no chromium found (apt-get install chromium fonts-noto-cjk)")
    return found


def browser_times(server: Server, cases: list[Measured], loads: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            page = browser.new_page(locale="zh-CN", viewport={"width": 1200, "height": 900})
            outside: list[str] = []

            def only_loopback(route: Any) -> None:
                if route.request.url.startswith(server.base_url):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_loopback)
            page.goto(f"{server.base_url}/signin", wait_until="load")
            page.get_by_label("账户名").fill(ACCOUNT)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录 / Sign in").click()
            page.wait_for_url(f"{server.base_url}/", wait_until="load")
            for case in cases:
                if case.url is None:
                    continue
                for i in range(1 + loads):
                    started = time.perf_counter()
                    answer = page.goto(server.base_url + case.url, wait_until="load")
                    elapsed = time.perf_counter() - started
                    if answer is None or answer.status != 200:
                        raise RuntimeError(f"{case.url}: browser got "
                                           f"{answer.status if answer else 'nothing'}")
                    interactive, loaded = page.evaluate(NAVIGATION)
                    if i >= 1:
                        case.load.append(elapsed)
                        case.interactive.append(float(interactive))
                        case.load_event.append(float(loaded))
            if outside:
                raise RuntimeError(f"pages asked for files outside the app: {outside[:5]}")
        finally:
            browser.close()


def measure(url: str, args: Any) -> list[Measured]:
    token = import_city(url)
    make_account(url)
    with serving(url) as server:
        made: dict[str, dict[str, str] | str] = {}
        cases = []
        for page in PAGES:
            if page.needs and page.needs not in made:
                made[page.needs] = SETUPS[page.needs](server, token)
            values = made.get(page.needs) if page.needs else {}
            if isinstance(values, str):
                cases.append(Measured(page, None, values))
            else:
                cases.append(Measured(page, page.path.format(**(values or {}))))
        server_times(server, cases, args.requests)
        if not args.no_browser:
            browser_times(server, cases, args.loads)
    return cases


def run(args: Any) -> None:
    results: dict[str, list[Measured]] = {}
    stores = args.store or ["sqlite"]
    if "sqlite" in stores:
        with tempfile.TemporaryDirectory(prefix="xuncha-bench-web-") as tmp:
            results["SQLite"] = measure(f"sqlite:///{Path(tmp) / 'city.sqlite3'}", args)
    if "postgres" in stores:
        url, name = _fresh_postgres(args.postgres_admin_url)
        try:
            results["PostgreSQL"] = measure(url, args)
        finally:
            _drop_postgres(args.postgres_admin_url, name)
    print_table(results, args)


def print_table(results: dict[str, list[Measured]], args: Any) -> None:
    import platform

    import psutil
    from rich.console import Console
    from rich.table import Table

    load1, _, _ = psutil.getloadavg()
    table = Table(title=f"workbench pages · sample city · xuncha serve (1 process) on loopback · "
                        f"server: {args.requests} sequential requests, browser: "
                        f"{args.loads} loads per page · "
                        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
                        f" · load average {load1:.1f} at the end")
    for col in ("store", "page", "KiB", "server p50 ms", "server p95 ms",
                "load p50 ms", "load p95 ms", "DOM interactive p50 ms", "load event p50 ms",
                "met"):
        table.add_column(col, justify="left" if col in ("store", "page") else "right")

    def ms(values: list[float], q: float, scale: float = 1000.0) -> str:
        return f"{quantile(values, q) * scale:.0f}" if values else "—"

    for store, cases in results.items():
        for c in cases:
            if c.url is None:
                table.add_row(store, c.page.name, "", "", "", "", "", "", "",
                              f"skipped: {c.why_skipped}")
                continue
            server_ok = quantile(c.server, 0.95) * 1000 <= TARGET_SERVER_P95_MS
            browser_ok = not c.load or quantile(c.load, 0.95) * 1000 <= TARGET_BROWSER_P95_MS
            table.add_row(store, c.page.name, f"{c.bytes / 1024:.0f}", ms(c.server, 0.5),
                          ms(c.server, 0.95), ms(c.load, 0.5), ms(c.load, 0.95),
                          ms(c.interactive, 0.5, 1.0), ms(c.load_event, 0.5, 1.0),
                          "yes" if server_ok and browser_ok else "NO")
    console = Console(width=170)
    console.print(table)
    console.print(f"targets: server p95 ≤ {TARGET_SERVER_P95_MS:g} ms, browser p95 ≤ "
                  f"{TARGET_BROWSER_P95_MS:g} ms to the load event. Server time is the "
                  "request's wall time at an httpx client on loopback (keep-alive). Load is "
                  "Playwright's page.goto(..., wait_until='load') timed around the call; DOM "
                  "interactive and load event are the page's Navigation Timing, from the "
                  "start of navigation.")
