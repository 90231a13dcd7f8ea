"""The interactive API docs at /docs: Swagger UI from the app's own vendored assets
(`service/web/static/vendor`, nothing from a CDN), under a content policy that allows
those assets and the page's one inline script, named by its hash. ReDoc is not served."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
SWAGGER_UI = "/static/vendor/swagger-ui"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_policy(html: str) -> str:
    """Only this app's scripts, styles, images and API; the inline scripts of `html` by
    their sha256; no frames, no plugins, no form posts elsewhere."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html))
    return ("default-src 'none'; "
            f"script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def install_docs(app: FastAPI) -> None:
    """GET /docs (the app must be built with `docs_url=None`, and serve `STATIC_DIR` at
    /static)."""

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} — 接口文档 / API docs",
            swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{root}{SWAGGER_UI}/favicon-32x32.png",
            # no badge calling the online validator (swagger.io)
            swagger_ui_parameters={"validatorUrl": None})
        html = bytes(page.body).decode()
        page.headers["Content-Security-Policy"] = content_policy(html)
        page.headers["Cache-Control"] = "no-store"
        return page
