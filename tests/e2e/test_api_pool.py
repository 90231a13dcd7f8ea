"""The pool resources over HTTP: filters and paging checked against the sample files,
what each role and region scope may see, edits with their audit trail, bad input on every
write endpoint, and file import and export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from pool import models as m
from pool.formats import DEFAULT_SKILLS
from tests.e2e.api_client import Api

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "city"
SKILL_CODE = {c.zh: c.code for c in DEFAULT_SKILLS}


# -- the sample files, as a user would read them ----------------------------------------

@cache
def sample(name: str) -> tuple[dict[str, str], ...]:
    with (SAMPLE / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return tuple(csv.DictReader(fh))


def subtree(root: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for r in sample("regions"):
        children.setdefault(r["上级代码"], []).append(r["区划代码"])
    out, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def unit_region() -> dict[str, str]:
    return {u["单位编号"]: u["行政区划"] for u in sample("units")}


def cadre_region() -> dict[str, str]:
    regions = unit_region()
    return {c["人员编号"]: regions[c["所在单位"]] for c in sample("cadres")}


def busiest_county() -> str:
    """The county (with its towns) holding the most cadres."""
    counties = [r["区划代码"] for r in sample("regions") if r["上级代码"] == "320100"]
    homes = list(cadre_region().values())
    return max(counties, key=lambda c: sum(h in subtree(c) for h in homes))


def everything(api: Api, path: str, role: str = "admin", scope: str | None = None,
               **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a paged list, fetched 500 at a time."""
    items: list[dict[str, Any]] = []
    while True:
        r = api.get(path, role, scope=scope, params={**params, "limit": 500,
                                                       "offset": len(items)})
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items, body["total"]


def assert_error(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["zh"] and error["en"] and error["zh"] != error["en"]
    if field is not None:
        assert error["field"] == field, error
    return dict(error)


def data_events(api: Api) -> list[dict[str, Any]]:
    return everything(api, "/v1/audit/events", kind="data.")[0]


def pool_revision(api: Api) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(select(m.Counter.value).where(m.Counter.name == "pool"))
                   .scalar_one())


# -- lists and filters -------------------------------------------------------------------

def test_cadre_filters_give_what_the_sample_files_hold(sqlite_api: Api) -> None:
    api = sqlite_api
    cadres = sample("cadres")
    names = {p["人员编号"]: p["姓名"] for p in sample("persons")}

    def keys(**params: Any) -> set[str]:
        items, total = everything(api, "/v1/cadres", **params)
        assert total == len(items)
        return {c["person_key"] for c in items}

    finance = {c["人员编号"] for c in cadres
               if "财务" in [s.split(":")[0] for s in c["专业特长"].split(";")]}
    assert keys(skill="finance") == finance and finance
    strong = {c["人员编号"] for c in cadres for s in c["专业特长"].split(";")
              if s.startswith("财务:") and int(s.split(":")[1]) >= 4}
    assert keys(skill="finance", skill_level=4) == strong
    leaders = {c["人员编号"] for c in cadres if c["组长库"] == "是"}
    experts = {c["人员编号"] for c in cadres if c["专家库"] == "是"}
    assert keys(flag="leader_pool") == leaders and leaders
    assert keys(flag=["leader_pool", "expert_pool"]) == leaders & experts
    assert keys(status="active") == {c["人员编号"] for c in cadres if c["状态"] == "在库"}
    county = busiest_county()
    in_county = {k for k, r in cadre_region().items() if r in subtree(county)}
    assert keys(region=county) == in_county and 0 < len(in_county) < len(cadres)
    surname = names[cadres[0]["人员编号"]][0]
    assert keys(q=surname) == {c["人员编号"] for c in cadres if surname in names[c["人员编号"]]}
    assert keys(q=cadres[0]["人员编号"].lower()) == {cadres[0]["人员编号"]}


