"""Proposal review as a browser gets it (TestClient): the teams with roles, skills and home
units, each requirement checked, sealed per role through every page, fragment, print view
and download; manual changes from the ranked suggestions with a required reason, refusals
with the rules they break and nothing written; approval with its blockers; CSRF; scope."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pool import models as m
from pool.db import make_engine, transaction
from service.auth import Role
from tests.e2e import ceremony
from tests.e2e.api_client import running_api
from tests.e2e.test_api_rounds import ROUND
from tests.e2e.test_web_audit import signed_in

HX = {"HX-Request": "true"}
REASON = "本人患病住院，经组织同意调整 𠮷"
PRINTS = ("sealed-list", "report", "recusals")


@dataclass
class World:
    path: Path  # the sample city, a city round, its draw of record and a trial
    record: dict[str, Any]  # the draw of record as the organizer reads it over the API
    trial: dict[str, Any]
    members: set[str]  # every member's key and name, both proposals


@pytest.fixture(scope="module")
def world(city_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("proposals-web") / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    with running_api(f"sqlite:///{path}") as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": ROUND, "region": "320100"})
        assert made.status_code == 201, made.text
        held = ceremony.hold(api, ROUND["key"])
        assert held.proposal is not None
        trial = api.run_job("POST", f"/v1/rounds/{ROUND['key']}/proposals", "organizer",
                            json={"seed": 11})
        assert trial["status"] == "succeeded", trial
        trial_read = api.get(f"/v1/proposals/{trial['result']['proposal_id']}",
                             "organizer").json()
    members = {x for p in (held.proposal, trial_read) for t in p["teams"]
               for y in t["members"] for x in (y["key"], y["name"])}
    return World(path, held.proposal, trial_read, members)


@pytest.fixture
def url(world: World, tmp_path: Path) -> str:
    copy = tmp_path / "city.sqlite3"
    shutil.copy(world.path, copy)
    return f"sqlite:///{copy}"


def leaked(world: World, text: str) -> list[str]:
    return sorted(x for x in world.members if x in text)


def proposal_row(url: str, pid: int) -> tuple[int, str, str]:
    engine = make_engine(url)
    with transaction(engine) as session:
        row = session.get(m.ProposalRecord, pid)
        assert row is not None
        out = (row.revision, row.status, row.teams)
    engine.dispose()
    return out


def errors_on(html: str) -> list[tuple[str, str]]:
    """The error summary's links: (the field's id, the message)."""
    return re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html)


def team_section(html: str, no: int) -> str:
    found = re.search(rf'<section class="proposal-team" id="team-{no}".*?</section>', html,
                      re.S)
    assert found, html[:300]
    return found.group(0)


def removable(proposal: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A plain member whose leaving keeps every requirement (team size and skills)."""
    needed = set(ROUND["defaults"]["skills"])  # type: ignore[arg-type]
    for t in proposal["teams"]:
        if len(t["members"]) <= ROUND["defaults"]["size"][0]:  # type: ignore[index]
            continue
        for x in t["members"]:
            others = [y for y in t["members"] if y is not x]
            if x["role"] == "member" and all(any(s in y["skills"] for y in others)
                                             for s in needed):
                return t["no"], x
    raise AssertionError("no member can leave without breaking a requirement")


def test_the_review_shows_roles_skills_home_units_requirements_and_the_draw(
        url: str, world: World) -> None:
    pid = world.record["id"]
    with signed_in(url, "王组织", Role.organizer) as b:
        page = b.get(f"/proposals/{pid}")
        assert page.status_code == 200, page.text
        html = page.text
        team = world.record["teams"][0]
        section = team_section(html, 1)
        leader = next(x for x in team["members"] if x["role"] == "leader")
        assert "云川市公安局（U00003）" in section  # the target by name, key beside
        assert re.search(rf"组长 <span[^>]*>leader</span></td>\s*<td>{leader['name']} "
                         rf'<span class="pool-code">{leader["key"]}</span>', section)
        assert "财务 finance" in html and "纪检监察 discipline" in html  # skills named
        engine = make_engine(url)
        with transaction(engine) as session:
            unit_key, unit_name = session.execute(
                select(m.Unit.key, m.Unit.name).join(
                    m.Cadre, m.Cadre.home_unit_key == m.Unit.key)
                .where(m.Cadre.person_key == leader["key"])).one()
        engine.dispose()
        assert f"{unit_name}（{unit_key}）" in section  # the home unit
        # each requirement checked, with the numbers
        assert section.count("proposal-check--met") == 6 and "✗" not in section
        assert re.search(r"✓.*共\d人（要求5–6人）", section, re.S)
        assert "财务专业" in section and "（要求至少1人）" in section
        # the soft terms with their names and the draw it came from
        assert "老带新：安排的后备、新提拔干部" in html and "training" in html
        draw = world.record["draw"]
        assert f'href="/draws/{draw["id"]}"' in html and world.record["seed_hex"] in html
        assert "第1次抽取（共1次）" in html and "抽取产生" in html
        assert "proposal-member--by-hand" not in html and "未做人工调整" in html
        assert "试算" not in html.split("<main", 1)[1].split("巡察组 <span", 1)[0]


