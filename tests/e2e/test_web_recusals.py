"""The recusal check page (/recusals) on the sample city, as a browser asks for it: the
verdict per role with rule, basis and the evidence drawn; names resolved as the CLI does
(a shared name offers its cadres as choices); need to know (an approver sees the verdict
and the kinship category, never the relative); region scope (a county's person cannot
check a city cadre); bad input as field errors, never a 500."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.app import create_app
from service.auth import Role
from service.settings import Settings
from tests.e2e.test_web_signin import PASSWORD, Browser

# in the sample city, 邱璧璐's husband 严永健 works at 云川市农业技术推广中心 (U00037)
CADRE, CADRE_KEY, RELATIVE, RELATIVE_KEY = "邱璧璐", "P00000045", "严永健", "P00015826"
UNIT, UNIT_KEY, TIE = "云川市农业技术推广中心", "U00037", "T00032491"
AS_OF = "2026-11-01"
# everyone's account, as (name, role, scope)
PEOPLE = [("林组织", Role.organizer, None), ("审批𠮷", Role.approver, None),
          ("东溪组织", Role.organizer, "320102"), ("查看员", Role.viewer, None)]


@contextmanager
def signed_in(url: str, name: str, at: dt.datetime | None = None) -> Iterator[Browser]:
    engine = make_engine(url)
    with transaction(engine) as session:
        for who, role, scope in PEOPLE:
            if who == name:
                create_user(session, name=who, password=PASSWORD, role=role, scope=scope,
                            actor="tests", now=audit.utcnow())
    engine.dispose()
    app = create_app(Settings(database_url=url, run_jobs=False))  # type: ignore[call-arg]
    with TestClient(app, raise_server_exceptions=False) as client:
        b = Browser(client, url)
        b.at = at or b.at
        assert b.sign_in(name).status_code == 303
        yield b


def check(b: Browser, **params: str) -> tuple[int, str]:
    answer = b.get("/recusals?" + urlencode({"as_of": AS_OF, **params}))
    return answer.status_code, answer.text


def errors(html: str) -> list[str]:
    return re.findall(r'<li><a href="#(\w+)">', html)


def test_an_organizer_sees_the_verdict_per_role_the_basis_and_the_relative(
        city_url: str) -> None:
    with signed_in(city_url, "林组织") as b:
        status, html = check(b, cadre=CADRE, units=UNIT)
        assert status == 200, errors(html)
        assert f"{CADRE} {CADRE_KEY} → {UNIT} {UNIT_KEY}" in html
        verdicts = re.findall(r'<th scope="row">(\S+) .*?</th>\s*<td><span class="verdict '
                              r'verdict--\w+">(\S+)</span>', html, re.S)
        assert dict(verdicts) == {"组长": "须回避", "副组长": "须回避", "组员": "须回避",
                                  "联络员": "须回避"}
        assert "亲属任职回避" in html and "<code>kin-in-target</code>" in html
        assert "《公务员法》第七十四条" in html and "Civil Servant Law" in html
        svg = re.search(r"<svg .*?</svg>", html, re.S)
        assert svg, "the evidence is drawn"
        keys = re.findall(r'data-key="([^"]*)"', svg.group(0))
        assert {CADRE_KEY, RELATIVE_KEY, UNIT_KEY} <= set(keys)
        assert RELATIVE in svg.group(0) and "丈夫" in svg.group(0)
        assert TIE in html  # the text explanation names the record
        assert 'style="' not in html  # the content policy allows no inline style


def test_an_approver_sees_the_verdict_and_the_category_but_never_the_relative(
        city_url: str) -> None:
    with signed_in(city_url, "审批𠮷") as b:
        status, html = check(b, cadre=CADRE_KEY, units=UNIT_KEY)
        assert status == 200, errors(html)
        assert "须回避" in html and "亲属任职回避" in html and "《公务员法》" in html
        assert "配偶" in html  # the kinship category
        for secret in (RELATIVE, RELATIVE_KEY, TIE):
            assert secret not in html
        assert "姓名不显示 name withheld" in html


def test_a_county_person_cannot_check_a_city_cadre(city_url: str) -> None:
    with signed_in(city_url, "东溪组织") as b:
        for cadre in (CADRE, CADRE_KEY):
            status, html = check(b, cadre=cadre, units="东溪区农业农村局")
            assert status == 403
            assert "不在令牌的区划范围" in html and CADRE_KEY in html
            assert RELATIVE not in html and "须回避" not in html
        status, html = check(b, cadre="P00000205", units=UNIT_KEY)  # 东溪区 cadre, city unit
        assert status == 403 and "单位 U00037" in html
        assert b.count("auth.denied") == 3


def test_a_role_without_recusal_checks_is_refused_and_a_stranger_signs_in_first(
        city_url: str) -> None:
    with signed_in(city_url, "查看员") as b:
        assert "/recusals" not in b.get("/").text  # not in the navigation
        status, html = check(b, cadre=CADRE, units=UNIT)
        assert status == 403 and "recusal:check" in html and RELATIVE not in html
        b.client.cookies.clear()
        answer = b.get(f"/recusals?cadre={CADRE_KEY}&units={UNIT_KEY}")
        assert answer.status_code == 303
        assert answer.headers["location"] == (
            f"/signin?next=%2Frecusals%3Fcadre%3D{CADRE_KEY}%26units%3D{UNIT_KEY}")


def test_a_shared_name_is_offered_as_choices_that_lead_to_the_check(
        city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        status, html = check(b, cadre="张仁", units=UNIT)
        assert status == 400 and errors(html) == ["cadre"]
        assert "名干部同名“张仁”" in html
        choices = re.search(r'id="cadre-choices".*?</ul>', html, re.S)
        assert choices
        links = re.findall(r'<a href="([^"]+)">(P\d+)</a> · (\S+) (U\d+) ·\s+(\d{4})年生',
                           choices.group(0))
        assert len(links) >= 2 and len({key for _, key, *_ in links}) == len(links)
        url, key = links[0][0].replace("&amp;", "&"), links[0][1]
        chosen = b.get(url)
        assert chosen.status_code == 200
        assert f"张仁 {key} → {UNIT} {UNIT_KEY}" in chosen.text


def test_a_shared_name_outside_the_scope_is_refused_without_its_candidates(
        city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        everyone = re.findall(r'<li><a href="[^"]+">(P\d+)</a>', check(
            b, cadre="张仁", units=UNIT)[1])
    assert len(everyone) >= 2
    with signed_in(city_sqlite_url, "东溪组织") as b:  # no 张仁 works in 东溪区
        status, html = check(b, cadre="张仁", units="东溪区农业农村局")
    assert status == 403 and "不在令牌的区划范围" in html
    assert not any(key in html for key in everyone[1:])


@pytest.mark.parametrize(("params", "field"), [
    ({"cadre": "", "units": UNIT}, "cadre"),
    ({"cadre": CADRE, "units": " \n "}, "units"),
    ({"cadre": CADRE, "units": "\n".join(f"U{i:05}" for i in range(21))}, "units"),
    ({"cadre": CADRE, "units": UNIT, "as_of": "2026-31-12"}, "as_of"),
    ({"cadre": CADRE, "units": UNIT, "as_of": "12/01/2026"}, "as_of"),
    ({"cadre": CADRE, "units": UNIT, "as_of": "0001-01-01"}, "as_of"),
    ({"cadre": CADRE, "units": UNIT, "policy": "../etc/passwd"}, "policy"),
    ({"cadre": "王𠮷", "units": UNIT}, "cadre"),
    ({"cadre": CADRE, "units": "无此单位𠮷"}, "units"),
    ({"cadre": "x" * 5000, "units": UNIT}, "cadre"),
])
def test_bad_input_is_a_field_error_on_the_page(city_sqlite_url: str,
                                                params: dict[str, str], field: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        status, html = check(b, **params)
        assert status == 400 and field in errors(html)
        assert "出现问题 / There is a problem" in html and "Traceback" not in html
        assert 'class="recusal-result"' not in html


def test_an_unknown_name_reads_as_the_cli_says_it(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, "林组织") as b:
        _, html = check(b, cadre="王𠮷", units="无此单位")
        assert "没有人员编号或姓名为“王𠮷”的人员 / no person has this key or name: 王𠮷" in html
        assert "没有单位编号或名称为“无此单位”的单位" in html


def test_the_blank_form_defaults_to_today_in_beijing_and_lists_the_policies(
        city_sqlite_url: str) -> None:
    # 17:30 UTC on 31 December is already 1 January in Beijing
    with signed_in(city_sqlite_url, "林组织", at=dt.datetime(2026, 12, 31, 17, 30)) as b:
        answer = b.get("/recusals")
        assert answer.status_code == 200
        assert 'value="2027-01-01"' in answer.text
        assert re.search(r'<option value="default" selected>[^<]*default', answer.text)
        assert "leader-strict" in answer.text
        assert 'href="/recusals" aria-current="page"' in answer.text
