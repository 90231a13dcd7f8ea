"""The HTTP API (`xuncha serve`): one FastAPI app under `/v1`, built by `create_app` (no
engine, no thread and no logging set-up at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.staticfiles import StaticFiles

from pool.db import make_engine
from service.api import audit as audit_api
from service.api import departures as departures_api
from service.api import draws as draws_api
from service.api import jobs as jobs_api
from service.api import pool as pool_api
from service.api import proposals as proposals_api
from service.api import recusals as recusals_api
from service.api import rounds as rounds_api
from service.api import system as system_api
from service.api_docs import STATIC_DIR, install_docs
from service.draw_job import run_proposal_job
from service.errors import ERROR_RESPONSES, install_handlers, reject_nul
from service.headers import SecurityHeaders
from service.jobs import Worker
from service.limits import RequestLimits
from service.replay import run_replay
from service.settings import Settings, get_settings
from service.state import ServiceState
from service.web import install_web

DESCRIPTION = """巡察干部人才库与回避审查服务 API / the inspection-cadre pool and recusal API.

所有接口需 `Authorization: Bearer <令牌>`（`./dev xuncha token create` 生成）。错误返回
`{"error": {"code", "message", "zh", "en", "field"}}`。耗时操作（组队、交叉配对、大批量
审查、复算）返回 `202` 与任务编号，轮询 `/v1/jobs/{id}`。

Every call needs `Authorization: Bearer <token>` (from `./dev xuncha token create`). Errors come
as `{"error": {"code", "message", "zh", "en", "field"}}`. Long work (assembly, pairing,
large screenings, replays) answers `202` with a job id; poll `/v1/jobs/{id}`."""


JOB_HANDLERS = (run_proposal_job, run_replay)  # imported for their registration with `service.jobs`


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, echo=settings.echo_sql)
        state = ServiceState(settings, engine)
        worker = Worker(engine, settings.job_poll_seconds) if settings.run_jobs else None
        state.worker = worker
        app.state.xuncha = state
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            engine.dispose()

    app = FastAPI(title="xuncha 巡察", version="1", description=DESCRIPTION,
                  lifespan=lifespan, responses=ERROR_RESPONSES,
                  dependencies=[Depends(reject_nul)], docs_url=None, redoc_url=None)
    install_handlers(app)
    app.add_middleware(RequestLimits, settings=settings)
    app.add_middleware(SecurityHeaders)  # the outer one: refusals carry the headers too
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_docs(app)
    for module in (system_api, pool_api, recusals_api, rounds_api, draws_api, proposals_api,
                   departures_api, jobs_api, audit_api):
        app.include_router(module.router, prefix="/v1")
    install_web(app)  # the workbench's pages, and HTML error pages for browsers
    return app
