"""The rounds pages and the round wizard on the sample city, as a browser sends them (each
step's form read back from the page, hidden fields included): every field checked in the
service's words with the summary linking to it and the values shown as typed; unknown
units and skills with what was meant; region scope (a county's organizer neither finds
nor names a city unit); the rounds-write permission on GET and POST; CSRF; nothing
stored on any error; and the round created equals what POST /v1/rounds stores."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pool import models as m
from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.app import create_app
from service.auth import Role, issue_token
from service.rounds import RoundFile
from service.settings import Settings
from tests.e2e.test_web_signin import PASSWORD, Browser

PEOPLE = {"林组织": (Role.organizer, None), "东溪组织": (Role.organizer, "320102"),
          "审批𠮷": (Role.approver, None), "查看员": (Role.viewer, None)}
BASICS = {"key": "R2027-01", "name": "云川市委2027年第一轮巡察 𠮷", "kind": "regular",
          "start": "2027-03-01", "end": "2027-04-30", "as_of": "2026-11-01",
          "policy": "default", "region": "320100"}


class Form(HTMLParser):
    """The wizard form's fields as the browser would send them (without the buttons)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "round-wizard":
            self._in_form = True
        if not self._in_form or "name" not in a:
            if tag == "option" and self._select and "selected" in a:
                self.fields[self._select] = a.get("value", "")
            return
        name = a["name"]
        if tag == "input" and a.get("type") in ("radio", "checkbox"):
            if "checked" in a:
                self.fields[name] = a.get("value", "on")
        elif tag == "input" and a.get("type") != "search":
            self.fields[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self.fields[name] = name, ""
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


class Wizard:
    """The wizard driven page by page: `send` posts the current page's form with changes."""

    def __init__(self, b: Browser) -> None:
        self.b = b
        self.page = b.get("/rounds/new")
        assert self.page.status_code == 200, self.page.text[:500]

    @property
    def html(self) -> str:
        return self.page.text

    def send(self, action: str = "next", **changes: str) -> httpx.Response:
        fields = Form(self.html).fields | changes | {"action": action}
        self.page = self.b.post("/rounds/new", fields)
        return self.page

    def fetch(self, action: str) -> httpx.Response:
        """The answer to a button of the current page, which stays current."""
        return self.b.post("/rounds/new", Form(self.html).fields | {"action": action})

    def step(self) -> str:
        found = re.search(r'name="step" value="(\w+)"', self.html)
        assert found
        return found.group(1)

    def errors(self) -> list[str]:
        summary = re.search(r'<div class="error-summary".*?</div>', self.html, re.S)
        return re.findall(r'<a href="#([\w.-]+)">', summary.group(0)) if summary else []

    def messages(self) -> str:
        summary = re.search(r'<div class="error-summary".*?</div>', self.html, re.S)
        return summary.group(0) if summary else ""


@contextmanager
def signed_in(url: str, name: str) -> Iterator[Browser]:
    engine = make_engine(url)
    with transaction(engine) as session:
        role, scope = PEOPLE[name]
        create_user(session, name=name, password=PASSWORD, role=role, scope=scope,
                    actor="tests", now=audit.utcnow())
    engine.dispose()
    app = create_app(Settings(database_url=url, run_jobs=False))  # type: ignore[call-arg]
    with TestClient(app, raise_server_exceptions=False) as client:
        b = Browser(client, url)
        assert b.sign_in(name).status_code == 303
        yield b


def stored(url: str) -> dict[str, Any]:
    """What a failed step must leave alone: rounds, plans and round events."""
    engine = make_engine(url)
    with transaction(engine) as session:
        counts = {
            "rounds": session.execute(select(func.count()).select_from(m.Round)).scalar(),
            "plans": session.execute(select(func.count()).select_from(m.RoundPlan)).scalar(),
            "events": session.execute(select(func.count()).select_from(m.AuditEvent).where(
                m.AuditEvent.kind == "round.create")).scalar()}
    engine.dispose()
    return counts


def to_requirements(wz: Wizard, teams: str, **basics: str) -> None:
    wz.send(**(BASICS | basics))
    assert wz.step() == "targets", wz.messages()
    wz.send(teams=teams)
    assert wz.step() == "requirements", wz.messages()


def test_an_organizer_creates_a_round_that_equals_the_apis(city_url: str) -> None:
    with signed_in(city_url, "林组织") as b:
        wz = Wizard(b)
        assert 'aria-current="page">巡察轮次' in b.get("/rounds").text
        to_requirements(wz, "云川市公安局\n云川市教育局、U00012\nU00006")
        assert ('第2组 <span lang="en">Team 2</span>：云川市教育局、云川市第一中学（U00012）'
                in wz.html)  # the units typed, by name with their keys
        wz.send(skill_finance="1", skill_audit="1", t0_skill_law_enforcement="1",
                t0_skill_finance="1", t2_size_min="6", t2_size_max="8")
        assert wz.step() == "check", wz.messages()
        # check your answers: units and skills in Chinese with their keys and codes
        assert "云川市公安局（U00003）" in wz.html and "云川市第一中学（U00012）" in wz.html
        assert "财务 finance × 1" in wz.html and "行政执法 law_enforcement × 1" in wz.html
        assert "本组单独设定" in wz.html and "6–8" in wz.html
        assert stored(b.url)["rounds"] == 8  # the sample city's past rounds only
        download = wz.fetch("yaml")  # the check page stays
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        plan = yaml.safe_load(download.text)
        assert RoundFile.model_validate(plan).teams[0].targets == ["U00003"]
        assert plan["teams"][1]["targets"] == ["U00004", "U00012"]
        assert plan["teams"][0]["skills"] == {"finance": 1, "law_enforcement": 1}
        assert plan["teams"][2]["size"] == [6, 8] and plan["region"] == "320100"
        created = wz.fetch("create")
        assert created.status_code == 303
        assert created.headers["location"] == "/rounds/R2027-01?created=1"
        page = b.get(created.headers["location"])
        assert page.status_code == 200 and "轮次已建立" in page.text
        assert "云川市公安局（U00003）" in page.text and "已建，待抽取" in page.text
        assert 'href="/rounds/R2027-01/draw"' in page.text
        listed = b.get("/rounds").text
        assert 'href="/rounds/R2027-01"' in listed and "云川市委2027年第一轮巡察 𠮷" in listed
        # the same plan through the API, under another key: the same stored plan and event
        engine = make_engine(b.url)
        with transaction(engine) as session:
            token = issue_token(session, name="api", role=Role.organizer, scope=None,
                                created_by="tests", now=audit.utcnow()).secret
        answer = b.client.post("/v1/rounds", headers={"authorization": f"Bearer {token}"},
                               json={"plan": plan | {"key": "R2027-99"}, "region": "320100"})
        assert answer.status_code == 201, answer.text
        with transaction(engine) as session:
            rows = {k: session.get(m.Round, k) for k in ("R2027-01", "R2027-99")}
            plans = {k: session.get(m.RoundPlan, k) for k in rows}
            events = {e.object_key: json.loads(e.data) for e in session.execute(
                select(m.AuditEvent).where(m.AuditEvent.kind == "round.create")).scalars()}
        engine.dispose()
        web, api = rows["R2027-01"], rows["R2027-99"]
        assert (web.name, web.kind, web.region_code, web.start, web.end) == \
            (api.name, api.kind, api.region_code, api.start, api.end)
        assert plans["R2027-01"].spec == plans["R2027-99"].spec.replace("R2027-99", "R2027-01")
        assert plans["R2027-01"].created_by.startswith("user:")
        assert events["R2027-01"]["spec"] == events["R2027-99"]["spec"] | {"key": "R2027-01"}
        assert events["R2027-01"]["region"] == "320100"


def test_every_basic_field_is_checked_in_the_services_words(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        before = stored(b.url)
        wz = Wizard(b)
        answer = wz.send(key="R 2027", name="", start="2027/03/01", end="2027-04-31")
        assert answer.status_code == 400 and wz.step() == "basics"
        assert wz.errors() == ["key", "name", "start", "end"]
        text = wz.messages()
        assert "轮次编号须为1–64个字母" in text and "缺少必填字段“name”" in text
        assert "日期须写成 YYYY-MM-DD" in text and "你是否要写 2027-03-01" in text
        assert 'value="2027/03/01"' in wz.html and 'value="R 2027"' in wz.html
        assert 'id="start-error"' in wz.html and 'aria-invalid="true"' in wz.html
        # reversed dates: said on the end date, with what to do
        wz.send(key="R2027-01", name="第一轮", start="2027-05-01", end="2027-03-01")
        assert wz.errors() == ["end"]
        assert "开始日期 start 2027-05-01 晚于结束日期 end 2027-03-01：请对调" in wz.messages()
        # a forged choice, and a key already taken
        wz.send(end="2027-06-30", policy="../../etc/passwd", kind="annual")
        assert set(wz.errors()) == {"policy", "kind"}
        wz.send(policy="default", kind="regular", key="R2025-02")
        assert wz.errors() == ["key"] and "轮次 R2025-02 已存在" in wz.messages()
        assert stored(b.url) == before


def test_unknown_units_and_skills_are_named_with_what_was_meant(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        before = stored(b.url)
        wz = Wizard(b)
        wz.send(**BASICS)
        answer = wz.send(teams="云川市公安局\n云川市教育局、云川市教育局、U00012")
        assert answer.status_code == 400 and wz.step() == "targets"
        assert "至多2项（第2组 teams[1].targets）" in wz.messages()
        answer = wz.send(teams="云川市公按局\n云川市教育局、云川市教育局")
        assert answer.status_code == 400 and wz.errors() == ["teams", "teams"]
        text = wz.messages()
        assert "没有编号或名称为“云川市公按局”的单位（第1组 teams[0].targets[0]）" in text
        assert "你是否要写 云川市公安局 U00003（云川市）" in text
        assert "同一单位 云川市教育局 U00004（云川市） 写了两次（第2组" in text
        assert "云川市公按局" in re.search(r"<textarea[^>]*id=\"teams\".*?</textarea>",
                                          wz.html, re.S).group(0)  # as typed
        wz.send(teams="云川市公安局")
        # a skill gone from the list since the page was sent (a stale or forged form)
        answer = wz.send(skill_finace="1", t0_skill_audti="2")
        assert answer.status_code == 400 and wz.step() == "requirements"
        assert set(wz.errors()) == {"skill_finace", "t0_skill_audti"}
        assert "未知的专业特长“finace”" in wz.messages()
        assert "你是否要写 finance（财务）" in wz.messages()
        assert 'id="skill_finace"' in wz.html  # shown, to be cleared
        # a range written upside down: the service's words, what to type beside the field
        wz.send(skill_finace="", t0_skill_audti="", size_min="8", size_max="6")
        assert wz.errors() == ["size_min"]
        assert "下限大于上限" in wz.messages() and "下限不大于上限" in wz.html
        assert stored(b.url) == before


def test_a_county_organizer_neither_finds_nor_names_a_city_unit(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "东溪组织") as b:
        before, denied = stored(b.url), b.count("auth.denied")
        found = b.get("/rounds/new/units?q=公安局&region=320102&kind=regular").text
        assert "东溪区公安局" in found and "U00052" in found
        assert "云川市公安局" not in found and "青岚区公安局" not in found
        found = b.get("/rounds/new/units?q=公安局&region=320100&kind=regular").text
        assert "云川市公安局" not in found  # a forged region does not widen the search
        wz = Wizard(b)
        assert 'value="320100"' not in wz.html  # the city is not offered as the region
        wz.send(**(BASICS | {"region": "320100"}))
        assert wz.errors() == ["region"]
        wz.send(region="320102")
        assert wz.step() == "targets"
        wz.send("search", q="公安局")  # the search without script: the same answer
        results = re.search(r'id="unit-results".*?</div>', wz.html, re.S)
        assert results and "东溪区公安局" in results.group(0)
        assert "云川市公安局" not in results.group(0)
        wz.send(add="U00052")
        assert re.search(r'id="teams"[^>]*>U00052</textarea>', wz.html)
        wz.send(teams="云川市公安局")
        assert wz.errors() == ["teams"] and "U00003" not in wz.messages()
        answer = wz.send(teams="U00003")
        assert answer.status_code == 403 and wz.errors() == ["teams"]
        assert "被巡察单位不在区划 320102 的范围内：U00003" in wz.messages()
        assert b.count("auth.denied") == denied + 1
        # the city's rounds are neither listed nor shown
        assert "R2025-02" not in b.get("/rounds").text
        assert b.get("/rounds/R2025-02").status_code == 403
        assert stored(b.url) == before


@pytest.mark.parametrize("name", ["审批𠮷", "查看员"])
def test_a_role_that_may_not_create_rounds_is_refused_on_get_and_post(
        city_sqlite_url: str, name: str) -> None:
    with signed_in(city_sqlite_url, name) as b:
        before = stored(b.url)
        page = b.get("/rounds/new")
        assert page.status_code == 403 and "rounds:write" in page.text
        fields = BASICS | {"teams": "U00003", "size_min": "5", "size_max": "7",
                           "deputies_min": "1", "deputies_max": "2", "step": "check",
                           "action": "create", "csrf_token": b.token("/")}
        assert b.post("/rounds/new", fields).status_code == 403
        assert stored(b.url) == before
        rounds = b.get("/rounds")
        if name == "查看员":  # no rounds:read either: not in the navigation
            assert rounds.status_code == 403 and 'href="/rounds"' not in b.get("/").text
        else:
            assert rounds.status_code == 200 and "建立轮次" not in rounds.text
            past = b.get("/rounds/R2025-02")
            assert past.status_code == 200 and "往期（导入，无计划）" in past.text


def test_a_form_without_its_token_is_refused_and_changes_nothing(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        before = stored(b.url)
        fields = BASICS | {"teams": "U00003", "size_min": "5", "size_max": "7",
                           "deputies_min": "1", "deputies_max": "2", "step": "check",
                           "action": "create"}
        answer = b.post("/rounds/new", fields)
        assert answer.status_code == 403 and "表单已失效" in answer.text
        forged = b.post("/rounds/new", fields | {"csrf_token": "x" * 43})
        assert forged.status_code == 403
        assert stored(b.url) == before


def test_a_cross_inspection_round_by_groups(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        wz = Wizard(b)
        wz.send(**(BASICS | {"key": "X2027-01", "kind": "cross", "mode": "exchange"}))
        assert wz.step() == "targets" and "东溪区" in wz.html and "澄湖市" in wz.html
        # one group is no cross-inspection: the service says how many it needs
        wz.send(targets_320102="东溪区公安局、东溪区教育局")
        assert wz.errors() == ["groups"] and "至少2项" in wz.messages()
        groups = {"320102": "东溪区公安局、东溪区教育局", "320103": "U00070",
                  "320104": "鹭洲区公安局", "320121": "凤栖县公安局", "320122": "柳塘县公安局"}
        wz.send(**{f"targets_{k}": v for k, v in groups.items()})
        assert wz.step() == "requirements", wz.messages()
        assert "互派：每方至少组员人数" in wz.html
        wz.send(skill_finance="1", min_per_side="1")
        assert wz.step() == "check", wz.messages()
        assert "东溪区公安局（U00052）、东溪区教育局（U00053）" in wz.html
        answer = wz.send("create")
        assert answer.status_code == 303, wz.messages()
        page = b.get(answer.headers["location"]).text
        assert "互派 exchange" in page and "青岚区公安局（U00070）" in page
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        plan = session.get(m.RoundPlan, "X2027-01")
        row = session.get(m.Round, "X2027-01")
    engine.dispose()
    assert plan is not None and row is not None
    assert plan.mode == "pairing" and row.kind == "cross" and row.region_code == "320100"
    spec = json.loads(plan.spec)
    assert spec["mode"] == "exchange" and spec["min_per_side"] == 1
    assert [g["region"] for g in spec["groups"]] == list(groups)
    assert spec["groups"][0]["targets"] == [["U00052", "U00053"]]
    assert row.start == dt.date(2027, 3, 1)


def test_an_elevated_round_keeps_its_pool_region_and_region_level(
        city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        wz = Wizard(b)
        to_requirements(wz, "东溪区公安局", key="T2027-01", kind="elevated",
                        pool_region="320100", region_level="town")
        wz.send()
        assert wz.step() == "check", wz.messages()
        assert "提级巡察 elevated" in wz.html and "乡镇级 town" in wz.html
        assert wz.send("create").status_code == 303
    engine = make_engine(city_sqlite_url)
    with transaction(engine) as session:
        plan = session.get(m.RoundPlan, "T2027-01")
        row = session.get(m.Round, "T2027-01")
        assert plan is not None and row is not None
        spec, kind = json.loads(plan.spec), row.kind
    engine.dispose()
    assert kind == "elevated"
    assert (spec["pool_region"], spec["region_level"]) == ("320100", "town")
    assert spec["teams"] == [{"targets": ["U00052"]}]


def _plan_of(url: str, key: str) -> dict[str, Any]:
    engine = make_engine(url)
    with transaction(engine) as session:
        plan = session.get(m.RoundPlan, key)
        assert plan is not None
        spec: dict[str, Any] = json.loads(plan.spec)
    engine.dispose()
    return spec


def test_a_round_with_caps_typed_as_percentages_stores_them_in_its_plan(
        city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        wz = Wizard(b)
        to_requirements(wz, "云川市公安局\n云川市教育局、U00012\nU00006")
        assert "任何一名干部进入某一巡察组的概率不超过 20%" in wz.html  # the hint's meaning
        wz.send(skill_finance="1", cap="20", leader_cap="１２.５%")  # as people type them
        assert wz.step() == "check", wz.messages()
        assert ("概率上限 <span lang=\"en\">Probability caps</span>：任何一名干部进入某一巡察组的"
                "概率不超过 20%，担任某一巡察组组长的概率不超过 12.5%") in wz.html
        plan = yaml.safe_load(wz.fetch("yaml").text)
        assert (plan["cap"], plan["leader_cap"]) == (0.2, 0.125)
        assert wz.send("create").status_code == 303
        # only the leaders bounded: the cap at 100%
        wz = Wizard(b)
        to_requirements(wz, "云川市公安局", key="R2027-02")
        wz.send(cap="100", leader_cap="10")
        assert wz.step() == "check", wz.messages()
        assert "任何一名干部进入某一巡察组的概率不超过 100%，担任某一巡察组组长的概率不超过 10%" \
            in wz.html
        assert wz.send("create").status_code == 303
        # without caps the plan has none, and the check page says the tolerance holds
        wz = Wizard(b)
        to_requirements(wz, "云川市公安局", key="R2027-03")
        wz.send()
        assert "不设（按容差抽取）" in wz.html
        assert wz.send("create").status_code == 303
        # the round page states the caps in the same words
        page = b.get("/rounds/R2027-01").text
        assert "概率上限 Probability caps" in page
        assert ("任何一名干部进入某一巡察组的概率不超过 20%，"
                "担任某一巡察组组长的概率不超过 12.5%") in page
        assert "概率上限 Probability caps" not in b.get("/rounds/R2027-03").text
    spec = _plan_of(city_sqlite_url, "R2027-01")
    assert (spec["cap"], spec["leader_cap"]) == (0.2, 0.125)
    caps = RoundFile.model_validate(spec).cap_settings()
    assert caps is not None and (caps.cap, caps.leader_cap) == (Fraction(1, 5), Fraction(1, 8))
    assert (_plan_of(city_sqlite_url, "R2027-02")["cap"],
            _plan_of(city_sqlite_url, "R2027-02")["leader_cap"]) == (1, 0.1)
    assert "cap" not in _plan_of(city_sqlite_url, "R2027-03")


def test_a_bad_cap_is_refused_on_its_field_and_nothing_is_stored(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        before = stored(b.url)
        wz = Wizard(b)
        to_requirements(wz, "云川市公安局")
        for typed, said in (("0", "概率上限（cap）须大于0、不超过100（百分数）：所填为 0"),
                            ("150", "概率上限（cap）须大于0、不超过100（百分数）：所填为 150"),
                            ("二十", "概率上限（cap）须为百分数，填大于0、不超过100的数"),
                            ("0.00001", "概率上限（cap）最多写到小数点后四位")):
            answer = wz.send(cap=typed)
            assert answer.status_code == 400 and wz.step() == "requirements", typed
            assert wz.errors() == ["cap"] and said in wz.messages(), wz.messages()
            assert f'value="{typed}"' in wz.html and 'id="cap-error"' in wz.html  # as typed
        answer = wz.send(cap="", leader_cap="10")
        assert answer.status_code == 400 and wz.errors() == ["leader_cap"]
        assert "只限组长时概率上限填 100" in wz.messages()
        # a bad cap slipped into the last step's form is refused when creating, too
        wz.send(cap="20", leader_cap="")
        assert wz.step() == "check", wz.messages()
        forged = b.post("/rounds/new", Form(wz.html).fields | {"cap": "150", "action": "create"})
        assert forged.status_code == 400 and "所填为 150" in forged.text
        assert stored(b.url) == before
        # a cross-inspection plan takes caps too (for each sending group's teams)
        wz = Wizard(b)
        wz.send(**(BASICS | {"key": "X2027-01", "kind": "cross"}))
        wz.send(targets_320102="东溪区公安局", targets_320103="U00070",
                targets_320104="鹭洲区公安局")
        assert wz.step() == "requirements", wz.messages()
        assert 'id="cap"' in wz.html
        answer = wz.send(skill_finance="1", cap="150")
        assert answer.status_code == 400 and wz.errors() == ["cap"]
        wz.send(skill_finance="1", cap="25")
        assert wz.step() == "check", wz.messages()
        assert "任何一名干部进入某一巡察组的概率不超过 25%" in wz.html
        assert wz.send("create").status_code == 303
    assert _plan_of(city_sqlite_url, "X2027-01")["cap"] == 0.25
