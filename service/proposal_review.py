"""A proposal as the review page shows it: the API's reading (`service.api.proposals.
proposal_read`, sealed as the API seals it) plus what a person reviewing it needs beside:
units, skills and home units by their Chinese names with codes, each requirement checked
against the teams as they are now (after manual changes, with the counts), the soft terms
with their names and weights, the manual changes, and why it cannot be approved.

Everything returned passes through the proposal's seal (`service.sealing.seal_for`) for
the reader; a reader who may not see names gets no member's key, name or home unit."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assignment.assemble import requirements
from assignment.capped_draw import percent
from assignment.proposal import Member
from pool import models as m
from service.api.proposals import proposal_read
from service.auth import Action, Principal
from service.changes import approval_blockers, stored_parts
from service.report import ROLE_ZH, Report, beijing_text, report_content
from service.report_data import holder_name
from service.sealing import MASK, names_visible, seal_for

STATUS_ZH = {"draft": "草案", "approved": "已批准", "infeasible": "无法组建",
             "superseded": "已被取代"}
DRAW_STATUS_ZH = {"awaiting_consent": "待同意", "committing": "提交承诺中",
                  "revealing": "揭示中", "seeded": "种子已定", "drawn": "已抽取",
                  "failed": "失败", "expired": "已过期", "cancelled": "已取消"}
OP_ZH = {"swap": "对调", "add": "增加", "remove": "移出", "replacement": "离组抽签替换"}
CAPPED_STATUS = {"optimal": ("最优", "optimal"),
                 "feasible": ("可行，未证明最优", "feasible, not proven optimal"),
                 "infeasible": ("概率上限无法满足", "the caps cannot be met"),
                 "unknown": ("未能求得分布", "no distribution found"),
                 "unstaffable": ("本轮无法组建", "the round cannot be staffed")}
ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2}


def _unit_names(session: Session, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    units = {k: f"{name}（{k}）" for k, name in session.execute(
        select(m.Unit.key, m.Unit.name).where(m.Unit.key.in_(sorted(keys))))}
    regions = {k: f"{name}（{k}）" for k, name in session.execute(
        select(m.Region.code, m.Region.name).where(m.Region.code.in_(sorted(keys))))}
    return regions | units  # a cross-inspection's sides are regions


def _home_units(session: Session, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    rows = session.execute(select(m.Cadre.person_key, m.Unit.key, m.Unit.name)
                           .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key)
                           .where(m.Cadre.person_key.in_(sorted(set(keys)))))
    return {person: f"{name}（{unit}）" for person, unit, name in rows}


def _skill_names(session: Session) -> dict[str, str]:
    return {code: f"{name} {code}" for code, name in session.execute(
        select(m.Skill.code, m.Skill.name_zh))}


def current_requirements(row: m.ProposalRecord) -> dict[int, list[dict[str, Any]]]:
    """Each team's requirements checked against its members now (the optimizer's own
    wording, `assignment.assemble.requirements`), by team number."""
    teams = {t["no"]: t for t in json.loads(row.teams)["teams"]}
    out: dict[int, list[dict[str, Any]]] = {}
    for part, inst in stored_parts(row.instance):
        skills = {c.key: c.skills for c in inst.candidates}
        for local, spec in enumerate(inst.teams, start=1):
            no = local + part["offset"]
            team = teams.get(no)
            if team is None:
                continue
            members = tuple(Member(x["key"], x["name"], x["role"],
                                   tuple(skills.get(x["key"], tuple(x.get("skills", ())))),
                                   x.get("side")) for x in team["members"])
            out[no] = [{"code": r.code, "zh": r.zh, "en": r.en, "met": r.met}
                       for r in requirements(spec, members, inst.skill_names,
                                             inst.side_names, full_time={
                                                 c.key for c in inst.candidates
                                                 if c.full_time})]
    return out


def _term_labels(result: Any, out: dict[str, dict[str, Any]]) -> None:
    """The soft terms' Chinese names, weights and signs, wherever a solve reported them."""
    if isinstance(result, dict):
        terms = result.get("terms")
        if isinstance(terms, list):
            for t in terms:
                if isinstance(t, dict) and isinstance(t.get("name"), str):
                    out.setdefault(t["name"], t)
        for v in result.values():
            _term_labels(v, out)
    elif isinstance(result, list):
        for v in result:
            _term_labels(v, out)


def _terms(row: m.ProposalRecord) -> list[dict[str, Any]]:
    labels: dict[str, dict[str, Any]] = {}
    _term_labels(json.loads(row.result), labels)
    values = json.loads(row.teams)["terms"]
    out = []
    for name, value in values.items():
        label = labels.get(name, {})
        weight, sign = label.get("weight"), label.get("sign")
        out.append({"name": name, "zh": label.get("zh") or name, "value": value,
                    "weight": weight, "sign": sign,
                    "contribution": None if weight is None or sign is None
                    else sign * weight * value})
    return out


