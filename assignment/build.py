"""From the pool to an instance: the round's plan, the snapshot's cadres and history, and
the screening's recusals and within-team conflicts become one `Instance`.

Only hard recusals bar a role; soft ones are left to the people deciding. Cadres who are
not eligible (status, unavailability, the year's round limit, the round's age and
evaluation rules: `assignment.eligibility`) are not candidates; the
returned `Context` says who was left out and why, for the diagnosis and the report.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from assignment.eligibility import AgeRule, EvaluationRule, age_reasons, evaluation_standing
from assignment.home_units import UnitLimit, apply_unit_limit
from assignment.instance import Candidate, Instance, TeamSpec, Weights, pair
from conflicts.screening import Screening
from pool.records import Snapshot


@dataclass(frozen=True)
class RoundPlan:
    """What the organization department decides before the draw."""

    key: str
    name: str
    start: dt.date
    end: dt.date
    teams: tuple[TeamSpec, ...]
    policy: str = "default"
    rotation_rounds: int = 3  # rotation looks at the last N rounds before this one
    veteran_rounds: int = 2  # rounds served to count as a veteran
    training_rounds: int = 2  # reserve / newly promoted cadres train for this many rounds
    weights: Weights = field(default_factory=Weights)
    # per cadre: (teams at most, teams at least) in this round; default (1, 0)
    loads: tuple[tuple[str, int, int], ...] = ()
    # (cadre, team number, score) suitability given by the organizers
    suitability: tuple[tuple[str, int, int], ...] = ()
    age: AgeRule = field(default_factory=AgeRule)  # max age, retirement margin
    evaluations: EvaluationRule = field(default_factory=EvaluationRule)  # 巡后评估
    home_unit_limit: UnitLimit = field(default_factory=UnitLimit)  # 被抽调单位放人上限

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(u for t in self.teams for u in t.targets)


@dataclass(frozen=True)
class Context:
    """What shaped the instance, for the diagnosis and the report: cadres left out (key →
    reasons, zh and en) and the hard rules behind each recusal ((cadre, unit) → rule ids)."""

    excluded: dict[str, list[tuple[str, str]]]
    recused_by: dict[tuple[str, str], tuple[str, ...]]
    skills: dict[str, tuple[str, ...]]  # of the excluded cadres, to name them by skill
    names: dict[str, str]  # of the excluded cadres
    leaders: frozenset[str] = frozenset()  # the excluded cadres of the leader pool


def build_instance(snapshot: Snapshot, screening: Screening, plan: RoundPlan,
                   pool: Collection[str] | None = None, sides: Mapping[str, str] | None = None,
                   side_names: Mapping[str, str] | None = None) -> tuple[Instance, Context]:
    """The instance for `plan`; `screening` must cover the plan's targets. `pool` limits
    the candidates (e.g. to one sending group of a cross-inspection); `sides` gives each
    cadre the group that sends them (cadre → side, named by `side_names`)."""
    missing = set(plan.targets) - set(screening.target_keys)
    if missing:
        raise ValueError(f"回避审查未覆盖这些被巡察单位 / the screening does not cover "
                         f"targets: {sorted(missing)}")
    history = _History(snapshot, plan)
    loads = {key: (most, least) for key, most, least in plan.loads}
    left_out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in screening.ineligible:
        if pool is None or item.cadre_key in pool:
            left_out[item.cadre_key].append((item.zh, item.en))
    candidates = []
    keys_in_pool = sorted(screening.cadre_keys) if pool is None else \
        sorted(set(screening.cadre_keys) & set(pool))
    standing = evaluation_standing(snapshot, plan.start, plan.evaluations)
    # the flag only matters (and only enters the hash) when a team wants full-time staff
    full_time_rule = any(t.full_time_min for t in plan.teams)
    for key in keys_in_pool:
        cadre = snapshot.cadres[key]
        served = history.this_year.get(key, 0)
        limit = cadre.max_rounds_per_year
        if limit is not None and served >= limit:
            left_out[key].append((f"本年度已参加{served}轮，达到上限{limit}轮",
                                  f"served {served} rounds this year, the limit is {limit}"))
        barred = [*age_reasons(snapshot.persons[key], plan.start, plan.age),
                  *standing.barred.get(key, ())]
        if barred:
            left_out[key].extend(barred)
        if key in left_out:
            continue
        person = snapshot.persons[key]
        rounds = history.rounds_of.get(key, 0)
        most, least = loads.get(key, (1, 0))
        candidates.append(Candidate(
            key=key, name=person.name, gender=person.gender,
            skills=tuple(sorted(code for code, level in cadre.skills if level >= 1)),
            leader_pool=cadre.leader_pool, deputy_pool=cadre.deputy_pool,
            trainee=(cadre.reserve or cadre.newly_promoted) and rounds < plan.training_rounds,
            veteran=rounds >= plan.veteran_rounds,
            recent_rounds=history.recent.get(key, 0),
            led_targets=tuple(sorted(history.led.get(key, ()))),
            inspected_targets=tuple(sorted(history.inspected.get(key, ()))),
            capacity=most, minimum=least, side=(sides or {}).get(key),
            full_time=full_time_rule and cadre.full_time,
            # only when the soft term is on, so other rounds' instances hash as before
            commended=bool(plan.weights.commended) and key in standing.commended))
    keys = {c.key for c in candidates}
    candidates, caps, unit_names = apply_unit_limit(snapshot, plan.home_unit_limit, candidates)
    recusals, rules = _recusals(screening, keys, set(plan.targets))
    instance = Instance(
        round_key=plan.key, teams=plan.teams, candidates=tuple(candidates),
        recusals=recusals,
        conflicts=frozenset(pair(c.cadre_a, c.cadre_b) for c in screening.team_conflicts
                            if c.hard and c.cadre_a in keys and c.cadre_b in keys),
        past_pairs=frozenset(p for p in history.pairs if p[0] in keys and p[1] in keys),
        weights=plan.weights,
        suitability={(c, no): v for c, no, v in plan.suitability if c in keys},
        skill_names={code: s.name_zh for code, s in snapshot.skills.items()},
        side_names=dict(side_names or {}), unit_caps=caps, unit_names=unit_names)
    skills = {k: tuple(code for code, _lvl in snapshot.cadres[k].skills) for k in left_out}
    names = {k: snapshot.persons[k].name for k in left_out}
    leaders = frozenset(k for k in left_out if snapshot.cadres[k].leader_pool)
    return instance, Context(dict(left_out), rules, skills, names, leaders)


Pair = tuple[str, str]


def _recusals(screening: Screening, keys: set[str], targets: set[str]
              ) -> tuple[dict[Pair, frozenset[str]], dict[Pair, tuple[str, ...]]]:
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    rules: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in screening.recusals():
        if r.hard and r.cadre_key in keys and r.target_key in targets:
            # liaison is a member's role in the model
            roles[r.cadre_key, r.target_key] |= {role.value if role.value != "liaison"
                                                 else "member" for role in r.roles}
            rules[r.cadre_key, r.target_key].append(r.rule_id)
    return ({k: frozenset(v) for k, v in roles.items()},
            {k: tuple(v) for k, v in rules.items()})


class _History:
    """Participation history before the round: rotation, workload, experience."""

    def __init__(self, snapshot: Snapshot, plan: RoundPlan) -> None:
        before = sorted((r for r in snapshot.rounds.values() if r.start < plan.start),
                        key=lambda r: (r.start, r.key))
        recent = {r.key for r in before[-plan.rotation_rounds:]} if plan.rotation_rounds else set()
        year_ago = plan.start - dt.timedelta(days=365)
        self.this_year: dict[str, int] = defaultdict(int)
        self.recent: dict[str, int] = defaultdict(int)
        self.rounds_of: dict[str, int] = defaultdict(int)
        self.led: dict[str, set[str]] = defaultdict(set)
        self.inspected: dict[str, set[str]] = defaultdict(set)
        teams: dict[tuple[str, int], list[str]] = defaultdict(list)
        for p in snapshot.participations:
            rnd = snapshot.rounds.get(p.round_key)
            if rnd is None or rnd.start >= plan.start:
                continue
            self.rounds_of[p.person_key] += 1
            if rnd.start.year == plan.start.year:
                self.this_year[p.person_key] += 1
            if rnd.start >= year_ago:
                self.recent[p.person_key] += 1
            if p.round_key in recent:
                self.inspected[p.person_key].update(p.targets)
                if p.role == "leader":
                    self.led[p.person_key].update(p.targets)
                teams[p.round_key, p.team_no].append(p.person_key)
        self.pairs = {pair(a, b) for members in teams.values()
                      for i, a in enumerate(sorted(members)) for b in sorted(members)[i + 1:]}
