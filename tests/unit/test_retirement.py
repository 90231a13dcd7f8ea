"""The statutory retirement date by the shipped rule (2024 NPC Standing Committee decision,
checked against its published table) and by rule files of one's own; bad files explained."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assignment.retirement import RetirementRuleError, add_months, cached_rule, load_rule

D = dt.date


@pytest.mark.parametrize(("birth", "gender", "age", "retires"), [
    # men: 60 before 1965; +1 month per 4 months of birth from 1965-01; 63 from 1976-09
    (D(1964, 12, 15), "M", (60, 0), D(2024, 12, 15)),
    (D(1965, 1, 15), "M", (60, 1), D(2025, 2, 15)),  # table: 1965-01…04 → 2025-02…05
    (D(1965, 4, 30), "M", (60, 1), D(2025, 5, 30)),
    (D(1965, 5, 1), "M", (60, 2), D(2025, 7, 1)),  # table: 1965-05…08 → 60y2m
    (D(1971, 10, 8), "M", (61, 9), D(2033, 7, 8)),  # table: 1971-09…12 → 61y9m
    (D(1976, 8, 20), "M", (62, 11), D(2039, 7, 20)),  # table: 1976-05…08 → 62y11m
    (D(1976, 9, 1), "M", (63, 0), D(2039, 9, 1)),  # the cap, reached
    (D(1990, 6, 1), "M", (63, 0), D(2053, 6, 1)),
    # women cadres: 55 before 1970; +1 month per 4 months from 1970-01; 58 from 1981-09
    (D(1969, 12, 31), "F", (55, 0), D(2024, 12, 31)),
    (D(1970, 1, 31), "F", (55, 1), D(2025, 2, 28)),  # no 31 February: the month's end
    (D(1975, 3, 10), "F", (56, 4), D(2031, 7, 10)),
    (D(1981, 8, 1), "F", (57, 11), D(2039, 7, 1)),
    (D(1981, 9, 1), "F", (58, 0), D(2039, 9, 1)),
    (D(1995, 1, 1), "F", (58, 0), D(2053, 1, 1)),
])
def test_shipped_rule_follows_the_published_schedule(
        birth: dt.date, gender: str, age: tuple[int, int], retires: dt.date) -> None:
    rule = cached_rule("cn-2024")
    assert rule.age_months(birth, gender) == age[0] * 12 + age[1]
    assert rule.retirement_date(birth, gender) == retires


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
    assert add_months(D(2025, 12, 5), 1) == D(2026, 1, 5)


def test_a_rule_file_of_ones_own_changes_the_schedule(tmp_path: Path) -> None:
    path = tmp_path / "faster.yaml"
    path.write_text("""
name: faster
segments:
  - {gender: M, born_to: "1959-12", age: 60}
  - {gender: M, born_from: "1960-01", age: 60, delay: {months: 2, every: 3}, cap: 65}
  - {gender: F, age: 60}
""", encoding="utf-8")
    rule = load_rule(path)
    assert rule.name == "faster"
    assert rule.age_months(D(1960, 3, 1), "M") == 60 * 12 + 2  # first 3 months: one step
    assert rule.age_months(D(1960, 4, 1), "M") == 60 * 12 + 4
    assert rule.age_months(D(1980, 1, 1), "M") == 65 * 12  # capped
    assert rule.retirement_date(D(1970, 5, 5), "F") == D(2030, 5, 5)


def test_a_malformed_rule_file_lists_every_problem_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("""
name: broken
segments:
  - {gender: M, born_to: "1964-12", age: 60}
  - {gender: M, born_from: "1965-03", age: 60, delay: {months: 1, every: 4}, cap: 63}
  - {gender: X, age: 55}
  - {gender: F, born_from: "1970-13", age: 55, delay: {months: 1}}
""", encoding="utf-8")
    with pytest.raises(RetirementRuleError) as err:
        load_rule(path)
    text = str(err.value)
    assert "broken.yaml" in text
    assert "segments[2].gender" in text and "M（男）或 F（女）" in text
    assert "segments[3].born_from" in text and "YYYY-MM" in text
    assert "segments[3].delay" in text
    # the men's segments leave 1965-01 and 1965-02 uncovered
    assert "男（M）的分段须首尾相接" in text


def test_no_women_segment_and_unknown_names_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "men.yaml"
    path.write_text("name: men\nsegments:\n  - {gender: M, age: 60}\n", encoding="utf-8")
    with pytest.raises(RetirementRuleError, match="没有女的分段"):
        load_rule(path)
    with pytest.raises(RetirementRuleError, match="可用：cn-2024"):
        load_rule("cn-1978")
    (tmp_path / "bad.yaml").write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(RetirementRuleError, match="不是有效的 YAML"):
        load_rule(tmp_path / "bad.yaml")
