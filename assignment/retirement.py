"""The statutory retirement date from birth date and gender, by a rule held as data
(`retirement_rules/*.yaml`): per gender, segments of birth months with a base age and an
optional gradual delay up to a cap, so a changed schedule is a new file, not new code.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RULE_DIR = Path(__file__).parent / "retirement_rules"
DEFAULT_RULE = "cn-2024"
GENDERS = {"M": ("男", "men"), "F": ("女", "women")}
Month = tuple[int, int]  # (year, month)


class RetirementRuleError(ValueError):
    """A retirement rule file that cannot be used; the message says where and what to fix."""


@dataclass(frozen=True, slots=True)
class Segment:
    """Births of one gender from `born_from` to `born_to` (months, inclusive; None: open)
    retire at `age` years, plus `delay_months` for every `every` months of birth since
    `born_from` (the first `every` months get one step), at most `cap` years."""

    gender: str
    born_from: Month | None
    born_to: Month | None
    age: int
    delay_months: int = 0
    every: int = 1
    cap: int | None = None

    def covers(self, month: Month) -> bool:
        return ((self.born_from is None or self.born_from <= month)
                and (self.born_to is None or month <= self.born_to))

    def age_months(self, month: Month) -> int:
        """The retirement age in months for a birth in `month` (which this segment covers)."""
        base = self.age * 12
        if not self.delay_months or self.born_from is None:
            return base
        since = _months_between(self.born_from, month)
        delay = (since // self.every + 1) * self.delay_months
        cap = (self.cap if self.cap is not None else self.age) * 12
        return min(base + delay, max(cap, base))


@dataclass(frozen=True, slots=True)
class RetirementRule:
    name: str
    title: str
    source: str
    segments: tuple[Segment, ...]

    def age_months(self, birth: dt.date, gender: str) -> int | None:
        """The statutory retirement age in months (None: the rule has no segment for it)."""
        month = (birth.year, birth.month)
        for s in self.segments:
            if s.gender == gender and s.covers(month):
                return s.age_months(month)
        return None

    def retirement_date(self, birth: dt.date, gender: str) -> dt.date | None:
        """The day the cadre reaches the statutory retirement age."""
        months = self.age_months(birth, gender)
        return None if months is None else add_months(birth, months)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months; a day past the target month's end becomes its last."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def age_text(months: int) -> tuple[str, str]:
    """An age in months as 中文 and English: 60岁3个月 / 60 years 3 months."""
    years, rest = divmod(months, 12)
    if not rest:
        return f"{years}岁", f"{years} years"
    return f"{years}岁{rest}个月", f"{years} years {rest} month{'s' if rest > 1 else ''}"


def _months_between(a: Month, b: Month) -> int:
    return (b[0] - a[0]) * 12 + b[1] - a[1]


# -- reading a rule file ------------------------------------------------------------------

def load_rule(name_or_path: str | Path) -> RetirementRule:
    """A shipped rule by name (`cn-2024`) or a YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = RULE_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise RetirementRuleError(
            f"找不到退休年龄规则 {name_or_path}；可用：{', '.join(shipped_rules())} / no "
            f"retirement rule {name_or_path}; available: {', '.join(shipped_rules())}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RetirementRuleError(f"退休年龄规则文件 {path.name} 无法读取或不是有效的 YAML / "
                                  f"{path.name} cannot be read as YAML: {exc}") from None
    return parse_rule(data, path.name)


def shipped_rules() -> list[str]:
    return sorted(p.stem for p in RULE_DIR.glob("*.yaml"))


_LOADED: dict[tuple[str, int], RetirementRule] = {}