def test_a_trial_says_it_is_never_approvable_even_to_the_approver(
        url: str, world: World) -> None:
    pid = world.trial["id"]
    with signed_in(url, "李审批", Role.approver) as b:
        page = b.get(f"/proposals/{pid}").text
        assert "【试算（不可批准）】" in page and "永远不能批准" in page
        assert "试算方案不能批准" in page and "a trial draw can never be approved" in page
        assert "批准方案 / Approve" not in page  # no approval form
        refused = b.post(f"/proposals/{pid}/approve", {"csrf_token": b.token(f"/proposals/{pid}"),
                                                        "note": "同意"})
        assert refused.status_code == 409
        assert ("approve", "不能批准：试算方案不能批准，也不能成为抽取结果；请组织抽取 / cannot "
                "approve: a trial draw can never be approved or become the draw of record; "
                "hold a draw ceremony") in errors_on(refused.text)
        for view in PRINTS:
            printed = b.get(f"/proposals/{pid}/print/{view}").text
            assert "【试算，不可批准 TRIAL, never approvable】" in printed
    assert proposal_row(url, pid)[1] == "draft"


@pytest.mark.parametrize("role", [Role.auditor, Role.supervisor])
def test_roles_that_may_not_see_names_get_no_name_or_key_anywhere(
        url: str, world: World, role: Role) -> None:
    pid = world.record["id"]
    # a change by hand first, so its reason and the member it placed are on every page
    n, leaving = removable(world.record)
    with signed_in(url, "王组织", Role.organizer) as b:
        done = b.post(f"/proposals/{pid}/changes", {
            "csrf_token": b.token(f"/proposals/{pid}"), "op": "remove", "team": str(n),
            "cadre": leaving["key"], "reason": f"{leaving['name']}（{leaving['key']}）{REASON}"})
        assert done.status_code == 303, done.text
        shown = b.get(f"/proposals/{pid}").text
        assert leaving["name"] in shown  # the control: the organizer sees the names
    with signed_in(url, "赵封存", role) as b:
        page = b.get(f"/proposals/{pid}")
        assert page.status_code == 200
        assert "看不到成员的姓名和人员编号" in page.text and "＊＊＊" in page.text
        assert REASON in page.text  # the change's reason, its names masked
        seen = [page.text]
        for view in PRINTS:
            printed = b.get(f"/proposals/{pid}/print/{view}")
            assert printed.status_code == 200
            assert "（批准前不公开 / hidden before approval）" in printed.text
            seen.append(printed.text)
        for trial_view in ("", "/print/sealed-list"):
            seen.append(b.get(f"/proposals/{world.trial['id']}{trial_view}").text)
        # the fragment and the change are for roles that may change proposals
        fragment = b.get(f"/proposals/{pid}/replacements?team=1&cadre="
                         f"{world.record['teams'][0]['members'][1]['key']}", **HX)
        assert fragment.status_code == 403
        seen.append(fragment.text)
        assert b.post(f"/proposals/{pid}/changes", {
            "csrf_token": b.token(f"/proposals/{pid}"), "op": "remove", "team": "1",
            "cadre": "P00000001", "reason": REASON}).status_code == 403
        for text in seen:
            assert leaked(world, text) == []
        workbook = b.client.get(f"/proposals/{pid}/report.xlsx")
        assert workbook.status_code == 200
        cells = " ".join(str(c.value) for ws in load_workbook(io.BytesIO(workbook.content))
                         for row in ws.iter_rows() for c in row if c.value is not None)
        assert "批准前不公开" in cells and leaked(world, cells) == []


