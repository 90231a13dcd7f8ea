"""A cross-inspection drawn under probability caps, as the workbench and the round report
show it: the caps said once, then each sending group's own draw (its team sets, the set
drawn with its probability, u, the expected objective against the uncapped optimum, the
largest probabilities) and its distribution, with the proposal's team numbers; an
auditor before approval sees all of it but no member of any team set; the report has the
caps in its title block, a provenance row per group and the distribution by group. An
exchange plan's mixed teams are shown the same way, as one part."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pool import models as m
from pool.db import make_engine, transaction
from service.auth import Role
from tests.e2e.api_client import running_api
from tests.e2e.report_book import open_book, table
from tests.e2e.test_api_rounds import _sample_plan, draw
from tests.e2e.test_web_audit import signed_in
from tests.e2e.test_web_caps import section, text_of

CAP = {"cap": 0.5}
SENTENCE = "任何一名干部进入某一巡察组的概率不超过 50%"
SENTENCE_EN = "no cadre is on any given team with probability above 50%"


@dataclass
class World:
    path: Path  # the sample city with the cross plan's draw of record and an exchange trial
    record: dict[str, Any]  # the draw of record (direct mode) as the organizer reads it
    exchange: dict[str, Any]  # a trial of the exchange plan as the organizer reads it
    members: set[str]  # every key and name in any group's distribution or the teams
    xlsx: bytes  # the record's report as the organizer reads it
    sealed_xlsx: bytes  # and as the auditor reads it before approval


def _report(api: Any, pid: int, role: str) -> bytes:
    r = api.get(f"/v1/proposals/{pid}/report.xlsx", role)
    assert r.status_code == 200, r.text
    return bytes(r.content)


@pytest.fixture(scope="module")
def world(city_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("cross-caps") / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    with running_api(f"sqlite:///{path}") as api:
        for name in ("2027-cross.yaml", "2027-exchange.yaml"):
            made = api.post("/v1/rounds", "organizer",
                            json={"cross": _sample_plan(name) | CAP, "region": "320100"})
            assert made.status_code == 201, made.text
        record = draw(api, "X2027-01")
        trial = api.run_job("POST", "/v1/rounds/X2027-02/proposals", "organizer",
                            json={"seed": 5})
        assert trial["status"] == "succeeded", trial
        exchange = api.get(f"/v1/proposals/{trial['result']['proposal_id']}",
                           "organizer").json()
        xlsx = _report(api, record["id"], "organizer")
        sealed = _report(api, record["id"], "auditor")
    assert record["status"] == exchange["status"] == "draft", record["diagnosis"]
    keys = {x["key"] for c in record["pairing"]["capped"].values()
            for s in c["distribution"] for t in s["teams"] for x in t["members"]}
    keys |= {x["key"] for t in record["teams"] for x in t["members"]}
    engine = make_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        names = set(session.execute(select(m.Person.name).where(
            m.Person.key.in_(sorted(keys)))).scalars())
    engine.dispose()
    return World(path, record, exchange, keys | {n for n in names if len(n) >= 2}, xlsx,
                 sealed)


@pytest.fixture
def url(world: World, tmp_path: Path) -> str:
    copy = tmp_path / "city.sqlite3"
    shutil.copy(world.path, copy)
    return f"sqlite:///{copy}"


def pct(x: float) -> str:
    return f"{x * 100:.2f}".rstrip("0").rstrip(".") + "%"


def groups(p: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(code, name, capped) of each capped part, in the proposal's order."""
    names = {g["key"]: g["name"] for g in p["pairing"]["groups"]}
    return [(code, names.get(code, "互派混编组"), c)
            for code, c in sorted(p["pairing"]["capped"].items())]


def page(url: str, who: str, role: Role, pid: int) -> str:
    with signed_in(url, who, role) as b:
        r = b.get(f"/proposals/{pid}")
    assert r.status_code == 200, r.text
    return r.text


def test_the_review_shows_each_sending_groups_draw_under_the_caps(
        url: str, world: World) -> None:
    p = world.record
    html = page(url, "王组织", Role.organizer, p["id"])
    caps = section(html, '<section class="proposal-caps"')
    assert text_of(caps).count(SENTENCE) == 1 and SENTENCE_EN in text_of(caps)
    tolerance = text_of(section(html, 'id="proposal-tolerance"', "</dd>"))
    assert "巡察组容差不适用：按概率上限抽取" in tolerance and "tolerance not used" in tolerance
    parts = groups(p)
    assert len(parts) == 9  # every sending group of the sample rotation
    for i, (code, name, c) in enumerate(parts, start=1):
        row = text_of(section(caps, f'id="caps-group-{i}"', "</tr>"))
        assert f"{name} {code}" in row
        assert f"共{c['team_sets']}套" in row
        assert f"第 {c['drawn']} 套，概率 {pct(c['probability'])}" in row
        assert f"u = {c['draw_point']}" in row and f"= {pct(c['share'])}" in row
        # its distribution, folded away: the drawn set holds this group's team as the
        # proposal numbers it, with its members' names
        sets = section(caps, f'id="caps-sets-{i}"', "</details>")
        assert f"{name}（{code}）：全部{c['team_sets']}套组队方案" in text_of(sets)
        drawn = re.findall(r'<tr class="proposal-caps__drawn">.*?</tr>', sets, re.S)
        assert len(drawn) == 1
        team = next(t for t in p["teams"] if t["members"][0]["side"] == code)
        assert f"第{team['no']}组" in text_of(drawn[0])
        for x in team["members"]:
            assert x["name"] in drawn[0] and f'title="{x["key"]}"' in drawn[0]


