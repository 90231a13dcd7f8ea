"""The draw of a round under probability caps (issue 16): one team set sampled from the
capped distribution (`assignment.capped_teams`) with the draw's seed, as a `Proposal`
that carries the caps, the whole distribution and which set the seed chose, so that an
auditor can recompute both. The distribution does not depend on the seed: it is fixed by
the instance and the sealed settings (solver seed `DISTRIBUTION_SEED`), before any
secret of the ceremony exists; the seed only chooses among its team sets.

Pure: no database, no web framework."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from typing import Any

from assignment.assemble import teams_from_roles
from assignment.capped_teams import DRAW_DOMAIN, CappedTeams, draw_point, draw_team_set
from assignment.instance import Instance
from assignment.proposal import Proposal, Term
from assignment.validate import term_values

DISTRIBUTION_SEED = 0  # the column generation's solver seed: the distribution is the
# same for every draw of the same round and settings


def percent(value: Fraction | float) -> str:
    """20%, 12.5%: a cap as people read it."""
    text = f"{float(value) * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def cap_sentence(cap: Fraction | float, leader_cap: Fraction | float) -> tuple[str, str]:
    """What the caps promise, in the words the proposal, the report and the CLI use."""
    zh = f"任何一名干部进入某一巡察组的概率不超过 {percent(cap)}"
    en = f"no cadre is on any given team with probability above {percent(cap)}"
    if leader_cap != cap:
        zh += f"，担任某一巡察组组长的概率不超过 {percent(leader_cap)}"
        en += f", nor leads it with probability above {percent(leader_cap)}"
    return zh, en


def distribution_rows(dist: CappedTeams) -> list[dict[str, Any]]:
    """The distribution as stored: every team set in its fixed order with its weight
    (the LP's float, exactly as the draw adds them up) and objective; members are
    {key, role} objects, as everywhere else, so a seal finds and hides them."""
    return [{"weight": w, "objective": col.objective,
             "teams": [{"no": no, "members": [{"key": k, "role": r}
                                              for k, r in sorted(members)]}
                       for no, members in col.teams]}
            for col, w in zip(dist.columns, dist.weights, strict=True)]


def distribution_hash(rows: list[dict[str, Any]]) -> str:
    text = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def lot_input(seed: int, part: str | None = None) -> bytes:
    """What the draw point hashes after the domain and a zero byte: the seed's decimal
    digits, and for one part of a cross-inspection (a sending group's region code, or
    `exchange`) a zero byte and the part, so that each group's pick is its own."""
    raw = str(int(seed)).encode()
    return raw if part is None else raw + b"\x00" + part.encode()


def summary(dist: CappedTeams, drawn: int | None, raw: bytes | None,
            part: str | None = None) -> dict[str, Any]:
    """What a capped proposal records: the caps and their meaning, how good the
    distribution is (expected objective against the uncapped optimum, its gap), the
    largest marginals it reaches, and the drawn set with the number that chose it."""
    zh, en = cap_sentence(dist.settings.cap, dist.settings.leader_cap)
    rows = distribution_rows(dist)
    out: dict[str, Any] = {
        "cap": str(dist.settings.cap), "leader_cap": str(dist.settings.leader_cap),
        "meaning_zh": zh, "meaning_en": en, "status": dist.status,
        "expected": dist.expected, "uncapped": dist.uncapped, "share": dist.share,
        "bound": dist.bound, "gap": dist.gap,
        "max_marginal": dist.max_marginal, "max_leader_marginal": dist.max_leader_marginal,
        "team_sets": len(rows), "iterations": dist.iterations,
        "distribution_seed": DISTRIBUTION_SEED, "settings": dist.settings.sealed(),
        "distribution": rows, "distribution_sha256": distribution_hash(rows),
        "explanation": list(dist.explanation),
        "smallest": None if dist.smallest is None else [str(x) for x in dist.smallest],
        # the smallest member cap with the leader cap kept, and the smallest leader cap
        # with the member cap kept (None: no value will do, or not known)
        "smallest_alone": None if dist.smallest_alone is None else
        [None if x is None else str(x) for x in dist.smallest_alone],
    }
    if part is not None:
        out["part"] = part
    if drawn is not None and raw is not None:
        point = draw_point(raw)
        out |= {"drawn": drawn + 1, "probability": dist.weights[drawn],
                "draw_point": f"{float(point):.12f}",
                "draw_digest": hashlib.sha256(DRAW_DOMAIN + b"\x00" + raw).hexdigest()}
    return out


def capped_proposal(instance: Instance, dist: CappedTeams, seed: int,
                    parameters: dict[str, Any], part: str | None = None) -> Proposal:
    """The proposal the seed draws from `dist`, or (the caps cannot be met, or the round
    cannot be staffed) an empty one saying why. Team numbers in the summary's
    `drawn` count from 1."""
    if not dist.columns or dist.expected is None:
        status = "infeasible" if dist.status in ("infeasible", "unstaffable") else "unknown"
        return Proposal(instance.round_key, status, None, None, None, None, (), (), seed,
                        instance.input_hash, 0.0, parameters, dist.seconds,
                        dist.deterministic_time, dist.wall_limit_hit, 0, False,
                        summary(dist, None, None, part))
    raw = lot_input(seed, part)
    k = draw_team_set(dist, raw)
    chosen = dist.columns[k]
    roles = chosen.as_dict()
    values = term_values(instance, roles)
    terms = tuple(Term(name, zh, values[name], weight, sign)
                  for name, zh, weight, sign in dist.terms)
    objective = sum(t.contribution for t in terms)
    if objective != chosen.objective:  # the column's own score, recomputed plainly
        raise AssertionError(f"team set {k + 1}: objective {objective} != {chosen.objective}")
    return Proposal(instance.round_key, dist.status, objective, dist.uncapped, dist.bound,
                    dist.gap, terms, teams_from_roles(instance, roles), seed,
                    instance.input_hash, 0.0, parameters, dist.seconds,
                    dist.deterministic_time, dist.wall_limit_hit,
                    len(instance.candidates), False, summary(dist, k, raw, part))