def test_pages_cover_the_list_once_in_key_order(sqlite_api: Api) -> None:
    api = sqlite_api
    whole, total = everything(api, "/v1/cadres", flag="leader_pool")
    pages: list[str] = []
    for offset in range(0, total, 7):
        body = api.get("/v1/cadres", params={"flag": "leader_pool", "limit": 7,
                                             "offset": offset}).json()
        assert body["total"] == total and len(body["items"]) <= 7
        pages += [c["person_key"] for c in body["items"]]
    assert pages == [c["person_key"] for c in whole] == sorted(pages)
    assert api.get("/v1/cadres", params={"flag": "leader_pool", "offset": total}).json()[
        "items"] == []


def test_a_cadre_reads_with_person_unit_region_and_skills(sqlite_api: Api) -> None:
    row = sample("cadres")[0]
    person = next(p for p in sample("persons") if p["人员编号"] == row["人员编号"])
    unit = next(u for u in sample("units") if u["单位编号"] == row["所在单位"])
    cadre = sqlite_api.get(f"/v1/cadres/{row['人员编号']}").json()
    assert (cadre["name"], cadre["home_unit_key"], cadre["home_unit_name"],
            cadre["region_code"]) == (person["姓名"], unit["单位编号"], unit["单位名称"],
                                      unit["行政区划"])
    assert {(s["code"], s["level"]) for s in cadre["skills"]} == {
        (SKILL_CODE[s.split(":")[0]], int(s.split(":")[1])) for s in row["专业特长"].split(";")}


def test_other_lists_filter_as_asked(sqlite_api: Api) -> None:
    api = sqlite_api
    county = busiest_county()
    units, _ = everything(api, "/v1/units", region=county)
    assert {u["key"] for u in units} == {k for k, r in unit_region().items()
                                          if r in subtree(county)}
    person = sample("employments")[0]["人员编号"]
    jobs, _ = everything(api, "/v1/employments", person=person)
    assert {j["key"] for j in jobs} == {e["任职编号"] for e in sample("employments")
                                         if e["人员编号"] == person}
    ties, _ = everything(api, "/v1/ties", person=person, kind="parent_of")
    assert {t["key"] for t in ties} == {
        t["关系编号"] for t in sample("ties") if t["关系类型"] == "父母子女"
        and person in (t["人员编号"], t["对方人员编号"])}
    round_key = sample("participations")[0]["轮次编号"]
    took_part, _ = everything(api, "/v1/participations", round=round_key)
    assert len(took_part) == sum(p["轮次编号"] == round_key for p in sample("participations"))
    assert_error(api.get("/v1/units", params={"region": "999999"}), 422, "region")
    assert_error(api.get("/v1/cadres", params={"skill": "juggling"}), 422, "skill")
    assert_error(api.get("/v1/cadres/NOBODY"), 404, "key")
    assert api.get("/v1/cadres", params={"status": "retired"}).status_code == 422


# -- roles ---------------------------------------------------------------------------------

def test_viewer_sees_no_id_numbers_no_ties_and_only_cadres_jobs(sqlite_api: Api) -> None:
    api = sqlite_api
    admin = api.get("/v1/persons", params={"limit": 50}).json()["items"]
    assert any(p["id_number"] for p in admin)
    for role in ("viewer", "approver"):
        seen = api.get("/v1/persons", role, params={"limit": 50}).json()["items"]
        assert [p["key"] for p in seen] == [p["key"] for p in admin]
        assert all(p["id_number"] is None for p in seen)
        assert api.get(f"/v1/persons/{admin[0]['key']}", role).json()["id_number"] is None
        assert_error(api.get("/v1/ties", role), 403)
        assert_error(api.get("/v1/evaluations", role), 403)
    denied = everything(api, "/v1/audit/events", kind="auth.denied")[0]
    assert any(e["data"]["path"] == "/v1/ties" and e["data"]["role"] == "viewer"
               for e in denied)


