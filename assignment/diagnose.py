"""Why a round cannot be staffed, in words a person can act on.

`precheck` counts, per team and requirement, the candidates who could meet it and names
those recused or left out (fast, before any solve). `diagnose` runs it and, when the
counts alone do not explain the failure, solves once more with every requirement behind
its own enforcement literal, no objective, one worker, and reads CP-SAT's sufficient
assumptions for infeasibility: a set of requirements that cannot hold together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from assignment.build import Context
from assignment.home_units import unit_label
from assignment.instance import Candidate, Instance, TeamSpec
from assignment.model import build
from assignment.subgroups import qualifies, representatives_short, shortfall_text


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # leader:3 / deputies:3 / skill:3:audit / size:3 / pool
    zh: str
    en: str


@dataclass(frozen=True)
class Diagnosis:
    feasible: bool | None  # None: the diagnostic solve ran out of time
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def render(self, lang: str = "zh") -> str:
        if self.feasible:
            return "可以组建 / the round can be staffed"
        lines = [f"· {f.zh if lang == 'zh' else f.en}" for f in self.findings]
        head = "无法组建：" if lang == "zh" else "cannot be staffed:"
        return "\n".join([head, *lines])


def precheck(instance: Instance, context: Context | None = None) -> list[Finding]:
    """Shortages visible from counts alone, one finding per short requirement."""
    ctx = context or Context({}, {}, {}, {})
    out: list[Finding] = []
    cands = instance.candidates
    for team in instance.teams:
        can = {i: instance.open_roles(c, team) for i, c in enumerate(cands)}
        leaders = [i for i, r in can.items() if "leader" in r]
        if not leaders and team.leader_side is not None:
            out.append(_side_short(instance, ctx, team, "leader", 1, 0))
        elif not leaders:
            pool = [c for c in cands if c.leader_pool]
            zh, en = _barred(instance, ctx, team, pool, "leader")
            out_zh, out_en = _excluded_leaders(ctx)
            out.append(Finding(f"leader:{team.no}",
                               f"第{team.no}组没有可任组长的干部：组长库中候选人{len(pool)}人" + zh
                               + out_zh, f"team {team.no} has nobody who can lead it: "
                               f"{len(pool)} leader-pool candidates" + en + out_en))
        deputies = [i for i, r in can.items() if "deputy" in r]
        if len(deputies) < team.deputies_min and team.deputy_side is not None:
            out.append(_side_short(instance, ctx, team, "deputy", team.deputies_min,
                                   len(deputies)))
        elif len(deputies) < team.deputies_min:
            out.append(Finding(f"deputies:{team.no}",
                               f"第{team.no}组需要{team.deputies_min}名副组长，可任者仅{len(deputies)}人",
                               f"team {team.no} needs {team.deputies_min} deputies; "
                               f"{len(deputies)} can serve"))
        for side in team.sides if team.min_per_side else ():
            members = sum(1 for i, r in can.items() if "member" in r and cands[i].side == side)
            people = sum(1 for i, r in can.items() if r and cands[i].side == side)
            if members < team.min_per_side:
                out.append(_side_short(instance, ctx, team, "member", team.min_per_side,
                                       members, side))
            elif people < _side_headcount(team, side)[0]:
                out.append(_side_people(instance, team, side, people))
        of_zh, of_en = _of_sides(instance, team)
        anyone = [i for i, r in can.items() if r]
        if len(anyone) < team.size_min:
            out.append(Finding(f"size:{team.no}",
                               f"第{team.no}组至少需要{team.size_min}人，{of_zh}不须回避的候选人仅"
                               f"{len(anyone)}人", f"team {team.no} needs {team.size_min} "
                               f"members; only {len(anyone)} candidates{of_en} are not recused "
                               "from its targets"))
        for skill, need in team.skill_min:
            label = instance.skill_names.get(skill, skill)
            if need > team.size_max:
                out.append(Finding(f"skill:{team.no}:{skill}",
                                   f"第{team.no}组需要{need}名{label}专业人员，但本组最多"
                                   f"{team.size_max}人：请降低该专业人数或放宽人数上限",
                                   f"team {team.no} needs {need} skilled in {skill} but has at"
                                   f" most {team.size_max} members: lower one or the other"))
                continue
            skilled = [c for c in cands if skill in c.skills
                       and (not team.sides or c.side in team.sides)]
            free = [i for i in anyone if skill in cands[i].skills]
            if len(free) < need:
                rec_zh, rec_en = _barred(instance, ctx, team, skilled, "member")
                out_zh, out_en = _excluded_text(ctx, skill)
                out.append(Finding(
                    f"skill:{team.no}:{skill}",
                    f"第{team.no}组需要{need}名{label}专业人员；{of_zh}候选人中具备该特长的"
                    f"{len(skilled)}人" + rec_zh + out_zh,
                    f"team {team.no} needs {need} skilled in {skill}; {len(skilled)} candidates"
                    f"{of_en} have it" + rec_en + out_en))
    need = sum(t.size_min for t in instance.teams)
    have = sum(c.capacity for c in cands)
    if have < need:
        out.append(Finding("pool", f"各组合计至少需要{need}人次，候选人合计最多{have}人次",
                           f"the teams need {need} places at least; the candidates can fill "
                           f"{have}"))
    leaders_needed = len(instance.teams)
    leader_cands = [c for c in cands if c.leader_pool]
    if sum(c.capacity for c in leader_cands) < leaders_needed:
        out_zh, out_en = _excluded_leaders(ctx)
        out.append(Finding("pool:leaders", f"{leaders_needed}个组需要{leaders_needed}名组长，"
                           f"组长库候选人仅{len(leader_cands)}人" + out_zh,
                           f"{leaders_needed} teams need {leaders_needed} leaders; the leader "
                           f"pool has {len(leader_cands)} candidates" + out_en))
    out.extend(_side_pools(instance))
    out.extend(_group_shortages(instance, ctx))
    out.extend(_full_time_shortages(instance, ctx))
    out.extend(_unit_shortage(instance))
    return out


def _unit_shortage(instance: Instance) -> list[Finding]:
    """被抽调单位: the places the candidates can fill once each capped unit gives at most
    its cap of people, against the places the teams need (the capped units named)."""
    if not instance.unit_caps:
        return []
    need = sum(t.size_min for t in instance.teams)
    by_unit: dict[str, list[int]] = {}
    free = 0
    for c in instance.candidates:
        if c.home_unit is not None and c.home_unit in instance.unit_caps:
            by_unit.setdefault(c.home_unit, []).append(c.capacity)
        else:
            free += c.capacity
    capped = sum(sum(sorted(caps, reverse=True)[:instance.unit_caps[u]])
                 for u, caps in by_unit.items())
    if free + capped >= need or free + sum(map(sum, by_unit.values())) < need:
        return []  # enough, or short without the caps too (the "pool" finding says so)
    units = sorted(by_unit, key=lambda u: (-len(by_unit[u]) + instance.unit_caps[u], u))
    named = "、".join(f"{unit_label(instance, u)}至多{instance.unit_caps[u]}人"
                     for u in units[:5]) + ("等" if len(units) > 5 else "")
    return [Finding("pool:units", f"各组合计至少需要{need}人次；按被抽调单位放人上限（{named}），"
                    f"候选人合计最多{free + capped}人次", f"the teams need {need} places at "
                    f"least; with the home-unit limits ({', '.join(units[:5])}) the candidates"
                    f" can fill {free + capped}")]


def _full_time_shortages(instance: Instance, ctx: Context) -> list[Finding]:
    """专职巡察干部: teams with fewer full-time candidates who may serve on them than their
    minimum, and a round whose minimums add up to more than its full-time staff."""
    out: list[Finding] = []
    staff = [c for c in instance.candidates if c.full_time]
    for team in instance.teams:
        if not team.full_time_min:
            continue
        free = [c for c in staff if instance.open_roles(c, team)]
        if len(free) < team.full_time_min:
            rec_zh, rec_en = _barred(instance, ctx, team, staff, "member")
            out.append(Finding(f"full_time:{team.no}",
                               f"第{team.no}组须有至少{team.full_time_min}名专职巡察干部；可用的"
                               f"专职巡察干部有{len(staff)}人，可到本组的仅{len(free)}人" + rec_zh,
                               f"team {team.no} needs at least {team.full_time_min} full-time "
                               f"staff; {len(staff)} are available, only {len(free)} may join "
                               "this team" + rec_en))
    wanted = sum(t.full_time_min for t in instance.teams)
    have = sum(c.capacity for c in staff)
    if wanted and have < wanted and not out:
        out.append(Finding("pool:full_time",
                           f"各组合计至少需要{wanted}名专职巡察干部，候选的专职巡察干部合计最多"
                           f"{have}人次", f"the teams need {wanted} full-time staff in all; the "
                           f"full-time candidates can fill {have} places"))
    return out


def _group_shortages(instance: Instance, ctx: Context) -> list[Finding]:
    """Checking groups no candidate who may serve on the team can represent, each group its
    own (the counts alone; the diagnostic solve finds what other teams take away)."""
    out: list[Finding] = []
    for team in instance.teams:
        if not team.groups:
            continue
        people = [c for c in instance.candidates if instance.open_roles(c, team)]
        found = representatives_short([(c.key, c.skills) for c in people], team.groups)
        if found is None:
            continue
        specs = [g for g in team.groups if g.code in found.groups]
        skilled = [c for c in instance.candidates
                   if any(qualifies(c.skills, g) for g in specs)]
        rec_zh, rec_en = _barred(instance, ctx, team, skilled, "member")
        zh, en = shortfall_text(found, team.groups, 0, instance.skill_names,
                                {c.key: c.name for c in people},
                                ("可参加本组的候选人", "candidate(s) who may serve"))
        out.append(Finding(f"group:{team.no}:{specs[0].code}",
                           f"第{team.no}组{zh}；具备该专长的候选人共{len(skilled)}人" + rec_zh,
                           f"team {team.no}: {en}; {len(skilled)} candidates hold it in all"
                           + rec_en))
    return out


def diagnose(instance: Instance, context: Context | None = None,
             deterministic_time: float = 30.0) -> Diagnosis:
    """Precheck, then (if it finds nothing) a diagnostic solve naming the requirements
    that cannot all hold."""
    found = precheck(instance, context)
    if found:
        return Diagnosis(False, tuple(found))
    tm = build(instance, enforce=True)
    tm.model.add_assumptions(list(tm.requirements.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = deterministic_time
    status = solver.solve(tm.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Diagnosis(True)
    if status != cp_model.INFEASIBLE:
        return Diagnosis(None, (Finding("unknown", "诊断求解超时，未能确定原因",
                                        "the diagnostic solve ran out of time"),))
    by_index = {v.index: code for code, v in tm.requirements.items()}
    core = sorted(by_index[i] for i in solver.sufficient_assumptions_for_infeasibility())
    findings = [Finding(code, *tm.requirement_text[code]) for code in core]
    n_pairs = len(instance.conflicts)
    findings.insert(0, Finding(
        "together", f"以下要求不能同时满足（每人参加组数有上限；候选人之间有{n_pairs}对"
        "不得同组的关系，如亲属、同一单位）：", f"these requirements cannot all hold at once "
        f"(each cadre's team limit; {n_pairs} candidate pairs may not serve together: kin, "
        "same home unit):"))
    return Diagnosis(False, tuple(findings))


def _of_sides(instance: Instance, team: TeamSpec) -> tuple[str, str]:
    """互派: the sides a team draws from, as a qualifier of "candidates" (or empty)."""
    if not team.sides:
        return "", ""
    names = [instance.side_name(s) for s in team.sides]
    return f"{'、'.join(names)}的", f" of {' and '.join(names)}"


_ROLE_TEXT = {"leader": ("组长", "leader", "lead"), "deputy": ("副组长", "deputies", "deputize"),
              "member": ("组员", "members", "serve as a member")}


def _side_short(instance: Instance, ctx: Context, team: TeamSpec, role: str, need: int,
                have: int, side: str | None = None) -> Finding:
    """互派: a team's role that must come from one side, which cannot fill it."""
    side = side or (team.leader_side if role == "leader" else team.deputy_side)
    name = instance.side_name(side)
    zh_role, en_role, en_verb = _ROLE_TEXT[role]
    mine = [c for c in instance.candidates if c.side == side]
    pool = [c for c in mine if role == "member" or c.leader_pool
            or (role == "deputy" and c.deputy_pool)]
    rec_zh, rec_en = _barred(instance, ctx, team, pool, role)
    if role == "leader":
        code = f"leader:{team.no}"
        head_zh = f"第{team.no}组组长须来自{name}，但{name}无可任组长的干部"
        head_en = f"team {team.no}'s leader must come from {name}, which has no cadre able to lead"
    else:
        code = f"deputies:{team.no}" if role == "deputy" else f"side:{team.no}:{side}"
        head_zh = f"第{team.no}组须有{need}名来自{name}的{zh_role}，但{name}可任者仅{have}人"
        head_en = (f"team {team.no} needs {need} {en_role} from {name}, where only {have} can "
                   f"{en_verb}")
    return Finding(code, f"{head_zh}：{name}候选人{len(mine)}人，其中具备资格的{len(pool)}人"
                   + rec_zh, f"{head_en}: {len(mine)} candidates of {name}, {len(pool)} "
                   "eligible" + rec_en)


