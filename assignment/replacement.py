"""Who could take the seat of a member who leaves a team mid-round (a member falls ill, a
home unit calls them back), ranked best first, and the seeded draw among the near-best.

`rank_replacements` tries every candidate of the instance in the seat (the leaving
member's role) and keeps those with whom every hard rule still holds, exactly as
`assignment.validate.violations` judges the changed proposal: the seat's role (leader
and deputy pools, sides), recusals from the team's targets, within-team ties with the
members who stay, the required skills of the team, the members per side, and nobody who
is already on a team. The rules are checked per candidate from precomputed facts of the
team (the members who stay, their skills and ties), so the whole pool is ranked at once;
the best options are then checked again by the validator itself (`verify`). Each option
is scored by the plain soft-term recomputation (`term_values`, `objective`) of the
instance, ranked by the resulting objective, then by key, and says why in Chinese and
English.

`draw_replacement` picks one option among those within `tolerance` of the best (the
same tolerance rule as `assignment.assemble`), by lot: every option's ticket is the
sha256 of the departure event (the round's sealed seed, the proposal, the team and the
leaving member, domain-separated) followed by its key, and the smallest ticket wins.
Nothing the recorder picks freely is hashed: not the reason's text, not the date (a
recorder who could move the date within the round could try a lot per day and keep the
one they like); one member leaves a proposal once, so the event is fixed by who leaves.
Only options checked by the validator take part. Anyone can recompute the lot with
`sha256sum` (`event_preimage`, `ticket`).

Pure: no database, no web framework."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from assignment.home_units import drawn_by_unit
from assignment.instance import Candidate, Instance, TeamSpec
from assignment.proposal import Member, Proposal, Team
from assignment.subgroups import newcomer_fits
from assignment.validate import objective, term_values, violations

DRAW_DOMAIN = "xuncha-replacement-draw-v2"
_TOKEN = re.compile(r"^[^\s]{1,128}$")

# soft terms in the order the model reports them: (name, 中文, English); the sign of each
# is the one `validate.objective` gives it
TERMS = (
    ("experience", "老带新", "experience mix"),
    ("training", "后备培养", "training"),
    ("rotation_leader", "组长不固定", "leader rotation"),
    ("rotation_member", "对象不固定", "target rotation"),
    ("rotation_pair", "搭配不固定", "pairing rotation"),
    ("fairness", "工作量均衡", "workload fairness"),
    ("depth", "专业匹配", "skill depth"),
    ("gender", "性别搭配", "gender mix"),
    ("suitability", "适配度", "suitability"),
    ("commended", "巡后评估", "evaluations"),  # only in rounds that weight it
)
_REWARDS = frozenset({"training", "depth", "suitability", "commended"})
ROLE_TEXT = {"leader": ("组长", "leader"), "deputy": ("副组长", "deputy"),
             "member": ("组员", "member")}

# why a candidate cannot take the seat, in the order they are checked: (code, 中文, English)
REASONS = (
    ("on_team", "已在本轮的巡察组中", "already on a team of this round"),
    ("unavailable", "不再可用（状态、时间冲突或已在时间重叠的轮次任职）",
     "no longer available (status, unavailability or a team in an overlapping round)"),
    ("role", "不具备该席位的角色资格", "not eligible for the seat's role"),
    ("recused", "须回避本组巡察对象", "recused from the team's targets"),
    ("tie", "与组内留任成员有亲属或同单位等关系（不得同组）",
     "tied to a member who stays (may not serve together)"),
    ("skill", "缺少本组仅由离开者具备的必备专业", "lacks a required skill only the leaving "
     "member brought"),
    ("side", "派出方不符（互派每方组员人数）", "from the wrong side (members per side)"),
    ("full_time", "不是专职巡察干部（本组专职巡察干部将不足）", "not full-time staff (the team "
     "would fall short of its full-time minimum)"),
    ("home_unit", "所在单位本轮抽调人数已达上限", "their home unit already releases as many "
     "people to the round as its cap allows"),
    ("group", "换入后本组无法分成检查小组", "the team could no longer be split into its "
     "checking groups"),
    ("other", "调整后违反其他硬性规则", "the change would break another hard rule"),
)
_REASON_TEXT = {code: (zh, en) for code, zh, en in REASONS}


class ReplacementError(ValueError):
    """The question cannot be asked as given (no such team or member); says which."""

    def __init__(self, zh: str, en: str, field: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.field = zh, en, field


@dataclass(frozen=True, slots=True)
class TermChange:
    """One soft term of the instance before and after the swap, in its own unit."""

    name: str
    zh: str
    en: str
    weight: int
    sign: int  # +1 reward, −1 penalty
    before: int
    after: int

    @property
    def contribution_change(self) -> int:
        return self.sign * self.weight * (self.after - self.before)


@dataclass(frozen=True, slots=True)
class Option:
    """One cadre who can take the seat, with every hard rule holding after the swap."""

    rank: int  # 1 = best
    cadre: str
    role: str
    objective_before: int  # the instance's objective (the part the team belongs to)
    objective_after: int
    terms: tuple[TermChange, ...]  # every soft term, before and after
    covers: tuple[str, ...]  # required skills of the team the leaving member had, kept
    why_zh: str
    why_en: str
    verified: bool  # checked again by `validate.violations` on the changed proposal

    @property
    def objective_change(self) -> int:
        return self.objective_after - self.objective_before


@dataclass(frozen=True, slots=True)
class Exclusion:
    """How many candidates one reason kept out (each counted once, by the first reason
    found), with a few keys as examples."""

    code: str
    count: int
    zh: str
    en: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    team: int  # the team's number in the instance
    leaving: str
    role: str  # the seat's role
    options: tuple[Option, ...]  # every cadre who can take the seat, best first
    considered: int  # candidates examined (everyone in the instance but the leaving one)
    excluded: tuple[Exclusion, ...]
    blocked: tuple[tuple[str, str], ...]  # (中文, English): why nobody at all can
    shown_as: int | None = None  # the team's number in texts (None: `team`)

    @property
    def none_zh(self) -> str | None:
        return None if self.options else _diagnosis(self, zh=True)

    @property
    def none_en(self) -> str | None:
        return None if self.options else _diagnosis(self, zh=False)


def skill_text(code: str, names: Mapping[str, str]) -> str:
    """A skill as people read it: "财务 finance" (the code alone when it has no name)."""
    name = names.get(code)
    return f"{name} {code}" if name and name != code else code


def rank_replacements(instance: Instance, teams: Mapping[int, Mapping[str, str]], team: int,
                      leaving: str, *,
                      unavailable: Mapping[str, tuple[str, str]] | None = None,
                      elsewhere: Collection[str] = (), verify: int = 20,
                      shown_as: int | None = None) -> Ranking:
    """Every candidate who could take `leaving`'s seat on `team`, best first.

    `teams` are the instance's current teams (team no → {cadre: role}), manual changes
    included. `unavailable` names cadres the caller knows cannot serve any more (key →
    reason in Chinese and English); `elsewhere` are cadres on teams outside this
    instance (the other parts of a cross-inspection). The first `verify` options are
    checked again with `validate.violations` on the changed proposal. `shown_as` is the
    team's number in the texts (its number in the proposal, when the instance is one
    part of it)."""
    if team not in teams or team not in instance.team_nos:
        raise ReplacementError(f"没有第{team}组", f"no team {team}", "team")
    seats = dict(teams[team])
    if leaving not in seats:
        raise ReplacementError(f"{leaving} 不在第{team}组", f"{leaving} is not on team {team}",
                               "leaving")
    role = seats[leaving]
    spec = next(t for t in instance.teams if t.no == team)
    cands = instance.by_key
    stay = {k: r for k, r in seats.items() if k != leaving}
    load = Counter(k for members in teams.values() for k in members)
    away = unavailable or {}
    outside = set(elsewhere)

    shown = team if shown_as is None else shown_as
    blocked = _blocked(instance, teams, team, shown, leaving, role, spec, stay, cands, load)
    needs = _needed_skills(spec, stay, cands)  # skills the newcomer must bring
    sides_needed = _needed_sides(spec, stay, cands, role)
    tied = _tied_to(instance, stay)
    staff_short = spec.full_time_min - sum(1 for k in stay if k in cands and cands[k].full_time)
    full_units = _full_units(instance, teams, leaving, load)
    splits = newcomer_fits(spec.groups, [(k, cands[k].skills) for k in stay if k in cands])

    before = term_values(instance, {no: dict(m) for no, m in teams.items()})
    team_before = term_values(instance, {team: seats})
    objective_before = objective(instance, before)
    left = cands.get(leaving)
    required = {s for s, _n in spec.skill_min}
    leaving_skills = [s for s in (left.skills if left else ()) if s in required]

    excluded: dict[str, list[str]] = {code: [] for code, _zh, _en in REASONS}
    scored: list[tuple[int, str, dict[str, int]]] = []
    considered = 0
    for c in instance.candidates:
        if c.key == leaving:
            continue
        considered += 1
        code = _first_reason(instance, c, spec, role, load, outside, away, tied, needs,
                             sides_needed)
        if code is None and staff_short == 1 and not c.full_time:
            code = "full_time"
        if code is None and c.home_unit in full_units:
            code = "home_unit"
        if code is None and not splits(c.skills):
            code = "group"
        if code is not None:
            excluded[code].append(c.key)
            continue
        if blocked:
            continue
        after_team = term_values(instance, {team: stay | {c.key: role}})
        values = {n: before[n] - team_before[n] + after_team[n] for n in before}
        scored.append((objective(instance, values), c.key, values))
    scored.sort(key=lambda s: (-s[0], s[1]))

    options: list[Option] = []
    for value, key, values in scored:
        checked = len(options) < verify
        if checked:
            swapped = {no: (dict(stay | {key: role}) if no == team else dict(m))
                       for no, m in teams.items()}
            broken = violations(instance, _proposal(instance, swapped))
            if broken:
                excluded["other"].append(key)
                continue
        covers = tuple(s for s in leaving_skills if s in cands[key].skills)
        terms = tuple(TermChange(n, zh, en, getattr(instance.weights, n),
                                 1 if n in _REWARDS else -1, before[n], values[n])
                      for n, zh, en in TERMS if n in before)
        options.append(Option(len(options) + 1, key, role, objective_before, value, terms,
                              covers, "", "", checked))
    best = options[0].objective_after if options else 0
    options = [_with_why(o, best, cands[o.cadre], leaving_skills, instance.skill_names)
               for o in options]
    exclusions = tuple(Exclusion(code, len(keys), *_REASON_TEXT[code], tuple(keys[:5]))
                       for code, keys in excluded.items() if keys)
    return Ranking(team, leaving, role, tuple(options), considered, exclusions,
                   tuple(blocked), shown)


def _blocked(instance: Instance, teams: Mapping[int, Mapping[str, str]], team: int,
             shown: int, leaving: str, role: str, spec: TeamSpec, stay: Mapping[str, str],
             cands: Mapping[str, Candidate], load: Counter[str]) -> list[tuple[str, str]]:
    """Why no one at all can take the seat, whoever they are."""
    out: list[tuple[str, str]] = []
    where_zh, where_en = f"第{shown}组", f"team {shown}"
    for skill, need in spec.skill_min:
        have = sum(1 for k in stay if k in cands and skill in cands[k].skills)
        if have + 1 < need:
            name = skill_text(skill, instance.skill_names)
            out.append((f"{where_zh}须至少{need}名{name}，留任成员中仅{have}名，换入一人也不够",
                        f"{where_en} needs {need} skilled in {name}; {have} stay, one "
                        "newcomer cannot make up the rest"))
    if spec.min_per_side and spec.sides and role != "member":
        for side in spec.sides:
            n = sum(1 for k, r in stay.items() if r == "member" and k in cands
                    and cands[k].side == side)
            if n < spec.min_per_side:
                name = instance.side_name(side)
                out.append((f"{where_zh}来自{name}的组员仅{n}人，须至少{spec.min_per_side}人",
                            f"{where_en} has {n} member(s) from {name}, needs "
                            f"{spec.min_per_side}"))
    staff = sum(1 for k in stay if k in cands and cands[k].full_time)
    if staff + 1 < spec.full_time_min:
        out.append((f"{where_zh}须至少{spec.full_time_min}名专职巡察干部，留任成员中仅{staff}名，"
                    "换入一人也不够", f"{where_en} needs {spec.full_time_min} full-time staff; "
                    f"{staff} stay, one newcomer cannot make up the rest"))
    left = cands.get(leaving)
    if left is not None and load[leaving] - 1 < left.minimum:
        out.append((f"{leaving} 须至少参加{left.minimum}个组，不能离开",
                    f"{leaving} must serve on at least {left.minimum} team(s) and cannot "
                    "leave"))
    # rules the current teams break elsewhere hold whoever takes the seat
    where = f"第{team}组 / team {team}:"
    current = violations(instance, _proposal(instance, {no: dict(m) for no, m in
                                                         teams.items()}))
    out.extend(("现方案已违反硬性规则：" + v, "the proposal already breaks a hard rule: " + v)
               for v in current if not v.startswith(where) and leaving not in v)
    return out


def _needed_skills(spec: TeamSpec, stay: Mapping[str, str],
                   cands: Mapping[str, Candidate]) -> frozenset[str]:
    """Required skills the members who stay fall short of by exactly one."""
    return frozenset(skill for skill, need in spec.skill_min
                     if sum(1 for k in stay if k in cands and skill in cands[k].skills)
                     == need - 1)


def _needed_sides(spec: TeamSpec, stay: Mapping[str, str], cands: Mapping[str, Candidate],
                  role: str) -> frozenset[str]:
    """互派: the side a new member must come from (short by exactly one)."""
    if not (spec.min_per_side and spec.sides) or role != "member":
        return frozenset()
    return frozenset(side for side in spec.sides
                     if sum(1 for k, r in stay.items() if r == "member" and k in cands
                            and cands[k].side == side) == spec.min_per_side - 1)


def _full_units(instance: Instance, teams: Mapping[int, Mapping[str, str]], leaving: str,
                load: Counter[str]) -> frozenset[str]:
    """被抽调单位: the capped units that already release their cap to the round's teams
    once the leaving member has left (a member on two teams still counts)."""
    if not instance.unit_caps:
        return frozenset()
    on_teams = {k for members in teams.values() for k in members}
    if load[leaving] <= 1:
        on_teams.discard(leaving)
    drawn = drawn_by_unit(instance, on_teams)
    return frozenset(u for u, people in drawn.items() if len(people) >= instance.unit_caps[u])


def _tied_to(instance: Instance, stay: Mapping[str, str]) -> frozenset[str]:
    """Everyone who may not serve with a member who stays."""
    out: set[str] = set()
    for a, b in instance.conflicts:
        if a in stay:
            out.add(b)
        if b in stay:
            out.add(a)
    return frozenset(out)


def _first_reason(instance: Instance, c: Candidate, spec: TeamSpec, role: str,
                  load: Counter[str], outside: set[str],
                  away: Mapping[str, tuple[str, str]], tied: frozenset[str],
                  needs: frozenset[str], sides_needed: frozenset[str]) -> str | None:
    if load[c.key] or c.key in outside or c.capacity < 1:
        return "on_team"
    if c.key in away:
        return "unavailable"
    if role not in instance.open_roles(c, spec):
        return "recused" if role in instance.barred(c.key, spec) else "role"
    if c.key in tied:
        return "tie"
    if not needs <= set(c.skills):
        return "skill"
    if sides_needed and c.side not in sides_needed:
        return "side"
    return None


def _proposal(instance: Instance, teams: Mapping[int, Mapping[str, str]]) -> Proposal:
    cands = instance.by_key
    specs = {t.no: t for t in instance.teams}
    return Proposal(instance.round_key, "manual", None, None, None, None, (), tuple(
        Team(no, specs[no].targets if no in specs else (), tuple(
            Member(k, cands[k].name if k in cands else k, r,
                   cands[k].skills if k in cands else (), cands[k].side if k in cands
                   else None) for k, r in sorted(members.items())), ())
        for no, members in sorted(teams.items())), 0, instance.input_hash, 0.0, {}, 0.0,
        0.0, False)


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else f"−{-n}" if n < 0 else "0"


def _with_why(o: Option, best: int, c: Candidate, leaving_skills: Sequence[str],
              names: Mapping[str, str]) -> Option:
    """One sentence each in Chinese and English: the role it qualifies for, the required
    skills it keeps covered, the soft terms it changes and how far it is from the best."""
    zh: list[str] = []
    en: list[str] = []
    if o.role == "leader":
        zh.append("组长库干部")
        en.append("in the leader pool")
    elif o.role == "deputy":
        zh.append("组长库干部" if c.leader_pool else "具备副组长资格")
        en.append("in the leader pool" if c.leader_pool else "deputy-eligible")
    if o.covers:
        kept = "、".join(skill_text(s, names) for s in o.covers)
        zh.append(f"保持{kept} 覆盖")
        en.append(f"keeps {', '.join(skill_text(s, names) for s in o.covers)} covered")
    others = [s for s in leaving_skills if s not in o.covers]
    if others:
        zh.append("、".join(skill_text(s, names) for s in others) + " 由组内其他成员覆盖")
        en.append(", ".join(skill_text(s, names) for s in others) + " covered by others")
    moved = sorted((t for t in o.terms if t.contribution_change),
                   key=lambda t: (-abs(t.contribution_change), t.name))
    change = o.objective_change
    if moved:
        zh.append(f"目标值{_signed(change)}（" + "，".join(
            f"{t.zh}{_signed(t.contribution_change)}" for t in moved) + "）")
        en.append(f"objective {_signed(change)} (" + ", ".join(
            f"{t.en} {_signed(t.contribution_change)}" for t in moved) + ")")
    else:
        zh.append("各项软性指标不变")
        en.append("no soft term changes")
    gap = best - o.objective_after
    if o.rank == 1:
        zh.append("调整后目标值最高")
        en.append("the best objective after the change")
    elif gap:
        zh.append(f"比最佳低{gap}")
        en.append(f"{gap} below the best")
    else:
        zh.append("与最佳并列，按编号排序")
        en.append("tied with the best, ordered by key")
    return Option(o.rank, o.cadre, o.role, o.objective_before, o.objective_after, o.terms,
                  o.covers, "；".join(zh), "; ".join(en), o.verified)


def _diagnosis(r: Ranking, *, zh: bool) -> str:
    role_zh, role_en = ROLE_TEXT.get(r.role, (r.role, r.role))
    no = r.team if r.shown_as is None else r.shown_as
    if zh:
        head = f"没有人能接替第{no}组{role_zh}的席位"
        if r.blocked:
            return head + "：" + "；".join(b[0] for b in r.blocked)
        parts = [f"{e.zh}{e.count}人" for e in r.excluded]
        return head + f"：候选人{r.considered}人中，" + "；".join(parts or ["无候选人"])
    head = f"nobody can take the {role_en}'s seat on team {no}"
    if r.blocked:
        return head + ": " + "; ".join(b[1] for b in r.blocked)
    parts = [f"{e.count} {e.en}" for e in r.excluded]
    return head + f": of {r.considered} candidates, " + "; ".join(parts or ["none"])


# -- the seeded replacement draw ------------------------------------------------------------

@dataclass(frozen=True)
class ReplacementDraw:
    """The lot among the near-best options of one departure."""

    preimage: str  # the departure event as hashed (`event_preimage`)
    event_sha256: str
    floor: int  # options with an objective at least this took part
    tickets: tuple[tuple[str, str], ...]  # (cadre, ticket) of each option in the lot, rank order
    chosen: Option


def _token(value: str, what: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"{what} must be 1–128 characters without spaces: {value!r}")
    return value


def event_preimage(*, seed: str, proposal_id: int, team: int, leaving: str) -> str:
    """The departure event as text: `DRAW_DOMAIN`, then one line each for the round's
    sealed seed, the proposal, the team and the leaving member, each ending in a newline.
    The date is left out on purpose (the recorder chooses it within the round)."""
    return (f"{DRAW_DOMAIN}\nseed {_token(seed, 'seed')}\nproposal {int(proposal_id)}\n"
            f"team {int(team)}\nleaving {_token(leaving, 'leaving')}\n")


def ticket(preimage: str, cadre: str) -> str:
    """An option's lot ticket: sha256 of the event's text followed by `candidate <key>`
    and a newline (`printf '…candidate %s\\n' KEY | sha256sum`)."""
    text = f"{preimage}candidate {_token(cadre, 'cadre')}\n"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def near_best(options: Sequence[Option], tolerance: float) -> tuple[int, list[Option]]:
    """The floor and the options within `tolerance` of the best objective (the same rule
    as the draw of `assignment.assemble`: best − ⌊|best| × tolerance⌋)."""
    if not 0 <= tolerance < 1:
        raise ValueError(f"tolerance must lie in [0, 1): {tolerance}")
    if not options:
        return 0, []
    best = max(o.objective_after for o in options)
    floor = best - int(abs(best) * tolerance)
    return floor, [o for o in options if o.objective_after >= floor]


def draw_replacement(options: Sequence[Option], tolerance: float, *, seed: str,
                     proposal_id: int, team: int, leaving: str) -> ReplacementDraw | None:
    """One option by lot among those within `tolerance` of the best (None: no option).
    `options` must be the whole ranking of the seat, not a page of it, and every option
    within the tolerance must have been checked by the validator (rank with a `verify`
    that covers them); `team` is the team's number in the proposal."""
    floor, pool = near_best(options, tolerance)
    if not pool:
        return None
    unchecked = [o.cadre for o in pool if not o.verified]
    if unchecked:
        raise ValueError(f"options in the lot not checked by the validator: {unchecked[:5]}")
    text = event_preimage(seed=seed, proposal_id=proposal_id, team=team, leaving=leaving)
    tickets = [(o, ticket(text, o.cadre)) for o in pool]
    chosen = min(tickets, key=lambda t: t[1])[0]
    return ReplacementDraw(text, hashlib.sha256(text.encode("utf-8")).hexdigest(), floor,
                           tuple((o.cadre, t) for o, t in tickets), chosen)

