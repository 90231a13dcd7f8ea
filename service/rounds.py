"""A round from a YAML/JSON file to a proposal: read and check the round file, screen the
pool against its targets, build the instance, assemble (or diagnose). Orchestration only:
the rules live in `conflicts/`, the model in `assignment/`."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from sqlalchemy.orm import Session

from assignment.assemble import SolveSettings, assemble
from assignment.build import Context, RoundPlan, build_instance
from assignment.capped import as_cap
from assignment.capped_draw import DISTRIBUTION_SEED, capped_proposal
from assignment.capped_teams import CapSettings, capped_teams
from assignment.diagnose import Diagnosis, Finding, diagnose, precheck
from assignment.eligibility import AgeRule, EvaluationRule
from assignment.home_units import UnitLimit
from assignment.instance import Instance, TeamSpec, Weights
from assignment.proposal import Proposal
from assignment.retirement import DEFAULT_RULE, cached_rule
from conflicts.index import ConflictIndex
from conflicts.policy import Policy, RegionLevel, Relation, Role, cached_policy
from conflicts.screening import Screening, screen_index
from pool.records import subtree
from service.bounds import (
    MAX_SUITABILITY,
    MAX_TEAMS,
    Day,
    DeputyRange,
    Key,
    LookBack,
    MemberCount,
    Seed,
    SizeRange,
    SkillCounts,
    TeamCount,
    Weight,
)
from service.plan_problems import PlanProblem, translate
from service.plan_problems import RoundFileError as RoundFileError
from service.recusals import open_index
from service.round_groups import (
    MAX_GROUPS_PER_ROUND,
    GroupCodes,
    GroupFile,
    group_problem,
    with_groups,
)
from service.round_names import catalogue_for, resolve_round


class TeamFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    targets: list[Key] = Field(min_length=1, max_length=2)
    size: SizeRange | None = None
    deputies: DeputyRange | None = None
    skills: SkillCounts | None = None
    depth: SkillCounts | None = None
    groups: GroupCodes | None = None  # checking groups (codes of the round's `groups`)
    full_time_min: MemberCount | None = None  # 专职巡察干部 at least (default: defaults')


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: SizeRange = (5, 7)
    deputies: DeputyRange = (1, 2)
    skills: SkillCounts = Field(default_factory=dict)
    depth: SkillCounts = Field(default_factory=dict)
    groups: GroupCodes = Field(default_factory=list)  # checking groups of every team
    full_time_min: MemberCount = 0  # 专职巡察干部 on each team at least (0: no rule)

    def team(self, no: int, targets: list[str] | tuple[str, ...],
             override: TeamFile | None = None) -> TeamSpec:
        """Team `no` over `targets`: the defaults, with what `override` gives in their place."""
        t = override or TeamFile(targets=list(targets))
        return TeamSpec(no, tuple(targets), *(t.size or self.size),
                        *(t.deputies or self.deputies),
                        tuple(sorted((t.skills if t.skills is not None else self.skills).items())),
                        tuple(sorted((t.depth if t.depth is not None else self.depth).items())),
                        full_time_min=(t.full_time_min if t.full_time_min is not None
                                       else self.full_time_min))


class HomeUnitLimit(BaseModel):
    """被抽调单位放人上限: people one home unit releases to the round at most, a number
    (`max`), a share of its staff (`share`, rounded down, at least one), or the smaller
    of both."""

    model_config = ConfigDict(extra="forbid")
    max: Annotated[int, Field(ge=1, le=100_000)] | None = None
    share: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _something(self) -> HomeUnitLimit:
        if self.max is None and self.share is None:
            raise ValueError("home_unit_limit 须给出 max（人数）或 share（占在编人数的比例）/ "
                             "home_unit_limit needs max (people) or share (of the staff)")
        return self

    def rule(self) -> UnitLimit:
        return UnitLimit(self.max, self.share)


def _unit_limit(value: Any) -> Any:
    """`home_unit_limit: 2` is short for `{max: 2}`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {"max": value}
    if value is not None and not isinstance(value, dict):
        raise ValueError("home_unit_limit 须为人数（如 2）或 {max: 2, share: 0.2} / "
                         "home_unit_limit is a number of people (e.g. 2) or "
                         "{max: 2, share: 0.2}")
    return value


