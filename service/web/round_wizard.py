"""The round wizard's state and checks: the form's fields as typed (carried from step to
step in hidden fields, no server-side draft), the plan they make (a round file or a
cross-inspection plan, as `POST /v1/rounds` takes it), and every problem the service finds
with it (`service.plan_problems.translate`, `service.decisions.resolved`,
`service.scope.check_round`) put back on the field that caused it. Probability caps are
typed as percentages (20 → `cap: 0.2`) and checked here, in percent, before the plan's
own check."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from assignment.capped_draw import cap_sentence
from pool import models as m
from service.auth import Principal
from service.cross import CrossFile
from service.decisions import Spec, resolved
from service.errors import DomainError
from service.plan_problems import translate
from service.rounds import RoundFile
from service.scope import check_round

STEPS = ("basics", "targets", "requirements", "check")
STEP_TITLES = {"basics": ("基本信息", "Basics"), "targets": ("被巡察单位", "Targets"),
               "requirements": ("人员要求", "Team requirements"),
               "check": ("核对并建立", "Check your answers")}
KINDS = (("regular", "常规巡察", "regular"), ("special", "专项巡察", "special"),
         ("mobile", "机动巡察", "mobile"), ("elevated", "提级巡察", "elevated"),
         ("cross", "交叉巡察", "cross-inspection"))
KIND_CODES = tuple(k for k, _zh, _en in KINDS)
MODES = (("direct", "直派：各分组由本组干部组成", "direct: each group staffs its own teams"),
         ("exchange", "互派：两个分组混编", "exchange: mixed teams of two groups"))
BASIC_FIELDS = ("key", "name", "kind", "start", "end", "as_of", "policy", "region",
                "pool_region", "region_level", "mode", "rotation")
RANGE_FIELDS = ("size_min", "size_max", "deputies_min", "deputies_max")
CAP_FIELDS = {"cap": ("概率上限", "the cap"), "leader_cap": ("组长概率上限", "the leader cap")}
PERCENT = re.compile(r"\d{1,3}(?:\.\d+)?", re.ASCII)
MAX_VALUE = 100_000  # characters of one field (a textarea of a thousand teams fits)
MAX_FIELDS = 900  # fields carried (the form parser stops at 1,000)
UNIT_SEPARATORS = re.compile(r"[、，,；;]")
_NAME = re.compile(r"(?:skill_|t\d{1,4}_(?:size_min|size_max|deputies_min|deputies_max|"
                   r"skill_)|targets_|sends_)[\w.-]{0,64}")
SHORT = {  # beside a range field: what to type (the summary keeps the service's words)
    "size": ("人数为1–50的整数，下限不大于上限",
             "whole numbers 1–50, the lower not above the upper"),
    "deputies": ("人数为0–50的整数，下限不大于上限",
                 "whole numbers 0–50, the lower not above the upper"),
}


def step_of(name: str) -> str:
    """The step whose page holds the field `name`."""
    if name in BASIC_FIELDS:
        return "basics"
    if name in ("teams", "groups") or name.startswith(("targets_", "sends_")):
        return "targets"
    return "requirements"


def split_units(line: str) -> list[str]:
    return [u.strip() for u in UNIT_SEPARATORS.split(line) if u.strip()]


@dataclass
class Draft:
    """The wizard's fields as typed (every value a string)."""

    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> Draft:
        values: dict[str, str] = {}
        for name in list(form.keys())[:MAX_FIELDS]:
            value = form.get(name)
            if isinstance(value, str) and (name in BASIC_FIELDS or name == "teams"
                                           or name in RANGE_FIELDS or name == "min_per_side"
                                           or name in CAP_FIELDS or _NAME.fullmatch(name)):
                values[name] = value.replace("\r\n", "\n")
        return cls(values)

    def too_long(self) -> list[dict[str, str]]:
        """A problem for each field longer than the wizard takes."""
        return [problem_at(k, f"内容过长：最多{MAX_VALUE}个字符", f"too long: at most {MAX_VALUE} "
                       "characters") for k, v in self.values.items() if len(v) > MAX_VALUE]

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def kind(self) -> str:
        return self.get("kind", "regular")

    @property
    def cross(self) -> bool:
        return self.kind == "cross"

    def hidden(self, step: str) -> list[tuple[str, str]]:
        """The fields to carry on `step`'s page: every non-empty one shown elsewhere."""
        return [(k, v) for k, v in self.values.items() if v and step_of(k) != step]

    def team_lines(self) -> list[list[str]]:
        return [split_units(line) for line in self.get("teams").splitlines()
                if split_units(line)]

    def group_codes(self, offered: Iterable[str]) -> list[str]:
        """The groups taking part (given units to receive teams for, or a number of teams
        to send), in the order offered."""
        return [c for c in offered if self.get(f"targets_{c}").strip()
                or self.get(f"sends_{c}").strip()]

    def unknown_skills(self, prefix: str, codes: Iterable[str]) -> list[str]:
        """Skill fields under `prefix` the catalogue does not have (shown, to be cleared)."""
        known = {f"{prefix}{c}" for c in codes}
        return [k.removeprefix(prefix) for k, v in self.values.items()
                if k.startswith(prefix) and k not in known and v.strip()]

    def team_override(self, i: int) -> bool:
        return any(v.strip() for k, v in self.values.items() if k.startswith(f"t{i}_"))

    def caps(self) -> dict[str, str]:
        """The caps typed as percentages, as the plan takes them ("20" → "0.2"); a field
        left blank or not a valid percentage is left out (`cap_problems` names it)."""
        out = {}
        for name in CAP_FIELDS:
            value, _problem = _percent(name, self.get(name))
            if value is not None:
                out[name] = value
        if "cap" not in out:  # leader_cap alone: said on its field by `cap_problems`
            out.pop("leader_cap", None)
        return out

    def cap_meaning(self) -> tuple[str, str] | None:
        """What the typed caps promise, in the proposal's words; None without caps."""
        caps = self.caps()
        if "cap" not in caps:
            return None
        return cap_sentence(Fraction(caps["cap"]), Fraction(caps.get("leader_cap", caps["cap"])))

    def add_unit(self, key: str, group: str | None, join_last: bool) -> None:
        """A unit picked from the search: a new team (line), or the last team's second
        unit; in a cross round, a new visiting team of its group."""
        name = f"targets_{group}" if group else "teams"
        lines = [x for x in self.get(name).splitlines() if x.strip()]
        if join_last and lines:
            lines[-1] = f"{lines[-1]}、{key}"
        else:
            lines.append(key)
        self.values[name] = "\n".join(lines)


