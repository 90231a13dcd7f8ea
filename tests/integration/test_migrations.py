"""Migrations build the same schema on SQLite and PostgreSQL and can be undone."""

from sqlalchemy import Engine, inspect, select

from pool.db import alembic_config, current_revision
from pool.formats import DEFAULT_SKILLS
from pool.models import Base, Skill


def test_upgrade_head_creates_every_table_and_seeds_skills(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert current_revision(engine) == "0006_practice_rules"
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
    assert current_revision(eng) == "0006_practice_rules"
    eng.dispose()


def test_the_ceremony_migration_erases_unused_seeds_and_marks_old_proposals(
        db_url: str) -> None:
    """Before 0003 a commitment's seed sat in plain text until used: the upgrade erases
    every unused one, and proposals drawn the old way can no longer be approved."""
    from alembic import command
    from sqlalchemy import text

    from pool.db import make_engine

    cfg = alembic_config(db_url)
    command.downgrade(cfg, "0002_service_records")
    eng = make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO rounds (key, name, kind, start, \"end\") VALUES "
                          "('R1', '一轮', 'regular', '2027-01-01', '2027-02-01')"))
        for cid, seed, revealed in ((1, 111, True), (2, 222, False)):
            conn.execute(text(
                "INSERT INTO commitments (id, round_key, input_hash, digest, seed, revealed, "
                "created_by, created_at) VALUES (:id, 'R1', 'h', 'd', :seed, :rev, 't', "
                "'2026-12-01')"), {"id": cid, "seed": seed, "rev": revealed})
        for pid, commitment in ((1, 1), (2, None)):
            conn.execute(text(
                "INSERT INTO proposals (id, round_key, mode, status, seed, commitment_id, "
                "parameters, bundle, bundle_sha256, input_hash, instance, result, recusals, "
                "recusals_sha256, teams, revision, created_by, created_at) VALUES (:id, 'R1', "
                "'assembly', 'draft', 1, :c, '{}', :b, 's', 'h', '{}', '{}', '{}', 's', '{}', "
                "0, 't', '2026-12-01')"), {"id": pid, "c": commitment, "b": b"x"})
    eng.dispose()
    command.upgrade(cfg, "head")
    eng = make_engine(db_url)
    with eng.connect() as conn:
        seeds = dict(conn.execute(text("SELECT id, seed FROM commitments")).all())
        kinds = dict(conn.execute(text("SELECT id, kind FROM proposals")).all())
    eng.dispose()
    assert seeds == {1: 111, 2: None}
    assert kinds == {1: "legacy", 2: "trial"}


def test_the_practice_rules_migration_makes_existing_cadres_seconded(db_url: str) -> None:
    """0006 adds the 专职巡察干部 flag (existing cadres become seconded, i.e. false) and
    the evaluations' accountability finding; undoing it keeps the cadres."""
    from alembic import command
    from sqlalchemy import text

    from pool.db import make_engine

    cfg = alembic_config(db_url)
    command.downgrade(cfg, "0005_accounts")
    eng = make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO regions (code, name, level) VALUES "
                          "('330100', '杭州市', 'city')"))
        conn.execute(text("INSERT INTO systems (code, name_zh) VALUES ('gov', '政府')"))
        conn.execute(text("INSERT INTO units (key, name, region_code, system_code) VALUES "
                          "('U1', '市财政局', '330100', 'gov')"))
        conn.execute(text("INSERT INTO persons (key, name) VALUES ('P1', '张三')"))
        conn.execute(text(
            "INSERT INTO cadres (person_key, home_unit_key, leader_pool, deputy_pool, "
            "expert_pool, reserve, newly_promoted, status) VALUES ('P1', 'U1', false, "
            "false, false, false, false, 'active')"))
    eng.dispose()
    command.upgrade(cfg, "head")
    eng = make_engine(db_url)
    with eng.begin() as conn:
        assert conn.execute(text("SELECT full_time FROM cadres")).scalar_one() in (False, 0)
        conn.execute(text("UPDATE cadres SET full_time = true"))
        assert conn.execute(text("SELECT accountability FROM evaluations")).all() == []
    eng.dispose()
    command.downgrade(cfg, "0005_accounts")
    eng = make_engine(db_url)
    columns = {c["name"] for c in inspect(eng).get_columns("cadres")}
    assert "full_time" not in columns and "person_key" in columns
    assert "accountability" not in {c["name"] for c in inspect(eng).get_columns("evaluations")}
    with eng.connect() as conn:
        assert conn.execute(text("SELECT person_key FROM cadres")).scalars().all() == ["P1"]
    eng.dispose()
    command.upgrade(cfg, "head")
