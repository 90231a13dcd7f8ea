"""Every kind of bad input is rejected with a message that says what, where and what to do."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pool import models as m
from pool.db import transaction
from pool.importer import ImportRejected, import_path
from pool.repository import PoolRepository
from tests.factories import PoolBuilder, family_builder

Breaker = Callable[[PoolBuilder, dict[str, str]], None]


def _unknown_skill(b: PoolBuilder, k: dict[str, str]) -> None:
    b.rows["cadres"][0]["skills"] = (("astrology", 2),)


def _unknown_system(b: PoolBuilder, k: dict[str, str]) -> None:
    b.unit("云川市某局", system_code="nonexistent")


def _bad_region(b: PoolBuilder, k: dict[str, str]) -> None:
    b.rows["persons"][0]["native_region"] = "320999"


def _bad_checksum(b: PoolBuilder, k: dict[str, str]) -> None:
    ident = b.rows["persons"][1]["id_number"]
    b.rows["persons"][1]["id_number"] = ident[:17] + ("0" if ident[17] != "0" else "1")


def _duplicate_key(b: PoolBuilder, k: dict[str, str]) -> None:
    b.add("persons", key=k["father"], name="重复者")


def _reversed_dates(b: PoolBuilder, k: dict[str, str]) -> None:
    b.employment(k["father"], k["bureau"], dt.date(2010, 1, 1), dt.date(2009, 1, 1))


def _unknown_person(b: PoolBuilder, k: dict[str, str]) -> None:
    b.tie("declared", k["cadre"], "P_NOBODY", category="friend")


def _own_relative(b: PoolBuilder, k: dict[str, str]) -> None:
    b.tie("declared", k["cadre"], k["cadre"], category="cousin")


def _cycle(b: PoolBuilder, k: dict[str, str]) -> None:
    b.tie("parent_of", k["cadre"], k["grandpa"], adoptive=True)


def _three_parents(b: PoolBuilder, k: dict[str, str]) -> None:
    b.tie("parent_of", k["grandpa"], k["cadre"])


def _id_birth_mismatch(b: PoolBuilder, k: dict[str, str]) -> None:
    b.rows["persons"][2]["birth_date"] = dt.date(1965, 3, 4)


def _overlapping_marriage(b: PoolBuilder, k: dict[str, str]) -> None:
    b.tie("spouse_of", k["father"], k["sister"], start=dt.date(2000, 1, 1))


def _skill_shadowing(b: PoolBuilder, k: dict[str, str]) -> None:
    b.add("skills", code="x1", name_zh="环境审计", name_en="audit")  # the built-in's code


def _recusal(b: PoolBuilder, k: dict[str, str], *, unit: str | None = "school",
             **kw: object) -> None:
    """The cadre recused from the school (valid as is); `kw` breaks one field."""
    values = {"category": "self", "note": "胞妹在该校任教，申请回避",
              "start": dt.date(2025, 3, 1), "recorded_by": "王𠮷"} | kw
    b.tie("recusal", k["cadre"], k[unit] if unit else None, **values)


def _recusal_without_unit(b: PoolBuilder, k: dict[str, str]) -> None:
    _recusal(b, k, unit=None)


def _recusal_naming_a_person(b: PoolBuilder, k: dict[str, str]) -> None:
    _recusal(b, k, object_person_key=k["sister"])


def _recusal_without_category(b: PoolBuilder, k: dict[str, str]) -> None:
    _recusal(b, k, category=None)


def _recusal_of_a_kin_category(b: PoolBuilder, k: dict[str, str]) -> None:
    _recusal(b, k, category="sibling")


def _recusal_without_reason(b: PoolBuilder, k: dict[str, str]) -> None:
    _recusal(b, k, note="  ")  # blank after trimming


CASES: dict[str, tuple[Breaker, str, str, str]] = {
    # name: (breaker, file, column, fragment of the Chinese message)
    "unknown skill": (_unknown_skill, "cadres.csv", "专业特长", "有效代码：audit"),
    "skill spelling taken": (_skill_shadowing, "skills.csv", "英文名称", "已属于另一项专业特长"),
    "unknown system": (_unknown_system, "units.csv", "系统", "有效代码：education, finance"),
    "invalid region": (_bad_region, "persons.csv", "籍贯", "区划代码不在行政区划表中"),
    "bad ID checksum": (_bad_checksum, "persons.csv", "身份证号", "校验位错误"),
    "duplicate key": (_duplicate_key, "persons.csv", "人员编号", "重复"),
    "reversed dates": (_reversed_dates, "employments.csv", "截止日期", "日期区间颠倒"),
    "tie to unknown person": (_unknown_person, "ties.csv", "对方人员编号", "人员编号不存在"),
    "own relative": (_own_relative, "ties.csv", "对方人员编号", "不能与自己构成关系"),
    "parent_of cycle": (_cycle, "ties.csv", "对方人员编号", "成环"),
    "three birth parents": (_three_parents, "ties.csv", "对方人员编号", "两名以上生父母"),
    "ID vs birth date": (_id_birth_mismatch, "persons.csv", "出生日期", "身份证号第7-14位"),
    "overlapping marriage": (_overlapping_marriage, "ties.csv", "起始日期",
                             "婚姻关系重复或时间重叠"),
    "recusal without unit": (_recusal_without_unit, "ties.csv", "对方单位编号",
                             "申请或决定回避关系须填写对方单位编号"),
    "recusal naming a person": (_recusal_naming_a_person, "ties.csv", "对方人员编号",
                                "申请或决定回避关系不填对方人员编号"),
    "recusal without category": (_recusal_without_category, "ties.csv", "类别",
                                 "申请或决定回避须填写类别，可选：本人申请(self)"),
    "recusal of a kin category": (_recusal_of_a_kin_category, "ties.csv", "类别",
                                  "该类别不适用于申请或决定回避"),
    "recusal without reason": (_recusal_without_reason, "ties.csv", "备注",
                               "须在备注中写明回避理由"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_rejected_and_nothing_is_written(case: str, engine: Engine,
                                                      tmp_path: Path) -> None:
    breaker, file, column, fragment = CASES[case]
    builder, keys = family_builder()
    breaker(builder, keys)
    with transaction(engine) as session:
        before = PoolRepository(session).counts()
    with pytest.raises(ImportRejected) as rejected, transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "batch"))
    matching = [e for e in rejected.value.errors
                if e.file == file and e.column == column and fragment in e.zh]
    assert matching, [str(e) for e in rejected.value.errors]
    assert all(e.row is not None and e.row >= 2 and e.en for e in matching)
    with transaction(engine) as session:
        assert PoolRepository(session).counts() == before


def test_the_recusal_the_cases_break_is_accepted_as_is(engine: Engine, tmp_path: Path) -> None:
    builder, keys = family_builder()
    _recusal(builder, keys, key="T_RECUSAL")
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "batch"))
    with transaction(engine) as session:
        tie = session.get(m.Tie, "T_RECUSAL")
        assert tie is not None
        assert (tie.kind, tie.subject_key, tie.object_person_key, tie.object_unit_key,
                tie.category, tie.note) == ("recusal", keys["cadre"], None, keys["school"],
                                            "self", "胞妹在该校任教，申请回避")


def test_all_errors_are_reported_at_once(engine: Engine, tmp_path: Path) -> None:
    builder, keys = family_builder()
    for breaker, *_ in CASES.values():
        breaker(builder, keys)
    with pytest.raises(ImportRejected) as rejected, transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "batch"))
    reported = {(e.file, e.column) for e in rejected.value.errors}
    assert {(f, c) for _, f, c, _ in CASES.values()} <= reported


def test_cycle_through_existing_ties_is_found(engine: Engine, tmp_path: Path) -> None:
    """A batch that closes a loop with ties already in the database is rejected too."""
    builder, keys = family_builder()
    with transaction(engine) as session:
        import_path(session, builder.write(tmp_path / "a"))
    later = PoolBuilder()
    later.rows.clear()
    later.tie("parent_of", keys["cadre"], keys["grandpa"], adoptive=True, key="T_LOOP")
    with pytest.raises(ImportRejected) as rejected, transaction(engine) as session:
        import_path(session, later.write(tmp_path / "b"))
    (error,) = rejected.value.errors
    assert "成环" in error.zh and keys["grandpa"] in error.zh and keys["cadre"] in error.zh