def _changes(session: Session, row: m.ProposalRecord) -> list[dict[str, Any]]:
    rows = session.execute(select(m.ProposalChange).where(
        m.ProposalChange.proposal_id == row.id).order_by(m.ProposalChange.revision))
    out = []
    for c in rows.scalars():
        change = json.loads(c.change)
        out.append({"revision": c.revision, "op": change.get("op"),
                    "op_zh": OP_ZH.get(change.get("op", ""), change.get("op")),
                    "team": change.get("team"), "cadre": change.get("cadre"),
                    "replacement": change.get("replacement"), "role": change.get("role"),
                    "reason": c.reason, "actor": holder_name(c.actor),
                    "at": beijing_text(c.at)})
    return out


def _groups(stored: dict[str, Any], shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A team's checking groups with their members as the page shows them (sealed alike)."""
    at = {x["key"]: i for i, x in enumerate(stored["members"])}
    return [{"code": g["code"], "name": g["name"],
             "members": [shown[at[k]] for k in g["members"] if k in at]}
            for g in stored.get("groups") or []]


def _pct(value: float | None) -> str | None:
    return None if value is None else percent(value)


def _set_members(session: Session, distribution: list[dict[str, Any]],
                 show: bool) -> dict[str, str]:
    """The names of every cadre in the distribution's team sets, only where names may be
    seen (the API gives the others no member at all)."""
    if not show:
        return {}
    keys = sorted({x["key"] for row in distribution for t in row["teams"]
                   for x in t["members"] if isinstance(x, dict)})
    return {k: n for k, n in session.execute(
        select(m.Person.key, m.Person.name).where(m.Person.key.in_(keys)))} if keys else {}


def capped_review(session: Session, capped: dict[str, Any] | None,
                  show: bool, offset: int = 0) -> dict[str, Any] | None:
    """A draw under probability caps as the page shows it: the caps and their meaning,
    the expected objective against the uncapped optimum, the largest probabilities
    reached, the drawn set with the number that chose it, and the whole distribution
    (set by set, with its cumulative weight as the draw adds it up) with its members'
    names where they may be seen, else their count. `offset`: what a cross-inspection
    part's own team numbers add up to the proposal's."""
    if not capped:
        return None
    names = _set_members(session, capped["distribution"], show)
    sets, total = [], Fraction(0)
    for k, row in enumerate(capped["distribution"], start=1):
        total += Fraction(row["weight"])  # exactly as the draw sums the stored floats
        teams = []
        for t in row["teams"]:
            members = [x for x in t["members"] if isinstance(x, dict)]
            members.sort(key=lambda x: (ROLE_ORDER.get(x["role"], 3), x["key"]))
            teams.append({"no": t["no"] + offset, "size": len(t["members"]), "members": [
                {"key": x["key"], "name": names.get(x["key"], x["key"]), "role": x["role"],
                 "role_zh": ROLE_ZH.get(x["role"], x["role"])} for x in members]})
        sets.append({"no": k, "probability": percent(row["weight"]),
                     "cumulative": f"{float(total):.6f}", "objective": row["objective"],
                     "teams": teams, "drawn": k == capped.get("drawn")})
    zh, en = CAPPED_STATUS.get(capped["status"], (capped["status"], capped["status"]))
    expected = capped.get("expected")
    smallest = capped.get("smallest")
    return {
        "cap": percent(Fraction(capped["cap"])),
        "leader_cap": percent(Fraction(capped["leader_cap"])),
        "meaning_zh": capped["meaning_zh"], "meaning_en": capped["meaning_en"],
        "status": capped["status"], "status_zh": zh, "status_en": en,
        "expected": None if expected is None else f"{expected:.1f}",
        "uncapped": capped.get("uncapped"), "share": _pct(capped.get("share")),
        "bound": None if capped.get("bound") is None else f"{capped['bound']:.1f}",
        "gap": _pct(capped.get("gap")),
        "max_marginal": _pct(capped.get("max_marginal")),
        "max_leader_marginal": _pct(capped.get("max_leader_marginal")),
        "team_sets": capped["team_sets"], "iterations": capped.get("iterations"),
        "drawn": capped.get("drawn"), "probability": _pct(capped.get("probability")),
        "draw_point": capped.get("draw_point"), "draw_digest": capped.get("draw_digest"),
        "distribution_sha256": capped.get("distribution_sha256"),
        "explanation": [{"zh": z, "en": e or z} for z, _, e in
                        (text.partition(" / ") for text in capped.get("explanation") or [])],
        "smallest": None if not smallest else [percent(Fraction(x)) for x in smallest],
        "sets": sets}


def pairing_caps(session: Session, row: m.ProposalRecord, read: dict[str, Any],
                 show: bool) -> dict[str, Any] | None:
    """A cross-inspection drawn under caps: the caps said once, then each sending group's
    (or the exchange's) capped draw as `capped_review` gives it, by the group's name,
    its team numbers those of the proposal. From the API's reading (members hidden)."""
    pairing = read.get("pairing") or {}
    capped: dict[str, dict[str, Any]] = pairing.get("capped") or {}
    if not capped:
        return None
    names = {g["key"]: g["name"] for g in pairing.get("groups") or []}
    offsets = {part.get("side") or "exchange": part["offset"]
               for part, _inst in stored_parts(row.instance)}
    groups = []
    for code, c in capped.items():
        review = capped_review(session, c, show, offsets.get(code, 0))
        assert review is not None
        name = ("互派混编组", "exchange teams") if code == "exchange" \
            else (names.get(code, code), None)
        groups.append(review | {"code": code, "name": name[0], "name_en": name[1]})
    first = groups[0]
    return {"cap": first["cap"], "leader_cap": first["leader_cap"],
            "meaning_zh": first["meaning_zh"], "meaning_en": first["meaning_en"],
            "exchange": "exchange" in capped, "groups": groups,
            "digests": sorted({g["draw_digest"] for g in groups if g["draw_digest"]})}


def _tolerance(read: dict[str, Any]) -> dict[str, float | None]:
    """The tolerance the draw used (the optimizer's own record, else the sealed setting)
    and, for a cross-inspection, the pairing's."""
    result, params = read["result"] or {}, read["parameters"]
    pairing = read.get("pairing") or {}
    used = result.get("tolerance")
    return {"teams": used if used is not None else params.get("tolerance"),
            "pairing": params.get("pairing_tolerance", pairing.get("tolerance"))}


def proposal_review(session: Session, row: m.ProposalRecord,
                    principal: Principal) -> dict[str, Any]:
    """The review page's content for `principal`, sealed."""
    show = names_visible(row, principal)
    read = proposal_read(session, row, principal).model_dump(mode="json")
    stored = json.loads(row.teams)["teams"]
    unit_keys = {u for t in stored for u in t["targets"]} | {
        x["side"] for t in stored for x in t["members"] if x.get("side")}
    units = _unit_names(session, unit_keys)
    skills = _skill_names(session)
    homes = _home_units(session, [x["key"] for t in stored for x in t["members"]]) \
        if show else {}
    checks = current_requirements(row)
    teams = []
    for t, shown in zip(stored, read["teams"], strict=True):
        members = []
        for x, y in zip(t["members"], shown["members"], strict=True):
            placed = y.get("placed_by_hand")
            members.append({
                "key": y["key"], "name": y["name"], "role": x["role"],
                "role_zh": ROLE_ZH.get(x["role"], x["role"]),
                "skills": [skills.get(s, s) for s in x.get("skills", [])],
                "home_unit": homes.get(x["key"]) if show else None,
                "side": units.get(x["side"], x["side"]) if x.get("side") else None,
                "placed": None if not placed else placed | {
                    "actor": holder_name(placed["actor"]),
                    "at": beijing_text(dt.datetime.fromisoformat(placed["at"]))}})
        reqs = checks.get(t["no"], [])
        teams.append({"no": t["no"], "targets": [units.get(u, u) for u in t["targets"]],
                      "members": members, "requirements": reqs,
                      "met": all(r["met"] for r in reqs), "groups": _groups(t, members)})
    rnd = session.get(m.Round, row.round_key)
    assert rnd is not None
    approver_blockers = None
    if principal.may(Action.approve):
        approver_blockers = [{"code": c, "zh": z, "en": e}
                             for c, z, e in approval_blockers(session, row, principal.actor)]
    result = read["result"] or {}
    content = {
        "p": read, "show": show, "teams": teams, "terms": _terms(row),
        "capped": capped_review(session, result.get("capped"), show),
        "pairing_caps": pairing_caps(session, row, read, show),
        "tolerances": _tolerance(read),
        "changes": _changes(session, row),
        "round": {"key": rnd.key, "name": rnd.name, "start": rnd.start.isoformat(),
                  "end": rnd.end.isoformat()},
        "status_zh": STATUS_ZH.get(row.status, row.status),
        "draw_status_zh": DRAW_STATUS_ZH,
        "created_by": holder_name(row.created_by), "created_at": beijing_text(row.created_at),
        "approved_by": holder_name(row.approved_by),
        "approved_at": beijing_text(row.approved_at) if row.approved_at else None,
        "approver_blockers": approver_blockers,
        "may_change": principal.may(Action.rounds_write) and row.status == "draft",
        "may_approve": principal.may(Action.approve),
    }
    seal = seal_for(session, principal, [row])
    if not seal:
        return content
    sealed: dict[str, Any] = seal(content)
    for c in sealed["changes"]:  # as GET /v1/proposals/{id}/changes: a masked reason
        c["reason"] = c["reason"] or MASK
    return sealed


def print_report(session: Session, row: m.ProposalRecord, principal: Principal) -> Report:
    """The round report's content for the print views, exactly as `report_file` builds
    it for the .xlsx and .pdf (the API's draws, the reader's seal)."""
    from service.api.draws import round_draw_reads

    draws = [d.model_dump(mode="json") for d in round_draw_reads(session, row.round_key)]
    return report_content(session, row, show_names=names_visible(row, principal),
                          draws=draws, seal=seal_for(session, principal, [row]))
