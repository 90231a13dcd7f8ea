"""The round report's words for a draw under probability caps (issue 16): the caps and
what they promise, how much of the uncapped optimum the distribution keeps, which team
set the seed drew and how an auditor recomputes it, and one row per team set (number,
probability, objective; never its members). A proposal drawn without caps gets only its
tolerance, and not a word about caps."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from assignment.capped_draw import percent

Row = list[Any]  # one table row, as report.Cell values
HEADER = ("第几套 set", "概率 probability", "累计概率 cumulative", "目标值 objective",
          "抽中 drawn")
WIDTHS = (8, 34, 20, 14, 14)
RECOMPUTE = ("复算：u = SHA-256(“xuncha-capped-team-draw-v1”‖0x00‖种子十进制) ÷ 2^256，"
             "按顺序累加各套概率，首个累计超过 u 的一套即抽中；分布见“概率分布”表，"
             "复算任务由输入包重算分布，详见 docs/draw.md §11 / "
             "recompute: u = SHA-256(\"xuncha-capped-team-draw-v1\" ‖ 0x00 ‖ the seed in "
             "decimal) ÷ 2^256; add up the sets' probabilities in order: the first set whose "
             "running total exceeds u is drawn; the distribution is in the Distribution table, "
             "and replay recomputes it from the input bundle; see docs/draw.md §11")
RECOMPUTE_PARTS = ("复算：各派出方各抽各的，u = SHA-256(“xuncha-capped-team-draw-v1”‖0x00‖"
                   "种子十进制‖0x00‖派出方代码，互派混编组为 exchange) ÷ 2^256，按顺序累加本方各套"
                   "概率，首个累计超过 u 的一套即抽中；分布见“概率分布”表，复算任务由输入包重算，"
                   "详见 docs/draw.md §11 / recompute: each group draws its own, "
                   "u = SHA-256(\"xuncha-capped-team-draw-v1\" ‖ 0x00 ‖ the seed in decimal ‖ "
                   "0x00 ‖ the group's code, "
                   "or exchange) ÷ 2^256; add up the group's sets' probabilities in order: the "
                   "first whose running total exceeds u is drawn; see docs/draw.md §11")
NO_TOLERANCE = "按概率上限抽取，不适用容差 / drawn under caps; tolerance not used"
NOTE = ("概率为存储的数值，按顺序精确相加；不列各套人员 / each probability as stored, added "
        "up exactly in order; the members of each set are not listed here")


def _number(value: float) -> str:
    """60, 59.5: an expected objective without float noise."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def caps_line(capped: dict[str, Any]) -> str:
    """The title block's line: what the caps promise."""
    return f"概率上限 caps：{capped['meaning_zh']} / {capped['meaning_en']}"


def tolerance_row(proposal: dict[str, Any]) -> Row | None:
    """The tolerance the draw used, or that a capped draw used none."""
    if proposal.get("capped") is not None:
        return ["容差 tolerance", NO_TOLERANCE]
    tolerance = proposal.get("tolerance")
    if not isinstance(tolerance, int | float):
        return None
    share = percent(tolerance)
    return ["容差 tolerance", f"{share}（在最优目标值的 {share} 以内抽取 / drawn within "
                            f"{share} of the best objective）"]


def _drawn(c: dict[str, Any]) -> str:
    if "drawn" not in c:
        why = "；".join(c.get("explanation") or []) or c["status"]
        return f"未抽取 nothing drawn（{why}）"
    p = percent(c["probability"])
    return (f"分布共 {c['team_sets']} 套，抽中第 {c['drawn']} 套（概率 {p}），抽取点 u = "
            f"{c['draw_point']} / {c['team_sets']} team sets; set {c['drawn']} drawn "
            f"(probability {p}), draw point u = {c['draw_point']}")


def caps_rows(capped: dict[str, Any], seed: int | None) -> list[Row]:
    """The provenance's rows for a capped proposal, after its objective."""
    c = capped
    rows: list[Row] = [["概率上限 caps", f"{c['meaning_zh']}（cap {c['cap']}，leader_cap "
                                         f"{c['leader_cap']}）/ {c['meaning_en']}"]]
    if c.get("expected") is not None:
        e, u = _number(c["expected"]), c["uncapped"]
        share = percent(c["share"]) if c.get("share") is not None else "—"
        gap = percent(c["gap"]) if c.get("gap") is not None else "—"
        rows += [
            ["期望目标值 expected objective",
             f"期望目标值 {e} / 不设上限的最优值 {u} = 比例 {share}；与上界的差距 {gap} / "
             f"expected objective {e}, uncapped optimum {u}, share {share}; gap to the "
             f"bound {gap}"],
            ["实际最大概率 largest probability",
             f"进入某组 {percent(c['max_marginal'])}，任组长 "
             f"{percent(c['max_leader_marginal'])} / on a team {percent(c['max_marginal'])}, "
             f"leading it {percent(c['max_leader_marginal'])}"]]
    rows.append(["抽中 drawn", _drawn(c)])
    if "drawn" in c:
        if seed is not None:
            rows.append(["种子（十进制）seed (decimal)", str(seed)])
        rows.append(["复算 recompute", RECOMPUTE])
    return rows


