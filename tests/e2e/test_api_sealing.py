"""Sealing (issue 12, items 3 and 4): before approval no drawn member's name or key
reaches a role that may not see it (auditor, supervisor), through any field, change,
audit event, job result, replay or report; and roles that may not read ties get a
recusal's verdict, rule and basis without the relatives."""

from __future__ import annotations

import io
import itertools
import json
import re

from openpyxl import load_workbook
from sqlalchemy import text

from pool.db import transaction
from service.sealing import MASK
from tests.e2e.api_client import Api
from tests.e2e.ceremony import deadline
from tests.e2e.test_api_rounds import ROUND

SEALED_ROLES = ("auditor", "supervisor")


ROUND_TAGS = {"rounds", "draws", "proposals", "jobs", "audit"}  # what concerns a round


def _reads(api: Api) -> list[str]:
    """Every GET operation about rounds, draws, proposals, jobs and the audit log, from
    the app's OpenAPI document: a new one is swept without being named here."""
    paths = api.client.get("/openapi.json").json()["paths"]
    return sorted(path for path, item in paths.items()
                  if "get" in item and ROUND_TAGS & set(item["get"].get("tags", [])))


def _everything(api: Api, role: str, ids: dict[str, list[str]]) -> dict[str, str]:
    """Every answer the role can get about the round, as text (a workbook's cells)."""
    out = {}
    for template in _reads(api):
        names = re.findall(r"\{(\w+)\}", template)
        assert all(n in ids for n in names), f"no value for {template}: add one"
        for values in itertools.product(*(ids[n] for n in names)):
            path = template
            for name, value in zip(names, values, strict=True):
                path = path.replace("{" + name + "}", value)
            params = {"limit": 500} if path.endswith("/events") else \
                {"leaving": ids["leaving"][0]} if path.endswith("/replacements") else None
            r = api.get(path, role, params=params)
            if r.status_code == 403:
                continue  # the role may not read it at all
            assert r.status_code == 200, (role, path, r.text[:300])
            if r.headers["content-type"].startswith("application/vnd.openxmlformats"):
                book = load_workbook(io.BytesIO(r.content))
                out[path] = "\n".join(str(c.value) for ws in book.worksheets
                                      for row in ws.iter_rows() for c in row
                                      if c.value is not None)
            else:
                out[path] = r.text
    return out


