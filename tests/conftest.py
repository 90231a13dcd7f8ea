"""Shared fixtures: migrated SQLite and PostgreSQL databases.

PostgreSQL: XUNCHA_TEST_POSTGRES=required (CI) fails the run when PostgreSQL is not
reachable or when no PostgreSQL test ran; `auto` (default) runs them when reachable and
skips them otherwise; `off` skips them. Each run creates its own database and drops it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from pool.db import make_engine, upgrade
from pool.formats import DEFAULT_SKILLS
from pool.models import Base

PG_MODE = os.environ.get("XUNCHA_TEST_POSTGRES", "auto")
PG_ADMIN_URL = os.environ.get("XUNCHA_TEST_POSTGRES_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
_pg_ran: list[str] = []


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied once; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "pool.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _admin_engine() -> Engine:
    return make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated with `alembic upgrade head`."""
    if PG_MODE == "off":
        pytest.skip("PostgreSQL tests are off (XUNCHA_TEST_POSTGRES=off)")
    name = f"xuncha_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if PG_MODE == "required":
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    """Empty every table but keep the schema, the seeded skill list and the counters
    (back at their migrated start)."""
    engine = make_engine(url)
    tables = [t.name for t in Base.metadata.sorted_tables]
    defaults = [c.code for c in DEFAULT_SKILLS]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables
                                                   if t not in ("skills", "counters"))
                          + " CASCADE"))
        conn.execute(text("UPDATE counters SET value = 0, "
                          "hash = CASE WHEN name = 'audit' THEN :genesis END"),
                     {"genesis": "0" * 64})
        conn.execute(text("DELETE FROM skills WHERE NOT (code = ANY(:codes))"),
                     {"codes": defaults})
    engine.dispose()


@pytest.fixture
def pg_url(pg_database: str, request: pytest.FixtureRequest) -> Iterator[str]:
    _reset_postgres(pg_database)
    _pg_ran.append(request.node.nodeid)
    yield pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a PostgreSQL test that silently skips is a defect: fail the run instead."""
    if PG_MODE == "required" and exitstatus == 0 and not _pg_ran and session.testscollected:
        collected_pg = any("postgres" in item.keywords for item in session.items)
        if collected_pg:
            session.exitstatus = 1
            print("\nXUNCHA_TEST_POSTGRES=required but no PostgreSQL test ran")
