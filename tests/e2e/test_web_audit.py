"""The audit log's pages as a browser gets them: who may read them, events newest first
with Chinese labels and Beijing times, filters whose mistakes are pages and not 500s, a
county auditor who sees no city event, sealed names that never reach the HTML before
approval, the chain's verification (intact, then altered), signed checkpoints only for
unscoped auditors with a key, and the replay with its four comparisons."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from pool import models as m
from pool.db import make_engine, transaction
from service import audit, checkpoint
from service.accounts import create_user
from service.app import create_app
from service.auth import Role
from service.settings import Settings
from tests.e2e.api_client import running_api
from tests.e2e.test_api_rounds import ROUND

PAGE = {"accept": "text/html,application/xhtml+xml"}
PASSWORD = "审计 audit 𠮷 2026"
COUNTY = "320102"
REASON = "{name}（{key}）本人提出回避申请，组织同意"


@dataclass
class World:
    path: Path  # a sample city with a city round, a sealed trial draw and a change
    proposal_id: int
    members: set[str]  # every drawn member's key and name


@pytest.fixture(scope="module")
def world(city_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("audit-web") / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    with running_api(f"sqlite:///{path}") as api:
        made = api.post("/v1/rounds", "organizer", json={"plan": ROUND, "region": "320100"})
        assert made.status_code == 201, made.text
        trial = api.run_job("POST", f"/v1/rounds/{ROUND['key']}/proposals", "organizer",
                            json={"seed": 11})
        assert trial["status"] == "succeeded", trial
        pid = trial["result"]["proposal_id"]
        full = api.get(f"/v1/proposals/{pid}", "organizer").json()
        leaving = next(x for x in full["teams"][0]["members"] if x["role"] == "member")
        change = api.post(f"/v1/proposals/{pid}/changes", "organizer", json={
            "op": "remove", "team": 1, "cadre": leaving["key"],
            "reason": REASON.format(name=leaving["name"], key=leaving["key"])})
        assert change.status_code == 200, change.text
        members = {x for t in full["teams"] for p in t["members"]
                   for x in (p["key"], p["name"])}
    return World(path, pid, members)


@pytest.fixture
def url(world: World, tmp_path: Path) -> str:
    copy = tmp_path / "city.sqlite3"
    shutil.copy(world.path, copy)
    return f"sqlite:///{copy}"


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str, **headers: str) -> httpx.Response:
        return self.client.get(path, headers={**PAGE, **headers}, follow_redirects=False)

    def token(self, path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)
        assert found, f"no form token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(path, data=data, headers=PAGE, follow_redirects=False)

    def sign_in(self, name: str) -> None:
        answer = self.post("/signin", {"name": name, "password": PASSWORD,
                                       "csrf_token": self.token("/signin")})
        assert answer.status_code == 303, answer.text


def add_user(url: str, name: str, role: Role, scope: str | None = None) -> None:
    engine = make_engine(url)
    with transaction(engine) as session:
        create_user(session, name=name, password=PASSWORD, role=role, scope=scope,
                    actor="tests", now=audit.utcnow())
    engine.dispose()


@contextmanager
def signed_in(url: str, name: str, role: Role, scope: str | None = None, **settings: object
              ) -> Iterator[Browser]:
    """The app on `url` (jobs run in it) with `name` signed in as `role`."""
    add_user(url, name, role, scope)
    app = create_app(Settings(database_url=url, job_poll_seconds=0.05,  # type: ignore[arg-type]
                              **settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        b = Browser(client)
        b.sign_in(name)
        yield b


def results(html: str) -> str:
    """The results section of the page (the filter form lists every kind's label)."""
    found = re.search(r'<section id="audit-results".*?</section>', html, re.S)
    assert found, html[:500]
    return found.group(0)


def rows(html: str) -> list[str]:
    return re.findall(r"<tr>\s*<td class=\"audit-table__seq\">(\d+)</td>", html)


def test_signed_out_goes_to_sign_in_and_other_roles_get_a_403_page(url: str) -> None:
    with signed_in(url, "李组织", Role.organizer) as b:
        assert "/audit" not in b.get("/").text  # no 审计 link in the header
        for path in ("/audit", "/audit/verify"):
            refused = b.get(path)
            assert refused.status_code == 403 and "无权访问" in refused.text
            assert "audit:read" in refused.text and "Traceback" not in refused.text
        b.post("/signout", {"csrf_token": b.token("/")})
        answer = b.get("/audit?kind=round.create")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/signin?next=%2Faudit%3Fkind%3Dround.create"


def test_events_newest_first_in_beijing_time_with_chinese_labels(url: str) -> None:
    with signed_in(url, "赵审计", Role.auditor) as b:
        page = b.get("/audit")
        assert page.status_code == 200 and 'href="/audit" aria-current="page"' in page.text
        seqs = [int(s) for s in rows(page.text)]
        assert seqs == sorted(seqs, reverse=True) == list(range(seqs[0], 0, -1))
        only = b.get("/audit?kind=round.create")
        assert len(rows(only.text)) == 1
        assert "建立巡察轮次" in results(only.text) and "round.create" in results(only.text)
        engine = make_engine(url)
        with transaction(engine) as session:
            made = session.execute(select(m.AuditEvent).where(
                m.AuditEvent.kind == "round.create")).scalar_one()
        engine.dispose()
        beijing = made.at + dt.timedelta(hours=8)
        assert beijing.strftime("%Y-%m-%d %H:%M:%S") in only.text
        shown = results(only.text)
        assert "<details" in shown and made.hash in shown  # the details toggle
        assert f"<dd>{ROUND['name']}</dd>" in shown or ROUND["name"] in shown
        assert ROUND["key"] in shown
        # an actor's name, with the actor beside it
        assert re.search(r">test-organizer</a>\s*<span class=\"audit-code\">token:", shown)
        # a whole group of kinds, and the date range in Beijing days
        day = beijing.date()
        within = b.get(f"/audit?kind=draw.&since={day}&until={day}")
        assert within.status_code == 200 and "没有符合条件的事件" in within.text
        later = b.get(f"/audit?kind=round.create&since={day + dt.timedelta(days=1)}")
        assert "没有符合条件的事件" in later.text
        # htmx asks for the results only
        part = b.get("/audit?kind=round.create", **{"HX-Request": "true",
                                                    "HX-Target": "audit-results"})
        assert part.text.lstrip().startswith('<section id="audit-results"')


def test_bad_filters_are_a_page_with_an_error_summary(url: str) -> None:
    with signed_in(url, "赵审计", Role.auditor) as b:
        for query, field, words in (
                ("since=2027-13-01", "since", "不是日期"),
                ("since=2027-03-02&until=2027-03-01", "until", "结束日期早于开始日期"),
                ("before=%C2%B2", "kind", "翻页位置"), ("before=-3", "kind", "翻页位置"),
                (f"actor={'𠮷' * 200}", "actor", "不超过128个字符")):
            page = b.get(f"/audit?{query}")
            assert page.status_code == 400, query
            assert 'class="error-summary"' in page.text and f'href="#{field}"' in page.text
            assert words in page.text and "Traceback" not in page.text


def test_a_county_auditor_sees_no_city_event(url: str) -> None:
    with signed_in(url, "钱区审计", Role.auditor, COUNTY) as b:
        page = b.get("/audit")
        assert page.status_code == 200
        assert ROUND["key"] not in results(page.text)
        assert "建立巡察轮次" not in results(page.text)
        assert "没有符合条件的事件" in b.get("/audit?kind=round.create").text
        assert "没有符合条件的事件" in b.get("/audit?object_type=proposal").text
        # nor the city's proposal, by its replay page
        assert b.get("/audit/proposals/1/replay").status_code == 403


def test_a_sealed_proposal_s_names_never_reach_the_page(url: str, world: World) -> None:
    events = f"/audit?object_type=proposal&object_key={world.proposal_id}"
    with signed_in(url, "孙管理", Role.admin) as b:  # may see the names: the control
        shown = b.get(events).text
        assert [x for x in world.members if x in shown], "the admin sees the change reason"
    with signed_in(url, "赵审计", Role.auditor) as b:
        sealed = b.get(events)
        assert sealed.status_code == 200 and "proposal.change" in sealed.text
        assert "＊＊＊" in sealed.text  # the reason is there, its names masked
        every = b.get("/audit").text + b.get("/audit?kind=job.").text
        for html in (sealed.text, every):
            assert not [x for x in world.members if x in html]


def test_verify_says_ok_with_the_head_then_names_an_altered_event(url: str) -> None:
    with signed_in(url, "赵审计", Role.auditor) as b:
        assert "校验通过" not in b.get("/audit/verify").text  # nothing runs until asked
        ok = b.get("/audit/verify?run=1")
        engine = make_engine(url)
        with transaction(engine) as session:
            head = audit.verify(session)
        assert ok.status_code == 200 and "校验通过" in ok.text and head.ok
        assert head.head_hash in ok.text and f"<dd>{head.events}</dd>" in ok.text
        with transaction(engine, write=True) as session:
            session.execute(text("UPDATE audit_events SET actor = 'someone' WHERE seq = 3"))
        engine.dispose()
        bad = b.get("/audit/verify?run=1")
        assert "发现问题" in bad.text and "第3号事件内容被改动" in bad.text
        assert "event 3 was altered" in bad.text


def test_checkpoints_need_an_unscoped_auditor_and_a_key(url: str, tmp_path: Path) -> None:
    with signed_in(url, "赵审计", Role.auditor) as b:  # no key on this server
        page = b.get("/audit/verify").text
        assert "签发检查点 / Sign a checkpoint" not in page and "XUNCHA_CHECKPOINT_KEY" in page
    key = tmp_path / "checkpoint.pem"
    checkpoint.write_new_key(key)
    with signed_in(url, "周审计", Role.auditor, checkpoint_key=key) as b:
        assert "签发检查点 / Sign a checkpoint" in b.get("/audit/verify").text
        assert b.post("/audit/checkpoints", {"csrf_token": "forged"}).status_code == 403
        signed = b.post("/audit/checkpoints", {"csrf_token": b.token("/audit/verify")})
        assert signed.status_code == 200 and "检查点已签发" in signed.text
        assert "xuncha-audit-checkpoint-v1" in signed.text
        listed = b.get("/audit/verify").text
        assert "周审计" in listed and "user:周审计" in listed and "sha256:" in listed
    with signed_in(url, "钱区审计", Role.auditor, COUNTY, checkpoint_key=key) as b:
        page = b.get("/audit/verify").text
        assert "签发检查点 / Sign a checkpoint" not in page and "周审计" not in page
        refused = b.post("/audit/checkpoints", {"csrf_token": b.token("/audit/verify")})
        assert refused.status_code == 403 and "不限区划" in refused.text


def test_replay_shows_four_identical_comparisons_sealed(url: str, world: World) -> None:
    base = f"/audit/proposals/{world.proposal_id}/replay"
    with signed_in(url, "赵审计", Role.auditor) as b:
        page = b.get(base)
        assert page.status_code == 200 and "开始复算" in page.text
        assert b.get("/audit/proposals/999999/replay").status_code == 404
        assert b.get("/audit/proposals/abc/replay").status_code == 422
        queued = b.post(base, {"csrf_token": b.token(base)})
        assert queued.status_code == 303
        job = queued.headers["location"].split("job=")[1]
        fragment = f"{base}/jobs/{job}"
        deadline = time.monotonic() + 240
        while True:
            part = b.get(fragment, **{"HX-Request": "true"})
            assert part.status_code == 200, part.text
            if "hx-get" not in part.text:
                break
            assert time.monotonic() < deadline, "the replay did not finish"
            time.sleep(0.1)
        assert part.text.count("相同 same") == 4 and "不同 different" not in part.text
        for what in ("输入包哈希", "组队输入哈希", "方案（队伍、角色、目标值）",
                     "回避审查与成员回避说明"):
            assert what in part.text
        whole = b.get(f"{base}?job={job}").text
        assert "四项比较全部一致" in whole and "以往的复算" in whole
        assert not [x for x in world.members if x in part.text + whole]
        assert b.get(f"{base}/jobs/{'0' * 8}-0000-0000-0000-{'0' * 12}",
                      **{"HX-Request": "true"}).status_code == 404


def test_pages_of_events_follow_the_cursor_on_both_stores(db_url: str) -> None:
    engine = make_engine(db_url)
    with transaction(engine) as session:
        for i in range(120):
            audit.record(session, "cli:测试", "round.create", object_type="round",
                         object_key=f"R{i:03d}", data={"i": i, "名": "𠮷"})
    engine.dispose()
    with signed_in(db_url, "赵审计", Role.auditor) as b:
        seen: list[int] = []
        path: str | None = "/audit?kind=round.create"
        while path is not None:
            page = b.get(path)
            assert page.status_code == 200
            seen += [int(s) for s in rows(page.text)]
            found = re.search(r'href="([^"]+)" rel="next"', page.text)
            path = found.group(1).replace("&amp;", "&") if found else None
        assert len(seen) == 120 and seen == sorted(set(seen), reverse=True)
        assert "𠮷" in b.get("/audit?kind=round.create").text