class CadreLoad(BaseModel):
    """Teams one cadre takes in this round: at most `capacity`, at least `minimum`."""

    model_config = ConfigDict(extra="forbid")
    capacity: TeamCount = 1
    minimum: TeamCount = 0


_KEY = re.compile(r"[\w.-]{1,64}")  # letters of any script, digits, _ . -
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def round_key(value: str) -> str:
    """A round key that can be addressed in a URL and a file name: 1–64 letters (any
    script), digits, `_`, `.` or `-`, and no `..`."""
    if not _KEY.fullmatch(value) or ".." in value:
        raise ValueError("轮次编号须为1–64个字母、数字或 _ . -，不含空格、斜杠和“..” / a round "
                         "key is 1–64 letters, digits, _ . or -, without spaces, slashes or "
                         "'..'")
    return value


def one_line(value: str) -> str:
    """A name shown on pages and printed: one line, no control or bidi characters."""
    if _UNPRINTABLE.search(value):
        raise ValueError("名称不能含换行、控制字符或双向文本控制符 / a name may not contain "
                         "line breaks, control or bidirectional-override characters")
    return value


Suitability = Annotated[int, Field(ge=-MAX_SUITABILITY, le=MAX_SUITABILITY)]


def _cap(value: float) -> float:
    as_cap(str(value))  # raises a CapError (a ValueError) saying what is wrong
    return value


Cap = Annotated[float, Field(gt=0, le=1), AfterValidator(_cap)]


def check_caps(cap: float | None, leader_cap: float | None) -> None:
    """A plan's `cap` and `leader_cap` together (a ValueError saying what to write)."""
    if leader_cap is not None and cap is None:
        raise ValueError("leader_cap（任组长的概率上限）须与 cap（进组的概率上限）同时写；"
                         "只限组长时可写 cap: 1 / leader_cap needs cap as well; to bound "
                         "leaders only, write cap: 1")


def caps_of(cap: float | None, leader_cap: float | None) -> CapSettings | None:
    """A plan's probability caps with the default solver budgets (leader_cap defaults to
    cap), or None without caps."""
    if cap is None:
        return None
    return CapSettings.of(str(cap), None if leader_cap is None else str(leader_cap))
RoundKey = Annotated[str, AfterValidator(round_key)]
RoundName = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(one_line)]
PolicyName = Annotated[str, Field(min_length=1, max_length=64)]


def retirement_rule(value: str) -> str:
    """A shipped retirement-age rule (assignment/retirement_rules/<name>.yaml), checked."""
    if not re.fullmatch(r"[\w-]{1,64}", value):
        raise ValueError("retirement_rule 须写规则名称（如 cn-2024），不能写路径；新的规则文件请放"
                         "入 assignment/retirement_rules/ / retirement_rule is a rule's name "
                         "(e.g. cn-2024), not a path; put a new rule file in "
                         "assignment/retirement_rules/")
    cached_rule(value)  # raises a ValueError naming the shipped rules, or the file's faults
    return value


Grade = Literal["excellent", "competent", "basic", "incompetent"]  # 优秀 称职 基本称职 不称职
RuleName = Annotated[str, AfterValidator(retirement_rule)]
_BARRED: tuple[Grade, ...] = ("incompetent",)
_COMMENDED: tuple[Grade, ...] = ("excellent", "competent")


class EvaluationsFile(BaseModel):
    """巡后评估 in this round (docs/round-file.md): evaluations dated within
    `window_months` before the start bar a cadre (barred grade, accountability finding)
    and, with `weights.commended`, make leaders whose evaluations there are all in
    `commend_grades` preferred. No window: evaluations play no part."""

    model_config = ConfigDict(extra="forbid")
    window_months: int | None = Field(default=None, ge=0, le=240)
    bar_grades: list[Grade] = Field(default_factory=lambda: list(_BARRED), max_length=4)
    bar_accountability: bool = True
    commend_grades: list[Grade] = Field(default_factory=lambda: list(_COMMENDED),
                                        min_length=1, max_length=4)

    def rule(self) -> EvaluationRule:
        return EvaluationRule(self.window_months or 0, tuple(self.bar_grades),
                              self.bar_accountability, tuple(self.commend_grades))


