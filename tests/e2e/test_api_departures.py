"""Departures mid-round over the API (issue 15 item 1): a member leaves, the seat is filled
by the seeded lot among the near-best, on a draft and on an approved proposal; the lot is
recomputed here from the published preimage with plain sha256 and again in another
process; nobody can draw twice, pick the date to re-roll, or record on a trial; sealed
roles read the record without names; the audit chain verifies after."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest

from service import departures
from tests.e2e.api_client import Api
from tests.e2e.render import SHOTS, pages, pngs
from tests.e2e.report_book import open_book, table
from tests.e2e.test_api_replacements import ranking, seat
from tests.e2e.test_api_rounds import draw, plan
from tests.e2e.test_api_scope import COUNTY

TODAY = dt.date(2027, 3, 20)  # inside the round (2027-03-01 to 2027-04-30)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(departures, "today", lambda: TODAY)


def depart(api: Api, pid: int, team: int, leaving: str, role: str = "organizer",
           **body: Any) -> Any:
    return api.post(f"/v1/proposals/{pid}/teams/{team}/departures", role,
                    json={"leaving": leaving, "reason": "illness", "date": "2027-03-15"} | body)


def expected_lot(api: Api, proposal: dict[str, Any], team: int, leaving: str
                 ) -> tuple[str, set[str], set[str], int]:
    """What the lot must be, from the ranking and the published rule alone: the event's
    text, the ranked options within the sealed tolerance of the best (those on the
    ranking's first page: in the lot) and those below it (out), and how many could take
    the seat at all."""
    r = ranking(api, proposal["id"], team, leaving, limit=200)
    after = {o["cadre"]: proposal["objective"] + o["objective_change"] for o in r["options"]}
    best = max(after.values())
    floor = best - int(abs(best) * proposal["parameters"]["tolerance"])
    text = (f"xuncha-replacement-draw-v2\nseed {proposal['seed_hex']}\nproposal "
            f"{proposal['id']}\nteam {team}\nleaving {leaving}\n")
    return (text, {k for k, v in after.items() if v >= floor},
            {k for k, v in after.items() if v < floor}, r["eligible"])


def recompute(text: str, options: list[dict[str, str]]) -> tuple[dict[str, str], str]:
    """Every ticket with plain sha256, and the smallest one's cadre."""
    tickets = {o["cadre"]: hashlib.sha256(f"{text}candidate {o['cadre']}\n".encode())
               .hexdigest() for o in options}
    return tickets, min(tickets, key=lambda k: tickets[k])


def _winner_in_another_process(url: str, pid: int, team: int, leaving: str) -> str:
    script = f"""
import datetime as dt
from pool import models as m
from pool.db import make_engine, transaction
from service.departures import _lot, _seat
with transaction(make_engine({url!r})) as s:
    row = s.get(m.ProposalRecord, {pid})
    rnd = s.get(m.Round, row.round_key)
    part, inst, current, _seat_ = _seat(row, {team}, {leaving!r})
    drawn, _t = _lot(s, row, rnd, {team}, dt.date(2027, 3, 15), part, inst, current,
                     {leaving!r})
    print(drawn.chosen.cadre)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.strip()


def test_a_departure_is_filled_by_the_lot_on_a_draft_and_after_approval(api: Api) -> None:
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    pid = proposal["id"]
    leaving = seat(proposal, 1, "member")
    text, inside, outside, eligible = expected_lot(api, proposal, 1, leaving["key"])
    elsewhere = _winner_in_another_process(api.url, pid, 1, leaving["key"])

    r = depart(api, pid, 1, leaving["key"], reason="recalled", text="原单位工作需要召回")
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["leaving"] == {"key": leaving["key"], "name": leaving["name"], "role": "member"}
    assert (d["reason"], d["reason_zh"], d["text"]) == \
        ("recalled", "单位召回", "原单位工作需要召回")
    assert d["placed"] == "lot" and d["amendment"] is False and d["date"] == "2027-03-15"
    lot = d["lot"]
    assert lot["preimage"] == text and lot["seed"] == proposal["seed_hex"]
    assert lot["event_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert "原单位工作需要召回" not in text and "2027-03-15" not in text  # nothing chosen
    # the lot holds every option within the tolerance and none below it
    drawn = {o["cadre"] for o in lot["options"]}
    assert inside <= drawn and not outside & drawn and 2 <= len(drawn) <= eligible
    tickets, winner = recompute(text, lot["options"])
    assert {o["cadre"]: o["ticket"] for o in lot["options"]} == tickets
    assert d["replacement"]["key"] == winner and d["replacement"]["name"]
    assert lot["winner_ticket"] == tickets[winner] == min(tickets.values())
    assert elsewhere == winner  # the same inputs in another process draw the same cadre
    # the proposal: the newcomer sits in the seat, placed by lot, with the ticket
    now = api.get(f"/v1/proposals/{pid}", "organizer").json()
    placed = next(x for x in now["teams"][0]["members"] if x["key"] == winner)
    assert placed["placed"] == "by_lot" and placed["role"] == "member"
    assert placed["placed_by_hand"]["ticket"] == tickets[winner]
    assert leaving["key"] not in {x["key"] for x in now["teams"][0]["members"]}
    assert now["revision"] == proposal["revision"] + 1 and now["status"] == "draft"
    # the history and the list of departures hold it
    changes = api.get(f"/v1/proposals/{pid}/changes", "organizer").json()
    assert changes[-1]["change"]["op"] == "replacement"
    assert changes[-1]["reason"] == "单位召回 / recalled by the home unit：原单位工作需要召回"
    listed = api.get(f"/v1/proposals/{pid}/departures", "auditor").json()
    assert len(listed) == 1 and listed[0]["lot"]["winner_ticket"] == tickets[winner]

    # recording it again (to get another draw) is refused, with any date or reason
    again = depart(api, pid, 1, leaving["key"], date="2027-03-16")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_recorded"
    again = depart(api, pid, 1, winner, date="2027-03-01")  # the newcomer may leave too
    assert again.status_code == 201, again.text

    # approval stays possible for someone who did not record it; then an amendment
    approved = api.post(f"/v1/proposals/{pid}/approve", "approver", json={"note": "同意"})
    assert approved.status_code == 200, approved.text
    other = seat(approved.json(), 2, "member")
    winner2 = _winner_in_another_process(api.url, pid, 2, other["key"])
    r = depart(api, pid, 2, other["key"], reason="other", text="借调至省委巡视组")
    assert r.status_code == 201, r.text
    assert r.json()["amendment"] is True and r.json()["replacement"]["key"] == winner2
    assert recompute(r.json()["lot"]["preimage"], r.json()["lot"]["options"])[1] == winner2
    after = api.get(f"/v1/proposals/{pid}", "supervisor").json()
    assert after["status"] == "approved"
    # the round's participation history follows the teams
    assert api.get(f"/v1/participations/R2027-01/{winner2}", "admin").status_code == 200
    assert api.get(f"/v1/participations/R2027-01/{other['key']}", "admin").status_code == 404
    events = api.get("/v1/audit/events", "auditor", params={"limit": 500}).json()["items"]
    recorded = [e for e in events if e["kind"] == "proposal.departure"]
    assert len(recorded) == 3 and recorded[-1]["data"]["amendment"] is True
    assert recorded[0]["data"]["change"]["lot"]["winner_ticket"] == tickets[winner]
    verify = api.get("/v1/audit/verify", "auditor").json()
    assert verify["ok"], verify["problems"]


def test_refusals_write_nothing_and_say_why(sqlite_api: Api,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    pid = proposal["id"]
    leaving = seat(proposal, 1, "member")["key"]
    names = {x for t in proposal["teams"] for m in t["members"] for x in (m["key"], m["name"])}
    cases = [
        ({"date": "2027-02-28"}, "organizer", 422, "date", "不在本轮期间"),
        ({"date": "2027-05-01"}, "organizer", 422, "date", "不在本轮期间"),
        ({"date": "2027-03-21"}, "organizer", 422, "date", "晚于今天"),
        ({"reason": "other"}, "organizer", 422, "text", "须写明说明"),
        ({"reason": "bored"}, "organizer", 422, "reason", "须为以下之一"),
    ]
    for body, role, status, field, words in cases:
        r = depart(api, pid, 1, leaving, role, **body)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert error["field"].startswith(field) and words in error["zh"], error
    assert depart(api, pid, 99, leaving).status_code == 422
    stranger = depart(api, pid, 1, "P99999999")
    assert stranger.status_code == 422 and "不在第1组" in stranger.json()["error"]["zh"]
    for role in ("approver", "auditor", "supervisor", "viewer"):
        r = depart(api, pid, 1, leaving, role)
        assert r.status_code == 403, (role, r.text)
        assert not [x for x in names if x in r.text], role
    # a county token cannot reach the city's proposal, in any role that may write
    for role in ("admin", "organizer"):
        r = api.call("POST", f"/v1/proposals/{pid}/teams/1/departures", role, COUNTY,
                     json={"leaving": leaving, "reason": "illness", "date": "2027-03-15"})
        assert r.status_code == 403, r.text
    # nobody can take the seat: the diagnosis, the refusal audited, nothing else written
    everyone = {c.key: ("状态为病休", "on sick leave") for c in _candidates(api, pid)}
    monkeypatch.setattr(departures, "_unavailable", lambda *_a: everyone)
    r = depart(api, pid, 1, leaving)
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_replacement", r.text
    assert "没有人能接替第1组组员的席位" in r.json()["error"]["zh"]
    assert api.get(f"/v1/proposals/{pid}", "organizer").json()["revision"] == 0
    assert api.get(f"/v1/proposals/{pid}/departures", "organizer").json() == []
    events = api.get("/v1/audit/events", "auditor", params={"limit": 500}).json()["items"]
    assert not [e for e in events if e["kind"] == "proposal.departure"]
    assert [e for e in events if e["kind"] == "proposal.refused"
            and e["data"]["code"] == "no_replacement"]
    monkeypatch.undo()
    monkeypatch.setattr(departures, "today", lambda: TODAY)
    # a trial has no draw of record: refused
    job = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    trial = api.get(f"/v1/proposals/{job['result']['proposal_id']}", "organizer").json()
    r = depart(api, trial["id"], 1, seat(trial, 1, "member")["key"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "trial", r.text


def _candidates(api: Api, pid: int) -> list[Any]:
    from pool import models as m
    from pool.db import transaction
    from service.changes import stored_parts

    with transaction(api.engine) as session:
        row = session.get(m.ProposalRecord, pid)
        assert row is not None
        return [c for _p, inst in stored_parts(row.instance) for c in inst.candidates]


def test_sealed_roles_read_the_departure_without_names_until_approval(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    pid = proposal["id"]
    leaving = seat(proposal, 1, "member")
    r = depart(api, pid, 1, leaving["key"])
    assert r.status_code == 201, r.text
    shown = r.json()
    hidden = {leaving["key"], leaving["name"], shown["replacement"]["key"],
              shown["replacement"]["name"]} | {o["cadre"] for o in shown["lot"]["options"]}
    for role in ("supervisor", "auditor"):
        for path in (f"/v1/proposals/{pid}/departures", f"/v1/proposals/{pid}/changes",
                     "/v1/audit/events"):
            got = api.get(path, role, params={"limit": 500} if "audit" in path else None)
            if got.status_code == 403:
                continue
            assert got.status_code == 200, got.text
            assert not [x for x in hidden if x in got.text], (role, path)
    sealed = api.get(f"/v1/proposals/{pid}/departures", "supervisor").json()[0]
    assert sealed["leaving"]["key"] is None and sealed["lot"]["winner_ticket"]
    # the preimage names who left: masked
    assert json.dumps(sealed, ensure_ascii=False).count("＊＊＊") >= 1


def test_the_report_shows_who_replaced_whom_when_why_and_how(sqlite_api: Api) -> None:
    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    pid = proposal["id"]
    leaving = seat(proposal, 1, "deputy")
    r = depart(api, pid, 1, leaving["key"], reason="illness", text="住院治疗")
    assert r.status_code == 201, r.text
    d = r.json()
    approved = api.post(f"/v1/proposals/{pid}/approve", "approver", json={"note": "同意"})
    assert approved.status_code == 200, approved.text
    book = open_book(api.get(f"/v1/proposals/{pid}/report.xlsx", "auditor").content)
    rows = table(book, "人员调整 Replacements")
    assert len(rows) == 1
    row = rows[0]
    assert row["离组人员 who left"] == f"{leaving['name']} {leaving['key']}（副组长）"
    assert row["离组日期 date"].date() == dt.date(2027, 3, 15)
    assert row["原因 why"] == "病休 illness：住院治疗"
    assert row["接替人员 replaced by"] == f"{d['replacement']['name']} {d['replacement']['key']}"
    assert row["方式 how"] == f"抽签产生 placed by lot；签号 ticket {d['lot']['winner_ticket']}"
    assert row["记录人 recorded by"] == "test-organizer"
    assert row["记录时间 recorded at（北京时间）"].year >= 2026  # a time, typed
    teams = table(book, "巡察组 Teams")
    placed = next(x for x in teams if x["人员编号 key"] == d["replacement"]["key"])
    assert placed["产生方式 placed"].startswith("离组后抽签替换 placed by lot")
    pdf = api.get(f"/v1/proposals/{pid}/report.pdf", "auditor")
    if pdf.status_code == 503 or shutil.which("pdftotext") is None:
        pytest.skip("no CJK font or no pdftotext here: the pdf's text is not checked")
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / "report-departures.pdf"  # looked at as report-departures-*.png
    path.write_bytes(pdf.content)
    if shutil.which("pdftoppm"):
        pngs(path, SHOTS / "report-departures")
    text = "".join(pages(path))
    flat = re.sub(r"\s+", "", text)
    assert "巡察期间人员调整" in flat and "病休illness：住院治疗" in flat
    assert d["lot"]["winner_ticket"][:16] in flat and d["replacement"]["name"] in flat


def test_the_command_line_records_a_departure_as_the_api_does(sqlite_api: Api) -> None:
    from typer.testing import CliRunner

    from service.cli import app

    api = sqlite_api
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    proposal = draw(api)
    pid = proposal["id"]
    leaving = seat(proposal, 3, "member")["key"]
    winner = _winner_in_another_process(api.url, pid, 3, leaving)
    args = ["departure", str(pid), "3", leaving, "--reason", "recalled", "--date",
            "2027-03-15", "--database-url", api.url]
    refused = CliRunner().invoke(app, [*args, "--token", api.token("supervisor")])
    assert refused.exit_code == 1 and "无权调整方案" in refused.output
    bad = CliRunner().invoke(app, [*args[:5], "bored", *args[6:], "--token",
                                   api.token("organizer")])
    assert bad.exit_code == 2 and "--reason 须为" in bad.output
    done = CliRunner().invoke(app, [*args, "--token", api.token("organizer")])
    assert done.exit_code == 0, done.output
    assert "由" in done.output and winner in done.output and "签号 winning ticket" in done.output
    again = CliRunner().invoke(app, [*args, "--token", api.token("organizer")])
    assert again.exit_code == 1 and "不能再次记录或重新抽签" in again.output
    assert "Traceback" not in again.output + bad.output + refused.output
    listed = api.get(f"/v1/proposals/{pid}/departures", "organizer").json()
    assert [d["replacement"]["key"] for d in listed] == [winner]