def _percent(name: str, typed: str) -> tuple[str | None, dict[str, str] | None]:
    """A cap typed as a percentage (20, 12.5, ２０%) as the fraction the plan takes
    ("0.2"), or the problem with it; (None, None) when blank. Six decimals of a fraction
    are four of a percentage."""
    text = unicodedata.normalize("NFKC", typed).strip().removesuffix("%").strip()
    if not text:
        return None, None
    label_zh, label_en = CAP_FIELDS[name]
    shown = typed.strip()
    if PERCENT.fullmatch(text) is None:
        return None, problem_at(
            name, f"{label_zh}（{name}）须为百分数，填大于0、不超过100的数，如 20 即 20%：所填为 "
                  f"{shown}", f"{label_en} ({name}) is a percentage, a number above 0 and at "
                              f"most 100, e.g. 20 for 20%: given {shown}")
    value = Decimal(text)
    if not 0 < value <= 100:
        return None, problem_at(
            name, f"{label_zh}（{name}）须大于0、不超过100（百分数）：所填为 {shown}",
            f"{label_en} ({name}) must be above 0 and at most 100 (a percentage): given {shown}")
    exponent = value.normalize().as_tuple().exponent  # an int: the value is finite
    if isinstance(exponent, int) and exponent < -4:
        return None, problem_at(
            name, f"{label_zh}（{name}）最多写到小数点后四位：所填为 {shown}",
            f"{label_en} ({name}) takes at most four decimals: given {shown}")
    return format((value / 100).normalize(), "f"), None


def cap_problems(d: Draft) -> list[dict[str, str]]:
    """Each cap field that cannot be used, said on the field: not a percentage in (0, 100],
    or a leader cap without a cap."""
    typed = [name for name in CAP_FIELDS if d.get(name).strip()]
    problems = [p for name in typed if (p := _percent(name, d.get(name))[1]) is not None]
    if "leader_cap" in typed and "cap" not in typed:
        problems.append(problem_at(
            "leader_cap", "填写组长概率上限时须同时填写概率上限；只限组长时概率上限填 100",
            "the leader cap needs the cap as well; to bound leaders only, fill the cap with 100"))
    return problems


