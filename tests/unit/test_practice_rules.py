"""Full-time staff (专职巡察干部) per team and the home-unit release limit (被抽调单位放人
上限): each rule binds where it should (the optimum moves as predicted), its diagnosis
names the team or the unit, replacements respect both, and instances without the rules
hash as before."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assignment.assemble import assemble
from assignment.build import RoundPlan, build_instance
from assignment.diagnose import diagnose, precheck
from assignment.home_units import UnitLimit, unit_staff
from assignment.instance import Candidate, Instance, InstanceError, TeamSpec
from assignment.replacement import rank_replacements
from assignment.validate import objective, term_values, violations
from conflicts.policy import load_policy
from conflicts.screening import screen
from pool import records as r
from service.rounds import RoundFileError, read_round_file
from tests.records_builder import SnapshotBuilder
from tests.unit.test_assemble import EXACT, _proposal
from tests.unit.test_replacement import check_against_brute_force, small_rounds, teams_of

Teams = dict[int, dict[str, str]]


def cand(key: str, *, lead: bool = False, full_time: bool = False, unit: str | None = None,
         capacity: int = 1, gender: str = "M") -> Candidate:
    return Candidate(key, f"干部{key}", gender, (), leader_pool=lead, full_time=full_time,
                     home_unit=unit, capacity=capacity)


def team(no: int, *, size: int = 2, full_time_min: int = 0) -> TeamSpec:
    return TeamSpec(no, (f"U{no}",), size, size, 0, 0, full_time_min=full_time_min)


def solved(inst: Instance) -> Teams:
    p = assemble(inst, seed=1, settings=EXACT)
    assert p.status == "optimal", p.status
    assert violations(inst, p) == []
    teams = {t.no: {m.key: m.role for m in t.members} for t in p.teams}
    assert p.objective == objective(inst, term_values(inst, teams))
    return teams


# -- full-time staff -------------------------------------------------------------------

def test_a_team_minimum_of_full_time_staff_moves_the_optimum_as_predicted() -> None:
    cands = (cand("A", lead=True), cand("B"), cand("F", full_time=True))
    suit = {("B", 1): 5}  # without the rule B is the better member
    free = Instance("R", (team(1),), cands, suitability=suit)
    assert set(solved(free)[1]) == {"A", "B"}
    ruled = Instance("R", (team(1, full_time_min=1),), cands, suitability=suit)
    teams = solved(ruled)
    assert set(teams[1]) == {"A", "F"}
    assert objective(ruled, term_values(ruled, teams)) == \
        objective(free, term_values(free, solved(free))) - 5
    assert violations(ruled, _proposal(ruled, {1: {"A": "leader", "B": "member"}})) == [
        "第1组 / team 1: 专职巡察干部0人，须至少1人 / 0 full-time staff, needs 1"]
    [req] = [r for r in assemble(ruled, seed=1, settings=EXACT).teams[0].requirements
             if r.code == "full_time"]
    assert req.met and req.zh == "专职巡察干部1人（要求至少1人）：干部F"
    assert "full_time" not in {r.code for r in assemble(free, seed=1, settings=EXACT)
                               .teams[0].requirements}


def test_a_team_whose_full_time_staff_are_all_recused_is_diagnosed_by_name() -> None:
    cands = (cand("A", lead=True), cand("B"), cand("F", full_time=True))
    inst = Instance("R", (team(1, full_time_min=1),), cands,
                    recusals={("F", "U1"): frozenset({"leader", "deputy", "member"})})
    [finding] = [f for f in precheck(inst) if f.code == "full_time:1"]
    assert finding.zh.startswith("第1组须有至少1名专职巡察干部；可用的专职巡察干部有1人，可到本组的"
                                 "仅0人，其中1人须回避本组对象：干部F（F")
    assert "team 1 needs at least 1 full-time staff" in finding.en
    assert assemble(inst, seed=1, settings=EXACT).status == "infeasible"


def test_full_time_staff_short_across_teams_is_named_by_the_diagnostic_solve() -> None:
    """Counts alone pass (each team has enough full-time staff who may join it), but
    team 1 needs both who may serve on team 2 as well: the solve names both teams."""
    recused = frozenset({"leader", "deputy", "member"})
    cands = (cand("A1", lead=True), cand("A2", lead=True), cand("F1", full_time=True),
             cand("F2", full_time=True), cand("F3", full_time=True), cand("M1"), cand("M2"))
    inst = Instance("R", (team(1, size=3, full_time_min=2), team(2, size=3, full_time_min=1)),
                    cands, recusals={("F3", "U1"): recused, ("F3", "U2"): recused})
    assert precheck(inst) == []
    d = diagnose(inst)
    assert d.feasible is False
    codes = {f.code for f in d.findings}
    assert {"full_time:1", "full_time:2"} <= codes
    text = "\n".join(f.zh for f in d.findings)
    assert ("第1组须有至少2名专职巡察干部；可用的专职巡察干部有3人，其中1人须回避本组或不能到本组"
            in text)


def test_a_full_time_minimum_above_the_team_size_is_refused() -> None:
    with pytest.raises(InstanceError, match=r"专职巡察干部至少4人.*full_time_min 4"):
        Instance("R", (team(1, size=3, full_time_min=4),), (cand("A", lead=True),))


# -- home-unit release -------------------------------------------------------------------

def test_a_unit_cap_limits_the_people_drawn_from_one_unit_across_all_teams() -> None:
    cands = (cand("A1", lead=True), cand("A2", lead=True), cand("B1", unit="H1"),
             cand("B2", unit="H1"), cand("C1"), cand("C2"))
    suit = {("B1", 1): 5, ("B2", 2): 5}
    free = Instance("R", (team(1), team(2)), cands, suitability=suit)
    assert {k for m in solved(free).values() for k in m} >= {"B1", "B2"}
    capped = Instance("R", (team(1), team(2)), cands, suitability=suit,
                      unit_caps={"H1": 1}, unit_names={"H1": "市财政局"})
    teams = solved(capped)
    drawn = {k for m in teams.values() for k in m}
    assert len(drawn & {"B1", "B2"}) == 1
    assert objective(capped, term_values(capped, teams)) == \
        objective(free, term_values(free, solved(free))) - 5
    both = {1: {"A1": "leader", "B1": "member"}, 2: {"A2": "leader", "B2": "member"}}
    assert violations(capped, _proposal(capped, both)) == [
        "市财政局（H1）本轮抽调2人（B1、B2），至多1人 / unit H1 releases 2 people to the round,"
        " at most 1"]


def test_a_cadre_on_two_teams_counts_once_against_the_unit_cap() -> None:
    cands = (cand("A1", lead=True), cand("A2", lead=True), cand("B1", unit="H1", capacity=2),
             cand("B2", unit="H1"), cand("C1"), cand("C2"))
    inst = Instance("R", (team(1), team(2)), cands, suitability={("B1", 1): 5, ("B1", 2): 5},
                    unit_caps={"H1": 1})
    teams = solved(inst)
    assert "B1" in teams[1] and "B1" in teams[2]
    assert term_values(inst, teams)["suitability"] == 10  # B1's score on both teams


def test_a_unit_cap_that_cannot_hold_is_diagnosed_naming_the_unit() -> None:
    cands = (cand("A1", lead=True, unit="U00006"), cand("A2", lead=True, unit="U00006"),
             *(cand(f"C{i}") for i in range(4)))  # places enough; leaders not
    inst = Instance("R", (team(1), team(2)), cands, unit_caps={"U00006": 1},
                    unit_names={"U00006": "市财政局"})
    assert precheck(inst) == []
    d = diagnose(inst)
    assert d.feasible is False
    [unit] = [f for f in d.findings if f.code == "unit:U00006"]
    assert unit.zh == "市财政局（U00006）本轮至多抽调1人（该单位候选人2人）"
    assert "releases at most 1 people" in unit.en and "U00006" in unit.en


def test_unit_limits_round_down_with_at_least_one_and_take_the_smaller() -> None:
    assert UnitLimit(max=2).cap(100) == 2
    assert UnitLimit(share=0.2).cap(12) == 2  # 2.4 → 2
    assert UnitLimit(share=0.2).cap(10) == 2  # exactly 2, not 1 by a rounding slip
    assert UnitLimit(share=0.2).cap(4) == 1  # 0.8 → at least one
    assert UnitLimit(max=2, share=0.5).cap(10) == 2
    assert UnitLimit(max=5, share=0.1).cap(30) == 3
    assert not UnitLimit().active


# -- from the pool: staff counts, caps, flags -----------------------------------------------

AS_OF = dt.date(2026, 11, 1)
START, END = dt.date(2026, 12, 1), dt.date(2027, 1, 20)


def _city() -> SnapshotBuilder:
    """Unit UF (市财政局) with 4 seconded cadres and a full-time one, 10 staff on the day;
    unit UA with 1 cadre; the target UT."""
    b = SnapshotBuilder()
    b.unit("云川市审计局", key="UT")
    b.unit("云川市财政局", key="UF")
    b.unit("云川市农业农村局", key="UA")
    for i in range(5):
        b.cadre(b.person(f"财政{i}", "MF"[i % 2], key=f"F{i}"), "UF", leader_pool=i == 0,
                full_time=i == 4)
    b.cadre(b.person("农业0", key="A0"), "UA", leader_pool=True)
    for i in range(5):  # staff who are not cadres; one left, one not yet started
        b.job(b.person(f"职员{i}", key=f"S{i}"), "UF", dt.date(2015, 1, 1))
    b.job(b.person("已调离", key="S8"), "UF", dt.date(2010, 1, 1), dt.date(2020, 1, 1))
    b.job(b.person("未到岗", key="S9"), "UF", dt.date(2027, 1, 1))
    b.job("F1", "UF", dt.date(2018, 1, 1))  # a cadre with a job there counts once
    return b


def _built(b: SnapshotBuilder, **plan: object) -> Instance:
    snap = b.snapshot(AS_OF)
    result = screen(snap, load_policy("default"), sorted(snap.cadres), ["UT"], AS_OF,
                    period=(START, END))
    teams = plan.pop("teams", (TeamSpec(1, ("UT",), 3, 5, 0, 1),))
    inst, _ctx = build_instance(snap, result, RoundPlan(
        "R9", "第九轮", START, END, teams, **plan))  # type: ignore[arg-type]
    return inst


def test_a_units_staff_are_its_active_employees_and_its_cadres() -> None:
    snap = _city().snapshot(AS_OF)
    assert unit_staff(snap, ["UF", "UA", "UT"], AS_OF) == {"UA": 1, "UF": 10, "UT": 0}
    columnar = replace(snap, employments=r.RecordTable.from_records(
        r.Employment, snap.employments))
    assert unit_staff(columnar, ["UF", "UA", "UT"], AS_OF) == {"UA": 1, "UF": 10, "UT": 0}


def test_the_instance_caps_only_units_the_limit_can_bind_and_skips_full_time_staff() -> None:
    b = _city()
    inst = _built(b, home_unit_limit=UnitLimit(share=0.2))  # 10 staff → 2
    assert inst.unit_caps == {"UF": 2} and inst.unit_names == {"UF": "云川市财政局"}
    homes = {c.key: c.home_unit for c in inst.candidates}
    assert homes == {"F0": "UF", "F1": "UF", "F2": "UF", "F3": "UF", "F4": None, "A0": None}
    assert _built(b, home_unit_limit=UnitLimit(max=4)).unit_caps == {}  # 4 seconded: no bind
    plain = _built(b)
    assert plain.unit_caps == {} and all(c.home_unit is None for c in plain.candidates)
    assert not any(c.full_time for c in plain.candidates)  # no team asks: not in the hash
    wanted = (TeamSpec(1, ("UT",), 3, 5, 0, 1, full_time_min=1),)
    assert [c.key for c in _built(b, teams=wanted).candidates if c.full_time] == ["F4"]


def test_instances_without_the_rules_hash_as_before_and_the_rules_round_trip() -> None:
    from service.changes import instance_from_canonical

    cands = (cand("A", lead=True), cand("B"), cand("F"))
    plain = Instance("R", (team(1),), cands)
    data = plain.canonical()
    assert "unit_caps" not in data and "unit_names" not in data
    assert "full_time_min" not in data["teams"][0]
    assert all("full_time" not in c and "home_unit" not in c for c in data["candidates"])
    ruled = Instance("R", (team(1, full_time_min=1),),
                     (cand("A", lead=True), cand("B", unit="H1"), cand("F", full_time=True)),
                     unit_caps={"H1": 1}, unit_names={"H1": "市财政局"})
    back = instance_from_canonical(ruled.canonical(), ruled.input_hash)
    assert back == ruled and back.input_hash != plain.input_hash
    assert back.unit_caps == {"H1": 1} and back.by_key["F"].full_time


# -- replacements -------------------------------------------------------------------------

def test_a_full_time_seat_goes_to_full_time_staff_and_a_full_unit_gives_no_one() -> None:
    cands = (cand("A1", lead=True), cand("A2", lead=True), cand("F1", full_time=True),
             cand("F2", full_time=True), cand("M1"), cand("H1a", unit="H1"),
             cand("H1b", unit="H1"))
    inst = Instance("R", (team(1, full_time_min=1), team(2)), cands, unit_caps={"H1": 1})
    teams = {1: {"A1": "leader", "F1": "member"}, 2: {"A2": "leader", "H1a": "member"}}
    ranking = rank_replacements(inst, teams, 1, "F1")
    assert [o.cadre for o in ranking.options] == ["F2"]
    excluded = {e.code: e.examples for e in ranking.excluded}
    assert excluded["full_time"] == ("H1b", "M1")
    ranking = rank_replacements(inst, teams, 2, "H1a")  # H1a leaves: H1b may come
    assert "H1b" in [o.cadre for o in ranking.options]
    inst2 = replace(inst, teams=(team(1, size=3, full_time_min=1), team(2, size=3)))
    teams2 = {1: {"A1": "leader", "F1": "member", "M1": "member"},
              2: {"A2": "leader", "H1a": "member", "F2": "member"}}
    ranking = rank_replacements(inst2, teams2, 1, "M1")  # H1 already releases its one
    assert {e.code: e.examples for e in ranking.excluded}["home_unit"] == ("H1b",)


def test_a_seat_that_one_newcomer_cannot_make_full_time_enough_is_blocked() -> None:
    cands = (cand("A", lead=True, full_time=True), cand("F1", full_time=True), cand("M1"),
             cand("F2", full_time=True))
    inst = Instance("R", (TeamSpec(1, ("U1",), 3, 3, 0, 0, full_time_min=3),), cands)
    # a team already short (after a manual change): one newcomer cannot make it whole
    ranking = rank_replacements(inst, {1: {"A": "leader", "F1": "member", "M1": "member"}},
                                1, "A")
    assert not ranking.options
    assert ranking.none_zh is not None
    assert "须至少3名专职巡察干部，留任成员中仅1名" in ranking.none_zh


@st.composite
def small_rounds_with_rules(draw: st.DrawFn) -> Instance:
    inst = draw(small_rounds())
    teams = tuple(replace(t, full_time_min=draw(st.integers(0, 2))) for t in inst.teams)
    cands = tuple(replace(c, full_time=draw(st.booleans()),
                          home_unit=draw(st.sampled_from([None, "H1", "H2"])))
                  for c in inst.candidates)
    caps = draw(st.dictionaries(st.sampled_from(["H1", "H2"]), st.integers(1, 3), max_size=2))
    return replace(inst, teams=teams, candidates=cands, unit_caps=caps)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=small_rounds_with_rules())
def test_the_ranking_equals_trying_every_candidate_with_both_rules(inst: Instance) -> None:
    teams = teams_of(inst)
    assume(teams is not None)
    assert teams is not None
    check_against_brute_force(inst, teams)


# -- the round file ----------------------------------------------------------------------

ROUND = """key: R-practice
name: 专职与放人测试轮
start: 2026-12-01
end: 2027-01-20
teams:
  - targets: [U1]
  - targets: [U2]
    full_time_min: 2
