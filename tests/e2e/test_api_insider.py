"""The draw as an insider would try to steer it, through the HTTP API: choose or shop for
the seed, draw a trial and then make it the result, draw again until the teams suit,
change settings after sealing, approve a trial or a superseded draw, approve a result the
wall clock cut short, change a proposal by hand and approve it oneself, reveal a secret
that does not match, or never reveal. Each is refused in words, and audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import MetaData, select, text

from assignment.ceremony import derive_seed, new_secret, secret_commitment
from pool import models as m
from pool.db import transaction
from service import ceremony as ceremony_service
from service.auth import Role, issue_token
from tests.e2e import ceremony
from tests.e2e.api_client import Api
from tests.e2e.report_book import open_book, table

SMALL = {
    "key": "R-INS", "name": "云川市委2027年第一轮巡察（内部人测试）", "start": "2027-03-01",
    "end": "2027-04-30", "as_of": "2026-11-01", "policy": "default",
    "defaults": {"size": [5, 6], "deputies": [1, 1],
                 "skills": {"finance": 1, "audit": 1, "discipline": 1}},
    "teams": [{"targets": ["U00003"]}, {"targets": ["U00006"]}],
}


def new_round(api: Api, key: str = "R-INS", **changes: Any) -> str:
    r = api.post("/v1/rounds", "organizer", json={"plan": SMALL | {"key": key} | changes})
    assert r.status_code == 201, r.text
    return key


def refusals(api: Api, kind: str) -> list[dict[str, Any]]:
    events = api.get("/v1/audit/events", "auditor", params={"kind": kind, "limit": 500})
    assert events.status_code == 200, events.text
    return [e["data"] for e in events.json()["items"]]


def assert_refused(api: Api, r: Any, status: int, code: str | None = None,
                   field: str | None = None, kind: str = "draw.refused") -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["zh"] and error["en"] and error["zh"] != error["en"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert error["field"] == field, error
    if status != 403:  # denials are audited as auth.denied, the rest under `kind`
        assert any(e["code"] == error["code"] and e["en"] == error["en"]
                   for e in refusals(api, kind)), f"no {kind} event for {error}"
    return error


def test_the_organizer_cannot_choose_the_seed_of_a_draw_of_record(sqlite_api: Api) -> None:
    api = sqlite_api
    key = new_round(api)
    r = api.post(f"/v1/rounds/{key}/draws", "organizer",
                 json={"reveal_by": ceremony.deadline(), "seed": 102})
    assert r.status_code == 422 and r.json()["error"]["field"] == "seed", r.text
    draw = ceremony.open_draw(api, key)
    spec = draw["spec_sha256"]
    # the organizer cannot commit or reveal for the supervisor: one role, one party
    mine = new_secret()
    ok = api.post(f"/v1/draws/{draw['id']}/commitments", "organizer",
                  json={"commitment": secret_commitment(spec, mine)})
    assert ok.status_code == 200, ok.text
    again = api.post(f"/v1/draws/{draw['id']}/commitments", "organizer",
                     json={"commitment": secret_commitment(spec, new_secret())})
    assert_refused(api, again, 409, "already_committed")
    for role in ("admin", "approver", "auditor", "viewer"):
        r = api.post(f"/v1/draws/{draw['id']}/commitments", role,
                     json={"commitment": "0" * 64})
        assert r.status_code == 403, (role, r.text)
    # whatever the organizer's secret, the seed follows the supervisor's: 20 private tries
    # of the organizer's own secret give 20 seeds, none of which the draw will use
    theirs = new_secret()
    tries = {derive_seed(draw["spec_sha256"], [("organizer", new_secret()),
                                               ("supervisor", theirs)], None)
             for _ in range(20)}
    api.post(f"/v1/draws/{draw['id']}/commitments", "supervisor",
             json={"commitment": secret_commitment(spec, theirs)})
    api.post(f"/v1/draws/{draw['id']}/reveals", "organizer", json={"secret": mine})
    done = api.post(f"/v1/draws/{draw['id']}/reveals", "supervisor", json={"secret": theirs})
    assert done.status_code == 200, done.text
    seed = done.json()["seed"]
    assert seed == derive_seed(draw["spec_sha256"], [("organizer", mine),
                                                      ("supervisor", theirs)], None)
    assert seed not in tries
    # once the seed is known its draw cannot be cancelled (that would be a quiet redraw)
    # nor run a second time
    cancel = api.post(f"/v1/jobs/{done.json()['job_id']}/cancel", "organizer")
    assert_refused(api, cancel, 409, "draw_not_cancellable", kind="job.refused")
    job = api.wait(done.json()["job_id"])
    assert job["status"] == "succeeded", job
    again = api.post(f"/v1/draws/{draw['id']}/rerun", "organizer", json={})
    assert_refused(api, again, 409, "draw_state")


def test_a_trial_can_never_be_approved_nor_become_the_draw_of_record(sqlite_api: Api) -> None:
    api = sqlite_api
    key = new_round(api)
    job = api.run_job("POST", f"/v1/rounds/{key}/proposals", "organizer", json={"seed": 102})
    assert job["status"] == "succeeded", job
    trial = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "organizer").json()
    assert trial["kind"] == "trial" and "试算" in trial["kind_zh"] and trial["seed"] == 102
    assert not trial["approvable"] and trial["not_approvable"][0]["code"] == "trial"
    r = api.post(f"/v1/proposals/{trial['id']}/approve", "approver", json={})
    assert_refused(api, r, 409, "trial", kind="proposal.refused")
    # a trial seed cannot be carried into the draw: its seed is 256 bits from two secrets
    for body, field in (({"commitment_id": 1}, "commitment_id"), ({"draw_id": 1}, "draw_id")):
        r = api.post(f"/v1/rounds/{key}/proposals", "organizer", json=body)
        assert_refused(api, r, 422, field=field, kind="proposal.refused")
    record = ceremony.hold(api, key)
    assert record.proposal is not None and record.proposal["kind"] == "record"
    assert record.proposal["seed"] is None and len(record.proposal["seed_hex"]) == 64
    assert record.proposal["teams"] != trial["teams"]
    report = api.get(f"/v1/proposals/{trial['id']}/report.xlsx", "organizer")
    assert report.status_code == 200
    book = load_workbook(BytesIO(report.content))
    assert all("试算" in str(ws["A1"].value) for ws in book.worksheets)


def test_a_second_draw_needs_a_reason_and_another_roles_consent_and_supersedes_the_first(
        sqlite_api: Api) -> None:
    api = sqlite_api
    key = new_round(api)
    first = ceremony.hold(api, key)
    assert first.proposal is not None
    no_reason = api.post(f"/v1/rounds/{key}/draws", "organizer",
                         json={"reveal_by": ceremony.deadline()})
    assert_refused(api, no_reason, 422, field="reason")
    second = ceremony.open_draw(api, key, reason="组长人选与被巡察单位存在未申报的关系",
                                consent_role=None)
    assert second["status"] == "awaiting_consent" and second["number"] == 2
    # while the request waits, the first draw stays the one that can be approved
    assert api.get(f"/v1/proposals/{first.proposal['id']}", "approver").json()["approvable"]
    r = api.post(f"/v1/draws/{second['id']}/consent", "organizer", json={})
    assert r.status_code == 403, r.text  # the organizing office cannot consent to its own
    other = api.post(f"/v1/rounds/{key}/draws", "admin",
                     json={"reveal_by": ceremony.deadline(), "reason": "管理员再申请一次"})
    assert_refused(api, other, 409, "draw_pending")
    pending = api.post(f"/v1/draws/{second['id']}/commitments", "organizer",
                       json={"commitment": "1" * 64})
    assert_refused(api, pending, 409, "draw_state")
    agreed = api.post(f"/v1/draws/{second['id']}/consent", "supervisor",
                      json={"note": "经纪检监察组同意"})
    assert agreed.status_code == 200 and agreed.json()["status"] == "committing", agreed.text
    old = api.get(f"/v1/proposals/{first.proposal['id']}", "approver").json()
    assert old["status"] == "superseded" and not old["approvable"]
    r = api.post(f"/v1/proposals/{first.proposal['id']}/approve", "approver", json={})
    assert_refused(api, r, 409, "superseded", kind="proposal.refused")
    secrets = ceremony.commit_all(api, second["id"])
    done = ceremony.reveal_all(api, second["id"], secrets)
    job = api.wait(done["job_id"])
    assert job["status"] == "succeeded", job
    latest = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "approver").json()
    assert [(d["number"], d["of"], d["reason"]) for d in latest["draws"]] == [
        (1, 2, None), (2, 2, "组长人选与被巡察单位存在未申报的关系")]
    assert latest["draw"]["number"] == 2 and latest["approvable"]
    # a third request waiting for consent does not block approving the second draw, and
    # once the round is decided it can no longer be consented to
    third = ceremony.open_draw(api, key, reason="再申请一次", consent_role=None)
    approved = api.post(f"/v1/proposals/{latest['id']}/approve", "approver", json={})
    assert approved.status_code == 200, approved.text
    late_consent = api.post(f"/v1/draws/{third['id']}/consent", "supervisor", json={})
    assert_refused(api, late_consent, 409, "round_decided")
    # after the decision no further draw can be opened, by anyone
    late = api.post(f"/v1/rounds/{key}/draws", "organizer",
                    json={"reveal_by": ceremony.deadline(), "reason": "批准后再抽一次"})
    assert_refused(api, late, 409, "round_decided")
    kinds = [e["kind"] for e in api.get("/v1/audit/events", "auditor", params={
        "object_type": "draw", "limit": 500}).json()["items"]]
    assert kinds.count("draw.open") == 3 and kinds.count("draw.consent") == 1


def test_settings_cannot_change_after_sealing(sqlite_api: Api) -> None:
    api = sqlite_api
    key = new_round(api)
    draw = ceremony.open_draw(api, key)
    sealed = draw["spec"]["parameters"]
    assert sealed["tolerance"] == SMALL.get("tolerance", 0.02)
    plan_text = api.get(f"/v1/rounds/{key}", "auditor").json()["plan_text"]
    assert hashlib.sha256(plan_text.encode()).hexdigest() == draw["spec"]["plan_sha256"]
    assert hashlib.sha256(draw["spec_text"].encode()).hexdigest() == draw["spec_sha256"]
    r = api.post(f"/v1/rounds/{key}/proposals", "organizer",
                 json={"draw_id": draw["id"], "tolerance": 0.1})
    assert_refused(api, r, 422, "sealed", "tolerance", kind="proposal.refused")
    for path, body in ((f"/v1/draws/{draw['id']}/commitments",
                        {"commitment": "2" * 64, "tolerance": 0.1}),
                       (f"/v1/draws/{draw['id']}/rerun", {"deterministic_time": 1})):
        r = api.post(path, "organizer", json=body)
        assert r.status_code == 422 and r.json()["error"]["field"] in (
            "tolerance", "deterministic_time"), r.text
    after = api.get(f"/v1/draws/{draw['id']}", "auditor").json()
    assert after["spec_sha256"] == draw["spec_sha256"] and after["spec"] == draw["spec"]


def test_a_reveal_that_does_not_match_or_comes_out_of_order_is_refused(
        sqlite_api: Api) -> None:
    api = sqlite_api
    key = new_round(api)
    draw = ceremony.open_draw(api, key)
    secrets = ceremony.commit_all(api, draw["id"])
    early = api.post(f"/v1/draws/{draw['id']}/reveals", "supervisor",
                     json={"secret": secrets["supervisor"]})
    assert_refused(api, early, 409, "reveal_order")
    wrong = api.post(f"/v1/draws/{draw['id']}/reveals", "organizer",
                     json={"secret": new_secret()})
    error = assert_refused(api, wrong, 409, "reveal_mismatch", "secret")
    assert "不符" in error["zh"] and "does not match" in error["en"]
    weak = api.post(f"/v1/draws/{draw['id']}/reveals", "organizer", json={"secret": "1" * 31})
    assert weak.status_code == 422
    state = api.get(f"/v1/draws/{draw['id']}", "auditor").json()
    assert state["status"] == "revealing" and all(p["secret"] is None
                                                  for p in state["parties"])
    ceremony.reveal_all(api, draw["id"], secrets)


def test_a_party_that_never_reveals_lets_the_ceremony_expire_and_nothing_is_drawn(
        sqlite_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api = sqlite_api
    key = new_round(api)
    draw = ceremony.open_draw(api, key)
    secrets = ceremony.commit_all(api, draw["id"])
    api.post(f"/v1/draws/{draw['id']}/reveals", "organizer",
             json={"secret": secrets["organizer"]})
    later = ceremony_service.now_utc() + dt.timedelta(hours=3)  # past the deadline
    monkeypatch.setattr(ceremony_service, "now_utc", lambda: later)
    late = api.post(f"/v1/draws/{draw['id']}/reveals", "supervisor",
                    json={"secret": secrets["supervisor"]})
    error = assert_refused(api, late, 409, "draw_expired")
    assert "过期" in error["zh"] and "nothing was drawn" in error["en"]
    state = api.get(f"/v1/draws/{draw['id']}", "auditor").json()
    assert state["status"] == "expired" and state["seed"] is None and state["job_id"] is None
    with transaction(api.engine) as session:
        assert session.execute(select(m.ProposalRecord).where(
            m.ProposalRecord.round_key == key)).first() is None
    no_reason = api.post(f"/v1/rounds/{key}/draws", "organizer", json={
        "reveal_by": (later + dt.timedelta(hours=2)).isoformat() + "Z"})
    assert_refused(api, no_reason, 422, field="reason")
    again = api.post(f"/v1/rounds/{key}/draws", "organizer", json={
        "reveal_by": (later + dt.timedelta(hours=2)).isoformat() + "Z",
        "reason": "第1次抽取监督方未在截止前揭示"})
    assert again.status_code == 201 and again.json()["status"] == "awaiting_consent"
    expiry = [e for e in api.get("/v1/audit/events", "auditor", params={
        "kind": "draw.expire"}).json()["items"]]
    assert expiry and expiry[0]["data"]["not_revealed"] == ["supervisor"]
    # a request nobody consents to before its deadline expires too, and blocks nothing
    much_later = later + dt.timedelta(hours=5)
    monkeypatch.setattr(ceremony_service, "now_utc", lambda: much_later)
    third = api.post(f"/v1/rounds/{key}/draws", "organizer", json={
        "reveal_by": (much_later + dt.timedelta(hours=2)).isoformat() + "Z",
        "reason": "第2次抽取申请未在截止前获同意"})
    assert third.status_code == 201 and third.json()["number"] == 3, third.text
    states = [d["status"] for d in api.get(f"/v1/rounds/{key}/draws", "auditor").json()]
    assert states == ["expired", "expired", "awaiting_consent"]


def test_whoever_changed_a_proposal_by_hand_cannot_approve_it(sqlite_api: Api) -> None:
    api = sqlite_api
    key = new_round(api)
    record = ceremony.hold(api, key)
    assert record.proposal is not None
    proposal = api.get(f"/v1/proposals/{record.proposal['id']}", "admin").json()
    team = proposal["teams"][0]
    seated = {x["key"] for t in proposal["teams"] for x in t["members"]}
    # a member someone could replace, and the first the service ranks for the seat
    member, for_swap = next((x, ranked[0]) for x in team["members"] if x["role"] == "member"
                            if (ranked := _replacements(api, record.proposal["id"], x, seated)))
    swap = api.post(f"/v1/proposals/{proposal['id']}/changes", "admin", json={
        "op": "swap", "team": team["no"], "cadre": member["key"],
        "replacement": for_swap, "reason": "原组员因病不能参加"})
    assert swap.status_code == 200, swap.text
    placed = next(x for t in swap.json()["teams"] for x in t["members"] if x["key"] == for_swap)
    assert placed["placed"] == "by_hand"
    assert placed["placed_by_hand"]["reason"] == "原组员因病不能参加"
    hidden = api.get(f"/v1/proposals/{proposal['id']}", "auditor").json()
    assert {x["placed"] for t in hidden["teams"] for x in t["members"]} == {"drawn", "by_hand"}
    assert all(x["placed_by_hand"] is None or x["placed_by_hand"]["reason"] is None
               for t in hidden["teams"] for x in t["members"])
    r = api.post(f"/v1/proposals/{proposal['id']}/approve", "admin", json={})
    assert_refused(api, r, 409, "changer_approves", kind="proposal.refused")
    # another token under the same holder's name is the same person
    with transaction(api.engine) as session:
        twin = issue_token(session, name="test-admin", role=Role.approver, scope=None,
                           created_by="tests", now=dt.datetime.now())
    r = api.client.post(f"/v1/proposals/{proposal['id']}/approve", json={},
                        headers={"Authorization": f"Bearer {twin.secret}"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "changer_approves"
    ok = api.post(f"/v1/proposals/{proposal['id']}/approve", "approver", json={})
    assert ok.status_code == 200, ok.text
    book = api.get(f"/v1/proposals/{proposal['id']}/report.xlsx", "auditor")
    rows = table(open_book(book.content), "巡察组 Teams")
    by_hand = [r for r in rows if str(r["产生方式 placed"]).startswith("人工调整")]
    assert len(by_hand) == 1 and by_hand[0]["人员编号 key"] == for_swap
    assert "因病" in by_hand[0]["产生方式 placed"]


def _replacements(api: Api, proposal_id: int, member: dict[str, Any],
                  seated: set[str]) -> list[str]:
    """Who could take `member`'s seat keeping every hard rule, best first (the service's
    ranking, GET …/replacements), leaving out anyone already seated."""
    teams = api.get(f"/v1/proposals/{proposal_id}", "admin").json()["teams"]
    no = next(t["no"] for t in teams if any(x["key"] == member["key"] for x in t["members"]))
    ranked = api.get(f"/v1/proposals/{proposal_id}/teams/{no}/replacements", "admin",
                     params={"leaving": member["key"], "limit": 20})
    assert ranked.status_code == 200, ranked.text
    return [o["cadre"] for o in ranked.json()["options"] if o["cadre"] not in seated]


def test_one_person_cannot_be_both_parties(sqlite_api: Api) -> None:
    api = sqlite_api
    key = new_round(api)
    draw = ceremony.open_draw(api, key)
    with transaction(api.engine) as session:
        org = issue_token(session, name="张三𠮷", role=Role.organizer, scope=None,
                          created_by="tests", now=dt.datetime.now())
        sup = issue_token(session, name="张三𠮷", role=Role.supervisor, scope=None,
                          created_by="tests", now=dt.datetime.now())
    for token, status in ((org, 200), (sup, 409)):
        r = api.client.post(f"/v1/draws/{draw['id']}/commitments",
                            json={"commitment": secret_commitment(draw["spec_sha256"],
                                                                  new_secret())},
                            headers={"Authorization": f"Bearer {token.secret}"})
        assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == "same_person"


def test_a_result_the_wall_clock_cut_short_is_never_kept_nor_approved(
        city_sqlite_url: str) -> None:
    from service.settings import Settings

    settings = Settings(database_url=city_sqlite_url, run_jobs=True, job_poll_seconds=0.05,
                        draw_wall_time=0.01)
    from fastapi.testclient import TestClient

    from service.app import create_app
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client, city_sqlite_url)
        key = new_round(api)
        cut = ceremony.hold(api, key, expect="failed")
        assert cut.job is not None and cut.job["error"]["code"] == "wall_clock"
        assert "墙钟" in cut.job["error"]["zh"] and "wall-clock" in cut.job["error"]["en"]
        assert cut.draw["status"] == "seeded" and cut.draw["failure"]["code"] == "wall_clock"
        assert cut.draw["proposal_id"] is None
        r = api.post(f"/v1/draws/{cut.draw['id']}/rerun", "organizer", json={"wall_time": 300})
        assert r.status_code == 403  # only an administrator raises the limit
        job = api.run_job("POST", f"/v1/draws/{cut.draw['id']}/rerun", "admin",
                          json={"wall_time": 300})
        assert job["status"] == "succeeded", job
        proposal = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "approver").json()
        assert proposal["approvable"] and proposal["seed_hex"] == cut.draw["seed"]
        again = api.post(f"/v1/draws/{cut.draw['id']}/rerun", "admin", json={})
        assert_refused(api, again, 409, "draw_state")
        replay = api.run_job("POST", f"/v1/proposals/{proposal['id']}/replay", "auditor")
        assert replay["result"]["identical"], replay["result"]["checks"]
        # a stored result marked as cut short (it cannot arise now) is refused all the same
        with transaction(api.engine) as session:
            row = session.get(m.ProposalRecord, proposal["id"])
            assert row is not None
            result = json.loads(row.result)
            result["proposal"]["wall_limit_hit"] = True
            row.result = json.dumps(result)
        r = api.post(f"/v1/proposals/{proposal['id']}/approve", "approver", json={})
        assert_refused(api, r, 409, "not_reproducible", kind="proposal.refused")


def test_nothing_stored_before_the_reveals_lets_anyone_derive_the_seed(
        api: Api) -> None:
    key = new_round(api)
    draw = ceremony.open_draw(api, key)
    secrets = ceremony.commit_all(api, draw["id"])
    seed = derive_seed(draw["spec_sha256"], list(secrets.items()), None)
    stored = _everything_stored(api)
    for value in (*secrets.values(), seed):
        assert value not in stored, "a secret or the seed is stored before the reveals"
    assert all(secret_commitment(draw["spec_sha256"], s) in stored for s in secrets.values())
    done = ceremony.reveal_all(api, draw["id"], secrets)
    assert done["seed"] == seed
    job = api.wait(done["job_id"])
    assert job["status"] == "succeeded", job
    assert seed in _everything_stored(api)  # public once revealed


def _everything_stored(api: Api) -> str:
    """Every row of every table, as text (what a database reader could see)."""
    meta = MetaData()
    meta.reflect(api.engine)
    out = []
    with api.engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in ("persons", "ties", "employments", "cadre_skills"):
                continue  # pool data: large, and written before any draw
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_the_ceremony_end_to_end_on_both_backends(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a public value: both parties reveal before the deadline, the value is
    published two days later, both enter it, and only then is the seed fixed."""
    key = new_round(api)
    after = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date()
    draw = ceremony.open_draw(api, key, public={
        "source": "中国福利彩票3D游戏开奖号码（测试）", "after": after.isoformat()})
    assert draw["spec"]["public"]["after"] == after.isoformat()
    secrets = ceremony.commit_all(api, draw["id"])
    revealed = ceremony.reveal_all(api, draw["id"], secrets)
    assert revealed["status"] == "awaiting_public" and revealed["seed"] is None
    early = api.post(f"/v1/draws/{draw['id']}/public-value", "organizer",
                     json={"value": "0 7 3"})
    assert_refused(api, early, 409, "public_not_yet")
    later = ceremony_service.now_utc() + dt.timedelta(days=3)
    monkeypatch.setattr(ceremony_service, "now_utc", lambda: later)
    first = api.post(f"/v1/draws/{draw['id']}/public-value", "organizer",
                     json={"value": "0 7 3"})
    assert first.status_code == 200 and first.json()["seed"] is None, first.text
    other = api.post(f"/v1/draws/{draw['id']}/public-value", "supervisor",
                     json={"value": "0 7 4"})
    assert_refused(api, other, 409, "public_mismatch")
    agreed = api.post(f"/v1/draws/{draw['id']}/public-value", "supervisor",
                      json={"value": "0 7 3"})
    assert agreed.status_code == 200, agreed.text
    seeded = agreed.json()
    assert seeded["seed"] == derive_seed(draw["spec_sha256"], list(secrets.items()), "0 7 3")
    assert seeded["seed_preimage"].endswith("public 0 7 3\n")
    job = api.wait(seeded["job_id"])
    assert job["status"] == "succeeded", job
    proposal = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "approver").json()
    assert proposal["kind"] == "record" and proposal["approvable"], proposal["not_approvable"]
    approved = api.post(f"/v1/proposals/{proposal['id']}/approve", "approver", json={})
    assert approved.status_code == 200, approved.text
    verify = api.get("/v1/audit/verify", "auditor").json()
    assert verify["ok"]


