"""The round report as a file (.xlsx or .pdf): the one function the API and the CLI call,
so both print the same content under the same seal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pool import models as m
from service.errors import Unprocessable
from service.report import report_content

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
FORMATS = {"xlsx": XLSX, "pdf": PDF}


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    media_type: str
    filename: str


def report_file(session: Session, row: m.ProposalRecord, fmt: str, *, show_names: bool,
                seal: Callable[[Any], Any] = lambda value: value,
                font: Path | None = None) -> ReportFile:
    """The proposal's round report as `fmt` (xlsx or pdf); `font` is the setting
    XUNCHA_REPORT_FONT. A PDF without a CJK font raises Unavailable (503) naming the
    package or setting."""
    if fmt not in FORMATS:
        raise Unprocessable(f"报告只能生成 .xlsx 或 .pdf，不能生成 .{fmt}",
                            f"the report comes as .xlsx or .pdf, not .{fmt}", field="format")
    from service.api.draws import round_draw_reads  # the draws as the API reads them

    face = None
    if fmt == "pdf":  # before the work: a missing font fails at once
        from service.report_pdf import report_font

        face = report_font(font)
    draws = [d.model_dump(mode="json") for d in round_draw_reads(session, row.round_key)]
    report = report_content(session, row, show_names=show_names, draws=draws, seal=seal)
    if face is not None:
        from service.report_pdf import report_pdf

        data = report_pdf(report, face)
    else:
        from service.report_xlsx import report_xlsx

        data = report_xlsx(report)
    return ReportFile(data, FORMATS[fmt], f"{report.filename}.{fmt}")
