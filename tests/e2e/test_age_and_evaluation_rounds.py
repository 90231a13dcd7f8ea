"""The sample round with the age, retirement and evaluation rules on (issue 15, items 2
and 6), as the CLI and the API take it: the cadres left out show with their reasons in
`assemble --json`, the evaluation soft term is reported, and bad values are refused
naming the field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pool.db import make_engine, transaction
from service.decisions import create_round
from service.rounds import RoundFile
from tests.e2e.api_client import Api
from tests.e2e.test_cli_round_names import SAMPLE_ROUND, assemble, written
from tests.e2e.test_web_rounds import signed_in

# the sample round without its own age and evaluation rules, to add them one by one
BASE_ROUND = re.sub(r"(?m)^retirement_margin_months:.*\n|^evaluations:.*\n(?:  .*\n)*", "",
                    SAMPLE_ROUND)


def _run(tmp_path: Path, url: str, extra: str) -> dict[str, Any]:
    code, output = assemble(written(tmp_path, "rules.yaml", BASE_ROUND + extra), url,
                            "--json")
    assert code == 0, output
    return dict(json.loads(output))


def test_age_and_evaluation_exclusions_show_with_their_reasons(city_sqlite_url: str,
                                                               tmp_path: Path) -> None:
    assert "evaluations:" in SAMPLE_ROUND and "evaluations:" not in BASE_ROUND
    assert "retirement_margin_months" not in BASE_ROUND
    plain = _run(tmp_path, city_sqlite_url, "")
    ruled = _run(tmp_path, city_sqlite_url, "max_age: 55\nretirement_margin_months: 12\n"
                 "evaluations:\n  window_months: 36\nweights:\n  commended: 30\n")
    added = {k: v for k, v in ruled["excluded"].items() if k not in plain["excluded"]}
    reasons = [r for v in added.values() for r in v]
    assert any("超过年龄上限55岁" in r for r in reasons)
    assert any("达到法定退休年龄" in r for r in reasons)  # women cadres past 55 y m
    assert any(r.startswith("巡后评估：") and "不称职" in r for r in reasons)
    assert all("岁" in r or "巡后评估" in r or "出生日期" in r or "性别" in r for r in reasons)
    assert ruled["candidates"] == plain["candidates"] - len(added)
    assert "commended" in {t["name"] for t in ruled["proposal"]["terms"]}
    assert "commended" not in {t["name"] for t in plain["proposal"]["terms"]}
    assert ruled["input_hash"] != plain["input_hash"]


@pytest.mark.parametrize(("change", "field"), [
    ({"max_age": -1}, "plan.max_age"),
    ({"retirement_rule": "cn-1978"}, "plan.retirement_rule"),
    ({"evaluations": {"bar_grades": ["terrible"]}}, "plan.evaluations.bar_grades"),
    ({"weights": {"commended": 5}}, "plan"),
])
def test_bad_age_and_evaluation_values_are_a_422_naming_the_field(
        sqlite_api: Api, change: dict[str, Any], field: str) -> None:
    plan = {"key": "R-AGE", "name": "年龄规则", "start": "2027-03-01", "end": "2027-04-30",
            "teams": [{"targets": ["U00003"]}]} | change
    r = sqlite_api.post("/v1/rounds", "organizer", json={"plan": plan})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"].startswith(field), r.text
    assert sqlite_api.get("/v1/rounds/R-AGE", "organizer").status_code == 404


def test_the_round_page_shows_the_rules_the_plan_turns_on(city_sqlite_url: str) -> None:
    plan = {"key": "R-AGE", "name": "年龄规则", "start": "2027-03-01", "end": "2027-04-30",
            "teams": [{"targets": ["U00003"]}], "max_age": 55,
            "retirement_margin_months": 6,
            "evaluations": {"window_months": 24, "bar_grades": ["incompetent", "basic"]},
            "weights": {"commended": 30}}
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        create_round(session, RoundFile.model_validate(plan), region=None, actor="tests")
        create_round(session, RoundFile.model_validate(
            plan | {"key": "R-PLAIN", "max_age": None, "retirement_margin_months": None,
                    "evaluations": {}, "weights": {}}), region=None, actor="tests")
    engine.dispose()
    with signed_in(city_sqlite_url, "林组织") as b:
        page, plain = b.get("/rounds/R-AGE").text, b.get("/rounds/R-PLAIN").text
    assert "本轮开始时不超过55周岁" in page
    assert "法定退休日期须在本轮开始6个月之后" in page and "cn-2024" in page
    assert "24个月内评为不称职、基本称职或有问责情况的不选配" in page
    assert "优先由评估均为优秀、称职者任组长（权重30）" in page
    assert "年龄上限" not in plain and "巡后评估" not in plain
