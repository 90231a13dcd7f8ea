"""Signing in to the workbench over HTTP, as a browser does: the session cookie's flags,
CSRF refusals that change nothing, the same answer for an unknown name and a wrong
password, session expiry on the app's clock, a disabled account, the address throttle,
HTML error pages for browsers while /v1 keeps answering JSON; and the `user` commands."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pool import models as m
from pool.db import make_engine, transaction
from service import audit
from service.accounts import create_user, disable_user
from service.app import create_app
from service.auth import Role
from service.settings import Settings
from tests.e2e.serve_process import CLI, ROOT

PAGE = {"accept": "text/html,application/xhtml+xml"}
PASSWORD = "红旗渠精神 𠮷 2026"


class Browser:
    """A TestClient that keeps cookies, reads each form's CSRF token, and owns the clock."""

    def __init__(self, client: TestClient, url: str) -> None:
        self.client, self.url = client, url
        self.at = audit.utcnow()
        client.app.state.web_clock = lambda: self.at  # type: ignore[attr-defined]

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path, headers=PAGE, follow_redirects=False)

    def token(self, path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(
            path, headers=PAGE).text)
        assert found, f"no form token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
        return self.client.post(path, data=data, headers={**PAGE, **headers},
                                follow_redirects=False)

    def sign_in(self, name: str = "王𠮷", password: str = PASSWORD) -> httpx.Response:
        return self.post("/signin", {"name": name, "password": password,
                                     "csrf_token": self.token("/signin")})

    def count(self, kind: str) -> int:
        engine = make_engine(self.url)
        with transaction(engine) as session:
            n = session.execute(select(func.count()).select_from(m.AuditEvent)
                                .where(m.AuditEvent.kind == kind)).scalar_one()
        engine.dispose()
        return int(n)


@contextmanager
def browser(url: str, base_url: str = "http://testserver", **settings: object
            ) -> Iterator[Browser]:
    engine = make_engine(url)
    with transaction(engine) as session:
        if session.get(m.User, "王𠮷") is None:
            create_user(session, name="王𠮷", password=PASSWORD, role=Role.organizer,
                        scope=None, actor="tests", now=audit.utcnow())
    engine.dispose()
    app = create_app(Settings(database_url=url, run_jobs=False, **settings))  # type: ignore[arg-type]
    with TestClient(app, base_url=base_url, raise_server_exceptions=False) as client:
        yield Browser(client, url)


def test_sign_in_sets_a_strict_http_only_cookie_and_shows_the_person(db_url: str) -> None:
    with browser(db_url) as b:
        assert b.get("/").headers["location"] == "/signin"
        answer = b.sign_in()
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = next(c for c in answer.headers.get_list("set-cookie")
                      if c.startswith("xuncha_session="))
        assert {"HttpOnly", "SameSite=strict", "Path=/"} <= {
            p.strip() for p in cookie.replace("samesite", "SameSite").split(";")}
        assert "Secure" not in cookie  # plain http on loopback
        home = b.get("/")
        assert home.status_code == 200
        assert "王𠮷" in home.text and "组织人员 organizer" in home.text
        assert "全部区划 all regions" in home.text and "导入和修改人才库数据" in home.text
        assert home.headers["content-security-policy"].startswith("default-src 'none'")
        assert b.count("web.signin") == 1


def test_the_cookie_is_secure_over_https_or_when_the_settings_say_so(db_url: str) -> None:
    with browser(db_url, base_url="https://testserver") as b:
        assert "Secure" in b.sign_in().headers["set-cookie"]
    with browser(db_url, session_cookie_secure=True) as b:
        assert "Secure" in b.client.get("/signin").headers["set-cookie"]


def test_an_unknown_name_reads_exactly_like_a_wrong_password(db_url: str) -> None:
    with browser(db_url) as b:
        wrong = b.sign_in(password="not the password")
        unknown = b.sign_in(name="nobody")
        assert wrong.status_code == unknown.status_code == 401

        def message(r: httpx.Response) -> str:
            found = re.search(r'<div class="error-summary".*?</div>', r.text, re.S)
            assert found
            return re.sub(r'value="[^"]*"', "", found.group(0))

        assert message(wrong) == message(unknown)
        assert "账户名或密码不正确" in message(wrong)
        assert b.get("/").status_code == 303  # still signed out


