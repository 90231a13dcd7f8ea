"""Migrations build the same schema on SQLite and PostgreSQL and can be undone."""

from sqlalchemy import Engine, inspect, select

from pool.db import alembic_config, current_revision
from pool.formats import DEFAULT_SKILLS
from pool.models import Base, Skill


def test_upgrade_head_creates_every_table_and_seeds_skills(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert current_revision(engine) == "0002_service_records"
    with engine.connect() as conn:
        codes = set(conn.execute(select(Skill.code)).scalars())
    assert codes == {c.code for c in DEFAULT_SKILLS}


def test_models_and_migrations_agree(engine: Engine) -> None:
    """Autogenerate finds nothing to add: the migrations are the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_back(db_url: str) -> None:
    from alembic import command

    cfg = alembic_config(db_url)
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")
    from pool.db import make_engine

    eng = make_engine(db_url)
    assert current_revision(eng) == "0002_service_records"
    eng.dispose()
