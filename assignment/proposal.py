"""What a team assembly returns: status, objective, bound and gap, every soft term on its
own, the teams with roles and why each requirement is met, and how it was solved."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Member:
    key: str
    name: str
    role: str  # leader / deputy / member
    skills: tuple[str, ...]
    side: str | None = None  # the group that sent them (cross-inspection), if any


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement of one team and how the proposal meets it, in both languages."""

    code: str  # size / leader / deputies / skill:<code> / sides
    zh: str
    en: str
    met: bool


@dataclass(frozen=True, slots=True)
class Group:
    """One checking group (检查小组) of a team and the members put in it."""

    code: str
    name: str
    members: tuple[str, ...]  # cadre keys, in the team's order


@dataclass(frozen=True, slots=True)
class Team:
    no: int
    targets: tuple[str, ...]
    members: tuple[Member, ...]
    requirements: tuple[Requirement, ...]
    groups: tuple[Group, ...] = ()  # the split into checking groups, if the round has them

    @property
    def leader(self) -> Member:
        return next(m for m in self.members if m.role == "leader")


@dataclass(frozen=True, slots=True)
class Term:
    """One soft term: its value in its own unit, its weight, and the objective share."""

    name: str
    zh: str
    value: int
    weight: int
    sign: int  # +1 reward, -1 penalty

    @property
    def contribution(self) -> int:
        return self.sign * self.weight * self.value


@dataclass(frozen=True)
class Proposal:
    round_key: str
    status: str  # optimal / feasible / infeasible / unknown
    objective: int | None  # the weighted soft terms of the returned teams
    best_objective: int | None  # the best objective found before the draw
    bound: float | None
    gap: float | None  # (bound − best) / |bound|, against the draw's phase-one bound
    terms: tuple[Term, ...]
    teams: tuple[Team, ...]
    seed: int
    input_hash: str
    tolerance: float  # the draw picks among proposals within this share of the best
    parameters: dict[str, Any]
    runtime_s: float
    deterministic_time: float
    wall_limit_hit: bool  # the wall-clock safety net stopped a solve: not reproducible
    candidates_considered: int = 0  # candidates with a variable in some team
    shortlisted: bool = False  # teams considered shortlists; bound is the unreduced one
    # a draw under probability caps (issue 16): the caps, the distribution it was drawn
    # from and which team set the seed chose (`assignment.capped_draw.summary`)
    capped: dict[str, Any] | None = None

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "feasible")

    def assignment(self) -> dict[str, tuple[int, str]]:
        """cadre → (team number, role)."""
        return {m.key: (t.no, m.role) for t in self.teams for m in t.members}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["terms"] = [asdict(t) | {"contribution": t.contribution} for t in self.terms]
        for team in out["teams"]:  # no checking groups: the JSON of before groups existed
            if not team["groups"]:
                del team["groups"]
        if out["capped"] is None:  # the JSON of proposals drawn before caps existed
            del out["capped"]
        return out

    def canonical_json(self) -> str:
        """Everything but the measured times, in a fixed order: byte-identical for the
        same instance and seed on any machine (what replay compares). The solver's
        deterministic time is left out too: its last digits vary with float summation."""
        data = self.to_dict()
        data.pop("runtime_s")
        data.pop("deterministic_time")
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
