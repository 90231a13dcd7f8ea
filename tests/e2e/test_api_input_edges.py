"""Bad input at the edges is a 422 naming the field, never a 500, the same on SQLite and
PostgreSQL: dates the conflict engine cannot compute with, times that overflow when
converted to UTC, an upload name longer than a file system allows, and counts that are
negative or beyond the domain (or beyond a 32-bit Integer column, which PostgreSQL
refuses). Nothing is stored by a rejected request. Bounds: docs/security.md."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import PG_ADMIN_URL, _admin_engine, _pg_ran
from tests.e2e.api_client import Api, running_api

HUGE = 2**70
PLAN: dict[str, Any] = {"name": "输入边界", "start": "2027-03-01", "end": "2027-04-30",
                        "teams": [{"targets": ["U00003"]}]}
TEAM = {"targets": ["U00003"]}
CROSS: dict[str, Any] = {
    "name": "交叉输入边界", "start": "2027-03-01", "end": "2027-04-15",
    "groups": [{"region": "320102", "targets": [["U00052"]]},
               {"region": "320103", "targets": [["U00070"]]}]}
CADRES_HEADER = ("人员编号,所在单位,职级,政治面貌,专业特长,组长库,副组长库,专家库,后备干部,新提拔,"
                 "状态,状态原因,状态起始,状态截止,年度轮次上限,入库日期\n")
CADRE_ROW = "P00000367,U00178,二级主任科员,中共党员,审计:1,否,否,否,否,否,在库,,,,{},2024-06-29\n"
PARTICIPATIONS = ("轮次编号,人员编号,组别,角色,被巡察单位,第二被巡察单位\n"
                  "R2023-01,P00017091,{},组员,U00019,\n")


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def edges(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Api]:
    """One copy of the sample city per store for the whole module: the requests here are
    refused, and write nothing."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("edges") / "city.sqlite3"
        shutil.copy(request.getfixturevalue("city_sqlite_template"), path)
        with running_api(f"sqlite:///{path}", run_jobs=False) as api:
            yield api
        return
    template = request.getfixturevalue("city_pg_template")
    name = f"xuncha_edges_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    _pg_ran.append(request.node.nodeid)
    try:
        with running_api(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}", run_jobs=False) as api:
            yield api
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def refused(r: httpx.Response, field: str) -> dict[str, Any]:
    """A 422 in Chinese and English naming `field` (the end of its dotted path)."""
    assert r.status_code == 422, r.text[:600]
    error = r.json()["error"]
    assert error["zh"] and error["en"] and error["zh"] != error["en"]
    assert (error["field"] or "").split(".")[-len(field.split(".")):] == field.split("."), error
    return dict(error)


# -- dates and times ---------------------------------------------------------------------

@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_an_as_of_outside_the_sane_range_is_a_422(edges: Api, day: str) -> None:
    r = edges.get("/v1/recusals/check", params={"cadre": "P00000367", "unit": "U00178",
                                                "as_of": day})
    error = refused(r, "as_of")
    assert "1900-01-01" in error["en"] and "2200-12-31" in error["en"]
    refused(edges.post("/v1/screenings", json={"units": ["U00178"], "as_of": day}), "as_of")


def test_the_edges_of_the_range_are_answered(edges: Api) -> None:
    r = edges.get("/v1/recusals/check", params={"cadre": "P00000367", "unit": "U00178",
                                                "as_of": "2200-12-31"})
    assert r.status_code == 200 and r.json()["as_of"] == "2200-12-31", r.text[:600]
    r = edges.get("/v1/recusals/check", params={"cadre": "P00000367", "unit": "U00178",
                                                "as_of": "1900-01-01"})
    refused(r, "cadre")  # the date is fine: in 1900 the cadre was not in the pool


@pytest.mark.parametrize(("name", "value"), [
    ("since", "0001-01-01T00:00:00+14:00"), ("until", "9999-12-31T23:59:59-14:00"),
    ("since", "0001-01-01T00:00:00+23:59")])
def test_an_audit_time_that_overflows_in_utc_is_a_422(edges: Api, name: str,
                                                      value: str) -> None:
    refused(edges.get("/v1/audit/events", params={name: value}), name)


def test_audit_times_at_the_edges_still_filter(edges: Api) -> None:
    r = edges.get("/v1/audit/events", params={"since": "0001-01-01T00:00:00-01:00",
                                              "until": "9999-12-31T23:59:59+01:00"})
    assert r.status_code == 200 and r.json()["total"] > 0, r.text[:600]


def test_a_reveal_deadline_that_overflows_in_utc_is_a_422(edges: Api) -> None:
    r = edges.post("/v1/rounds/R-NONE/draws", "organizer",
                   json={"reveal_by": "0001-01-01T00:00:00+14:00"})
    refused(r, "reveal_by")