class PublicValue(BaseModel):
    """A value published only after a draw's reveal deadline (an official lottery result
    of a stated date, as in RFC 3797), added to the draw's seed: where it is published
    and on which day (Beijing time)."""

    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=2, max_length=200, description=(
        "公开值来源，如“中国福利彩票3D 2027-03-02 开奖号码” / where the value is published"))
    after: Day = Field(description="公布日期（北京时间），须晚于揭示截止 / the publication "
                                   "date (Beijing), after the reveal deadline")


class RoundFile(BaseModel):
    """The round file (docs/round-file.md)."""

    model_config = ConfigDict(extra="forbid")
    key: RoundKey
    name: RoundName
    start: Day
    end: Day
    as_of: Day | None = None
    policy: PolicyName = "default"
    # 常规 regular / 专项 special / 机动 mobile / 提级 elevated (cross rounds: a cross plan)
    kind: Literal["regular", "special", "mobile", "elevated"] = "regular"
    # the committee's region (组织本轮的党委所在区划): targets lie in its subtree and only
    # cadres of its subtree are drawn; set from the round's region when the round is created
    region: str | None = Field(default=None, max_length=12)
    pool_region: str | None = Field(default=None, max_length=12)  # 提级巡察: only cadres
    # of this region's own units
    region_level: RegionLevel | None = None  # apply the region rule at this level instead
    seed: Seed | None = None
    rotation_rounds: LookBack = 3
    defaults: Defaults = Field(default_factory=Defaults)
    teams: list[TeamFile] = Field(min_length=1, max_length=MAX_TEAMS)
    weights: dict[str, Weight] = Field(default_factory=dict, max_length=50)
    cadres: dict[Key, CadreLoad] = Field(default_factory=dict, max_length=100_000)
    suitability: dict[Key, dict[int, Suitability]] = Field(default_factory=dict,
                                                          max_length=100_000)
    tolerance: float = Field(default=0.02, ge=0, le=0.5)
    public: PublicValue | None = None  # the draw ceremony's public value, by default
    # 检查小组: the round's checking groups by code; teams name them (defaults.groups)
    groups: dict[Key, GroupFile] = Field(default_factory=dict, max_length=MAX_GROUPS_PER_ROUND)
    # 年龄与退休: whole years at the start; months the retirement date must lie after it
    max_age: int | None = Field(default=None, ge=18, le=100)
    retirement_margin_months: int | None = Field(default=None, ge=0, le=240)
    retirement_rule: RuleName = DEFAULT_RULE
    evaluations: EvaluationsFile = Field(default_factory=EvaluationsFile)  # 巡后评估
    # 被抽调单位放人上限: a number (2) or {max: 2, share: 0.2}
    home_unit_limit: Annotated[HomeUnitLimit | None, BeforeValidator(_unit_limit)] = None
    # 概率上限 (docs/round-file.md): P(a cadre on a given team) at most `cap`, P(leads it)
    # at most `leader_cap` (default: `cap`); the draw then samples from the capped
    # distribution instead of choosing within `tolerance`
    cap: Cap | None = None
    leader_cap: Cap | None = None

    @model_validator(mode="after")
    def _dates(self) -> RoundFile:
        if self.start > self.end:
            raise ValueError(f"开始日期 start {self.start} 晚于结束日期 end {self.end}：请对调 / "
                             f"start {self.start} is after end {self.end}: swap them")
        bad_teams = sorted({no for row in self.suitability.values() for no in row
                            if not 1 <= no <= len(self.teams)})
        if bad_teams:
            raise ValueError(f"suitability 写到了第{bad_teams}组，本轮只有第1–{len(self.teams)}"
                             f"组 / suitability names teams {bad_teams}; teams are numbered "
                             f"1–{len(self.teams)}")
        known = list(Weights.__dataclass_fields__)
        unknown = [w for w in self.weights if w not in known]
        if unknown:
            near = difflib.get_close_matches(unknown[0], known, n=1)
            raise ValueError(f"未知的权重 {unknown}，可用：{'、'.join(known)}"
                             + (f"；你是否要写 {near[0]}？" if near else "")
                             + f" / unknown weights {unknown}; known: {', '.join(known)}"
                             + (f"; did you mean {near[0]}?" if near else ""))
        if self.weights.get("commended") and not self.evaluations.window_months:
            raise ValueError("权重 commended（优先选配巡后评估为优秀、称职的组长）须同时写 "
                             "evaluations.window_months（看多少个月内的评估） / the weight "
                             "commended needs evaluations.window_months, the months of "
                             "evaluations it looks at")
        return self

    @model_validator(mode="after")
    def _caps(self) -> RoundFile:
        check_caps(self.cap, self.leader_cap)
        return self

    def cap_settings(self) -> CapSettings | None:
        """The round's probability caps with the default solver budgets, or None."""
        return caps_of(self.cap, self.leader_cap)

    @model_validator(mode="after")
    def _groups(self) -> RoundFile:
        found = group_problem(self)
        if found is not None:
            raise ValueError(found)
        return self

    @model_validator(mode="after")
    def _full_time(self) -> RoundFile:
        for no, t in enumerate(self.teams, start=1):
            need = t.full_time_min if t.full_time_min is not None else \
                self.defaults.full_time_min
            most = (t.size or self.defaults.size)[1]
            if need > most:
                raise ValueError(f"第{no}组至少{need}名专职巡察干部（full_time_min），超过本组"
                                 f"人数上限{most}：请降低 full_time_min 或放宽 size / team "
                                 f"{no} needs {need} full-time staff (full_time_min), more "
                                 f"than its size {most}: lower full_time_min or widen size")
        return self

    def plan(self) -> RoundPlan:
        teams = tuple(self.defaults.team(no, t.targets, t)
                      for no, t in enumerate(self.teams, start=1))
        teams = with_groups(teams, self.groups, self.defaults.groups,
                            [t.groups for t in self.teams])
        return RoundPlan(
            self.key, self.name, self.start, self.end, teams, self.policy, self.rotation_rounds,
            weights=Weights(**self.weights),
            loads=tuple((k, v.capacity, v.minimum) for k, v in sorted(self.cadres.items())),
            suitability=tuple((k, no, v) for k, row in sorted(self.suitability.items())
                              for no, v in sorted(row.items())),
            age=self.age_rule(), evaluations=self.evaluations.rule(),
            home_unit_limit=self.unit_limit())

    def unit_limit(self) -> UnitLimit:
        return UnitLimit() if self.home_unit_limit is None else self.home_unit_limit.rule()

    def age_rule(self) -> AgeRule:
        rule = AgeRule(self.max_age, self.retirement_margin_months)
        return AgeRule(rule.max_age, rule.retirement_margin_months,
                       cached_rule(self.retirement_rule)) if rule.on else rule


