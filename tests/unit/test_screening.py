"""Each recusal rule on hand-built snapshots: when it applies, when it does not, at the
boundaries of its validity windows, to which roles, and what the explanation shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from conflicts.evidence import explain, explain_pair
from conflicts.index import ConflictIndex
from conflicts.policy import Policy, Role, load_policy, parse_policy
from conflicts.screening import ScreeningError, screen, screen_index
from tests.records_builder import CITY, COUNTY_A, COUNTY_B, TOWN_A1, SnapshotBuilder

AS_OF = dt.date(2026, 11, 1)
DEFAULT = load_policy("default")
D = dt.timedelta(days=1)


class World:
    """A target unit with a parent and a subordinate, a cadre from another county."""

    def __init__(self) -> None:
        b = self.b = SnapshotBuilder()
        self.gov = b.unit("云川市人民政府办公室", key="U_GOV", region=CITY)
        self.target = b.unit("云川市自然资源和规划局", key="U_T", region=CITY,
                             system="finance", parent=self.gov)
        self.sub = b.unit("云川市规划设计院", key="U_SUB", region=CITY, parent=self.target)
        self.other = b.unit("西岭区教育局", key="U_OTHER", region=COUNTY_B, system="education")
        self.home = b.unit("西岭区卫生健康局", key="U_HOME", region=COUNTY_B, system="health")
        self.me = b.person("王𠮷", key="P_ME", native=COUNTY_B, grew_up=COUNTY_B)
        b.cadre(self.me, self.home, leader_pool=True)

    def kin(self, name: str, *, via: str = "spouse") -> str:
        """A relative: the cadre's wife's father (via='spouse') or a first cousin."""
        b = self.b
        if via == "spouse":
            wife = b.person("陈梅", "F", key="P_WIFE")
            b.marry(self.me, wife, start=dt.date(2012, 10, 1))
            rel = b.person(name, key="P_REL")
            b.parent(rel, wife)
            return rel
        father, grandpa, uncle = (b.person(n, key=k) for n, k in (
            ("王父", "P_F"), ("王祖", "P_GF"), ("王叔", "P_UNCLE")))
        rel = b.person(name, key="P_REL")
        b.parent(father, self.me)
        b.parent(grandpa, father)
        b.parent(grandpa, uncle)
        b.parent(uncle, rel)
        return rel

    def screen(self, policy: Policy = DEFAULT, as_of: dt.date = AS_OF, **kw: Any):
        return screen(self.b.snapshot(as_of), policy, [self.me], [self.target], as_of, **kw)

    def reasons(self, policy: Policy = DEFAULT, as_of: dt.date = AS_OF) -> list[str]:
        return [r.rule_id for r in self.screen(policy, as_of).reasons(self.me, self.target)]

    def explain(self, policy: Policy = DEFAULT, as_of: dt.date = AS_OF):
        return explain(ConflictIndex(self.b.snapshot(as_of), as_of), policy, self.me,
                       self.target)


def one_rule(**rule: Any) -> Policy:
    base = {"id": "r", "title_zh": "测试", "title_en": "test",
            "basis": {"zh": "依据", "en": "basis"}}
    return parse_policy({"name": "test", "version": "1", "title_zh": "测试",
                         "title_en": "test", "rules": [base | rule]})


def test_nothing_applies_to_a_stranger_and_the_explanation_says_what_was_checked() -> None:
    w = World()
    assert w.reasons() == []
    ex = w.explain()
    assert not ex.recused and ex.reasons == ()
    assert "employment" in ex.checked and "kin-in-target" in ex.checked
    assert "无需回避" in ex.render("zh") and "no recusal" in ex.render("en")


# -- employment ------------------------------------------------------------------------

@pytest.mark.parametrize(("unit", "hit"), [("U_T", True), ("U_GOV", True), ("U_SUB", True),
                                           ("U_OTHER", False)])
def test_employment_in_target_parent_or_subordinate(unit: str, hit: bool) -> None:
    w = World()
    w.b.job(w.me, unit, dt.date(2015, 1, 1), dt.date(2025, 1, 1))
    assert ("employment" in w.reasons()) is hit


def test_employment_look_back_boundary_is_three_years_to_the_day() -> None:
    cutoff = dt.date(2023, 11, 1)
    inside, outside = World(), World()
    inside.b.job(inside.me, "U_T", dt.date(2015, 1, 1), cutoff)
    outside.b.job(outside.me, "U_T", dt.date(2015, 1, 1), cutoff - D)
    assert "employment" in inside.reasons()
    assert "employment" not in outside.reasons()


def test_a_job_that_has_not_begun_does_not_count() -> None:
    w = World()
    w.b.job(w.me, "U_T", AS_OF + D)
    assert "employment" not in w.reasons()


def test_long_service_rule_applies_to_leaders_only() -> None:
    w = World()
    w.b.job(w.me, "U_T", dt.date(2000, 1, 1), dt.date(2003, 1, 1))  # > 3 years, long ago
    result = w.screen()
    assert [r.rule_id for r in result.reasons(w.me, w.target)] == [
        "employment.leader-long-service"]
    assert result.recused(Role.leader)[0, 0]
    assert not result.recused(Role.member)[0, 0]


def test_long_service_needs_three_full_years() -> None:
    short = World()
    short.b.job(short.me, "U_T", dt.date(2000, 1, 1), dt.date(2002, 12, 1))
    assert short.reasons() == []


# -- kinship ---------------------------------------------------------------------------

def test_kin_in_target_explanation_edge_by_edge() -> None:
    w = World()
    rel = w.kin("陈强")
    job = w.b.job(rel, "U_T", dt.date(2021, 3, 1), leader=True, post="副局长")
    ex = w.explain()
    assert ex.recused
    (reason,) = [r for r in ex.reasons if r.rule_id == "kin-in-target"]
    (evidence,) = reason.evidence
    edges = evidence.edges
    assert [(e.relation, e.source_key, e.target_key) for e in edges] == [
        ("spouse_of", "P_ME", "P_WIFE"), ("parent_of", "P_WIFE", "P_REL"),
        ("employment", "P_REL", "U_T")]
    assert [e.label_zh for e in edges] == ["妻子", "父亲", "任职·副局长（领导）"]
    assert edges[0].start == dt.date(2012, 10, 1) and edges[0].record.startswith("tie:")
    assert edges[2].record == f"employment:{job}" and edges[2].start == dt.date(2021, 3, 1)
    assert evidence.kin == "parent_in_law"
    assert evidence.render("zh") == ("王𠮷 —妻子(2012-10-01—)→ 陈梅 —父亲→ 陈强 "
                                     "—任职·副局长（领导）(2021-03-01—)→ 云川市自然资源和规划局"
                                     "（配偶的父母）")
    assert evidence.render("en").startswith("王𠮷 —wife(2012-10-01—)→ 陈梅 —father→ 陈强")
    assert reason.basis_zh.startswith("《公务员法》第七十四条")
    assert ex.policy_hash == DEFAULT.hash


def test_relative_who_left_the_target_yesterday_no_longer_counts() -> None:
    w = World()
    rel = w.kin("陈强")
    w.b.job(rel, "U_T", dt.date(2021, 3, 1), AS_OF - D)
    assert "kin-in-target" not in w.reasons()


def test_kin_rule_with_unit_scope_ignores_the_subordinate() -> None:
    w = World()
    rel = w.kin("王磊", via="cousin")
    w.b.job(rel, "U_SUB", dt.date(2021, 3, 1))
    assert "kin-in-target" not in w.reasons()
    widened = one_rule(relation="kin_employment", kinship=["collateral"],
                       target_scope=["unit", "subordinates"])
    assert w.reasons(widened) == ["r"]


def test_divorce_ends_the_in_law_tie_on_the_next_day() -> None:
    w = World()
    rel = w.kin("陈强")
    w.b.ties[0] = w.b.ties[0].__class__(**{**_fields(w.b.ties[0]), "end": AS_OF})
    w.b.job(rel, "U_T", dt.date(2021, 3, 1))
    assert "kin-in-target" in w.reasons(as_of=AS_OF)
    assert "kin-in-target" not in w.reasons(as_of=AS_OF + D)


def test_narrow_policy_drops_cousins_but_keeps_close_kin() -> None:
    narrow = load_policy("supervision-narrow")
    w = World()
    rel = w.kin("王磊", via="cousin")
    w.b.job(rel, "U_T", dt.date(2021, 3, 1))
    assert "kin-in-target" in w.reasons()
    assert "kin-in-target" not in w.reasons(narrow)


def test_kin_business_interest_in_force() -> None:
    w = World()
    rel = w.kin("王磊", via="cousin")
    w.b.tie("business_interest", rel, unit="U_T", category="shareholder",
            start=dt.date(2020, 1, 1))
    ended = World()
    rel2 = ended.kin("王磊", via="cousin")
    ended.b.tie("business_interest", rel2, unit="U_T", category="shareholder",
                start=dt.date(2020, 1, 1), end=dt.date(2025, 1, 1))
    assert "kin-business" in w.reasons()
    assert "kin-business" not in ended.reasons()
    (reason,) = [r for r in w.explain().reasons if r.rule_id == "kin-business"]
    assert reason.evidence[0].edges[-1].relation == "business_interest"
    assert reason.evidence[0].kin == "cousin"


# -- region, system, supervision -------------------------------------------------------

def test_region_native_place_in_the_target_county() -> None:
    w = World()
    w.b.persons[w.me] = w.b.persons[w.me].__class__(
        **{**_fields(w.b.persons[w.me]), "native_region": TOWN_A1})
    school = w.b.unit("东溪区实验小学", key="U_SCHOOL", region=COUNTY_A, system="education")
    result = screen(w.b.snapshot(AS_OF), DEFAULT, [w.me], [school, w.target], AS_OF)
    assert [r.rule_id for r in result.reasons(w.me, school)] == ["region"]
    assert result.reasons(w.me, w.target) == []
    ex = explain(ConflictIndex(w.b.snapshot(AS_OF)), DEFAULT, w.me, school)
    edges = ex.reasons[0].evidence[0].edges
    assert [e.relation for e in edges] == ["native_region", "within_region", "target_region"]
    assert [e.target_name for e in edges] == ["东溪街道", "东溪区", "东溪区实验小学"]


def test_region_at_town_level_needs_the_same_town() -> None:
    town = one_rule(relation="region", target_scope=["region"], region_level="town")
    w = World()
    w.b.persons[w.me] = w.b.persons[w.me].__class__(
        **{**_fields(w.b.persons[w.me]), "grew_up_region": TOWN_A1})
    same = w.b.unit("东溪街道办事处", key="U_TOWN", region=TOWN_A1)
    other = w.b.unit("北塘镇人民政府", key="U_TOWN2", region="320902002")
    result = screen(w.b.snapshot(AS_OF), town, [w.me], [same, other], AS_OF)
    assert result.recused().tolist() == [[True, False]]


def test_current_work_region_counts() -> None:
    w = World()
    near = w.b.unit("西岭区财政局", key="U_NEAR", region=COUNTY_B)
    result = screen(w.b.snapshot(AS_OF), DEFAULT, [w.me], [near], AS_OF)
    assert "region" in [r.rule_id for r in result.reasons(w.me, near)]
    edges = explain(ConflictIndex(w.b.snapshot(AS_OF)), DEFAULT, w.me, near).reasons
    relations = {e.relation for r in edges for ev in r.evidence for e in ev.edges}
    assert {"native_region", "grew_up_region", "work_region"} <= relations


def test_same_system_is_soft_by_default() -> None:
    w = World()
    same = w.b.unit("云川市卫生健康委员会", key="U_HEALTH", system="health")
    result = screen(w.b.snapshot(AS_OF), DEFAULT, [w.me], [same], AS_OF)
    assert [r.rule_id for r in result.reasons(w.me, same)] == ["system"]
    assert not result.recused()[0, 0]
    assert result.recused(soft=True)[0, 0]
    strict = load_policy("leader-strict")
    result = screen(w.b.snapshot(AS_OF), strict, [w.me], [same], AS_OF)
    assert result.recused(Role.leader)[0, 0] and not result.recused(Role.member)[0, 0]


@pytest.mark.parametrize("direction", ["home supervises target", "target supervises home"])
def test_supervision_in_either_direction(direction: str) -> None:
    w = World()
    if direction == "home supervises target":
        unit = w.b.units["U_T"]
        w.b.units["U_T"] = unit.__class__(**{**_fields(unit), "supervisor_key": w.home})
    else:
        unit = w.b.units["U_HOME"]
        w.b.units["U_HOME"] = unit.__class__(**{**_fields(unit), "supervisor_key": "U_T"})
    assert w.reasons() == ["supervision"]


# -- working ties, schooling, declared -------------------------------------------------

def _target_leader(w: World) -> str:
    boss = w.b.person("赵局长", key="P_BOSS")
    w.b.job(boss, "U_T", dt.date(2022, 1, 1), leader=True, post="局长")
    return boss


def test_former_superior_of_the_targets_leader_within_three_years() -> None:
    recent, old = World(), World()
    recent.b.tie("supervisor_of", recent.me, _target_leader(recent),
                 start=dt.date(2018, 1, 1), end=dt.date(2024, 6, 30))
    old.b.tie("supervisor_of", old.me, _target_leader(old),
              start=dt.date(2015, 1, 1), end=dt.date(2022, 6, 30))
    assert recent.reasons() == ["leadership-ties"]
    assert old.reasons() == []
    (reason,) = recent.explain().reasons
    assert [e.relation for e in reason.evidence[0].edges] == ["supervisor_of", "employment"]


@pytest.mark.parametrize(("category", "hit"), [("teacher_student", True),
                                               ("same_supervisor", True), ("classmate", False)])
def test_schooling_ties_with_the_leadership_for_leaders(category: str, hit: bool) -> None:
    w = World()
    w.b.tie("schooling", _target_leader(w), w.me, category=category)
    result = w.screen()
    assert bool(result.recused(Role.leader)[0, 0]) is hit
    assert not result.recused(Role.member)[0, 0]


@pytest.mark.parametrize("category", ["self", "unit_request", "organization"])
def test_declared_recusal_carries_who_when_and_why(category: str) -> None:
    w = World()
    w.b.tie("recusal", w.me, unit="U_T", category=category, start=dt.date(2026, 10, 8),
            note="其弟在该局下属企业任职，本人申请回避", recorded_by="市委巡察办")
    assert w.reasons() == ["declared"]
    edge = w.explain().reasons[0].evidence[0].edges[0]
    assert edge.relation == "recusal" and edge.note.startswith("其弟")
    assert edge.recorded_by == "市委巡察办" and edge.start == dt.date(2026, 10, 8)


def test_two_reasons_for_one_pair_are_both_reported() -> None:
    w = World()
    rel = w.kin("陈强")
    w.b.job(rel, "U_T", dt.date(2021, 3, 1))
    w.b.job(w.me, "U_SUB", dt.date(2022, 1, 1), dt.date(2024, 1, 1))
    ex = w.explain()
    assert [r.rule_id for r in ex.reasons] == ["employment", "kin-in-target"]
    assert all(r.evidence for r in ex.reasons)


# -- within-team and eligibility -------------------------------------------------------

def test_within_team_pairs_kin_and_same_home_unit() -> None:
    w = World()
    cousin = w.kin("王磊", via="cousin")
    w.b.cadre(cousin, "U_OTHER")
    colleague = w.b.person("同事", key="P_COLLEAGUE")
    w.b.cadre(colleague, w.home)
    stranger = w.b.person("路人", key="P_STRANGER")
    w.b.cadre(stranger, "U_GOV")
    result = screen(w.b.snapshot(AS_OF), DEFAULT, [w.me, cousin, colleague, stranger],
                    [w.target], AS_OF)
    pairs = {(c.cadre_a, c.cadre_b, c.reason) for c in result.team_conflicts}
    assert pairs == {("P_ME", "P_REL", "kin"), ("P_ME", "P_COLLEAGUE", "same_home_unit")}


def test_within_team_pair_explained_with_the_kinship_path() -> None:
    w = World()
    cousin = w.kin("王磊", via="cousin")
    w.b.cadre(cousin, w.home)
    ex = explain_pair(ConflictIndex(w.b.snapshot(AS_OF)), DEFAULT, w.me, cousin)
    (reason,) = ex.reasons
    assert reason.rule_id == "within-team"
    paths = {ev.render("zh") for ev in reason.evidence}
    assert paths == {"王𠮷 —父亲→ 王父 —父亲→ 王祖 —儿子→ 王叔 —儿子→ 王磊（堂、表兄弟姐妹）",
                     "王𠮷 —所在单位→ 西岭区卫生健康局 —同单位干部→ 王磊"}
    assert "不得同组" in ex.render("zh") and "not allowed" in ex.render("en")
    stranger = w.b.person("路人", key="P_STRANGER")
    w.b.cadre(stranger, "U_GOV")
    clear = explain_pair(ConflictIndex(w.b.snapshot(AS_OF)), DEFAULT, w.me, stranger)
    assert clear.reasons == () and "可以同组" in clear.render("zh")


def test_eligibility_status_window_and_unavailability() -> None:
    from pool.records import Period

    w = World()
    suspended = w.b.person("停职者", key="P_SUS")
    w.b.cadre(suspended, w.home, status="suspended", status_reason="立案审查",
              status_from=dt.date(2026, 9, 1), status_to=dt.date(2027, 3, 1))
    lapsed = w.b.person("已期满", key="P_LAPSED")
    w.b.cadre(lapsed, w.home, status="suspended", status_from=dt.date(2024, 1, 1),
              status_to=dt.date(2025, 1, 1))
    away = w.b.person("外出学习", key="P_AWAY")
    w.b.cadre(away, w.home, unavailable=(Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31),
                                                "党校学习"),))
    period = (dt.date(2026, 11, 20), dt.date(2027, 1, 10))
    result = screen(w.b.snapshot(AS_OF), DEFAULT, [w.me, suspended, lapsed, away],
                    [w.target], AS_OF, period=period)
    out = {(i.cadre_key, i.reason) for i in result.ineligible}
    assert out == {("P_SUS", "status"), ("P_AWAY", "unavailable")}
    (sus,) = [i for i in result.ineligible if i.cadre_key == "P_SUS"]
    assert "立案审查" in sus.zh and "suspended" in sus.en


# -- input errors ----------------------------------------------------------------------

def test_unknown_keys_and_a_reversed_period_are_rejected_with_both_languages() -> None:
    w = World()
    index = ConflictIndex(w.b.snapshot(AS_OF))
    with pytest.raises(ScreeningError) as err:
        screen_index(index, DEFAULT, [w.me, "P_NOBODY"], ["U_NOWHERE"],
                     period=(dt.date(2027, 1, 1), dt.date(2026, 1, 1)))
    message = str(err.value)
    for part in ("P_NOBODY", "人才库中没有", "not cadres", "U_NOWHERE", "unknown target",
                 "起止颠倒", "reversed"):
        assert part in message


def test_axis_order_follows_the_caller() -> None:
    w = World()
    w.b.job(w.me, "U_T", dt.date(2015, 1, 1))
    other = w.b.person("路人", key="P_A")
    w.b.cadre(other, "U_GOV")
    snap = w.b.snapshot(AS_OF)
    forward = screen(snap, DEFAULT, [w.me, other], ["U_T", "U_OTHER"], AS_OF)
    backward = screen(snap, DEFAULT, [other, w.me], ["U_OTHER", "U_T"], AS_OF)
    assert np.array_equal(forward.recused(), backward.recused()[::-1, ::-1])


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}