def _skills(d: Draft, prefix: str, codes: Iterable[str]) -> dict[str, str]:
    """The skill counts given under `prefix`: the catalogue's, then any other code the form
    carries (a skill gone from the catalogue since the page was sent: the service names
    it, with what was probably meant)."""
    names = [f"{prefix}{c}" for c in codes]
    names += [k for k in d.values if k.startswith(prefix) and k not in names]
    return {k.removeprefix(prefix): d.get(k).strip() for k in names
            if d.get(k).strip() not in ("", "0")}


def _range(d: Draft, prefix: str, name: str) -> list[str | None] | None:
    low, high = d.get(f"{prefix}{name}_min").strip(), d.get(f"{prefix}{name}_max").strip()
    if not low and not high:
        return None
    return [low or None, high or None]


def plan_data(d: Draft, skill_codes: list[str], groups: list[str]) -> dict[str, Any]:
    """The plan as a request body's `plan` (or `cross`) would say it, values as typed;
    a blank field is left out (the service then names it as missing, or uses its
    default)."""
    data: dict[str, Any] = {k: d.get(k).strip() for k in ("key", "name", "start", "end",
                                                            "as_of") if d.get(k).strip()}
    data["policy"] = d.get("policy", "default")
    defaults: dict[str, Any] = {"size": _range(d, "", "size"),
                                "deputies": _range(d, "", "deputies"),
                                "skills": _skills(d, "skill_", skill_codes)}
    data["defaults"] = {k: v for k, v in defaults.items() if v is not None}
    if d.cross:
        data["rotation"] = d.get("rotation", "yes") != "no"
        data["mode"] = d.get("mode", "direct")
        if data["mode"] == "exchange" and d.get("min_per_side").strip():
            data["min_per_side"] = d.get("min_per_side").strip()
        data["groups"] = [
            {"region": code, **({"sends": d.get(f"sends_{code}").strip()}
                                if d.get(f"sends_{code}").strip() else {}),
             "targets": [split_units(x) for x in d.get(f"targets_{code}").splitlines()
                         if split_units(x)]} for code in groups]
        return data | d.caps()
    data["kind"] = d.kind
    data |= d.caps()
    if d.get("region"):
        data["region"] = d.get("region")
    if d.kind == "elevated":
        for name in ("pool_region", "region_level"):
            if d.get(name):
                data[name] = d.get(name)
    teams: list[dict[str, Any]] = []
    for i, targets in enumerate(d.team_lines()):
        team: dict[str, Any] = {"targets": targets}
        for name in ("size", "deputies"):
            given = _range(d, f"t{i}_", name)
            if given is not None:
                team[name] = given
        if any(v.strip() for k, v in d.values.items() if k.startswith(f"t{i}_skill_")):
            team["skills"] = _skills(d, f"t{i}_skill_", skill_codes)
        teams.append(team)
    data["teams"] = teams
    return data


@dataclass
class Checked:
    """A draft checked up to a step: its problems, each on a field, and the plan in codes
    and keys when the steps so far are right."""

    errors: list[dict[str, str]] = field(default_factory=list)
    spec: Spec | None = None
    refusal: DomainError | None = None  # a scope refusal, to be audited


def form_field(path: str, d: Draft, groups: list[str]) -> str:
    """The form field a problem's dotted path (`plan.teams.0.size.1`) points at."""
    parts = path.split(".") if path else []
    if parts and parts[0] in ("plan", "cross"):
        parts = parts[1:]
    if not parts:
        return "end"  # the plan's own check: the period
    top, rest = parts[0], parts[1:]
    if top in BASIC_FIELDS or top == "min_per_side" or top in CAP_FIELDS:
        return top
    if top == "defaults" and rest:
        if rest[0] in ("size", "deputies"):
            return f"{rest[0]}_{'max' if rest[1:2] == ['1'] else 'min'}"
        if rest[0] == "skills" and len(rest) > 1:
            return f"skill_{rest[1]}"
        return "size_min"
    if top == "teams" and len(rest) > 1 and rest[1] in ("size", "deputies", "skills"):
        if rest[1] == "skills":
            return f"t{rest[0]}_skill_{rest[2]}" if len(rest) > 2 else f"t{rest[0]}_size_min"
        return f"t{rest[0]}_{rest[1]}_{'max' if rest[2:3] == ['1'] else 'min'}"
    if top == "groups":
        if rest and rest[0].isdigit() and int(rest[0]) < len(groups):
            code = groups[int(rest[0])]
            return f"sends_{code}" if rest[1:2] == ["sends"] else f"targets_{code}"
        return "groups"
    if top == "teams":
        return "groups" if d.cross else "teams"
    return "key"