def with_region_level(policy: Policy, level: RegionLevel | None) -> Policy:
    """The policy with its region rules applied at `level` (提级巡察 applies the region
    rule at the lower level); the changed policy has its own hash."""
    if level is None:
        return policy
    data = policy.model_dump(mode="json")
    for rule in data["rules"]:
        if rule["relation"] == Relation.region.value:
            rule["region_level"] = level.value
    # validated afresh, not model_copy(): a copy would carry the original's cached hash
    return Policy.model_validate(data | {"version": f"{policy.version}+region:{level.value}"})


M = TypeVar("M", bound=BaseModel)


def read_file_model(path: Path, model: type[M], zh: str, en: str) -> M:
    """A YAML (or .json) file validated into `model`; errors name the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise RoundFileError(f"无法读取{zh} {path} / cannot read the {en}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = translate(exc.errors(), model)
        raise RoundFileError(file_problems(path, zh, en, problems), problems) from None


def file_problems(path: Path, zh: str, en: str, problems: Sequence[PlanProblem]) -> str:
    """Every problem of a file, each in Chinese and then English, under one heading."""
    lines = [f"  {p.zh}\n    {p.en}" for p in problems]
    return (f"{zh} {path.name} 有{len(problems)}处问题 / invalid {en} {path.name}, "
            f"{len(problems)} problem(s):\n" + "\n".join(lines))


def read_round_file(path: Path) -> RoundFile:
    return read_file_model(path, RoundFile, "轮次文件", "round file")


@dataclass(frozen=True)
class RoundRun:
    """Everything one assembly run produced, for the console, JSON and (later) storage."""

    plan: RoundPlan
    screening: Screening
    instance: Instance
    context: Context
    seed: int
    proposal: Proposal | None
    diagnosis: Diagnosis | None
    unit_names: dict[str, str] = field(default_factory=dict)  # the targets, by name


@dataclass(frozen=True)
class PreparedRound:
    """A round ready to draw: its screening, instance and the context to explain it."""

    plan: RoundPlan
    policy: Policy
    screening: Screening
    instance: Instance
    context: Context


def prepare_round(index: ConflictIndex, round_file: RoundFile,
                  policy: Policy | None = None) -> PreparedRound:
    """Screen the pool (as the index has it) against the round's targets and build the
    instance; raises RoundFileError naming unknown units or regions. `policy` (a stored
    one, for replay) replaces the round's named policy as it is now."""
    plan = round_file.plan()
    unknown = [u for u in plan.targets if u not in index.snapshot.units]
    if unknown:
        raise RoundFileError(f"轮次文件中的被巡察单位不存在：{unknown}；请核对单位编号 / "
                             f"unknown target units in the round file: {unknown}")
    if policy is None:
        policy = with_region_level(cached_policy(plan.policy), round_file.region_level)
    pool = None
    units = index.snapshot.units
    if round_file.region is not None:
        if round_file.region not in index.snapshot.regions:
            raise RoundFileError(f"region {round_file.region} 不是已知的行政区划 / "
                                 "is not a known region")
        inside = subtree(((c, x.parent_code) for c, x in index.snapshot.regions.items()),
                         round_file.region)
        pool = {k for k, c in index.cadres.items()
                if units[c.home_unit_key].region_code in inside}
    if round_file.pool_region is not None:
        if round_file.pool_region not in index.snapshot.regions:
            raise RoundFileError(f"pool_region {round_file.pool_region} 不是已知的行政区划 / "
                                 "is not a known region")
        own = {k for k, c in index.cadres.items()
               if units[c.home_unit_key].region_code == round_file.pool_region}
        pool = own if pool is None else pool & own
    screening = screen_index(index, policy, sorted(index.cadres), plan.targets,
                             period=(plan.start, plan.end))
    instance, context = build_instance(index.snapshot, screening, plan, pool)
    return PreparedRound(plan, policy, screening, instance, context)