def test_after_approval_every_reader_sees_the_names(url: str, world: World) -> None:
    pid = world.record["id"]
    with signed_in(url, "李审批", Role.approver) as b:
        ok = b.post(f"/proposals/{pid}/approve", {"csrf_token": b.token(f"/proposals/{pid}"),
                                                   "note": "经巡察工作领导小组研究同意"})
        assert ok.status_code == 303
    with signed_in(url, "赵审计", Role.auditor) as b:
        page = b.get(f"/proposals/{pid}").text
        assert leaked(world, page) and "看不到成员的姓名" not in page
        printed = b.get(f"/proposals/{pid}/print/sealed-list").text
        leader = world.record["teams"][0]["members"][0]
        assert leader["name"] in printed and leader["key"] in printed
        assert "经巡察工作领导小组研究同意" in b.get(f"/proposals/{pid}/print/report").text


def test_a_swap_from_the_ranked_suggestions_needs_a_reason(url: str, world: World) -> None:
    pid = world.record["id"]
    team = world.record["teams"][0]
    leaving = next(x for x in team["members"] if x["role"] == "member")
    with signed_in(url, "王组织", Role.organizer) as b:
        base = f"/proposals/{pid}"
        page = b.get(base).text
        link = f"{base}/replacements?team=1&amp;cadre={leaving['key']}"
        assert f'hx-get="{link}"' in page
        fragment = b.get(link.replace("&amp;", "&"), **HX)
        assert fragment.status_code == 200
        assert "<html" not in fragment.text  # htmx gets the fragment only
        options = re.findall(r'name="replacement" value="([^"]+)"', fragment.text)
        assert options and leaving["key"] not in options
        ranks = [int(r) for r in re.findall(r'class="replacement__rank">(\d+)<', fragment.text)]
        assert ranks == list(range(1, len(options) + 1))  # best first, each with why
        assert fragment.text.count('class="replacement__why"') == len(options)
        assert "目标值" in fragment.text
        token = b.token(base)
        form = {"csrf_token": token, "op": "swap", "team": "1", "cadre": leaving["key"],
                "replacement": options[0]}
        before = proposal_row(url, pid)
        missing = b.post(f"{base}/changes", form | {"reason": "  "})
        assert missing.status_code == 400
        assert errors_on(missing.text) == [(
            f"swap-reason-1-{leaving['key']}",
            "请写明调整理由（至少4个字） / give the reason for the change (at least 4 "
            "characters)")]
        # the suggestions are open again, with the choice kept
        assert f'id="swap-reason-1-{leaving["key"]}"' in missing.text
        assert re.search(rf'value="{options[0]}" checked', missing.text)
        assert proposal_row(url, pid) == before  # nothing written
        no_choice = b.post(f"{base}/changes", form | {"replacement": "", "reason": REASON})
        assert no_choice.status_code == 400
        assert errors_on(no_choice.text)[0][0] == f"replacement-1-{leaving['key']}"
        done = b.post(f"{base}/changes", form | {"reason": REASON})
        assert done.status_code == 303
        assert done.headers["location"] == f"{base}?done=change#team-1"
        after = b.get(f"{base}?done=change").text
        assert "调整已保存" in after
        section = team_section(after, 1)
        assert options[0] in section and leaving["key"] not in section
        assert "proposal-member--by-hand" in section and "人工调整 <span" in section
        assert REASON in section and "王组织" in section and "北京时间" in section
        assert proposal_row(url, pid)[0] == before[0] + 1
        # the ranked list is refreshed for the new member; the old one is gone
        assert b.get(f"{base}/replacements?team=1&cadre={leaving['key']}",
                     **HX).status_code == 422


def test_refused_changes_list_the_rules_broken_and_write_nothing(
        url: str, world: World) -> None:
    pid = world.record["id"]
    base = f"/proposals/{pid}"
    team = world.record["teams"][0]
    leader = next(x for x in team["members"] if x["role"] == "leader")
    with signed_in(url, "王组织", Role.organizer) as b:
        before = proposal_row(url, pid)
        token = b.token(base)
        refused = b.post(f"{base}/changes", {"csrf_token": token, "op": "remove", "team": "1",
                                             "cadre": leader["key"], "reason": REASON})
        assert refused.status_code == 409
        violations = re.search(r'class="proposal-violations".*?</div>', refused.text, re.S)
        assert violations and "组长0人，须1人 / needs exactly one leader" in violations.group(0)
        assert errors_on(refused.text)[0][0] == "team-1"
        assert proposal_row(url, pid) == before
        # an add: the cadre is no candidate, the field says so; a bad team is a field error
        unknown = b.post(f"{base}/changes", {"csrf_token": token, "op": "add", "team": "2",
                                             "cadre": "P99999999", "reason": REASON})
        assert unknown.status_code == 422
        assert errors_on(unknown.text)[0][0] == "add-cadre-2"
        assert "P99999999 不是本轮候选人" in unknown.text
        assert re.search(r'<details class="proposal-add" open>', unknown.text)
        for bad in ({"team": "x"}, {"team": "²"}, {"team": "99"}, {"op": "steal"}, {"reason": "短"},
                    {"reason": "𠮷" * 2001}, {"cadre": "<script>"}):
            answer = b.post(f"{base}/changes", {"csrf_token": token, "op": "add", "team": "2",
                                                "cadre": "P00000001", "reason": REASON} | bad)
            assert answer.status_code in (400, 409, 422), bad
            assert errors_on(answer.text) and "Traceback" not in answer.text, bad
        assert proposal_row(url, pid) == before
        # a refusal is audited as the API's is
        engine = make_engine(url)
        with transaction(engine) as session:
            kinds = session.execute(select(m.AuditEvent.kind).where(
                m.AuditEvent.kind == "proposal.refused")).scalars().all()
        engine.dispose()
        assert len(kinds) >= 2


