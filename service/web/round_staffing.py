"""The round page's lines for the full-time staff minimum (专职巡察干部) and the home-unit
release limit (被抽调单位放人上限) of a stored plan (docs/round-file.md), Chinese first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def staffing_rows(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for each of the two rules the plan turns on; empty when neither."""
    rows: list[tuple[str, str]] = []
    default = int((plan.get("defaults") or {}).get("full_time_min") or 0)
    own = {no: t.get("full_time_min") for no, t in enumerate(plan.get("teams") or [], 1)
           if isinstance(t, Mapping) and t.get("full_time_min") is not None
           and t.get("full_time_min") != default}
    if default or own:
        zh = [f"每组至少{default}名"] if default else []
        en = [f"at least {default} per team"] if default else []
        zh += [f"第{no}组至少{n}名" for no, n in own.items()]
        en += [f"team {no}: at least {n}" for no, n in own.items()]
        rows.append(("专职巡察干部 Full-time staff", "，".join(zh) + " / " + "; ".join(en)))
    limit = plan.get("home_unit_limit")
    if isinstance(limit, int):
        limit = {"max": limit}
    if isinstance(limit, Mapping) and (limit.get("max") or limit.get("share")):
        zh, en = [], []
        if limit.get("max"):
            zh.append(f"至多{limit['max']}人")
            en.append(f"at most {limit['max']}")
        if limit.get("share"):
            zh.append(f"不超过单位人数的{limit['share']:.0%}（向下取整，至少1人）")
            en.append(f"at most {limit['share']:.0%} of its staff (rounded down, at least 1)")
        rows.append(("被抽调单位放人上限 Home-unit limit",
                     "同一所在单位本轮" + "，且".join(zh) + " / from one home unit: "
                     + " and ".join(en)))
    return rows
