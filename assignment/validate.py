"""Check a proposal against every hard rule of its instance. The tests run it on every
proposal the optimizer returns; the service runs it on every manual change."""

from __future__ import annotations

from collections import Counter

from assignment.home_units import unit_violations
from assignment.instance import Candidate, Instance, TeamSpec
from assignment.proposal import Proposal, Team
from assignment.subgroups import shortfall, shortfall_text, split_violations


def violations(instance: Instance, proposal: Proposal) -> list[str]:
    """Every hard rule the proposal breaks, in words (empty: the proposal is valid)."""
    out: list[str] = []
    cands = instance.by_key
    specs = {t.no: t for t in instance.teams}
    if {t.no for t in proposal.teams} != set(specs):
        out.append(f"巡察组与轮次不符 / teams differ from the round: "
                   f"{sorted(t.no for t in proposal.teams)} vs {sorted(specs)}")
    load = Counter(m.key for t in proposal.teams for m in t.members)
    for key, n in sorted(load.items()):
        c = cands.get(key)
        if c is None:
            out.append(f"{key} 不是候选人 / {key} is not a candidate")
        elif n > c.capacity:
            out.append(f"{key} 参加{n}个组，超过上限{c.capacity} / on {n} teams, over capacity")
    for c in instance.candidates:
        if load.get(c.key, 0) < c.minimum:
            out.append(f"{c.key} 至少参加{c.minimum}个组 / needs at least {c.minimum} teams")
    for team in proposal.teams:
        spec = specs.get(team.no)
        if spec is None:
            continue
        where = f"第{team.no}组 / team {team.no}"
        keys = [m.key for m in team.members]
        if len(set(keys)) != len(keys):
            out.append(f"{where}: 同一人出现两次 / a member appears twice")
        if not spec.size_min <= len(keys) <= spec.size_max:
            out.append(f"{where}: {len(keys)}人，须{spec.size_min}–{spec.size_max}人 / size")
        roles = Counter(m.role for m in team.members)
        if roles["leader"] != 1:
            out.append(f"{where}: 组长{roles['leader']}人，须1人 / needs exactly one leader")
        if not spec.deputies_min <= roles["deputy"] <= spec.deputies_max:
            out.append(f"{where}: 副组长{roles['deputy']}人 / deputies out of range")
        for m in team.members:
            c = cands.get(m.key)
            if c is None:
                continue
            if m.role == "leader" and not c.leader_pool:
                out.append(f"{where}: 组长 {m.key} 不在组长库 / leader not in the leader pool")
            if m.role == "deputy" and not (c.deputy_pool or c.leader_pool):
                out.append(f"{where}: 副组长 {m.key} 不具备副组长资格 / not deputy-eligible")
            barred = instance.barred(m.key, spec)
            if m.role in barred:
                out.append(f"{where}: {m.key} 须回避本组巡察对象（{m.role}）/ recused from "
                           f"the team's target as {m.role}")
            out.extend(_side_violations(instance, where, spec, m.role, c))
        for skill, need in spec.skill_min:
            have = sum(1 for k in keys if k in cands and skill in cands[k].skills)
            if have < need:
                out.append(f"{where}: {skill} {have}人，须至少{need}人 / skill short")
        for side in spec.sides if spec.min_per_side else ():
            n = sum(1 for m in team.members if m.role == "member" and m.key in cands
                    and cands[m.key].side == side)
            if n < spec.min_per_side:
                name = instance.side_name(side)
                out.append(f"{where}: 来自{name}的组员{n}人，须至少{spec.min_per_side}人 / "
                           f"{n} member(s) from {name}, needs {spec.min_per_side}")
        out.extend(_group_violations(instance, where, spec, team))
        full_time = sum(1 for k in set(keys) if k in cands and cands[k].full_time)
        if full_time < spec.full_time_min:
            out.append(f"{where}: 专职巡察干部{full_time}人，须至少{spec.full_time_min}人 / "
                       f"{full_time} full-time staff, needs {spec.full_time_min}")
        members = sorted(set(keys))  # pairs are stored (a < b)
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if (a, b) in instance.conflicts:
                    out.append(f"{where}: {a} 与 {b} 不得同组 / may not serve together")
    out.extend(unit_violations(instance, proposal))
    return out


