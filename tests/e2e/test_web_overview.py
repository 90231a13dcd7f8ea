"""The overview page (/overview) on the sample city, as a browser asks for it: its counts
and charts equal a count made straight from the sample files (and, for recusals, a
screening run here); a county's person sees their county only; roles that may not see
drawn names see the spread of participation but nobody's name; roles without rounds or
recusal checks do not get those figures; a trial is never awaiting approval, a draw of
record is until approved, then it is a decision and its members' history; a bad window is
a field error, never a 500."""

from __future__ import annotations

import csv
import datetime as dt
import html as htmllib
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from conflicts.policy import cached_policy
from conflicts.screening import screen_index
from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.app import create_app
from service.auth import Role
from service.recusals import open_index
from service.settings import Settings
from tests.e2e.api_client import Api
from tests.e2e.test_api_rounds import draw, plan
from tests.e2e.test_web_signin import PASSWORD, Browser

CITY = Path(__file__).resolve().parents[2] / "sample_data" / "city"
COUNTY = "320125"  # 梅坞县
AT = dt.datetime(2026, 11, 1, 4, 0)  # UTC: 2026-11-01 noon in Beijing, the sample's date
AS_OF = dt.date(2026, 11, 1)
STATUS = {"在库": "active", "暂停": "suspended", "出库": "removed"}


