"""The round report as a PDF (fpdf2): the same `Report` as the workbook, A4 (landscape
where a table is wide), tables that wrap text within their columns and repeat their
header row on every page, the round's name above and "第 N 页 共 M 页" below. The CJK font
is embedded as a subset: `XUNCHA_REPORT_FONT` names a font file, else fontconfig's
Noto Sans CJK SC or a known system path (Debian: fonts-noto-cjk)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont, TTLibError
from fpdf import FPDF
from fpdf.fonts import FontFace

from service.errors import Unavailable
from service.report import Cell, Report, Table

FAMILY = "cjk"
KNOWN_FONTS = (  # Debian/Ubuntu fonts-noto-cjk, Fedora, Arch, WenQuanYi
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
MISSING = ("生成 PDF 需要中文字体：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
           "或用环境变量 XUNCHA_REPORT_FONT 指定字体文件",
           "a PDF needs a CJK font: install fonts-noto-cjk (apt-get install fonts-noto-cjk) "
           "or name a font file in XUNCHA_REPORT_FONT")
HAN = 0x4E2D  # 中: the font must cover Chinese


def _face(path: Path) -> int | None:
    """The face of a font file to use (a collection's Simplified Chinese face first), or
    None when no face covers Chinese."""
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            faces = TTCollection(str(path)).fonts
        else:
            faces = [TTFont(str(path), lazy=True)]
        covering = [i for i, f in enumerate(faces) if HAN in (f.getBestCmap() or {})]
        names = {i: str(faces[i]["name"].getDebugName(1) or "") for i in covering}
    except (OSError, TTLibError, KeyError, AssertionError):
        return None
    simplified = [i for i in covering if names[i].endswith(" SC") or "GB" in names[i]]
    chosen = simplified or covering
    return chosen[0] if chosen else None


def _fontconfig() -> Path | None:
    fc = shutil.which("fc-match")
    if fc is None:
        return None
    try:
        found = subprocess.run([fc, "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"],
                               capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(found.stdout.strip()) if found.stdout.strip() else None


@lru_cache(maxsize=4)
def report_font(setting: Path | None) -> tuple[Path, int]:
    """The font file and face to embed; `setting` is XUNCHA_REPORT_FONT. Raises
    Unavailable (503) saying which package to install or which setting to set."""
    if setting is not None:
        face = _face(setting) if setting.is_file() else None
        if face is None:
            raise Unavailable(
                f"XUNCHA_REPORT_FONT 指定的字体 {setting} 不存在、无法读取或不含中文字形；"
                "请指定中文字体文件（如 NotoSansCJK-Regular.ttc）",
                f"the font XUNCHA_REPORT_FONT names ({setting}) is missing, unreadable or "
                "has no Chinese glyphs; name a CJK font file (e.g. NotoSansCJK-Regular.ttc)",
                code="report_font")
        return setting, face
    for candidate in (_fontconfig(), *map(Path, KNOWN_FONTS)):
        if candidate is not None and candidate.is_file():
            face = _face(candidate)
            if face is not None:
                return candidate, face
    raise Unavailable(*MISSING, code="report_font")


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return str(value)


class _Pdf(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(unit="mm", format="A4")
        self.report = report
        self.section = ""
        self.set_auto_page_break(auto=True, margin=14)
        self.set_margins(12, 16, 12)

    def header(self) -> None:
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        self.set_xy(self.l_margin, 7)
        self.cell(0, 5, f"{self.report.round_name} · {self.section}", align="C")
        if self.report.banner:
            self.set_text_color(192, 0, 0)
            self.set_xy(self.l_margin, 7)
            self.cell(0, 5, self.report.banner, align="L")
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, size=8)
        self.cell(0, 5, f"第 {self.page_no()} 页 共 {{nb}} 页", align="C")


def _title_block(pdf: _Pdf, report: Report) -> None:
    pdf.set_font(FAMILY, size=16)
    pdf.multi_cell(0, 9, report.title, align="C", new_x="LMARGIN", new_y="NEXT")
    if report.banner:
        pdf.set_text_color(192, 0, 0)
        pdf.set_font(FAMILY, size=13)
        pdf.multi_cell(0, 8, report.banner, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.set_font(FAMILY, size=10)
    for line in report.lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: _Pdf, table: Table) -> None:
    pdf.set_font(FAMILY, size=12)
    pdf.multi_cell(0, 8, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=8)
    heading = FontFace(family=FAMILY, emphasis="NONE", fill_color=(231, 230, 230))
    with pdf.table(col_widths=table.widths, repeat_headings=1, line_height=4.2,
                   text_align="LEFT", headings_style=heading, padding=1) as grid:
        row = grid.row()
        for text in table.header:
            row.cell(text)
        for values in table.rows:
            row = grid.row()
            for value in values:
                row.cell(_text(value))
    pdf.ln(4)
    pdf.set_font(FAMILY, size=10)
    for note in table.notes:
        pdf.multi_cell(0, 9 if "签字" in note else 6, note, new_x="LMARGIN", new_y="NEXT")


def report_pdf(report: Report, font: tuple[Path, int]) -> bytes:
    """The PDF; `font` is `report_font(...)`."""
    pdf = _Pdf(report)
    path, face = font
    pdf.add_font(FAMILY, fname=str(path), collection_font_number=face)
    pdf.set_title(report.title)
    pdf.set_creator("xuncha")
    for i, table in enumerate(report.tables):
        pdf.section = table.sheet.split(" ")[0]
        pdf.add_page(orientation="L" if table.wide else "P")
        if i == 0:
            _title_block(pdf, report)
        _table(pdf, table)
    return bytes(pdf.output())
