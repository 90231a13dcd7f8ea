"""Validity boundaries: every dated fact counts from its first day through its last day
(both inclusive) and not a day outside; look-back windows end exactly N years back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from conflicts.index import years_before
from pool.records import Period
from tests.unit.test_screening import AS_OF, DEFAULT, World, screen

D = dt.timedelta(days=1)


def _married_in_law(start: dt.date | None = None, end: dt.date | None = None) -> World:
    w = World()
    wife = w.b.person("陈梅", "F", key="P_WIFE")
    w.b.marry(w.me, wife, start=start, end=end)
    father = w.b.person("陈强", key="P_REL")
    w.b.parent(father, wife)
    w.b.job(father, "U_T", dt.date(2020, 1, 1))
    return w


def _adopted(start: dt.date) -> World:
    w = World()
    child = w.b.person("养子", key="P_REL")
    w.b.parent(w.me, child, adoptive=True, start=start)
    w.b.job(child, "U_T", dt.date(2020, 1, 1))
    return w


def _business(end: dt.date) -> World:
    w = World()
    son = w.b.person("王子", key="P_REL")
    w.b.parent(w.me, son)
    w.b.tie("business_interest", son, unit="U_T", category="supplier",
            start=dt.date(2019, 1, 1), end=end)
    return w


def _relative_job(start: dt.date) -> World:
    w = World()
    son = w.b.person("王子", key="P_REL")
    w.b.parent(w.me, son)
    w.b.job(son, "U_T", start)
    return w


def _working_tie(end: dt.date) -> World:
    w = World()
    boss = w.b.person("赵局长", key="P_BOSS")
    w.b.job(boss, "U_T", dt.date(2022, 1, 1), leader=True)
    w.b.tie("supervisor_of", boss, w.me, start=dt.date(2015, 1, 1), end=end)
    return w


def _declared(end: dt.date) -> World:
    w = World()
    w.b.tie("recusal", w.me, unit="U_T", category="self", start=dt.date(2026, 1, 1), end=end,
            note="本人申请")
    return w


THREE_YEARS_BACK = years_before(AS_OF, 3)
CASES: dict[str, tuple[Callable[[dt.date], World], str, dt.date, bool]] = {
    # name: (world built with the boundary date, rule, boundary, applies on the boundary)
    "marriage starts": (lambda d: _married_in_law(start=d), "kin-in-target", AS_OF, True),
    "marriage starts tomorrow": (lambda d: _married_in_law(start=d + D), "kin-in-target",
                                 AS_OF, False),
    "divorce ends today": (lambda d: _married_in_law(start=dt.date(2000, 1, 1), end=d),
                           "kin-in-target", AS_OF, True),
    "divorce ended yesterday": (lambda d: _married_in_law(start=dt.date(2000, 1, 1),
                                                          end=d - D),
                                "kin-in-target", AS_OF, False),
    "adoption from today": (_adopted, "kin-in-target", AS_OF, True),
    "adoption from tomorrow": (lambda d: _adopted(d + D), "kin-in-target", AS_OF, False),
    "relative's job from today": (_relative_job, "kin-in-target", AS_OF, True),
    "relative's job from tomorrow": (lambda d: _relative_job(d + D), "kin-in-target", AS_OF,
                                     False),
    "business interest ends today": (_business, "kin-business", AS_OF, True),
    "business interest ended yesterday": (lambda d: _business(d - D), "kin-business", AS_OF,
                                          False),
    "working tie ended three years back": (_working_tie, "leadership-ties", THREE_YEARS_BACK,
                                           True),
    "working tie ended a day earlier": (lambda d: _working_tie(d - D), "leadership-ties",
                                        THREE_YEARS_BACK, False),
    "declared recusal ends today": (_declared, "declared", AS_OF, True),
    "declared recusal ended yesterday": (lambda d: _declared(d - D), "declared", AS_OF, False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_boundary(name: str) -> None:
    build, rule, boundary, applies = CASES[name]
    assert (rule in build(boundary).reasons()) is applies


def test_three_years_back_is_the_same_day_of_month() -> None:
    assert years_before(dt.date(2026, 11, 1), 3) == dt.date(2023, 11, 1)
    assert years_before(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)
    assert years_before(dt.date(2026, 3, 31), 0.5) == dt.date(2025, 9, 30)


@pytest.mark.parametrize(("away", "eligible"), [
    ((dt.date(2027, 1, 10), dt.date(2027, 2, 1)), False),  # starts on the round's last day
    ((dt.date(2027, 1, 11), dt.date(2027, 2, 1)), True),  # the day after
    ((dt.date(2026, 10, 1), dt.date(2026, 11, 20)), False),  # ends on the first day
    ((dt.date(2026, 10, 1), dt.date(2026, 11, 19)), True),
])
def test_unavailability_overlapping_the_round_by_one_day(away: tuple[dt.date, dt.date],
                                                         eligible: bool) -> None:
    w = World()
    other = w.b.person("外出", key="P_AWAY")
    w.b.cadre(other, w.home, unavailable=(Period(*away, "学习"),))
    result = screen(w.b.snapshot(AS_OF), DEFAULT, [other], [w.target], AS_OF,
                    period=(dt.date(2026, 11, 20), dt.date(2027, 1, 10)))
    assert (not result.ineligible) is eligible


@pytest.mark.parametrize(("status_to", "eligible"), [
    (dt.date(2026, 11, 19), True),  # the discipline window closed before the round
    (dt.date(2026, 11, 20), False),  # still open on its first day
])
def test_discipline_window_against_the_round(status_to: dt.date, eligible: bool) -> None:
    w = World()
    other = w.b.person("处分期", key="P_DISC")
    w.b.cadre(other, w.home, status="suspended", status_reason="党内警告处分影响期",
              status_from=dt.date(2026, 5, 20), status_to=status_to)
    result = screen(w.b.snapshot(AS_OF), DEFAULT, [other], [w.target], AS_OF,
                    period=(dt.date(2026, 11, 20), dt.date(2027, 1, 10)))
    assert (not result.ineligible) is eligible


def test_a_look_back_reaching_before_year_one_starts_at_the_beginning() -> None:
    assert years_before(dt.date(2, 3, 4), 3) == dt.date.min
    assert years_before(dt.date(1900, 1, 1), 3) == dt.date(1897, 1, 1)
