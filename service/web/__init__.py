"""The workbench: server-rendered pages (Jinja2, vendored htmx) over the same service
functions as the API. One router per area (`auth`, `main`); every non-GET route passes
the CSRF check of `service.web.session`; browsers get HTML error pages outside /v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from service.web import (
    audit,
    audit_replay,
    auth,
    departures,
    draws,
    main,
    overview,
    pool,
    proposals,
    recusals,
    rounds,
)
from service.web.pages import install_error_pages
from service.web.session import check_csrf


def install_web(app: FastAPI) -> None:
    """Mount the pages on `app` (after `service.errors.install_handlers`)."""
    pages = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
    for area in (auth, main, overview, pool, recusals, audit, audit_replay, rounds,
                 draws, proposals, departures):
        pages.include_router(area.router)
    app.include_router(pages)
    install_error_pages(app)