"""


def _round(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "round.yaml"
    path.write_text(ROUND + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize(("extra", "limit"), [
    ("", UnitLimit()),
    ("home_unit_limit: 2\n", UnitLimit(max=2)),
    ("home_unit_limit:\n  share: 0.2\n", UnitLimit(share=0.2)),
    ("home_unit_limit: {max: 2, share: 0.25}\n", UnitLimit(max=2, share=0.25)),
])
def test_the_round_file_carries_both_rules_into_the_plan(tmp_path: Path, extra: str,
                                                         limit: UnitLimit) -> None:
    plan = read_round_file(_round(tmp_path, "defaults:\n  full_time_min: 1\n" + extra)).plan()
    assert [t.full_time_min for t in plan.teams] == [1, 2]  # default, then the team's own
    assert plan.home_unit_limit == limit
    plain = read_round_file(_round(tmp_path, "")).plan()
    assert [t.full_time_min for t in plain.teams] == [0, 2]


@pytest.mark.parametrize(("extra", "expected"), [
    ("home_unit_limit: 0\n", "须不小于 1（home_unit_limit.max）"),
    ("home_unit_limit: lots\n", "home_unit_limit 须为人数（如 2）或 {max: 2, share: 0.2}"),
    ("home_unit_limit: {}\n", "home_unit_limit 须给出 max（人数）或 share"),
    ("home_unit_limit: {share: 1.5}\n", "home_unit_limit"),
    ("home_unit_limit: {most: 2}\n", "未知的字段“most”（home_unit_limit）"),
    ("defaults:\n  full_time_min: -1\n", "defaults.full_time_min"),
    ("defaults:\n  size: [3, 4]\n  full_time_min: 5\n",
     "第1组至少5名专职巡察干部（full_time_min），超过本组人数上限4"),
])
def test_bad_practice_rules_in_the_round_file_are_named(tmp_path: Path, extra: str,
                                                         expected: str) -> None:
    with pytest.raises(RoundFileError) as err:
        read_round_file(_round(tmp_path, extra))
    text = str(err.value)
    assert expected in text and "round.yaml" in text and "Traceback" not in text


# -- stored input bundles ----------------------------------------------------------------

def test_a_bundle_stored_before_the_flag_existed_still_reads() -> None:
    """Bundles sealed before 0006 have no full_time / accountability columns: they read
    back with the defaults (seconded, no finding) and keep their hash check."""
    import gzip
    import hashlib
    import json

    from pool import bundle

    b = _city()
    b.round("R1", dt.date(2025, 3, 1))
    b.served("R1", "F1", 1, "member", "UT")
    b.evaluated("R1", "F1", "competent", on=dt.date(2025, 5, 1), accountability="隐情不报")
    snap = b.snapshot(AS_OF)
    blob, sha = bundle.encode(snap, {})
    back, _extra = bundle.decode(blob, sha)
    assert back.cadres["F4"].full_time and back.evaluations[0].accountability == "隐情不报"

    doc = json.loads(gzip.decompress(blob))
    for table, name in (("cadres", "full_time"), ("evaluations", "accountability")):
        fields = doc["tables"][table]["fields"]
        at = fields.index(name)
        assert at == len(fields) - 1
        doc["tables"][table]["fields"] = fields[:at]
        doc["tables"][table]["rows"] = [row[:at] for row in doc["tables"][table]["rows"]]
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    old, _extra = bundle.decode(gzip.compress(raw), hashlib.sha256(raw).hexdigest())
    assert not any(c.full_time for c in old.cadres.values())
    assert old.evaluations[0].accountability is None
    assert old.cadres["F1"] == replace(back.cadres["F1"], full_time=False)
    doc["tables"]["cadres"]["fields"][0] = "who"  # anything else still fails loudly
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(bundle.BundleError, match="fields differ"):
        bundle.decode(gzip.compress(raw), hashlib.sha256(raw).hexdigest())


def test_caps_that_leave_too_few_places_are_named_before_any_solve() -> None:
    cands = (cand("A1", lead=True), cand("A2", lead=True, unit="U00006"),
             *(cand(f"B{i}", unit="U00006") for i in range(4)))
    inst = Instance("R", (team(1, size=3), team(2, size=3)), cands, unit_caps={"U00006": 2},
                    unit_names={"U00006": "市财政局"})
    [finding] = [f for f in precheck(inst) if f.code == "pool:units"]
    assert finding.zh == ("各组合计至少需要6人次；按被抽调单位放人上限（市财政局（U00006）至多2人）"
                          "，候选人合计最多3人次")
    assert "U00006" in finding.en
    assert assemble(inst, seed=1, settings=EXACT).status == "infeasible"