def test_names_are_sealed_everywhere_until_approval(api: Api) -> None:
    assert api.post("/v1/rounds", "organizer", json={"plan": ROUND}).status_code == 201
    trial = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer",
                        json={"seed": 11})
    assert trial["status"] == "succeeded", trial
    pid = trial["result"]["proposal_id"]
    full = api.get(f"/v1/proposals/{pid}", "organizer").json()
    team = full["teams"][0]
    leaving = next(m for m in team["members"] if m["role"] == "member")
    members = {x for t in full["teams"] for m in t["members"] for x in (m["key"], m["name"])}
    assert len(members) >= 2 * 15
    # a manual change whose reason names the member, as people write them
    change = api.post(f"/v1/proposals/{pid}/changes", "organizer", json={
        "op": "remove", "team": 1, "cadre": leaving["key"],
        "reason": f"{leaving['name']}（{leaving['key']}）本人提出回避申请，组织同意"})
    assert change.status_code == 200, change.text
    # a replay that differs (the stored result was altered), so it returns its own teams
    with transaction(api.engine, write=True) as session:
        stored = json.loads(session.execute(text(
            "SELECT result FROM proposals WHERE id = :id"), {"id": pid}).scalar_one())
        stored["proposal"]["objective"] += 1
        session.execute(text("UPDATE proposals SET result = :r WHERE id = :id"),
                        {"r": json.dumps(stored, ensure_ascii=False), "id": pid})
    replay = api.run_job("POST", f"/v1/proposals/{pid}/replay", "auditor")
    assert replay["status"] == "succeeded" and not replay["result"]["identical"], replay
    jobs = [trial["id"], replay["id"]]
    draw = api.post("/v1/rounds/R2027-01/draws", "organizer", json={"reveal_by": deadline()})
    assert draw.status_code == 201, draw.text
    stays = next(m for m in team["members"] if m["key"] != leaving["key"])
    ids = {"round_key": ["R2027-01"], "proposal_id": [str(pid)], "job_id": jobs,
           "draw_id": [str(draw.json()["id"])], "team": ["1"], "leaving": [stays["key"]]}

    # the organizer sees what the others may not: the test looks for the right things
    seen = _everything(api, "organizer", ids)
    leader = next(m for m in team["members"] if m["role"] == "leader")
    assert leaving["name"] in seen[f"/v1/proposals/{pid}/changes"]
    assert leader["key"] in seen[f"/v1/proposals/{pid}/report.xlsx"]
    assert "replayed_result" in seen[f"/v1/jobs/{replay['id']}"]
    assert f"组长：{leader['name']}" in seen[f"/v1/proposals/{pid}"]  # a requirement's text
    assert stays["name"] in seen[f"/v1/proposals/{pid}/teams/1/replacements"]  # who leaves

    for role in SEALED_ROLES:
        answers = _everything(api, role, ids)
        assert f"/v1/proposals/{pid}/report.xlsx" in answers  # the role reads the round
        if role == "auditor":
            assert "/v1/audit/events" in answers
        for where, body in answers.items():
            leaked = sorted(x for x in members if x in body)
            assert not leaked, (role, where, leaked[:5])
        sealed = api.get(f"/v1/proposals/{pid}", role).json()
        assert not sealed["names_visible"]
        # the structure stays: teams, roles, skills, the objective
        assert [len(t["members"]) for t in sealed["teams"]] == \
            [len(t["members"]) for t in api.get(f"/v1/proposals/{pid}", "admin").json()["teams"]]
        assert sealed["objective"] == api.get(f"/v1/proposals/{pid}", "admin").json()["objective"]
        assert f"组长：{MASK}" in json.dumps(sealed["result"], ensure_ascii=False)


def _kin_pair(api: Api) -> tuple[str, str]:
    job = api.run_job("POST", "/v1/screenings", "auditor",
                      json={"units": ["U00178", "U00003", "U00050"], "as_of": "2026-11-01"})
    assert job["status"] == "succeeded", job
    kin = next(r for r in job["result"]["recusals"] if r["rule"].startswith("kin-"))
    return kin["cadre"], kin["unit"]


def test_roles_without_ties_get_the_verdict_not_the_relatives(api: Api) -> None:
    cadre, unit = _kin_pair(api)
    params = {"cadre": cadre, "unit": unit, "as_of": "2026-11-01"}
    full = api.get("/v1/recusals/check", "auditor", params=params).json()
    kin = [r for r in full["explanation"]["reasons"] if r["rule_id"].startswith("kin-")]
    relatives = {e["target_name"] for r in kin for ev in r["evidence"] for e in ev["edges"]
                 if e["record"] and e["record"].startswith("tie:")}
    records = {e["record"] for r in kin for ev in r["evidence"] for e in ev["edges"]
               if e["record"] and e["record"].startswith("tie:")}
    assert relatives and records
    assert all(x in full["text_zh"] for x in relatives)  # the auditor sees the chain

    limited = api.get("/v1/recusals/check", "approver", params=params)
    assert limited.status_code == 200
    body = limited.json()
    assert body["recused"] == full["recused"] and body["roles"] == full["roles"]
    assert [r["rule_id"] for r in body["explanation"]["reasons"]] == \
        [r["rule_id"] for r in full["explanation"]["reasons"]]
    assert [r["basis_zh"] for r in body["explanation"]["reasons"]] == \
        [r["basis_zh"] for r in full["explanation"]["reasons"]]
    for secret in relatives | records:
        assert secret not in limited.text, secret
    assert "亲属关系：" in body["text_zh"] and "kinship:" in body["text_en"]