def test_id_numbers_are_masked_unless_asked_for_in_full_which_is_audited(
        sqlite_api: Api) -> None:
    api = sqlite_api
    masked = api.get("/v1/persons", "organizer", params={"limit": 20}).json()["items"]
    shown = [p for p in masked if p["id_number"]]
    assert shown and all(re.fullmatch(r"\d{6}\*{10}[\dX]{2}", p["id_number"]) for p in shown)
    assert api.get("/v1/audit/events", params={"kind": "data.id_numbers.read"}
                   ).json()["total"] == 0
    full = api.get("/v1/persons", "organizer", params={"limit": 20, "id_numbers": "full"})
    numbers = {p["key"]: p["id_number"] for p in full.json()["items"] if p["id_number"]}
    assert all(len(n) == 18 and "*" not in n for n in numbers.values())
    one = api.get(f"/v1/persons/{shown[0]['key']}", "auditor", params={"id_numbers": "full"})
    assert one.json()["id_number"] == numbers[shown[0]["key"]]
    events = api.get("/v1/audit/events", params={"kind": "data.id_numbers.read"}).json()
    assert [sorted(e["data"]["persons"]) for e in events["items"]] == \
        [sorted(numbers), [shown[0]["key"]]]
    assert events["items"][1]["actor"].endswith("test-auditor")
    # a role that may not see ID numbers cannot ask for them: an audited 403
    for role in ("viewer", "approver"):
        assert_error(api.get("/v1/persons", role, params={"id_numbers": "full"}), 403)
        assert_error(api.get(f"/v1/persons/{shown[0]['key']}", role,
                             params={"id_numbers": "full"}), 403)
    denied = everything(api, "/v1/audit/events", kind="auth.denied")[0]
    assert sum(e["data"].get("id_numbers") == "full" for e in denied) == 4
    cadres = {c["人员编号"] for c in sample("cadres")}
    jobs, total = everything(api, "/v1/employments", "viewer")
    assert total == sum(e["人员编号"] in cadres for e in sample("employments")) == len(jobs)
    assert all(j["person_key"] in cadres for j in jobs)
    other = next(e["任职编号"] for e in sample("employments") if e["人员编号"] not in cadres)
    assert_error(api.get(f"/v1/employments/{other}", "viewer"), 403)
    assert api.get(f"/v1/employments/{other}", "auditor").status_code == 200
    assert_error(api.call("PATCH", f"/v1/cadres/{next(iter(cadres))}", "viewer",
                          json={"reserve": True}), 403)
    assert api.get("/v1/ties", "auditor", params={"limit": 1}).status_code == 200


def test_a_scoped_token_sees_its_subtree_only(api: Api) -> None:
    county = busiest_county()
    inside = subtree(county)
    homes = cadre_region()
    cadres, total = everything(api, "/v1/cadres", "organizer", scope=county)
    assert total == sum(r in inside for r in homes.values()) == len(cadres)
    assert all(c["region_code"] in inside for c in cadres)
    units, _ = everything(api, "/v1/units", "organizer", scope=county)
    assert units and all(u["region_code"] in inside for u in units)
    regions, _ = everything(api, "/v1/regions", "organizer", scope=county)
    assert {r["code"] for r in regions} == inside
    outsider = next(k for k, r in sorted(homes.items()) if r not in inside)
    assert_error(api.get(f"/v1/cadres/{outsider}", "organizer", scope=county), 403)
    denied = everything(api, "/v1/audit/events", kind="auth.denied")[0]
    assert any(e["data"]["path"] == f"/v1/cadres/{outsider}" for e in denied)
    assert_error(api.call("PATCH", f"/v1/cadres/{outsider}", "organizer", scope=county,
                          json={"reserve": True}), 403)
    assert api.get(f"/v1/cadres/{outsider}").json()["reserve"] is False
    working = {e["人员编号"] for e in sample("employments")}
    relative = next(p["人员编号"] for p in sample("persons")
                    if p["人员编号"] not in working and p["人员编号"] not in homes)
    assert_error(api.get(f"/v1/persons/{relative}", "organizer", scope=county), 403)
    units_inside = {k for k, r in unit_region().items() if r in inside}
    worked_inside = {e["人员编号"] for e in sample("employments") if e["单位编号"] in units_inside}
    persons, _ = everything(api, "/v1/persons", "organizer", scope=county, cadre=True)
    assert {p["key"] for p in persons} == \
        {c["person_key"] for c in cadres} | (worked_inside & set(homes))
    mine = cadres[0]["person_key"]
    assert api.call("PATCH", f"/v1/cadres/{mine}", "organizer", scope=county,
                    json={"reserve": True}).json()["reserve"] is True


