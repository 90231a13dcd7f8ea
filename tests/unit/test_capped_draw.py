"""The draw under probability caps as a proposal (issue 16): every drawn team set keeps
every hard rule, the record says which set the seed chose and an auditor can recompute
it from the record alone, the frequencies over many seeds follow the exact marginals of
the distribution, and the distribution and the pick are the same in another process."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from assignment.capped_draw import DISTRIBUTION_SEED, cap_sentence, capped_proposal, percent
from assignment.capped_teams import CapSettings, capped_teams
from assignment.validate import violations
from service.plan_problems import RoundFileError
from service.rounds import RoundFile, read_round_file
from tests.unit.test_capped_teams import _instance, every_team_set

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"draw": "capped"}


def _members(proposal_teams: object) -> dict[int, dict[str, str]]:
    return {t.no: {m.key: m.role for m in t.members} for t in proposal_teams}  # type: ignore[attr-defined]


def _recomputed_pick(capped: dict, seed: int) -> int:
    """What an auditor does with the record: u from the published hash, then the first
    team set whose cumulative weight exceeds it (1-based)."""
    digest = hashlib.sha256(b"xuncha-capped-team-draw-v1\x00" + str(seed).encode()).hexdigest()
    assert digest == capped["draw_digest"]
    u = Fraction(int(digest, 16), 2**256)
    acc = Fraction(0)
    for k, row in enumerate(capped["distribution"], start=1):
        acc += Fraction(row["weight"])
        if u < acc:
            return k
    return len(capped["distribution"])


def test_every_drawn_team_set_is_valid_and_its_record_recomputes_the_pick() -> None:
    inst = _instance(6, 4, 2)
    dist = capped_teams(inst, CapSettings.of("0.5", "0.5"), DISTRIBUTION_SEED)
    assert dist.status == "optimal" and len(dist.columns) > 1
    drawn = Counter()
    for seed in range(300):
        p = capped_proposal(inst, dist, seed, PARAMS)
        assert p.feasible and violations(inst, p) == []
        c = p.capped
        assert c is not None
        chosen = c["distribution"][c["drawn"] - 1]
        assert {t["no"]: {x["key"]: x["role"] for x in t["members"]}
                for t in chosen["teams"]} == _members(p.teams)  # the record names the set
        assert p.objective == chosen["objective"]
        assert c["probability"] == chosen["weight"]
        assert _recomputed_pick(c, seed) == c["drawn"]
        assert float(Fraction(c["draw_point"])) == pytest.approx(
            int(c["draw_digest"], 16) / 2**256, abs=1e-12)
        drawn[c["drawn"]] += 1
    assert len(drawn) > 1  # the seed matters: not every draw is the same set


@pytest.mark.parametrize(("cap", "leader_cap"), [("0.5", "0.5"), ("0.4", "0.25")])
def test_frequencies_over_many_seeds_follow_the_exact_marginals_and_stay_under_the_caps(
        cap: str, leader_cap: str) -> None:
    inst = _instance(6, 4, 4)
    assert every_team_set(inst)
    dist = capped_teams(inst, CapSettings.of(cap, leader_cap, pricing_time=5.0))
    assert dist.status == "optimal"
    # the exact marginals of the distribution, from its team sets and weights
    exact: Counter[tuple[str, int]] = Counter()
    lead: Counter[tuple[str, int]] = Counter()
    for col, w in zip(dist.columns, dist.weights, strict=True):
        for pair in col.pairs():
            exact[pair] += w
        for pair in col.leaders():
            lead[pair] += w
    assert max(exact.values()) <= float(cap) + 1e-9
    assert max(lead.values()) <= float(leader_cap) + 1e-9
    n = 2000
    seen: Counter[tuple[str, int]] = Counter()
    led: Counter[tuple[str, int]] = Counter()
    for seed in range(n):
        p = capped_proposal(inst, dist, seed, PARAMS)
        for t in p.teams:
            for m in t.members:
                seen[(m.key, t.no)] += 1
                led[(m.key, t.no)] += m.role == "leader"
    for pair in set(exact) | set(seen):
        q = exact[pair]
        assert abs(seen[pair] / n - q) <= 4.5 * (q * (1 - q) / n) ** 0.5 + 1e-9, pair
    for pair in set(lead) | set(led):
        q = lead[pair]
        assert abs(led[pair] / n - q) <= 4.5 * (q * (1 - q) / n) ** 0.5 + 1e-9, pair


def test_caps_that_cannot_be_met_give_an_empty_proposal_naming_the_smallest_caps() -> None:
    inst = _instance(6, 3, 1)
    dist = capped_teams(inst, CapSettings.of("1", "0.1"))
    p = capped_proposal(inst, dist, 5, PARAMS)
    assert not p.feasible and p.teams == ()
    assert p.capped is not None and p.capped["smallest"] is not None
    assert "drawn" not in p.capped
    assert "概率上限无法满足" in p.capped["explanation"][0]
    assert f"{float(Fraction(p.capped['smallest'][1])):.1%}" in p.capped["explanation"][0]


def test_the_sentence_says_the_caps_as_people_read_them() -> None:
    assert cap_sentence(Fraction(1, 5), Fraction(1, 5))[0] == \
        "任何一名干部进入某一巡察组的概率不超过 20%"
    zh, en = cap_sentence(Fraction(1, 5), Fraction(1, 10))
    assert zh == "任何一名干部进入某一巡察组的概率不超过 20%，担任某一巡察组组长的概率不超过 10%"
    assert "above 20%" in en and "above 10%" in en
    assert percent(Fraction(1, 8)) == "12.5%" and percent(Fraction(1, 3)) == "33.33%"


def test_sealed_cap_settings_read_back_exactly_and_unknown_ones_are_refused() -> None:
    settings = CapSettings.of("0.4482", "0.1", pricing_time=3.0)
    sealed = json.loads(json.dumps(settings.sealed()))
    assert sealed["cap"] == "2241/5000"
    back = CapSettings.from_sealed(sealed)
    assert back.sealed() == settings.sealed() and back.cap == Fraction("0.4482")
    with pytest.raises(ValueError, match="unknown sealed cap settings"):
        CapSettings.from_sealed(sealed | {"tolerance": 0.5})


_PROCESS = """
import json, sys
sys.path.insert(0, {root!r})
from assignment.capped_draw import DISTRIBUTION_SEED, capped_proposal
from assignment.capped_teams import CapSettings, capped_teams
from tests.unit.test_capped_teams import _instance
inst = _instance(7, 5, 3)
dist = capped_teams(inst, CapSettings.of("0.4", "0.25", pricing_time=5.0), DISTRIBUTION_SEED)
out = []
for seed in (1, 2, 3, 2**255 + 7):
    p = capped_proposal(inst, dist, seed, {{}})
    out.append([p.capped["distribution_sha256"], p.capped["drawn"],
                p.canonical_json()])
