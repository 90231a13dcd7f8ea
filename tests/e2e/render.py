"""Rendering files as they print, for the tests that look at them: LibreOffice turns a
workbook into a PDF, poppler turns a PDF into PNG pages and text. PNGs go under
$XUNCHA_TEST_SHOTS/xuncha-shots/ (default: the system's temporary directory).

`XUNCHA_TEST_RENDER` works as XUNCHA_TEST_BROWSER does: `auto` (default) skips without
the tools, `required` (CI, `.ci/run` installs them) fails, `off` skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

MODE = os.environ.get("XUNCHA_TEST_RENDER", "auto")
SHOTS = Path(os.environ.get("XUNCHA_TEST_SHOTS") or tempfile.gettempdir()) / "xuncha-shots"


def missing(why: str) -> None:
    """Skip, or fail where rendering is required: `why` says what to install."""
    if MODE == "required":
        pytest.fail(f"{why}; XUNCHA_TEST_RENDER=required")
    pytest.skip(why)


def tool(name: str) -> str:
    if MODE == "off":
        pytest.skip("rendering tests are off (XUNCHA_TEST_RENDER=off)")
    found = shutil.which(name)
    if found is None:
        missing(f"{name} not found (apt-get install libreoffice-calc-nogui poppler-utils)")
    assert found is not None
    return found


def run(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd,
                          check=False)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def workbook_pdf(xlsx: Path, outdir: Path) -> Path:
    """`xlsx` printed to a PDF by LibreOffice (a fresh profile each time)."""
    soffice = tool("soffice")
    with tempfile.TemporaryDirectory() as profile:
        run(soffice, f"-env:UserInstallation=file://{profile}", "--headless",
            "--convert-to", "pdf", "--outdir", str(outdir), str(xlsx))
    return outdir / f"{xlsx.stem}.pdf"


def pngs(pdf: Path, prefix: Path, dpi: int = 60) -> None:
    tool("pdftoppm")
    run("pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix))


def pages(pdf: Path) -> list[str]:
    """Each page's text, laid out."""
    return run(tool("pdftotext"), "-layout", str(pdf), "-").split("\f")[:-1]