def test_a_form_without_its_token_changes_nothing(url: str, world: World) -> None:
    pid = world.record["id"]
    n, leaving = removable(world.record)
    with signed_in(url, "王组织", Role.organizer) as b:
        before = proposal_row(url, pid)
        form = {"op": "remove", "team": str(n), "cadre": leaving["key"], "reason": REASON}
        for sent in (form, form | {"csrf_token": "forged"}):
            refused = b.post(f"/proposals/{pid}/changes", sent)
            assert refused.status_code == 403 and "表单已失效" in refused.text
        other = b.client.post(f"/proposals/{pid}/changes",
                              data=form | {"csrf_token": b.token(f"/proposals/{pid}")},
                              headers={"accept": "text/html", "origin": "http://evil.example"})
        assert other.status_code == 403
        assert proposal_row(url, pid) == before
    with signed_in(url, "李审批", Role.approver) as b:
        assert b.post(f"/proposals/{pid}/approve", {"note": "同意"}).status_code == 403
    assert proposal_row(url, pid) == before


def test_approval_blockers_in_both_languages_and_the_approval_itself(
        url: str, world: World) -> None:
    pid = world.record["id"]
    base = f"/proposals/{pid}"
    n, leaving = removable(world.record)
    with signed_in(url, "周管理", Role.admin) as b:  # may change and approve: not both
        done = b.post(f"{base}/changes", {"csrf_token": b.token(base), "op": "remove",
                                          "team": str(n), "cadre": leaving["key"],
                                          "reason": REASON})
        assert done.status_code == 303
        page = b.get(base).text
        assert "人工调整过本方案的人员不能批准本方案" in page
        assert "whoever changed the proposal by hand may not approve it" in page
        assert "批准方案 / Approve" not in page
        refused = b.post(f"{base}/approve", {"csrf_token": b.token(base), "note": "同意"})
        assert refused.status_code == 409 and "人工调整过本方案的人员不能批准本方案" in refused.text
    assert proposal_row(url, pid)[1] == "draft"
    with signed_in(url, "王组织", Role.organizer) as b:  # may not approve at all
        page = b.get(base).text
        assert "批准方案 / Approve" not in page and "批准由审批人办理" in page
        assert b.post(f"{base}/approve", {"csrf_token": b.token(base)}).status_code == 403
    with signed_in(url, "李审批", Role.approver) as b:
        page = b.get(base).text
        assert "可以批准" in page and "批准方案 / Approve" in page
        long = b.post(f"{base}/approve", {"csrf_token": b.token(base), "note": "意" * 2001})
        assert long.status_code == 400 and errors_on(long.text)[0][0] == "note"
        ok = b.post(f"{base}/approve", {"csrf_token": b.token(base),
                                        "note": "经市委巡察工作领导小组研究同意 𠮷"})
        assert ok.status_code == 303 and ok.headers["location"] == f"{base}?done=approved"
        page = b.get(f"{base}?done=approved").text
        assert "方案已批准" in page and "已由 李审批 于" in page and "北京时间" in page
        assert "经市委巡察工作领导小组研究同意 𠮷" in b.get(f"{base}/print/report").text
        again = b.post(f"{base}/approve", {"csrf_token": b.token(base)})
        assert again.status_code == 409  # approved once
    with signed_in(url, "王组织2", Role.organizer) as b:  # a decision is not changed
        refused = b.post(f"{base}/changes", {"csrf_token": b.token(base), "op": "remove",
                                             "team": "1", "cadre": "P00000001",
                                             "reason": REASON})
        assert refused.status_code == 409 and "只有草案可以调整" in refused.text
    assert proposal_row(url, pid)[1] == "approved"