def distribution_rows(capped: dict[str, Any]) -> list[Row]:
    """One row per team set, in the draw's order: its probability as stored, the running
    total (exact, shown to 12 places as u is), its objective, and the set drawn."""
    out: list[Row] = []
    total = Fraction(0)
    for k, s in enumerate(capped.get("distribution") or [], start=1):
        total += Fraction(s["weight"])
        out.append([k, f"{s['weight']!r}（{percent(s['weight'])}）", f"{float(total):.12f}",
                    s["objective"], "抽中 drawn" if capped.get("drawn") == k else ""])
    return out


# A cross-inspection (issue 16 in pairings): each sending group's teams, or the
# exchange's mixed teams, drawn under the caps given the pairing; one capped record each.
PAIRING_HEADER = ("派出方 group", *HEADER)
PAIRING_WIDTHS = (16, 8, 28, 20, 12, 12)
EXCHANGE = "互派混编组 exchange teams"


Part = tuple[str, dict[str, Any], int | None]  # label, capped record, the part's seed


def pairing_capped(pairing: dict[str, Any] | None) -> list[Part]:
    """Each capped part of a stored cross-inspection result (`result["pairing"]`) with
    its label, 东溪区（320102）, and seed, in the order the proposal numbers its teams."""
    if not pairing:
        return []
    names = {g["key"]: g["name"] for g in pairing.get("groups") or []}
    parts = [(f"{names.get(code, code)}（{code}）", p)
             for code, p in sorted((pairing.get("teams") or {}).items())]
    exchange = (pairing.get("exchange") or {}).get("proposal")
    if exchange is not None:
        parts.append((EXCHANGE, exchange))
    return [(label, p["capped"], p.get("seed")) for label, p in parts if p.get("capped")]


def pairing_caps_line(parts: list[Part]) -> str:
    """The title block's line for a cross-inspection: the caps once, and to what."""
    who = ("互派混编组按此上限抽取 / the exchange teams drawn under these caps"
           if parts[0][0] == EXCHANGE else
           "各派出方的巡察组分别按此上限抽取 / each sending group's teams drawn under them")
    return f"{caps_line(parts[0][1])}（{who}）"


def _group_drawn(c: dict[str, Any]) -> str:
    """One group's draw in a line: its sets, the set drawn, u, its expected share."""
    if "drawn" not in c:
        return _drawn(c)
    p = percent(c["probability"])
    zh = f"共 {c['team_sets']} 套，抽中第 {c['drawn']} 套（概率 {p}），u = {c['draw_point']}"
    en = f"{c['team_sets']} sets; set {c['drawn']} drawn (probability {p})"
    if c.get("expected") is not None:
        e, share = _number(c["expected"]), percent(c["share"]) if c.get("share") is not None \
            else "—"
        zh += f"；期望目标值 {e} / 不设上限 {c['uncapped']} = {share}"
        en += f"; expected {e} of the uncapped {c['uncapped']} ({share})"
        zh += f"；实际最大概率 进组 {percent(c['max_marginal'])}，任组长 " \
              f"{percent(c['max_leader_marginal'])}"
        en += f"; largest probability {percent(c['max_marginal'])}, leading " \
              f"{percent(c['max_leader_marginal'])}"
    return f"{zh} / {en}"


def pairing_caps_rows(parts: list[Part]) -> list[Row]:
    """The provenance's rows for a cross-inspection drawn under caps: the caps once, a
    row per group, and the seed and the recomputation once (every part draws with the
    proposal's seed and its own code)."""
    first = parts[0][1]
    rows: list[Row] = [caps_rows(first, None)[0]]
    rows += [[f"抽中 drawn：{label}", _group_drawn(c)] for label, c, _seed in parts]
    seeds = sorted({str(seed) for _label, _c, seed in parts if seed is not None})
    if any("drawn" in c for _label, c, _seed in parts):
        if seeds:
            rows.append(["种子（十进制）seed (decimal)", "、".join(seeds)])
        rows.append(["复算 recompute", RECOMPUTE_PARTS])
    return rows


def pairing_distribution_rows(parts: list[Part]) -> list[Row]:
    """`distribution_rows` of every group, each row led by its group."""
    return [[label, *row] for label, c, _seed in parts for row in distribution_rows(c)]