def _side_headcount(team: TeamSpec, side: str) -> tuple[int, str, str]:
    """The fewest people a side gives a team: (count, zh, en breakdown)."""
    parts = [(role, n) for role, n in (
        ("leader", int(team.leader_side == side)),
        ("deputy", team.deputies_min if team.deputy_side == side else 0),
        ("member", team.min_per_side)) if n]
    zh = "、".join(f"{_ROLE_TEXT[r][0]}{n}人" for r, n in parts)
    en = ", ".join(f"{n} {r}" for r, n in parts)
    return sum(n for _r, n in parts), zh, en


def _side_people(instance: Instance, team: TeamSpec, side: str, have: int) -> Finding:
    need, zh, en = _side_headcount(team, side)
    name = instance.side_name(side)
    return Finding(f"side:{team.no}:{side}",
                   f"第{team.no}组须有来自{name}的至少{need}人（{zh}），但{name}不须回避的候选人仅"
                   f"{have}人", f"team {team.no} needs at least {need} from {name} ({en}); "
                   f"only {have} of {name} are not recused from its targets")


def _side_pools(instance: Instance) -> list[Finding]:
    """互派: each side can supply as many leaders and deputies as the teams want of it."""
    out: list[Finding] = []
    for side in sorted({s for t in instance.teams for s in t.sides}):
        name = instance.side_name(side)
        mine = [c for c in instance.candidates if c.side == side]
        for role, zh, wanted, ok in (
                ("leader", "组长", sum(t.leader_side == side for t in instance.teams),
                 lambda c: c.leader_pool),
                ("deputy", "副组长", sum(t.deputies_min for t in instance.teams
                                       if t.deputy_side == side),
                 lambda c: c.deputy_pool or c.leader_pool)):
            have = sum(c.capacity for c in mine if ok(c))
            if 0 < have < wanted:  # none at all: each team's finding says so
                out.append(Finding(f"pool:{role}s:{side}",
                                   f"{wanted}个{zh}须来自{name}，{name}可任{zh}的干部合计最多"
                                   f"{have}人次", f"{wanted} {role}s must come from {name}, "
                                   f"whose cadres can fill {have}"))
    return out


