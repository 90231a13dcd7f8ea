"""The CP-SAT model of team assembly: Instance → model → Proposal.

Variables are cadre → team booleans `x` (never cadre → slot), with role booleans for the
leader and deputies; a pair the cadre is recused from gets no variable at all, and no role
variable exists where `Instance.open_roles` does not open the role (pools, recusals, the
sides of an exchange team). One `_add_<rule>()` per constraint family; every soft term is
an expression kept by name so the result reports it on its own.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from assignment.home_units import unit_label
from assignment.instance import GroupSpec, Instance
from assignment.subgroups import skill_label


@dataclass
class SoftTerm:
    name: str
    zh: str
    expr: cp_model.LinearExprT
    weight: int
    sign: int  # +1 reward, -1 penalty


@dataclass
class TeamModel:
    """The built model plus the handles needed to read a solution back."""

    instance: Instance
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)  # (cand, team)
    lead: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    deputy: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    terms: list[SoftTerm] = field(default_factory=list)
    # enforcement literals of the requirements, for the infeasibility diagnosis
    requirements: dict[str, cp_model.IntVar] = field(default_factory=dict)
    requirement_text: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_team: dict[int, list[tuple[int, cp_model.IntVar]]] = field(default_factory=dict)

    def objective(self) -> cp_model.LinearExprT:
        return sum(t.sign * t.weight * t.expr for t in self.terms)

    def in_team(self, j: int) -> list[tuple[int, cp_model.IntVar]]:
        return self.by_team.get(j, [])

    def hint(self, teams: Mapping[int, Mapping[str, str]]) -> None:
        """Start the search from `teams` (team no → {cadre: role}): a hint, not a
        constraint."""
        index = self.instance.index
        placed = {(index[k], j): role for j, t in enumerate(self.instance.teams)
                  for k, role in teams.get(t.no, {}).items()}
        for key, v in self.x.items():
            self.model.add_hint(v, key in placed)
        for key, v in self.lead.items():
            self.model.add_hint(v, placed.get(key) == "leader")
        for key, v in self.deputy.items():
            self.model.add_hint(v, placed.get(key) == "deputy")

    def roles(self, value: Callable[[cp_model.IntVar], int]) -> dict[int, dict[str, str]]:
        """The teams a solution holds (team no → {cadre: role}), read with `value` (a
        solver's or a solution callback's)."""
        cands = self.instance.candidates
        out: dict[int, dict[str, str]] = {}
        for j, spec in enumerate(self.instance.teams):
            members: dict[str, str] = {}
            for i, v in self.in_team(j):
                if value(v):
                    members[cands[i].key] = (
                        "leader" if (i, j) in self.lead and value(self.lead[i, j]) else
                        "deputy" if (i, j) in self.deputy and value(self.deputy[i, j]) else
                        "member")
            out[spec.no] = members
        return out


def build(instance: Instance, *, enforce: bool = False,
          allowed: dict[int, set[int]] | None = None) -> TeamModel:
    """The model of `instance`. With `enforce`, every requirement is guarded by its own
    literal (see `TeamModel.requirements`) so a diagnostic solve can name a conflicting
    set; the soft terms are left out then. `allowed` (team index → candidate rows) limits
    the variables to a shortlist (`assignment.shortlist`)."""
    tm = TeamModel(instance)
    _add_variables(tm, allowed)
    _add_roles(tm, enforce)
    _add_capacity(tm)
    _add_size(tm, enforce)
    _add_skill_minimums(tm, enforce)
    _add_side_mix(tm, enforce)
    _add_groups(tm, enforce)
    _add_full_time(tm, enforce)
    _add_unit_caps(tm, enforce)
    _add_within_team_conflicts(tm)
    if not enforce:
        _add_soft_terms(tm)
        tm.model.maximize(tm.objective())
    return tm


def _add_variables(tm: TeamModel, allowed: dict[int, set[int]] | None) -> None:
    """x for every (candidate, team) with a role left open; leader/deputy where open
    (`Instance.open_roles`: the pools, recusals and an exchange team's sides)."""
    inst = tm.instance
    m = tm.model
    for j, team in enumerate(inst.teams):
        rows = sorted(allowed[j]) if allowed is not None else range(len(inst.candidates))
        for i in rows:
            c = inst.candidates[i]
            roles = inst.open_roles(c, team)
            if not roles:
                continue  # recused in every role, or of neither side: no variable
            tm.x[i, j] = m.new_bool_var(f"x[{c.key},{team.no}]")
            if "leader" in roles:
                tm.lead[i, j] = m.new_bool_var(f"lead[{c.key},{team.no}]")
            if "deputy" in roles:
                tm.deputy[i, j] = m.new_bool_var(f"deputy[{c.key},{team.no}]")
            if "member" not in roles:  # may serve only in a role they are not recused from
                held = [v for v in (tm.lead.get((i, j)), tm.deputy.get((i, j))) if v is not None]
                m.add(tm.x[i, j] <= sum(held))
            tm.by_team.setdefault(j, []).append((i, tm.x[i, j]))


def _guard(tm: TeamModel, code: str, zh: str, en: str, enforce: bool) -> cp_model.IntVar | None:
    if not enforce:
        return None
    lit = tm.model.new_bool_var(code)
    tm.requirements[code] = lit
    tm.requirement_text[code] = (zh, en)
    return lit


def _add_roles(tm: TeamModel, enforce: bool) -> None:
    """Exactly one leader from the leader pool; deputies within range; a role implies x."""
    m = tm.model
    for (i, j), v in tm.lead.items():
        m.add_implication(v, tm.x[i, j])
    for (i, j), v in tm.deputy.items():
        m.add_implication(v, tm.x[i, j])
        if (i, j) in tm.lead:
            m.add_bool_or([tm.lead[i, j].Not(), v.Not()])
    inst = tm.instance
    for j, team in enumerate(inst.teams):
        leaders = [tm.lead[i, j] for i, _v in tm.in_team(j) if (i, j) in tm.lead]
        deputies = [tm.deputy[i, j] for i, _v in tm.in_team(j) if (i, j) in tm.deputy]
        lead_zh, lead_en = _from_side(inst, team.leader_side)
        lit = _guard(tm, f"leader:{team.no}", f"第{team.no}组须有一名{lead_zh}组长（组长库）",
                     f"team {team.no} needs one leader from the leader pool{lead_en}", enforce)
        c = m.add(sum(leaders) == 1)
        if lit is not None:
            c.only_enforce_if(lit)
        dep_zh, dep_en = _from_side(inst, team.deputy_side)
        lit = _guard(tm, f"deputies:{team.no}",
                     f"第{team.no}组须有{team.deputies_min}–{team.deputies_max}名{dep_zh}副组长",
                     f"team {team.no} needs {team.deputies_min}–{team.deputies_max} deputies"
                     f"{dep_en}", enforce)
        c = m.add_linear_constraint(sum(deputies), team.deputies_min, team.deputies_max)
        if lit is not None:
            c.only_enforce_if(lit)


def _from_side(inst: Instance, side: str | None) -> tuple[str, str]:
    if side is None:
        return "", ""
    return f"来自{inst.side_name(side)}的", f" from {inst.side_name(side)}"


def _add_capacity(tm: TeamModel) -> None:
    """Each cadre on at most `capacity` teams (default one) and at least `minimum`."""
    by_cadre: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (i, _j), v in tm.x.items():
        by_cadre[i].append(v)
    for i, c in enumerate(tm.instance.candidates):
        tm.model.add_linear_constraint(sum(by_cadre.get(i, [])), c.minimum, c.capacity)


def _add_size(tm: TeamModel, enforce: bool) -> None:
    """Team size within its range."""
    for j, team in enumerate(tm.instance.teams):
        lit = _guard(tm, f"size:{team.no}", f"第{team.no}组须有{team.size_min}–{team.size_max}人",
                     f"team {team.no} needs {team.size_min}–{team.size_max} members", enforce)
        c = tm.model.add_linear_constraint(sum(v for _i, v in tm.in_team(j)), team.size_min,
                                           team.size_max)
        if lit is not None:
            c.only_enforce_if(lit)


def _add_skill_minimums(tm: TeamModel, enforce: bool) -> None:
    """At least the required number of members with each skill."""
    cands = tm.instance.candidates
    for j, team in enumerate(tm.instance.teams):
        members = tm.in_team(j)
        for skill, need in team.skill_min:
            label = tm.instance.skill_names.get(skill, skill)
            lit = _guard(tm, f"skill:{team.no}:{skill}",
                         f"第{team.no}组须有{need}名{label}专业人员",
                         f"team {team.no} needs {need} member(s) skilled in {skill}", enforce)
            c = tm.model.add(sum(v for i, v in members if skill in cands[i].skills) >= need)
            if lit is not None:
                c.only_enforce_if(lit)


def _add_side_mix(tm: TeamModel, enforce: bool) -> None:
    """互派: at least `min_per_side` members (neither leader nor deputy) from each side of
    the team. Who may lead or deputize from which side is settled by the variables."""
    inst = tm.instance
    cands = inst.candidates
    for j, team in enumerate(inst.teams):
        if not team.min_per_side:
            continue
        for side in team.sides:
            mine = [i for i, _v in tm.in_team(j) if cands[i].side == side]
            members = (sum(tm.x[i, j] for i in mine)
                       - sum(tm.lead[i, j] for i in mine if (i, j) in tm.lead)
                       - sum(tm.deputy[i, j] for i in mine if (i, j) in tm.deputy))
            name = inst.side_name(side)
            lit = _guard(tm, f"side:{team.no}:{side}",
                         f"第{team.no}组须有至少{team.min_per_side}名来自{name}的组员",
                         f"team {team.no} needs at least {team.min_per_side} member(s) from "
                         f"{name}", enforce)
            c = tm.model.add(members >= team.min_per_side)
            if lit is not None:
                c.only_enforce_if(lit)


HALL_MAX_GROUPS = 6  # up to this many groups a team's condition is Hall's (≤ 63 sums)


def _add_groups(tm: TeamModel, enforce: bool) -> None:
    """Checking groups (检查小组): the team can be split into them iff its size is within
    Σmin…Σmax of its groups and each group has its own qualified member (a system of
    distinct representatives; proof in `assignment.subgroups`). By Hall's theorem the
    latter holds iff every set S of the team's groups has at least |S| members qualified
    for one of them: one sum over the existing x per set, no new variable. A team of more
    than HALL_MAX_GROUPS groups gets representative booleans instead. Teams without
    groups get nothing."""
    for j, team in enumerate(tm.instance.teams):
        if not team.groups:
            continue
        members = tm.in_team(j)
        low, high = sum(g.size_min for g in team.groups), sum(g.size_max for g in team.groups)
        lit = _guard(tm, f"groups:{team.no}",
                     f"第{team.no}组须能分成{len(team.groups)}个检查小组（{low}–{high}人）",
                     f"team {team.no} must split into {len(team.groups)} checking groups "
                     f"({low}–{high} members)", enforce)
        c = tm.model.add_linear_constraint(sum(v for _i, v in members), low, high)
        if lit is not None:
            c.only_enforce_if(lit)
        if len(team.groups) <= HALL_MAX_GROUPS:
            _add_hall(tm, j, enforce)
        else:
            _add_representatives(tm, j, enforce)


def _group_text(tm: TeamModel, no: int, groups: Sequence[GroupSpec],
                qualified: int) -> tuple[str, str, str]:
    """(code, zh, en) of the requirement that `groups` have their own qualified members."""
    inst = tm.instance
    skills = sorted({s for g in groups for s in g.skills})
    named = "、".join(skill_label(s, inst.skill_names) for s in skills)
    both = "同时" if len(groups) > 1 else ""
    return (f"group:{no}:{'+'.join(g.code for g in groups)}",
            f"第{no}组须能{both}分出{'、'.join(g.name for g in groups)}小组：须有{len(groups)}名"
            f"具备{named}专长的成员（可选的合格候选人{qualified}人）",
            f"team {no} needs {len(groups)} member(s) holding one of {', '.join(skills)} for "
            f"the checking group(s) {', '.join(g.code for g in groups)} ({qualified} "
            "qualified candidates)")


def _add_hall(tm: TeamModel, j: int, enforce: bool) -> None:
    """Hall's condition: per set of groups, enough members qualified for one of them
    (sets whose skills another set of as many or more groups covers alike are implied)."""
    team, cands = tm.instance.teams[j], tm.instance.candidates
    strongest: dict[frozenset[str], tuple[GroupSpec, ...]] = {}
    for r in range(1, len(team.groups) + 1):
        for subset in itertools.combinations(team.groups, r):
            strongest[frozenset(s for g in subset for s in g.skills)] = subset
    for skills, subset in strongest.items():
        qualified = [v for i, v in tm.in_team(j) if not skills.isdisjoint(cands[i].skills)]
        code, zh, en = _group_text(tm, team.no, subset, len(qualified))
        lit = _guard(tm, code, zh, en, enforce)
        c = tm.model.add(sum(qualified) >= len(subset))
        if lit is not None:
            c.only_enforce_if(lit)


def _add_representatives(tm: TeamModel, j: int, enforce: bool) -> None:
    """Representative booleans where a cadre qualifies for a group: each group exactly
    one, each cadre at most one, a representative on the team."""
    team, cands, m = tm.instance.teams[j], tm.instance.candidates, tm.model
    held: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for g in team.groups:
        reps = []
        for i, v in tm.in_team(j):
            if not set(cands[i].skills).isdisjoint(g.skills):
                r = m.new_bool_var(f"rep[{cands[i].key},{team.no},{g.code}]")
                m.add_implication(r, v)
                reps.append(r)
                held[i].append(r)
        code, zh, en = _group_text(tm, team.no, (g,), len(reps))
        lit = _guard(tm, code, zh, en, enforce)
        c = m.add(sum(reps) == 1)
        if lit is not None:
            c.only_enforce_if(lit)
    for reps in held.values():  # one cadre represents one group at most
        if len(reps) > 1:
            m.add_at_most_one(reps)


def _add_full_time(tm: TeamModel, enforce: bool) -> None:
    """At least `full_time_min` full-time staff (专职巡察干部) on each team."""
    inst = tm.instance
    cands = inst.candidates
    available = sum(1 for c in cands if c.full_time)
    for j, team in enumerate(inst.teams):
        if not team.full_time_min:
            continue
        mine = [v for i, v in tm.in_team(j) if cands[i].full_time]
        away = available - len(mine)
        lit = _guard(tm, f"full_time:{team.no}",
                     f"第{team.no}组须有至少{team.full_time_min}名专职巡察干部；可用的专职巡察"
                     f"干部有{available}人，其中{away}人须回避本组或不能到本组",
                     f"team {team.no} needs at least {team.full_time_min} full-time staff; "
                     f"{available} are available, {away} of them recused from or unable to "
                     f"join this team", enforce)
        c = tm.model.add(sum(mine) >= team.full_time_min)
        if lit is not None:
            c.only_enforce_if(lit)


def _add_unit_caps(tm: TeamModel, enforce: bool) -> None:
    """被抽调单位: at most `unit_caps[u]` people from home unit u across all teams (people,
    not placements: a cadre on two teams counts once)."""
    inst, m = tm.instance, tm.model
    if not inst.unit_caps:
        return
    teams_of: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (i, _j), v in tm.x.items():
        teams_of[i].append(v)
    people: dict[str, list[cp_model.LinearExprT]] = defaultdict(list)
    for i, cand in enumerate(inst.candidates):
        unit = cand.home_unit
        if unit is None or unit not in inst.unit_caps or not teams_of[i]:
            continue
        if cand.capacity <= 1:  # on one team at most: drawn = Σx
            people[unit].append(sum(teams_of[i]))
            continue
        drawn = m.new_bool_var(f"drawn[{cand.key}]")
        for v in teams_of[i]:
            m.add_implication(v, drawn)
        people[unit].append(drawn)
    for unit, cap in sorted(inst.unit_caps.items()):
        label = unit_label(inst, unit)
        lit = _guard(tm, f"unit:{unit}",
                     f"{label}本轮至多抽调{cap}人（该单位候选人{len(people[unit])}人）",
                     f"unit {inst.unit_names.get(unit, unit)} ({unit}) releases at most {cap}"
                     f" people to this round ({len(people[unit])} candidates)", enforce)
        c = m.add(sum(people[unit]) <= cap)
        if lit is not None:
            c.only_enforce_if(lit)


def _add_within_team_conflicts(tm: TeamModel) -> None:
    """Two cadres with a within-team tie never on one team."""
    for ia, ib, j in _pairs_in_teams(tm, tm.instance.conflicts):
        tm.model.add_at_most_one(tm.x[ia, j], tm.x[ib, j])


def _pairs_in_teams(tm: TeamModel, pairs: frozenset[tuple[str, str]]
                    ) -> list[tuple[int, int, int]]:
    """(row a, row b, team) for each pair both of whom have a variable in that team."""
    teams_of: dict[int, set[int]] = defaultdict(set)
    for i, j in tm.x:
        teams_of[i].add(j)
    index = tm.instance.index
    out: list[tuple[int, int, int]] = []
    for a, b in sorted(pairs):
        ia, ib = index.get(a), index.get(b)
        if ia is None or ib is None:
            continue
        out.extend((ia, ib, j) for j in sorted(teams_of[ia] & teams_of[ib]))
    return out


def _add_soft_terms(tm: TeamModel) -> None:
    inst, m, w = tm.instance, tm.model, tm.instance.weights
    cands = inst.candidates
    no_veteran, trainees, depth, one_gender = [], [], [], []
    for j, team in enumerate(inst.teams):
        members = tm.in_team(j)
        # 老带新: a team without a veteran is penalized; up to two trainees are rewarded
        has_vet = m.new_bool_var(f"veteran[{team.no}]")
        m.add(sum(v for i, v in members if cands[i].veteran) >= has_vet)
        no_veteran.append(1 - has_vet)
        placed = m.new_int_var(0, 2, f"trainees[{team.no}]")
        m.add(placed <= sum(v for i, v in members if cands[i].trainee))
        trainees.append(placed)
        # skill depth matched to the target's profile, up to the depth wanted
        for skill, want in team.skill_depth:
            d = m.new_int_var(0, want, f"depth[{team.no},{skill}]")
            m.add(d <= sum(v for i, v in members if skill in cands[i].skills))
            depth.append(d)
        # gender mix: a team of one gender is penalized
        mixed = m.new_bool_var(f"mixed[{team.no}]")
        for g in ("M", "F"):
            m.add(sum(v for i, v in members if cands[i].gender == g) >= mixed)
        one_gender.append(1 - mixed)
    # 组长不固定、对象不固定、搭配不固定
    led_again = [v for (i, j), v in tm.lead.items()
                 if set(inst.teams[j].targets) & set(cands[i].led_targets)]
    back_again = [v for (i, j), v in tm.x.items()
                  if set(inst.teams[j].targets) & set(cands[i].inspected_targets)]
    together_again = []
    for ia, ib, j in _pairs_in_teams(tm, inst.past_pairs):
        y = m.new_bool_var(f"again[{ia},{ib},{j}]")
        m.add(y >= tm.x[ia, j] + tm.x[ib, j] - 1)
        together_again.append(y)
    workload = sum(cands[i].recent_rounds * v for (i, _j), v in tm.x.items())
    suitability = sum(inst.suitability.get((cands[i].key, inst.teams[j].no), 0) * v
                      for (i, j), v in tm.x.items())
    tm.terms = [
        SoftTerm("experience", "老带新：缺少经验丰富成员的组数", sum(no_veteran), w.experience, -1),
        SoftTerm("training", "老带新：安排的后备、新提拔干部（每组至多2名）", sum(trainees),
                 w.training, +1),
        SoftTerm("rotation_leader", "组长不固定：组长再次带队巡察同一对象", sum(led_again),
                 w.rotation_leader, -1),
        SoftTerm("rotation_member", "对象不固定：成员再次巡察同一对象", sum(back_again),
                 w.rotation_member, -1),
        SoftTerm("rotation_pair", "搭配不固定：近期同组的两人再次同组", sum(together_again),
                 w.rotation_pair, -1),
        SoftTerm("fairness", "工作量均衡：入选者近期参加轮次之和", workload, w.fairness, -1),
        SoftTerm("depth", "专业匹配：按对象特点增配的专业人员", sum(depth), w.depth, +1),
        SoftTerm("gender", "性别搭配：单一性别的组数", sum(one_gender), w.gender, -1),
        SoftTerm("suitability", "适配度：给定的干部—组适配分之和", suitability, w.suitability, +1),
    ]
    if w.commended:  # off by default, so rounds without it report the terms of before
        # 巡后评估: leaders whose recent evaluations are all 优秀/称职
        commended = [v for (i, _j), v in tm.lead.items() if cands[i].commended]
        tm.terms.append(SoftTerm("commended", "巡后评估：近期评估为优秀或称职的组长",
                                 sum(commended), w.commended, +1))