print(json.dumps(out))
"""


def test_the_distribution_and_the_pick_are_identical_in_another_process() -> None:
    def run() -> list[list[object]]:
        done = subprocess.run([sys.executable, "-c", _PROCESS.format(root=str(ROOT))],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        return json.loads(done.stdout)

    first, second = run(), run()
    assert first == second
    assert len({row[0] for row in first}) == 1  # the seed does not change the distribution
    here = capped_proposal(
        _instance(7, 5, 3),
        capped_teams(_instance(7, 5, 3), CapSettings.of("0.4", "0.25", pricing_time=5.0),
                     DISTRIBUTION_SEED), 1, {})
    assert here.capped is not None and here.capped["distribution_sha256"] == first[0][0]
    assert here.canonical_json() == first[0][2]


def _round(**extra: object) -> dict[str, object]:
    return {"key": "R1", "name": "第一轮", "start": "2027-03-01", "end": "2027-04-30",
            "teams": [{"targets": ["U1"]}]} | extra


def test_a_round_file_takes_caps_and_leader_cap_defaults_to_cap() -> None:
    rf = RoundFile.model_validate(_round(cap=0.2))
    caps = rf.cap_settings()
    assert caps is not None and caps.cap == caps.leader_cap == Fraction(1, 5)
    both = RoundFile.model_validate(_round(cap=0.2, leader_cap=0.1)).cap_settings()
    assert both is not None and both.leader_cap == Fraction(1, 10)
    assert RoundFile.model_validate(_round()).cap_settings() is None


@pytest.mark.parametrize(("extra", "words"), [
    ({"cap": 0}, "cap"), ({"cap": 1.5}, "cap"), ({"cap": 0.12345678}, "六位"),
    ({"leader_cap": 0.1}, "leader_cap"), ({"cap": "多"}, "cap")])
def test_bad_caps_in_a_round_file_name_the_key_and_say_what_to_do(
        tmp_path: Path, extra: dict[str, object], words: str) -> None:
    path = tmp_path / "round.json"
    path.write_text(json.dumps(_round(**extra), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RoundFileError) as err:
        read_round_file(path)
    assert words in str(err.value)


def test_a_budget_that_runs_out_is_not_reported_as_a_round_that_cannot_be_staffed() -> None:
    """The province round (19,867 candidates × 60 teams) found no first team set within
    the pricing budget; it can be staffed (the uncapped draw does), so the answer must be
    "too large for caps", never "cannot be staffed"."""
    from service.rounds import caps_diagnosis

    inst = _instance(6, 4, 2)
    dist = capped_teams(inst, CapSettings.of("0.5", final_time=0.0))
    assert dist.status == "unknown" and not dist.columns
    assert "规模过大" in dist.explanation[0] and "remove cap" in dist.explanation[0]
    p = capped_proposal(inst, dist, 1, PARAMS)
    assert not p.feasible and p.status == "unknown"
    found = caps_diagnosis(p)
    assert found is not None and [f.code for f in found.findings] == ["caps"]
    assert "规模过大" in found.findings[0].zh and "too large" in found.findings[0].en
    # a round with no eligible leader is proven unstaffable, and said so
    none = capped_teams(_instance(6, 0, 2), CapSettings.of("0.5"))
    assert none.status == "unstaffable" and "不设概率上限也无解" in none.explanation[0]
    assert caps_diagnosis(capped_proposal(_instance(6, 0, 2), none, 1, PARAMS)) is None