def _recused(instance: Instance, team: TeamSpec, people: list[Candidate],
             role: str) -> list[Candidate]:
    return [c for c in people if role in instance.barred(c.key, team)]


def _barred(instance: Instance, ctx: Context, team: TeamSpec, people: list[Candidate],
            role: str) -> tuple[str, str]:
    """The recused among `people`, with the rules why: (zh, en) clauses, or empty."""
    recused = _recused(instance, team, people, role)
    if not recused:
        return "", ""
    shown = [(c, "、".join(_rules(ctx, c.key, team))) for c in recused[:8]]
    more = f"等{len(recused)}人" if len(recused) > 8 else ""
    zh = (f"，其中{len(recused)}人须回避本组对象：" + "；".join(
        f"{c.name}（{c.key}：{rules}）" for c, rules in shown) + more)
    en = (f", of whom {len(recused)} are recused from its targets: " + "; ".join(
        f"{c.key} ({rules.replace('、', ', ')})" for c, rules in shown))
    return zh, en


def _rules(ctx: Context, cadre: str, team: TeamSpec) -> list[str]:
    rules: list[str] = []
    for target in team.targets:
        rules.extend(r for r in ctx.recused_by.get((cadre, target), ()) if r not in rules)
    return rules or ["recusal"]


def _excluded_leaders(ctx: Context) -> tuple[str, str]:
    """Cadres of the leader pool left out of the round (age, evaluations, status…): (zh,
    en) clauses, or empty."""
    return _excluded_clauses(ctx, sorted(ctx.leaders), "组长库干部", "of the leader pool")


def _excluded_text(ctx: Context, skill: str) -> tuple[str, str]:
    """Cadres with `skill` left out of the round: (zh, en) clauses, or empty."""
    keys = sorted(k for k in ctx.excluded if skill in ctx.skills.get(k, ()))
    return _excluded_clauses(ctx, keys, "具备该特长的干部", "with the skill")


def _excluded_clauses(ctx: Context, keys: list[str], who_zh: str, who_en: str
                      ) -> tuple[str, str]:
    """"; N more … cannot serve in this round: name (key: why); …" for the first eight."""
    if not keys:
        return "", ""
    zh = f"；另有{len(keys)}名{who_zh}本轮不能参加：" + "；".join(
        f"{ctx.names.get(k, k)}（{k}：{ctx.excluded[k][0][0]}）" for k in keys[:8])
    en = f"; {len(keys)} more {who_en} cannot serve in this round: " + "; ".join(
        f"{k} ({ctx.excluded[k][0][1]})" for k in keys[:8])
    return zh, en
