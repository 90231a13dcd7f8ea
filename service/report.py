"""The round report as an .xlsx workbook: the teams (roles, skills), each member's
recusal statement (the rules checked against their team's targets), the 回避情况说明
(who was kept away from which target, by rule), and the decision's provenance."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pool import models as m

ROLE_ZH = {"leader": "组长", "deputy": "副组长", "member": "组员"}
BOLD = Font(bold=True)


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]],
           widths: list[int]) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        ws.append(row)
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A2"


def _member_statement(explanations: list[dict[str, Any]]) -> tuple[str, str]:
    zh, en = [], []
    for ex in explanations:
        target = f"{ex['target_name']}（{ex['target_key']}）"
        hard = [r for r in ex["reasons"] if r["hard"]]
        soft = [r for r in ex["reasons"] if not r["hard"]]
        if not ex["reasons"]:
            zh.append(f"对{target}：经核查{len(ex['checked'])}条回避规则，未发现须回避情形")
            en.append(f"{ex['target_key']}: {len(ex['checked'])} rules checked, no recusal")
        for r in hard:
            zh.append(f"对{target}：{r['title_zh']}（须回避的角色：{'、'.join(r['roles'])}；"
                      "本人所任角色不在其列）")
            en.append(f"{ex['target_key']}: {r['title_en']} (barred roles: "
                      f"{', '.join(r['roles'])}; not the role held)")
        for r in soft:
            zh.append(f"对{target}：{r['title_zh']}（宜回避，已知悉）")
            en.append(f"{ex['target_key']}: {r['title_en']} (soft, noted)")
    return "；".join(zh), "; ".join(en)


def round_report(rnd: m.Round, row: m.ProposalRecord, *, show_names: bool) -> bytes:
    teams = json.loads(row.teams)
    statement = json.loads(row.recusals)
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    hidden = "（批准前不公开 / hidden before approval）"
    team_rows = []
    member_rows = []
    for t in teams["teams"]:
        for x in t["members"]:
            key = x["key"] if show_names else hidden
            name = x["name"] if show_names else hidden
            team_rows.append([t["no"], "、".join(t["targets"]), ROLE_ZH.get(x["role"], x["role"]),
                              x["role"], key, name, "、".join(x.get("skills", [])),
                              x.get("side") or ""])
            zh, en = _member_statement(statement["members"].get(x["key"], [])) if show_names \
                else (hidden, hidden)
            member_rows.append([t["no"], key, name, ROLE_ZH.get(x["role"], x["role"]), zh, en])
    _sheet(wb, "巡察组 Teams", ["组 team", "被巡察单位 targets", "角色", "role", "人员编号 key",
                               "姓名 name", "专业特长 skills", "派出方 side"], team_rows,
           [8, 24, 8, 10, 14, 12, 40, 12])
    _sheet(wb, "成员回避声明 Members", ["组 team", "人员编号 key", "姓名 name", "角色 role",
                                      "回避核查（中文）", "recusal check (English)"],
           member_rows, [8, 14, 12, 8, 80, 60])
    by_target: dict[str, Counter[str]] = {}
    for _cadre, target, rule, hard in statement["recusals"]:
        if hard:
            by_target.setdefault(target, Counter())[rule] += 1
    summary_rows = []
    for t in teams["teams"]:
        for target in t["targets"]:
            counts = by_target.get(target, Counter())
            text = "、".join(f"{rule} {n}人" for rule, n in sorted(counts.items())) or "无"
            summary_rows.append([t["no"], target, sum(counts.values()), text,
                                 ", ".join(f"{rule}: {n}" for rule, n in
                                           sorted(counts.items())) or "none"])
    _sheet(wb, "回避情况说明 Recusals", ["组 team", "被巡察单位 target",
                                        "须回避人次 recusals", "按规则（中文）", "by rule"],
           summary_rows, [8, 16, 14, 60, 60])
    result = json.loads(row.result)
    provenance: list[list[Any]] = [
        ["轮次 round", f"{rnd.key} {rnd.name}"], ["期间 period", f"{rnd.start} — {rnd.end}"],
        ["方案 proposal", f"#{row.id} ({row.status}), 调整 revision {row.revision}"],
        ["回避规则 policy", f"{statement['policy']} {statement['policy_hash']}"],
        ["种子 seed", row.seed], ["承诺 commitment", row.commitment_id or "—"],
        ["输入哈希 input hash", row.input_hash],
        ["输入包 sha256 bundle", row.bundle_sha256],
        ["回避说明 sha256 recusals", row.recusals_sha256],
        ["目标值 objective", teams["objective"]],
        ["求解状态 solver status", (result["proposal"] or {}).get("status", "—")],
        ["批准 approved", f"{row.approved_by or '—'} {row.approved_at or ''}"],
    ]
    _sheet(wb, "依据 Provenance", ["项目 item", "值 value"], provenance, [26, 90])
    for ws in wb.worksheets:
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
