"""The report's section 巡察期间人员调整 / replacements during the round: who left a team
(name, role), when, why, who took the seat, placed by lot (with the winning ticket) or
by hand, recorded by whom and when (Beijing time). Rows only; `service.report` makes the
table, so the xlsx, the pdf and the print view show the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.report_data import ReportFacts, holder_name

ROLE_ZH = {"leader": "组长", "deputy": "副组长", "member": "组员"}
REASON_ZH = {"illness": "病休 illness", "recalled": "单位召回 recalled by the home unit",
             "other": "其他 other"}
HEADER = ("第几次调整 revision", "组 team", "离组人员 who left", "离组日期 date",
          "原因 why", "接替人员 replaced by", "方式 how", "记录人 recorded by",
          "记录时间 recorded at（北京时间）")
WIDTHS = (13, 6, 20, 11, 26, 20, 30, 13, 19)
NONE = "巡察期间无人员调整 / no one left a team during the round"


def _who(key: str | None, name: str | None, people: dict[str, str]) -> str:
    if not key:
        return "—"
    return f"{name or people.get(key, '')} {key}".strip()


def departure_rows(f: ReportFacts, beijing: Any) -> list[list[Any]]:
    """One row per departure filled by lot and per member swapped by hand, in order.
    `beijing` turns a stored time into the report's Beijing time."""
    rows: list[list[Any]] = []
    for c in f.changes:
        what = c["change"]
        op = what.get("op")
        if op not in ("replacement", "swap"):
            continue
        role = ROLE_ZH.get(what.get("role") or "", what.get("role") or "")
        left = f"{_who(what['cadre'], what.get('cadre_name'), f.people)}（{role}）" if role \
            else _who(what["cadre"], what.get("cadre_name"), f.people)
        came = _who(what.get("replacement"), what.get("replacement_name"), f.people)
        if op == "replacement":
            why = REASON_ZH.get(what.get("reason", ""), what.get("reason", ""))
            if what.get("text"):
                why += f"：{what['text']}"
            how = f"抽签产生 placed by lot；签号 ticket {what['lot']['winner_ticket']}"
            if what.get("amendment"):
                how += "；批准后变更 amendment after approval"
            day: Any = dt.date.fromisoformat(what["date"])
        else:
            why, how = c["reason"], "人工调整 placed by hand"
            day = beijing(c["at"]).date() if c["at"] else "—"
        rows.append([c["revision"], what["team"], left, day, why, came, how,
                     holder_name(c["actor"]), beijing(c["at"])])
    return rows
