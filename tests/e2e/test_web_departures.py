"""Departures on the proposal page (issue 15 item 1), as a browser gets them: the form
记录离组 for organizers (CSRF like the other forms), a refusal shown field by field with
nothing written, the result saying who replaced whom with the ticket, the section listing
every departure, sealed for roles that may not see names; no form for other roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from service import departures
from service.auth import Role
from tests.e2e.test_web_audit import signed_in
from tests.e2e.test_web_proposals import (  # noqa: F401  (fixtures)
    World,
    errors_on,
    proposal_row,
    team_section,
    url,
    world,
)

TODAY = dt.date(2027, 3, 20)


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(departures, "today", lambda: TODAY)


def section(html: str) -> str:
    found = re.search(r'<section class="proposal-departures" id="departures".*?</section>',
                      html, re.S)
    assert found, html[:300]
    return found.group(0)


def test_an_organizer_records_a_departure_and_sees_who_took_the_seat(
        url: str, world: World) -> None:  # noqa: F811
    pid = world.record["id"]
    base = f"/proposals/{pid}"
    leaving = next(x for x in world.record["teams"][0]["members"] if x["role"] == "member")
    seat = f"1:{leaving['key']}"
    with signed_in(url, "王组织", Role.organizer) as b:
        page = b.get(base).text
        assert "记录离组" in section(page) and "巡察期间无人离组" in section(page)
        assert f'<option value="{seat}">' in page
        assert 'value="2027-03-20"' in page  # today, inside the round, suggested
        token = b.token(base)
        form = {"csrf_token": token, "seat": seat, "reason": "illness", "text": "住院治疗",
                "date": "2027-03-15"}
        before = proposal_row(url, pid)
        # refusals: each on its field, the form kept open with what was sent, nothing written
        for bad, field, words in (({"date": "2027-03-21"}, "departure-date", "晚于今天"),
                                  ({"date": "2027-02-01"}, "departure-date", "不在本轮期间"),
                                  ({"date": "昨天"}, "departure-date", "请填写离组日期"),
                                  ({"reason": "other", "text": ""}, "departure-text", "须写明说明"),
                                  ({"seat": ""}, "departure-seat", "请选择离组的成员"),
                                  ({"seat": "1:P99999999"}, "departure-seat", "不在第1组")):
            answer = b.post(f"{base}/departures", form | bad)
            assert answer.status_code in (400, 422), (bad, answer.status_code)
            found = errors_on(answer.text)
            assert found and found[0][0] == field and words in found[0][1], (bad, found)
            assert '<details class="proposal-depart" open>' in answer.text
            assert "Traceback" not in answer.text
        assert proposal_row(url, pid) == before
        # without the form's token: refused, nothing written
        assert b.post(f"{base}/departures", form | {"csrf_token": "forged"}).status_code == 403
        assert proposal_row(url, pid) == before
        done = b.post(f"{base}/departures", form)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == \
            f"{base}?done=departure&revision={before[0] + 1}#departures"
        after = b.get(done.headers["location"].split("#")[0]).text
        assert "离组已记录" in after
        shown = section(after)
        result = re.search(r'class="notice proposal-departure-result".*?</div>', shown, re.S)
        assert result and leaving["name"] in result.group(0) and "接替" in result.group(0)
        ticket = re.search(r'class="audit-hash">([0-9a-f]{64})<', result.group(0))
        assert ticket
        newcomer = re.search(r"由 (\S+) <span class=\"pool-code\">(P\d+)</span> 接替",
                             result.group(0))
        assert newcomer, result.group(0)
        team = team_section(after, 1)
        assert newcomer.group(2) in team and leaving["key"] not in team
        assert "离组后抽签替换" in team and ticket.group(1) in team
        assert "病休" in shown and "住院治疗" in shown and "王组织" in shown
        assert proposal_row(url, pid)[0] == before[0] + 1
        # the same member again: refused, says it was recorded
        again = b.post(f"{base}/departures", form)
        assert again.status_code == 409 and "不能再次记录或重新抽签" in again.text
    # a supervisor reads the section, sealed, and gets no form
    with signed_in(url, "赵监督", Role.supervisor) as b:
        page = b.get(base).text
        shown = section(page)
        assert "记录离组并抽签" not in shown and ticket.group(1) in shown
        assert leaving["name"] not in page and newcomer.group(2) not in page
        assert b.post(f"{base}/departures", {"csrf_token": b.token(base), "seat": seat,
                                              "reason": "illness",
                                              "date": "2027-03-15"}).status_code == 403