# -- uploads -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a" * 300 + ".csv", "人员" * 50 + ".csv"],
                         ids=["300 ASCII bytes", "100 CJK characters"])
def test_an_upload_name_longer_than_255_bytes_is_a_422_naming_it(edges: Api, name: str
                                                                 ) -> None:
    r = edges.post("/v1/imports", files=[("files", (name, b"x\n"))])
    error = refused(r, "files")
    assert name[:20] in error["zh"] and "255" in error["en"]
    assert len(error["zh"]) < 200  # the name is cut, not echoed whole


# -- counts in imports -------------------------------------------------------------------

@pytest.mark.parametrize("value", [str(HUGE), "99999999999", "3000000000", "1e300", "367",
                                   "-5"])
def test_a_yearly_limit_out_of_range_is_a_row_error(edges: Api, value: str) -> None:
    r = edges.post("/v1/imports", params={"dry_run": "true"}, files=[(
        "files", ("cadres.csv", (CADRES_HEADER + CADRE_ROW.format(value)).encode()))])
    assert r.status_code == 422, r.text[:600]
    assert r.json()["error"]["code"] == "import_rejected"
    first = r.json()["error"]["details"][0]
    assert (first["column"], first["row"]) == ("年度轮次上限", 2), first


@pytest.mark.parametrize("value", [str(HUGE), "3000000000", "10001", "0"])
def test_a_team_number_out_of_range_is_a_row_error(edges: Api, value: str) -> None:
    r = edges.post("/v1/imports", params={"dry_run": "true"}, files=[(
        "files", ("participations.csv", PARTICIPATIONS.format(value).encode()))])
    assert r.status_code == 422, r.text[:600]
    assert r.json()["error"]["details"][0]["column"] == "组别"


def test_counts_within_range_still_import(edges: Api) -> None:
    r = edges.post("/v1/imports", params={"dry_run": "true"}, files=[
        ("files", ("cadres.csv", (CADRES_HEADER + CADRE_ROW.format("366")).encode())),
        ("files", ("participations.csv", PARTICIPATIONS.format("10000").encode()))])
    assert r.status_code == 200, r.text[:600]


# -- counts and sizes in round plans -----------------------------------------------------

BAD_PLANS: list[tuple[str, dict[str, Any], str]] = [
    ("size below 1", {"teams": [TEAM | {"size": [-1, 7]}]}, "teams.0.size.0"),
    ("size 2^70", {"teams": [TEAM | {"size": [5, HUGE]}]}, "teams.0.size.1"),
    ("size reversed", {"teams": [TEAM | {"size": [7, 5]}]}, "teams.0.size"),
    ("deputies 2^63", {"defaults": {"deputies": [0, 2**63]}}, "defaults.deputies.1"),
    ("skill count -1", {"defaults": {"skills": {"finance": -1}}}, "defaults.skills.finance"),
    ("depth 2^70", {"teams": [TEAM | {"depth": {"audit": HUGE}}]}, "teams.0.depth.audit"),
    ("capacity 2^70", {"cadres": {"P00000367": {"capacity": HUGE}}},
     "cadres.P00000367.capacity"),
    ("minimum -1", {"cadres": {"P00000367": {"minimum": -1}}}, "cadres.P00000367.minimum"),
    ("seed 2^70", {"seed": HUGE}, "seed"), ("seed -1", {"seed": -1}, "seed"),
    ("rotation 2^70", {"rotation_rounds": HUGE}, "rotation_rounds"),
    ("weight -5", {"weights": {"experience": -5}}, "weights.experience"),
    ("weight 2^70", {"weights": {"fairness": HUGE}}, "weights.fairness"),
    ("suitability 2^70", {"suitability": {"P00000367": {"1": HUGE}}},
     "suitability.P00000367.1"),
    ("1001 teams", {"teams": [{"targets": [f"U{n:05d}"]} for n in range(1001)]}, "teams"),
    ("target key of 65", {"teams": [{"targets": ["U" * 65]}]}, "teams.0.targets.0"),
    ("start in year 1", {"start": "0001-01-01"}, "start"),
    ("as_of in 9999", {"as_of": "9999-12-31"}, "as_of"),
    ("public value date", {"public": {"source": "福彩3D", "after": "0001-01-01"}},
     "public.after"),
]
BAD_CROSS: list[tuple[str, dict[str, Any], str]] = [
    ("sends 2^70", {"groups": [CROSS["groups"][0] | {"sends": HUGE}, CROSS["groups"][1]]},
     "groups.0.sends"),
    ("region of 13", {"groups": [CROSS["groups"][0] | {"region": "3" * 13},
                                 CROSS["groups"][1]]}, "groups.0.region"),
    ("tie limit -1", {"tie_limit": -1}, "tie_limit"),
    ("tie limit 2^70", {"tie_limit": HUGE}, "tie_limit"),
    ("distance 2^70", {"distances": {"320102": {"320103": HUGE}}},
     "distances.320102.320103"),
    ("distance weight -1", {"distance_weight": -1}, "distance_weight"),
    ("recent rounds 2^70", {"recent_rounds": HUGE}, "recent_rounds"),
    ("min per side 2^70", {"mode": "exchange", "min_per_side": HUGE}, "min_per_side"),
    ("three targets", {"groups": [{"region": "320102", "targets": [["U00052", "U00053",
                                                                      "U00054"]]},
                                  CROSS["groups"][1]]}, "groups.0.targets.0"),
]


