"""A round's key, name, policy and kind are checked before anything is stored, the same
on SQLite and PostgreSQL: a key that could not be addressed afterwards, a name that would
break a printed page, or a value longer than its column is a 422 naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.api_client import Api

PLAN = {"key": "R-IN", "name": "输入检查", "start": "2027-03-01", "end": "2027-04-30",
        "teams": [{"targets": ["U00003"]}]}

BAD: list[tuple[dict[str, Any], str]] = [
    ({"key": "R/1"}, "plan.key"), ({"key": "R 1"}, "plan.key"), ({"key": ".."}, "plan.key"),
    ({"key": "R..1"}, "plan.key"), ({"key": "R1\n"}, "plan.key"),
    ({"key": "R\u202e1"}, "plan.key"), ({"key": "R" * 65}, "plan.key"), ({"key": ""}, "plan.key"),
    ({"name": "第一行\n第二行"}, "plan.name"), ({"name": "名\u202e称"}, "plan.name"),
    ({"name": "名" * 257}, "plan.name"), ({"policy": "p" * 65}, "plan.policy"),
    ({"kind": "k" * 80}, "plan.kind"), ({"kind": "cross"}, "plan.kind"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _c, f in BAD])
def test_a_bad_key_name_policy_or_kind_is_a_422_naming_it(api: Api, change: dict[str, Any],
                                                          field: str) -> None:
    before = api.get("/v1/rounds", "organizer").json()["total"]
    r = api.post("/v1/rounds", "organizer", json={"plan": PLAN | change})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert api.get("/v1/rounds", "organizer").json()["total"] == before


def test_keys_in_any_script_still_work(api: Api) -> None:
    for key in ("R2027-01", "巡察-2027.1", "R_𠮷"):
        r = api.post("/v1/rounds", "organizer", json={"plan": PLAN | {"key": key}})
        assert r.status_code == 201, r.text
        assert api.get(f"/v1/rounds/{key}", "organizer").status_code == 200
