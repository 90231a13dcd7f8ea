"""docs/draw.md §10 shows how an auditor recomputes a replacement lot with sha256sum:
each command prints the hash under it, and the hashes are the code's own tickets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from assignment.replacement import DRAW_DOMAIN, event_preimage, ticket

DOC = (Path(__file__).resolve().parents[2] / "docs" / "draw.md").read_text(encoding="utf-8")
SEED = "509860648ad268e927a16ea5705d0cdcad25ee2a993969f2cc558528f349b767"


def _section() -> str:
    found = re.search(r"## 10\..*?```bash\n(.*?)```", DOC, re.S)
    assert found is not None, "docs/draw.md has no §10 with a bash block"
    return found.group(1)


def test_the_replacement_lot_commands_print_what_they_claim() -> None:
    assert shutil.which("sha256sum"), "sha256sum is missing: the page cannot be checked"
    commands = re.findall(r"(printf .*?\| sha256sum)\n# ([0-9a-f]{64})  -", _section(), re.S)
    assert len(commands) == 4  # the event and three tickets
    for command, expected in commands:
        got = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                             check=True).stdout.split()[0]
        assert got == expected, command
        assert command.startswith(f"printf '{DRAW_DOMAIN}\\n")


def test_the_page_s_tickets_are_the_code_s_and_the_smallest_wins() -> None:
    text = event_preimage(seed=SEED, proposal_id=1, team=1, leaving="P00000367")
    shown = dict(re.findall(r"P00000367 (P\d{8}) \| sha256sum\n# ([0-9a-f]{64})", _section()))
    assert len(shown) == 3
    assert shown == {key: ticket(text, key) for key in shown}
    winner = min(shown, key=lambda k: shown[k])
    assert f"{winner} (ticket `{shown[winner][:4]}…`, the smallest) takes the\nseat" in DOC