def draw(prepared: PreparedRound, seed: int, settings: SolveSettings,
         caps: CapSettings | None = None) -> tuple[Proposal | None, Diagnosis | None]:
    """The seeded draw, or the diagnosis of why the round cannot be staffed. With `caps`
    the seed samples one team set from the capped distribution; caps that cannot be met
    are a finding that names the smallest caps that can."""
    short = precheck(prepared.instance, prepared.context)
    if short:
        return None, Diagnosis(False, tuple(short))
    proposal = staff(prepared.instance, seed, settings, caps)
    diagnosis = caps_diagnosis(proposal)
    if diagnosis is None and not proposal.feasible:
        diagnosis = diagnose(prepared.instance, prepared.context)
    return proposal, diagnosis


def staff(instance: Instance, seed: int, settings: SolveSettings,
          caps: CapSettings | None, part: str | None = None) -> Proposal:
    """One team assembly drawn with `seed`: within the tolerance of the best, or (with
    `caps`) one team set sampled from the capped distribution, which the instance and
    the caps' settings fix before the seed plays any part. `part` names one part of a
    cross-inspection (its sending group, or `exchange`): its pick is its own."""
    if caps is None:
        return assemble(instance, seed, settings)
    dist = capped_teams(instance, caps, DISTRIBUTION_SEED)
    parameters = {"draw": "capped", "caps": caps.sealed(), "distribution_seed": DISTRIBUTION_SEED}
    return capped_proposal(instance, dist, seed, parameters, part)


def caps_diagnosis(proposal: Proposal, where: str = "") -> Diagnosis | None:
    """Why a capped draw drew nothing though the round can be staffed: the caps cannot be
    met (with the smallest caps that can), in a finding of code `caps`; None otherwise.
    `where` prefixes the words (a cross-inspection's sending group)."""
    capped = proposal.capped
    if proposal.feasible or capped is None or capped["status"] == "unstaffable" \
            or not capped["explanation"]:
        return None
    return Diagnosis(False, tuple(Finding("caps", where + zh, where + en) for zh, en in
                                  (_halves(text) for text in capped["explanation"])))


