"""The round report's table of checking groups (检查小组): each team's groups with their
members and who in each holds one of its skills. Only a round with groups has it."""

from __future__ import annotations

from typing import Any

from service.changes import stored_parts
from service.report_data import ReportFacts

HEADER = ("组 team", "检查小组 group", "人数 size", "成员 members", "具备相应专长 qualified by",
          "所需专长 skills")
WIDTHS = (6, 24, 8, 40, 34, 26)


def _skills_of_groups(f: ReportFacts) -> dict[tuple[int, str], tuple[str, ...]]:
    """(team number, group code) → the skills that qualify, from the stored instances."""
    out: dict[tuple[int, str], tuple[str, ...]] = {}
    for part, inst in stored_parts(f.row.instance):
        for local, spec in enumerate(inst.teams, start=1):
            for g in spec.groups:
                out[local + part["offset"], g.code] = g.skills
    return out


def group_rows(f: ReportFacts, show: bool, hidden: str) -> list[list[Any]]:
    """One row per checking group of each team; names hidden unless `show`."""
    wanted = _skills_of_groups(f)
    rows: list[list[Any]] = []
    for t in f.teams["teams"]:
        members = {x["key"]: x for x in t["members"]}
        for g in t.get("groups") or []:
            skills = wanted.get((t["no"], g["code"]), ())
            people = [members[k] for k in g["members"] if k in members]
            holders = [x for x in people if set(x.get("skills", ())) & set(skills)]

            def named(xs: list[dict[str, Any]]) -> str:
                return "、".join(f"{x['name']}（{x['key']}）" for x in xs) if show else hidden

            rows.append([t["no"], f"{g['name']}（{g['code']}）", len(g["members"]),
                         named(people), named(holders),
                         "、".join(f.skills.get(s, s) for s in skills)])
    return rows