# -- edits -----------------------------------------------------------------------------------

def test_patch_is_audited_with_before_and_after(api: Api) -> None:
    key = sample("cadres")[0]["人员编号"]
    before = api.get(f"/v1/cadres/{key}").json()
    revision = pool_revision(api)
    r = api.call("PATCH", f"/v1/cadres/{key}", json={
        "status": "suspended", "status_reason": "借调 / seconded",
        "status_from": "2026-01-01", "status_to": "2026-06-30", "leader_pool": True,
        "skills": [{"code": "audit", "level": 5}, {"code": "it"}]})
    assert r.status_code == 200, r.text
    after = r.json()
    assert (after["status"], after["leader_pool"], after["status_to"]) == \
        ("suspended", True, "2026-06-30")
    assert [(s["code"], s["level"]) for s in after["skills"]] == [("audit", 5), ("it", 1)]
    assert api.get(f"/v1/cadres/{key}").json() == after
    event = data_events(api)[-1]
    assert (event["kind"], event["object_key"]) == ("data.cadre.update", key)
    assert event["data"]["before"]["status"] == before["status"] == "active"
    assert event["data"]["after"]["status"] == "suspended"
    assert event["data"]["before"]["skills"] == [
        {"code": s["code"], "level": s["level"]} for s in before["skills"]]
    assert pool_revision(api) == revision + 1
    verified = api.get("/v1/audit/verify").json()
    assert verified["ok"] and verified["events"] >= 2


def test_ties_are_created_and_deleted_with_their_audit_events(api: Api) -> None:
    a, b = sample("cadres")[0]["人员编号"], sample("cadres")[1]["人员编号"]
    r = api.post("/v1/ties", json={"key": "T-API-1", "kind": "declared", "subject_key": a,
                                   "object_person_key": b, "category": "friend",
                                   "source_type": "declaration"})
    assert r.status_code == 201, r.text
    assert api.get("/v1/ties/T-API-1").json() == r.json()
    assert r.json()["recorded_by"] == "test-admin"
    assert_error(api.post("/v1/ties", json={"key": "T-API-1", "kind": "declared",
                                            "subject_key": a, "object_person_key": b,
                                            "category": "friend"}), 409, "key")
    assert api.call("DELETE", "/v1/ties/T-API-1").status_code == 204
    assert_error(api.get("/v1/ties/T-API-1"), 404)
    assert_error(api.call("DELETE", "/v1/ties/T-API-1"), 404)
    created, deleted = data_events(api)[-2:]
    assert created["kind"] == "data.tie.create" and created["data"]["after"]["kind"] == "declared"
    assert deleted["kind"] == "data.tie.delete" and deleted["data"]["before"]["subject_key"] == a
    assert api.get("/v1/audit/verify").json()["ok"]


