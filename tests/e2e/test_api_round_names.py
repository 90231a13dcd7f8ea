"""POST /v1/rounds with a plan in the office's words (issue 13): skills by Chinese name and
targets by unit name are stored as codes and keys, exactly as the plan written in codes;
an unknown or ambiguous value is a 422 listing every problem with what was meant, and
nothing is stored or audited as created."""

from __future__ import annotations

from typing import Any

from tests.e2e.api_client import Api

PLAN: dict[str, Any] = {"key": "R-NAMES", "name": "名称检查", "start": "2027-03-01",
                        "end": "2027-04-30"}
UNITS_HEADER = "单位编号,单位名称,行政区划,系统,上级单位,业务主管单位,单位类别\n"


def add_units(api: Api, *rows: str) -> None:
    data = (UNITS_HEADER + "\n".join(rows) + "\n").encode("utf-8")
    r = api.post("/v1/imports", "admin", files=[("files", ("units.csv", data))])
    assert r.status_code == 200, r.text


def created_events(api: Api) -> int:
    events = api.get("/v1/audit/events", "auditor", params={"kind": "round.create"}).json()
    return int(events["total"])


def test_names_are_stored_as_the_codes_and_keys_they_name(api: Api) -> None:
    add_units(api, "U09001,𠮷祥街道办事处,320102,party_mass,,,党政机关")
    named = PLAN | {"defaults": {"skills": {"财务": 1, "审计": 1}},
                    "teams": [{"targets": ["云川市公安局"], "depth": {"工程": 1}},
                              {"targets": [" 𠮷祥街道\u200b办事处 ", "U00012"]}]}
    coded = PLAN | {"key": "R-CODES", "defaults": {"skills": {"finance": 1, "audit": 1}},
                    "teams": [{"targets": ["U00003"], "depth": {"engineering": 1}},
                              {"targets": ["U09001", "U00012"]}]}
    by_name = api.post("/v1/rounds", "organizer", json={"plan": named})
    assert by_name.status_code == 201, by_name.text
    by_code = api.post("/v1/rounds", "organizer", json={"plan": coded})
    assert by_code.status_code == 201, by_code.text
    stored = by_name.json()["plan"]
    assert stored["defaults"]["skills"] == {"finance": 1, "audit": 1}
    assert [t["targets"] for t in stored["teams"]] == [["U00003"], ["U09001", "U00012"]]
    assert by_name.json()["plan_text"] == by_code.json()["plan_text"].replace(
        "R-CODES", "R-NAMES")


def test_a_misspelt_skill_is_a_422_with_the_skill_meant_and_nothing_stored(api: Api
                                                                          ) -> None:
    before = created_events(api)
    r = api.post("/v1/rounds", "organizer", json={"plan": PLAN | {"teams": [
        {"targets": ["U00003"]}, {"targets": ["云川市财政厅"], "skills": {"finace": 1}}]}})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_round" and error["field"] == "plan.teams.1.targets.0"
    assert [d["field"] for d in error["details"]] == ["plan.teams.1.targets.0",
                                                      "plan.teams.1.skills.finace"]
    skill = error["details"][1]
    assert skill["zh"] == ("未知的专业特长“finace”（第2组 teams[1].skills）："
                           "你是否要写 finance（财务）？")
    assert skill["suggestions"] == ["finance（财务）"] and "did you mean" in skill["en"]
    assert "云川市财政局 U00006（云川市）" in error["details"][0]["suggestions"]
    assert "2处问题" in error["zh"]
    assert api.get("/v1/rounds/R-NAMES", "organizer").status_code == 404
    assert created_events(api) == before


def test_an_ambiguous_unit_name_lists_both_units(api: Api) -> None:
    add_units(api, "U09002,云川市审计局,320102,finance,,,党政机关")
    r = api.post("/v1/rounds", "organizer",
                 json={"plan": PLAN | {"teams": [{"targets": ["云川市审计局"]}]}})
    assert r.status_code == 422, r.text
    [detail] = r.json()["error"]["details"]
    assert "有2个单位名为“云川市审计局”" in detail["zh"]
    assert "云川市审计局 U00022（云川市）" in detail["zh"]
    assert "云川市审计局 U09002（东溪区）" in detail["zh"]
    assert detail["suggestions"] == ["U00022", "U09002"]
    assert api.get("/v1/rounds/R-NAMES", "organizer").status_code == 404


def test_a_slashed_date_and_a_misspelt_key_are_said_in_chinese(api: Api) -> None:
    r = api.post("/v1/rounds", "organizer", json={"plan": PLAN | {
        "as_of": "2026/11/01", "teams": [{"targets": ["U00003"]},
                                         {"targets": ["U00004"], "dpeth": {"finance": 1}}]}})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == "plan.as_of"
    date, key = error["details"]
    assert date["zh"] == ("日期须写成 YYYY-MM-DD，如 2026-11-01（plan.as_of）：所写为 2026/11/01；"
                          "你是否要写 2026-11-01？")
    assert key["field"] == "plan.teams.1.dpeth"
    assert key["zh"].startswith("未知的字段“dpeth”（第2组 plan.teams[1]）：可用字段 targets、")
    assert key["suggestions"] == ["depth"]
    assert "Extra inputs" not in r.text and "separator" not in r.text
    assert api.get("/v1/rounds/R-NAMES", "organizer").status_code == 404
