"""The pool's pages over HTTP, as a browser uses them, on the sample city: the cadre list's
filters, paging, bad query parameters as an error summary, the htmx fragment; a cadre's
page; the API's rules on the pages (a county's person sees the county only, relatives
and ID numbers only for roles with pool:read-sensitive, imports and exports need an
unscoped person); imports by upload with a dry run and the row-level error table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pool import models as m
from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user
from service.app import create_app
from service.auth import Role
from service.settings import Settings

PAGE = {"accept": "text/html,application/xhtml+xml"}
PASSWORD = "巡察 𠮷 password 2026"
COUNTY = "320125"  # 梅坞县


class Person:
    """A signed-in browser of one account (a TestClient keeping its cookies)."""

    def __init__(self, client: TestClient, url: str) -> None:
        self.client, self.url = client, url

    def get(self, path: str, **headers: str) -> httpx.Response:
        return self.client.get(path, headers={**PAGE, **headers}, follow_redirects=False)

    def token(self, path: str = "/pool/import") -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)
        assert found, f"no form token on {path}"
        return found.group(1)

    def upload(self, files: dict[str, bytes], dry_run: bool, token: str | None = None
               ) -> httpx.Response:
        data = {"csrf_token": token if token is not None else self.token()}
        if dry_run:
            data["dry_run"] = "1"
        return self.client.post("/pool/import", data=data, headers=PAGE,
                                files=[("files", (n, c, "text/csv")) for n, c in files.items()],
                                follow_redirects=False)

    def scalar(self, stmt: Any) -> Any:
        engine = make_engine(self.url)
        with transaction(engine) as session:
            value = session.execute(stmt).scalar_one()
        engine.dispose()
        return value


@contextmanager
def signed_in(url: str, role: Role = Role.organizer, scope: str | None = None,
              **settings: Any) -> Iterator[Person]:
    name = f"{role.value}-{scope or 'all'}-𠮷"
    engine = make_engine(url)
    with transaction(engine) as session:
        if session.get(m.User, name) is None:
            create_user(session, name=name, password=PASSWORD, role=role, scope=scope,
                        actor="tests", now=audit.utcnow())
    engine.dispose()
    app = create_app(Settings(database_url=url, run_jobs=False,  # type: ignore[call-arg]
                              **settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/signin", headers=PAGE).text)
        assert token
        answer = client.post("/signin", headers=PAGE, follow_redirects=False, data={
            "name": name, "password": PASSWORD, "csrf_token": token.group(1)})
        assert answer.status_code == 303, answer.text
        yield Person(client, url)


def keys_on(html: str) -> list[str]:
    return re.findall(r'href="/pool/cadres/([^"]+)"', html)


def total_on(html: str) -> int:
    found = re.search(r"共 ([\d,]+) 名干部", html)
    if found:
        return int(found.group(1).replace(",", ""))
    assert "没有符合条件的干部" in html
    return 0


def count_cadres(*where: Any) -> Any:
    return (select(func.count()).select_from(m.Cadre)
            .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key).where(*where))


def test_the_list_filters_as_the_api_does_and_pages_by_fifty(city_url: str) -> None:
    with signed_in(city_url) as p:
        everyone = p.get("/pool")
        assert everyone.status_code == 200
        assert total_on(everyone.text) == p.scalar(count_cadres()) == 1200
        assert len(keys_on(everyone.text)) == 50
        assert "第 1 / 24 页" in everyone.text
        assert "财务 finance · finance" in everyone.text  # the skill list, code beside

        finance = m.Cadre.person_key.in_(select(m.CadreSkill.person_key)
                                         .where(m.CadreSkill.skill_code == "finance"))
        page = p.get("/pool?skill=finance&flag=leader_pool")
        expected = p.scalar(count_cadres(finance, m.Cadre.leader_pool.is_(True)))
        assert 0 < total_on(page.text) == expected
        rows = page.text.split("<tbody>")[1].split("<tr>")[1:]
        assert rows and all("财务" in r and '<span class="pool-tag">组长库</span>' in r
                           for r in rows)

        # system and free text narrow it further; page 2 continues the same query
        system = p.get("/pool?system=health").text
        assert 0 < total_on(system) == p.scalar(count_cadres(m.Unit.system_code == "health"))
        second = p.get("/pool?page=2").text
        assert "第 2 / 24 页" in second and not set(keys_on(second)) & set(
            keys_on(everyone.text))
        named = p.get("/pool?q=P00000367").text
        assert keys_on(named) == ["P00000367"]
        assert 'href="/pool?q=P00000367&amp;page=' not in named  # one page: no pager


def test_bad_query_parameters_are_an_error_summary_never_a_500(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url) as p:
        for query, field, words in (
                ("skill=no_such_skill", "skill", "没有专业特长 no_such_skill"),
                ("skill_level=3", "skill_level", "指定等级时须同时指定专业特长"),
                ("region=999999", "region", "没有行政区划 999999"),
                ("system=nope", "system", "没有系统 nope"),
                ("status=retired", "status", "没有状态“retired”"),
                ("flag=vip", "flag", "没有入库标记“vip”"),
                ("page=-1", "page", "页码须为正整数"),
                ("skill=a%2Fb", "skill", "格式不对"),
                ("q=" + "长" * 65, "q", "最多64个字符")):
            answer = p.get(f"/pool?{query}")
            assert answer.status_code == 422, query
            summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
            assert f'href="#{field}"' in summary and words in summary, query
            assert "共 " not in answer.text and "没有符合条件的干部" not in answer.text
        nul = p.get("/pool?q=%00")  # refused for every request by the app, as a page
        assert nul.status_code == 422 and "空字符" in nul.text
        # a key nobody has: a page, not a traceback
        missing = p.get("/pool/cadres/P99999999")
        assert missing.status_code == 404 and "没有巡察干部 P99999999" in missing.text


def test_htmx_gets_only_the_results_and_the_links_keep_the_filters(
        city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url) as p:
        hx = {"HX-Request": "true", "HX-Target": "pool-results"}
        fragment = p.get("/pool?skill=finance&flag=expert_pool", **hx)
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert "<table" in fragment.text and 'id="skill"' not in fragment.text
        bad = p.get("/pool?skill=nope", **hx)  # htmx swaps only 2xx: the error is shown
        assert bad.status_code == 200 and "没有专业特长 nope" in bad.text
        page = p.get("/pool?skill=legal")
        assert 'hx-get="/pool" hx-target="#pool-results" hx-push-url="true"' in page.text
        assert 'href="/pool?skill=legal&amp;page=2"' in page.text
        restore = p.get("/pool?skill=legal", **hx, **{"HX-History-Restore-Request": "true"})
        assert "<html" in restore.text  # history restore: the whole page


def test_signed_out_pages_go_to_sign_in_and_come_back(city_sqlite_url: str) -> None:
    app = create_app(Settings(database_url=city_sqlite_url, run_jobs=False))  # type: ignore[call-arg]
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/pool?skill=finance", "/pool/cadres/P00000367", "/pool/import",
                     "/pool/export.xlsx"):
            answer = client.get(path, headers=PAGE, follow_redirects=False)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/signin?next=%2Fpool")
        hx = client.get("/pool", headers={**PAGE, "HX-Request": "true"},
                        follow_redirects=False)
        assert hx.headers["HX-Redirect"] == "/signin?next=%2Fpool"


def test_a_county_viewer_sees_only_the_county(city_url: str) -> None:
    with signed_in(city_url, Role.viewer, COUNTY) as p:
        county = p.scalar(select(func.count()).select_from(m.Region)
                          .where(m.Region.code.like(f"{COUNTY}%")))
        assert county > 1
        listed = p.get("/pool")
        in_county = p.scalar(count_cadres(m.Unit.region_code.like(f"{COUNTY}%")))
        assert total_on(listed.text) == in_county < 1200
        regions = set(re.findall(r'pool-muted">[^<]* (\d{6,9})</span>', listed.text))
        assert regions and all(r.startswith(COUNTY) for r in regions)
        # asking for the whole city's region still shows the county only
        assert total_on(p.get("/pool?region=320100").text) == in_county

        outsider = p.scalar(select(m.Cadre.person_key)
                            .join(m.Unit, m.Unit.key == m.Cadre.home_unit_key)
                            .where(m.Unit.region_code.not_like(f"{COUNTY}%"))
                            .order_by(m.Cadre.person_key).limit(1))
        name = p.scalar(select(m.Person.name).where(m.Person.key == outsider))
        page = p.get(f"/pool/cadres/{outsider}")
        # as GET /v1/cadres/{key} answers: an audited refusal, nothing of the cadre shown
        assert page.status_code == 403 and name not in page.text
        assert "不在令牌的区划范围" in page.text
        denied = p.scalar(select(func.count()).select_from(m.AuditEvent).where(
            m.AuditEvent.kind == "auth.denied",
            m.AuditEvent.object_key == f"/pool/cadres/{outsider}"))
        assert denied == 1
        assert "导出人才库" not in listed.text and "/pool/import" not in listed.text


def _cadre_with_relatives(p: Person) -> tuple[str, list[str], str]:
    """A cadre with kinship ties: key, the relatives' names, the full ID number."""
    tie = p.scalar(select(m.Tie.subject_key).join(m.Cadre, m.Cadre.person_key
                                                  == m.Tie.subject_key)
                   .where(m.Tie.kind == "spouse_of").order_by(m.Tie.key).limit(1))
    engine = make_engine(p.url)
    with transaction(engine) as session:
        others = session.execute(select(m.Tie.object_person_key).where(
            m.Tie.subject_key == tie, m.Tie.kind.in_(("spouse_of", "parent_of")))).scalars()
        names = [session.get(m.Person, k).name for k in others if k]  # type: ignore[union-attr]
        id_number = session.get(m.Person, tie).id_number  # type: ignore[union-attr]
    engine.dispose()
    return tie, names, id_number