def cached_rule(name_or_path: str | Path) -> RetirementRule:
    """`load_rule`, parsed once per file version (its modification time)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = RULE_DIR / f"{name_or_path}.yaml"
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return load_rule(name_or_path)  # raises the usual, explained error
    if key not in _LOADED:
        _LOADED[key] = load_rule(path)
    return _LOADED[key]


def parse_rule(data: Any, where: str = "rule") -> RetirementRule:
    """Check a rule's plain data; every problem is listed with the place it occurs."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise RetirementRuleError(f"退休年龄规则 {where}: 顶层应为映射（name、segments）/ the "
                                  "top level must be a mapping with name and segments")
    unknown = sorted(set(data) - {"name", "title", "source", "segments"})
    if unknown:
        problems.append(f"未知的键 {unknown} / unknown keys {unknown}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append("name: 须为非空文本 / must be a non-empty text")
    rows = data.get("segments")
    segments: list[Segment] = []
    if not isinstance(rows, list) or not rows:
        problems.append("segments: 须为非空列表 / must be a non-empty list")
    else:
        broken = set()  # genders with a segment in error: their coverage is not judged
        for n, row in enumerate(rows):
            seg = _segment(row, f"segments[{n}]", problems)
            if seg is not None:
                segments.append(seg)
            elif isinstance(row, Mapping):
                broken.add(row.get("gender"))
        problems.extend(_coverage(segments, broken))
    if problems:
        raise RetirementRuleError(
            f"退休年龄规则 {where} 有{len(problems)}处问题 / the retirement rule {where} has "
            f"{len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems))
    return RetirementRule(str(name), str(data.get("title") or name),
                          str(data.get("source") or ""), tuple(segments))


_SEGMENT_KEYS = {"gender", "born_from", "born_to", "age", "delay", "cap"}


def _segment(row: Any, at: str, problems: list[str]) -> Segment | None:
    if not isinstance(row, Mapping):
        problems.append(f"{at}: 须为映射 / must be a mapping")
        return None
    before = len(problems)
    unknown = sorted(set(row) - _SEGMENT_KEYS)
    if unknown:
        problems.append(f"{at}: 未知的键 {unknown}，可用 {sorted(_SEGMENT_KEYS)} / unknown keys")
    gender = row.get("gender")
    if gender not in GENDERS:
        problems.append(f"{at}.gender: {gender!r} 须为 M（男）或 F（女）/ must be M or F")
    born_from = _month(row.get("born_from"), f"{at}.born_from", problems)
    born_to = _month(row.get("born_to"), f"{at}.born_to", problems)
    if born_from and born_to and born_from > born_to:
        problems.append(f"{at}: born_from 晚于 born_to / born_from is after born_to")
    age = _count(row.get("age"), f"{at}.age", problems, 1, 100)
    cap = None if row.get("cap") is None else _count(row["cap"], f"{at}.cap", problems, 1, 100)
    delay, every = 0, 1
    if row.get("delay") is not None:
        d = row["delay"]
        if not isinstance(d, Mapping) or set(d) != {"months", "every"}:
            problems.append(f"{at}.delay: 须写 {{months: 延迟月数, every: 每几个月出生}} / "
                            "must be {months: N, every: M}")
        else:
            delay = _count(d["months"], f"{at}.delay.months", problems, 1, 120)
            every = _count(d["every"], f"{at}.delay.every", problems, 1, 120)
        if row.get("born_from") is None:
            problems.append(f"{at}: 逐步延迟须写 born_from（从哪月出生起）/ a delay needs "
                            "born_from, the birth month it starts from")
        if cap is None:
            problems.append(f"{at}: 逐步延迟须写 cap（目标年龄）/ a delay needs a cap (the "
                            "target age)")
    elif cap is not None:
        problems.append(f"{at}: 没有 delay 时不应写 cap / cap needs a delay")
    if cap is not None and cap < age:
        problems.append(f"{at}: cap {cap} 小于 age {age} / cap is below age")
    if len(problems) > before:
        return None
    return Segment(str(gender), born_from, born_to, age, delay, every, cap)


def _coverage(segments: list[Segment], skip: set[Any]) -> list[str]:
    """Each gender's segments must cover every birth month once, in order."""
    out = []
    for gender, (zh, en) in GENDERS.items():
        if gender in skip:
            continue
        mine = [s for s in segments if s.gender == gender]
        if not mine:
            out.append(f"没有{zh}的分段 / no segment for {en} ({gender})")
            continue
        mine.sort(key=lambda s: s.born_from or (0, 0))
        if mine[0].born_from is not None or mine[-1].born_to is not None:
            out.append(f"{zh}（{gender}）的分段须从最早（不写 born_from）覆盖到最晚（不写 "
                       f"born_to）/ segments for {en} must be open at both ends")
        for a, b in itertools.pairwise(mine):
            if a.born_to is None or b.born_from is None or \
                    _months_between(a.born_to, b.born_from) != 1:
                out.append(f"{zh}（{gender}）的分段须首尾相接、不重叠：{_m(a.born_to)} 之后应为 "
                           f"{_m(b.born_from)} 的前一月 / segments for {en} must follow each "
                           "other month by month without overlap")
    return out


def _m(month: Month | None) -> str:
    return "（开放）" if month is None else f"{month[0]:04d}-{month[1]:02d}"


def _month(value: Any, at: str, problems: list[str]) -> Month | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.year, value.month
    text = str(value)
    try:
        year, month = (int(p) for p in text.split("-"))
        if not (1900 <= year <= 2200 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        problems.append(f"{at}: {text!r} 须为年月 YYYY-MM，如 \"1965-01\" / must be a "
                        "month, YYYY-MM")
        return None
    return year, month


def _count(value: Any, at: str, problems: list[str], low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{at}: {value!r} 须为 {low}–{high} 的整数 / must be a whole number "
                        f"from {low} to {high}")
        return low
    return value
