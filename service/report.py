"""The round report as an .xlsx workbook: the teams (roles, skills), each member's
recusal statement (the rules checked against their team's targets), the 回避情况说明
(who was kept away from which target, by rule), and the decision's provenance."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pool import models as m

ROLE_ZH = {"leader": "组长", "deputy": "副组长", "member": "组员"}
BOLD = Font(bold=True)


def _sheet(wb: Workbook, seal: Callable[[Any], Any], title: str, header: list[str],
           rows: list[list[Any]], widths: list[int]) -> None:
    rows = seal(rows)
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


KIND_ZH = {"record": "抽取结果 draw of record", "trial": "试算，不可批准 TRIAL, never approvable",
           "legacy": "旧方式抽取，不可批准 drawn before the ceremony, not approvable"}


def _placed(x: dict[str, Any], show_names: bool) -> str:
    placed = x.get("placed")
    if not placed:
        return "抽取产生 drawn"
    reason = placed["reason"] if show_names else "（批准前不公开 / hidden before approval）"
    return (f"人工调整 placed by hand（第{placed['revision']}次调整 revision "
            f"{placed['revision']}，{placed['actor']}）：{reason}")


def round_report(rnd: m.Round, row: m.ProposalRecord, *, show_names: bool,
                 draws: list[dict[str, Any]],
                 seal: Callable[[Any], Any] = lambda rows: rows) -> bytes:
    """The workbook; `draws` are the round's draws as the API reads them (every draw,
    numbered, with its reason), listed on a sheet of their own. Every sheet's rows pass
    through `seal` (`service.sealing`) before they are written."""
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
                              x.get("side") or "", _placed(x, show_names)])
            zh, en = _member_statement(statement["members"].get(x["key"], [])) if show_names \
                else (hidden, hidden)
            member_rows.append([t["no"], key, name, ROLE_ZH.get(x["role"], x["role"]), zh, en])
    _sheet(wb, seal, "巡察组 Teams", ["组 team", "被巡察单位 targets", "角色", "role",
                                     "人员编号 key", "姓名 name", "专业特长 skills", "派出方 side",
                                     "产生方式 placed"], team_rows,
           [8, 24, 8, 10, 14, 12, 40, 12, 50])
    _sheet(wb, seal, "成员回避声明 Members", ["组 team", "人员编号 key", "姓名 name", "角色 role",
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
    _sheet(wb, seal, "回避情况说明 Recusals", ["组 team", "被巡察单位 target",
                                        "须回避人次 recusals", "按规则（中文）", "by rule"],
           summary_rows, [8, 16, 14, 60, 60])
    draw_rows = [[d["number"], d["of"], d["status_zh"] + " " + d["status"],
                  d["reason"] or "—", d["requested_by"], d["consented_by"] or "—",
                  d["spec_sha256"], "\n".join(f"{p['role']}: {p['commitment'] or '—'}"
                                              for p in d["parties"]),
                  "\n".join(f"{p['role']}: {p['secret'] or '（未揭示 not revealed）'}"
                            for p in d["parties"]),
                  f"{d['public_source']}: {d['public_value'] or '—'}" if d["public_source"]
                  else "—", d["seed"] or "—", d["proposal_id"] or "—"] for d in draws]
    _sheet(wb, seal, "抽取记录 Draws", ["第几次 no.", "共几次 of", "状态 status", "理由 reason",
                                 "发起 opened by", "同意 consented by", "规格 sha256 spec",
                                 "承诺 commitments", "秘密值 secrets", "公开值 public value",
                                 "种子 seed", "方案 proposal"], draw_rows,
           [8, 8, 20, 40, 24, 24, 30, 50, 50, 30, 30, 10])
    result = json.loads(row.result)
    this_draw = next((d for d in draws if d["id"] == row.draw_id), None)
    provenance: list[list[Any]] = [
        ["轮次 round", f"{rnd.key} {rnd.name}"], ["期间 period", f"{rnd.start} — {rnd.end}"],
        ["方案 proposal", f"#{row.id} ({row.status}), 调整 revision {row.revision}"],
        ["方案类别 kind", KIND_ZH.get(row.kind, row.kind)],
        ["抽取 draw", "—" if this_draw is None else
         f"第{this_draw['number']}次（共{this_draw['of']}次）/ draw {this_draw['number']} of "
         f"{this_draw['of']}; 规格 spec sha256 {this_draw['spec_sha256']}"],
        ["回避规则 policy", f"{statement['policy']} {statement['policy_hash']}"],
        ["种子 seed", row.seed_hex or row.seed],
        ["输入哈希 input hash", row.input_hash],
        ["输入包 sha256 bundle", row.bundle_sha256],
        ["回避说明 sha256 recusals", row.recusals_sha256],
        ["目标值 objective", teams["objective"]],
        ["求解状态 solver status", (result["proposal"] or {}).get("status", "—")],
        ["批准 approved", f"{row.approved_by or '—'} {row.approved_at or ''}"],
    ]
    _sheet(wb, seal, "依据 Provenance", ["项目 item", "值 value"], provenance, [26, 90])
    if row.kind != "record":
        for ws in wb.worksheets:  # every sheet says it is no decision
            ws.insert_rows(1)
            ws["A1"] = f"【{KIND_ZH.get(row.kind, row.kind)}】"
            ws["A1"].font = Font(bold=True, color="C00000")
    for ws in wb.worksheets:
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