def test_replay_of_a_draw_of_record_is_identical_in_another_process(
        sqlite_api: Api) -> None:
    import subprocess
    import sys

    api = sqlite_api
    key = new_round(api)
    record = ceremony.hold(api, key)
    assert record.proposal is not None
    script = (
        "import json,sys\n"
        "from pool.db import make_engine, transaction\n"
        "from pool import models as m, bundle\n"
        "from conflicts.index import ConflictIndex\n"
        "from conflicts.policy import parse_policy\n"
        "from service.decisions import run_draw, spec_model, result_json\n"
        "e = make_engine(sys.argv[1])\n"
        "with transaction(e) as s:\n"
        "    row = s.get(m.ProposalRecord, int(sys.argv[2]))\n"
        "    blob, sha, stored = row.bundle, row.bundle_sha256, row.result\n"
        "snap, extra = bundle.decode(blob, sha)\n"
        "spec = spec_model(extra['mode']).model_validate(extra['spec'])\n"
        "r = run_draw(ConflictIndex(snap, snap.as_of), spec, int(extra['seed']),\n"
        "             extra['parameters'], parse_policy(extra['policy'], 'bundle'))\n"
        "print(json.dumps({'same': result_json(r) == stored, 'versions': extra['versions']}))\n")
    out = subprocess.run([sys.executable, "-c", script, api.url, str(record.proposal["id"])],
                         capture_output=True, text=True, check=True, timeout=600)
    verdict = json.loads(out.stdout.strip().splitlines()[-1])
    assert verdict["same"] and verdict["versions"] == record.draw["spec"]["versions"]


