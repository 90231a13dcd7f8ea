"""The round report's content as plain data: a title block, tables (teams, each member's
recusal statement, the 回避情况说明 per target, manual changes, draws, provenance and
approval) and a signature block, sealed before it leaves. `service/report_xlsx.py` and
`service/report_pdf.py` print the same `Report`; `service/report_data.py` reads what it
needs from the database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from pool import models as m
from service.report_caps import HEADER as CAPS_HEADER
from service.report_caps import (
    NO_TOLERANCE,
    PAIRING_HEADER,
    PAIRING_WIDTHS,
    Part,
    caps_line,
    caps_rows,
    distribution_rows,
    pairing_capped,
    pairing_caps_line,
    pairing_caps_rows,
    pairing_distribution_rows,
    tolerance_row,
)
from service.report_caps import NOTE as CAPS_NOTE
from service.report_caps import WIDTHS as CAPS_WIDTHS
from service.report_data import ReportFacts, gather, holder_name
from service.report_departures import HEADER as DEPARTURE_HEADER
from service.report_departures import NONE as NO_DEPARTURE
from service.report_departures import WIDTHS as DEPARTURE_WIDTHS
from service.report_departures import departure_rows
from service.report_groups import HEADER as GROUP_HEADER
from service.report_groups import WIDTHS as GROUP_WIDTHS
from service.report_groups import group_rows
from service.rounds import recusal_counts

Cell = str | int | float | dt.datetime | None
ROLE_ZH = {"leader": "组长", "deputy": "副组长", "member": "组员", "liaison": "联络员"}
OP_ZH = {"swap": "对调 swap", "add": "增加 add", "remove": "移出 remove",
         "replacement": "离组抽签替换 replaced by lot"}
KIND_ZH = {"record": "抽取结果 draw of record", "trial": "试算，不可批准 TRIAL, never approvable",
           "legacy": "旧方式抽取，不可批准 drawn before the ceremony, not approvable"}
HIDDEN = "（批准前不公开 / hidden before approval）"
SIGNATURES = ("经办人 prepared by", "审核人 reviewed by", "批准人 approved by")
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")  # no daylight saving in China


@dataclass(frozen=True)
class Table:
    """One sheet of the workbook, one section of the PDF."""

    sheet: str  # the sheet's name (at most 31 characters)
    title: str  # the heading printed above it
    header: tuple[str, ...]
    widths: tuple[int, ...]  # column widths in characters; the PDF scales them to fit
    rows: list[list[Cell]]
    notes: tuple[str, ...] = ()  # lines printed under the table

    @property
    def wide(self) -> bool:
        """Printed landscape."""
        return sum(self.widths) > 100


@dataclass(frozen=True)
class Report:
    round_name: str  # in every page's header
    title: str
    banner: str | None  # 【试算，不可批准】 on every page of what is no decision
    lines: tuple[str, ...]  # the title block: round, period, proposal, kind
    tables: tuple[Table, ...]
    signatures: tuple[str, ...] = SIGNATURES
    filename: str = field(default="report")


def beijing(at: dt.datetime | None) -> dt.datetime | None:
    """A stored time (naive UTC) in Beijing time, naive, to the minute."""
    if at is None:
        return None
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(BEIJING).replace(tzinfo=None, second=0, microsecond=0)


def beijing_text(at: dt.datetime | None) -> str:
    """2026年12月3日 14:05（北京时间）"""
    local = beijing(at)
    return "—" if local is None else (f"{local.year}年{local.month}月{local.day}日 "
                                      f"{local:%H:%M}（北京时间）")


def rule_label(rule: str, titles: Mapping[str, str]) -> str:
    """A rule by its Chinese title (the part before the colon) with its id beside."""
    title = titles.get(rule)
    return f"{title.split('：')[0]}（{rule}）" if title else rule


def recusal_sentence(target: str, counts: Mapping[str, int], total: int,
                     titles: Mapping[str, str],
                     partial: Mapping[str, Sequence[str]] | None = None) -> str:
    """对云川市审计局（U00003）：因地域回避（region）回避12人、……，共14人须回避（…）；
    因…（rule）不得任组长5人. A rule in `partial` bars only the roles it names: its
    cadres are not in the total (they may join the team in another role)."""
    partial = partial or {}
    if not counts:
        return f"对{target}：无须回避人员"
    ranked = sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    whole = "、".join(f"因{rule_label(rule, titles)}回避{n}人"
                      for rule, n in ranked if rule not in partial)
    some = "、".join(f"因{rule_label(rule, titles)}不得任"
                     f"{'、'.join(ROLE_ZH.get(r, r) for r in partial[rule])}{n}人"
                     for rule, n in ranked if rule in partial)
    text = f"对{target}：{whole}，共{total}人须回避（一人可因多项规则回避）" if whole \
        else f"对{target}：无须整体回避人员"
    return f"{text}；{some}" if some else text


def _member_statement(explanations: list[dict[str, Any]], units: Mapping[str, str]
                      ) -> tuple[str, str]:
    zh, en = [], []
    for ex in explanations:
        target = units.get(ex["target_key"]) or f"{ex['target_name']}（{ex['target_key']}）"
        hard = [r for r in ex["reasons"] if r["hard"]]
        soft = [r for r in ex["reasons"] if not r["hard"]]
        if not ex["reasons"]:
            zh.append(f"对{target}：经核查{len(ex['checked'])}条回避规则，未发现须回避情形")
            en.append(f"{target}: {len(ex['checked'])} rules checked, no recusal")
        for r in hard:
            roles = "、".join(ROLE_ZH.get(x, x) for x in r["roles"])
            zh.append(f"对{target}：{r['title_zh']}（须回避的角色：{roles}；本人所任角色不在其列）")
            en.append(f"{target}: {r['title_en']} (barred roles: "
                      f"{', '.join(r['roles'])}; not the role held)")
        for r in soft:
            zh.append(f"对{target}：{r['title_zh']}（宜回避，已知悉）")
            en.append(f"{target}: {r['title_en']} (soft, noted)")
    return "；".join(zh), "; ".join(en)


def _placed(x: dict[str, Any]) -> str:
    placed = x.get("placed")
    if not placed:
        return "抽取产生 drawn"
    if placed.get("op") == "replacement":
        return (f"离组后抽签替换 placed by lot：第{placed['revision']}次调整（revision "
                f"{placed['revision']}），签号 ticket {placed.get('ticket')}，"
                f"{holder_name(placed['actor'])}，"
                f"{beijing_text(dt.datetime.fromisoformat(placed['at']))}；原因：{placed['reason']}")
    return (f"人工调整 placed by hand：第{placed['revision']}次调整（revision "
            f"{placed['revision']}），{holder_name(placed['actor'])}，"
            f"{beijing_text(dt.datetime.fromisoformat(placed['at']))}；理由：{placed['reason']}")


def _team_tables(f: ReportFacts, show: bool) -> tuple[Table, Table]:
    team_rows: list[list[Cell]] = []
    member_rows: list[list[Cell]] = []
    for t in f.teams["teams"]:
        targets = "、".join(f.units.get(u, u) for u in t["targets"])
        for x in t["members"]:
            key, name = (x["key"], x["name"]) if show else (HIDDEN, HIDDEN)
            role = f"{ROLE_ZH.get(x['role'], x['role'])} {x['role']}"
            skills = "、".join(f.skills.get(s, s) for s in x.get("skills", []))
            side = f.units.get(x["side"], x["side"]) if x.get("side") else ""
            team_rows.append([t["no"], targets, role, key, name, skills, side, _placed(x)])
            explained = f.statements.get(x["key"])
            if not show:
                zh, en = HIDDEN, HIDDEN
            elif explained is None:
                zh, en = ("（无法核查：不在本次抽取的输入中）",
                          "(cannot be checked: not in the draw's input)")
            else:
                zh, en = _member_statement(explained, f.units)
                if x["key"] in f.checked_for_report:
                    zh += "（人工调整后按本次抽取的输入包核查）"
                    en += " (checked after the manual change, against the draw's input bundle)"
            member_rows.append([t["no"], key, name, role, zh, en])
    teams = Table("巡察组 Teams", "巡察组组成 Teams",
                  ("组 team", "被巡察单位 targets", "角色 role", "人员编号 key", "姓名 name",
                   "专业特长 skills", "派出方 side", "产生方式 placed"),
                  (6, 24, 12, 12, 10, 24, 12, 40), team_rows)
    if not any(r[6] for r in team_rows):  # no sides outside a cross-inspection
        teams = replace(teams, header=teams.header[:6] + teams.header[7:],
                        widths=teams.widths[:6] + teams.widths[7:],
                        rows=[r[:6] + r[7:] for r in team_rows])
    members = Table("成员回避声明 Members", "成员回避核查 Each member's recusal check",
                    ("组 team", "人员编号 key", "姓名 name", "角色 role", "回避核查（中文）",
                     "recusal check (English)"), (6, 12, 10, 10, 60, 48), member_rows)
    return teams, members


def _recusal_table(f: ReportFacts) -> Table:
    counts = recusal_counts(f.statement["recusals"], f.partial)
    rows: list[list[Cell]] = []
    for t in f.teams["teams"]:
        for target in t["targets"]:
            mine, total = counts.get(target, ({}, 0))
            by_rule = "; ".join(f"{rule}: {n}" for rule, n in mine.items()) or "none"
            rows.append([t["no"], f.units.get(target, target), total,
                         recusal_sentence(f.units.get(target, target), mine, total, f.titles,
                                          f.partial),
                         by_rule])
    return Table("回避情况说明 Recusals", "回避情况说明 Who was kept away from which target",
                 ("组 team", "被巡察单位 target", "须回避人数 cadres", "说明",
                  "by rule (cadres)"), (6, 24, 10, 64, 30), rows,
                 ("按硬性回避规则统计在库干部（去重），一人可因多项规则回避；只限某些角色的规则"
                  "（如不得任组长）单列，不计入须回避人数 / distinct cadres of the pool kept "
                  "away by each hard rule; one cadre may fall under several; a rule barring "
                  "only some roles (such as leading a team) is listed apart and not in the total",))


def _change_table(f: ReportFacts) -> Table:
    rows: list[list[Cell]] = []
    for c in f.changes:
        what = c["change"]
        who = f"{what['cadre']} {f.people.get(what['cadre'], '')}".strip()
        if what.get("replacement"):
            who += f" → {what['replacement']} {f.people.get(what['replacement'], '')}".rstrip()
        role = f"（{ROLE_ZH.get(what['role'], what['role'])}）" if what.get("role") else ""
        rows.append([c["revision"], f"第{what['team']}组 {OP_ZH.get(what['op'], what['op'])}："
                     f"{who}{role}", holder_name(c["actor"]), beijing(c["at"]), c["reason"]])
    return Table("人工调整 Changes", "人工调整记录 Manual changes",
                 ("第几次调整 revision", "调整 change", "调整人 by", "时间（北京时间）at",
                  "理由 reason"), (10, 40, 14, 18, 50), rows,
                 () if rows else ("未做人工调整 / no manual change",))


def _departure_table(f: ReportFacts) -> Table:
    rows = departure_rows(f, beijing)
    return Table("人员调整 Replacements", "巡察期间人员调整 Replacements during the round",
                 DEPARTURE_HEADER, DEPARTURE_WIDTHS, rows, () if rows else (NO_DEPARTURE,))


def _group_table(f: ReportFacts, show: bool) -> Table | None:
    """检查小组: only a round whose teams are split into checking groups has this table."""
    rows = group_rows(f, show, HIDDEN)
    return Table("检查小组 Groups", "检查小组 Checking groups of each team", GROUP_HEADER,
                 GROUP_WIDTHS, rows, ("每名成员恰在一个小组；每个小组至少一人具备所需专长之一 / "
                                      "every member is in exactly one group; each group has a "
                                      "member holding one of its skills",)) if rows else None


def _draw_table(draws: Sequence[dict[str, Any]]) -> Table:
    rows: list[list[Cell]] = [[
        f"{d['number']}/{d['of']}", f"{d['status_zh']} {d['status']}", d["reason"] or "—",
        holder_name(d["requested_by"]), holder_name(d["consented_by"]) or "—",
        d["spec_sha256"], "\n".join(f"{p['role']}: {p['commitment'] or '—'}"
                                    for p in d["parties"]),
        "\n".join(f"{p['role']}: {p['secret'] or '（未揭示 not revealed）'}"
                  for p in d["parties"]),
        f"{d['public_source']}: {d['public_value'] or '—'}" if d["public_source"] else "—",
        d["seed"] or "—", d["proposal_id"] or "—"] for d in draws]
    return Table("抽取记录 Draws", "抽取记录 Draws of the round",
                 ("第几次 no.", "状态 status", "理由 reason", "发起 opened by",
                  "同意 consented by", "规格 sha256 spec", "承诺 commitments",
                  "秘密值 secrets", "公开值 public value", "种子 seed", "方案 proposal"),
                 (7, 12, 16, 12, 12, 22, 30, 30, 14, 22, 9), rows)


def _distribution_table(proposal: dict[str, Any], parts: list[Part]) -> Table | None:
    """A capped draw's team sets (number, probability, objective; no names); for a
    cross-inspection, every group's, each row led by its group."""
    capped = proposal.get("capped")
    title = ("概率分布 Distribution", "抽取所依据的概率分布 The distribution drawn from")
    if parts:
        return Table(*title, PAIRING_HEADER, PAIRING_WIDTHS, pairing_distribution_rows(parts),
                     (CAPS_NOTE,))
    rows = distribution_rows(capped) if capped else []
    return Table(*title, CAPS_HEADER, CAPS_WIDTHS, rows, (CAPS_NOTE,)) if rows else None


