"""A round drawn under probability caps, as the workbench shows it (TestClient): the
review page says what the caps promise, how much of the uncapped optimum the
distribution keeps, which team set the seed drew and with which number, that the
tolerance was not used, and lists the distribution; an auditor before approval sees its
structure but no member of any team set; the ceremony's page shows the sealed caps
instead of the tolerance."""

from __future__ import annotations

import html as htmllib
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
from tests.e2e import ceremony
from tests.e2e.api_client import running_api
from tests.e2e.test_api_rounds import ROUND
from tests.e2e.test_web_audit import signed_in

CAPPED: dict[str, Any] = ROUND | {"cap": 0.2, "leader_cap": 0.1}
PLAIN: dict[str, Any] = ROUND | {"key": "R2027-02", "name": "云川市委2027年第二轮巡察"}
SENTENCE = "任何一名干部进入某一巡察组的概率不超过 20%，担任某一巡察组组长的概率不超过 10%"
NOT_USED = "容差不适用：按概率上限抽取"


@dataclass
class World:
    path: Path  # the sample city, the capped round's draw of record, a plain round's trial
    record: dict[str, Any]  # the capped draw of record as the organizer reads it
    draw_id: int
    trial_id: int  # a trial of a round without caps
    members: set[str]  # every key and name of every team set of the distribution


@pytest.fixture(scope="module")
def world(city_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("caps-web") / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    with running_api(f"sqlite:///{path}") as api:
        for plan in (CAPPED, PLAIN):
            made = api.post("/v1/rounds", "organizer", json={"plan": plan, "region": "320100"})
            assert made.status_code == 201, made.text
        held = ceremony.hold(api, CAPPED["key"])
        assert held.proposal is not None
        trial = api.run_job("POST", f"/v1/rounds/{PLAIN['key']}/proposals", "organizer",
                            json={"seed": 11})
        assert trial["status"] == "succeeded", trial
    keys = {x["key"] for row in held.proposal["result"]["capped"]["distribution"]
            for t in row["teams"] for x in t["members"]}
    engine = make_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        names = set(session.execute(select(m.Person.name).where(
            m.Person.key.in_(sorted(keys)))).scalars())
    engine.dispose()
    return World(path, held.proposal, held.draw["id"], trial["result"]["proposal_id"],
                 keys | {n for n in names if len(n) >= 2})


@pytest.fixture
def url(world: World, tmp_path: Path) -> str:
    copy = tmp_path / "city.sqlite3"
    shutil.copy(world.path, copy)
    return f"sqlite:///{copy}"


def text_of(fragment: str) -> str:
    """What a person reads: tags dropped, entities decoded, white space collapsed."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def section(html: str, start: str, end: str = "</section>") -> str:
    at = html.index(start)
    return html[at:html.index(end, at)]


def rows(html: str) -> list[str]:
    table = section(html, '<table class="table proposal-caps__table"', "</table>")
    return re.findall(r"<tr[^>]*>\s*<th scope=\"row\">.*?</tr>", table, re.S)


def test_the_review_says_what_the_caps_promise_and_which_set_was_drawn(
        url: str, world: World) -> None:
    capped = world.record["result"]["capped"]
    with signed_in(url, "王组织", Role.organizer) as b:
        page = b.get(f"/proposals/{world.record['id']}")
    assert page.status_code == 200, page.text
    caps = section(page.text, '<section class="proposal-caps"')
    text = text_of(caps)
    assert SENTENCE in text and "no cadre is on any given team with probability above 20%" \
        in text
    assert "进组 20% · 任组长 10%" in text
    share = f"{capped['share'] * 100:.2f}".rstrip("0").rstrip(".")
    assert f"期望目标值 {capped['expected']:.1f}，不设上限时最优 {capped['uncapped']}，为其 " \
           f"{share}%" in text
    drawn, probability = capped["drawn"], f"{capped['probability'] * 100:.2f}".rstrip(
        "0").rstrip(".")
    assert f"第 {drawn} 套，概率 {probability}%" in text
    assert f"u = {capped['draw_point']}" in text and capped["draw_digest"] in text
    assert f"共{capped['team_sets']}套组队方案" in text
    # the tolerance: not used, said where the tolerance is shown
    tolerance = text_of(section(page.text, 'id="proposal-tolerance"', "</dd>"))
    assert NOT_USED in tolerance and "tolerance not used" in tolerance

    # the distribution: one row per team set, the drawn one marked, the cumulative
    # probability crossing u exactly at the drawn set, its members the proposal's teams
    table = rows(page.text)
    assert len(table) == capped["team_sets"] == len(capped["distribution"])
    marked = [i for i, r in enumerate(table, start=1) if "proposal-caps__drawn" in r]
    assert marked == [drawn]
    cumulative = [float(re.findall(r'<td class="proposal-caps__cumulative">([0-9.]+)</td>', r)[0])
                  for r in table]
    u = float(capped["draw_point"])
    assert (cumulative[drawn - 2] if drawn > 1 else 0.0) <= u < cumulative[drawn - 1]
    total = sum((Fraction(r["weight"]) for r in capped["distribution"]), Fraction(0))
    assert abs(cumulative[-1] - float(total)) < 1e-6
    for team in world.record["teams"]:
        for x in team["members"]:
            assert x["name"] in table[drawn - 1] and f'title="{x["key"]}"' in table[drawn - 1]


def test_an_auditor_sees_the_distribution_but_no_member_of_any_team_set(
        url: str, world: World) -> None:
    capped = world.record["result"]["capped"]
    with signed_in(url, "赵审计", Role.auditor) as b:
        page = b.get(f"/proposals/{world.record['id']}")
    assert page.status_code == 200, page.text
    html = page.text
    assert len(world.members) > 3 * 5  # keys and names of more than one team set
    assert sorted(x for x in world.members if x in html) == []
    text = text_of(section(html, '<section class="proposal-caps"'))
    assert SENTENCE in text and f"第 {capped['drawn']} 套" in text
    table = rows(html)
    assert len(table) == capped["team_sets"]
    sizes = [len(t["members"]) for t in capped["distribution"][0]["teams"]]
    assert [f"＊＊＊（{n}人" for n in sizes] == re.findall(r"＊＊＊（\d+人", text_of(table[0]))
    assert "本角色看不到各套方案的成员" in text


def test_the_ceremony_page_shows_the_sealed_caps_instead_of_the_tolerance(
        url: str, world: World) -> None:
    with signed_in(url, "钱监督", Role.supervisor) as b:
        page = b.get(f"/draws/{world.draw_id}")
    assert page.status_code == 200, page.text
    summary = text_of(section(page.text, '<dl class="summary">', "</dl>"))
    assert "概率上限：进组 20% · 任组长 10%" in summary and SENTENCE in summary
    assert NOT_USED in summary and "容差 tolerance" not in summary


def test_a_round_without_caps_shows_its_tolerance_and_no_caps(url: str, world: World) -> None:
    with signed_in(url, "王组织", Role.organizer) as b:
        page = b.get(f"/proposals/{world.trial_id}")
    assert page.status_code == 200, page.text
    tolerance = text_of(section(page.text, 'id="proposal-tolerance"', "</dd>"))
    assert "0.02（抽签可在最优值的 2% 以内选择）" in tolerance
    assert "proposal-caps" not in page.text and NOT_USED not in page.text