def test_an_auditor_sees_every_groups_draw_but_no_member_of_any_team_set(
        url: str, world: World) -> None:
    html = page(url, "赵审计", Role.auditor, world.record["id"])
    assert len(world.members) > 9 * 5 * 2
    assert sorted(x for x in world.members if x in html) == []
    caps = text_of(section(html, '<section class="proposal-caps"'))
    assert SENTENCE in caps and "本角色看不到各套方案的成员" in caps
    for i, (_code, _name, c) in enumerate(groups(world.record), start=1):
        row = text_of(section(html, f'id="caps-group-{i}"', "</tr>"))
        assert f"第 {c['drawn']} 套，概率 {pct(c['probability'])}" in row
        sets = section(html, f'id="caps-sets-{i}"', "</details>")
        sizes = [len(t["members"]) for t in c["distribution"][0]["teams"]]
        first = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">.*?</tr>", sets, re.S)[0]
        assert re.findall(r"＊＊＊（\d+人", text_of(first)) == [f"＊＊＊（{n}人" for n in sizes]


def test_an_exchange_plans_mixed_teams_are_shown_as_one_part(url: str, world: World) -> None:
    p = world.exchange
    [(code, _name, c)] = groups(p)
    assert code == "exchange"
    html = page(url, "王组织", Role.organizer, p["id"])
    caps = section(html, '<section class="proposal-caps"')
    assert SENTENCE in text_of(caps) and "互派混编组在上限下抽取" in text_of(caps)
    row = text_of(section(caps, 'id="caps-group-1"', "</tr>"))
    assert "互派混编组 exchange teams" in row
    assert f"第 {c['drawn']} 套，概率 {pct(c['probability'])}" in row
    drawn = section(caps, '<tr class="proposal-caps__drawn">', "</tr>")
    for t in p["teams"]:
        assert f"第{t['no']}组" in text_of(drawn)
        assert all(x["name"] in drawn for x in t["members"])


def test_the_report_states_the_caps_once_and_each_groups_draw(world: World) -> None:
    book = open_book(world.xlsx)
    title = [str(x.value) for x in book["巡察组 Teams"]["A"][:8]]
    assert sum(SENTENCE in x and SENTENCE_EN in x for x in title) == 1
    provenance = {r["项目 item"]: str(r["内容 value"])
                  for r in table(book, "依据与批准 Provenance")}
    assert provenance["概率上限 caps"].startswith(SENTENCE)
    assert provenance["容差 tolerance"].startswith("按概率上限抽取，不适用容差")
    seed = provenance["种子（十进制）seed (decimal)"]
    assert int(seed) == int(provenance["种子 seed"], 16)
    distribution = table(book, "概率分布 Distribution")
    for code, name, c in groups(world.record):
        drawn = provenance[f"抽中 drawn：{name}（{code}）"]
        assert f"共 {c['team_sets']} 套，抽中第 {c['drawn']} 套（概率 {pct(c['probability'])}）" \
               f"，u = {c['draw_point']}" in drawn
        assert f"不设上限 {c['uncapped']} = {pct(c['share'])}" in drawn
        # the group's rows alone find its drawn set from u, as an auditor would
        mine = [r for r in distribution if r["派出方 group"] == f"{name}（{code}）"]
        assert [r["第几套 set"] for r in mine] == list(range(1, c["team_sets"] + 1))
        total, first = Fraction(0), None
        for r in mine:
            total += Fraction(float(r["概率 probability"].split("（")[0]))
            if first is None and Fraction(c["draw_point"]) < total:
                first = r["第几套 set"]
        assert first == c["drawn"]
        assert [r["第几套 set"] for r in mine if r["抽中 drawn"]] == [c["drawn"]]
        # and u itself from the seed and the group's code, as the recompute line says
        raw = b"xuncha-capped-team-draw-v1\x00" + seed.encode() + b"\x00" + code.encode()
        u = int(hashlib.sha256(raw).hexdigest(), 16) / 2**256
        assert f"{u:.12f}" == c["draw_point"]
    assert "‖0x00‖派出方代码" in provenance["复算 recompute"]
    # each group draws its own point
    points = [c["draw_point"] for _code, _name, c in groups(world.record)]
    assert len(set(points)) == len(points)


def test_the_sealed_report_keeps_each_groups_draw_and_names_nobody(world: World) -> None:
    book = open_book(world.sealed_xlsx)
    text = "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)
    assert "批准前不公开" in text and SENTENCE in text
    assert sorted(x for x in world.members if x in text) == []
    sealed = [r["内容 value"] for r in table(book, "依据与批准 Provenance")
              if str(r["项目 item"]).startswith("抽中 drawn：")]
    shown = [r["内容 value"] for r in table(open_book(world.xlsx), "依据与批准 Provenance")
             if str(r["项目 item"]).startswith("抽中 drawn：")]
    assert sealed == shown and len(shown) == 9
