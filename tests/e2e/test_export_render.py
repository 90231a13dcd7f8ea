"""A pool export as it prints: the workbook through LibreOffice, every sheet on A4
landscape with all its columns on the page's width and its header row on every page (no
column split from its header), the sheet's name on top and page numbers below; PNGs
under $XUNCHA_TEST_SHOTS/xuncha-shots/export-*.png to be looked at."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl

from pool.db import make_engine, transaction
from pool.exporter import export_pool
from pool.importer import import_path
from tests.e2e.render import SHOTS, pages, pngs, tool, workbook_pdf
from tests.integration.test_export_files import _pool


def test_every_printed_page_of_an_export_has_its_sheets_whole_header(
        sqlite_url: str, tmp_path: Path) -> None:
    tool("soffice")
    builder, _ = _pool()
    for n in range(120):  # a sheet longer than a page
        builder.unit(f"东溪区第{n}中心小学𠮷", key=f"U_LONG{n:03}", region_code="320902",
                     system_code="education", kind="institution")
    with transaction(make_engine(sqlite_url)) as session:
        import_path(session, builder.write(tmp_path / "in"))
        export_pool(session, tmp_path / "export.xlsx", id_numbers="masked")
    book = openpyxl.load_workbook(tmp_path / "export.xlsx")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("export-*"):
        old.unlink()
    pdf = workbook_pdf(tmp_path / "export.xlsx", tmp_path)
    printed = pages(pdf)
    pngs(pdf, SHOTS / "export")
    assert all(re.search(r"第\d+页共\d+页", re.sub(r"\s", "", p)) for p in printed)
    seen = 0
    for ws in book.worksheets:
        header = [str(c.value) for c in ws[1]]
        mine = [p for p in printed if p.lstrip().startswith(ws.title)]
        assert mine, ws.title
        for page in mine:  # the first and the last column's header on every page
            flat = re.sub(r"\s", "", page)
            assert re.sub(r"\s", "", header[0]) in flat, (ws.title, page[:200])
            assert re.sub(r"\s", "", header[-1])[:4] in flat, (ws.title, page[:200])
        seen += len(mine)
    assert seen == len(printed)
    units = [p for p in printed if p.lstrip().startswith("单位")]
    assert len(units) >= 2  # the long sheet ran over pages, its header repeated