@pytest.mark.parametrize(("change", "field"), [(c, f) for _n, c, f in BAD_PLANS],
                         ids=[n for n, _c, _f in BAD_PLANS])
def test_a_round_plan_count_out_of_range_is_a_422(edges: Api, change: dict[str, Any],
                                                  field: str) -> None:
    key = f"R-EDGE-{uuid.uuid4().hex[:8]}"
    r = edges.post("/v1/rounds", "organizer", json={"plan": PLAN | {"key": key} | change})
    refused(r, f"plan.{field}")
    assert edges.get(f"/v1/rounds/{key}", "organizer").status_code == 404


@pytest.mark.parametrize(("change", "field"), [(c, f) for _n, c, f in BAD_CROSS],
                         ids=[n for n, _c, _f in BAD_CROSS])
def test_a_cross_plan_count_out_of_range_is_a_422(edges: Api, change: dict[str, Any],
                                                  field: str) -> None:
    key = f"X-EDGE-{uuid.uuid4().hex[:8]}"
    r = edges.post("/v1/rounds", "organizer", json={"cross": CROSS | {"key": key} | change})
    refused(r, f"cross.{field}")
    assert edges.get(f"/v1/rounds/{key}", "organizer").status_code == 404


def test_plans_at_the_bounds_are_accepted(edges: Api) -> None:
    plan = PLAN | {"key": f"R-MAX-{uuid.uuid4().hex[:8]}", "seed": 2**31 - 1,
                   "rotation_rounds": 100, "weights": {"experience": 10_000},
                   "defaults": {"size": [1, 50], "deputies": [0, 49]},
                   "cadres": {"P00000367": {"capacity": 1000, "minimum": 0}},
                   "suitability": {"P00000367": {"1": -1000}},
                   "start": "1900-01-01", "end": "2200-12-31"}
    r = edges.post("/v1/rounds", "organizer", json={"plan": plan})
    assert r.status_code == 201, r.text[:600]
    cross = CROSS | {"key": f"X-MAX-{uuid.uuid4().hex[:8]}", "tie_limit": 10_000_000,
                     "distances": {"320102": {"320103": 100_000}}, "recent_rounds": 100}
    r = edges.post("/v1/rounds", "organizer", json={"cross": cross})
    assert r.status_code == 201, r.text[:600]


# -- other numbers -----------------------------------------------------------------------

@pytest.mark.parametrize(("path", "params", "field"), [
    ("/v1/cadres", {"limit": str(HUGE)}, "limit"), ("/v1/cadres", {"offset": "-1"}, "offset"),
    ("/v1/audit/events", {"offset": str(HUGE)}, "offset"),
    ("/v1/proposals/" + str(HUGE), {}, "proposal_id")])
def test_huge_or_negative_query_numbers_are_a_422(edges: Api, path: str,
                                                   params: dict[str, str], field: str) -> None:
    refused(edges.get(path, params=params), field)


@pytest.mark.parametrize(("body", "field"), [
    ({"seed": HUGE}, "seed"), ({"seed": -1}, "seed"),
    ({"deterministic_time": 1e300}, "deterministic_time")])
def test_a_trial_draw_seed_out_of_range_is_a_422(edges: Api, body: dict[str, Any],
                                                 field: str) -> None:
    refused(edges.post("/v1/rounds/R2023-01/proposals", "organizer", json=body), field)


def test_a_cadre_edit_out_of_range_is_a_422(edges: Api) -> None:
    for body, field in (({"max_rounds_per_year": HUGE}, "max_rounds_per_year"),
                        ({"skills": [{"code": "audit", "level": HUGE}]}, "level"),
                        ({"status_from": "0001-01-01", "status": "suspended",
                          "status_reason": "借调"}, "status_from")):
        refused(edges.call("PATCH", "/v1/cadres/P00000367", json=body), field)
    for body, field in (({"start": "0001-01-01", "end": "0001-02-01"}, "start"),
                        ({"start": "2027-01-01", "end": "9999-12-31"}, "end")):
        refused(edges.post("/v1/cadres/P00000367/unavailability", json=body), field)
