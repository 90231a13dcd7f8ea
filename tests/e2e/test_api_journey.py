"""The whole journey over HTTP only, from an empty database: the pool uploaded as files,
a round planned, the draw ceremony (sealed, committed and revealed by the organizing office
and the supervisor), the draw, approval, the report, and the audit trail that records each
step in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import ceremony
from tests.e2e.api_client import Api, running_api
from tests.e2e.report_book import open_book, table
from tests.e2e.test_api_rounds import ROUND, members

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "city"


@pytest.fixture
def empty_api(db_url: str) -> Iterator[Api]:
    """The app on a migrated, empty database (SQLite and PostgreSQL)."""
    with running_api(db_url) as api:
        yield api


def test_from_upload_to_approved_decision_and_report_over_http(empty_api: Api) -> None:
    api = empty_api
    files = [("files", (p.name, p.read_bytes())) for p in sorted(SAMPLE.glob("*.csv"))]
    dry = api.post("/v1/imports", "organizer", params={"dry_run": "true"}, files=files)
    assert dry.status_code == 200, dry.text
    assert api.get("/v1/cadres", "organizer", params={"limit": 1}).json()["total"] == 0
    uploaded = api.post("/v1/imports", "organizer", files=files)
    assert uploaded.status_code == 200, uploaded.text
    cadres = api.get("/v1/cadres", "viewer", params={"limit": 1}).json()["total"]
    assert cadres == len((SAMPLE / "cadres.csv").read_text(encoding="utf-8-sig")
                         .splitlines()) - 1

    assert api.post("/v1/rounds", "organizer", json={"plan": ROUND}).status_code == 201
    held = ceremony.hold(api, "R2027-01")
    assert held.job is not None and held.proposal is not None
    assert held.draw["status"] == "drawn" and held.proposal["kind"] == "record"
    proposal_id = held.job["result"]["proposal_id"]
    approved = api.post(f"/v1/proposals/{proposal_id}/approve", "approver",
                        json={"note": "经巡察工作领导小组研究同意"})
    assert approved.status_code == 200, approved.text
    seated = members(approved.json())
    history = api.get("/v1/participations", "auditor",
                      params={"round": "R2027-01", "limit": 500}).json()
    assert {p["person_key"] for p in history["items"]} == set(seated)

    report = api.get(f"/v1/proposals/{proposal_id}/report.xlsx", "auditor")
    provenance = {r["项目 item"]: r["内容 value"]
                  for r in table(open_book(report.content), "依据与批准 Provenance")}
    assert provenance["输入包 sha256 bundle"] == approved.json()["bundle_sha256"]
    assert approved.json()["seed_hex"] == held.draw["seed"]
    assert provenance["种子 seed"] == approved.json()["seed_hex"]

    events = api.get("/v1/audit/events", "auditor", params={"limit": 500}).json()["items"]
    kinds = [e["kind"] for e in events
             if not e["kind"].startswith(("auth.", "job.", "token."))]
    assert kinds == ["data.import", "round.create", "draw.open", "draw.commit", "draw.commit",
                     "draw.reveal", "draw.reveal", "draw.seed", "proposal.create",
                     "proposal.approve"]
    parties = [(e["kind"], e["data"]["role"]) for e in events
               if e["kind"] in ("draw.commit", "draw.reveal")]
    assert parties == [("draw.commit", "organizer"), ("draw.commit", "supervisor"),
                       ("draw.reveal", "organizer"), ("draw.reveal", "supervisor")]
    seeded = next(e for e in events if e["kind"] == "draw.seed")
    assert seeded["data"]["seed"] == held.draw["seed"]
    assert api.get("/v1/audit/verify", "auditor").json()["ok"]
