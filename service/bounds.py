"""Bounds on what a request or a round file may say, so that bad input is a 422 naming the
field, never a 500: dates the conflict engine can compute with, times that convert to UTC,
and counts that fit the domain and every store's integer columns (docs/security.md).

Only pydantic here: the round files (`service.rounds`, `service.cross`) and the API schemas
share these types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2200, 12, 31)
MAX_TEAM_SIZE = 50  # people on one inspection team
MAX_TEAMS = 1_000  # teams in one round; also a cadre's capacity or minimum in one round
MAX_GROUPS = 1_000  # groups (regions) of one cross-inspection plan
MAX_LOOK_BACK = 100  # rounds looked back for rotation and recent pairings
MAX_WEIGHT = 10_000  # a soft term's weight
MAX_SUITABILITY = 1_000  # |a suitability score|
MAX_DISTANCE_KM = 100_000
MAX_TIE_LIMIT = 10_000_000
MAX_SEED = 2**31 - 1  # a seed is stored in an Integer column (int32 on PostgreSQL)
KEY_LENGTH = 64  # every key column is String(64)
REGION_LENGTH = 12  # region codes are String(12)


def in_date_range(value: dt.date) -> dt.date:
    """A date between 1900-01-01 and 2200-12-31 (what the pool and its look-back windows
    can be computed with)."""
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValueError(f"日期须在 {DATE_MIN} 至 {DATE_MAX} 之间 / a date must lie between "
                         f"{DATE_MIN} and {DATE_MAX}")
    return value


def convertible_to_utc(value: dt.datetime) -> dt.datetime:
    """A time that can be converted to UTC (0001-01-01T00:00+14:00 cannot); unchanged."""
    if value.tzinfo is not None:
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("该时间换算为 UTC 后超出可表示的范围 / the time is out of range "
                             "once converted to UTC") from None
    return value


def ordered(value: tuple[int, int]) -> tuple[int, int]:
    if value[0] > value[1]:
        raise ValueError(f"范围 [{value[0]}, {value[1]}] 的下限大于上限 / the range "
                         f"[{value[0]}, {value[1]}] has its lower bound above its upper bound")
    return value


Day = Annotated[dt.date, AfterValidator(in_date_range)]
Time = Annotated[dt.datetime, AfterValidator(convertible_to_utc)]
Key = Annotated[str, Field(min_length=1, max_length=KEY_LENGTH)]
RegionCode = Annotated[str, Field(min_length=1, max_length=REGION_LENGTH)]
TeamSize = Annotated[int, Field(ge=1, le=MAX_TEAM_SIZE)]
MemberCount = Annotated[int, Field(ge=0, le=MAX_TEAM_SIZE)]
SizeRange = Annotated[tuple[TeamSize, TeamSize], AfterValidator(ordered)]
DeputyRange = Annotated[tuple[MemberCount, MemberCount], AfterValidator(ordered)]
SkillCounts = Annotated[dict[Key, MemberCount], Field(max_length=200)]
TeamCount = Annotated[int, Field(ge=0, le=MAX_TEAMS)]
LookBack = Annotated[int, Field(ge=0, le=MAX_LOOK_BACK)]
Weight = Annotated[int, Field(ge=0, le=MAX_WEIGHT)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
