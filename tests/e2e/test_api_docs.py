"""The interactive API docs come from the app itself: /docs names no address outside the
app, its assets are served with their own types, the vendored files are the ones the
README lists, and the page's content policy allows exactly its own inline script."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api_docs import STATIC_DIR
from service.app import create_app
from service.settings import Settings

VENDOR = STATIC_DIR / "vendor"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url="sqlite://", run_jobs=False))) as c:
        yield c


def test_the_docs_page_names_nothing_outside_the_app(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.findall(r"(?:https?:)?//[\w.-]+", page.text), "an outside address"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3 and all(a.startswith("/static/vendor/swagger-ui/") for a in assets)
    types = {"js": "text/javascript", "css": "text/css", "png": "image/png"}
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200, asset
        assert r.headers["content-type"].startswith(types[asset.rsplit(".", 1)[1]])
        assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/openapi.json").json()["info"]["title"] == "xuncha 巡察"
    assert client.get("/redoc").status_code == 404  # not served (it would need a CDN)


def test_the_docs_policy_allows_only_the_app_and_its_one_inline_script(
        client: TestClient) -> None:
    page = client.get("/docs")
    policy = dict(p.strip().split(" ", 1) for p in
                  page.headers["content-security-policy"].split(";"))
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_the_vendored_files_are_the_ones_listed() -> None:
    readme = (VENDOR / "README.md").read_text()
    listed = dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.M))
    on_disk = {str(p.relative_to(VENDOR)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in VENDOR.rglob("*") if p.is_file() and p.name != "README.md"}
    assert listed == on_disk


def test_an_installed_package_carries_the_assets() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    data = re.search(r"^service = \[(.*?)\]$", pyproject, re.M)
    assert data is not None, "no package data for service in pyproject.toml"
    patterns = re.findall(r'"([^"]+)"', data.group(1))
    package = STATIC_DIR.parents[1]
    carried = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    assert carried >= {p for p in VENDOR.rglob("*") if p.is_file()}
