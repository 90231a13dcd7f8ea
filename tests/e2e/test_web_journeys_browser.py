"""The whole workbench journey on the sample city, from sign-in to the printed report, in
real browsers: one real `xuncha serve`, one headless Chromium, one browser context per
person (the organizer, the supervisor, the approver, the auditor), every request off
127.0.0.1 aborted and recorded.

The organizer creates a round with the wizard (targets by name) and opens its draw; both
parties commit and reveal on their own screens; the supervisor follows the ceremony but
never sees a drawn member's name or key before approval (page, print views, downloads)
and has no change or approve form; the organizer swaps a member for a ranked suggestion
and cannot approve; the approver (no wizard, no draw form) approves; the sealed list is
printed to PDF; the auditor reads the round's events, verifies the chain, replays the
proposal and sees the names once approved. Screenshots:
$XUNCHA_TEST_SHOTS/xuncha-shots/web-journey-*.png."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from service.auth import Role
from tests.e2e.browser import WatchedPage, chromium
from tests.e2e.serve_process import serving
from tests.e2e.test_web_signin_browser import SHOTS
from tests.e2e.web_journey import (
    commit_here,
    create_accounts,
    members_shown,
    pdf_text,
    reveal_here,
    signed_in,
)

PASSWORD = "巡察全程 𠮷 2026"
ORG, SUP, APPR, AUD = "林组织𠮷", "赵监督", "钱审批", "孙审计"
ACCOUNTS = ((ORG, Role.organizer, "320100"), (SUP, Role.supervisor, None),
            (APPR, Role.approver, "320100"), (AUD, Role.auditor, None))
KEY, NAME = "R2027-J1", "云川市委2027年第一轮巡察（全程）𠮷"
REASON = "本人借调省委巡视组，经组织同意调整"
NOTE = "经巡察工作领导小组研究同意"
VIEW = {"width": 1200, "height": 900}
PRINTS = ("sealed-list", "report", "recusals")


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"web-journey-{name}.png"), full_page=True)


def no_form(page: Any, action: str) -> bool:
    """No form on the page posts to an address ending in `action`."""
    return page.locator(f"form[action$='{action}']").count() == 0


def names_in(text: str, hidden: dict[str, str]) -> list[str]:
    """Which of these members (key → name) `text` names, by key or by name."""
    return [f"{k} {n}" for k, n in hidden.items() if k in text or n in text]


@pytest.mark.slow
def test_the_journey_from_sign_in_to_the_printed_report(city_sqlite_url: str,
                                                       tmp_path: Path) -> None:
    url = city_sqlite_url
    create_accounts(url, PASSWORD, ACCOUNTS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(url) as server, chromium() as browser:
        base = server.base_url
        people: list[WatchedPage] = []

        def person(name: str, path: str) -> Any:
            w = signed_in(browser, base, name, PASSWORD, path, locale="zh-CN",
                          viewport=VIEW, accept_downloads=True)
            people.append(w)
            return w.page

        # 1. the organizer creates a regular round with the wizard, targets by name
        org = person(ORG, "/rounds/new")
        org.get_by_label("轮次编号").fill(KEY)
        org.get_by_label("轮次名称").fill(NAME)
        assert org.get_by_label("常规巡察 regular").is_checked()
        org.get_by_label("开始日期").fill("2027-03-01")
        org.get_by_label("结束日期").fill("2027-04-30")
        org.get_by_role("button", name="继续 / Continue").click()
        org.wait_for_load_state("networkidle")
        org.get_by_label("被巡察单位").fill("云川市公安局\n云川市财政局")
        org.get_by_role("button", name="继续 / Continue").click()
        org.wait_for_load_state("networkidle")
        for field, value in (("#size_min", "5"), ("#size_max", "6"), ("#deputies_min", "1"),
                             ("#deputies_max", "1"), ("#skill_finance", "1"),
                             ("#skill_audit", "1"), ("#skill_discipline", "1")):
            org.locator(field).fill(value)
        org.get_by_role("button", name="继续 / Continue").click()
        org.wait_for_load_state("networkidle")
        plan = org.locator("table.round-plan").inner_text()
        assert "云川市公安局（U00003）" in plan and "云川市财政局（U00006）" in plan, plan
        shot(org, "1-wizard-check")
        org.get_by_role("button", name="建立轮次 / Create the round").click()
        org.wait_for_url(f"{base}/rounds/{KEY}?created=1", wait_until="networkidle")
        assert org.get_by_role("status").inner_text().startswith("轮次已建立")

        # ... opens its draw and commits, the secret made in this browser
        org.get_by_role("link", name="抽取仪式 The draw ceremony").click()
        org.wait_for_url(f"{base}/rounds/{KEY}/draw", wait_until="networkidle")
        org.get_by_role("button", name="封存规格并开始 / Seal the specification and open").click()
        org.wait_for_url(re.compile(r"/draws/\d+$"), wait_until="networkidle")
        draw_path = urlsplit(org.url).path
        org_secret = commit_here(org)
        shot(org, "1-organizer-committed")

        # 2. the supervisor sees the round and the ceremony on its own screen, commits
        sup = person(SUP, "/rounds")
        sup.get_by_role("link", name=re.compile(re.escape(NAME))).click()
        sup.wait_for_url(f"{base}/rounds/{KEY}", wait_until="networkidle")
        assert no_form(sup, f"/rounds/{KEY}/draw")
        sup.get_by_role("link", name="抽取仪式 The draw ceremony").click()
        sup.wait_for_url(f"{base}/rounds/{KEY}/draw", wait_until="networkidle")
        assert no_form(sup, f"/rounds/{KEY}/draw")  # a party, not the one who opens
        sup.get_by_role("link", name=re.compile("第1次")).click()
        sup.wait_for_url(f"{base}{draw_path}", wait_until="networkidle")
        assert "已承诺 committed" in sup.locator("#draw-state").inner_text()
        sup_secret = commit_here(sup)
        shot(sup, "2-supervisor-committed")

        # both reveal when their pages turn to the reveal by themselves; the draw runs
        reveal_here(org, org_secret)
        reveal_here(sup, sup_secret)
        for page in (org, sup):
            page.get_by_role("link", name=re.compile(r"查看方案 \d+")).wait_for(
                timeout=180_000)
        shot(sup, "2-ceremony-done")
        proposal = org.get_by_role("link", name=re.compile(r"查看方案 \d+")).get_attribute(
            "href")
        assert proposal and re.fullmatch(r"/proposals/\d+", proposal)
        review = f"{base}{proposal}"

        # the names the organizer sees ...
        org.goto(review, wait_until="networkidle")
        drawn = members_shown(org)
        assert len(drawn) >= 10, drawn  # two teams of five or six
        shot(org, "3-organizer-review")

        # ... never reach the supervisor before approval: not the page, prints, downloads
        sealed: list[str] = []  # every text the supervisor got before approval

        def supervisor_reads_the_proposal(label: str) -> None:
            sup.goto(review, wait_until="networkidle")
            assert "本角色看不到成员的姓名和人员编号（封存）" in sup.locator("main").inner_text()
            assert no_form(sup, "/changes") and no_form(sup, "/approve")
            assert sup.get_by_role("link", name=re.compile("^替换 Replace")).count() == 0
            sealed.append(sup.content())
            shot(sup, f"{label}-supervisor-sealed")
            for view in PRINTS:
                sup.goto(f"{review}/print/{view}", wait_until="networkidle")
                assert sup.locator(".print-doc").is_visible()
                sealed.append(sup.content())
            shot(sup, f"{label}-supervisor-print-recusals")
            xlsx = sup.request.get(f"{review}/report.xlsx")
            assert xlsx.status == 200
            with zipfile.ZipFile(io.BytesIO(xlsx.body())) as book:
                sealed.append("".join(book.read(n).decode("utf-8") for n in book.namelist()
                                      if n.endswith(".xml")))
            pdf = sup.request.get(f"{review}/report.pdf")
            assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
            path = tmp_path / f"{label}-supervisor.pdf"
            path.write_bytes(pdf.body())
            text = pdf_text(path)
            if text is not None:
                assert NAME.removesuffix("𠮷") in text.replace("\n", "")
                sealed.append(text)

        supervisor_reads_the_proposal("2")

        # 3. the organizer swaps a member for the best ranked suggestion, with a reason
        team = org.locator("#team-1")
        member_rows = team.locator("tbody tr", has_text="组员")
        leaving_link = member_rows.first.get_by_role("link", name=re.compile("^替换 Replace"))
        leaving_key = parse_qs(urlsplit(leaving_link.get_attribute("href") or "").query
                               )["cadre"][0]
        assert leaving_key in drawn
        leaving_link.click()
        suggestions = org.locator(f"#replace-1-{leaving_key} .replacements")
        suggestions.wait_for()
        assert "符合全部硬性规则" in suggestions.inner_text()
        best = suggestions.get_by_role("radio").first
        chosen = best.get_attribute("value")
        assert chosen and chosen not in drawn
        chosen_name = suggestions.locator(f"label[for='{best.get_attribute('id')}'] strong"
                                          ).inner_text().strip()
        best.check()
        suggestions.get_by_label("对调理由（必填）").fill(REASON)
        shot(org, "3-organizer-suggestions")
        suggestions.get_by_role("button", name="确认对调 / Swap").click()
        org.wait_for_url(re.compile(r"done=change"), wait_until="networkidle")
        row = org.locator("#team-1 tr.proposal-member--by-hand")
        assert chosen_name in row.inner_text() and REASON in row.inner_text()
        shot(org, "3-organizer-changed")

        # ... and cannot approve: no form, and a post with its own token is refused
        assert no_form(org, "/approve")
        token = org.locator("input[name=csrf_token]").first.input_value()
        refused = org.request.post(f"{review}/approve", form={"csrf_token": token,
                                                              "note": "自己批准"},
                                   headers={"accept": "text/html", "origin": base})
        assert refused.status == 403 and "无权" in refused.text()
        hidden = drawn | {chosen: chosen_name}
        supervisor_reads_the_proposal("3")  # the new member is sealed too
        leaks = [n for text in sealed for n in names_in(text, hidden)]
        assert leaks == [], f"the supervisor saw names before approval: {leaks}"

        # 4. the approver: no wizard, no draw form; the proposal free of blockers; approve
        appr = person(APPR, "/rounds")
        assert appr.get_by_role("link", name=re.compile("建立轮次")).count() == 0
        wizard = appr.goto(f"{base}/rounds/new", wait_until="networkidle")
        assert wizard is not None and wizard.status == 403
        assert no_form(appr, "/rounds/new")
        appr.goto(f"{base}/rounds/{KEY}/draw", wait_until="networkidle")
        assert no_form(appr, f"/rounds/{KEY}/draw")
        assert not appr.get_by_role("button", name=re.compile("封存规格")).count()
        appr.goto(review, wait_until="networkidle")
        assert appr.get_by_text("可以批准。").is_visible()
        assert no_form(appr, "/changes")
        assert chosen_name in appr.locator("#team-1").inner_text()  # it may read names
        appr.get_by_label("批准意见").fill(NOTE)
        shot(appr, "4-approver-review")
        appr.get_by_role("button", name="批准方案 / Approve").click()
        appr.wait_for_url(re.compile(r"done=approved"), wait_until="networkidle")
        assert f"已由 {APPR} 于" in appr.locator("#approve").inner_text()
        shot(appr, "4-approver-approved")

        # 5. the organizer opens the print views and prints the sealed list to PDF
        org.goto(review, wait_until="networkidle")
        for view, title in (("report", "巡察组组建报告"), ("recusals", "回避情况说明"),
                            ("sealed-list", "抽取结果")):
            org.get_by_role("link", name=re.compile(f"^打印：{title}")).click()
            org.wait_for_url(f"{review}/print/{view}", wait_until="networkidle")
            assert org.get_by_role("heading", level=1, name=re.compile(title)).is_visible()
            shot(org, f"5-print-{view}")
            if view != "sealed-list":
                org.go_back(wait_until="networkidle")
        printed = org.locator(".print-doc").inner_text()
        assert chosen_name in printed and APPR in printed and "云川市公安局" in printed
        org.emulate_media(media="print")
        assert not org.get_by_role("button", name="打印 / Print").is_visible()
        pdf = SHOTS / "web-journey-sealed-list.pdf"
        org.pdf(path=str(pdf), prefer_css_page_size=True)
        text = pdf_text(pdf)
        if text is not None:
            flat = re.sub(r"\s+", "", text)
            assert "云川市公安局" in flat and "云川市财政局" in flat, text[:800]
            assert chosen_name in flat and chosen in flat and APPR in flat, text[:800]
        org.emulate_media(media="screen")

        # 6. the auditor: the round's events, the chain verified whole, the replay
        aud = person(AUD, "/audit")
        log = aud.locator("#audit-results").inner_text()
        for kind in ("round.create", "draw.open", "draw.commit", "draw.reveal", "draw.seed",
                     "proposal.create", "proposal.change", "proposal.approve"):
            assert kind in log, kind
        shot(aud, "6-auditor-log")
        aud.get_by_role("link", name="校验哈希链与检查点").click()
        aud.wait_for_load_state("networkidle")
        aud.get_by_role("button", name="校验哈希链 / Verify the chain").click()
        aud.wait_for_load_state("networkidle")
        result = aud.get_by_role("status").inner_text()
        assert "校验通过" in result and "发现问题" not in result, result
        shot(aud, "6-auditor-verify")
        aud.goto(f"{base}/audit{proposal}/replay", wait_until="networkidle")
        aud.get_by_role("button", name="开始复算 / Replay").click()
        aud.get_by_text("四项比较全部一致").wait_for(timeout=180_000)
        shot(aud, "6-auditor-replay")
        # no change, approve or wizard form; after approval the names are there
        aud.goto(review, wait_until="networkidle")
        assert no_form(aud, "/changes") and no_form(aud, "/approve")
        assert chosen_name in aud.locator("#team-1").inner_text()
        shot(aud, "6-auditor-review")
        wizard = aud.goto(f"{base}/rounds/new", wait_until="networkidle")
        assert wizard is not None and wizard.status == 403 and no_form(aud, "/rounds/new")

        # 7. throughout: nothing left the app, no console error
        for w in people:
            assert w.outside == [], f"requests beyond the app: {w.outside}"
        problems = [p for w in people for p in w.problems]
        # the two refused pages (403) are the only failed loads Chromium logs
        assert [p for p in problems if "status of 403" not in p] == [], problems