BAD_WRITES = [
    ("PATCH", "/v1/cadres/{cadre}", {"skills": [{"code": "juggling", "level": 2}]}, 422,
     "skills"),
    ("PATCH", "/v1/cadres/{cadre}", {"status_from": "2026-05-01", "status_to": "2026-01-01"},
     422, "status_to"),
    ("PATCH", "/v1/cadres/{cadre}", {"status": "suspended"}, 422, "status_reason"),
    ("PATCH", "/v1/cadres/{cadre}", {"status": "retired", "status_reason": "x"}, 422, "status"),
    ("PATCH", "/v1/cadres/{cadre}", {"rank": "general"}, 422, "rank"),
    ("PATCH", "/v1/cadres/{cadre}", {}, 400, None),
    ("PATCH", "/v1/cadres/{cadre}", {"status_reason": "nul\x00"}, 422, "status_reason"),
    ("PATCH", "/v1/cadres/{cadre}", {"status": None}, 422, None),
    ("PATCH", "/v1/cadres/NOBODY", {"reserve": True}, 404, "key"),
    ("POST", "/v1/ties", {"kind": "spouse_of", "subject_key": "{cadre}",
                          "object_person_key": "NOBODY"}, 422, "object_person_key"),
    ("POST", "/v1/ties", {"kind": "spouse_of", "subject_key": "NOBODY",
                          "object_person_key": "{cadre}"}, 422, "subject_key"),
    ("POST", "/v1/ties", {"kind": "cousin_of", "subject_key": "{cadre}",
                          "object_person_key": "{other}"}, 422, "kind"),
    ("POST", "/v1/ties", {"kind": "recusal", "subject_key": "{cadre}",
                          "object_unit_key": "{unit}", "category": "friend", "note": "x"},
     422, "category"),
    ("POST", "/v1/ties", {"kind": "recusal", "subject_key": "{cadre}",
                          "object_unit_key": "{unit}", "category": "self"}, 422, "note"),
    ("POST", "/v1/ties", {"kind": "spouse_of", "subject_key": "{cadre}",
                          "object_person_key": "{other}", "object_unit_key": "{unit}"},
     422, "object_unit_key"),
    ("POST", "/v1/ties", {"kind": "declared", "subject_key": "{cadre}",
                          "object_person_key": "{cadre}", "category": "friend"}, 422,
     "object_person_key"),
    ("POST", "/v1/ties", {"kind": "declared", "subject_key": "{cadre}",
                          "object_person_key": "{other}", "category": "friend",
                          "start": "2024-01-01", "end": "2020-01-01"}, 422, "end"),
    ("POST", "/v1/cadres/{cadre}/unavailability", {"start": "2026-03-01",
                                                   "end": "2026-02-01"}, 422, "end"),
    ("POST", "/v1/cadres/NOBODY/unavailability", {"start": "2026-03-01",
                                                  "end": "2026-04-01"}, 404, "key"),
    ("POST", "/v1/cadres/{cadre}/unavailability", {"start": "someday", "end": "2026-04-01"},
     422, "start"),
]


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def test_bad_writes_are_explained_and_write_nothing(api: Api) -> None:
    names = {"cadre": sample("cadres")[0]["人员编号"], "other": sample("cadres")[1]["人员编号"],
             "unit": sample("units")[0]["单位编号"]}
    cadre_before = api.get(f"/v1/cadres/{names['cadre']}").json()
    ties_before = api.get("/v1/ties", params={"person": names["cadre"]}).json()["total"]
    revision, events = pool_revision(api), len(data_events(api))
    for method, path, body, status, field in BAD_WRITES:
        r = api.call(method, _fill(path, names), json=_fill(body, names))
        assert_error(r, status, field)
    assert api.get(f"/v1/cadres/{names['cadre']}").json() == cadre_before
    assert api.get("/v1/ties", params={"person": names["cadre"]}).json()["total"] == \
        ties_before
    assert api.get(f"/v1/cadres/{names['cadre']}/unavailability").json()["total"] == 0
    assert (pool_revision(api), len(data_events(api))) == (revision, events)


# -- import and export ---------------------------------------------------------------------

