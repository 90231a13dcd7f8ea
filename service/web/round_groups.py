"""The round page's lines for the checking groups (检查小组) of a stored plan
(docs/round-file.md): the round's groups with the skills that qualify, and which groups
each team is split into. Chinese first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.round_names import Catalogue


def group_rows(plan: Mapping[str, Any], cat: Catalogue) -> list[tuple[str, str]]:
    """(label, value) lines; empty when the plan has no groups."""
    groups = plan.get("groups") or {}
    if not isinstance(groups, Mapping) or not groups:
        return []
    defined = []
    for code, g in groups.items():
        skills = "、".join(f"{cat.skill_zh.get(s, s)} {s}" for s in g.get("skills", []))
        low, high = g.get("size") or (2, 3)
        defined.append(f"{g.get('name', code)}（{code}）：{skills}，{low}–{high}人")
    default = list((plan.get("defaults") or {}).get("groups") or [])
    split = []
    for no, t in enumerate(plan.get("teams") or [], start=1):
        own = t.get("groups") if isinstance(t, Mapping) else None
        codes: list[Any] = default if own is None else list(own)
        names = "、".join(str(groups.get(c, {}).get("name", c)) for c in codes) or "不分小组"
        split.append(f"第{no}组：{names}")
    return [("检查小组 Checking groups", "；".join(defined)),
            ("各组分组 Groups per team", "；".join(split))]