def test_relatives_and_id_numbers_only_for_roles_that_may_read_them(
        city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, Role.approver) as p:
        key, relatives, id_number = _cadre_with_relatives(p)
        page = p.get(f"/pool/cadres/{key}")
        assert page.status_code == 200 and relatives
        assert all(name not in page.text for name in relatives)
        assert "亲属及其他关系仅对有权查看的角色显示" in page.text
        assert id_number[:6] + "*" not in page.text and id_number not in page.text
        assert "巡后评估仅对有敏感数据权限的角色显示" in page.text
    with signed_in(city_sqlite_url, Role.organizer) as p:
        page = p.get(f"/pool/cadres/{key}")
        assert all(name in page.text for name in relatives)
        assert "夫妻 spouse of" in page.text
        masked = id_number[:6] + "*" * 10 + id_number[-2:]
        assert masked in page.text and id_number not in page.text


def test_a_cadre_page_shows_skills_history_and_home_unit(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url) as p:
        key = p.scalar(select(m.Participation.person_key).order_by(
            m.Participation.round_key, m.Participation.person_key).limit(1))
        page = p.get(f"/pool/cadres/{key}").text
        round_name = p.scalar(select(m.Round.name).join(
            m.Participation, m.Participation.round_key == m.Round.key)
            .where(m.Participation.person_key == key).limit(1))
        unit = p.scalar(select(m.Unit.name).join(m.Cadre, m.Cadre.home_unit_key == m.Unit.key)
                        .where(m.Cadre.person_key == key))
        assert round_name in page and unit in page
        skill = p.scalar(select(m.Skill.name_zh).join(
            m.CadreSkill, m.CadreSkill.skill_code == m.Skill.code)
            .where(m.CadreSkill.person_key == key).limit(1))
        assert skill in page
        assert re.search(r"(组长|副组长|组员|联络员) (leader|deputy leader|member|liaison)", page)


