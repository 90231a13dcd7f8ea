"""Checking groups in a round file (docs/round-file.md): the catalogue, the defaults and a
team's own list become the teams' `GroupSpec`s; skills by name resolve to codes; a plan
without groups is untouched; every bad definition is an error saying what to change."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from assignment.instance import GroupSpec
from service.cross import CrossFile
from service.plan_problems import translate
from service.round_names import resolve_round
from service.rounds import RoundFile
from tests.unit.test_round_names import BASE, CATALOGUE

GROUPS = {"fa": {"name": "财务审计", "skills": ["审计", "finance"]},
          "law": {"name": "行政执法", "skills": ["行政执法"], "size": [2, 2]}}


def plan(**changes: Any) -> RoundFile:
    return RoundFile.model_validate(BASE | {
        "groups": GROUPS, "defaults": {"groups": ["fa", "law"]},
        "teams": [{"targets": ["U00003"], "groups": ["law", "fa"]}, {"targets": ["U00006"]},
                  {"targets": ["U00022"], "groups": []}]} | changes)


def problems(**changes: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        plan(**changes)
    return [f"{p.zh} / {p.en}" for p in translate(caught.value.errors(), RoundFile)]


def test_groups_reach_the_teams_with_skills_as_codes() -> None:
    teams = resolve_round(plan(), CATALOGUE).plan().teams
    fa = GroupSpec("fa", "财务审计", ("audit", "finance"))
    law = GroupSpec("law", "行政执法", ("law_enforcement",), 2, 2)
    assert [t.groups for t in teams] == [(law, fa), (fa, law), ()]


def test_a_round_without_groups_is_untouched() -> None:
    spec = RoundFile.model_validate(BASE | {"teams": [{"targets": ["U00003"]}]})
    assert resolve_round(spec, CATALOGUE) is spec
    assert spec.plan().teams[0].groups == ()
    assert "groups" not in spec.model_dump_json(exclude_unset=True)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"defaults": {"groups": ["laww"]}}, ["未定义的检查小组“laww”", "did you mean law?"]),
    ({"teams": [{"targets": ["U00003"], "groups": ["law", "law"]}]},
     ["第1组 teams[0].groups 重复写了检查小组 law"]),
    ({"groups": GROUPS | {"p": {"name": "信访", "skills": []}}}, ["groups.p.skills"]),
    ({"groups": GROUPS | {"p": {"name": "信访", "skills": ["x"], "size": [1, 3]}}},
     ["groups.p.size[0]", "2"]),
    ({"groups": GROUPS | {"p": {"name": "信访", "skills": ["x"], "size": [3, 2]}}},
     ["下限大于上限"]),
    ({"teams": [{"targets": ["U00003"], "size": [5, 5], "groups": ["fa", "law", "fa2"]}],
      "groups": GROUPS | {"fa2": {"name": "审计二", "skills": ["audit"]}}},
     ["第1组分为3个检查小组", "须6–8人", "5–5人"]),
])
def test_bad_group_definitions_say_what_to_change(changes: dict[str, Any],
                                                  expected: list[str]) -> None:
    found = problems(**changes)
    assert len(found) == 1 and all(e in found[0] for e in expected), found


def test_an_unknown_group_skill_is_named_with_what_was_meant() -> None:
    spec = plan(groups=GROUPS | {"law": {"name": "行政执法", "skills": ["行政执发"]}})
    with pytest.raises(ValueError, match=r"groups\.law\.skills") as caught:
        resolve_round(spec, CATALOGUE)
    assert "行政执法" in str(caught.value)


def test_a_cross_plan_refuses_checking_groups() -> None:
    with pytest.raises(ValidationError, match="交叉巡察计划暂不支持检查小组"):
        CrossFile.model_validate({
            "key": "X1", "name": "交叉", "start": "2027-03-01", "end": "2027-04-30",
            "defaults": {"groups": ["fa"]},
            "groups": [{"region": "320102", "targets": [["U00058"]]},
                       {"region": "320103", "targets": [["U00090"]]}]})
