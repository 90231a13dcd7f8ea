"""The round report as a person prints and files it: the sample round drawn, changed by
hand and approved; the workbook's page setup and content, then both files rendered —
the .xlsx through LibreOffice, the .pdf through poppler — and saved as PNGs under
$XUNCHA_TEST_SHOTS/xuncha-shots/ to be looked at.

`XUNCHA_TEST_RENDER` (tests/e2e/render.py): `auto` (default) skips the rendering without
soffice/poppler/a CJK font, `required` (CI) fails, `off` skips."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pool.db import transaction
from service import audit
from service.auth import Role, issue_token
from service.cli import app
from tests.e2e import ceremony
from tests.e2e.api_client import Api, running_api
from tests.e2e.render import MODE, SHOTS, missing, pngs, run, tool, workbook_pdf
from tests.e2e.render import pages as page_texts
from tests.e2e.report_book import header_row, open_book, table
from tests.e2e.test_api_insider import _replacements
from tests.e2e.test_api_rounds import ROUND

REASON = "原组员因病不能参加，由𠮷姓同志接替"
APPROVER = "王𠮷明"
NOTE = "经市委巡察工作领导小组2027年第2次会议研究同意"
BARE_KEY = re.compile(r"(?<!（)\bU\d{5}\b(?!）)")  # a unit key without its name before it


@dataclass
class Drawn:
    url: str
    proposal_id: int
    placed: str  # the key of the member placed by hand
    seated: dict[str, str]  # key → name, after the change
    xlsx: bytes  # as the auditor reads them after approval
    pdf: bytes | None  # None: no CJK font here
    sealed_xlsx: bytes  # as the auditor read it before approval
    sealed_pdf: bytes | None
    names_before: set[str]  # every member's key and name before approval


def _pdf(api: Api, pid: int, role: str) -> bytes | None:
    r = api.get(f"/v1/proposals/{pid}/report.pdf", role)
    if r.status_code == 503 and r.json()["error"]["code"] == "report_font":
        if MODE == "required":
            pytest.fail(f"no CJK font: {r.text}")
        return None
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
    return r.content


@pytest.fixture(scope="module")
def drawn(city_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Drawn]:
    path = tmp_path_factory.mktemp("report") / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    url = f"sqlite:///{path}"
    with running_api(url) as api:
        assert api.post("/v1/rounds", "organizer", json={"plan": ROUND}).status_code == 201
        record = ceremony.hold(api, ROUND["key"])
        assert record.proposal is not None
        pid = record.proposal["id"]
        team = record.proposal["teams"][0]
        seated = {x["key"] for t in record.proposal["teams"] for x in t["members"]}
        swaps = ((x, placed) for x in team["members"] if x["role"] == "member"
                 for placed in _replacements(api, pid, x, seated))
        for leaving, placed in swaps:  # a swap the hard rules allow
            swap = api.post(f"/v1/proposals/{pid}/changes", "organizer", json={
                "op": "swap", "team": team["no"], "cadre": leaving["key"],
                "replacement": placed, "reason": REASON})
            if swap.status_code == 200:
                break
        else:
            pytest.fail("no member of team 1 could be swapped")
        after = swap.json()
        names = {x["key"]: x["name"] for t in after["teams"] for x in t["members"]}
        before = set(names) | set(names.values()) | {leaving["key"], leaving["name"]}
        sealed_xlsx = api.get(f"/v1/proposals/{pid}/report.xlsx", "auditor").content
        sealed_pdf = _pdf(api, pid, "auditor")
        with transaction(api.engine) as session:
            token = issue_token(session, name=APPROVER, role=Role.approver, scope=None,
                                created_by="tests", now=audit.utcnow())
        ok = api.client.post(f"/v1/proposals/{pid}/approve", json={"note": NOTE},
                             headers={"Authorization": f"Bearer {token.secret}"})
        assert ok.status_code == 200, ok.text
        xlsx = api.get(f"/v1/proposals/{pid}/report.xlsx", "auditor").content
        yield Drawn(url, pid, placed, names, xlsx, _pdf(api, pid, "auditor"), sealed_xlsx,
                    sealed_pdf, before)


def _cells(content: bytes) -> str:
    book = open_book(content)
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)


def test_workbook_is_set_up_for_printing(drawn: Drawn) -> None:
    book = open_book(drawn.xlsx)
    assert [ws.title for ws in book.worksheets] == [
        "巡察组 Teams", "成员回避声明 Members", "回避情况说明 Recusals", "人工调整 Changes",
        "人员调整 Replacements", "抽取记录 Draws", "依据与批准 Provenance"]
    for ws in book.worksheets:
        setup = ws.page_setup
        assert str(setup.paperSize) == ws.PAPERSIZE_A4, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        first = header_row(book, ws.title)
        assert ws.print_title_rows.replace("$", "") == f"{first}:{first}"
        assert "云川市委2027年第一轮巡察" in ws.oddHeader.center.text
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert ws["A1"].value == "云川市委2027年第一轮巡察 巡察组组建报告"  # the title block
        assert any("期间 period：2027年3月1日" in str(c.value) for c in ws["A"][:first])
    assert book["成员回避声明 Members"].page_setup.orientation == "landscape"
    assert book["依据与批准 Provenance"].page_setup.orientation == "portrait"


def test_workbook_names_things_and_tells_the_whole_story(drawn: Drawn) -> None:
    book = open_book(drawn.xlsx)
    text = _cells(drawn.xlsx)
    assert not BARE_KEY.findall(text), BARE_KEY.findall(text)[:5]
    assert "云川市公安局（U00003）" in text
    teams = table(book, "巡察组 Teams")
    assert {r["人员编号 key"]: r["姓名 name"] for r in teams} == drawn.seated
    assert {r["角色 role"].split()[0] for r in teams} == {"组长", "副组长", "组员"}
    assert any("财务 finance" in r["专业特长 skills"] for r in teams)
    placed = next(r for r in teams if r["人员编号 key"] == drawn.placed)
    assert REASON in placed["产生方式 placed"] and "test-organizer" in placed["产生方式 placed"]
    members = table(book, "成员回避声明 Members")
    assert {r["人员编号 key"] for r in members} == set(drawn.seated)
    targets = {r["人员编号 key"]: r["被巡察单位 targets"].split("、") for r in teams}
    for r in members:  # every member's statement, the one placed by hand included
        for target in targets[r["人员编号 key"]]:
            assert f"对{target}：" in r["回避核查（中文）"], r
            assert f"{target}: " in r["recusal check (English)"], r
    hand = next(r for r in members if r["人员编号 key"] == drawn.placed)
    assert "人工调整后按本次抽取的输入包核查" in hand["回避核查（中文）"]
    sentences = table(book, "回避情况说明 Recusals")
    assert len(sentences) == 4
    leader_only = 0
    for r in sentences:
        assert r["说明"].startswith(f"对{r['被巡察单位 target']}：因")
        whole, _, some = r["说明"].partition("；")
        assert whole.endswith(f"共{r['须回避人数 cadres']}人须回避（一人可因多项规则回避）")
        by_rule = dict(x.split(": ") for x in r["by rule (cadres)"].split("; "))
        if "employment.leader-long-service" in by_rule:  # bars the leader's seat only:
            leader_only += 1  # said apart, and not counted as kept away from the target
            n = by_rule.pop("employment.leader-long-service")
            assert some.endswith(f"（employment.leader-long-service）不得任组长{n}人"), r
            assert "leader-long-service" not in whole
        assert max(map(int, by_rule.values())) <= r["须回避人数 cadres"] <= \
            sum(map(int, by_rule.values()))
    assert leader_only  # the sample round has such a rule at work
    assert "因亲属任职回避（kin-in-target）回避" in text  # rules by title, id beside
    changes = table(book, "人工调整 Changes")
    assert [(c["第几次调整 revision"], c["调整人 by"], c["理由 reason"]) for c in changes] == \
        [(1, "test-organizer", REASON)]
    assert changes[0]["时间（北京时间）at"].year >= 2026  # a date, typed
    provenance = {r["项目 item"]: r["内容 value"] for r in table(book, "依据与批准 Provenance")}
    assert provenance["批准人 approved by"] == APPROVER
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d（北京时间）",
                        provenance["批准时间 approved at"])
    assert provenance["批准意见 approval note"] == NOTE
    for who in ("经办人", "审核人", "批准人"):
        assert re.search(who + r".*（签字 signature）：_+ +日期 date：", text), who
    assert "token:" not in text


def test_report_counts_agree_with_the_cli(drawn: Drawn, tmp_path: Path) -> None:
    plan = tmp_path / "round.json"
    plan.write_text(json.dumps(ROUND | {"seed": 5}, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["assemble", str(plan), "--json", "--database-url",
                                      drawn.url])
    assert result.exit_code == 0, result.output
    cli = {target: counts for teams in json.loads(result.output)["recusals_by_team"].values()
           for target, counts in teams.items()}
    report = {r["被巡察单位 target"]: r for r in table(open_book(drawn.xlsx),
                                                  "回避情况说明 Recusals")}
    assert len(cli) == len(report) == 4
    for target, counts in cli.items():
        row = next(r for name, r in report.items() if name.endswith(f"（{target}）"))
        assert row["须回避人数 cadres"] == counts["cadres"] > 0
        assert row["by rule (cadres)"] == "; ".join(
            f"{rule}: {n}" for rule, n in counts["by_rule"].items())


def test_before_approval_the_report_is_sealed(drawn: Drawn) -> None:
    text = _cells(drawn.sealed_xlsx)
    assert not sorted(x for x in drawn.names_before if x in text)
    assert "批准前不公开" in text and "因病" in text
    if drawn.sealed_pdf is not None:
        tool("pdftotext")
        shown = _pdf_text(drawn.sealed_pdf)
        assert not sorted(x for x in drawn.names_before if x in shown)
        assert "批准前不公开" in shown


def _pdf_text(content: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pdf"
        path.write_bytes(content)
        return run("pdftotext", "-layout", str(path), "-")


def test_the_cli_writes_the_report_and_refuses_other_files(drawn: Drawn,
                                                           tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "报告.xlsx"
    ok = runner.invoke(app, ["report", str(drawn.proposal_id), str(out), "--database-url",
                             drawn.url])
    assert ok.exit_code == 0, ok.output
    assert table(open_book(out.read_bytes()), "依据与批准 Provenance")
    again = runner.invoke(app, ["report", str(drawn.proposal_id), str(out),
                                "--database-url", drawn.url])
    assert again.exit_code == 2 and "不覆盖" in again.output
    bad = runner.invoke(app, ["report", str(drawn.proposal_id), str(tmp_path / "r.docx"),
                              "--database-url", drawn.url])
    assert bad.exit_code == 2 and ".xlsx 或 .pdf" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "r.docx").exists()


@pytest.fixture(scope="module")
def rendered(drawn: Drawn) -> dict[str, Path]:
    """Both reports as PDFs and PNG pages under SHOTS: the workbook through LibreOffice
    (converted once), the PDF as the service made it."""
    tool("soffice")
    tool("pdftoppm")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("report-*"):
        old.unlink()
    xlsx = SHOTS / "report-xlsx.xlsx"
    xlsx.write_bytes(drawn.xlsx)
    out = {"xlsx": workbook_pdf(xlsx, SHOTS)}
    if drawn.pdf is not None:
        out["pdf"] = SHOTS / "report-pdf.pdf"
        out["pdf"].write_bytes(drawn.pdf)
    for name, pdf in out.items():
        pngs(pdf, SHOTS / f"report-{name}")
    return out


def test_libreoffice_prints_the_workbook_without_spilling_columns(
        rendered: dict[str, Path], drawn: Drawn) -> None:
    pages = page_texts(rendered["xlsx"])
    assert 6 <= len(pages) <= 20, len(pages)
    assert len(list(SHOTS.glob("report-xlsx-*.png"))) == len(pages)
    book = open_book(drawn.xlsx)
    for ws in book.worksheets:  # every page of a sheet shows its header: no column spilled
        first_header = str(ws.cell(row=header_row(book, ws.title), column=1).value)
        last_header = str(ws.cell(row=header_row(book, ws.title),
                                  column=ws.max_column).value).split()[0]
        mine = [p for p in pages if f"· {ws.title.split()[0]}" in p]
        assert mine, ws.title
        for page in mine:
            assert first_header.split()[0] in page and last_header in page, ws.title
    assert all(re.search(r"第\d+页共\d+页", re.sub(r"\s", "", p)) for p in pages)


def test_the_pdf_embeds_a_cjk_subset_and_keeps_every_character(
        rendered: dict[str, Path], drawn: Drawn) -> None:
    if "pdf" not in rendered:
        missing("no CJK font here (apt-get install fonts-noto-cjk)")
    pdf = rendered["pdf"]
    pages = page_texts(pdf)
    info = run("pdfinfo", str(pdf))
    assert f"Pages:          {len(pages)}" in info or f"Pages: {len(pages)}" in " ".join(
        info.split())
    assert 4 <= len(pages) <= 20
    assert len(list(SHOTS.glob("report-pdf-*.png"))) == len(pages)
    fonts = run("pdffonts", str(pdf)).splitlines()[2:]
    assert any(re.match(r"[A-Z]{6}\+\S*CJK", line) and " yes yes yes " in line
               for line in fonts), fonts
    text = "\n".join(pages)
    flat = re.sub(r"\s+", "", text)
    assert "𠮷" in text and APPROVER in flat and NOTE in flat
    assert "云川市公安局（U00003）" in flat
    for i, page in enumerate(pages, start=1):
        assert f"第{i}页共{len(pages)}页" in re.sub(r"\s", "", page)


def test_without_a_cjk_font_the_pdf_is_refused_with_what_to_install(
        drawn: Drawn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service import report_pdf

    monkeypatch.setattr(report_pdf, "KNOWN_FONTS", ())
    monkeypatch.setattr(report_pdf, "_fontconfig", lambda: None)
    report_pdf.report_font.cache_clear()
    with pytest.raises(report_pdf.Unavailable) as refused:
        report_pdf.report_font(None)
    assert refused.value.status == 503 and refused.value.code == "report_font"
    assert "fonts-noto-cjk" in refused.value.zh and "XUNCHA_REPORT_FONT" in refused.value.en
    report_pdf.report_font.cache_clear()
    out = tmp_path / "r.pdf"
    monkeypatch.setenv("XUNCHA_REPORT_FONT", str(tmp_path / "无此字体.ttf"))
    result = CliRunner().invoke(app, ["report", str(drawn.proposal_id), str(out),
                                      "--database-url", drawn.url])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "XUNCHA_REPORT_FONT 指定的字体" in result.output and "无此字体.ttf" in result.output
    assert not out.exists()