def _side_violations(instance: Instance, where: str, spec: TeamSpec, role: str,
                     c: Candidate) -> list[str]:
    """互派: the team's sides staff it, the leader and deputies each from their side."""
    if not spec.sides:
        return []
    name = instance.side_name
    if c.side not in spec.sides:
        return [f"{where}: {c.key} 来自{name(c.side) or '未知一方'}，不属于本组的派出方"
                f"（{'、'.join(map(name, spec.sides))}）/ not from the team's sides"]
    for r, side, zh in (("leader", spec.leader_side, "组长"),
                        ("deputy", spec.deputy_side, "副组长")):
        if role == r and side is not None and c.side != side:
            return [f"{where}: {zh} {c.key} 来自{name(c.side)}，须来自{name(side)} / the "
                    f"{r} must come from {name(side)}"]
    return []


def _group_violations(instance: Instance, where: str, spec: TeamSpec,
                      team: Team) -> list[str]:
    """Checking groups: the members can be split into them, and a split the proposal
    carries is one."""
    if not spec.groups and not team.groups:
        return []
    cands = instance.by_key
    members = [(m.key, cands[m.key].skills if m.key in cands else m.skills)
               for m in team.members]
    found = shortfall(members, spec.groups)
    if found is not None:
        zh, en = shortfall_text(found, spec.groups, len(members), instance.skill_names,
                                {m.key: m.name for m in team.members})
        return [f"{where}: {zh} / {en}"]
    if not team.groups:
        return []
    return [f"{where}: {zh} / {en}" for zh, en in split_violations(
        spec.groups, members, [(g.code, g.members) for g in team.groups])]


def term_values(instance: Instance, teams: dict[int, dict[str, str]]) -> dict[str, int]:
    """The soft terms of a team set, computed plainly (team no → {cadre: role}); the model's
    reported terms must equal these, and a manual change is re-scored with them."""
    cands = instance.by_key
    specs = {t.no: t for t in instance.teams}
    v = dict.fromkeys(("experience", "training", "rotation_leader", "rotation_member",
                       "rotation_pair", "fairness", "depth", "gender", "suitability"), 0)
    for no, members in teams.items():
        spec = specs[no]
        people = [cands[k] for k in sorted(members)]
        targets = set(spec.targets)
        v["experience"] += not any(c.veteran for c in people)
        v["training"] += min(2, sum(c.trainee for c in people))
        v["depth"] += sum(min(want, sum(skill in c.skills for c in people))
                          for skill, want in spec.skill_depth)
        genders = {c.gender for c in people}
        v["gender"] += not {"M", "F"} <= genders
        for c in people:
            if members[c.key] == "leader" and targets & set(c.led_targets):
                v["rotation_leader"] += 1
            v["rotation_member"] += bool(targets & set(c.inspected_targets))
            v["fairness"] += c.recent_rounds
            v["suitability"] += instance.suitability.get((c.key, no), 0)
        keys = sorted(members)
        v["rotation_pair"] += sum(1 for i, a in enumerate(keys) for b in keys[i + 1:]
                                  if (a, b) in instance.past_pairs)
    if instance.weights.commended:  # the model has this term only when it is weighted
        v["commended"] = sum(1 for members in teams.values() for k, role in members.items()
                             if role == "leader" and cands[k].commended)
    return v


def objective(instance: Instance, values: dict[str, int]) -> int:
    w = instance.weights
    sign = {"training": 1, "depth": 1, "suitability": 1, "commended": 1}
    return sum(sign.get(name, -1) * getattr(w, name) * value for name, value in values.items())