def test_a_county_account_reaches_no_city_proposal(url: str, world: World) -> None:
    pid = world.record["id"]
    with signed_in(url, "钱区组织", Role.organizer, "320102") as b:
        for path in (f"/proposals/{pid}", *(f"/proposals/{pid}/print/{v}" for v in PRINTS),
                     f"/proposals/{pid}/report.xlsx",
                     f"/proposals/{pid}/replacements?team=1&cadre="
                     f"{world.record['teams'][0]['members'][1]['key']}"):
            answer = b.get(path)
            assert answer.status_code == 403, path
            assert leaked(world, answer.text) == [], path
        n, leaving = removable(world.record)
        refused = b.post(f"/proposals/{pid}/changes", {
            "csrf_token": b.token("/"), "op": "remove", "team": str(n),
            "cadre": leaving["key"], "reason": REASON})
        assert refused.status_code == 403
    assert proposal_row(url, pid)[0] == 0


def test_signed_out_and_unknown_pages(url: str, world: World) -> None:
    pid = world.record["id"]
    with signed_in(url, "孙查看", Role.viewer) as b:
        assert b.get(f"/proposals/{pid}").status_code == 403  # rounds:read
    with signed_in(url, "王组织", Role.organizer) as b:
        for path, status in ((f"/proposals/{pid}/print/nothing", 404),
                             ("/proposals/999999", 404), ("/proposals/abc", 422),
                             (f"/proposals/{pid}/report.docx", 404),
                             (f"/proposals/{pid}/replacements?team=x&cadre=P1", 422)):
            answer = b.get(path)
            assert answer.status_code == status, path
            assert "<html" in answer.text and "Traceback" not in answer.text
        workbook = b.client.get(f"/proposals/{pid}/report.xlsx")
        assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
        assert 'filename="proposal-' in workbook.headers["content-disposition"]
        b.post("/signout", {"csrf_token": b.token("/")})
        gone = b.get(f"/proposals/{pid}/print/report")
        assert gone.status_code == 303
        assert gone.headers["location"] == f"/signin?next=%2Fproposals%2F{pid}%2Fprint%2Freport"


def test_print_views_are_print_ready(url: str, world: World) -> None:
    pid = world.record["id"]
    with signed_in(url, "王组织", Role.organizer) as b:
        listed = b.get(f"/proposals/{pid}/print/sealed-list").text
        assert "云川市委2027年第一轮巡察<br>抽取结果" in listed
        assert listed.count('class="print-table print-team"') == len(world.record["teams"])
        assert listed.count("（签字 signature）") == 3 and "日期 date" in listed
        for t in world.record["teams"]:
            for x in t["members"]:
                assert x["name"] in listed and x["key"] in listed
        assert "【试算" not in listed
        recusals = b.get(f"/proposals/{pid}/print/recusals").text
        assert "回避情况说明" in recusals and "共" in recusals and "人须回避" in recusals
        report = b.get(f"/proposals/{pid}/print/report").text
        for title in ("巡察组组成", "成员回避核查", "回避情况说明", "人工调整记录", "抽取记录",
                      "依据、批准与签字"):
            assert title in report, title
        for text in (listed, recusals, report):
            assert 'href="/static/web.css"' in text and "<thead>" in text
            assert f'href="/proposals/{pid}/report.xlsx"' in text
            assert "<style" not in text and " style=" not in text  # the content policy
    css = (Path(__file__).resolve().parents[2] / "service/web/static/web.css").read_text()
    assert "@page { size: A4;" in css and "break-before: page" in css
    assert "display: table-header-group" in css


def test_an_infeasible_trial_says_why_the_round_cannot_be_staffed(url: str) -> None:
    plan = ROUND | {"key": "R2027-09", "defaults": {"size": [5, 6], "deputies": [1, 1],
                                                    "skills": {"finance": 7}}}
    with running_api(url) as api:
        assert api.post("/v1/rounds", "organizer",
                        json={"plan": plan, "region": "320100"}).status_code == 201
        job = api.run_job("POST", "/v1/rounds/R2027-09/proposals", "organizer",
                          json={"seed": 3})
        pid = job["result"]["proposal_id"]
    with signed_in(url, "王组织", Role.organizer) as b:
        page = b.get(f"/proposals/{pid}")
        assert page.status_code == 200
        assert "无法组建的原因" in page.text and "第1组需要7名财务专业人员" in page.text
        assert "本方案没有队伍" in page.text
        assert b.get(f"/proposals/{pid}/print/report").status_code == 200
