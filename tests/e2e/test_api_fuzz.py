"""Property-based API fuzz: schemathesis generates requests for every operation of the
app's own OpenAPI (valid and invalid ones), sends them with an admin token to the app on
a fresh copy of the sample city (SQLite), and checks that nothing answers 5xx and that
every response is one the schema declares (status code, content type, headers, body).

Reproducible (`derandomize`), bounded (a few examples per operation and phase; the whole
run about two minutes). Jobs are queued but not run: the point is the HTTP surface."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, reject, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pool.db import make_engine, transaction
from service import audit
from service.app import create_app
from service.auth import Role, issue_token
from service.checkpoint import write_new_key
from service.settings import Settings
from tests.e2e.api_client import Api

# `negative_data_rejection` is left out: FastAPI ignores unknown query parameters and
# pydantic's lax mode coerces (0 → 1970-01-01, false → 0), which that check reports as
# accepted invalid data. Invalid requests are still generated, and must not be 5xx.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 60  # per operation in the generate phase; the whole run takes about 1.5 min
SCOPED_EXAMPLES = 15  # the same as a county organizer (403s and scope filters)
def openapi() -> dict[str, Any]:
    """The app's own OpenAPI; building it reads no database (the app connects only when
    its lifespan starts)."""
    return create_app(Settings(database_url="sqlite://", run_jobs=False)).openapi()


# Loaded at collection, so that each operation is a test of its own
# (`schemathesis.pytest.from_fixture` needs `Node._nodeid`, which pytest 9 removed).
schema = schemathesis.openapi.from_dict(openapi())


@pytest.fixture
def app_and_token(city_url: str, tmp_path: Path) -> tuple[Any, str]:
    """The app on a fresh copy of the sample city (SQLite and PostgreSQL), configured as
    in production (a checkpoint signing key), and an admin token for it."""
    engine = make_engine(city_url)
    with transaction(engine) as session:
        secret = issue_token(session, name="fuzz", role=Role.admin, scope=None,
                             created_by="tests", now=audit.utcnow()).secret
    engine.dispose()
    key = tmp_path / "checkpoint.pem"
    write_new_key(key)
    return create_app(Settings(database_url=city_url, run_jobs=False,
                               checkpoint_key=key)), secret


def whole_workbook(case: Any) -> bool:
    """An xlsx export takes 17–37 s on the sample city (reported): not fuzzed."""
    query = case.query or {}
    return bool(case.path == "/v1/exports" and query.get("format", "xlsx") == "xlsx")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_no_schema_violation(case: Any, app_and_token: tuple[Any, str]
                                                 ) -> None:
    if whole_workbook(case):
        reject()
    app, token = app_and_token
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                           checks=CHECKS)


def test_response_timestamps_carry_their_offset(sqlite_api: Api) -> None:
    """Service times are UTC; the pool's 记录时间 is Beijing wall-clock time (UTC+8)."""
    tie = sqlite_api.get("/v1/ties", params={"limit": 1}).json()["items"][0]
    event = sqlite_api.get("/v1/audit/events", params={"limit": 1}).json()["items"][0]
    recorded, at = (dt.datetime.fromisoformat(s) for s in (tie["recorded_at"], event["at"]))
    assert recorded.utcoffset() == dt.timedelta(hours=8)
    assert at.utcoffset() == dt.timedelta(0)


@pytest.fixture
def app_and_scoped_token(city_sqlite_url: str) -> tuple[Any, str]:
    """The app, and a county organizer's token: the 403 and scope paths get fuzzed too."""
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        secret = issue_token(session, name="fuzz-county", role=Role.organizer,
                             scope="320125", created_by="tests", now=audit.utcnow()).secret
    engine.dispose()
    return create_app(Settings(database_url=city_sqlite_url, run_jobs=False)), secret


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=SCOPED_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_a_scoped_organizer_meets_no_server_error_either(
        case: Any, app_and_scoped_token: tuple[Any, str]) -> None:
    if whole_workbook(case):
        reject()
    app, token = app_and_scoped_token
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                           checks=CHECKS)