def _provenance(f: ReportFacts, proposal: dict[str, Any], parts: list[Part]) -> Table:
    row, statement = f.row, f.statement
    this_draw = next((d for d in f.draws if d["id"] == row.draw_id), None)
    tolerance = ["容差 tolerance", NO_TOLERANCE] if parts else tolerance_row(proposal)
    capped = proposal.get("capped")
    items: list[list[Cell]] = [
        ["方案类别 kind", KIND_ZH.get(row.kind, row.kind)],
        ["抽取 draw", "—" if this_draw is None else
         f"第{this_draw['number']}次（共{this_draw['of']}次）/ draw {this_draw['number']} of "
         f"{this_draw['of']}; 规格 spec sha256 {this_draw['spec_sha256']}"],
        ["回避规则 policy", f"{f.policy_title}（{statement['policy']}）sha256 "
                          f"{statement['policy_hash']}"],
        ["种子 seed", row.seed_hex or row.seed],
        ["输入哈希 input hash", row.input_hash],
        ["输入包 sha256 bundle", row.bundle_sha256],
        ["回避说明 sha256 recusals", row.recusals_sha256],
        ["目标值 objective", f.teams["objective"]],
        *(caps_rows(capped, proposal.get("seed")) if capped else []),
        *(pairing_caps_rows(parts) if parts else []),
        *([tolerance] if tolerance else []),
        ["求解状态 solver status", proposal.get("status", "—")],
        ["生成 drawn", f"{holder_name(row.created_by)}，{beijing_text(row.created_at)}"],
        ["批准人 approved by", holder_name(row.approved_by) or "未批准 not approved"],
        ["批准时间 approved at", beijing_text(row.approved_at) if row.approved_at else "—"],
        ["批准意见 approval note", f.approval_note or "—"],
    ]
    notes = tuple(f"{who}（签字 signature）：____________________    日期 date：______年____月"
                  "____日" for who in SIGNATURES)
    return Table("依据与批准 Provenance", "依据、批准与签字 Provenance, approval, signatures",
                 ("项目 item", "内容 value"), (26, 74), items, notes)