BAD_PERSONS = ("人员编号,姓名,性别,出生日期\n"
               "P90000001,𠮷新人,男,1980-01-01\n"
               "P90000002,错日期,女,1980-13-45\n").encode()
GOOD_PERSONS = "人员编号,姓名,性别,出生日期\nP90000003,𠮷好人,女,1981-02-03\n".encode()


def test_an_import_with_an_error_shows_the_row_table_and_writes_nothing(
        city_url: str) -> None:
    with signed_in(city_url) as p:
        before = p.scalar(select(func.count()).select_from(m.Person))
        for dry in (True, False):
            answer = p.upload({"persons.csv": BAD_PERSONS}, dry_run=dry)
            assert answer.status_code == 422
            table = answer.text.split('class="table pool-import-errors"')[1].split(
                "</table>")[0]
            row = next(r for r in table.split("<tr>") if "persons.csv" in r)
            assert "<td>3</td>" in row and "出生日期" in row and "1980-13-45" in row
            assert 'href="#row-errors"' in answer.text
        assert p.scalar(select(func.count()).select_from(m.Person)) == before

        dry = p.upload({"persons.csv": GOOD_PERSONS}, dry_run=True)
        assert dry.status_code == 200 and "校验通过，未写入任何数据" in dry.text
        assert re.search(r"人员 <span[^>]*>persons</span></td><td>persons.csv</td><td>1</td>",
                         dry.text)
        assert p.scalar(select(func.count()).select_from(m.Person)) == before
        done = p.upload({"persons.csv": GOOD_PERSONS}, dry_run=False)
        assert done.status_code == 200 and "已导入 1 行" in done.text
        assert p.scalar(select(m.Person.name).where(m.Person.key == "P90000003")) == "𠮷好人"