def rows(name: str) -> list[dict[str, str]]:
    with (CITY / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def subtree(root: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for r in rows("regions.csv"):
        children.setdefault(r["上级代码"], []).append(r["区划代码"])
    out, todo = set(), [root]
    while todo:
        code = todo.pop()
        out.add(code)
        todo += children.get(code, [])
    return out


class City:
    """Figures counted straight from the sample files, for cadres in `regions`."""

    def __init__(self, regions: set[str] | None = None) -> None:
        self.regions = regions
        unit_region = {u["单位编号"]: u["行政区划"] for u in rows("units.csv")}
        self.all = [c for c in rows("cadres.csv")
                    if regions is None or unit_region[c["所在单位"]] in regions]
        self.pool = [c for c in self.all if STATUS[c["状态"]] != "removed"]
        self.keys = {c["人员编号"] for c in self.pool}
        self.units = {k for k, r in unit_region.items() if regions is None or r in regions}

    def statuses(self) -> Counter[str]:
        return Counter(STATUS[c["状态"]] for c in self.all)

    def skills(self) -> dict[str, tuple[int, int]]:
        """Chinese skill name → (cadres in the pool with it, of whom level ≥ 3)."""
        count: Counter[str] = Counter()
        senior: Counter[str] = Counter()
        for c in self.pool:
            for part in filter(None, c["专业特长"].split(";")):
                name, level = part.split(":")
                count[name] += 1
                senior[name] += int(level) >= 3
        return {name: (count[name], senior[name]) for name in count}

    def spread(self, last: int) -> tuple[list[int], Counter[str]]:
        """Cadres serving 0/1/2/3+ times in the latest `last` rounds with teams that the
        reader may see (a round of their region, or one a cadre of theirs served in), and
        the times per cadre."""
        staffed = {p["轮次编号"] for p in rows("participations.csv")}
        visible = {p["轮次编号"] for p in rows("participations.csv")
                   if p["人员编号"] in {c["人员编号"] for c in self.all}}
        visible |= {r["轮次编号"] for r in rows("rounds.csv")
                    if self.regions is None or r["巡察主体区划"] in self.regions}
        rounds = sorted((r for r in rows("rounds.csv")
                         if r["轮次编号"] in staffed and r["轮次编号"] in visible),
                        key=lambda r: (r["开始日期"], r["轮次编号"]), reverse=True)[:last]
        keys = {r["轮次编号"] for r in rounds}
        times = Counter(p["人员编号"] for p in rows("participations.csv")
                        if p["轮次编号"] in keys and p["人员编号"] in self.keys)
        spread = [len(self.keys) - len(times), 0, 0, 0]
        for n in times.values():
            spread[min(n, 3)] += 1
        return spread, times


@contextmanager
def signed_in(url: str, name: str, role: Role, scope: str | None = None
              ) -> Iterator[Browser]:
    engine = make_engine(url)
    with transaction(engine) as session:
        create_user(session, name=name, password=PASSWORD, role=role, scope=scope,
                    actor="tests", now=audit.utcnow())
    engine.dispose()
    app = create_app(Settings(database_url=url, run_jobs=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        b = Browser(client, url)
        b.at = AT
        assert b.sign_in(name).status_code == 303
        yield b


def chart(page: str, name: str) -> dict[str, Any]:
    found = re.search(rf'data-chart="{name}">.*?<script type="application/json" '
                      r'class="chart__data">(.*?)</script>', page, re.S)
    assert found, f"no data for the chart {name}"
    return dict(json.loads(found.group(1)))


def table(page: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table[^>]*id="{table_id}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, f"no table {table_id}"
    return [[htmllib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)]


def count(page: str, zh: str) -> int:
    found = re.search(rf"<dt>{zh} .*?</dt><dd>([\d,]+)</dd>", page)
    assert found, f"no count {zh}"
    return int(found.group(1).replace(",", ""))


def number(text: str) -> int:
    return int(text.replace(",", ""))


def screened(url: str, city: City) -> Counter[str]:
    """(cadre, unit) pairs per rule, screened here under the default policy."""
    engine = make_engine(url)
    with transaction(engine) as session:
        index = open_index(session, AS_OF)
    engine.dispose()
    result = screen_index(index, cached_policy("default"), sorted(city.keys),
                          sorted(city.units))
    return Counter(r.rule_id for r in result.recusals())


def test_the_figures_equal_a_count_of_the_sample_city(city_url: str) -> None:
    city = City()
    with signed_in(city_url, "林组织", Role.organizer) as b:
        answer = b.get("/overview")
        assert answer.status_code == 200, answer.text
        page = answer.text
        windowed = b.get("/overview?rounds=2").text
    assert count(page, "库内干部") == len(city.pool) == 1176
    for zh, code in STATUS.items():
        assert count(page, zh) == city.statuses()[code]
    assert count(page, "巡察轮次") == len(rows("rounds.csv"))
    assert count(page, "待审批方案") == 0 and count(page, "已批准的决定") == 0

    skills = city.skills()
    drawn = chart(page, "skills")
    labels = [label.split("（")[0] for label in drawn["labels"]]
    assert sorted(labels) == sorted(skills)
    assert drawn["series"][0]["values"] == [skills[n][0] for n in labels]
    assert drawn["series"][1]["values"] == [skills[n][1] for n in labels]
    assert "财务（finance）" in drawn["labels"]
    for row in table(page, "skills-table"):
        assert (number(row[1]), number(row[2])) == skills[row[0].split(" ")[0]]

    for last, shown in ((6, page), (2, windowed)):
        spread, times = city.spread(last)
        assert chart(shown, "participation")["series"][0]["values"] == spread
        assert [number(r[1]) for r in table(shown, "participation-table")] == spread
        most = table(shown, "served-most-table")
        assert [number(r[2]) for r in most] == sorted(times.values(), reverse=True)[:10]
    assert sum(spread) == 1176 and spread[1] > 0

    expected = screened(city_url, city)
    recusals = chart(page, "recusals")
    ids = [label.rsplit("（", 1)[1].rstrip("）") for label in recusals["labels"]]
    assert dict(zip(ids, recusals["series"][0]["values"], strict=True)) == \
        {rule: expected[rule] for rule in ids}
    assert set(expected) <= set(ids) and expected["declared"] > 0
    assert "申请或决定回避（declared）" in recusals["labels"]
    assert [number(r[1]) for r in table(page, "recusals-table")] == \
        recusals["series"][0]["values"]


def test_a_county_person_sees_their_county_only(city_sqlite_url: str) -> None:
    county, everyone = City(subtree(COUNTY)), City()
    with signed_in(city_sqlite_url, "梅坞组织", Role.organizer, COUNTY) as b:
        page = b.get("/overview").text
    assert count(page, "库内干部") == len(county.pool) < len(everyone.pool)
    assert count(page, "巡察轮次") == 0  # the city's rounds are not the county's
    spread, times = county.spread(6)
    assert chart(page, "participation")["series"][0]["values"] == spread
    most = table(page, "served-most-table")
    served = [re.search(r"P\d{8}", r[0]) for r in most]
    assert served and all(m and m.group(0) in county.keys for m in served)
    assert [number(r[2]) for r in most] == sorted(times.values(), reverse=True)[:10]
    homes = [re.search(r"（(U\d+)）", r[1]) for r in most]  # 梅坞县人民医院（U00123）
    assert all(h and h.group(1) in county.units for h in homes)
    outsiders = set(everyone.spread(6)[1]) - county.keys
    assert outsiders and not any(key in page for key in outsiders)
    expected = screened(city_sqlite_url, county)
    drawn = chart(page, "recusals")["series"][0]["values"]
    assert sum(drawn) == sum(expected.values()) > 0
    assert sum(chart(page, "skills")["series"][0]["values"]) == \
        sum(n for n, _ in county.skills().values())


def test_roles_without_name_access_see_the_spread_but_no_names(city_sqlite_url: str) -> None:
    city = City()
    spread, times = city.spread(6)
    top = [k for k, _ in sorted(times.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
    persons = {p["人员编号"]: p["姓名"] for p in rows("persons.csv")}
    seen = {}
    for name, role in (("审批𠮷", Role.approver), ("审计员", Role.auditor),
                       ("监督员", Role.supervisor), ("查看员", Role.viewer)):
        with signed_in(city_sqlite_url, name, role) as b:
            answer = b.get("/overview")
        assert answer.status_code == 200
        seen[role] = page = answer.text
        assert chart(page, "participation")["series"][0]["values"] == spread
    approver = seen.pop(Role.approver)
    assert [re.search(r"P\d{8}", r[0]).group(0)  # type: ignore[union-attr]
            for r in table(approver, "served-most-table")] == top
    for role, page in seen.items():
        assert 'id="served-most-table"' not in page, role
        assert not any(key in page or persons[key] in page for key in top), role
        assert "只对组队和审批的角色显示" in page
    # rounds for those who read rounds; recusals for those who check them
    assert "巡察轮次" in seen[Role.supervisor] and "巡察轮次" not in seen[Role.viewer]
    assert 'data-chart="recusals"' in seen[Role.auditor]
    assert 'data-chart="recusals"' not in seen[Role.supervisor]
    assert 'data-chart="recusals"' not in seen[Role.viewer]


def test_a_bad_window_is_a_field_error_and_a_stranger_signs_in_first(
        city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织", Role.organizer) as b:
        for bad in ("0", "51", "abc", "²", "-3", "6.5", "9" * 40, "𠮷"):
            answer = b.get(f"/overview?rounds={bad}")
            assert answer.status_code == 422, bad
            assert '<a href="#rounds">最近轮次数须为1到50之间的整数' in answer.text
            assert 'aria-label="参加次数的分布' in answer.text  # the page, at 6 rounds
        assert b.get("/overview?rounds=50").status_code == 200
        assert '<a class="site-nav__link" href="/overview" aria-current="page">' in \
            b.get("/overview").text
        assert 'href="/overview"' in b.get("/").text
        b.client.cookies.clear()
        answer = b.get("/overview?rounds=3")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Foverview%3Frounds%3D3"


def test_rounds_proposals_and_decisions_follow_the_service(sqlite_api: Api) -> None:
    api, url = sqlite_api, sqlite_api.url

    def figures() -> dict[str, int]:
        with signed_in(url, f"审批{len(seen)}", Role.approver) as b:
            page = b.get("/overview").text
        seen.append(page)
        return {zh: count(page, zh) for zh in ("巡察轮次", "已有组队记录", "待审批方案",
                                                "已批准的决定")}

    seen: list[str] = []
    assert api.post("/v1/rounds", "organizer", json=plan()).status_code == 201
    trial = api.run_job("POST", "/v1/rounds/R2027-01/proposals", "organizer", json={"seed": 3})
    assert trial["status"] == "succeeded", trial
    assert figures() == {"巡察轮次": 9, "已有组队记录": 8, "待审批方案": 0, "已批准的决定": 0}
    drawn = draw(api)  # the draw of record: awaiting approval
    assert figures() == {"巡察轮次": 9, "已有组队记录": 8, "待审批方案": 1, "已批准的决定": 0}
    approved = api.post(f"/v1/proposals/{drawn['id']}/approve", "approver", json={})
    assert approved.status_code == 200, approved.text
    assert figures() == {"巡察轮次": 9, "已有组队记录": 9, "待审批方案": 0, "已批准的决定": 1}
    # the decided round is the newest: its members served once more in the last rounds
    newest = table(seen[-1], "served-most-table")
    assert "云川市委2027年第一轮巡察（R2027-01）" in seen[-1]
    assert sum(number(r[2]) for r in newest) >= sum(number(r[2]) for r in
                                                    table(seen[0], "served-most-table"))
    assert [number(r[1]) for r in table(seen[-1], "participation-table")] != \
        [number(r[1]) for r in table(seen[0], "participation-table")]
