"""Proposals, approvals and participations checked against the events that wrote them
(the second half of verification, with `service.audit_records`): a proposal is what its
create, change, approve and supersede events made it, approved by someone allowed to,
and a planned round's participation history is exactly its approved teams."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import models as m
from service.audit import Verification, sha256_text
from service.auth import PERMISSIONS, Action, same_person
from service.record_events import Event, Where, deleted_records, role_of

Decision = tuple[m.ProposalRecord, Event]  # an approved proposal and its approval


def check_decisions(session: Session, out: Verification, events: dict[str, list[Event]],
                    roles: dict[str, str], planned: set[str]) -> None:
    """Proposals (`events`: theirs, by id) and the participations of the rounds the
    service planned (`planned`); `roles`: each token's role as issued."""
    decided, unchecked = _check_proposals(session, out, events, roles)
    _check_participations(session, out, decided, planned - unchecked)


@dataclass
class _Proposal:
    """A proposal as its events tell it, in order."""

    created: Event | None = None
    status: str | None = None
    revision: int = 0
    teams_sha256: str | None = None  # as last recorded (None: not recorded)
    teams_event: Event | None = None
    approved: Event | None = None
    changes: dict[int, Event] = field(default_factory=dict)


def _fold(out: Verification, where: Where, events: list[Event]) -> _Proposal:
    f = _Proposal()
    for e in events:
        if e.kind == "proposal.create":
            f.created, f.status = e, e.data.get("status")
            f.teams_sha256, f.teams_event = e.data.get("teams_sha256"), e
        elif e.kind in ("proposal.change", "proposal.departure"):
            revision = e.data.get("revision")
            if isinstance(revision, int):
                f.revision, f.changes[revision] = revision, e
            f.teams_sha256, f.teams_event = e.data.get("teams_sha256"), e
        elif e.kind == "proposal.approve":
            recorded = e.data.get("teams_sha256")
            if f.teams_sha256 and recorded and recorded != f.teams_sha256:
                assert f.teams_event is not None
                where.say(out, e.seq, f"批准时（第{e.seq}号事件）的组队与此前第"
                          f"{f.teams_event.seq}号事件记录的不同：组队在两者之间被直接改动后获批",
                          f"the teams approved (event {e.seq}) differ from those event "
                          f"{f.teams_event.seq} recorded: they were changed in the database "
                          "before approval")
            f.status, f.approved = "approved", e
            f.teams_sha256, f.teams_event = recorded, e
        elif e.kind == "proposal.supersede":
            f.status = "superseded"
    return f


def _check_proposals(session: Session, out: Verification, events: dict[str, list[Event]],
                     roles: dict[str, str]) -> tuple[dict[str, Decision], set[str]]:
    """Each proposal is what its events made it: created, changed, approved by a permitted
    person, superseded. Returns, by round, the approved proposal and its approval (the
    participations must be its teams), and the rounds whose approved teams were altered
    (their participations cannot be checked against them)."""
    changes: dict[int, list[m.ProposalChange]] = defaultdict(list)
    for c in session.execute(select(m.ProposalChange)).scalars():
        changes[c.proposal_id].append(c)
    decided: dict[str, Decision] = {}
    unchecked: set[str] = set()
    rows = session.execute(select(m.ProposalRecord).order_by(m.ProposalRecord.id)
                           ).scalars().all()
    for row in rows:
        where = Where("proposal", str(row.id), f"方案 {row.id}", f"proposal {row.id}")
        f = _fold(out, where, events.get(str(row.id), []))
        if f.created is None:
            where.say(out, 0, "没有生成事件 proposal.create：是直接写入数据库的",
                      "has no proposal.create event: written into the database")
            continue
        made = f.created
        for name, zh, stored in (("round", "轮次", row.round_key), ("kind", "类别", row.kind),
                                 ("draw", "抽取", row.draw_id),
                                 ("input_hash", "输入哈希", row.input_hash),
                                 ("bundle_sha256", "输入包哈希", row.bundle_sha256),
                                 ("recusals_sha256", "回避说明哈希", row.recusals_sha256)):
            if name in made.data and made.data[name] != stored:
                where.differs(out, made, zh, name, stored, made.data[name])
        if sha256_text(row.recusals) != row.recusals_sha256:
            where.say(out, made.seq, "回避说明原文与其哈希不符：说明被改动",
                      "its recusal explanations no longer hash to recusals_sha256: altered")
        teams_ok = _check_state(out, where, row, f, roles)
        _check_changes(out, where, changes.get(row.id, []), f)
        if f.approved is not None and row.status == "approved":
            if teams_ok:
                decided[row.round_key] = (row, f.approved)
            else:
                unchecked.add(row.round_key)
    deleted_records(out, events, {str(r.id) for r in rows}, "proposal.create", "proposal",
                    ("方案", "proposal"), ("生成", "created"))
    out.checked["proposals"] = len(rows)
    return decided, unchecked


