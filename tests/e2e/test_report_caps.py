"""The round report of a draw under probability caps, as an auditor files it: the caps and
what they promise, the expected objective against the uncapped optimum, the largest
probabilities reached, the drawn team set and how to recompute it from the seed, and the
distribution's team sets without names; the same round drawn without caps says nothing
of caps. Before approval the report is sealed and still says all of it.

The PDF pages are saved as PNGs under $XUNCHA_TEST_SHOTS/xuncha-shots/caps-report-*.png
to be looked at (`XUNCHA_TEST_RENDER`, tests/e2e/render.py)."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.api_client import Api, running_api
from tests.e2e.render import SHOTS, pngs, tool
from tests.e2e.report_book import open_book, table
from tests.e2e.test_api_rounds import ROUND, draw
from tests.e2e.test_report_render import _pdf, _pdf_text

CAPS = {"cap": 0.2, "leader_cap": 0.1}
SENTENCE = "任何一名干部进入某一巡察组的概率不超过 20%，担任某一巡察组组长的概率不超过 10%"
SENTENCE_EN = ("no cadre is on any given team with probability above 20%, nor leads it with "
               "probability above 10%")
PLAIN = ROUND | {"key": "R2027-09", "name": "云川市委2027年不设上限的一轮"}
DOMAIN = b"xuncha-capped-team-draw-v1"


@dataclass
class Reports:
    capped: dict[str, Any]  # the proposal's `capped`, as the organizer reads it
    keys: set[str]  # every cadre key in the drawn teams and the whole distribution
    names: set[str]  # the drawn members' names
    xlsx: bytes  # as the organizer reads them (names shown)
    pdf: bytes | None  # None: no CJK font here
    sealed_xlsx: bytes  # as the auditor reads them before approval
    sealed_pdf: bytes | None
    plain_xlsx: bytes  # the same round drawn without caps
    plain_pdf: bytes | None


def _report(api: Api, pid: int, role: str) -> bytes:
    r = api.get(f"/v1/proposals/{pid}/report.xlsx", role)
    assert r.status_code == 200, r.text
    return r.content


@pytest.fixture(scope="module")
def reports(city_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Reports]:
    path = tmp_path_factory.mktemp("caps-report") / "city.sqlite3"
    shutil.copy(city_sqlite_template, path)
    with running_api(f"sqlite:///{path}") as api:
        for plan in (ROUND | CAPS, PLAIN):
            assert api.post("/v1/rounds", "organizer", json={"plan": plan}).status_code == 201
        capped, plain = draw(api, str(ROUND["key"])), draw(api, str(PLAIN["key"]))
        c = capped["result"]["capped"]
        assert "capped" not in plain["result"]
        keys = {x["key"] for s in c["distribution"] for t in s["teams"]
                for x in t["members"]} | {x["key"] for t in capped["teams"]
                                          for x in t["members"]}
        names = {x["name"] for t in capped["teams"] for x in t["members"]}
        pid, plain_id = capped["id"], plain["id"]
        yield Reports(c, keys, names, _report(api, pid, "organizer"),
                      _pdf(api, pid, "organizer"), _report(api, pid, "auditor"),
                      _pdf(api, pid, "auditor"), _report(api, plain_id, "organizer"),
                      _pdf(api, plain_id, "organizer"))


def _cells(content: bytes) -> str:
    book = open_book(content)
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)


def _provenance(content: bytes) -> dict[str, str]:
    return {r["项目 item"]: str(r["内容 value"])
            for r in table(open_book(content), "依据与批准 Provenance")}


def test_the_workbook_states_the_caps_and_what_they_mean(reports: Reports) -> None:
    c = reports.capped
    book = open_book(reports.xlsx)
    assert any(SENTENCE in str(x.value) and SENTENCE_EN in str(x.value)
               for x in book["巡察组 Teams"]["A"][:8])  # in the title block, first page
    p = _provenance(reports.xlsx)
    assert p["概率上限 caps"].startswith(SENTENCE) and SENTENCE_EN in p["概率上限 caps"]
    assert "cap 1/5" in p["概率上限 caps"] and "leader_cap 1/10" in p["概率上限 caps"]
    expected = p["期望目标值 expected objective"]
    assert re.search(rf"期望目标值 [\d.]+ / 不设上限的最优值 {c['uncapped']} = 比例 "
                     r"\d+(\.\d+)?%", expected), expected
    assert f"{round(c['expected'], 2):g}" in expected  # the number, not float noise
    assert "e-" not in expected and "0000000" not in expected
    assert "与上界的差距" in expected and "gap" in expected
    assert p["实际最大概率 largest probability"].startswith("进入某组 20%，任组长 10%")
    assert p["容差 tolerance"] == ("按概率上限抽取，不适用容差 / drawn under caps; "
                                 "tolerance not used")
    drawn = p["抽中 drawn"]
    assert f"分布共 {c['team_sets']} 套，抽中第 {c['drawn']} 套（概率 " in drawn
    assert f"抽取点 u = {c['draw_point']}" in drawn
    assert p["复算 recompute"].startswith("复算：u = SHA-256(“xuncha-capped-team-draw-v1”‖0x00‖"
                                        "种子十进制) ÷ 2^256")
    assert "docs/draw.md §11" in p["复算 recompute"] and "recompute: " in p["复算 recompute"]


def test_an_auditor_recomputes_the_drawn_set_from_the_report_alone(reports: Reports) -> None:
    """The seed in decimal, u and the distribution's rows are enough to find the set."""
    p = _provenance(reports.xlsx)
    seed = p["种子（十进制）seed (decimal)"]
    assert int(seed) == int(p["种子 seed"], 16)  # the same seed as its hex digest
    u = Fraction(int.from_bytes(hashlib.sha256(DOMAIN + b"\x00" + seed.encode()).digest(),
                                "big"), 1 << 256)
    assert f"抽取点 u = {float(u):.12f}" in p["抽中 drawn"]
    rows = table(open_book(reports.xlsx), "概率分布 Distribution")
    assert [r["第几套 set"] for r in rows] == list(range(1, reports.capped["team_sets"] + 1))
    total, first = Fraction(0), None
    for r in rows:
        total += Fraction(float(r["概率 probability"].split("（")[0]))
        assert r["累计概率 cumulative"] == f"{float(total):.12f}"
        if first is None and u < total:
            first = r["第几套 set"]
    assert first == reports.capped["drawn"]
    assert [r["第几套 set"] for r in rows if r["抽中 drawn"]] == [first]
    assert {r["目标值 objective"] for r in rows} == {
        s["objective"] for s in reports.capped["distribution"]}
    assert not reports.keys & set(re.findall(r"\w+", _cells(reports.xlsx).split(
        "抽取所依据的概率分布")[1].split("依据、批准与签字")[0]))  # no member listed there


