"""The import template is the real format (SQLite and PostgreSQL): returned unchanged it
imports as nothing (no row, no audit event, no pool revision), filled in with one record
per sheet it imports every one of them, a 𠮷 included, and its drop-downs offer the
pool's own skills and systems."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from pool import models as m
from pool.db import transaction
from pool.formats import ENTITIES
from pool.repository import PoolRepository
from pool.template_notes import EXAMPLES
from service import audit
from service.imports import import_and_record
from service.templates import template_workbook
from tests.factories import PoolBuilder


def _template(engine: Engine) -> bytes:
    with transaction(engine) as session:
        return template_workbook(session)


def _state(engine: Engine) -> tuple[dict[str, int], int, int]:
    with transaction(engine) as session:
        events = session.scalar(select(func.count()).select_from(m.AuditEvent)) or 0
        return PoolRepository(session).counts(), events, audit.pool_revision(session)


def _import(engine: Engine, path: Path):  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return import_and_record(session, path, actor="tests")


def test_an_unchanged_template_imports_as_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    path.write_bytes(_template(engine))
    before = _state(engine)
    report = _import(engine, path)
    assert report.rows == 0
    assert {t.entity for t in report.tables} == {e.name for e in ENTITIES}  # 说明 skipped
    assert _state(engine) == before  # no row, no audit event, no new pool revision


def test_a_template_filled_in_with_one_record_per_sheet_imports(engine: Engine,
                                                               tmp_path: Path) -> None:
    book = load_workbook(io.BytesIO(_template(engine)))
    for entity in ENTITIES:
        sheet = book[entity.zh]
        headers = [c.value for c in sheet[1]]
        assert headers == [c.zh for c in entity.columns]
        for number, col in enumerate(entity.columns, start=1):
            value = EXAMPLES[entity.name][col.field]
            if (entity.name, col.field) == ("persons", "name"):
                value = "王𠮷"  # outside the BMP
            sheet.cell(2, number, value or None)
    path = tmp_path / "filled.xlsx"
    book.save(path)
    report = _import(engine, path)
    assert {t.entity: (t.rows, t.new) for t in report.tables} == \
        {e.name: (1, 1) for e in ENTITIES}
    with transaction(engine) as session:
        assert session.scalar(select(m.Person.name)) == "王𠮷"
        skills = session.execute(select(m.CadreSkill.skill_code, m.CadreSkill.level)).all()
        assert sorted(skills) == [("audit", 1), ("finance", 3)]
        tie = session.scalars(select(m.Tie)).one()
        assert (tie.kind, tie.category) == ("business_interest", "shareholder")


def test_the_drop_downs_offer_the_pools_skills_and_systems(engine: Engine,
                                                          tmp_path: Path) -> None:
    builder = PoolBuilder()  # two systems: finance 财政, education 教育
    builder.add("skills", code="tax", name_zh="税务", name_en="taxation")
    _import(engine, builder.write(tmp_path / "batch", only=("regions", "systems", "skills")))
    book = load_workbook(io.BytesIO(_template(engine)))
    lists = book["代码表"]
    columns = {lists.cell(1, c).value: [lists.cell(r, c).value for r in
                                        range(2, lists.max_row + 1)]
               for c in range(1, lists.max_column + 1) if lists.cell(1, c).value}
    assert [v for v in columns["系统"] if v] == ["education", "finance"]
    assert "税务" in columns["专业特长"]