def _check_state(out: Verification, where: Where, row: m.ProposalRecord, f: _Proposal,
                 roles: dict[str, str]) -> bool:
    """Status, revision, teams and approval against the folded events; whether the
    stored teams are the ones last recorded."""
    anchor = f.teams_event or f.created
    assert anchor is not None
    if row.status == "approved" and f.approved is None:
        where.say(out, 0, "库中为“已批准”，却没有批准事件 proposal.approve：不是经审批人批准的，"
                  "而是在数据库中直接改的；该决定无效，请恢复原状态",
                  "is approved in the database but has no proposal.approve event: no "
                  "approver approved it, it was changed in the database; the decision is "
                  "void: restore its status")
    elif f.status is not None and row.status != f.status:
        where.differs(out, anchor, "状态", "status", row.status, f.status)
    if row.revision != f.revision:
        where.differs(out, anchor, "调整次数", "revision", row.revision, f.revision)
    teams_ok = True
    if f.teams_sha256 is not None and sha256_text(row.teams) != f.teams_sha256:
        teams_ok = False
        where.say(out, anchor.seq, f"组队与第{anchor.seq}号事件（{anchor.kind}）记录的不同"
                  f"（teams_sha256）：组队在本服务之外被改动；请以该事件为准核对并从备份恢复",
                  f"its teams differ from those event {anchor.seq} ({anchor.kind}) recorded "
                  "(teams_sha256): changed outside the service; check them against that "
                  "event and restore them from a backup")
    elif f.teams_sha256 is None:
        out.checked["teams_unverifiable"] = out.checked.get("teams_unverifiable", 0) + 1
    if f.approved is not None:
        approval = f.approved
        if row.approved_by != approval.actor:
            where.differs(out, approval, "批准人", "approver", row.approved_by, approval.actor)
        role = role_of(approval.actor, roles)
        if role not in {r.value for r in PERMISSIONS[Action.approve]}:
            where.say(out, approval.seq, f"批准人 {approval.actor}（角色 {role or '未知'}）"
                      "无权批准方案", f"approved by {approval.actor} (role "
                      f"{role or 'unknown'}), who may not approve proposals")
        if any(same_person(approval.actor, c.actor) for c in f.changes.values()
               if c.seq < approval.seq):  # departures after approval are amendments
            where.say(out, approval.seq, "批准人曾人工调整本方案", "approved by someone who "
                      "changed it by hand")
    return teams_ok


def _check_changes(out: Verification, where: Where, rows: list[m.ProposalChange],
                   f: _Proposal) -> None:
    """The manual changes on record are those the events recorded, by the same person
    (approval checks them: a deleted change would let its author approve)."""
    stored = {c.revision: c for c in rows}
    for revision, event in sorted(f.changes.items()):
        row = stored.get(revision)
        if row is None:
            where.say(out, event.seq, f"第{revision}次人工调整（第{event.seq}号事件）的记录被删除",
                      f"the record of manual change {revision} (event {event.seq}) was "
                      "deleted")
        elif row.actor != event.actor or row.reason != event.data.get("reason"):
            where.say(out, event.seq, f"第{revision}次人工调整的调整人或理由与第{event.seq}号"
                      "事件记录的不同", f"manual change {revision}: its author or reason "
                      f"differs from event {event.seq}")
    for revision in sorted(stored.keys() - f.changes.keys()):
        where.say(out, 0, f"第{revision}次人工调整没有事件 proposal.change：是直接写入数据库的",
                  f"manual change {revision} has no proposal.change event: written into "
                  "the database")


Seat = tuple[int, str, str, str | None]  # team, role, target, second target


def _seats(teams_text: str) -> dict[str, Seat]:
    teams = json.loads(teams_text)["teams"]
    return {x["key"]: (t["no"], x["role"], t["targets"][0],
                       t["targets"][1] if len(t["targets"]) > 1 else None)
            for t in teams for x in t["members"]}


def _check_participations(session: Session, out: Verification,
                          decided: dict[str, Decision], service_rounds: set[str]) -> None:
    """In a round the service runs, the participation history is exactly the approved
    teams: none missing, none added, none changed (and none before approval). Rounds
    that came in by import are history the service did not decide (see docs)."""
    stored: dict[str, dict[str, Seat]] = defaultdict(dict)
    rows = session.execute(select(m.Participation).where(
        m.Participation.round_key.in_(sorted(service_rounds | decided.keys())))
    ).scalars().all()
    for p in rows:
        stored[p.round_key][p.person_key] = (p.team_no, p.role, p.target_unit_key,
                                             p.second_target_unit_key)
    for round_key in sorted(service_rounds | decided.keys()):
        have = stored.get(round_key, {})
        proposal, approval = decided.get(round_key, (None, None))
        want = _seats(proposal.teams) if proposal is not None else {}
        seq = approval.seq if approval is not None else 0
        for person in sorted(have.keys() | want.keys()):
            where = Where("participation", f"{round_key}/{person}",
                           f"参与记录 {round_key}/{person}", f"participation {round_key}/{person}")
            if person not in want:
                where.say(out, seq, "批准的方案中没有此人：这条记录是直接写入数据库的"
                          "（或轮次未经批准）；请删除并查明来源",
                          "the approved teams do not hold this cadre (or the round has no "
                          "approval): the row was written into the database; delete it and "
                          "find out who wrote it")
            elif person not in have:
                where.say(out, seq, f"方案 {proposal.id if proposal else ''} 批准时写入的参与记录"
                          f"（第{want[person][0]}组，{want[person][1]}）缺失：被直接删除；请按批准的方案恢复",
                          f"the row approval of proposal {proposal.id if proposal else ''} "
                          f"wrote (team {want[person][0]}, {want[person][1]}) is missing: "
                          "deleted from the database; restore it from the approved proposal")
            elif have[person] != want[person]:
                where.say(out, seq, f"为 {have[person]}，批准的方案为 {want[person]}：被直接改动",
                          f"is {have[person]} but the approved teams say {want[person]}: "
                          "changed in the database")
    out.checked["participations"] = len(rows)