def test_import_form_problems_are_shown_on_the_form(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url) as p:
        none = p.client.post("/pool/import", headers=PAGE, data={"csrf_token": p.token()})
        assert none.status_code == 422 and "请选择要导入的 .csv 或 .xlsx 文件" in none.text
        odd = p.upload({"notes.txt": b"hello"}, dry_run=True)
        assert odd.status_code == 422 and "不支持的文件“notes.txt”" in odd.text
        forged = p.upload({"persons.csv": GOOD_PERSONS}, dry_run=False, token="forged")
        assert forged.status_code == 403 and "表单已失效" in forged.text
        assert p.scalar(select(func.count()).select_from(m.Person)
                        .where(m.Person.key == "P90000003")) == 0


def test_an_upload_over_the_limit_is_a_page_saying_so(city_sqlite_url: str) -> None:
    with signed_in(city_sqlite_url, max_upload_bytes=4096) as p:
        big = p.upload({"persons.csv": GOOD_PERSONS + b"#" * 8192}, dry_run=False)
        assert big.status_code == 413
        assert big.headers["content-type"].startswith("text/html")
        assert "上传的文件合计超过 4 KB 的上限" in big.text and "import the files" in big.text
        assert "Content-Security-Policy" in big.headers
        assert p.scalar(select(func.count()).select_from(m.Person)
                        .where(m.Person.key == "P90000003")) == 0


@pytest.mark.parametrize(("role", "scope"), [(Role.viewer, None), (Role.approver, None),
                                             (Role.organizer, COUNTY)])
def test_imports_need_pool_write_and_no_scope(city_sqlite_url: str, role: Role,
                                              scope: str | None) -> None:
    with signed_in(city_sqlite_url, role, scope) as p:
        assert p.get("/pool/import").status_code == 403
        token = re.search(r'name="csrf_token" value="([^"]+)"', p.get("/pool").text)
        assert token
        refused = p.upload({"persons.csv": GOOD_PERSONS}, dry_run=False,
                           token=token.group(1))
        assert refused.status_code == 403
        assert p.scalar(select(func.count()).select_from(m.Person)
                        .where(m.Person.key == "P90000003")) == 0


def test_downloads_follow_the_api_rules(city_sqlite_url: str) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with signed_in(city_sqlite_url, Role.viewer) as p:
        template = p.get("/pool/template.xlsx")
        assert template.status_code == 200 and template.headers["content-type"] == xlsx
        assert template.content[:2] == b"PK"
        assert p.get("/pool/export.xlsx").status_code == 403
    with signed_in(city_sqlite_url, Role.organizer, COUNTY) as p:
        assert p.get("/pool/export.xlsx").status_code == 403  # scoped: as the API
    with signed_in(city_sqlite_url, Role.organizer) as p:
        page = p.get("/pool").text
        assert 'href="/pool/export.xlsx?id_numbers=full"' in page
        masked = p.get("/pool/export.xlsx")
        assert masked.status_code == 200 and masked.headers["content-type"] == xlsx
        full = p.get("/pool/export.xlsx?id_numbers=full")
        assert full.status_code == 200
        assert p.get("/pool/export.xlsx?id_numbers=half").status_code == 422
        kinds = p.scalar(select(func.count()).select_from(m.AuditEvent).where(
            m.AuditEvent.kind == "data.export",
            m.AuditEvent.data.contains('"id_numbers":"full"')))
        assert kinds == 1
