"""API fixtures: the sample city imported once per backend, copied for each test (a file
copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL), and a running app on it."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from pool.db import make_engine, transaction, upgrade
from service.imports import import_and_record
from tests.conftest import PG_ADMIN_URL, _admin_engine, _pg_ran
from tests.e2e.api_client import Api, running_api

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "city"


def _import_sample(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with transaction(engine) as session:
        import_and_record(session, SAMPLE, actor="tests", source="sample_data/city")
    engine.dispose()


@pytest.fixture(scope="session")
def city_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("city") / "city.sqlite3"
    _import_sample(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def city_pg_template(pg_database: str) -> Iterator[str]:
    """A PostgreSQL database holding the sample city, used only as a template."""
    name = f"xuncha_city_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _import_sample(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def city_pg_url(city_pg_template: str, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"xuncha_t_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{city_pg_template}"'))
    _pg_ran.append(request.node.nodeid)
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def city_sqlite_url(city_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def city_url(request: pytest.FixtureRequest) -> str:
    """The sample city in a database of its own, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("city_sqlite_url"))
    return str(request.getfixturevalue("city_pg_url"))


@pytest.fixture
def api(city_url: str) -> Iterator[Api]:
    """The app (with its in-process job worker) on the sample city."""
    with running_api(city_url) as client:
        yield client


@pytest.fixture
def sqlite_api(city_sqlite_url: str) -> Iterator[Api]:
    """The app on the sample city in SQLite only (for tests whose point is not storage)."""
    with running_api(city_sqlite_url) as client:
        yield client
