"""Assemble a round's teams: solve for the best objective, then draw among the proposals
within `tolerance` of it with a seeded random preference, so the same inputs do not
always pick the same people and nobody can steer who goes where.

Reproducibility: one worker, a fixed `random_seed`, and deterministic limits
(`max_deterministic_time`) make a run identical on any machine with the same library
versions; the wall-clock limit is a safety net only, and when it stops a solve the
proposal says so (`wall_limit_hit`): such a proposal is not a result (the service fails
the draw). Seeds may be any non-negative integer (a ceremony's is 256 bits): the random
preference takes all of it, the solver its `solver_seed`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from assignment.ceremony import solver_seed
from assignment.greedy import greedy_teams
from assignment.instance import Instance, TeamSpec
from assignment.model import TeamModel, build
from assignment.proposal import Member, Proposal, Requirement, Team, Term
from assignment.shortlist import shortlist, upper_bound
from assignment.subgroups import groups_requirement, team_groups
from assignment.validate import term_values

_STATUS = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
           cp_model.INFEASIBLE: "infeasible", cp_model.MODEL_INVALID: "invalid",
           cp_model.UNKNOWN: "unknown"}


@dataclass(frozen=True)
class SolveSettings:
    deterministic_time: float = 20.0  # per phase, in CP-SAT's deterministic seconds
    wall_time: float = 120.0  # safety net per phase; hitting it is reported
    tolerance: float = 0.02  # the draw may lose this share of the best objective
    workers: int = 1
    linearization_level: int = 2
    shortlist_above: int = 100_000  # candidate × team pairs beyond which teams shortlist
    shortlist_k: int = 4

    def solver_parameters(self, seed: int) -> dict[str, float | int | bool]:
        return {"num_workers": self.workers, "random_seed": solver_seed(seed),
                "max_deterministic_time": self.deterministic_time,
                "max_time_in_seconds": self.wall_time,
                "linearization_level": self.linearization_level,
                "interleave_search": self.workers > 1}

    def parameters(self, seed: int) -> dict[str, float | int | bool]:
        """Everything that decides the result, as reported with the proposal (not the
        wall-clock safety net: a solve it stops is no result)."""
        solver = self.solver_parameters(seed)
        solver.pop("max_time_in_seconds")
        return solver | {"tolerance": self.tolerance, "shortlist_above": self.shortlist_above,
                         "shortlist_k": self.shortlist_k}

    def sealed(self) -> dict[str, float | int]:
        """The settings a draw specification seals (all but the seed and the wall-clock
        safety net); `from_sealed` reads them back."""
        return {"deterministic_time": self.deterministic_time, "tolerance": self.tolerance,
                "workers": self.workers, "linearization_level": self.linearization_level,
                "shortlist_above": self.shortlist_above, "shortlist_k": self.shortlist_k}

    @classmethod
    def from_sealed(cls, sealed: Mapping[str, float | int],
                    wall_time: float | None = None) -> SolveSettings:
        known = set(cls().sealed())
        unknown = sorted(set(sealed) - known)
        if unknown:
            raise ValueError(f"unknown sealed settings {unknown}")
        base = cls()
        return cls(deterministic_time=float(sealed.get("deterministic_time",
                                                       base.deterministic_time)),
                   wall_time=base.wall_time if wall_time is None else wall_time,
                   tolerance=float(sealed.get("tolerance", base.tolerance)),
                   workers=int(sealed.get("workers", base.workers)),
                   linearization_level=int(sealed.get("linearization_level",
                                                      base.linearization_level)),
                   shortlist_above=int(sealed.get("shortlist_above", base.shortlist_above)),
                   shortlist_k=int(sealed.get("shortlist_k", base.shortlist_k)))


def _solver(settings: SolveSettings, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    for name, value in settings.solver_parameters(seed).items():
        setattr(solver.parameters, name, value)
    return solver


def assemble(instance: Instance, seed: int,
             settings: SolveSettings = SolveSettings()) -> Proposal:
    """The proposal for `instance` drawn with `seed` (see the module docstring)."""
    started = time.perf_counter()
    pairs = len(instance.candidates) * len(instance.teams)
    allowed = shortlist(instance, settings.shortlist_k) if pairs > settings.shortlist_above \
        else None
    tm = build(instance, allowed=allowed)
    tm.hint(greedy_teams(instance, allowed=allowed))  # start from the greedy teams
    solver = _solver(settings, seed)
    status = solver.solve(tm.model)
    det_time = solver.deterministic_time
    wall_hit = _wall_stopped(solver, status, settings)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _empty(instance, _STATUS.get(status, "unknown"), seed, settings, started,
                      det_time, wall_hit)
    best = round(solver.objective_value)
    bound = solver.best_objective_bound
    phase_one = _STATUS[status]
    if allowed is not None:  # the reduced model's bound says nothing about the full one
        bound = float(max(upper_bound(instance), best))
        phase_one = "optimal" if bound <= best else "feasible"
    if settings.tolerance > 0:
        # phase two: any proposal within the tolerance, preferred by a seeded random order
        floor = best - int(abs(best) * settings.tolerance)
        tm.model.add(tm.objective() >= floor)
        rng = np.random.default_rng(seed)
        keys = sorted(tm.x)  # a fixed order, so the draw depends on the seed alone
        prefs = rng.integers(0, 1000, size=len(keys))
        tm.model.maximize(sum(int(p) * tm.x[k] for k, p in zip(keys, prefs, strict=True)))
        tm.model.clear_hints()
        for v in (*tm.x.values(), *tm.lead.values(), *tm.deputy.values()):
            tm.model.add_hint(v, solver.value(v))
        second = _solver(settings, seed)
        status2 = second.solve(tm.model)
        det_time += second.deterministic_time
        wall_hit = wall_hit or _wall_stopped(second, status2, settings)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solver = second
    teams = _teams(tm, solver)
    # the terms are recomputed from the teams: in the draw's phase the model's helper
    # variables need not be tight, the teams are what counts
    values = term_values(instance, {t.no: {m.key: m.role for m in t.members} for t in teams})
    terms = tuple(Term(t.name, t.zh, values[t.name], t.weight, t.sign) for t in tm.terms)
    objective = sum(t.contribution for t in terms)
    gap = (abs(bound - best) / max(abs(bound), 1.0)) if phase_one != "optimal" else 0.0
    considered = len({i for i, _j in tm.x})
    return Proposal(instance.round_key, phase_one, objective, best, bound, gap, terms, teams,
                    seed, instance.input_hash, settings.tolerance, settings.parameters(seed),
                    time.perf_counter() - started, det_time, wall_hit, considered,
                    allowed is not None)


def _wall_stopped(solver: cp_model.CpSolver, status: cp_model.CpSolverStatus,
                  settings: SolveSettings) -> bool:
    """Whether the wall-clock safety net stopped this solve. CP-SAT's reported wall time
    can fall short of the limit that stopped it (its clock starts before the solve is
    timed), so a search that ended unfinished (feasible or unknown) before spending its
    deterministic budget counts as stopped by the wall clock too: with one objective
    and no other limit, nothing else ends a search early."""
    if solver.wall_time >= settings.wall_time * 0.99:
        return True
    return status in (cp_model.FEASIBLE, cp_model.UNKNOWN) \
        and solver.deterministic_time < settings.deterministic_time


def _empty(instance: Instance, status: str, seed: int, settings: SolveSettings,
           started: float, det_time: float, wall_hit: bool) -> Proposal:
    return Proposal(instance.round_key, status, None, None, None, None, (), (), seed,
                    instance.input_hash, settings.tolerance, settings.parameters(seed),
                    time.perf_counter() - started, det_time, wall_hit, 0, False)


def _teams(tm: TeamModel, solver: cp_model.CpSolver) -> tuple[Team, ...]:
    return teams_from_roles(tm.instance, tm.roles(solver.value))


def teams_from_roles(inst: Instance, roles: Mapping[int, Mapping[str, str]]
                     ) -> tuple[Team, ...]:
    """The proposal's teams from team no → {cadre: role}: members in role order, each
    requirement in words, the split into checking groups."""
    cands = inst.by_key
    out = []
    order = {"leader": 0, "deputy": 1, "member": 2}
    for spec in inst.teams:
        members = [Member(k, cands[k].name, role, cands[k].skills, cands[k].side)
                   for k, role in roles[spec.no].items()]
        members.sort(key=lambda m: (order[m.role], m.key))
        out.append(Team(spec.no, spec.targets, tuple(members),
                        requirements(spec, tuple(members), inst.skill_names,
                                     inst.side_names, full_time=_full_time(inst)),
                        team_groups(spec.groups, members)))
    return tuple(out)


def _full_time(instance: Instance) -> frozenset[str]:
    return frozenset(c.key for c in instance.candidates if c.full_time)


def requirements(spec: TeamSpec, members: tuple[Member, ...],
                 skill_names: Mapping[str, str] | None = None,
                 side_names: Mapping[str, str] | None = None, *,
                 full_time: Collection[str] = ()) -> tuple[Requirement, ...]:
    """Why each requirement of the team is met, in words (`full_time`: the keys of the
    full-time staff, 专职巡察干部)."""
    names = skill_names or {}
    n = len(members)
    leaders = [m for m in members if m.role == "leader"]
    deputies = [m for m in members if m.role == "deputy"]
    out = [
        Requirement("size", f"共{n}人（要求{spec.size_min}–{spec.size_max}人）",
                    f"{n} members (needs {spec.size_min}–{spec.size_max})",
                    spec.size_min <= n <= spec.size_max),
        Requirement("leader", f"组长：{'、'.join(m.name for m in leaders) or '无'}（组长库）",
                    f"leader: {', '.join(m.key for m in leaders) or 'none'} (leader pool)",
                    len(leaders) == 1),
        Requirement("deputies", f"副组长{len(deputies)}人（要求{spec.deputies_min}–"
                    f"{spec.deputies_max}人）", f"{len(deputies)} deputies (needs "
                    f"{spec.deputies_min}–{spec.deputies_max})",
                    spec.deputies_min <= len(deputies) <= spec.deputies_max),
    ]
    for skill, need in spec.skill_min:
        have = [m for m in members if skill in m.skills]
        out.append(Requirement(f"skill:{skill}", f"{names.get(skill, skill)}专业{len(have)}人"
                               f"（要求至少{need}人）："
                               + "、".join(m.name for m in have),
                               f"{len(have)} skilled in {skill} (needs {need}): "
                               + ", ".join(m.key for m in have), len(have) >= need))
    if spec.sides:
        out.append(_sides_requirement(spec, members, side_names or {}))
    if spec.groups:
        out.append(groups_requirement(spec.groups, members, names))
    if spec.full_time_min:
        staff = [m for m in members if m.key in full_time]
        out.append(Requirement("full_time", f"专职巡察干部{len(staff)}人（要求至少"
                               f"{spec.full_time_min}人）：" + "、".join(m.name for m in staff),
                               f"{len(staff)} full-time staff (needs {spec.full_time_min}): "
                               + ", ".join(m.key for m in staff),
                               len(staff) >= spec.full_time_min))
    return tuple(out)


def _sides_requirement(spec: TeamSpec, members: tuple[Member, ...],
                       side_names: Mapping[str, str]) -> Requirement:
    """互派: where the leader, the deputies and the members come from."""
    def name(side: str | None) -> str:
        return side_names.get(side, side) if side is not None else "—"

    counts = {s: sum(m.role == "member" and m.side == s for m in members) for s in spec.sides}
    met = all(m.side in spec.sides for m in members) and all(
        m.side == side for role, side in (("leader", spec.leader_side),
                                          ("deputy", spec.deputy_side)) if side is not None
        for m in members if m.role == role) and all(
        n >= spec.min_per_side for n in counts.values())
    mix_zh = "、".join(f"{name(s)}{n}人" for s, n in counts.items())
    mix_en = ", ".join(f"{n} from {name(s)}" for s, n in counts.items())
    return Requirement(
        "sides", f"互派：组长来自{name(spec.leader_side)}，副组长来自{name(spec.deputy_side)}；"
        f"组员{mix_zh}（每方至少{spec.min_per_side}人）",
        f"exchange: leader from {name(spec.leader_side)}, deputies from "
        f"{name(spec.deputy_side)}; members {mix_en} (at least {spec.min_per_side} each)", met)
