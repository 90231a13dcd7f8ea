"""The round page's lines for the age, retirement and post-round evaluation rules and the
probability caps of a stored plan (docs/round-file.md), in office words, Chinese first."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from assignment.capped_draw import cap_sentence
from assignment.retirement import DEFAULT_RULE
from pool.formats import EVALUATION_GRADES

_GRADES = {g.code: g.zh for g in EVALUATION_GRADES}


def practice_rows(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for each rule the plan turns on; empty when it uses none."""
    rows: list[tuple[str, str]] = []
    if plan.get("max_age") is not None:
        rows.append(("年龄上限 Max age", f"本轮开始时不超过{plan['max_age']}周岁 / at most "
                                         f"{plan['max_age']} at the round's start"))
    margin = plan.get("retirement_margin_months")
    if margin is not None:
        rows.append(("距法定退休 Retirement margin",
                     f"法定退休日期须在本轮开始{margin}个月之后 / the statutory retirement "
                     f"date at least {margin} months after the start"))
    if plan.get("max_age") is not None or margin is not None:
        rows.append(("退休年龄规则 Retirement rule", plan.get("retirement_rule", DEFAULT_RULE)))
    evaluations = plan.get("evaluations") or {}
    window = evaluations.get("window_months")
    if window:
        barred = "、".join(_GRADES.get(g, g) for g in evaluations.get("bar_grades",
                                                                     ["incompetent"]))
        accountable = evaluations.get("bar_accountability", True)
        text = (f"{window}个月内评为{barred or '（无）'}"
                + ("或有问责情况" if accountable else "") + f"的不选配 / within {window} "
                f"months: {', '.join(evaluations.get('bar_grades', ['incompetent']))}"
                + (" or an accountability finding" if accountable else "") + " bars")
        weight = (plan.get("weights") or {}).get("commended")
        if weight:
            good = "、".join(_GRADES.get(g, g) for g in evaluations.get(
                "commend_grades", ["excellent", "competent"]))
            text += (f"；优先由评估均为{good}者任组长（权重{weight}）/ leaders so rated "
                     f"preferred (weight {weight})")
        rows.append(("巡后评估 Evaluations", text))
    if plan.get("cap") is not None:
        cap = Fraction(str(plan["cap"]))
        zh, en = cap_sentence(cap, Fraction(str(plan.get("leader_cap", plan["cap"]))))
        rows.append(("概率上限 Probability caps",
                     f"{zh}（抽取按上限从多套方案中抽出一套，不用容差） / {en} (the draw "
                     "samples under the caps; no tolerance)"))
    return rows
