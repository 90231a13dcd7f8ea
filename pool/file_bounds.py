"""Bounds that keep a hostile or broken file from taking the memory of the process,
checked before any parser opens it: the longest line of a CSV file (a row, or one line of
a cell spanning lines), and what an .xlsx workbook (a zip archive of XML) may unpack to.
Each check gives the reason in Chinese and English, or None."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

MAX_LINE_BYTES = 1 << 20
MAX_XLSX_UNPACKED = 1 << 30


def long_line(file: Path, limit: int = MAX_LINE_BYTES) -> tuple[str, str] | None:
    """The first line longer than `limit` bytes, named; the file is scanned in chunks, so
    that a file of one 200 MB line never sits in memory whole."""
    line, run = 1, 0  # the number of the line being read, and its bytes so far
    with file.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            if len(ends):
                lengths = np.diff(ends, prepend=-1) - 1  # the bytes before each newline
                lengths[0] += run
                over = lengths > limit
                if over.any():
                    return _too_long(line + int(over.argmax()), limit)
                line, run = line + len(ends), len(chunk) - int(ends[-1]) - 1
            else:
                run += len(chunk)
            if run > limit:
                return _too_long(line, limit)
    return None


def _too_long(line: int, limit: int) -> tuple[str, str]:
    size = f"{limit // 1024} KB" if limit >= 1024 else f"{limit} B"
    return (f"第{line}行超过 {size}，无法作为表格的一行读取；请确认文件是逐行的 CSV 表格，"
            "过长的内容请删减",
            f"line {line} is longer than {size} and cannot be read as a table row; check "
            "that the file is a CSV table, one record per line, and shorten the content")


def oversized_workbook(file: Path, limit: int = MAX_XLSX_UNPACKED) -> tuple[str, str] | None:
    """Whether the workbook's parts would unpack to more than `limit` bytes (as the
    archive declares their sizes). A file that is no zip archive passes: the workbook
    reader says what is wrong with it."""
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return None
    if unpacked <= limit:
        return None
    return (f"工作簿解压后超过 {limit >> 20} MB，无法读取；请拆分为几个文件或改用 CSV",
            f"the workbook unpacks to more than {limit >> 20} MB; split it into several "
            "files or use CSV")