def test_a_public_value_named_in_the_plan_is_sealed_into_every_draw(sqlite_api: Api) -> None:
    api = sqlite_api
    after = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).date().isoformat()
    public = {"source": "中国福利彩票3D开奖号码（计划）", "after": after}
    key = new_round(api, public=public)
    draw = ceremony.open_draw(api, key)
    assert draw["spec"]["public"] == public and draw["public_source"] == public["source"]
    # the plan's date must still fall after the draw's reveal deadline
    late = api.post("/v1/rounds", "organizer", json={"plan": SMALL | {
        "key": "R-PUB-LATE", "public": public}})
    assert late.status_code == 201, late.text
    r = api.post("/v1/rounds/R-PUB-LATE/draws", "organizer",
                 json={"reveal_by": ceremony.deadline(hours=24 * 10)})
    assert_refused(api, r, 422, field="public.after")


def test_a_commitment_made_for_another_specification_does_not_open_this_draw(
        sqlite_api: Api) -> None:
    """Each party commits to the specification it read: a commitment prepared for an
    earlier or another draw (say, before the organizer quietly re-opened) is useless."""
    api = sqlite_api
    key = new_round(api)
    draw = ceremony.open_draw(api, key)
    other = "0" * 64
    secrets = {"organizer": new_secret(), "supervisor": new_secret()}
    for role, spec in (("organizer", other), ("supervisor", draw["spec_sha256"])):
        r = api.post(f"/v1/draws/{draw['id']}/commitments", role,
                     json={"commitment": secret_commitment(spec, secrets[role])})
        assert r.status_code == 200, r.text
    r = api.post(f"/v1/draws/{draw['id']}/reveals", "organizer",
                 json={"secret": secrets["organizer"]})
    error = assert_refused(api, r, 409, "reveal_mismatch", "secret")
    assert "规格" in error["zh"] and "specification" in error["en"]