def test_a_post_without_the_form_token_is_refused_and_changes_nothing(db_url: str) -> None:
    with browser(db_url) as b:
        assert b.sign_in().status_code == 303
        for data in ({}, {"csrf_token": "forged"}):
            refused = b.post("/signout", data)
            assert refused.status_code == 403
            assert "表单已失效" in refused.text
            assert b.get("/").status_code == 200  # still signed in
        other_site = b.post("/signout", {"csrf_token": b.token("/")},
                            origin="http://evil.example")
        assert other_site.status_code == 403 and b.get("/").status_code == 200
        assert b.count("web.signout") == 0 and b.count("web.csrf-refused") == 3
        # the sign-in form has its token too: without it nobody is signed in
        b.post("/signout", {"csrf_token": b.token("/")})
        refused = b.post("/signin", {"name": "王𠮷", "password": PASSWORD})
        assert refused.status_code == 403 and b.count("web.signin") == 1
        signed_out = b.post("/signout", {"csrf_token": "x"})  # no session: no valid token
        assert signed_out.status_code == 403


def test_sign_out_ends_the_session_on_the_server(db_url: str) -> None:
    with browser(db_url) as b:
        b.sign_in()
        stolen = b.client.cookies.get("xuncha_session")
        answer = b.post("/signout", {"csrf_token": b.token("/")})
        assert answer.headers["location"] == "/signin?notice=out"
        assert "你已退出登录" in b.client.get(answer.headers["location"], headers=PAGE).text
        b.client.cookies.set("xuncha_session", stolen or "")  # a copy of the old cookie
        assert b.get("/").status_code == 303


def test_a_session_left_idle_for_thirty_minutes_ends(db_url: str) -> None:
    with browser(db_url) as b:
        b.sign_in()
        b.at += dt.timedelta(minutes=29)
        assert b.get("/").status_code == 200
        b.at += dt.timedelta(minutes=30, seconds=1)
        gone = b.get("/")
        assert gone.headers["location"] == "/signin?notice=ended"
        assert b.count("web.session-expired") == 1


def test_disabling_an_account_signs_it_out_at_once(db_url: str) -> None:
    with browser(db_url) as b:
        b.sign_in()
        engine = make_engine(db_url)
        with transaction(engine) as session:
            disable_user(session, "王𠮷", actor="tests", now=audit.utcnow())
        engine.dispose()
        assert b.get("/").status_code == 303
        assert b.sign_in().status_code == 401


def test_repeated_failures_from_one_address_are_throttled(db_url: str) -> None:
    with browser(db_url, auth_failures_per_window=2) as b:
        b.sign_in(password="wrong one 1")
        b.sign_in(password="wrong one 2")
        throttled = b.sign_in()
        assert throttled.status_code == 429 and "Retry-After" in throttled.headers
        assert "尝试次数过多" in throttled.text and "次数过多" in throttled.text


def test_browsers_get_error_pages_while_the_api_keeps_json(db_url: str) -> None:
    with browser(db_url) as b:
        page = b.get("/no-such-page")
        assert page.status_code == 404 and "找不到页面" in page.text
        assert page.headers["content-type"].startswith("text/html")
        api = b.get("/v1/no-such-thing")
        assert api.status_code == 404 and api.json()["error"]["code"] == "http_404"
        assert b.client.get("/no-such-page").json()["error"]["code"] == "http_404"
        unauthorized = b.client.get("/v1/regions", headers=PAGE)
        assert unauthorized.status_code == 401 and "error" in unauthorized.json()


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "user", *args, "--database-url", url], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_user_commands(sqlite_url: str) -> None:
    weak = _cli(sqlite_url, "create", "周𠮷", "--role", "approver", "--password-stdin",
                stdin="1234567890\n")
    assert weak.returncode == 2 and "不能全是数字" in weak.stderr + weak.stdout
    made = _cli(sqlite_url, "create", "周𠮷", "--role", "approver", "--password-stdin",
                stdin="a long enough phrase\n")
    assert made.returncode == 0, made.stderr
    assert "已创建账户 周𠮷" in made.stdout
    again = _cli(sqlite_url, "create", "周𠮷", "--role", "viewer", "--password-stdin",
                 stdin="a long enough phrase\n")
    assert again.returncode == 2 and "已存在" in again.stderr + again.stdout
    assert "有效 active" in _cli(sqlite_url, "list").stdout
    assert _cli(sqlite_url, "disable", "周𠮷").returncode == 0
    assert "已停用 disabled" in _cli(sqlite_url, "list").stdout
    reset = _cli(sqlite_url, "reset-password", "无此人", "--password-stdin",
                 stdin="a long enough phrase\n")
    assert reset.returncode == 1 and "没有名为 无此人 的账户" in reset.stderr + reset.stdout
    assert "Traceback" not in reset.stderr
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        kinds = session.execute(select(m.AuditEvent.kind).where(
            m.AuditEvent.object_type == "user")).scalars().all()
    engine.dispose()
    assert kinds == ["user.create", "user.disable"]
