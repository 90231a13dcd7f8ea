"""The sample round with a full-time staff minimum (专职巡察干部) and a home-unit release
limit (被抽调单位放人上限) on, as the CLI and the API take it: every team has its
full-time staff, no home unit gives more people than its cap, the instance changes only
when a rule is on, the round page shows the rules, and bad values are a 422 naming the
field."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pool.db import make_engine, transaction
from service.decisions import create_round
from service.rounds import RoundFile
from tests.e2e.api_client import Api
from tests.e2e.test_api_pool import sample
from tests.e2e.test_cli_round_names import ROOT, SAMPLE_ROUND, assemble, written
from tests.e2e.test_web_rounds import signed_in


def _run(tmp_path: Path, url: str, text: str) -> dict[str, Any]:
    code, output = assemble(written(tmp_path, "rules.yaml", text), url, "--json")
    assert code == 0, output
    return dict(json.loads(output))


def test_the_sample_round_keeps_full_time_staff_and_the_home_unit_limit(
        city_sqlite_url: str, tmp_path: Path) -> None:
    cadres = {c["人员编号"]: c for c in sample("cadres")}
    staff = {k for k, c in cadres.items() if c.get("是否专职巡察干部") == "是"}
    assert len(staff) >= 8  # the sample city marks full-time staff (是否专职巡察干部)
    plain = _run(tmp_path, city_sqlite_url, SAMPLE_ROUND)
    text = SAMPLE_ROUND.replace("defaults:", "home_unit_limit: 1\ndefaults:\n  full_time_min: 1",
                                1)
    ruled = _run(tmp_path, city_sqlite_url, text)
    assert ruled["diagnosis"] is None and ruled["proposal"]["teams"], ruled["diagnosis"]
    drawn: Counter[str] = Counter()
    for team in ruled["proposal"]["teams"]:
        keys = {m["key"] for m in team["members"]}
        assert keys & staff, team["no"]  # at least one full-time member on every team
        drawn.update(cadres[k]["所在单位"] for k in keys - staff)
    assert max(drawn.values()) == 1  # one person per home unit across all teams
    assert ruled["input_hash"] != plain["input_hash"]
    again = _run(tmp_path, city_sqlite_url, SAMPLE_ROUND)
    assert again["input_hash"] == plain["input_hash"]  # without the rules: as before


@pytest.mark.parametrize(("change", "field"), [
    ({"defaults": {"full_time_min": -1}}, "plan.defaults.full_time_min"),
    ({"teams": [{"targets": ["U00003"], "full_time_min": "two"}]}, "plan.teams.0.full_time_min"),
    ({"home_unit_limit": 0}, "plan.home_unit_limit.max"),
    ({"home_unit_limit": {"share": 2}}, "plan.home_unit_limit.share"),
    ({"home_unit_limit": {}}, "plan.home_unit_limit"),
])
def test_bad_staffing_values_are_a_422_naming_the_field(
        sqlite_api: Api, change: dict[str, Any], field: str) -> None:
    plan = {"key": "R-FT", "name": "专职与放人", "start": "2027-03-01", "end": "2027-04-30",
            "teams": [{"targets": ["U00003"]}]} | change
    r = sqlite_api.post("/v1/rounds", "organizer", json={"plan": plan})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"].startswith(field), r.text
    assert sqlite_api.get("/v1/rounds/R-FT", "organizer").status_code == 404


def test_the_round_page_shows_the_staffing_rules(city_sqlite_url: str) -> None:
    plan = {"key": "R-FT", "name": "专职与放人", "start": "2027-03-01", "end": "2027-04-30",
            "defaults": {"full_time_min": 1},
            "teams": [{"targets": ["U00003"]}, {"targets": ["U00006"], "full_time_min": 2}],
            "home_unit_limit": {"max": 2, "share": 0.2}}
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        create_round(session, RoundFile.model_validate(plan), region=None, actor="tests")
        create_round(session, RoundFile.model_validate(
            plan | {"key": "R-PLAIN", "defaults": {}, "home_unit_limit": None,
                    "teams": [{"targets": ["U00003"]}]}), region=None, actor="tests")
    engine.dispose()
    with signed_in(city_sqlite_url, "林组织") as b:
        page, plain = b.get("/rounds/R-FT").text, b.get("/rounds/R-PLAIN").text
    assert "每组至少1名，第2组至少2名" in page
    assert "同一所在单位本轮至多2人，且不超过单位人数的20%（向下取整，至少1人）" in page
    assert "专职巡察干部" not in plain and "被抽调单位" not in plain


def test_the_round_file_documentation_example_reads(tmp_path: Path) -> None:
    """The example of docs/round-file.md's section reads as a round file."""
    doc = (ROOT / "docs" / "round-file.md").read_text(encoding="utf-8")
    block = doc.split("### 专职巡察干部与被抽调单位")[1].split("```yaml")[1].split("```")[0]
    lines = [line for line in block.splitlines() if not line.lstrip().startswith("#")]
    text = SAMPLE_ROUND.split("defaults:")[0] + "\n".join(lines)
    from service.rounds import read_round_file

    plan = read_round_file(written(tmp_path, "doc.yaml", text)).plan()
    assert plan.teams[0].full_time_min == 2 and plan.home_unit_limit.max == 2
