"""Round-level rules on who may be drawn at all, beyond status and recusals: age and the
statutory retirement date (选配尚未退休的干部), and post-round evaluations (巡后评估: a
不称职 grade or an accountability finding bars a cadre for a window). Each gives the
reasons (中文, English) a cadre is left out; `build_instance` reports them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from assignment.retirement import DEFAULT_RULE, RetirementRule, add_months, age_text, cached_rule
from pool.formats import EVALUATION_GRADES
from pool.records import Person, Snapshot

Reason = tuple[str, str]
GRADE_TEXT = {g.code: (g.zh, g.en) for g in EVALUATION_GRADES}


@dataclass(frozen=True)
class AgeRule:
    """`max_age`: whole years at the round's start; `retirement_margin_months`: the
    statutory retirement date must fall at least this many months after the start. With
    either on, a cadre already past their retirement date is left out."""

    max_age: int | None = None
    retirement_margin_months: int | None = None
    retirement: RetirementRule | None = None  # None: the shipped rule

    @property
    def on(self) -> bool:
        return self.max_age is not None or self.retirement_margin_months is not None

    def rule(self) -> RetirementRule:
        return self.retirement or cached_rule(DEFAULT_RULE)


@dataclass(frozen=True)
class EvaluationRule:
    """Evaluations dated within `window_months` before the round's start (0: off) bar a
    cadre with a grade in `bar_grades` or, with `bar_accountability`, any recorded
    accountability finding; a cadre whose evaluations there are all in `commend_grades`
    (and free of findings) is `commended`, for the soft term that prefers them as leaders."""

    window_months: int = 0
    bar_grades: tuple[str, ...] = ("incompetent",)
    bar_accountability: bool = True
    commend_grades: tuple[str, ...] = ("excellent", "competent")


def age_in_years(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_reasons(person: Person, start: dt.date, rule: AgeRule) -> list[Reason]:
    """Why `person` may not be drawn for a round starting `start` under `rule` (empty: may)."""
    if not rule.on:
        return []
    if person.birth_date is None:
        return [("出生日期未填写，无法核对本轮年龄要求；请在人员信息中补填出生日期",
                 "no birth date on file, so the round's age rules cannot be checked: fill in "
                 "the person's birth date")]
    out: list[Reason] = []
    age = age_in_years(person.birth_date, start)
    if rule.max_age is not None and age > rule.max_age:
        out.append((f"本轮开始时{age}岁，超过年龄上限{rule.max_age}岁",
                    f"aged {age} at the round's start, over the limit of {rule.max_age}"))
    margin = rule.retirement_margin_months or 0
    latest = add_months(start, margin)
    retirement = rule.rule()
    genders = [person.gender] if person.gender else ["M", "F"]
    found = {g: retirement.age_months(person.birth_date, g) for g in genders}
    if any(v is None for v in found.values()):
        return [*out, (f"退休年龄规则 {retirement.name} 未涵盖性别 {person.gender}；请核对性别",
                       f"the retirement rule {retirement.name} has no segment for gender "
                       f"{person.gender}: check the person's gender")]
    dates = {g: add_months(person.birth_date, m) for g, m in found.items() if m is not None}
    barred = {g: d <= start or d < latest for g, d in dates.items()}
    if len(set(barred.values())) > 1:  # it depends on the gender, which is not on file
        return [*out, ("性别未填写，无法计算法定退休年龄；请在人员信息中补填性别",
                       "no gender on file, so the statutory retirement date cannot be "
                       "computed: fill in the person's gender")]
    # barred under every possible gender: name the latest date, true whatever the gender
    g = max(dates, key=lambda k: dates[k])
    day, months = dates[g], found[g]
    if not barred[g] or months is None:
        return out
    zh_age, en_age = age_text(months)
    when_zh, when_en = f"{day.year}年{day.month}月", f"{day:%Y-%m}"
    if day <= start:
        out.append((f"已于{when_zh}达到法定退休年龄（{zh_age}）",
                    f"reached the statutory retirement age ({en_age}) in {when_en}"))
    else:
        out.append((f"{when_zh}达到法定退休年龄（{zh_age}，距本轮开始不足{margin}个月）",
                    f"reaches the statutory retirement age ({en_age}) in {when_en}, less than "
                    f"{margin} months after the round's start"))
    return out


@dataclass(frozen=True)
class EvaluationStanding:
    """Per cadre, from the evaluations within the window: reasons to bar, and who is
    commended."""

    barred: dict[str, list[Reason]]
    commended: frozenset[str]


def evaluation_standing(snapshot: Snapshot, start: dt.date, rule: EvaluationRule
                        ) -> EvaluationStanding:
    """The evaluations dated (evaluated, or their round ended) within `rule.window_months`
    before `start` decide; an evaluation with neither date known is not counted."""
    if rule.window_months <= 0:
        return EvaluationStanding({}, frozenset())
    since = add_months(start, -rule.window_months)
    barred: dict[str, list[Reason]] = defaultdict(list)
    grades: dict[str, list[bool]] = defaultdict(list)
    for e in sorted(snapshot.evaluations, key=lambda e: (e.person_key, e.round_key)):
        rnd = snapshot.rounds.get(e.round_key)
        days = [d for d in (e.evaluated_on, rnd.end if rnd else None) if d is not None]
        if not any(since <= d <= start for d in days):
            continue
        finding = (e.accountability or "").strip()
        grade_zh, grade_en = GRADE_TEXT.get(e.grade, (e.grade, e.grade))
        name = f"{rnd.name}（{e.round_key}）" if rnd else e.round_key
        bad_grade = e.grade in rule.bar_grades
        bad_finding = bool(finding) and rule.bar_accountability
        if bad_grade or bad_finding:
            zh = [f"巡后评估：{name}评为{grade_zh}"]
            en = [f"post-round evaluation: rated {grade_en} in {e.round_key}"]
            if finding:
                zh.append(f"问责情况：{finding}")
                en.append(f"accountability finding: {finding}")
            barred[e.person_key].append((
                "，".join(zh) + f"（{rule.window_months}个月内不再选配）",
                "; ".join(en) + f" (not drawn for {rule.window_months} months)"))
        grades[e.person_key].append(e.grade in rule.commend_grades and not finding)
    commended = frozenset(k for k, ok in grades.items() if all(ok))
    return EvaluationStanding(dict(barred), commended)
