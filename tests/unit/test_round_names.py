"""Round files in the office's words (issue 13): skills by Chinese name, targets by unit
name, resolved into the codes and keys a plan is stored and sealed with; every unknown or
ambiguous value reported at once, with what was probably meant; pydantic's errors in
Chinese naming the team and the field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.cross import CrossFile
from service.plan_problems import RoundFileError, translate
from service.round_names import SUGGESTED_AT_MOST, Catalogue, resolve_cross, resolve_round
from service.rounds import RoundFile

CATALOGUE = Catalogue(
    skills=(("finance", "财务", "finance"), ("audit", "审计", "audit"),
            ("engineering", "工程", "engineering"), ("law_enforcement", "行政执法",
                                                       "administrative law enforcement")),
    units=(("U00003", "云川市公安局", "320100", "云川市"),
           ("U00006", "云川市财政局", "320100", "云川市"),
           ("U00022", "云川市审计局", "320100", "云川市"),
           ("U00058", "东溪区审计局", "320102", "东溪区"),
           ("U00090", "𠮷祥街道办事处", "320102", "东溪区"),
           ("U00091", "云川市审计局", "320102", "东溪区")),  # the name a second time
    cadres=frozenset({"P00000367", "P00000400"}))

BASE: dict[str, Any] = {"key": "R1", "name": "第一轮", "start": "2027-03-01",
                        "end": "2027-04-30"}


def round_file(**changes: Any) -> RoundFile:
    return RoundFile.model_validate(BASE | changes)


def refusal(spec: RoundFile, catalogue: Catalogue = CATALOGUE) -> RoundFileError:
    with pytest.raises(RoundFileError) as caught:
        resolve_round(spec, catalogue)
    return caught.value


def test_names_resolve_to_the_same_plan_as_codes_and_keys() -> None:
    named = round_file(defaults={"skills": {"财务": 1, "审计": 1}},
                       teams=[{"targets": ["云川市公安局"], "depth": {"工程": 2}},
                              {"targets": [" 云川市 财政局\u200b", "U00058"],
                               "skills": {"Finance": 2, "行政执法": 1}}])
    coded = round_file(defaults={"skills": {"finance": 1, "audit": 1}},
                       teams=[{"targets": ["U00003"], "depth": {"engineering": 2}},
                              {"targets": ["U00006", "U00058"],
                               "skills": {"finance": 2, "law_enforcement": 1}}])
    resolved = resolve_round(named, CATALOGUE)
    assert resolved.plan() == coded.plan()
    assert resolved.model_dump_json(exclude_unset=True) == \
        coded.model_dump_json(exclude_unset=True)


def test_a_plan_in_codes_and_keys_is_returned_untouched() -> None:
    coded = round_file(defaults={"skills": {"audit": 1, "finance": 1}},
                       teams=[{"targets": ["U00003"]}], cadres={"P00000367": {"capacity": 2}})
    assert resolve_round(coded, CATALOGUE) is coded  # stored and hashed as before


def test_a_misspelt_skill_is_refused_with_the_skill_meant() -> None:
    error = refusal(round_file(teams=[{"targets": ["U00003"]},
                                      {"targets": ["U00006"], "skills": {"finace": 1}}]))
    [problem] = error.problems
    assert problem.field == "teams.1.skills.finace"
    assert problem.zh == ("未知的专业特长“finace”（第2组 teams[1].skills）："
                          "你是否要写 finance（财务）？")
    assert "did you mean finance" in problem.en
    assert problem.suggestions == ("finance（财务）",)


def test_a_misspelt_chinese_skill_name_is_answered_too() -> None:
    error = refusal(round_file(defaults={"depth": {"审记": 1}}, teams=[{"targets": ["U00003"]}]))
    assert error.problems[0].suggestions == ("audit（审计）",)


def test_every_problem_is_listed_at_once() -> None:
    error = refusal(round_file(
        defaults={"skills": {"finace": 1}},
        teams=[{"targets": ["云川市财政厅"]}, {"targets": ["U00003"], "depth": {"法律": 1}}],
        cadres={"P99999999": {"capacity": 1}}))
    fields = [p.field for p in error.problems]
    assert fields == ["defaults.skills.finace", "teams.0.targets.0", "teams.1.depth.法律",
                      "cadres.P99999999"]
    assert "云川市财政局 U00006（云川市）" in error.problems[1].zh
    assert "4处问题" in str(error) and "finance（财务）" in str(error)


def test_an_ambiguous_unit_name_lists_every_unit_of_that_name() -> None:
    error = refusal(round_file(teams=[{"targets": ["云川市审计局"]}]))
    [problem] = error.problems
    assert "有2个单位名为“云川市审计局”" in problem.zh
    assert "云川市审计局 U00022（云川市）" in problem.zh
    assert "云川市审计局 U00091（东溪区）" in problem.zh
    assert problem.suggestions == ("U00022", "U00091")


def test_a_name_outside_the_visible_regions_is_neither_found_nor_suggested() -> None:
    scoped = Catalogue(CATALOGUE.skills, CATALOGUE.units, visible=frozenset({"320102"}))
    resolved = resolve_round(round_file(teams=[{"targets": ["云川市审计局", "U00003"]}]), scoped)
    assert resolved.teams[0].targets == ["U00091", "U00003"]  # keys are found anywhere
    error = refusal(round_file(teams=[{"targets": ["云川市公安局"]}]), scoped)
    assert "U00003" not in str(error)


def test_a_name_outside_the_basic_plane_resolves() -> None:
    resolved = resolve_round(round_file(teams=[{"targets": ["𠮷祥街道 办事处"]}]), CATALOGUE)
    assert resolved.teams[0].targets == ["U00090"]


def test_the_same_skill_or_unit_twice_is_refused() -> None:
    error = refusal(round_file(teams=[{"targets": ["U00003", "云川市公安局"],
                                       "skills": {"finance": 1, "财务": 2}}]))
    messages = [p.zh for p in error.problems]
    assert any("是同一项 finance（财务）" in m for m in messages)
    assert any("同一单位 云川市公安局 U00003（云川市） 写了两次" in m for m in messages)


def test_unknown_cadres_are_refused_with_the_key_meant() -> None:
    error = refusal(round_file(teams=[{"targets": ["U00003"]}],
                               suitability={"P0000367": {1: 5}}))
    assert error.problems[0].field == "suitability.P0000367"
    assert error.problems[0].suggestions == ("P00000367",)


def test_only_the_first_unknown_values_are_searched_for_what_was_meant() -> None:
    # a `cadres:` table of 500 near-miss keys: every one refused, the first 20 with
    # the key meant, the rest listed without (each search runs over the whole pool)
    near = {f"P0000036{n:04}": {"capacity": 1} for n in range(500)}
    many = Catalogue(CATALOGUE.skills, CATALOGUE.units,
                     cadres=frozenset(f"P000003{n:05}" for n in range(5_000)))
    error = refusal(round_file(teams=[{"targets": ["U00003"]}], cadres=near), many)
    assert len(error.problems) == 500
    suggested = [p for p in error.problems if p.suggestions]
    assert len(suggested) == SUGGESTED_AT_MOST
    assert suggested == list(error.problems[:SUGGESTED_AT_MOST])


def test_a_cross_plan_names_units_and_skills_too() -> None:
    plan = CrossFile.model_validate(BASE | {
        "defaults": {"skills": {"审计": 1}},
        "groups": [{"region": "320102", "targets": [["云川市公安局"]]},
                   {"region": "320103", "targets": [["东溪区审计局", "finace"]]}]})
    with pytest.raises(RoundFileError) as caught:
        resolve_cross(plan, CATALOGUE)
    [problem] = caught.value.problems
    assert problem.zh.startswith(
        "没有编号或名称为“finace”的单位（第2分组 groups[1].targets[0][1]）")
    fixed = plan.model_copy(update={"groups": [plan.groups[0], plan.groups[1].model_copy(
        update={"targets": [["东溪区审计局"]]})]})
    resolved = resolve_cross(fixed, CATALOGUE)
    assert resolved.defaults.skills == {"audit": 1}
    assert [g.targets for g in resolved.groups] == [[["U00003"]], [["U00058"]]]


# -- pydantic's errors, in Chinese -------------------------------------------------------

def problems_of(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as caught:
        RoundFile.model_validate(data)
    return [(p.field, p.zh, p.en) for p in translate(caught.value.errors(), RoundFile)]


def test_a_date_with_slashes_is_answered_in_chinese_with_the_date_meant() -> None:
    [(field, zh, en)] = problems_of(BASE | {"as_of": "2026/11/01",
                                            "teams": [{"targets": ["U1"]}]})
    assert field == "as_of"
    assert zh == ("日期须写成 YYYY-MM-DD，如 2026-11-01（as_of）：所写为 2026/11/01；"
                  "你是否要写 2026-11-01？")
    assert "YYYY-MM-DD" in en and "separator" not in en


def test_a_misspelt_key_names_the_team_the_fields_and_the_key_meant() -> None:
    [(field, zh, en)] = problems_of(BASE | {"teams": [{"targets": ["U1"]},
                                                      {"targets": ["U2"], "dpeth": {}}]})
    assert field == "teams.1.dpeth"
    assert zh == ("未知的字段“dpeth”（第2组 teams[1]）：可用字段 targets、size、deputies、"
                  "skills、depth、groups、full_time_min；你是否要写 depth？")
    assert en.startswith("unknown field 'dpeth' (team 2, teams[1])")
    assert "Extra inputs" not in zh + en


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"start": "2027-05-01"}, "", "开始日期 start 2027-05-01 晚于结束日期 end 2027-04-30"),
    ({"teams": [{"targets": ["U1"], "size": [5]}]}, "teams.0.size.1",
     "每组人数须写成 [下限, 上限]，如 [5, 7]（第1组 teams[0].size）"),
    ({"teams": [{"targets": ["U1"], "size": [7, 5]}]}, "teams.0.size",
     "范围 [7, 5] 的下限大于上限（第1组 teams[0].size）"),
    ({"teams": [{"targets": ["U1"], "deputies": [0, 80]}]}, "teams.0.deputies.1",
     "副组长人数须写成 [下限, 上限]"),
    ({"teams": []}, "teams", "至少1项（teams）"),
    ({"teams": [{"targets": "U1"}]}, "teams.0.targets", "须为列表，如 [U00003]（第1组"),
    ({"teams": [{"targets": ["U1"], "skills": {"finance": "两"}}]},
     "teams.0.skills.finance", "须为整数（第1组 teams[0].skills.finance）：所写为 两"),
    ({"key": None, "teams": [{"targets": ["U1"]}]}, "key", "须为文字（key）"),
    ({"teams": [{"targets": ["U1"]}], "weights": {"rotaton": 1}}, "",
     "未知的权重 ['rotaton']"),
])
def test_each_kind_of_mistake_is_said_in_chinese(change: dict[str, Any], field: str,
                                                 words: str) -> None:
    [(got_field, zh, en)] = problems_of(BASE | {"teams": [{"targets": ["U1"]}]} | change)
    assert got_field == field and words in zh, zh
    assert en and en != zh and "Input should" not in en


def test_a_missing_key_is_named() -> None:
    problems = problems_of({"name": "n", "start": "2027-03-01", "end": "2027-04-30",
                            "teams": [{"size": [5, 7]}]})
    assert [(f, zh) for f, zh, _en in problems] == [
        ("key", "缺少必填字段“key”"),
        ("teams.0.targets", "缺少必填字段“targets”（第1组 teams[0]）")]