def test_a_report_drawn_without_caps_says_nothing_of_caps(reports: Reports) -> None:
    text = _cells(reports.plain_xlsx)
    for word in ("概率上限", "caps", "概率分布", "Distribution", "抽取点", "复算"):
        assert word not in text, word
    tolerance = _provenance(reports.plain_xlsx)["容差 tolerance"]
    assert tolerance.startswith("2%（在最优目标值的 2% 以内"), tolerance
    if reports.plain_pdf is not None:
        tool("pdftotext")
        shown = _pdf_text(reports.plain_pdf)
        assert "概率上限" not in shown and "caps" not in shown


def test_the_sealed_report_of_a_capped_draw_says_it_all_and_names_nobody(
        reports: Reports) -> None:
    text = _cells(reports.sealed_xlsx)
    assert "批准前不公开" in text  # sealed indeed
    assert not sorted(x for x in reports.keys | reports.names if x in text)
    assert _provenance(reports.sealed_xlsx) == _provenance(reports.xlsx)  # no name there
    assert table(open_book(reports.sealed_xlsx), "概率分布 Distribution") == \
        table(open_book(reports.xlsx), "概率分布 Distribution")
    if reports.sealed_pdf is not None:
        tool("pdftotext")
        shown = re.sub(r"\s+", "", _pdf_text(reports.sealed_pdf))
        assert re.sub(r"\s+", "", SENTENCE) in shown
        assert not sorted(x for x in reports.keys | reports.names if x in shown)


def test_the_pdf_states_the_caps_and_fits_its_lines(reports: Reports) -> None:
    if reports.pdf is None:
        pytest.skip("no CJK font here (apt-get install fonts-noto-cjk)")
    tool("pdftotext")
    text = _pdf_text(reports.pdf)
    flat = re.sub(r"\s+", "", text)
    c = reports.capped
    assert re.sub(r"\s+", "", SENTENCE) in flat
    assert re.sub(r"\s+", "", SENTENCE_EN) in flat
    assert f"抽中第{c['drawn']}套" in flat and f"u={c['draw_point']}" in flat
    assert "按概率上限抽取，不适用容差" in flat
    assert "复算：u=SHA-256(“xuncha-capped-team-draw-v1”‖0x00‖种子十进制)÷2^256" in flat
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("caps-report-*"):
        old.unlink()
    pdf = SHOTS / "caps-report.pdf"
    pdf.write_bytes(reports.pdf)
    pngs(pdf, SHOTS / "caps-report", dpi=80)
    assert list(SHOTS.glob("caps-report-*.png"))