def problem_at(name: str, zh: str, en: str) -> dict[str, str]:
    error = {"field": name, "zh": zh, "en": en}
    for prefix, (short_zh, short_en) in SHORT.items():
        if re.fullmatch(rf"(t\d+_)?{prefix}_(min|max)", name):
            error |= {"short_zh": short_zh, "short_en": short_en}
    return error


def check(session: Session, principal: Principal, d: Draft, upto: str,
          skill_codes: list[str], groups: list[str]) -> Checked:
    """The problems of the steps up to `upto`, as the service words them."""
    out = Checked()
    reached = STEPS[:STEPS.index(upto) + 1]
    if "requirements" in reached:
        out.errors.extend(cap_problems(d))
    model: type[RoundFile] | type[CrossFile] = CrossFile if d.cross else RoundFile
    data = plan_data(d, skill_codes, groups)
    if upto == "basics":  # placeholders, so that the plan's own checks (dates) run
        data.setdefault("defaults", {})
        if d.cross:
            data["groups"] = [{"region": "-", "targets": []}] * 2
        else:
            data["teams"] = [{"targets": ["-"]}]
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        for p in translate(exc.errors(), model):
            name = form_field(p.field, d, groups)
            if step_of(name) in reached:
                out.errors.append(problem_at(name, p.zh, p.en))
        if not out.errors and upto == "basics" and \
                session.get(m.Round, data.get("key", "")) is not None:
            out.errors.append(_taken(data["key"]))
        return out
    if session.get(m.Round, spec.key) is not None:
        out.errors.append(_taken(spec.key))
        return out
    if upto == "basics" or out.errors:
        return out
    try:
        spec = resolved(session, spec, principal.regions)
        region = d.get("region") or principal.scope
        check_round(session, region=region or None,
                    targets=[u for t in _targets(spec) for u in t],
                    groups=[g.region for g in spec.groups] if isinstance(spec, CrossFile)
                    else [], pool_region=spec.pool_region if isinstance(spec, RoundFile)
                    else None, creator=principal.regions, creator_scope=principal.scope)
    except DomainError as exc:
        details: list[dict[str, Any]] = exc.details if isinstance(exc.details, list) else [
            {"field": exc.field or "", "zh": exc.zh, "en": exc.en}]
        for one in details:
            name = form_field(str(one.get("field") or ""), d, groups)
            if exc.field == "teams" and d.cross:
                name = "groups"
            out.errors.append(problem_at(name, str(one["zh"]), str(one["en"])))
        if exc.status == 403:
            out.refusal = exc
        return out
    out.spec = spec
    return out


def _taken(key: str) -> dict[str, str]:
    return problem_at("key", f"轮次 {key} 已存在", f"round {key} already exists")


def _targets(spec: Spec) -> list[list[str]]:
    if isinstance(spec, CrossFile):
        return [team for g in spec.groups for team in g.targets]
    return [list(t.targets) for t in spec.teams]


def plan_yaml(spec: Spec, region: str | None) -> str:
    """The plan as the CLI reads it (`xuncha round create FILE`): YAML of the stored
    fields, codes and keys."""
    head = [f"# {spec.name}（{spec.key}）",
            "# 巡察工作台建立轮次向导导出 / exported by the workbench's round wizard",
            "# 新建 create: ./dev xuncha round create FILE --token …"
            + (f" --region {region}" if region and isinstance(spec, CrossFile) else "")]
    body = yaml.safe_dump(spec.model_dump(mode="json", exclude_unset=True),
                          allow_unicode=True, sort_keys=False, default_flow_style=None)
    return "\n".join(head) + "\n" + body
