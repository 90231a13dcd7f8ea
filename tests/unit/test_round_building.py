"""From pool records to an instance (history, eligibility, role-aware recusals), and the
diagnosis of rounds built to fail in a known way."""

from __future__ import annotations

import datetime as dt

from assignment.assemble import assemble
from assignment.build import Context, RoundPlan, build_instance
from assignment.diagnose import diagnose, precheck
from assignment.instance import Candidate, Instance, TeamSpec, pair
from assignment.validate import violations
from conflicts.policy import load_policy
from conflicts.screening import screen
from tests.records_builder import CITY, SnapshotBuilder

AS_OF = dt.date(2026, 11, 1)
START, END = dt.date(2026, 12, 1), dt.date(2027, 1, 20)


def _pool() -> tuple[SnapshotBuilder, dict[str, str]]:
    b = SnapshotBuilder()
    target = b.unit("云川市财政局", key="U_T", region=CITY)
    b.unit("西岭区卫生健康局", key="U_H", region="320903", system="health")
    k: dict[str, str] = {}
    for i in range(8):
        key = b.person(f"干部{i}", "MF"[i % 2], key=f"P{i}")
        # different home units: two cadres of one unit may not serve together
        home = b.unit(f"西岭区第{i}单位", key=f"U_H{i}", region="320903", system="health")
        b.cadre(key, home, skills=(("audit", 2),) if i < 3 else (("finance", 3),),
                leader_pool=i in (0, 4), deputy_pool=i in (1, 5), reserve=i == 6,
                max_rounds_per_year=2)
        k[f"c{i}"] = key
    k["target"] = target
    return b, k


def _plan(**kw: object) -> RoundPlan:
    team = TeamSpec(1, ("U_T",), 3, 5, 1, 1, (("audit", 1),))
    return RoundPlan("R9", "第九轮", START, END, (team,), **kw)  # type: ignore[arg-type]


def test_history_feeds_rotation_workload_experience_and_training() -> None:
    b, k = _pool()
    for n, start in enumerate((dt.date(2025, 3, 1), dt.date(2025, 9, 1), dt.date(2026, 3, 1))):
        rnd = b.round(f"R{n}", start)
        b.served(rnd, k["c0"], 1, "leader", "U_T")
        b.served(rnd, k["c1"], 1, "member", "U_T")
    b.served("R2", k["c6"], 2, "member", "U_H")
    snap = b.snapshot(AS_OF)
    policy = load_policy("default")
    result = screen(snap, policy, sorted(snap.cadres), ["U_T"], AS_OF, period=(START, END))
    instance, ctx = build_instance(snap, result, _plan(rotation_rounds=2))
    c = {x.key: x for x in instance.candidates}
    assert c["P0"].led_targets == ("U_T",) and c["P0"].veteran
    assert c["P1"].inspected_targets == ("U_T",) and c["P1"].led_targets == ()
    assert c["P0"].recent_rounds == 1  # one round within a year of the round's start
    assert c["P6"].trainee and not c["P6"].veteran  # reserve with one round of training
    assert pair("P0", "P1") in instance.past_pairs
    assert ctx.excluded == {}


def test_ineligible_and_over_the_yearly_limit_are_left_out_with_reasons() -> None:
    b, k = _pool()
    b.cadre(k["c7"], "U_H", status="suspended", status_reason="立案审查",
            status_from=dt.date(2026, 10, 1))
    for n, start in enumerate((dt.date(2026, 3, 1), dt.date(2026, 8, 1))):
        b.served(b.round(f"R{n}", start), k["c5"], 1, "member", "U_H")
    snap = b.snapshot(AS_OF)
    result = screen(snap, load_policy("default"), sorted(snap.cadres), ["U_T"], AS_OF,
                    period=(START, END))
    instance, ctx = build_instance(snap, result, _plan())
    assert {c.key for c in instance.candidates} == {f"P{i}" for i in range(7)} - {"P5"}
    assert "立案审查" in ctx.excluded["P7"][0][0]
    assert "达到上限2轮" in ctx.excluded["P5"][0][0]


def test_leader_only_rules_bar_only_the_leader_role() -> None:
    b, k = _pool()
    b.job(k["c4"], "U_T", dt.date(2010, 1, 1), dt.date(2015, 1, 1))  # long ago, 5 years
    snap = b.snapshot(AS_OF)
    result = screen(snap, load_policy("default"), sorted(snap.cadres), ["U_T"], AS_OF,
                    period=(START, END))
    instance, ctx = build_instance(snap, result, _plan())
    assert instance.recusals[k["c4"], "U_T"] == frozenset({"leader"})
    assert ctx.recused_by[k["c4"], "U_T"] == ("employment.leader-long-service",)
    for seed in range(3):
        proposal = assemble(instance, seed)
        assert violations(instance, proposal) == []
        assert proposal.teams[0].leader.key == "P0"


