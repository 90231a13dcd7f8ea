"""Issue 15, items 2 and 6: the round's age and retirement rules and its post-round
evaluation rules leave exactly the cadres they name out of the instance, with reasons a
person can act on; the evaluation soft term prefers commended leaders, and rounds that
use none of it build and hash the instances they built before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assignment.assemble import SolveSettings, assemble
from assignment.build import RoundPlan, build_instance
from assignment.diagnose import precheck
from assignment.eligibility import AgeRule, EvaluationRule
from assignment.instance import Candidate, Instance, TeamSpec, Weights
from assignment.validate import term_values, violations
from conflicts.policy import load_policy
from conflicts.screening import screen
from pool.records import Snapshot
from service.changes import instance_from_canonical
from service.rounds import RoundFileError, read_round_file
from tests.records_builder import CITY, SnapshotBuilder

AS_OF = dt.date(2026, 11, 1)
START, END = dt.date(2026, 12, 1), dt.date(2027, 1, 20)
D = dt.date


def _pool(births: dict[str, tuple[str | None, dt.date | None]]) -> SnapshotBuilder:
    """One cadre per entry (key → gender, birth), each of their own home unit."""
    b = SnapshotBuilder()
    b.unit("云川市财政局", key="U_T", region=CITY)
    for n, (key, (gender, birth)) in enumerate(births.items()):
        b.person(f"干部{key}", gender, key=key, birth=birth)
        b.cadre(key, b.unit(f"西岭区第{n}单位", key=f"U_H{n}", region="320903",
                            system="health"), leader_pool=True, deputy_pool=True)
    return b


def _build(snap: Snapshot, **kw: object) -> tuple[Instance, dict[str, list[tuple[str, str]]]]:
    team = TeamSpec(1, ("U_T",), 2, 4, 1, 1)
    plan = RoundPlan("R9", "第九轮", START, END, (team,), **kw)  # type: ignore[arg-type]
    result = screen(snap, load_policy("default"), sorted(snap.cadres), ["U_T"], AS_OF,
                    period=(START, END))
    instance, ctx = build_instance(snap, result, plan)
    return instance, ctx.excluded


# -- age and retirement ------------------------------------------------------------------

AGES = {
    "young": ("M", D(1985, 6, 1)),
    "old": ("F", D(1971, 10, 15)),  # 55; a woman cadre born then retires at 55y6m, 2027-04
    "fifty_nine": ("M", D(1967, 6, 1)),  # 59; retires at 60y8m on 2028-02-01: just in time
    "retired": ("M", D(1964, 10, 1)),  # reached 60 in 2024-10
    "sixty": ("M", D(1966, 2, 10)),  # 60; retired at 60y4m in 2026-06
    "no_birth": ("M", None),
    "young_no_gender": (None, D(1990, 1, 1)),
    "no_gender": (None, D(1970, 3, 1)),  # a woman would retire 2025-04, a man 2030-…
}


def test_without_age_rules_nobody_is_left_out_for_age() -> None:
    instance, excluded = _build(_pool(AGES).snapshot(AS_OF))
    assert excluded == {}
    assert len(instance.candidates) == len(AGES)


def test_max_age_and_retirement_margin_leave_out_exactly_the_cadres_they_name() -> None:
    snap = _pool(AGES).snapshot(AS_OF)
    _inst, excluded = _build(snap, age=AgeRule(max_age=58, retirement_margin_months=14))
    zh = {k: [r[0] for r in v] for k, v in excluded.items()}
    assert set(zh) == {"fifty_nine", "retired", "sixty", "no_birth", "no_gender", "old"}
    # retiring on 2028-02-01, exactly 14 months after the start: the age cap alone bars
    assert zh["fifty_nine"] == ["本轮开始时59岁，超过年龄上限58岁"]
    assert zh["retired"][-1] == "已于2024年10月达到法定退休年龄（60岁）"
    assert zh["sixty"] == ["本轮开始时60岁，超过年龄上限58岁",
                           "已于2026年6月达到法定退休年龄（60岁4个月）"]
    assert zh["old"] == ["2027年4月达到法定退休年龄（55岁6个月，距本轮开始不足14个月）"]
    assert "请在人员信息中补填出生日期" in zh["no_birth"][0]
    assert zh["no_gender"] == ["性别未填写，无法计算法定退休年龄；请在人员信息中补填性别"]
    en = dict(excluded["old"])
    assert en[zh["old"][0]].startswith("reaches the statutory retirement age (55 years 6 "
                                       "months) in 2027-04, less than 14 months")


def test_the_retirement_margin_alone_also_bars_those_already_retired() -> None:
    snap = _pool(AGES).snapshot(AS_OF)
    _inst, excluded = _build(snap, age=AgeRule(retirement_margin_months=0))
    assert set(excluded) == {"retired", "sixty", "no_birth", "no_gender"}
    _inst, excluded = _build(snap, age=AgeRule(max_age=65))  # the cap alone: the same
    assert set(excluded) == {"retired", "sixty", "no_birth", "no_gender"}


def test_a_round_short_of_leaders_says_which_were_left_out_and_why() -> None:
    b = _pool(AGES)
    b.unit("云川市教育局", key="U_T2", region=CITY, system="education")
    snap = b.snapshot(AS_OF)
    teams = (TeamSpec(1, ("U_T",), 2, 4, 1, 1), TeamSpec(2, ("U_T2",), 2, 4, 1, 1))
    plan = RoundPlan("R9", "第九轮", START, END, teams, age=AgeRule(max_age=40))
    result = screen(snap, load_policy("default"), sorted(snap.cadres), ["U_T", "U_T2"],
                    AS_OF, period=(START, END))
    instance, ctx = build_instance(snap, result, plan)
    assert {c.key for c in instance.candidates} == {"young_no_gender"}  # 36, no gender
    findings = {f.code: f for f in precheck(instance, ctx)}
    text = findings["pool:leaders"].zh
    assert "另有7名组长库干部本轮不能参加" in text
    assert "干部old（old：本轮开始时55岁，超过年龄上限40岁）" in text
    assert "young (aged 41 at the round's start, over the limit of 40)" in \
        findings["pool:leaders"].en


# -- evaluations -------------------------------------------------------------------------

def _evaluated() -> Snapshot:
    b = _pool({k: ("M", D(1980, 1, 1)) for k in ("bad", "hid", "old_bad", "good", "mixed",
                                                 "fine")})
    b.round("R7", D(2026, 3, 1))  # ended 2026-04-10
    b.round("R3", D(2023, 3, 1))  # ended 2023-04-10: outside a 24-month window
    b.evaluated("R7", "bad", "incompetent")
    b.evaluated("R7", "hid", "competent", accountability="隐情不报")
    b.evaluated("R3", "old_bad", "incompetent")
    b.evaluated("R7", "good", "excellent")
    b.evaluated("R7", "mixed", "excellent", on=D(2026, 5, 1))
    b.evaluated("R3", "mixed", "basic", on=D(2025, 6, 1))  # evaluated late: inside
    return b.snapshot(AS_OF)


def test_evaluations_bar_by_grade_and_finding_within_the_window_only() -> None:
    snap = _evaluated()
    _inst, excluded = _build(snap)  # no window: evaluations play no part
    assert excluded == {}
    _inst, excluded = _build(snap, evaluations=EvaluationRule(window_months=24))
    assert set(excluded) == {"bad", "hid"}
    assert excluded["bad"][0][0] == ("巡后评估：R7轮巡察（R7）评为不称职（24个月内不再选配）")
    assert excluded["hid"][0][0] == ("巡后评估：R7轮巡察（R7）评为称职，问责情况：隐情不报"
                                     "（24个月内不再选配）")
    assert "accountability finding: 隐情不报" in excluded["hid"][0][1]
    _inst, excluded = _build(snap, evaluations=EvaluationRule(
        window_months=48, bar_grades=("incompetent", "basic"), bar_accountability=False))
    assert set(excluded) == {"bad", "old_bad", "mixed"}


def test_commended_only_when_the_soft_term_is_weighted() -> None:
    snap = _evaluated()
    rule = EvaluationRule(window_months=24)
    inst, _ex = _build(snap, evaluations=rule)
    assert not any(c.commended for c in inst.candidates)
    inst, _ex = _build(snap, evaluations=rule, weights=Weights(commended=30))
    assert {c.key for c in inst.candidates if c.commended} == {"good"}  # mixed: 基本称职


# -- the soft term -----------------------------------------------------------------------

def _instance(weight: int) -> Instance:
    cands = tuple(Candidate(f"C{i}", f"干部{i}", "MF"[i % 2], ("audit",), leader_pool=True,
                            deputy_pool=True, commended=i in (2, 5)) for i in range(6))
    teams = (TeamSpec(1, ("U1",), 2, 3, 1, 1), TeamSpec(2, ("U2",), 2, 3, 1, 1))
    return Instance("R", teams, cands, weights=Weights(commended=weight))


def test_the_soft_term_puts_commended_cadres_in_the_lead_and_is_reported() -> None:
    inst = _instance(50)
    proposal = assemble(inst, seed=5, settings=SolveSettings(tolerance=0))
    assert violations(inst, proposal) == []
    leaders = {t.leader.key for t in proposal.teams}
    assert leaders == {"C2", "C5"}
    terms = {t.name: t for t in proposal.terms}
    assert terms["commended"].value == 2 and terms["commended"].contribution == 100
    teams = {t.no: {m.key: m.role for m in t.members} for t in proposal.teams}
    assert term_values(inst, teams)["commended"] == 2
    hand = {1: {"C0": "leader", "C2": "deputy"}, 2: {"C5": "leader", "C1": "deputy"}}
    assert term_values(inst, hand)["commended"] == 1


def test_without_the_weight_the_term_is_absent_and_the_hash_is_as_before() -> None:
    inst = _instance(0)
    proposal = assemble(inst, seed=5, settings=SolveSettings(tolerance=0))
    assert "commended" not in {t.name for t in proposal.terms}
    assert "commended" not in term_values(inst, {1: {"C0": "leader"}})
    # the same instance as sealed before `commended` existed (computed with that code)
    cands = (Candidate("A", "甲", "M", ("audit",), leader_pool=True, veteran=True),
             Candidate("B", "乙", "F", ("finance",), deputy_pool=True, recent_rounds=1),
             Candidate("C", "丙", "M", ("finance",), trainee=True, led_targets=("U1",)))
    old = Instance("R1", (TeamSpec(1, ("U1",), 2, 3, 1, 1, (("finance", 1),)),), cands,
                   {("C", "U1"): frozenset({"leader"})}, weights=Weights(),
                   skill_names={"audit": "审计", "finance": "财务"})
    assert "commended" not in str(old.canonical())
    assert old.input_hash == "2cb0d48cc26a5f4684a9a633270fb804f8a3b0d0626d131c6da124a3098c3188"


def test_a_stored_instance_with_the_new_fields_comes_back_whole() -> None:
    inst = _instance(30)
    back = instance_from_canonical(inst.canonical(), inst.input_hash)
    assert back == inst
    assert {c.key for c in back.candidates if c.commended} == {"C2", "C5"}
    assert back.weights.commended == 30


# -- the round file ----------------------------------------------------------------------

ROUND = """key: R-age
name: 年龄测试轮
start: 2026-12-01
end: 2027-01-20
teams:
  - targets: [U1]
