"""The engine on the sample city, from the database: every screened recusal has an
explanation with the same rules, and every piece of evidence is a chain of real records
from the cadre to the target."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conflicts.evidence import explain
from conflicts.index import ConflictIndex
from conflicts.policy import load_policy
from conflicts.screening import screen_index
from pool.db import make_engine, transaction, upgrade
from pool.importer import import_path
from pool.snapshot import load_snapshot
from service.cli import app

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "city"
AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sample')}/city.sqlite3"
    upgrade(url)
    with transaction(make_engine(url)) as session:
        import_path(session, SAMPLE)
    return url


@pytest.fixture(scope="module")
def index(sample_url: str) -> ConflictIndex:
    with transaction(make_engine(sample_url)) as session:
        return ConflictIndex(load_snapshot(session, AS_OF), AS_OF)


@pytest.mark.parametrize("policy_name", ["default", "leader-strict", "supervision-narrow"])
def test_explanations_agree_with_the_screening_and_rest_on_records(
        index: ConflictIndex, policy_name: str) -> None:
    policy = load_policy(policy_name)
    cadres = sorted(index.cadres)
    units = sorted(index.snapshot.units)
    result = screen_index(index, policy, cadres, units)
    by_rule: dict[str, list[tuple[str, str]]] = {}
    for r in result.recusals():
        by_rule.setdefault(r.rule_id, []).append((r.cadre_key, r.target_key))
    # every rule of the policy that can fire does fire somewhere in the sample city
    assert {"employment", "kin-in-target", "kin-business", "region", "system", "supervision",
            "leadership-ties", "declared"} <= set(by_rule)
    rng = random.Random(5)
    pairs = {p for hits in by_rule.values() for p in rng.sample(hits, min(15, len(hits)))}
    pairs |= {(rng.choice(cadres), rng.choice(units)) for _ in range(40)}
    ties = {t.key: t for t in index.snapshot.ties}
    employments = {e.key: e for e in index.snapshot.employments}
    for cadre, unit in sorted(pairs):
        ex = explain(index, policy, cadre, unit)
        assert [r.rule_id for r in ex.reasons] == \
            [r.rule_id for r in result.reasons(cadre, unit)], (cadre, unit)
        for reason in ex.reasons:
            assert reason.evidence, (cadre, unit, reason.rule_id)
            for evidence in reason.evidence:
                _check_chain(evidence.edges, cadre, unit, ties, employments)


def _check_chain(edges: Any, cadre: str, unit: str, ties: Any, employments: Any) -> None:
    assert edges[0].source_key == cadre and edges[-1].target_key == unit
    for a, b in itertools.pairwise(edges):
        assert a.target_key == b.source_key
    for e in edges:
        if e.record and e.record.startswith("tie:"):
            tie = ties[e.record[4:]]
            if e.relation == "parent_of":  # source's parent is target
                assert (tie.subject_key, tie.object_person_key) == (e.target_key, e.source_key)
            elif e.relation == "child_of":
                assert (tie.subject_key, tie.object_person_key) == (e.source_key, e.target_key)
            elif e.relation == "spouse_of":
                assert {tie.subject_key, tie.object_person_key} == {e.source_key, e.target_key}
                assert tie.valid_on(AS_OF)
            elif e.relation in ("business_interest", "recusal"):
                assert (tie.subject_key, tie.object_unit_key) == (e.source_key, e.target_key)
        if e.record and e.record.startswith("employment:"):
            job = employments[e.record[11:]]
            assert (job.person_key, job.unit_key) == (e.source_key, e.target_key)
            assert (job.start, job.end) == (e.start, e.end)


def test_recusals_command_explains_one_pair_as_json(index: ConflictIndex,
                                                    sample_url: str) -> None:
    policy = load_policy("default")
    hit = next(r for r in screen_index(index, policy, sorted(index.cadres),
                                       sorted(index.snapshot.units)).recusals()
               if r.rule_id == "kin-in-target")
    result = CliRunner().invoke(app, ["recusals", "--cadre", hit.cadre_key, "--unit",
                                      hit.target_key, "--as-of", AS_OF.isoformat(), "--json",
                                      "--database-url", sample_url])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["policy_hash"] == policy.hash
    (ex,) = payload["explanations"]
    assert ex["recused"] is True
    reason = next(r for r in ex["reasons"] if r["rule_id"] == "kin-in-target")
    assert reason["evidence"][0]["edges"][-1]["target_key"] == hit.target_key


def test_recusals_command_over_all_units_prints_both_languages(index: ConflictIndex,
                                                               sample_url: str) -> None:
    cadre = sorted(index.cadres)[0]
    result = CliRunner().invoke(app, ["recusals", "--cadre", cadre, "--as-of", "2026-11-01",
                                      "--database-url", sample_url])
    assert result.exit_code == 0, result.output
    assert "回避审查" in result.output and "依据" in result.output and "basis" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--cadre", "P_NOBODY"], "没有人员编号或姓名为“P_NOBODY”的人员"),
    (["--cadre", "P00000001"], "此人不在巡察干部人才库中"),
    (["--cadre", "{cadre}", "--unit", "U_NOWHERE"], "没有单位编号或名称为“U_NOWHERE”的单位"),
    (["--cadre", "{cadre}", "--policy", "lenient"], "找不到回避规则"),
    (["--cadre", "{cadre}", "--as-of", "2026-02-30"], "日期无效"),
])
def test_recusals_command_rejects_bad_input_clearly(index: ConflictIndex, sample_url: str,
                                                    args: list[str], message: str) -> None:
    args = [a.format(cadre=sorted(index.cadres)[0]) for a in args]
    result = CliRunner().invoke(app, ["recusals", *args, "--database-url", sample_url])
    assert result.exit_code != 0
    assert message in result.output


def test_assemble_command_staffs_the_sample_round_reproducibly(sample_url: str) -> None:
    args = ["assemble", str(SAMPLE.parent / "rounds" / "2026-4.yaml"), "--json",
            "--database-url", sample_url]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    proposal = data["proposal"]
    assert proposal["status"] in ("optimal", "feasible") and not proposal["wall_limit_hit"]
    assert len(proposal["teams"]) == 8
    for team in proposal["teams"]:
        assert all(r["met"] for r in team["requirements"])
        assert [m["role"] for m in team["members"]].count("leader") == 1
    # the command only draws trials: marked so, with the seed that drew it (the file's)
    assert data["trial"] is True and "commitment" not in data
    assert data["seed"] == proposal["seed"] == 20261201
    assert proposal["input_hash"] == data["input_hash"]
    again = json.loads(CliRunner().invoke(app, args).output)
    for run in (data, again):
        run["proposal"].pop("runtime_s")
        run["proposal"].pop("deterministic_time")
    assert again == data
    other = json.loads(CliRunner().invoke(app, [*args, "--seed", "7"]).output)
    assert other["trial"] is True and other["seed"] == other["proposal"]["seed"] == 7
    assert other["proposal"]["teams"] != data["proposal"]["teams"]


@pytest.mark.parametrize(("content", "message"), [
    ("key: R\nname: n\nstart: 2027-01-01\nend: 2026-01-01\nteams: [{targets: [U00003]}]\n",
     "start 2027-01-01 is after end"),
    ("key: R\nname: n\nstart: 2026-12-01\nend: 2027-01-01\nseed: 1\n"
     "teams: [{targets: [U_NOWHERE]}]\n", "没有编号或名称为“U_NOWHERE”的单位"),
    ("key: R\nname: n\nstart: 2026-12-01\nend: 2027-01-01\nseed: 1\nbogus: 1\n"
     "teams: [{targets: [U00003]}]\n", "bogus"),
    ("key: R\nname: n\nstart: 2026-12-01\nend: 2027-01-01\nteams: [{targets: [U00003]}]\n",
     "没有抽签种子"),
])
def test_assemble_command_rejects_a_bad_round_file(sample_url: str, tmp_path: Path,
                                                   content: str, message: str) -> None:
    path = tmp_path / "round.yaml"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["assemble", str(path), "--database-url", sample_url])
    assert result.exit_code == 1
    assert message in result.output


def test_assemble_command_explains_a_round_that_cannot_be_staffed(sample_url: str,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "round.yaml"
    path.write_text("key: R\nname: n\nstart: 2026-12-01\nend: 2027-01-01\nseed: 1\n"
                    "defaults: {skills: {it: 40}}\nteams: [{targets: [U00003]}]\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["assemble", str(path), "--database-url", sample_url])
    assert result.exit_code == 3
    assert "无法组建" in result.output and "第1组需要40名" in result.output


def test_round_file_loads_and_suitability_are_read(tmp_path: Path) -> None:
    from service.rounds import RoundFileError, read_round_file

    path = tmp_path / "round.yaml"
    path.write_text("key: R\nname: n\nstart: 2026-12-01\nend: 2027-01-01\n"
                    "teams: [{targets: [U00003]}]\ncadres: {P1: {capacity: 2, minimum: 1}}\n"
                    "suitability: {P1: {1: 30}}\n", encoding="utf-8")
    plan = read_round_file(path).plan()
    assert plan.loads == (("P1", 2, 1),) and plan.suitability == (("P1", 1, 30),)
    path.write_text("key: R\nname: n\nstart: 2026-12-01\nend: 2027-01-01\n"
                    "teams: [{targets: [U00003]}]\nsuitability: {P1: {4: 30}}\n",
                    encoding="utf-8")
    with pytest.raises(RoundFileError, match="suitability names teams"):
        read_round_file(path)


def test_cross_plan_takes_min_per_side_only_in_the_exchange_mode(tmp_path: Path) -> None:
    from service.cross import read_cross_file
    from service.rounds import RoundFileError

    path = tmp_path / "plan.yaml"
    base = ("key: X\nname: n\nstart: 2027-03-01\nend: 2027-04-01\nmin_per_side: 2\n"
            "groups: [{region: '320102', targets: [[U00052]]}, "
            "{region: '320103', targets: [[U00070]]}]\n")
    path.write_text(base, encoding="utf-8")
    with pytest.raises(RoundFileError, match="min_per_side 只用于互派"):
        read_cross_file(path)
    path.write_text(base + "mode: exchange\n", encoding="utf-8")
    assert read_cross_file(path).min_per_side == 2
    path.write_text(base + "mode: swap\n", encoding="utf-8")
    with pytest.raises(RoundFileError, match="mode"):
        read_cross_file(path)


def test_pair_command_rotates_the_counties_and_staffs_each_from_its_own_cadres(
        sample_url: str, index: ConflictIndex) -> None:
    from assignment.pairing import Group, Pair, Pairing, PairingInstance, violations

    plan = SAMPLE.parent / "rounds" / "2027-cross.yaml"
    result = CliRunner().invoke(app, ["pair", str(plan), "--json", "--database-url",
                                      sample_url])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    pairs = data["pairing"]["pairs"]
    groups = tuple(Group(g["key"], g["name"], g["sends"], g["receives"]) for g in data["groups"])
    inst = PairingInstance("X", groups, rotation=True)
    plan_pairs = Pairing("X", "optimal", 0, 0, 0.0, tuple(
        Pair(p["sender"], p["receiver"], p["teams"], 0, 0, "", "") for p in pairs), {}, 0, "",
        0.0, 0.0)
    assert violations(inst, plan_pairs) == []
    snap = index.snapshot
    receiver_of = {p["sender"]: p["receiver"] for p in pairs}
    for sender, proposal in data["teams"].items():
        assert proposal["status"] in ("optimal", "feasible")
        for team in proposal["teams"]:
            for unit in team["targets"]:  # the team inspects its receiver's units
                assert snap.units[unit].region_code.startswith(receiver_of[sender][:6])
            for member in team["members"]:  # with cadres from the sending county only
                home = snap.units[snap.cadres[member["key"]].home_unit_key]
                assert home.region_code.startswith(sender[:6])


def test_pair_command_rejects_an_unknown_region(sample_url: str, tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("key: X\nname: n\nstart: 2027-03-01\nend: 2027-04-01\nseed: 1\n"
                    "groups: [{region: '999999', targets: [[U00052]]}, "
                    "{region: '320103', targets: [[U00070]]}]\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["pair", str(path), "--database-url", sample_url])
    assert result.exit_code == 1 and "999999" in result.output


def test_elevated_round_draws_from_the_higher_level_and_applies_the_region_rule_lower(
        sample_url: str, index: ConflictIndex, tmp_path: Path) -> None:
    base = ("key: E1\nname: 提级巡察\nstart: 2026-12-01\nend: 2027-01-15\nas_of: 2026-11-01\n"
            "seed: 5\nkind: elevated\npool_region: '320100'\n"
            "defaults: {size: [5, 6], deputies: [1, 1], skills: {finance: 1}}\n"
            "teams: [{targets: [U00064, U00065]}, {targets: [U00066, U00067]}]\n")
    town, county = tmp_path / "town.yaml", tmp_path / "county.yaml"
    town.write_text(base + "region_level: town\n", encoding="utf-8")
    county.write_text(base, encoding="utf-8")
    runs = {}
    for name, path in (("town", town), ("county", county)):
        result = CliRunner().invoke(app, ["assemble", str(path), "--json", "--database-url",
                                          sample_url])
        assert result.exit_code == 0, result.output
        runs[name] = json.loads(result.output)
    snap = index.snapshot
    for team in runs["town"]["proposal"]["teams"]:
        for member in team["members"]:  # only cadres of the city's own units
            assert snap.units[snap.cadres[member["key"]].home_unit_key].region_code == "320100"
    regional = {name: sum(n for targets in run["recusals_by_team"].values()
                          for counts in targets.values()
                          for rule, n in counts["by_rule"].items() if rule == "region")
                for name, run in runs.items()}
    assert regional["town"] < regional["county"]
    assert runs["town"]["policy_hash"] != runs["county"]["policy_hash"]


def test_pair_command_prefers_short_trips_when_distances_are_given(sample_url: str,
                                                                   tmp_path: Path) -> None:
    plan = (SAMPLE.parent / "rounds" / "2027-cross.yaml").read_text(encoding="utf-8")
    # make 东溪区→梅坞县 free (a pairing not used recently) and every other trip from 东溪区
    # very long
    far = {code: 900 for code in ("320103", "320104", "320121", "320122", "320123", "320124",
                                  "320181")}
    extra = "distance_weight: 100\ndistances:\n  '320102': {" + ", ".join(
        f"'{k}': {v}" for k, v in far.items()) + "}\n"
    path = tmp_path / "plan.yaml"
    path.write_text(plan + extra, encoding="utf-8")
    result = CliRunner().invoke(app, ["pair", str(path), "--json", "--database-url",
                                      sample_url])
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.output)["pairing"]["pairs"]
    assert {p["receiver"] for p in pairs if p["sender"] == "320102"} == {"320125"}


def test_pair_command_staffs_exchange_teams_from_two_sides(sample_url: str,
                                                           index: ConflictIndex) -> None:
    from assignment.exchange import exchange_violations
    from assignment.pairing import Group, Pair, Pairing, PairingInstance

    plan = SAMPLE.parent / "rounds" / "2027-exchange.yaml"
    args = ["pair", str(plan), "--json", "--database-url", sample_url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "exchange" and data["feasible"]
    groups = tuple(Group(g["key"], g["name"], g["sends"], g["receives"]) for g in data["groups"])

    def pairing(pairs: list[dict[str, Any]]) -> Pairing:
        return Pairing("X", "optimal", 0, 0, 0.0, tuple(
            Pair(p["sender"], p["receiver"], p["teams"], 0, 0, "", "") for p in pairs), {}, 0,
            "", 0.0, 0.0)

    assert exchange_violations(PairingInstance("X", groups, rotation=True),
                               pairing(data["pairing"]["pairs"]),
                               pairing(data["partners"]["pairs"])) == []
    proposal, specs = data["exchange"]["proposal"], data["exchange"]["teams"]
    assert proposal["status"] in ("optimal", "feasible") and not proposal["wall_limit_hit"]
    assert len(specs) == len(proposal["teams"]) == 9
    snap = index.snapshot
    placed = []
    for spec, team in zip(specs, proposal["teams"], strict=True):
        assert team["targets"] == spec["targets"]
        assert all(snap.units[u].region_code.startswith(spec["receiver"]) for u in team["targets"])
        sides = (spec["lead_side"], spec["deputy_side"])
        for m in team["members"]:
            home = snap.units[snap.cadres[m["key"]].home_unit_key]
            assert home.region_code.startswith(m["side"])  # the side is where they work
            assert m["side"] == {"leader": sides[0], "deputy": sides[1]}.get(m["role"],
                                                                             m["side"])
            assert m["side"] in sides
            placed.append((m["key"], m["role"], tuple(team["targets"])))
        for side in sides:
            assert sum(m["role"] == "member" and m["side"] == side for m in team["members"]) >= 1
        assert all(r["met"] for r in team["requirements"])
    assert len({key for key, _r, _t in placed}) == len(placed)  # nobody on two teams
    # both sides' cadres are screened against the inspected units
    screening = screen_index(index, load_policy("default"), sorted(k for k, _r, _t in placed),
                             sorted({u for _k, _r, units in placed for u in units}),
                             period=(dt.date(2027, 3, 1), dt.date(2027, 4, 15)))
    barred = {(r.cadre_key, r.target_key): {"member" if x.value == "liaison" else x.value
                                            for x in r.roles}
              for r in screening.recusals() if r.hard}
    assert barred  # some of them are recused from some of the units, in some role
    for key, role, units in placed:
        assert all(role not in barred.get((key, u), set()) for u in units), (key, role)
    again = json.loads(CliRunner().invoke(app, args).output)
    for run in (data, again):
        run["exchange"]["proposal"].pop("runtime_s")
        run["exchange"]["proposal"].pop("deterministic_time")
    assert again == data


def test_pair_command_says_why_an_exchange_cannot_be_paired(sample_url: str,
                                                            tmp_path: Path) -> None:
    plan = (SAMPLE.parent / "rounds" / "2027-exchange.yaml").read_text(encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(plan.replace("recent_rounds: 0", "recent_rounds: 3"), encoding="utf-8")
    result = CliRunner().invoke(app, ["pair", str(path), "--database-url", sample_url])
    assert result.exit_code == 3
    assert "各需组长一方和副组长一方" in result.output and "lead and a partner" in result.output
