"""The bounds checked before a file is parsed: the longest CSV line (found exactly, at any
chunk boundary) and a workbook's unpacked size; and errors echo only a prefix of a value."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from pool.file_bounds import long_line, oversized_workbook
from pool.parsing import RowError
from pool.validation import clip


def first_long_line(data: bytes, limit: int) -> int | None:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > limit:
            return number
    return None


@pytest.mark.parametrize("seed", range(30))
def test_the_first_line_over_the_limit_is_named(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.choice([10, 1000, 300_000])
    # lines around the limit, some spanning the 1 MiB chunks the scan reads
    lengths = [rng.choice([0, 1, limit - 1, limit, limit + 1, rng.randrange(3 * limit)])
               for _ in range(rng.randrange(1, 40))]
    data = b"\n".join(b"x" * n for n in lengths) + rng.choice([b"", b"\n"])
    file = tmp_path / "t.csv"
    file.write_bytes(data)
    expected = first_long_line(data, limit)
    found = long_line(file, limit)
    if expected is None:
        assert found is None
    else:
        assert found is not None and f"第{expected}行" in found[0], (found, expected)
        assert f"line {expected} " in found[1]


def test_one_enormous_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    file = tmp_path / "one-line.csv"
    with file.open("wb") as out:
        for _ in range(8):
            out.write(b"y" * (1 << 20))  # 8 MB, no newline
    problem = long_line(file, limit=1 << 20)
    assert problem is not None and "第1行" in problem[0] and "1024 KB" in problem[0]


def test_a_workbook_that_would_unpack_past_the_limit_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(book, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<" * 200_000)  # compresses to little
    assert book.stat().st_size < 10_000
    problem = oversized_workbook(book, limit=100_000)
    assert problem is not None and "解压" in problem[0] and "unpacks" in problem[1]
    assert oversized_workbook(book, limit=300_000) is None
    not_zip = tmp_path / "plain.xlsx"
    not_zip.write_bytes(b"not a workbook")
    assert oversized_workbook(not_zip, limit=1) is None  # the reader reports it


def test_an_error_repeats_only_the_start_of_a_value_or_header() -> None:
    assert clip("短") == "短"
    assert clip("x" * 80) == "x" * 80
    assert clip("x" * 81) == "x" * 80 + "…"
    error = RowError("persons.csv", None, 2, "列" * 10_000, "v" * 1_000_000, "错", "bad")
    assert error.value == "v" * 80 + "…" and error.column == "列" * 80 + "…"
    assert len(str(error)) < 400