# -- diagnosis -------------------------------------------------------------------------

def _cand(key: str, *skills: str, lead: bool = False, deputy: bool = False) -> Candidate:
    return Candidate(key, f"干部{key}", "M", tuple(sorted(skills)), leader_pool=lead,
                     deputy_pool=deputy)


def test_precheck_names_the_short_skill_the_counts_and_the_recused() -> None:
    cands = (_cand("A1", "audit"), _cand("A2", "audit"), _cand("A3", "audit"),
             _cand("L1", "finance", lead=True), _cand("M1", deputy=True), _cand("M2"),
             _cand("M3"))
    team = TeamSpec(1, ("U_T",), 3, 6, 1, 1, (("audit", 2),))
    everything = frozenset({"leader", "deputy", "member"})
    inst = Instance("R", (team,), cands, {("A1", "U_T"): everything,
                                          ("A2", "U_T"): everything})
    ctx = Context({"X9": [("状态为暂停", "suspended")]},
                  {("A1", "U_T"): ("kin-in-target",), ("A2", "U_T"): ("employment",)},
                  {"X9": ("audit",)}, {"X9": "停职者"})
    (finding,) = precheck(inst, ctx)
    assert finding.code == "skill:1:audit"
    for part in ("第1组需要2名audit专业人员", "具备该特长的3人", "其中2人须回避本组对象",
                 "干部A1（A1：kin-in-target）", "干部A2（A2：employment）",
                 "另有1名具备该特长的干部本轮不能参加：停职者（X9：状态为暂停）"):
        assert part in finding.zh
    assert "team 1 needs 2 skilled in audit" in finding.en
    assert assemble(inst, 1).status == "infeasible"


def test_precheck_finds_a_team_nobody_can_lead() -> None:
    cands = (_cand("L1", lead=True), _cand("D1", deputy=True), _cand("M1"), _cand("M2"))
    inst = Instance("R", (TeamSpec(1, ("U_T",), 3, 5, 1, 1),), cands,
                    {("L1", "U_T"): frozenset({"leader"})})
    codes = [f.code for f in precheck(inst)]
    assert codes == ["leader:1"]


def test_diagnosis_names_requirements_that_cannot_hold_together() -> None:
    # each team alone can find its auditor, but there is only one for both
    cands = (_cand("A1", "audit"), _cand("L1", lead=True), _cand("L2", lead=True),
             _cand("D1", deputy=True), _cand("D2", deputy=True), _cand("M1"), _cand("M2"))
    teams = (TeamSpec(1, ("U1",), 3, 4, 1, 1, (("audit", 1),)),
             TeamSpec(2, ("U2",), 3, 4, 1, 1, (("audit", 1),)))
    inst = Instance("R", teams, cands)
    assert precheck(inst) == []
    assert assemble(inst, 1).status == "infeasible"
    diagnosis = diagnose(inst)
    assert diagnosis.feasible is False
    codes = {f.code for f in diagnosis.findings}
    assert {"skill:1:audit", "skill:2:audit"} <= codes
    assert "以下要求不能同时满足" in diagnosis.render("zh")


def test_diagnosis_of_a_within_team_conflict() -> None:
    # the only leader and the only deputy are cousins
    cands = (_cand("L1", lead=True), _cand("D1", deputy=True), _cand("M1"), _cand("M2"))
    inst = Instance("R", (TeamSpec(1, ("U1",), 3, 4, 1, 1),), cands,
                    conflicts=frozenset({pair("D1", "L1")}))
    assert precheck(inst) == []
    diagnosis = diagnose(inst)
    assert diagnosis.feasible is False
    assert {f.code for f in diagnosis.findings} >= {"leader:1", "deputies:1"}


def test_diagnosis_of_a_feasible_round_says_so() -> None:
    cands = (_cand("L1", "audit", lead=True), _cand("D1", deputy=True), _cand("M1"))
    inst = Instance("R", (TeamSpec(1, ("U1",), 3, 4, 1, 1, (("audit", 1),)),), cands)
    assert diagnose(inst).feasible is True


def test_round_plan_loads_and_suitability_reach_the_proposal() -> None:
    b, _keys = _pool()
    snap = b.snapshot(AS_OF)
    result = screen(snap, load_policy("default"), sorted(snap.cadres), ["U_T"], AS_OF,
                    period=(START, END))
    plan = _plan(loads=(("P3", 1, 1), ("P7", 0, 0)), suitability=(("P6", 1, 500),))
    instance, _ctx = build_instance(snap, result, plan)
    c = {x.key: x for x in instance.candidates}
    assert (c["P3"].capacity, c["P3"].minimum) == (1, 1) and c["P7"].capacity == 0
    assert instance.suitability == {("P6", 1): 500}
    for seed in range(3):
        placed = assemble(instance, seed).assignment()
        assert "P3" in placed and "P6" in placed and "P7" not in placed
