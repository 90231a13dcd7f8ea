"""Generated data passes the real importer; the committed sample city is the generator's."""

import filecmp
from pathlib import Path

from sqlalchemy import Engine

from pool.db import transaction
from pool.importer import import_path
from pool.repository import PoolRepository
from pool.synthetic import generate, generate_scale
from tests.unit.test_synthetic import TINY

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "city"


def test_generated_data_imports_cleanly_with_every_row(engine: Engine, tmp_path: Path) -> None:
    counts = generate_scale(TINY, 11, tmp_path / "tiny")
    with transaction(engine) as session:
        report = import_path(session, tmp_path / "tiny")
    assert {t.entity: t.rows for t in report.tables} == {k: v for k, v in counts.items() if v}
    with transaction(engine) as session:
        stored = PoolRepository(session).counts()
    assert stored["persons"] == counts["persons"] and stored["ties"] == counts["ties"]


def test_committed_sample_city_is_what_the_generator_writes(tmp_path: Path) -> None:
    generate("city", 2026, tmp_path / "city")
    cmp = filecmp.dircmp(tmp_path / "city", SAMPLE, ignore=["README.md"])
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only, \
        "sample_data/city is stale: regenerate it (see sample_data/README.md)"