"""


def _read(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "round.yaml"
    path.write_text(ROUND + extra, encoding="utf-8")
    with pytest.raises(RoundFileError) as err:
        read_round_file(path)
    return str(err.value)


def test_round_file_carries_the_rules_into_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "round.yaml"
    path.write_text(ROUND + """max_age: 55
retirement_margin_months: 6
evaluations:
  window_months: 24
  bar_grades: [incompetent, basic]
weights:
  commended: 20
""", encoding="utf-8")
    plan = read_round_file(path).plan()
    assert plan.age.max_age == 55 and plan.age.retirement_margin_months == 6
    assert plan.age.rule().name == "cn-2024"
    assert plan.evaluations == EvaluationRule(24, ("incompetent", "basic"), True,
                                              ("excellent", "competent"))
    assert plan.weights.commended == 20
    path.write_text(ROUND, encoding="utf-8")
    plain = read_round_file(path).plan()
    assert not plain.age.on and plain.evaluations.window_months == 0


@pytest.mark.parametrize(("extra", "expected"), [
    ("max_age: -3\n", "max_age"),
    ("retirement_margin_months: -1\n", "retirement_margin_months"),
    ("evaluations:\n  bar_grades: [terrible]\n", "evaluations.bar_grades[0]"),
    ("retirement_rule: cn-1978\n", "可用：cn-2024"),
    ("retirement_rule: ../../etc/passwd\n", "retirement_rule"),
    ("weights:\n  commended: 10\n", "evaluations.window_months"),
    ("evaluations:\n  window: 12\n", "did you mean window_months?"),
])
def test_bad_values_in_the_round_file_are_named(tmp_path: Path, extra: str,
                                                expected: str) -> None:
    text = _read(tmp_path, extra)
    assert expected in text
    assert "round.yaml" in text and "Traceback" not in text
