"""Collecting the evidence: `explain(index, policy, cadre, target)` and `explain_pair`.

Which rules apply is decided by the same vectorized code as the screening
(`rules.evaluate` on a 1 × 1 batch); the functions here only collect the records behind
each hit and build the `conflicts.explanation` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from conflicts.explanation import (
    KIN_TEXT,
    Edge,
    Evidence,
    Explanation,
    PairExplanation,
    Reason,
)
from conflicts.index import ConflictIndex, years_before
from conflicts.kinship import ALL_KIN, BIT, mask_of
from conflicts.policy import Kin, Policy, Relation, Rule
from conflicts.rules import Batch, evaluate, region_sources, team_pairs
from conflicts.screening import prepare
from pool.formats import RECUSAL_CATEGORIES, SCHOOLING_CATEGORIES

_SCHOOLING = {c.code: (c.zh, c.en) for c in SCHOOLING_CATEGORIES}
_RECUSAL = {c.code: (c.zh, c.en) for c in RECUSAL_CATEGORIES}


def explain(index: ConflictIndex, policy: Policy, cadre_key: str, target_key: str,
            applies: Collection[str] | None = None) -> Explanation:
    """Every reason `cadre_key` is recused from `target_key`, each with its evidence;
    when there is none, the rules that were checked.

    `applies`: the ids of the rules that apply to this pair, when a screening of the same
    index and policy has already decided it (a service answering many checks screens the
    pool once); the rules are then not evaluated again, only their evidence collected."""
    batch = prepare(index, [cadre_key], [target_key])
    ev = _Collector(index, batch)
    reasons = []
    checked = []
    for rule in policy.rules:
        if rule.relation in (Relation.within_team, Relation.eligibility):
            continue
        checked.append(rule.id)
        if (rule.id not in applies) if applies is not None else not evaluate(batch, rule).nnz:
            continue
        evidence = tuple(COLLECT[rule.relation](ev, rule))
        reasons.append(Reason(rule.id, rule.title_zh, rule.title_en, rule.hard,
                              tuple(r.value for r in rule.roles), rule.basis.zh, rule.basis.en,
                              evidence))
    cadre_pos = int(batch.people[0])
    return Explanation(cadre_key, index.person_label(cadre_pos), target_key,
                       index.unit_label(int(batch.targets[0])), index.as_of, policy.name,
                       policy.version, policy.hash, tuple(reasons), tuple(checked))


def explain_pair(index: ConflictIndex, policy: Policy, cadre_a: str,
                 cadre_b: str) -> PairExplanation:
    """Every within-team rule that keeps `cadre_a` and `cadre_b` apart, with evidence."""
    batch = prepare(index, [cadre_a, cadre_b], [])
    ev = _Collector(index, prepare(index, [cadre_a], []))
    other = int(batch.people[1])
    reasons = []
    for rule in policy.rules:
        if rule.relation is not Relation.within_team:
            continue
        found = {reason for a, b, reason in team_pairs(batch, rule) if (a, b) == (0, 1)}
        evidence: list[Evidence] = []
        if "kin" in found:
            mask = ev.batch.relatives.getrow(0).toarray().ravel()[other]
            evidence.extend(ev.kin_path(other, int(mask) & mask_of(rule.kinship)))
        if "same_home_unit" in found:
            home = ev.cadre_home_edge()
            evidence.append(Evidence((home, Edge(
                "home_unit_of", "同单位干部", "home unit of", home.target_key, home.target_name,
                cadre_b, index.person_label(other), record=f"cadre:{cadre_b}"))))
        if found:
            reasons.append(Reason(rule.id, rule.title_zh, rule.title_en, rule.hard,
                                  tuple(r.value for r in rule.roles), rule.basis.zh,
                                  rule.basis.en, tuple(evidence)))
    return PairExplanation(cadre_a, index.person_label(ev.cadre), cadre_b,
                           index.person_label(other), index.as_of, policy.name, policy.hash,
                           tuple(reasons))


class _Collector:
    """Builds edges for one (cadre, target) pair."""

    def __init__(self, index: ConflictIndex, batch: Batch) -> None:
        self.ix = index
        self.batch = batch
        self.cadre = int(batch.people[0])
        self.target = int(batch.targets[0]) if len(batch.targets) else -1
        self.home = int(batch.home_units[0])

    # -- nodes and records --------------------------------------------------------------

    def pkey(self, pos: int) -> str:
        return str(self.ix.persons.keys[pos])

    def ukey(self, pos: int) -> str:
        return str(self.ix.units.keys[pos])

    def person_edge(self, relation: str, zh: str, en: str, a: int, b: int,
                    **kw: Any) -> Edge:
        return Edge(relation, zh, en, self.pkey(a), self.ix.person_label(a), self.pkey(b),
                    self.ix.person_label(b), **kw)

    def tie_fields(self, row: int) -> dict[str, Any]:
        tie = self.ix.ties.records[row]
        return {"start": tie.start, "end": tie.end, "record": f"tie:{tie.key}",
                "source_type": tie.source_type, "source_ref": tie.source_ref,
                "recorded_by": tie.recorded_by, "note": tie.note}

    def employment_edge(self, row: int) -> Edge:
        e = self.ix.employment_records[row]
        person, unit = self.ix.persons.one(e.person_key), self.ix.units.one(e.unit_key)
        post = e.post or ("领导职务" if e.is_leader else "")
        zh = f"任职{('·' + post) if post else ''}{'（领导）' if e.is_leader else ''}"
        en = f"works at{(' as ' + post) if e.post else ''}{' (leader)' if e.is_leader else ''}"
        return Edge("employment", zh, en, e.person_key, self.ix.person_label(person),
                    e.unit_key, self.ix.unit_label(unit), e.start, e.end,
                    f"employment:{e.key}", e.source_type, e.source_ref)

    def scope_edges(self, unit: int) -> list[Edge]:
        """How `unit` is within the target's scope: nothing when it is the target."""
        ix, t = self.ix, self.target
        if unit == t:
            return []
        if ix.unit_parent[t] == unit:
            return [Edge("parent_unit", "下属单位", "has the subordinate unit", self.ukey(unit),
                         ix.unit_label(unit), self.ukey(t), ix.unit_label(t),
                         record=f"unit:{self.ukey(t)}")]
        return [Edge("subordinate_unit", "上级单位", "is a subordinate of", self.ukey(unit),
                     ix.unit_label(unit), self.ukey(t), ix.unit_label(t),
                     record=f"unit:{self.ukey(unit)}")]

    def scope_units(self, rule: Rule) -> np.ndarray:
        scope = self.ix.scope_matrix(self.batch.targets, rule.target_scope)
        return np.flatnonzero(scope.getcol(0).toarray().ravel())

    def kin_path(self, relative: int, mask: int) -> list[Evidence]:
        out = []
        for kin in ALL_KIN:
            if not mask & BIT[kin]:
                continue
            steps = self.ix.kinship.walk(self.cadre, relative, kin)
            if steps is not None:
                out.append((kin, [self.kin_edge(kin, *s) for s in steps]))
        return [Evidence(tuple(edges), kin) for kin, edges in out]

    def kin_edge(self, kin: Kin, letter: str, a: int, b: int, row: int) -> Edge:
        tie = self.ix.ties.records[row]
        gender = self.ix.person_gender[b]
        if letter == "X":
            zh, en = KIN_TEXT[kin]
            if tie.subject_key != self.pkey(a):  # declared by the relative, read back
                zh, en = f"{zh}（对方申报）", f"{en} (declared by the relative)"
            return self.person_edge("declared", f"申报：{zh}", f"declared: {en}", a, b,
                                    **self.tie_fields(row))
        prefix_zh = "养" if tie.adoptive else "继" if tie.step else ""
        prefix_en = "adoptive " if tie.adoptive else "step-" if tie.step else ""
        if letter == "U":
            zh, en = {"M": ("父", "father"), "F": ("母", "mother")}.get(gender, ("父母", "parent"))
            zh = prefix_zh + zh if prefix_zh else {"父": "父亲", "母": "母亲"}.get(zh, zh)
            return self.person_edge("parent_of", zh, prefix_en + en, a, b, **self.tie_fields(row))
        if letter == "D":
            zh, en = {"M": ("子", "son"), "F": ("女", "daughter")}.get(gender, ("子女", "child"))
            zh = prefix_zh + zh if prefix_zh else {"子": "儿子", "女": "女儿"}.get(zh, zh)
            return self.person_edge("child_of", zh, prefix_en + en, a, b, **self.tie_fields(row))
        zh, en = {"M": ("丈夫", "husband"), "F": ("妻子", "wife")}.get(gender, ("配偶", "spouse"))
        return self.person_edge("spouse_of", zh, en, a, b, **self.tie_fields(row))

    def cadre_home_edge(self) -> Edge:
        ix, c, h = self.ix, self.cadre, self.home
        return Edge("home_unit", "所在单位", "home unit", self.pkey(c), ix.person_label(c),
                    self.ukey(h), ix.unit_label(h), record=f"cadre:{self.pkey(c)}")

    def leader_edges(self, leader: int, rule: Rule) -> list[Edge]:
        """The leader's current leadership posts in the target's scope."""
        ix = self.ix
        units = set(self.scope_units(rule).tolist())
        _, rows = ix.employments_of(np.array([leader]))
        out = []
        for row in rows.tolist():
            if ix.emp_leader[row] and int(ix.emp_unit[row]) in units and \
                    self.ix.employment_records[row].active_on(ix.as_of):
                out.append([self.employment_edge(row), *self.scope_edges(int(ix.emp_unit[row]))])
        return [e for edges in out for e in edges]


