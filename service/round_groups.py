"""Checking groups (检查小组) in a round file: the round's catalogue of groups (name, the
skills that qualify, size 2–3), which groups each team is split into (docs/round-file.md),
the checks a plan must pass and the `GroupSpec`s the teams carry."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from assignment.instance import GroupSpec, TeamSpec
from service.bounds import Key, ordered

if TYPE_CHECKING:
    from service.rounds import RoundFile

GROUP_SIZE_MIN, GROUP_SIZE_MAX = 2, 3  # 以2–3人为一组
MAX_GROUPS_PER_ROUND = 50
GroupSize = Annotated[int, Field(ge=GROUP_SIZE_MIN, le=GROUP_SIZE_MAX)]
GroupCodes = Annotated[list[Key], Field(max_length=25)]


def _one_line(value: str) -> str:
    from service.rounds import one_line  # the round file's own rule for shown names

    return one_line(value)


class GroupFile(BaseModel):
    """One checking group of the round's catalogue."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, AfterValidator(_one_line)] = Field(
        min_length=1, max_length=64, description="小组名称，如 财务审计")
    skills: list[Key] = Field(min_length=1, max_length=50, description=(
        "具备其中任一专长即可担任本小组骨干 / a member with any of these qualifies"))
    size: Annotated[tuple[GroupSize, GroupSize], AfterValidator(ordered)] = (
        GROUP_SIZE_MIN, GROUP_SIZE_MAX)

    def spec(self, code: str) -> GroupSpec:
        return GroupSpec(code, self.name, tuple(sorted(set(self.skills))), *self.size)


def team_group_codes(default: Sequence[str], own: Sequence[str] | None) -> list[str]:
    """The groups a team is split into: its own list, else the round's default."""
    return list(default if own is None else own)


def group_problem(plan: RoundFile) -> str | None:
    """The first problem of the plan's groups, in words ("中文 / English"), or None:
    unknown or repeated group codes, and teams whose size range cannot hold their groups
    (k groups hold Σ of their minimums … Σ of their maximums people)."""
    known = plan.groups
    lists: list[tuple[str, str, list[str]]] = [
        ("defaults.groups", "defaults.groups", plan.defaults.groups)]
    lists += [(f"第{no}组 teams[{no - 1}].groups", f"team {no}, teams[{no - 1}].groups",
               t.groups) for no, t in enumerate(plan.teams, start=1) if t.groups is not None]
    for zh_at, en_at, codes in lists:
        for code in codes:
            if code not in known:
                listed = "、".join(known) or "（无）"
                near = difflib.get_close_matches(code, list(known), n=1)
                hint_zh = f"；你是否要写 {near[0]}？" if near else ""
                hint_en = f"; did you mean {near[0]}?" if near else ""
                return (f"{zh_at} 写了未定义的检查小组“{code}”，轮次文件 groups 中定义的有："
                        f"{listed}{hint_zh} / {en_at} names the checking group '{code}', "
                        f"which the round file's groups do not define (defined: "
                        f"{', '.join(known) or 'none'}){hint_en}")
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            return (f"{zh_at} 重复写了检查小组 {'、'.join(twice)}：每个小组只写一次 / {en_at} "
                    f"lists {', '.join(twice)} twice: write each group once")
    for no, t in enumerate(plan.teams, start=1):
        codes = team_group_codes(plan.defaults.groups, t.groups)
        if not codes:
            continue
        low = sum(known[c].size[0] for c in codes)
        high = sum(known[c].size[1] for c in codes)
        size_min, size_max = t.size or plan.defaults.size
        if low > size_max or high < size_min:
            names = "、".join(known[c].name for c in codes)
            return (f"第{no}组分为{len(codes)}个检查小组（{names}），须{low}–{high}人，"
                    f"而本组人数为{size_min}–{size_max}人：请调整小组或人数范围 / "
                    f"team {no} is split into {len(codes)} checking groups needing {low}–{high}"
                    f" members, but its size is {size_min}–{size_max}: change the groups or "
                    "the size")
    return None


def with_groups(teams: Sequence[TeamSpec], catalogue: Mapping[str, GroupFile],
                default: Sequence[str], own: Sequence[Sequence[str] | None]
                ) -> tuple[TeamSpec, ...]:
    """The teams with their checking groups (teams without groups unchanged)."""
    out = []
    for spec, codes in zip(teams, own, strict=True):
        chosen = team_group_codes(default, codes)
        out.append(dataclasses.replace(spec, groups=tuple(catalogue[c].spec(c) for c in chosen))
                   if chosen else spec)
    return tuple(out)