def _halves(text: str) -> tuple[str, str]:
    """A "中文 / English" text as its two halves."""
    zh, _, en = text.partition(" / ")
    return zh, en or zh


def assemble_round(session: Session, round_file: RoundFile, seed: int,
                   settings: SolveSettings | None = None) -> RoundRun:
    round_file = resolve_round(round_file, catalogue_for(session, bool(
        round_file.cadres or round_file.suitability)))
    index = open_index(session, round_file.as_of or round_file.start)
    prepared = prepare_round(index, round_file)
    proposal, diagnosis = draw(prepared, seed,
                               settings or SolveSettings(tolerance=round_file.tolerance),
                               round_file.cap_settings())
    units = index.snapshot.units
    return RoundRun(prepared.plan, prepared.screening, prepared.instance, prepared.context,
                    seed, proposal, diagnosis,
                    {u: units[u].name for u in prepared.plan.targets})


def screened_recusals(screening: Screening, targets: Iterable[str]) -> list[list[Any]]:
    """Every recusal the screening found for these targets, as a recusal statement stores
    them: sorted [cadre, target, rule, hard]."""
    wanted = set(targets)
    return sorted([r.cadre_key, r.target_key, r.rule_id, r.hard]
                  for r in screening.recusals() if r.target_key in wanted)


TargetRecusals = tuple[dict[str, int], int]  # cadres per hard rule, distinct cadres in all


def partial_roles(policy: Policy) -> dict[str, tuple[str, ...]]:
    """The hard rules that bar only some roles (rule id → those roles), such as a leader
    rule: a cadre it names may still join the team in another role."""
    every = set(Role)
    return {r.id: tuple(role.value for role in r.roles)
            for r in policy.rules if r.hard and set(r.roles) != every}


def recusal_counts(recusals: Iterable[Sequence[Any]],
                   partial: Mapping[str, Sequence[str]] | None = None
                   ) -> dict[str, TargetRecusals]:
    """Per target: how many distinct cadres each hard rule keeps away from it, and how
    many are kept away altogether (by a rule barring every role; `partial` names the
    rules that bar only some roles, counted by rule but not in that total), from
    [cadre, target, rule, hard] rows. The one count the CLI (`assemble`) and the round
    report (回避情况说明) both show."""
    partial = partial or {}
    cadres: dict[str, dict[str, set[str]]] = {}
    for cadre, target, rule, hard in recusals:
        if hard:
            cadres.setdefault(target, {}).setdefault(rule, set()).add(cadre)
    return {target: ({rule: len(c) for rule, c in sorted(rules.items())},
                     len(set().union(*(c for rule, c in rules.items()
                                       if rule not in partial))))
            for target, rules in sorted(cadres.items())}


def recusal_summary(run: RoundRun) -> dict[int, dict[str, TargetRecusals]]:
    """Per team and target: `recusal_counts` over the run's screening, as the round
    report counts them."""
    counts = recusal_counts(screened_recusals(run.screening, run.plan.targets),
                            partial_roles(run.screening.policy))
    return {team.no: {target: counts.get(target, ({}, 0)) for target in team.targets}
            for team in run.plan.teams}


def run_to_dict(run: RoundRun) -> dict[str, Any]:
    return {
        "round": run.plan.key, "name": run.plan.name, "policy": run.screening.policy.name,
        "policy_hash": run.screening.policy.hash, "input_hash": run.instance.input_hash,
        "trial": True, "seed": run.seed, "candidates": len(run.instance.candidates),
        "excluded": {k: [zh for zh, _en in v] for k, v in sorted(run.context.excluded.items())},
        "recusals_by_team": {no: {target: {"by_rule": rules, "cadres": total}
                                  for target, (rules, total) in targets.items()}
                             for no, targets in recusal_summary(run).items()},
        "proposal": run.proposal.to_dict() if run.proposal else None,
        "diagnosis": None if run.diagnosis is None else {
            "feasible": run.diagnosis.feasible,
            "findings": [{"code": f.code, "zh": f.zh, "en": f.en}
                         for f in run.diagnosis.findings]},
    }