def _employment(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix
    units = set(ev.scope_units(rule).tolist())
    _, rows = ix.employments_of(np.array([ev.cadre]))
    as_of = ix.as_of
    cutoff = as_of if rule.look_back_years is None else years_before(as_of, rule.look_back_years)
    out = []
    for row in rows.tolist():
        e = ix.employment_records[row]
        if int(ix.emp_unit[row]) not in units or e.start > as_of:
            continue
        if rule.min_years_any_time is None and e.end is not None and e.end < cutoff:
            continue
        out.append(Evidence((ev.employment_edge(row), *ev.scope_edges(int(ix.emp_unit[row])))))
    if rule.min_years_any_time is None and ev.home in units:
        out.append(Evidence((ev.cadre_home_edge(), *ev.scope_edges(ev.home))))
    return out


def _kin_staff(ev: _Collector, rule: Rule, records: Callable[[int, set[int]], list[list[Edge]]]
               ) -> list[Evidence]:
    relatives = ev.batch.relatives.getrow(0).tocoo()
    units = set(ev.scope_units(rule).tolist())
    wanted = mask_of(rule.kinship)
    out: list[Evidence] = []
    for rel, mask in sorted(zip(relatives.col.tolist(), relatives.data.tolist(), strict=True)):
        if not mask & wanted:
            continue
        links = records(rel, units)
        if not links:
            continue
        for path in ev.kin_path(rel, mask & wanted):
            out.extend(Evidence(path.edges + tuple(link), path.kin) for link in links)
    return out


def _kin_employment(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix

    def works(rel: int, units: set[int]) -> list[list[Edge]]:
        _, rows = ix.employments_of(np.array([rel]))
        return [[ev.employment_edge(r), *ev.scope_edges(int(ix.emp_unit[r]))]
                for r in rows.tolist()
                if int(ix.emp_unit[r]) in units and ix.employment_records[r].active_on(ix.as_of)]

    return _kin_staff(ev, rule, works)


def _kin_business(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix

    def business(rel: int, units: set[int]) -> list[list[Edge]]:
        row = ix.business.getrow(rel).tocoo()
        out = []
        for unit, rec in zip(row.col.tolist(), row.data.tolist(), strict=True):
            if unit in units:
                tie = ix.ties.records[rec - 1]
                cat = tie.category or ""
                zh = {"shareholder": "持股", "executive": "任职", "supplier": "供应商"}.get(cat, "")
                out.append([Edge("business_interest", f"经商办企业{('·' + zh) if zh else ''}",
                                 f"business interest{(' (' + cat + ')') if cat else ''}",
                                 ev.pkey(rel), ix.person_label(rel), ev.ukey(unit),
                                 ix.unit_label(unit), **ev.tie_fields(rec - 1)),
                            *ev.scope_edges(unit)])
        return out

    return _kin_staff(ev, rule, business)


def _region(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix
    assert rule.region_level is not None
    level = rule.region_level
    target_region = int(ix.region_of(ix.unit_region[ev.batch.targets], level)[0])
    names = (("native_region", "籍贯", "native place"),
             ("grew_up_region", "成长地", "place of growing up"),
             ("work_region", "现工作地", "current work place"))
    out = []
    snap = ix.snapshot
    for (relation, zh, en), places in zip(names, region_sources(ev.batch), strict=True):
        place = int(places[0])
        if place < 0 or int(ix.region_of(places, level)[0]) != target_region:
            continue
        code = str(ix.regions.keys[place])
        area = str(ix.regions.keys[target_region])
        cadre = ev.pkey(ev.cadre)
        record = f"cadre:{cadre}" if relation == "work_region" else f"person:{cadre}"
        edges = [Edge(relation, zh, en, cadre, ix.person_label(ev.cadre), code,
                      snap.regions[code].name, record=record)]
        if code != area:
            edges.append(Edge("within_region", "属于", "lies within", code,
                              snap.regions[code].name, area, snap.regions[area].name))
        edges.append(Edge("target_region", "辖有被巡察单位", "contains the target", area,
                          snap.regions[area].name, ev.ukey(ev.target),
                          ix.unit_label(ev.target), record=f"unit:{ev.ukey(ev.target)}"))
        out.append(Evidence(tuple(edges)))
    return out


def _system(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix
    system = ix.snapshot.systems.get(ix.snapshot.units[ev.ukey(ev.target)].system_code)
    name = system.name_zh if system else ""
    return [Evidence((ev.cadre_home_edge(),
                      Edge("same_system", f"同属{name}系统", f"same line of work ({system.name_en})"
                           if system and system.name_en else "same line of work",
                           ev.ukey(ev.home), ix.unit_label(ev.home), ev.ukey(ev.target),
                           ix.unit_label(ev.target), record=f"unit:{ev.ukey(ev.target)}")))]


def _supervision(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix
    units = set(ev.scope_units(rule).tolist())
    out = []
    sup = int(ix.unit_supervisor[ev.home])
    if sup in units:
        out.append(Evidence((ev.cadre_home_edge(),
                             Edge("supervised_by", "业务上受主管于", "is supervised by",
                                  ev.ukey(ev.home), ix.unit_label(ev.home), ev.ukey(sup),
                                  ix.unit_label(sup), record=f"unit:{ev.ukey(ev.home)}"),
                             *ev.scope_edges(sup))))
    for unit in sorted(units):
        if int(ix.unit_supervisor[unit]) == ev.home:
            out.append(Evidence((ev.cadre_home_edge(),
                                 Edge("supervises", "业务主管", "supervises", ev.ukey(ev.home),
                                      ix.unit_label(ev.home), ev.ukey(unit),
                                      ix.unit_label(unit), record=f"unit:{ev.ukey(unit)}"),
                                 *ev.scope_edges(unit))))
    return out


def _partner_evidence(ev: _Collector, rule: Rule, partners: Any,
                      label: Callable[[int, int], tuple[str, str, str]],
                      row: int) -> list[Evidence]:
    """Partners (a row of `partners`, values tie row + 1) who lead in the target scope."""
    found = partners.getrow(row).tocoo()
    out = []
    for other, rec in sorted(zip(found.col.tolist(), found.data.tolist(), strict=True)):
        leads = ev.leader_edges(other, rule)
        if not leads:
            continue
        relation, zh, en = label(other, rec - 1)
        first = ev.person_edge(relation, zh, en, ev.cadre, other, **ev.tie_fields(rec - 1))
        out.append(Evidence((first, *leads)))
    return out


def _leadership_ties(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix
    cutoff = ix.as_of if rule.look_back_years is None else years_before(ix.as_of,
                                                                         rule.look_back_years)

    def label(other: int, row: int) -> tuple[str, str, str]:
        superior = int(ix.ties.subject[row]) == ev.cadre
        return (("supervisor_of", "曾任其直接上级", "was the direct superior of") if superior
                else ("subordinate_of", "曾任其直接下级", "was a direct subordinate of"))

    partners = ix.supervision_partners(np.array([ev.cadre]), cutoff)
    return _partner_evidence(ev, rule, partners, label, row=0)


def _schooling(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix

    def label(other: int, row: int) -> tuple[str, str, str]:
        zh, en = _SCHOOLING.get(ix.ties.records[row].category or "", ("学缘", "schooling"))
        return "schooling", f"学缘·{zh}", f"schooling: {en}"

    return _partner_evidence(ev, rule, ix.schooling, label, row=ev.cadre)


def _declared(ev: _Collector, rule: Rule) -> list[Evidence]:
    ix = ev.ix
    units = set(ev.scope_units(rule).tolist())
    row = ix.recusal_ties.getrow(ev.cadre).tocoo()
    out = []
    for unit, rec in sorted(zip(row.col.tolist(), row.data.tolist(), strict=True)):
        if unit not in units:
            continue
        tie = ix.ties.records[rec - 1]
        zh, en = _RECUSAL.get(tie.category or "", (tie.category or "", tie.category or ""))
        out.append(Evidence((Edge("recusal", f"回避·{zh}", f"recusal: {en}", ev.pkey(ev.cadre),
                                  ix.person_label(ev.cadre), ev.ukey(unit), ix.unit_label(unit),
                                  **ev.tie_fields(rec - 1)), *ev.scope_edges(unit))))
    return out


COLLECT: dict[Relation, Callable[[_Collector, Rule], list[Evidence]]] = {
    Relation.employment: _employment,
    Relation.kin_employment: _kin_employment,
    Relation.kin_business: _kin_business,
    Relation.region: _region,
    Relation.system: _system,
    Relation.supervision: _supervision,
    Relation.leadership_ties: _leadership_ties,
    Relation.schooling: _schooling,
    Relation.declared: _declared,
}