def employments_csv(*rows: tuple[str, str, str, str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["任职编号", "人员编号", "单位编号", "起始日期", "截止日期"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(api: Api, files: list[tuple[str, bytes]], role: str = "admin",
           scope: str | None = None, **params: Any) -> Any:
    return api.post("/v1/imports", role, scope=scope, params=params,
                    files=[("files", (name, data)) for name, data in files])


def recused(api: Api, cadre: str, unit: str) -> bool:
    r = api.get("/v1/recusals/check", params={"cadre": cadre, "unit": unit})
    assert r.status_code == 200, r.text
    return bool(r.json()["recused"])


def unrelated_pair(api: Api) -> Iterator[tuple[str, str]]:
    for row in sample("cadres")[:10]:
        if row["状态"] != "在库":
            continue
        for unit in sample("units")[::17]:
            if not recused(api, row["人员编号"], unit["单位编号"]):
                yield row["人员编号"], unit["单位编号"]
                return
    raise AssertionError("no cadre–unit pair without a recusal in the sample")


def test_an_import_changes_what_the_recusal_check_answers(api: Api) -> None:
    cadre, unit = next(unrelated_pair(api))
    data = employments_csv(("E-API-1", cadre, unit, "2024-03-01", ""))
    dry = upload(api, [("employments.csv", data)], dry_run="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True and dry.json()["tables"][0]["new"] == 1
    assert_error(api.get("/v1/employments/E-API-1"), 404)
    assert not recused(api, cadre, unit)
    r = upload(api, [("employments.csv", data)])
    assert r.status_code == 200, r.text
    assert r.json()["tables"] == [{"entity": "employments", "source": "employments.csv",
                                   "encoding": "UTF-8", "rows": 1, "new": 1, "updated": 0}]
    assert api.get("/v1/employments/E-API-1").json()["unit_key"] == unit
    assert recused(api, cadre, unit)
    assert data_events(api)[-1]["kind"] == "data.import"


def test_a_rejected_import_lists_every_error_and_writes_nothing(api: Api) -> None:
    cadre, unit = sample("cadres")[0]["人员编号"], sample("units")[0]["单位编号"]
    data = employments_csv(("E-API-2", cadre, unit, "2024-03-01", ""),
                           ("E-API-3", "NOBODY", unit, "2024-03-01", ""),
                           ("E-API-4", cadre, unit, "2024-03-01", "2020-01-01"))
    revision = pool_revision(api)
    error = assert_error(upload(api, [("employments.csv", data)]), 422)
    assert error["code"] == "import_rejected"
    assert {(d["row"], d["column"]) for d in error["details"]} == {(3, "人员编号"),
                                                                  (4, "截止日期")}
    assert all(d["zh"] and d["en"] for d in error["details"])
    assert_error(api.get("/v1/employments/E-API-2"), 404)
    assert pool_revision(api) == revision


def test_malformed_uploads_are_422(sqlite_api: Api) -> None:
    api = sqlite_api
    assert_error(upload(api, [("notes.json", b"{}")]), 422, "files")
    assert_error(upload(api, [("a.csv", b"x"), ("A.csv", b"x")]), 422, "files")
    assert_error(api.post("/v1/imports", data={"dry_run": "true"}), 422)
    broken = assert_error(upload(api, [("pool.xlsx", b"not a workbook")]), 422)
    assert "工作簿" in broken["details"][0]["zh"]
    unknown = assert_error(upload(api, [("people.csv", "人员编号\nP1\n".encode())]), 422)
    assert unknown["code"] == "import_rejected"
    assert_error(upload(api, [("employments.csv", employments_csv())], role="viewer"), 403)
    assert_error(upload(api, [("employments.csv", employments_csv())], role="organizer",
                        scope=busiest_county()), 403)


def test_exports_in_the_import_format(sqlite_api: Api) -> None:
    api = sqlite_api
    r = api.get("/v1/exports", params={"entity": "persons", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(sample("persons")) and rows[0]["身份证号"]
    r = api.get("/v1/exports", params={"entity": ["regions", "units"], "format": "xlsx"})
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames == ["行政区划", "单位"]
    assert_error(api.get("/v1/exports", params={"format": "csv"}), 422, "entity")
    assert_error(api.get("/v1/exports", params={"entity": "people"}), 422, "entity")
    assert_error(api.get("/v1/exports", "viewer", params={"entity": "units",
                                                          "format": "csv"}), 403)
    assert_error(api.get("/v1/exports", "auditor", scope=busiest_county(),
                         params={"entity": "units", "format": "csv"}), 403)
    assert any(e["kind"] == "data.export" for e in data_events(api))


@pytest.mark.parametrize("path", ["/v1/cadres?limit=0", "/v1/cadres?flag=brave",
                                  "/v1/units?region=%20", "/v1/persons?q=" + "x" * 65,
                                  "/v1/ties?person=a/b", "/v1/cadres?skill_level=3",
                                  "/v1/cadres?q=a%00b", "/v1/units/a%00b"])
def test_bad_query_parameters_are_422(sqlite_api: Api, path: str) -> None:
    assert_error(sqlite_api.get(path), 422)
