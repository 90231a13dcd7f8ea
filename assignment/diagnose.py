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
from assignment.instance import Candidate, Instance, TeamSpec
from assignment.model import build


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
        can = {i: _roles(instance, c, team) for i, c in enumerate(cands)}
        leaders = [i for i, r in can.items() if "leader" in r]
        if not leaders:
            pool = [c for c in cands if c.leader_pool]
            zh, en = _barred(instance, ctx, team, pool, "leader")
            out.append(Finding(f"leader:{team.no}",
                               f"第{team.no}组没有可任组长的干部：组长库中候选人{len(pool)}人" + zh,
                               f"team {team.no} has nobody who can lead it: {len(pool)} leader-pool"
                               " candidates" + en))
        deputies = [i for i, r in can.items() if "deputy" in r]
        if len(deputies) < team.deputies_min:
            out.append(Finding(f"deputies:{team.no}",
                               f"第{team.no}组需要{team.deputies_min}名副组长，可任者仅{len(deputies)}人",
                               f"team {team.no} needs {team.deputies_min} deputies; "
                               f"{len(deputies)} can serve"))
        anyone = [i for i, r in can.items() if r]
        if len(anyone) < team.size_min:
            out.append(Finding(f"size:{team.no}",
                               f"第{team.no}组至少需要{team.size_min}人，不须回避的候选人仅{len(anyone)}人",
                               f"team {team.no} needs {team.size_min} members; only "
                               f"{len(anyone)} candidates are not recused from its targets"))
        for skill, need in team.skill_min:
            label = instance.skill_names.get(skill, skill)
            if need > team.size_max:
                out.append(Finding(f"skill:{team.no}:{skill}",
                                   f"第{team.no}组需要{need}名{label}专业人员，但本组最多"
                                   f"{team.size_max}人：请降低该专业人数或放宽人数上限",
                                   f"team {team.no} needs {need} skilled in {skill} but has at"
                                   f" most {team.size_max} members: lower one or the other"))
                continue
            skilled = [c for c in cands if skill in c.skills]
            free = [i for i in anyone if skill in cands[i].skills]
            if len(free) < need:
                rec_zh, rec_en = _barred(instance, ctx, team, skilled, "member")
                out_zh, out_en = _excluded_text(ctx, skill)
                out.append(Finding(
                    f"skill:{team.no}:{skill}",
                    f"第{team.no}组需要{need}名{label}专业人员；候选人中具备该特长的{len(skilled)}人"
                    + rec_zh + out_zh,
                    f"team {team.no} needs {need} skilled in {skill}; {len(skilled)} candidates "
                    f"have it" + rec_en + out_en))
    need = sum(t.size_min for t in instance.teams)
    have = sum(c.capacity for c in cands)
    if have < need:
        out.append(Finding("pool", f"各组合计至少需要{need}人次，候选人合计最多{have}人次",
                           f"the teams need {need} places at least; the candidates can fill "
                           f"{have}"))
    leaders_needed = len(instance.teams)
    leader_cands = [c for c in cands if c.leader_pool]
    if sum(c.capacity for c in leader_cands) < leaders_needed:
        out.append(Finding("pool:leaders", f"{leaders_needed}个组需要{leaders_needed}名组长，"
                           f"组长库候选人仅{len(leader_cands)}人",
                           f"{leaders_needed} teams need {leaders_needed} leaders; the leader "
                           f"pool has {len(leader_cands)} candidates"))
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


def _roles(instance: Instance, c: Candidate, team: TeamSpec) -> set[str]:
    barred = instance.barred(c.key, team)
    roles = set()
    if c.leader_pool and "leader" not in barred:
        roles.add("leader")
    if (c.deputy_pool or c.leader_pool) and "deputy" not in barred:
        roles.add("deputy")
    if "member" not in barred:
        roles.add("member")
    return roles


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


def _excluded_text(ctx: Context, skill: str) -> tuple[str, str]:
    """Cadres with `skill` left out of the round: (zh, en) clauses, or empty."""
    keys = sorted(k for k in ctx.excluded if skill in ctx.skills.get(k, ()))
    if not keys:
        return "", ""
    zh = f"；另有{len(keys)}名具备该特长的干部本轮不能参加：" + "；".join(
        f"{ctx.names.get(k, k)}（{k}：{ctx.excluded[k][0][0]}）" for k in keys[:8])
    en = f"; {len(keys)} more with the skill cannot serve in this round: " + "; ".join(
        f"{k} ({ctx.excluded[k][0][1]})" for k in keys[:8])
    return zh, en