def report_content(session: Session, row: m.ProposalRecord, *, show_names: bool,
                   draws: list[dict[str, Any]],
                   seal: Callable[[Any], Any] = lambda value: value) -> Report:
    """The report of a proposal; `draws` are the round's draws as the API reads them.
    Every table passes through `seal` (`service.sealing`) before it is returned."""
    f = gather(session, row, draws, explain_missing=show_names)
    rnd = f.round
    stored = json.loads(row.result)
    proposal: dict[str, Any] = stored["proposal"] or {}
    parts = pairing_capped(stored.get("pairing"))  # a cross-inspection's capped draws
    teams, members = _team_tables(f, show_names)
    groups = _group_table(f, show_names)  # 检查小组, right after the teams
    distribution = _distribution_table(proposal, parts)  # a capped draw's team sets
    shown = tuple(t for t in (teams, groups, members, _recusal_table(f), _change_table(f),
                              _departure_table(f), _draw_table(f.draws), distribution,
                              _provenance(f, proposal, parts)) if t is not None)
    sealed = tuple(replace(t, rows=seal(t.rows) or []) for t in shown)
    status = {"draft": "草案 draft", "approved": "已批准 approved",
              "infeasible": "无法组建 infeasible", "superseded": "已被取代 superseded"}
    return Report(
        round_name=rnd.name, title=f"{rnd.name} 巡察组组建报告",
        banner=None if row.kind == "record" else f"【{KIND_ZH.get(row.kind, row.kind)}】",
        lines=(f"轮次 round：{rnd.name}（{rnd.key}）",
               f"期间 period：{rnd.start.year}年{rnd.start.month}月{rnd.start.day}日 — "
               f"{rnd.end.year}年{rnd.end.month}月{rnd.end.day}日",
               f"方案 proposal：第{row.id}号，{status.get(row.status, row.status)}，"
               f"人工调整{row.revision}次 revision {row.revision}",
               f"类别 kind：{KIND_ZH.get(row.kind, row.kind)}",
               *([caps_line(proposal["capped"])] if proposal.get("capped") else []),
               *([pairing_caps_line(parts)] if parts else [])),
        tables=sealed, filename=f"proposal-{row.id}")
